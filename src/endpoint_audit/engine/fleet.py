"""Fleet audits: many hosts over SSH, each host's report saved the moment it finishes.

Hosts may follow different baselines (inventory `baseline` vars), so each host carries its
own plan; one semaphore bounds the whole fleet. Only each host's `HostReport` is kept in
memory (transcripts are dropped once saved), so memory per host stays flat as fleets grow.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from endpoint_audit.engine.plan import Plan
from endpoint_audit.engine.run import (
    HostRun,
    RunOptions,
    Target,
    audit_host,
    baseline_info,
    build_report,
)
from endpoint_audit.engine.run_folder import FLEET_REPORT, FleetStore
from endpoint_audit.inventory import InventoryHost
from endpoint_audit.model.result import HostReport, RunReport, Severity
from endpoint_audit.transport.ssh import SshEndpoint, SshOptions, SshTransport


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
    return Target(
        host.name, partial(SshTransport, host.name, endpoint, options), groups=host.groups
    )


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
                report.groups = list(host.target.groups)
                run = HostRun(report=report)
        maybe = on_host_done(run, run.report.status != "ok")
        if maybe is not None:
            await maybe

    await asyncio.gather(*(one(h) for h in hosts))


def fleet_report(
    plans: Sequence[Plan],
    hosts: Sequence[HostReport],
    lang: str,
    started: datetime,
    fail_on: Severity,
    host_plans: Mapping[str, Plan] | None = None,
) -> RunReport:
    """One report for the fleet: the first plan's baseline (the run's default), every
    plan's checks. When hosts followed different baselines, the report lists each of
    them (`baselines`) and every host names the one it was judged with."""
    report = build_report(plans[0], list(hosts), lang, started, datetime.now(UTC), fail_on)
    for plan in plans[1:]:
        for planned in plan.checks:
            report.checks.setdefault(planned.id, planned.info())
    infos = {p.baseline.sha256: p for p in plans}
    if len(infos) > 1:
        report.baselines = [baseline_info(p) for p in infos.values()]
        for host in report.hosts:
            used = (host_plans or {}).get(host.target)
            host.baseline_sha256 = used.baseline.sha256 if used is not None else None
    return report


__all__ = [
    "FLEET_REPORT",
    "FleetHost",
    "FleetStore",
    "fleet_report",
    "run_fleet",
    "ssh_target",
]
