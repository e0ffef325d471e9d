"""The Typer application: one module per command group."""

from __future__ import annotations

import sys

import typer

from endpoint_audit import __version__
from endpoint_audit.cli import (
    baseline_cmd,
    checks_cmd,
    collect_cmd,
    evaluate_cmd,
    history_cmd,
    plugins_cmd,
    probe_cmd,
    report_cmd,
    scan_cmd,
)
from endpoint_audit.cli.common import robust_streams, say
from endpoint_audit.engine.exit_policy import ExitCode
from endpoint_audit.errors import ConfigError

app = typer.Typer(
    name="endpoint-audit",
    help=(
        "Audit the security posture of endpoints (disk encryption, patches, firewall, "
        "open ports, screen lock) against a YAML baseline, and report in Japanese or English.\n\n"
        "Start with `endpoint-audit scan` on the PC itself. Exit codes: 0 compliant, "
        "1 a failed check, 2 usage or configuration error, 3 incomplete (unknown/error or "
        "unreachable host), 4 an output could not be written, 130 interrupted (143 SIGTERM), "
        "141 stdout closed."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"endpoint-audit {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """endpoint-audit"""
    robust_streams()  # also for the CLI invoked in-process (tests, other tools)


app.command("scan")(scan_cmd.scan)
app.command("collect")(collect_cmd.collect)
app.command("evaluate")(evaluate_cmd.evaluate)
app.add_typer(checks_cmd.app, name="checks")
app.add_typer(baseline_cmd.app, name="baseline")
app.add_typer(report_cmd.app, name="report")
app.add_typer(plugins_cmd.app, name="plugins")
app.add_typer(probe_cmd.app, name="probe")
app.add_typer(history_cmd.app, name="history")


def run() -> None:
    # Interrupts and a closed stdout are handled by the entry point (cli.main).
    robust_streams()
    try:
        app()
    except ConfigError as exc:
        say(f"error: {exc}")
        sys.exit(ExitCode.CONFIG)
