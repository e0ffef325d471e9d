"""Signatures an auditor verifies offline: minisign-compatible files and trusted keys."""
