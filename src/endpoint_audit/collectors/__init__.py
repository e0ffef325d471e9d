"""Collectors turn command output into facts: one module per fact family, one class per OS."""
