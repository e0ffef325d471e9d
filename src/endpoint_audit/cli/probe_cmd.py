"""`endpoint-audit probe export`: a standalone probe script for PCs that have neither
Python nor an SSH server. Deploy it with Intune, Configuration Manager or a scheduled task
(docs/deploy-probes.md); judge the files it writes with `endpoint-audit evaluate`."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import msgspec.structs
import typer

from endpoint_audit.cli.common import fail, write_output

app = typer.Typer(
    help="Standalone probe scripts for PCs without Python or SSH.", no_args_is_help=True
)


class ProbeOs(StrEnum):
    WINDOWS = "windows"
    MACOS = "macos"
    LINUX = "linux"


@app.command("export")
def export(
    os_name: Annotated[
        ProbeOs | None,
        typer.Option("--os", help="The OS the script is for (PowerShell 5.1 or POSIX sh)."),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the script to FILE (default: stdout); with --intune-compliance, a folder.",
        ),
    ] = None,
    command_timeout: Annotated[
        int,
        typer.Option(
            "--command-timeout",
            min=1,
            help="Seconds each command may run on the PC before it is stopped (sh).",
        ),
    ] = 60,
    total_timeout: Annotated[
        int,
        typer.Option("--total-timeout", min=1, help="Seconds the whole script may run."),
    ] = 600,
    default_output: Annotated[
        str,
        typer.Option(
            "--default-output",
            help=(
                "Folder the script writes to when run without an argument (Intune runs "
                "scripts without arguments), e.g. a UNC share; `.` is the folder it runs in."
            ),
        ),
    ] = ".",
    group: Annotated[
        str | None,
        typer.Option(
            "--group",
            help=(
                "Host group written into every bundle (a 課 or site, e.g. 総務課), so that "
                "reports and `report weekly` break results down by it."
            ),
        ),
    ] = None,
    baseline: Annotated[
        str | None,
        typer.Option(
            "--baseline",
            "-b",
            help=(
                "Also run the reads of this baseline's rule checks (type: rule), so that "
                "`evaluate -b` with it can judge them; without it, the rules of "
                "jp-municipal-telework, the baseline scan uses, are read. With "
                "--intune-compliance: the baseline whose parameters the rules take."
            ),
        ),
    ] = None,
    intune_compliance: Annotated[
        bool,
        typer.Option(
            "--intune-compliance",
            help=(
                "Write an Intune custom compliance discovery script and its rules file "
                "(from the baseline's parameters) into the folder -o DIR."
            ),
        ),
    ] = False,
    more_info_url: Annotated[
        str | None,
        typer.Option(
            "--more-info-url",
            metavar="URL",
            help="With --intune-compliance: the page the Company Portal links (https://...).",
        ),
    ] = None,
) -> None:
    """Write a probe script that runs the tool's own probes and saves one bundle file.

    The script needs no admin rights, changes nothing on the PC and opens no network
    connection; it writes `endpoint-audit-<host>-<UTC time>.json` into the folder given
    as its argument (a share writable by computers, for example).

    Examples:

      endpoint-audit probe export --os windows -o endpoint-audit-probe.ps1

      endpoint-audit probe export --os windows --default-output '\\\\fs01\\audit$' -o probe.ps1

      endpoint-audit probe export --os linux -o probe.sh && sh probe.sh /mnt/audit-share

      endpoint-audit probe export --os windows --group 総務課 -o probe-soumu.ps1

      endpoint-audit probe export --os windows -b city-rules.yaml -o probe-rules.ps1

      endpoint-audit evaluate /mnt/audit-share -f html:fleet.html

      endpoint-audit probe export --intune-compliance -o intune/ --more-info-url https://intra.city.lg.jp/pc-audit
    """
    from endpoint_audit.engine.export import ExportOptions, export_script
    from endpoint_audit.engine.registry import load_registry
    from endpoint_audit.model.platform import OsFamily

    if intune_compliance:
        _intune(output, baseline, more_info_url, os_name)
        return
    if os_name is None:
        fail("--os is required: windows, macos or linux (or give --intune-compliance)")
    if total_timeout < command_timeout:
        fail("--total-timeout must be at least --command-timeout")
    try:
        options = ExportOptions(command_timeout, total_timeout, default_output)
    except ValueError as exc:
        fail(f"--default-output: {exc}")
    try:  # checked apart, so the error names the option at fault
        options = msgspec.structs.replace(options, group=group)
    except ValueError as exc:
        fail(f"--group: {exc}")
    from endpoint_audit.baseline.load import DEFAULT_BASELINE
    from endpoint_audit.engine.plan import load_plan_baseline, with_rules
    from endpoint_audit.errors import ConfigError

    registry = load_registry()
    try:  # the default baseline's rules too, so that `evaluate` judges them as a scan does
        registry = with_rules(registry, load_plan_baseline(baseline or DEFAULT_BASELINE, registry))
    except ConfigError as exc:
        fail(str(exc))
    write_output(output, export_script(registry, OsFamily(os_name.value), options))


def _intune(
    output: str | None, baseline: str | None, url: str | None, os_name: ProbeOs | None
) -> None:
    """--intune-compliance: the discovery script and the rules file, in folder -o DIR."""
    from pathlib import Path

    from endpoint_audit.cli.common import note, try_write_output
    from endpoint_audit.engine.intune import (
        RULES_NAME,
        SCRIPT_NAME,
        IntuneExportError,
        intune_export,
    )
    from endpoint_audit.engine.pipeline import DEFAULT_BASELINE
    from endpoint_audit.engine.plan import load_plan_baseline, make_plan
    from endpoint_audit.engine.registry import load_registry
    from endpoint_audit.errors import ConfigError

    if os_name not in (None, ProbeOs.WINDOWS):
        fail("--intune-compliance writes a Windows discovery script; drop --os or give windows")
    if output in (None, "-"):
        fail("--intune-compliance needs -o DIR: it writes two files, the script and its rules")
    if url is None or not url.startswith(("https://", "http://")) or not url.isprintable():
        fail("--intune-compliance needs --more-info-url https://...: the page users are sent to")
    folder = Path(output)
    if folder.exists() and not folder.is_dir():
        fail(f"-o {folder}: not a folder")
    registry = load_registry()
    try:
        plan = make_plan(load_plan_baseline(baseline or DEFAULT_BASELINE, registry), registry)
        export = intune_export(plan, url)
    except (ConfigError, IntuneExportError) as exc:
        fail(str(exc))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"-o {folder}: cannot create the folder: {exc.strerror or exc}")
    for name, text in ((SCRIPT_NAME, export.script), (RULES_NAME, export.rules_text)):
        problem = try_write_output(str(folder / name), text)
        if problem is not None:
            fail(problem, 4)
    count = len(export.rules.rules)
    note(f"wrote {folder / SCRIPT_NAME} and {folder / RULES_NAME} ({count} rules)")
    if export.left_out:
        # A rule says why: it reads secedit or a command, or compares with an
        # operator the script does not have (regex, versions, dates, sets).
        named = [
            f"{cid} ({export.left_out_why[cid]})" if cid in export.left_out_why else cid
            for cid in export.left_out
        ]
        note(
            "not in Intune (judge them with `probe export --os windows` and `evaluate`): "
            + ", ".join(named)
        )
