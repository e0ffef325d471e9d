"""`endpoint-audit scan`: audit this machine (or recorded hosts) against a baseline."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from endpoint_audit.cli import interrupts
from endpoint_audit.cli.common import fail, resolve_lang, warn, write_output
from endpoint_audit.cli.fleet_scan import (
    AcceptNewOpt,
    ConcurrencyOpt,
    ConnectTimeoutOpt,
    FleetRequest,
    HostOpt,
    InventoryOpt,
    LimitOpt,
    OutputDirOpt,
    ResumeOpt,
    SudoOpt,
    fleet_options_given,
    run_fleet_scan,
    wants_fleet,
)
from endpoint_audit.cli.outputs import (
    OutputSpec,
    exit_after,
    parse_outputs,
    partial_info,
    render_outputs,
    say_interrupted,
)
from endpoint_audit.cli.progress import audit_progress
from endpoint_audit.cli.recorded import judged_at, load_recorded, replay_targets_of
from endpoint_audit.cli.store_opts import StoreOpt, add_to_store, check_store
from endpoint_audit.cli.waivers_opt import WaiversOpt, with_waiver_file
from endpoint_audit.engine.exit_policy import exit_code
from endpoint_audit.engine.plan import Plan, load_plan_baseline, make_plan
from endpoint_audit.engine.registry import load_registry
from endpoint_audit.engine.run import (
    HostRun,
    RunOptions,
    Target,
    build_report,
    local_target,
    run_targets,
)
from endpoint_audit.errors import ConfigError
from endpoint_audit.model import i18n
from endpoint_audit.model.result import HostReport, Severity

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
            "`-f terminal -f json:out.json -f html:out.html`. Default: terminal."
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
TimeoutOpt = Annotated[
    float, typer.Option("--timeout", min=1, help="Seconds each probe command may take.")
]


def split_ids(values: list[str] | None) -> list[str]:
    return [part.strip() for v in values or [] for part in v.split(",") if part.strip()]


def replay_targets(path: Path) -> list[Target]:
    return replay_targets_of(load_recorded(path))


def prepare_plan(
    baseline: str, only: list[str] | None, skip: list[str] | None, waivers: Path | None = None
) -> Plan:
    registry = load_registry()
    for problem in registry.problems:
        warn(f"plugin {problem.name} from {problem.distribution} not loaded: {problem.error}")
    loaded = load_plan_baseline(baseline, registry)
    plan = make_plan(loaded, registry, split_ids(only), split_ids(skip))
    return with_waiver_file(plan, waivers, registry) if waivers else plan


def execute(
    plan: Plan,
    targets: list[Target],
    options: RunOptions,
    on_done: object = None,
) -> tuple[list[HostRun], bool, datetime]:
    """Run the audit; on Ctrl-C or SIGTERM keep the hosts that finished. Returns (runs in
    input order, interrupted, started)."""
    started = datetime.now(UTC)
    finished: list[HostRun] = []

    def keep(run: HostRun) -> None:
        finished.append(run)
        if callable(on_done):
            on_done(run)

    interrupted = False
    try:
        interrupts.run_async(run_targets(targets, plan, options, keep))
    except KeyboardInterrupt:
        interrupted = True
    order = {t.name: i for i, t in enumerate(targets)}
    finished.sort(key=lambda r: order.get(r.report.target, 0))
    return finished, interrupted, started


def finish(
    plan: Plan,
    reports: list[HostReport],
    outputs: list[OutputSpec],
    lang: str,
    fail_on: Severity,
    started: datetime,
    interrupted: bool,
    planned: int = 0,
    store: Path | None = None,
    source: str = "scan",
) -> NoReturn:
    """Write every output (a partial report when interrupted), add the report to the
    history store when asked, and exit with the code that says what happened."""
    report = build_report(plan, reports, lang, started, datetime.now(UTC), fail_on)
    if interrupted:
        report.partial = partial_info(planned, len(reports))
    written = render_outputs(report, outputs, lang)
    problem = add_to_store(report, store, source, lang, interrupted)
    if problem is not None:
        written.failures.append(problem)
    if report.partial is not None:
        say_interrupted(lang, report.partial)
    exit_after(written, exit_code(report, fail_on), interrupted)


def scan(
    baseline: BaselineOpt = "jp-municipal-telework",
    format: FormatOpt = None,
    output: OutputOpt = None,
    only: OnlyOpt = None,
    skip: SkipOpt = None,
    fail_on: FailOnOpt = Severity.INFO,
    lang: LangOpt = None,
    replay: ReplayOpt = None,
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
    store: StoreOpt = None,
) -> None:
    """Audit this PC against a baseline and print a report.

    Examples:

      endpoint-audit scan                                  # this PC, default baseline

      endpoint-audit scan --lang ja -f json -o report.json

      endpoint-audit scan -b minimal --only ID,ID          # ids: `checks list`

      endpoint-audit scan --replay recorded/pc-0042.yaml

      endpoint-audit scan -i fleet.yaml --sudo -j 64 --output-dir audit-2026-04
    """
    language = resolve_lang(lang)
    outputs = parse_outputs(format, output)
    check_store(store)
    fleet = FleetRequest(
        list(host or []), list(inventory or []), limit, concurrency, sudo,
        accept_new_host_keys, connect_timeout, output_dir, resume,
    )  # fmt: skip
    if wants_fleet(fleet):
        if replay:
            fail("--replay judges recorded hosts; it cannot be combined with --host/--inventory")
        run_fleet_scan(
            fleet, baseline, lambda ref: prepare_plan(ref, only, skip, waivers), outputs, language,
            fail_on, timeout, history_store=store,
        )  # fmt: skip
    for option in fleet_options_given(fleet):  # a local or replayed scan: say what is unused
        key = "output_dir_ignored" if option == "--output-dir" else "fleet_option_ignored"
        warn(i18n.t(language, f"cli.outputs.{key}", option=option))
    try:
        plan = prepare_plan(baseline, only, skip, waivers)
        recorded = load_recorded(replay) if replay else []
        targets = replay_targets_of(recorded) if replay else [local_target()]
    except ConfigError as exc:
        fail(str(exc))
    # Recorded hosts are judged as of their collection, as `evaluate` judges them.
    options = RunOptions(lang=language, command_timeout=timeout, now=judged_at(recorded))
    what = (
        i18n.t(language, "cli.progress.recorded", count=len(targets))
        if replay
        else i18n.t(language, "cli.progress.this_pc")
    )
    with audit_progress(what, language):
        runs, interrupted, started = execute(plan, targets, options)
    source = f"scan --replay {replay}" if replay else "scan"
    finish(
        plan, [r.report for r in runs], outputs, language, fail_on, started, interrupted,
        len(targets), store, source,
    )  # fmt: skip


__all__ = ["scan", "write_output"]
