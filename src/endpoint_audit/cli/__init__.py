"""Command-line interface: the only layer that prints or exits."""

from __future__ import annotations

import sys


def main() -> None:
    """Console entry point. `--version` answers before anything heavy is imported."""
    if sys.argv[1:] == ["--version"]:
        from endpoint_audit import __version__

        sys.stdout.write(f"endpoint-audit {__version__}\n")
        return
    from endpoint_audit.cli.app import run

    run()
