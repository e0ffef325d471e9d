"""The commands of `endpoint-audit` as data: where each one lives and its one-line
summary. Both the Typer application (which imports a command's module only when it
runs) and the quick paths (`--help`, `checks list`, which never import Typer) read it."""

from __future__ import annotations

from typing import NamedTuple

PROG = "endpoint-audit"
EXIT_CODES = (
    "Exit codes: 0 compliant, 1 a failed check, 2 usage or configuration error, "
    "3 incomplete (unknown/error, unreachable host, nothing verified: no finding or "
    "every check not applicable, or results older than evaluate --max-age), "
    "4 an output could not be written, 70 an internal error of the tool (never a verdict), "
    "130 interrupted (143 SIGTERM, 129 SIGHUP), 141 stdout closed."
)
ROOT_HELP = (
    "Audit the security posture of endpoints against a YAML baseline (antivirus, disk "
    "encryption, firewall, local administrators, open ports, operating system and Office "
    "support, password policy, patches, screen lock, secure boot, and the baseline's own "
    "rules), and report in Japanese or English."
    "\n\nStart with `endpoint-audit scan` on the PC itself; `endpoint-audit COMMAND "
    f"--help` explains each command. {EXIT_CODES}"
)
ROOT_OPTIONS = (
    ("--version", "Print the version and exit."),
    ("-h, --help", "Show this message and exit."),
)
MAX_WIDTH = 100  # help is never wider than this, however wide the terminal


class LazyCommand(NamedTuple):  # not a dataclass: `dataclasses` alone slows --help
    module: str  # endpoint_audit.cli.<module>
    attribute: str  # a command function, or a Typer app of subcommands
    summary: str  # the one line `--help` lists; a test keeps it equal to the command's own


COMMANDS: dict[str, LazyCommand] = {
    "scan": LazyCommand(
        "scan_cmd",
        "scan",
        "Audit this PC against a baseline (every check of `checks list`, and the baseline's "
        "rules) and print a report.",
    ),
    "collect": LazyCommand(
        "collect_cmd",
        "collect",
        "Record the facts of this PC or of SSH hosts (and their command output) for judging later.",
    ),
    "evaluate": LazyCommand(
        "evaluate_cmd",
        "evaluate",
        "Judge a facts bundle from `collect` or a probe script, or a folder of them, against "
        "a baseline, as `scan` would have.",
    ),
    "checks": LazyCommand(
        "checks_cmd",
        "app",
        "List the checks (antivirus, disk encryption, firewall, local administrators, "
        "open ports, operating system and Office support, password policy, patches, "
        "screen lock, secure boot, and any plugin's) and explain one; with --baseline, "
        "also a baseline's rule checks.",
    ),
    "baseline": LazyCommand(
        "baseline_cmd",
        "app",
        "List, show, compare, validate and start tailoring baselines; keep their rule checks "
        "in a spreadsheet.",
    ),
    "report": LazyCommand(
        "report_cmd",
        "app",
        "Work with JSON reports: render in other formats, merge, compare, publish the schema, "
        "sign and verify; the weekly report from the history store.",
    ),
    "keys": LazyCommand(
        "keys_cmd", "app", "Make the signing key pair that signs reports and round manifests."
    ),
    "data": LazyCommand(
        "data_cmd",
        "app",
        "List the dated data files checks judge against, and replace them offline.",
    ),
    "plugins": LazyCommand("plugins_cmd", "app", "Show installed plugins (built-ins included)."),
    "probe": LazyCommand(
        "probe_cmd", "app", "Standalone probe scripts for PCs without Python or SSH."
    ),
    "history": LazyCommand(
        "history_cmd",
        "app",
        "History of audit rounds in one local SQLite file: add JSON reports, see one PC's "
        "or one check's timeline, what changed between rounds, which PCs were not seen.",
    ),
}
