"""`scan --host/--inventory`: audit many hosts over SSH from one workstation."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from endpoint_audit.cli import interrupts
from endpoint_audit.cli.common import err_console, fail, note, say, warn
from endpoint_audit.cli.outputs import (
    OutputSpec,
    exit_after,
    partial_info,
    render_outputs,
    say_interrupted,
)
from endpoint_audit.cli.store_opts import add_to_store
from endpoint_audit.engine.exit_policy import exit_code
from endpoint_audit.engine.plan import Plan
from endpoint_audit.engine.run import HostRun, RunOptions
from endpoint_audit.errors import ConfigError
from endpoint_audit.model import i18n
from endpoint_audit.model.printable import one_line
from endpoint_audit.model.result import HostReport, RunReport, Severity

if TYPE_CHECKING:  # loaded only for fleet scans: `--help` stays fast
    from rich.progress import Progress

    from endpoint_audit.engine.fleet import FleetHost, FleetStore
    from endpoint_audit.inventory import DuplicateHost, InventoryHost

# Duplicate inventory entries named one by one before the rest are counted.
MAX_DUPLICATE_LINES = 20


@dataclass(frozen=True)
class FleetRequest:
    hosts: list[str]
    inventories: list[Path]
    limit: str | None
    concurrency: int
    sudo: bool
    accept_new_host_keys: bool
    connect_timeout: float
    output_dir: Path | None
    resume: bool


@dataclass
class _Tally:
    total: int
    done: int = 0
    failed: int = 0
    started: float = field(default_factory=time.monotonic)


def wants_fleet(request: FleetRequest) -> bool:
    return bool(request.hosts or request.inventories)


# Defaults of the fleet-only options, as `scan` declares them.
FLEET_DEFAULTS = {"concurrency": 32, "connect_timeout": 15.0}


def fleet_options_given(request: FleetRequest) -> list[str]:
    """The fleet-only options a scan was given (they mean nothing without hosts)."""
    given = {
        "--output-dir": request.output_dir is not None,
        "--resume": request.resume,
        "--limit": request.limit is not None,
        "--concurrency": request.concurrency != FLEET_DEFAULTS["concurrency"],
        "--sudo": request.sudo,
        "--accept-new-host-keys": request.accept_new_host_keys,
        "--connect-timeout": request.connect_timeout != FLEET_DEFAULTS["connect_timeout"],
    }
    return [name for name, set_ in given.items() if set_]


def run_fleet_scan(
    request: FleetRequest,
    baseline: str,
    plan_for: Callable[[str], Plan],
    outputs: list[OutputSpec],
    lang: str,
    fail_on: Severity,
    command_timeout: float,
    history_store: Path | None = None,
) -> NoReturn:
    """Audit the fleet, write each host as it finishes, then the fleet report; exit."""
    from endpoint_audit.engine.fleet import FleetHost, FleetStore, fleet_report, ssh_target
    from endpoint_audit.inventory import gather_inventory
    from endpoint_audit.transport.ssh import SshOptions

    if request.resume and request.output_dir is None:
        fail("--resume needs --output-dir (the folder of the run to resume)")
    try:
        gathered = gather_inventory(request.hosts, request.inventories, request.limit)
        hosts = gathered.hosts
        # The run's own baseline first: it is the one the fleet report is headed by.
        refs = sorted(
            dict.fromkeys(h.baseline or baseline for h in hosts), key=lambda r: r != baseline
        )
        plans = {ref: plan_for(ref) for ref in refs}
        store = FleetStore(request.output_dir) if request.output_dir else None
    except ConfigError as exc:
        fail(str(exc))
    _warn_duplicates(gathered.duplicates, lang)
    host_plan = {host.name: plans[host.baseline or baseline] for host in hosts}
    if store is not None:
        _begin_run(store, request.resume, baseline, plans, fail_on, lang)
    kept = _resumed(store, hosts, host_plan, lang) if store and request.resume else {}
    ssh_options = SshOptions(
        connect_timeout=request.connect_timeout,
        sudo=request.sudo,
        accept_new_host_keys=request.accept_new_host_keys,
    )
    todo = [
        FleetHost(ssh_target(host, ssh_options), host_plan[host.name])
        for host in hosts
        if host.name not in kept
    ]
    options = RunOptions(
        lang=lang, command_timeout=command_timeout, concurrency=request.concurrency
    )
    started = datetime.now(UTC)
    run = _run_with_progress(todo, options, store, host_plan, lang, fail_on)
    reports = _in_inventory_order(hosts, {**kept, **run.finished})
    report = fleet_report(list(plans.values()), reports, lang, started, fail_on, host_plan)
    report.reused_hosts = [h.name for h in hosts if h.name in kept]
    if run.interrupted:
        report.partial = partial_info(len(hosts), len(reports))
    failures = list(run.failures)
    if store is not None:
        report.run_id = store.manifest.run_id if store.manifest else None
        failures += _save_fleet(store, report, lang)
    written = render_outputs(report, outputs, lang)
    written.failures[:0] = failures
    source = f"scan {request.output_dir or 'fleet'}"
    problem = add_to_store(report, history_store, source, lang, run.interrupted)
    if problem is not None:
        written.failures.append(problem)
    if report.partial is not None:
        say_interrupted(lang, report.partial)
    exit_after(written, exit_code(report, fail_on), run.interrupted)


def _warn_duplicates(duplicates: list[DuplicateHost], lang: str) -> None:
    """Hosts listed more than once (same settings): merged, each named once."""
    for dup in duplicates[:MAX_DUPLICATE_LINES]:
        warn(
            i18n.t(
                lang, "fleet.inventory.duplicate", host=dup.name, first=dup.first, again=dup.again
            )
        )
    if len(duplicates) > MAX_DUPLICATE_LINES:
        warn(
            i18n.t(
                lang, "fleet.inventory.duplicates_more", count=len(duplicates) - MAX_DUPLICATE_LINES
            )
        )


def _begin_run(
    store: FleetStore,
    resume: bool,
    baseline: str,
    plans: dict[str, Plan],
    fail_on: Severity,
    lang: str,
) -> None:
    """A new run (new id) in the folder, or with --resume the run its manifest records."""
    from endpoint_audit.engine.run_folder import RunParameters, plan_digest

    previous = store.load_previous() if resume else None
    if resume and previous is None:
        warn(i18n.t(lang, "fleet.resume.nothing", folder=store.root, reason=store.previous_problem))
    parameters = RunParameters(
        baseline=baseline,
        plans={ref: plan_digest(plan) for ref, plan in plans.items()},
        fail_on=fail_on.value,
        lang=lang,
    )
    try:
        store.begin(parameters, previous)
    except OSError as exc:
        fail(f"{store.manifest_path}: cannot write: {exc.strerror or exc}")


def _resumed(
    store: FleetStore,
    hosts: list[InventoryHost],
    host_plan: dict[str, Plan],
    lang: str,
) -> dict[str, HostReport]:
    """The saved reports --resume may reuse; every saved file it may not is named."""
    kept: dict[str, HostReport] = {}
    for host in hosts:
        decision = store.resumable(host.name, host_plan[host.name])
        if decision.report is not None:
            kept[host.name] = decision.report
        elif decision.reason is not None:
            _note(i18n.t(lang, "fleet.resume.not_reused", host=host.name, reason=decision.reason))
    run_id = store.manifest.run_id if store.manifest else ""
    _note(
        i18n.t(
            lang,
            "fleet.progress.resumed",
            count=len(kept),
            folder=store.root,
            remaining=len(hosts) - len(kept),
            run=run_id,
        )
    )
    return kept


def _save_fleet(store: FleetStore, report: RunReport, lang: str) -> list[str]:
    """fleet.json (or its partial sibling) and the final manifest; problems as lines."""
    failures: list[str] = []
    if report.hosts:
        try:
            path = store.save_fleet(report)
        except OSError as exc:
            where = store.fleet_path(report.partial is not None)
            failures.append(f"{where}: cannot write: {exc.strerror or exc}")
        else:
            _note(
                i18n.t(
                    lang,
                    "fleet.progress.saved",
                    count=len(report.hosts),
                    folder=store.root,
                    file=path.name,
                )
            )
    try:
        store.finish("interrupted" if report.partial is not None else "complete")
    except OSError as exc:
        failures.append(f"{store.manifest_path}: cannot write: {exc.strerror or exc}")
    for line in failures:
        say(f"error: {line}")
    return failures


def _in_inventory_order(
    hosts: list[InventoryHost], reports: dict[str, HostReport]
) -> list[HostReport]:
    return [reports[h.name] for h in hosts if h.name in reports]


@dataclass
class _FleetRun:
    finished: dict[str, HostReport] = field(default_factory=dict)
    interrupted: bool = False
    failures: list[str] = field(default_factory=list)  # host files not written


def _run_with_progress(
    todo: list[FleetHost],
    options: RunOptions,
    store: FleetStore | None,
    host_plan: dict[str, Plan],
    lang: str,
    fail_on: Severity,
) -> _FleetRun:
    """Run the hosts; on Ctrl-C or SIGTERM keep the finished ones. A host whose file
    cannot be saved (disk full, a folder in the way) keeps its result in the fleet
    report; the problem is one line, and the scan goes on."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from endpoint_audit.engine.fleet import run_fleet

    result = _FleetRun()
    tally = _Tally(total=len(todo))
    progress: Progress | None = None
    task = None
    if sys.stderr.isatty() and todo:
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]}"),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=err_console,
            transient=False,
        )
        task = progress.add_task(
            i18n.t(lang, "fleet.progress.label"),
            total=tally.total,
            failed=i18n.t(lang, "fleet.progress.failed", failed=0),
            rate="",
        )

    async def done(run: HostRun, failed: bool) -> None:
        report = run.report
        result.finished[report.target] = report  # the transcript is dropped: memory stays flat
        if store is not None:
            # fsync off the event loop: a slow disk must not stall every SSH session.
            plan = host_plan[report.target]
            try:
                await asyncio.to_thread(store.save_host, plan, report, lang, fail_on)
            except Exception as exc:  # disk full, a folder in the way, unencodable text
                store.forget_host(report.target)
                why = (
                    exc.strerror
                    if isinstance(exc, OSError) and exc.strerror
                    else f"{type(exc).__name__}: {exc}"
                )
                line = f"{store.host_path(report.target)}: cannot write: {why}"
                result.failures.append(line)
                _error(line, progress)
        tally.done += 1
        tally.failed += int(failed)
        elapsed = max(time.monotonic() - tally.started, 1e-6)
        if progress is not None and task is not None:
            progress.update(
                task,
                advance=1,
                failed=i18n.t(lang, "fleet.progress.failed", failed=tally.failed),
                rate=i18n.t(lang, "fleet.progress.rate", rate=tally.done / elapsed),
            )
        else:
            _note(_host_line(report, tally, lang))

    try:
        if progress is not None:
            progress.start()
        interrupts.run_async(run_fleet(todo, options, done))
    except KeyboardInterrupt:
        result.interrupted = True
    finally:
        if progress is not None:
            progress.stop()
    if store is not None:
        try:
            store.flush_manifest()
        except OSError as exc:
            line = f"{store.manifest_path}: cannot write: {exc.strerror or exc}"
            result.failures.append(line)
            _error(line, None)
    return result


