"""Firewall facts: one module per OS."""
