"""Listening sockets: one module per OS."""
