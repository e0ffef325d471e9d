"""Plan and run audits: baseline -> checks -> collectors -> findings, host by host."""
