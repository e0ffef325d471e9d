"""Fleets: SSH hosts as targets, and one report for hosts judged with several baselines.

Hosts may follow different baselines (inventory `baseline` vars), so each host carries its
own plan (engine.pipeline); the run report lists every plan's checks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING

from endpoint_audit.engine.plan import Plan
from endpoint_audit.engine.run import Target, baseline_info, build_report
from endpoint_audit.model.result import HostReport, RunReport, Severity

if TYPE_CHECKING:  # every run's report is made here; only a fleet loads SSH
    from endpoint_audit.inventory import InventoryHost
    from endpoint_audit.transport.ssh import SshOptions


def ssh_target(host: InventoryHost, options: SshOptions) -> Target:
    from endpoint_audit.transport.ssh import SshEndpoint, SshTransport

    endpoint = SshEndpoint(
        host=host.address,
        port=host.port,
        user=host.user,
        identity_file=host.identity_file,
        sudo=host.sudo,
    )
    return Target(
        host.name,
        partial(SshTransport, host.name, endpoint, options),
        groups=host.groups,
        address=host.address,
        login=host.user,
    )


def fleet_report(
    plans: Sequence[Plan],
    hosts: Sequence[HostReport],
    lang: str,
    started: datetime,
    fail_on: Severity,
    host_plans: Mapping[str, Plan] | None = None,
) -> RunReport:
    """One report for the run: the first plan's baseline (the run's default), every
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


__all__ = ["fleet_report", "ssh_target"]
