"""Patch and update facts: one module per OS."""
