"""Fleet audits: many hosts over SSH, each host's report saved the moment it finishes.

Hosts may follow different baselines (inventory `baseline` vars), so each host carries its
own plan; one semaphore bounds the whole fleet. Only each host's `HostReport` is kept in
memory (transcripts are dropped once saved), so memory per host stays flat as fleets grow.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from pydantic import ValidationError

from endpoint_audit.atomic_file import write_atomically
from endpoint_audit.engine.plan import Plan
from endpoint_audit.engine.run import HostRun, RunOptions, Target, audit_host, build_report
from endpoint_audit.errors import ConfigError
from endpoint_audit.inventory import InventoryHost, safe_file_name
from endpoint_audit.model.result import HostReport, RunReport, Severity
from endpoint_audit.transport.ssh import SshEndpoint, SshOptions, SshTransport

HOSTS_DIR = "hosts"
FLEET_REPORT = "fleet.json"


@dataclass(frozen=True)
class FleetHost:
    """One host of the fleet and the plan (baseline) it is judged against."""

    target: Target
    plan: Plan


def ssh_target(host: InventoryHost, options: SshOptions) -> Target:
    endpoint = SshEndpoint(
        host=host.address,
        port=host.port,
        user=host.user,
        identity_file=host.identity_file,
        sudo=host.sudo,
    )
    return Target(host.name, partial(SshTransport, host.name, endpoint, options))


FleetCallback = Callable[[HostRun, bool], Awaitable[None] | None]


async def run_fleet(
    hosts: Sequence[FleetHost], options: RunOptions, on_host_done: FleetCallback
) -> None:
    """Audit every host, at most `options.concurrency` at once. `on_host_done(run,
    failed)` gets each host as it finishes; nothing else is kept here."""
    now = options.now or datetime.now(UTC)
    limit = asyncio.Semaphore(max(1, options.concurrency))

    async def one(host: FleetHost) -> None:
        async with limit:
            try:
                run = await audit_host(host.target, host.plan, options, now)
            except Exception as exc:  # the last guard: one host's bug never costs another
                report = HostReport(
                    target=host.target.name,
                    status="unreachable",
                    reason=f"{type(exc).__name__}: {exc}",
                )
                run = HostRun(report=report)
        maybe = on_host_done(run, run.report.status != "ok")
        if maybe is not None:
            await maybe

    await asyncio.gather(*(one(h) for h in hosts))


class FleetStore:
    """`--output-dir`: one JSON report per host under hosts/, and fleet.json for all."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.hosts_dir = root / HOSTS_DIR
        try:
            self.hosts_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"{root}: cannot create the output folder: {exc.strerror}") from exc

    def host_path(self, name: str) -> Path:
        return self.hosts_dir / f"{safe_file_name(name)}.json"

    def save_host(self, plan: Plan, report: HostReport, lang: str, fail_on: Severity) -> Path:
        started = report.started_at or datetime.now(UTC)
        finished = report.finished_at or datetime.now(UTC)
        single = build_report(plan, [report], lang, started, finished, fail_on)
        path = self.host_path(report.target)
        atomic_write(path, single.model_dump_json(indent=2) + "\n")
        return path

    def completed(self, name: str, plan: Plan) -> HostReport | None:
        """The saved report of a host that was audited (reached) under the same baseline
        version; None when it must run (again): missing, unreadable, unreachable last
        time, or judged against another baseline."""
        path = self.host_path(name)
        try:
            saved = RunReport.model_validate_json(path.read_bytes())
        except (OSError, ValidationError, ValueError):
            return None
        if len(saved.hosts) != 1 or saved.hosts[0].target != name:
            return None
        if saved.baseline.sha256 != plan.baseline.sha256:
            return None
        host = saved.hosts[0]
        return host if host.status == "ok" else None

    def save_fleet(self, report: RunReport) -> Path:
        path = self.root / FLEET_REPORT
        atomic_write(path, report.model_dump_json(indent=2) + "\n")
        return path


def atomic_write(path: Path, text: str) -> None:
    """A host or fleet report, written atomically (see atomic_file)."""
    write_atomically(path, text.encode("utf-8"))


def fleet_report(
    plans: Sequence[Plan],
    hosts: Sequence[HostReport],
    lang: str,
    started: datetime,
    fail_on: Severity,
) -> RunReport:
    """One report for the fleet: the first plan's baseline, every plan's checks."""
    report = build_report(plans[0], list(hosts), lang, started, datetime.now(UTC), fail_on)
    for plan in plans[1:]:
        for planned in plan.checks:
            report.checks.setdefault(planned.id, planned.info())
    return report


__all__ = [
    "FLEET_REPORT",
    "FleetHost",
    "FleetStore",
    "atomic_write",
    "fleet_report",
    "run_fleet",
    "ssh_target",
]
