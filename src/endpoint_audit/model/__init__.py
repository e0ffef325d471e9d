"""Pure data: platform, commands, facts, baseline, results. No I/O, no upward imports."""
