"""Disk encryption facts: one module per OS."""
