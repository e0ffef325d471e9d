"""`endpoint-audit scan`: audit this machine (or recorded hosts) against a baseline."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from msgspec import Struct

from endpoint_audit.cli.common import fail, resolve_lang, write_output
from endpoint_audit.cli.outputs import OutputSpec, parse_outputs
from endpoint_audit.cli.run_request import run_request
from endpoint_audit.cli.sign_opts import (
    PasswordFileOpt,
    PreviousRoundOpt,
    RoundOpt,
    SignOpt,
    signer,
)
from endpoint_audit.cli.ssh_opts import (
    AcceptNewOpt,
    ConcurrencyOpt,
    ConnectTimeoutOpt,
    HostOpt,
    InventoryOpt,
    LimitOpt,
    OutputDirOpt,
    ResumeOpt,
    ShardOpt,
    SshFlags,
    SudoOpt,
    shard_spec,
    warn_ignored,
)
from endpoint_audit.cli.store_opts import StoreOpt, check_store
from endpoint_audit.cli.waivers_opt import WaiversOpt
from endpoint_audit.model.result import Severity

if TYPE_CHECKING:
    from endpoint_audit.engine.pipeline import Outputs, Selection
    from endpoint_audit.signing.minisign import SecretKey

BaselineOpt = Annotated[
    str,
    typer.Option(
        "--baseline",
        "-b",
        help=(
            "Shipped baseline name (see `baseline list`), or a baseline file: a path with a "
            "separator or a .yaml/.yml name (`./city.yaml`). A bare name is always shipped."
        ),
    ),
]
FormatOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--format",
        "-f",
        help=(
            "Report format: terminal, json, html, junit, csv, markdown or frameworks (more "
            "with plugins). Repeat with a path to write several at once: "
            "`-f terminal -f json:out.json -f html:out.html`. Default: what the extension "
            "of -o names (.json, .html, .csv, .md, .xml for junit), else terminal."
        ),
    ),
]
OutputOpt = Annotated[
    str | None,
    typer.Option(
        "--output", "-o", help="Write the report to FILE instead of stdout (`-` = stdout)."
    ),
]
OnlyOpt = Annotated[
    list[str] | None,
    typer.Option("--only", help="Run only these check ids (repeat, or comma-separate)."),
]
SkipOpt = Annotated[
    list[str] | None,
    typer.Option("--skip", help="Do not run these check ids (repeat, or comma-separate)."),
]
FailOnOpt = Annotated[
    Severity,
    typer.Option(
        "--fail-on",
        case_sensitive=False,
        help="Exit 1 only for failed checks of this severity or higher (info: any failure).",
    ),
]
LangOpt = Annotated[
    str | None,
    typer.Option("--lang", help="Report language: ja or en (default: from the locale)."),
]
ReplayOpt = Annotated[
    Path | None,
    typer.Option(
        "--replay",
        help=(
            "Judge recorded hosts instead of this machine: a bundle file from `collect`, or a "
            "folder of them (one host per file)."
        ),
    ),
]
# As `history stale --days`: a PC silent for two weekly rounds is no longer current.
FOLDER_MAX_AGE = 14
ReplayMaxAgeOpt = Annotated[
    int | None,
    typer.Option(
        "--max-age",
        metavar="DAYS",
        min=0,
        help=(
            "With --replay: judge every check unknown on a host recorded more than DAYS "
            "days ago, dated more than a day ahead, or undated (0 or not given: no limit; "
            "results older than 14 days, dated ahead or undated are then judged as they "
            "were, and stderr says so), as `evaluate --max-age`."
        ),
        show_default=False,
    ),
]
TimeoutOpt = Annotated[
    float, typer.Option("--timeout", min=1, help="Seconds each probe command may take.")
]


def split_ids(values: list[str] | None) -> list[str]:
    return [part.strip() for v in values or [] for part in v.split(",") if part.strip()]


def selection(only: list[str] | None, skip: list[str] | None) -> Selection:
    from endpoint_audit.engine.pipeline import Selection

    return Selection(only=tuple(split_ids(only)), skip=tuple(split_ids(skip)))


class Signing(Struct, frozen=True):
    """--sign (the opened key), --round and --previous-round."""

    key: SecretKey | None = None
    round_id: str | None = None
    previous_round: Path | None = None


def report_outputs(
    outputs: list[OutputSpec],
    store: Path | None,
    source: str,
    run_folder: Path | None = None,
    resume: bool = False,
    signing: Signing | None = None,
) -> Outputs:
    """Where a scan or evaluation writes: its report formats, the run folder (fleets),
    and the history store; and whether each file written is signed."""
    from endpoint_audit.engine.pipeline import Outputs, ReportOutput

    signing = signing or Signing()
    return Outputs(
        reports=tuple(ReportOutput(o.format, o.path) for o in outputs),
        run_folder=run_folder,
        resume=resume,
        history_store=store,
        history_source=source,
        signer=signing.key,
        round_id=signing.round_id,
        previous_round=signing.previous_round,
    )


def scan(
    baseline: BaselineOpt = "jp-municipal-telework",
    format: FormatOpt = None,
    output: OutputOpt = None,
    only: OnlyOpt = None,
    skip: SkipOpt = None,
    fail_on: FailOnOpt = Severity.INFO,
    lang: LangOpt = None,
    replay: ReplayOpt = None,
    max_age: ReplayMaxAgeOpt = None,
    timeout: TimeoutOpt = 60.0,
    waivers: WaiversOpt = None,
    host: HostOpt = None,
    inventory: InventoryOpt = None,
    limit: LimitOpt = None,
    concurrency: ConcurrencyOpt = 32,
    sudo: SudoOpt = False,
    accept_new_host_keys: AcceptNewOpt = False,
    connect_timeout: ConnectTimeoutOpt = 15.0,
    output_dir: OutputDirOpt = None,
    resume: ResumeOpt = False,
    shard: ShardOpt = None,
    store: StoreOpt = None,
    sign: SignOpt = None,
    password_file: PasswordFileOpt = None,
    round_id: RoundOpt = None,
    previous_round: PreviousRoundOpt = None,
) -> None:
    """Audit this PC against a baseline (every check of `checks list`, and the baseline's
    rules) and print a report.

    Examples:

      endpoint-audit scan                                  # this PC, default baseline

      endpoint-audit scan --lang ja -f json -o report.json

      endpoint-audit scan -b minimal --only ID,ID          # ids: `checks list`

      endpoint-audit scan --replay recorded/pc-0042.yaml

      endpoint-audit scan -i fleet.yaml --sudo -j 64 --output-dir audit-2026-04

      endpoint-audit scan -i fleet.yaml --shard 2/8 --round 2026-W14 --output-dir slice-2
    """
    from endpoint_audit.engine.pipeline import RecordedHosts, RunOptions, RunRequest, ThisMachine

    language = resolve_lang(lang)
    outputs = parse_outputs(format, output)
    check_store(store)
    ssh = SshFlags(list(host or []), list(inventory or []), limit, concurrency, sudo,
                   accept_new_host_keys, connect_timeout)  # fmt: skip
    options = RunOptions(
        lang=language, command_timeout=timeout, concurrency=concurrency, fail_on=fail_on
    )
    chosen = selection(only, skip)
    slice_spec = shard_spec(shard, ssh.wanted)
    if previous_round is not None and output_dir is None:
        fail("--previous-round needs --output-dir (the round's manifest records the chain)")
    signing = Signing(signer(sign, password_file), round_id, previous_round)
    if max_age is not None and not replay:
        fail("--max-age judges recorded hosts by their age; it needs --replay")
    if ssh.wanted:
        if replay:
            fail("--replay judges recorded hosts; it cannot be combined with --host/--inventory")
        if resume and output_dir is None:
            fail("--resume needs --output-dir (the folder of the run to resume)")
        source = f"scan {output_dir or 'fleet'}"
        request = RunRequest(
            ssh.targets(slice_spec), baseline, waivers, chosen,
            report_outputs(outputs, store, source, output_dir, resume, signing), options,
        )  # fmt: skip
        run_request(request, "hosts")
    ignored = ["--output-dir"] * (output_dir is not None) + ["--resume"] * resume + ssh.given()
    warn_ignored(ignored, language)  # a scan of this PC or of recordings
    source = f"scan --replay {replay}" if replay else "scan"
    request = RunRequest(
        RecordedHosts(replay) if replay else ThisMachine(), baseline, waivers, chosen,
        report_outputs(outputs, store, source, signing=signing), options,
        max_age_days=max_age or None,
        age_note_days=FOLDER_MAX_AGE if max_age is None else None,
    )  # fmt: skip
    run_request(request, "spinner")


__all__ = ["scan", "write_output"]
