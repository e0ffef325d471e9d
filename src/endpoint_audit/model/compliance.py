"""Compliance per framework requirement, computed from a RunReport. Pure.

A baseline attaches references to its checks (MIC telework guideline category, municipal
policy guideline section, CIS item per OS). This module turns a report around: for each
requirement, which checks serve it and what they found on each host.

API (for renderers):

    for fw in framework_compliance(report):          # frameworks in a stable order
        fw.framework                                   # "mic_telework", "cis_windows11", ...
        for req in fw.requirements:                    # requirement ids in natural order
            req.id, req.title, req.checks              # checks that serve it
            req.hosts[host].verdict                    # rolled-up Verdict on that host
            req.hosts[host].checks[check_id]           # Verdict of one check on that host
            req.verdict                                # worst over all hosts
            req.counts                                 # hosts per Verdict

A check on a host rolls up as `model.verdict` says (one rule for every report); a check
compliant only through a waiver shows as `waived`. Requirements roll up their checks,
worst first: fail, error, unknown, waived, pass, not_applicable.

A requirement passes on a host only when every applicable check serving it passed; a waived
failure stays visible as `waived`; an unreachable host is `unknown` (nothing was seen).
A CIS item whose reference names platforms is not applicable on hosts of other OSes.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from enum import StrEnum

from msgspec import Struct, field

from endpoint_audit.model import verdict
from endpoint_audit.model.result import HostReport, Reference, RunReport, Status
from endpoint_audit.model.verdict import HostRollup


class Verdict(StrEnum):
    FAIL = "fail"
    ERROR = "error"
    UNKNOWN = "unknown"
    WAIVED = "waived"
    PASS = "pass"  # noqa: S105 - a verdict name, not a password
    NOT_APPLICABLE = "not_applicable"

    @property
    def rank(self) -> int:
        """Higher is worse."""
        return len(_ORDER) - _ORDER.index(self)


_ORDER = [
    Verdict.FAIL,
    Verdict.ERROR,
    Verdict.UNKNOWN,
    Verdict.WAIVED,
    Verdict.PASS,
    Verdict.NOT_APPLICABLE,
]

# Frameworks listed first, in this order; others follow alphabetically.
FRAMEWORK_ORDER = (
    "mic_telework",
    "municipal_policy",
    "cis_windows11",
    "cis_macos14",
    "cis_ubuntu2204",
    "cis_ubuntu2404",
)


def worst(verdicts: Iterable[Verdict]) -> Verdict:
    """The worst verdict; not_applicable when there is none."""
    return max(verdicts, key=lambda v: v.rank, default=Verdict.NOT_APPLICABLE)


def check_verdict(host: HostRollup, check_id: str) -> Verdict:
    """What one check found on one host, as model.verdict rolls it up (unknown on a host
    not reached or without a finding of it); compliant only through a waiver: `waived`."""
    rolled = host.check(check_id)
    if rolled.status is Status.PASS and rolled.waived:
        return Verdict.WAIVED
    return Verdict(rolled.status.value)


class HostCompliance(Struct, frozen=True):
    verdict: Verdict
    checks: dict[str, Verdict]


class RequirementCompliance(Struct, frozen=True):
    framework: str
    id: str
    title: str | None
    checks: tuple[str, ...]
    platforms: tuple[str, ...]  # OS families the requirement belongs to; empty = all
    hosts: dict[str, HostCompliance]  # by host target, in report order
    verdict: Verdict
    counts: dict[Verdict, int]


class FrameworkCompliance(Struct, frozen=True):
    framework: str
    requirements: tuple[RequirementCompliance, ...]
    counts: dict[Verdict, int]  # requirements per overall verdict


def _natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """'2.10.1' after '2.6.6', '18.10.9' after '9.3.2'; words after numbers."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", text) if part
    )


def _framework_key(name: str) -> tuple[int, str]:
    if name in FRAMEWORK_ORDER:
        return (FRAMEWORK_ORDER.index(name), name)
    return (len(FRAMEWORK_ORDER), name)


def _applies(platforms: tuple[str, ...], host: HostReport) -> bool:
    if not platforms or host.platform is None:
        return True
    return host.platform.family.value in platforms


class _Requirement(Struct):
    ref: Reference
    checks: list[str] = field(default_factory=list)
    platforms: set[str] = field(default_factory=set)
    everywhere: bool = False


def framework_compliance(report: RunReport) -> list[FrameworkCompliance]:
    """Compliance per framework requirement, from the references of the report's checks."""
    refs: dict[tuple[str, str], _Requirement] = {}
    for check_id, info in report.checks.items():
        for ref in info.references:
            req = refs.setdefault((ref.framework, ref.id), _Requirement(ref))
            if check_id not in req.checks:
                req.checks.append(check_id)
            # One reference without platforms makes the requirement apply everywhere.
            req.everywhere = req.everywhere or not ref.platforms
            req.platforms.update(ref.platforms)
    by_framework: dict[str, list[RequirementCompliance]] = {}
    rolled = verdict.fleet_rollup(report).hosts
    for (framework, req_id), req in refs.items():
        ref, checks = req.ref, req.checks
        platforms = () if req.everywhere else tuple(sorted(req.platforms))
        hosts: dict[str, HostCompliance] = {}
        for host, rollup in zip(report.hosts, rolled, strict=True):
            if not _applies(platforms, host):
                per_check = dict.fromkeys(checks, Verdict.NOT_APPLICABLE)
            else:
                per_check = {cid: check_verdict(rollup, cid) for cid in checks}
            hosts[host.target] = HostCompliance(worst(per_check.values()), per_check)
        counts = Counter(h.verdict for h in hosts.values())
        by_framework.setdefault(framework, []).append(
            RequirementCompliance(
                framework=framework,
                id=req_id,
                title=ref.title,
                checks=tuple(sorted(checks)),
                platforms=platforms,
                hosts=hosts,
                verdict=worst(h.verdict for h in hosts.values()),
                counts=dict(counts),
            )
        )
    out: list[FrameworkCompliance] = []
    for framework in sorted(by_framework, key=_framework_key):
        reqs = sorted(by_framework[framework], key=lambda r: _natural_key(r.id))
        out.append(
            FrameworkCompliance(
                framework=framework,
                requirements=tuple(reqs),
                counts=dict(Counter(r.verdict for r in reqs)),
            )
        )
    return out