def _error(line: str, progress: Progress | None) -> None:
    if progress is not None:
        progress.console.print(
            f"endpoint-audit: error: {one_line(line)}", markup=False, highlight=False
        )
    else:
        say(f"error: {line}")


def _host_line(report: HostReport, tally: _Tally, lang: str) -> str:
    if report.status != "ok":
        return i18n.t(
            lang,
            "fleet.progress.host_unreachable",
            done=tally.done,
            total=tally.total,
            host=report.target,
            reason=report.reason,
        )
    counts: dict[str, int] = {}
    for finding in report.findings:
        counts[finding.status.value] = counts.get(finding.status.value, 0) + 1
    text = ", ".join(
        f"{i18n.t(lang, f'fleet.status.{status}')} {n}" for status, n in sorted(counts.items())
    )
    return i18n.t(
        lang,
        "fleet.progress.host_ok",
        done=tally.done,
        total=tally.total,
        host=report.target,
        counts=text or i18n.t(lang, "fleet.progress.no_findings"),
        seconds=report.duration_seconds or 0.0,
    )


def _note(line: str) -> None:
    # Host names and reasons can carry text a server sent: one line, controls as escapes.
    note(line)


# Options of `scan` for fleets; scan_cmd declares them with these types.
HostOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--host",
        help="Audit this host over SSH: HOST, USER@HOST, HOST:PORT, [IPv6]:PORT (repeat).",
    ),
]
InventoryOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--inventory",
        "-i",
        help="Hosts from a file: YAML (hosts, groups, vars), Ansible YAML, or one host a line.",
    ),
]
LimitOpt = Annotated[
    str | None,
    typer.Option("--limit", help="Only hosts or groups matching these patterns (`kyoto*,!pc-9*`)."),
]
ConcurrencyOpt = Annotated[
    int, typer.Option("--concurrency", "-j", min=1, max=1024, help="Hosts audited at once.")
]
SudoOpt = Annotated[
    bool,
    typer.Option("--sudo", help="Run probes that need root as `sudo -n` (never asks a password)."),
]
AcceptNewOpt = Annotated[
    bool,
    typer.Option(
        "--accept-new-host-keys",
        help="Add unknown host keys to known_hosts (changed keys are still refused).",
    ),
]
ConnectTimeoutOpt = Annotated[
    float, typer.Option("--connect-timeout", min=1, help="Seconds to connect and log in.")
]
OutputDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--output-dir",
        help=(
            "Fleet scans: write each host's JSON report to DIR/hosts/ as it finishes, then "
            "DIR/fleet.json; DIR/manifest.json records the run and each file's sha256."
        ),
    ),
]
ResumeOpt = Annotated[
    bool,
    typer.Option(
        "--resume",
        help=(
            "Continue the run recorded in --output-dir: reuse the host reports its manifest "
            "lists (same files, same baseline); audit the others again."
        ),
    ),
]
