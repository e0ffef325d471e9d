"""Baselines: load YAML with line numbers, validate, resolve `extends`."""
