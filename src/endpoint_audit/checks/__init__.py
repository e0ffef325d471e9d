"""Checks judge facts against baseline parameters. They never touch a host."""
