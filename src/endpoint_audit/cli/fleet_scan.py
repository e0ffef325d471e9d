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

from endpoint_audit.cli.common import err_console, fail
from endpoint_audit.cli.outputs import OutputSpec, render_outputs
from endpoint_audit.engine.exit_policy import ExitCode, exit_code
from endpoint_audit.engine.plan import Plan
from endpoint_audit.engine.run import HostRun, RunOptions
from endpoint_audit.errors import ConfigError
from endpoint_audit.model import i18n
from endpoint_audit.model.result import HostReport, Severity

if TYPE_CHECKING:  # loaded only for fleet scans: `--help` stays fast
    from rich.progress import Progress

    from endpoint_audit.engine.fleet import FleetHost, FleetStore
    from endpoint_audit.inventory import InventoryHost


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


def run_fleet_scan(
    request: FleetRequest,
    baseline: str,
    plan_for: Callable[[str], Plan],
    outputs: list[OutputSpec],
    lang: str,
    fail_on: Severity,
    command_timeout: float,
) -> NoReturn:
    """Audit the fleet, write each host as it finishes, then the fleet report; exit."""
    from endpoint_audit.engine.fleet import FleetHost, FleetStore, fleet_report, ssh_target
    from endpoint_audit.inventory import gather_hosts
    from endpoint_audit.transport.ssh import SshOptions

    if request.resume and request.output_dir is None:
        fail("--resume needs --output-dir (the folder of the run to resume)")
    try:
        hosts = gather_hosts(request.hosts, request.inventories, request.limit)
        plans = {ref: plan_for(ref) for ref in dict.fromkeys(h.baseline or baseline for h in hosts)}
        store = FleetStore(request.output_dir) if request.output_dir else None
    except ConfigError as exc:
        fail(str(exc))
    ssh_options = SshOptions(
        connect_timeout=request.connect_timeout,
        sudo=request.sudo,
        accept_new_host_keys=request.accept_new_host_keys,
    )
    kept: dict[str, HostReport] = {}
    todo: list[FleetHost] = []
    host_plan: dict[str, Plan] = {}
    for host in hosts:
        plan = plans[host.baseline or baseline]
        host_plan[host.name] = plan
        previous = store.completed(host.name, plan) if store and request.resume else None
        if previous is not None:
            kept[host.name] = previous
        else:
            todo.append(FleetHost(ssh_target(host, ssh_options), plan))
    if request.resume and store is not None:
        _note(
            i18n.t(
                lang,
                "fleet.progress.resumed",
                count=len(kept),
                folder=store.root,
                remaining=len(todo),
            )
        )
    options = RunOptions(
        lang=lang, command_timeout=command_timeout, concurrency=request.concurrency
    )
    started = datetime.now(UTC)
    finished, interrupted = _run_with_progress(todo, options, store, host_plan, lang, fail_on)
    reports = _in_inventory_order(hosts, {**kept, **finished})
    report = fleet_report(list(plans.values()), reports, lang, started, fail_on)
    if store is not None:
        store.save_fleet(report)
        _note(i18n.t(lang, "fleet.progress.saved", count=len(reports), folder=store.root))
    render_outputs(report, outputs, lang)
    if interrupted:
        _note(i18n.t(lang, "fleet.progress.interrupted", count=len(finished)))
        raise typer.Exit(ExitCode.INTERRUPTED)
    raise typer.Exit(exit_code(report, fail_on))


def _in_inventory_order(
    hosts: list[InventoryHost], reports: dict[str, HostReport]
) -> list[HostReport]:
    return [reports[h.name] for h in hosts if h.name in reports]


def _run_with_progress(
    todo: list[FleetHost],
    options: RunOptions,
    store: FleetStore | None,
    host_plan: dict[str, Plan],
    lang: str,
    fail_on: Severity,
) -> tuple[dict[str, HostReport], bool]:
    """Run the hosts; on Ctrl-C keep the finished ones. Returns (reports, interrupted)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from endpoint_audit.engine.fleet import run_fleet

    finished: dict[str, HostReport] = {}
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
        finished[report.target] = report  # the transcript is dropped: memory stays flat
        if store is not None:
            # fsync off the event loop: a slow disk must not stall every SSH session.
            plan = host_plan[report.target]
            await asyncio.to_thread(store.save_host, plan, report, lang, fail_on)
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

    interrupted = False
    try:
        if progress is not None:
            progress.start()
        asyncio.run(run_fleet(todo, options, done))
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if progress is not None:
            progress.stop()
    return finished, interrupted


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
    # Reasons can carry text a server sent: print it plainly, one line, no escapes.
    clean = "".join(c if c.isprintable() else "?" for c in line)
    sys.stderr.write(f"endpoint-audit: {clean}\n")
    sys.stderr.flush()


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
        help="Write each host's JSON report to DIR/hosts/ as it finishes, then DIR/fleet.json.",
    ),
]
ResumeOpt = Annotated[
    bool,
    typer.Option(
        "--resume", help="Skip hosts already audited in --output-dir; keep their reports."
    ),
]
