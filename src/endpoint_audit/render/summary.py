"""Figures every human-facing report shares: per-check state of a host, scores, fleet rates.

The rule behind every figure (how findings roll up into a check, what counts as
compliant, waived, applicable) is `model.verdict`; this module only arranges it for
renderers: per host in report order, per check across the fleet, worst first. An
unreachable host has no score and counts as not compliant in the share of hosts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from endpoint_audit.model import i18n
from endpoint_audit.model.result import (
    Finding,
    HostReport,
    RunReport,
    Severity,
    Status,
    WaiverRef,
)
from endpoint_audit.model.verdict import (
    STATUS_ORDER,
    STATUS_RANK,
    Compliance,
    RunVerdict,
    check_verdict,
    compliance_of,
    counts_as_failure,
    effective_status,
    is_waived,
    report_compliance,
    run_verdict,
    waiver_in_force,
)

__all__ = [
    "STATUS_ORDER",
    "STATUS_RANK",
    "effective_status",
    "waiver_in_force",
]
SEVERITY_ORDER = (
    Severity.CRITICAL,
    Severity.HIGH,
    Severity.MEDIUM,
    Severity.LOW,
    Severity.INFO,
)


# The sentence and the short label of a waiver in each state.
WAIVER_NOTE_KEYS = {
    "in_force": "html.waiver_text",
    "expired": "html.waiver_text_expired",
    "pending": "html.waiver_text_pending",
}
WAIVER_LABEL_KEYS = {
    "in_force": "report.waived",
    "expired": "report.waiver_expired",
    "pending": "report.waiver_pending",
}


def waiver_day(day: str | None, waiver: WaiverRef) -> str:
    """A waiver's day with the zone it is judged in: `2026-03-31 (Asia/Tokyo)`."""
    if not day:
        return "-"
    return f"{day} ({waiver.timezone})" if waiver.timezone else day


def waiver_note(waiver: WaiverRef, lang: str) -> str:
    """One sentence: why the finding is waived and until when, or that it is not."""
    return i18n.t(
        lang,
        WAIVER_NOTE_KEYS[waiver.state],
        justification=waiver.justification,
        approver=waiver.approver,
        expires=waiver_day(waiver.expires, waiver),
        approved=waiver_day(waiver.approved, waiver),
    )


def waiver_label(waiver: WaiverRef, lang: str) -> str:
    return i18n.t(lang, WAIVER_LABEL_KEYS[waiver.state])


@dataclass(frozen=True)
class CheckState:
    """One check on one host."""

    check_id: str
    status: Status  # effective (waivers applied)
    waived: bool  # some finding is compliant only through a waiver in force
    findings: tuple[Finding, ...]

    @property
    def compliant(self) -> bool:
        return self.status is Status.PASS

    @property
    def applicable(self) -> bool:
        return self.status is not Status.NOT_APPLICABLE


def fold_check(check_id: str, findings: Sequence[Finding]) -> CheckState:
    verdict = check_verdict(findings)
    return CheckState(check_id, verdict.status, verdict.waived, tuple(findings))


@dataclass(frozen=True)
class HostSummary:
    index: int  # position in the report; anchors use it because host names are hostile
    host: HostReport
    checks: tuple[CheckState, ...]
    finding_counts: Counter[str]  # raw finding status -> count
    failed_by_severity: Counter[str]  # unwaived failures
    waived: int
    waiver_expired: int

    @property
    def anchor(self) -> str:
        return f"host-{self.index + 1}"

    @property
    def reachable(self) -> bool:
        return self.host.status == "ok"

    @property
    def compliance(self) -> Compliance:
        if not self.reachable:
            return Compliance(0, 0, 0, unreachable=1)
        return compliance_of(check_verdict(c.findings) for c in self.checks)

    @property
    def applicable(self) -> int:
        return self.compliance.applicable

    @property
    def compliant(self) -> int:
        return self.compliance.compliant

    @property
    def score(self) -> float | None:
        """Percent of applicable checks compliant; None when unreachable or nothing applies."""
        return self.compliance.percent

    @property
    def state(self) -> Status | None:
        """The worst check state; None for an unreachable host."""
        if not self.reachable:
            return None
        states = [c.status for c in self.checks] or [Status.ERROR]
        return min(states, key=STATUS_RANK.__getitem__)

    def sort_key(self) -> tuple[int, float, int, str]:
        """Worst hosts first: unreachable, then lowest score, most failures, then name."""
        if not self.reachable:
            return (0, 0.0, 0, self.host.target)
        score = self.score if self.score is not None else 100.0
        return (1, score, -sum(self.failed_by_severity.values()), self.host.target)


def summarize_host(index: int, host: HostReport, check_order: Sequence[str]) -> HostSummary:
    by_check: dict[str, list[Finding]] = {}
    for finding in host.findings:
        by_check.setdefault(finding.check_id, []).append(finding)
    order = {cid: i for i, cid in enumerate(check_order)}
    ids = sorted(by_check, key=lambda c: (order.get(c, len(order)), c))
    checks = tuple(fold_check(cid, by_check[cid]) for cid in ids)
    counts: Counter[str] = Counter(f.status.value for f in host.findings)
    failed: Counter[str] = Counter(f.severity.value for f in host.findings if f.counts_as_failure)
    return HostSummary(
        index=index,
        host=host,
        checks=checks,
        finding_counts=counts,
        failed_by_severity=failed,
        waived=sum(1 for f in host.findings if is_waived(f)),
        waiver_expired=sum(1 for f in host.findings if f.waiver and f.waiver.state == "expired"),
    )


@dataclass(frozen=True)
class CheckRate:
    """One check across the fleet."""

    check_id: str
    counts: Counter[str]  # effective check state -> hosts
    waived_hosts: int

    @property
    def applicable(self) -> int:
        return sum(n for s, n in self.counts.items() if s != Status.NOT_APPLICABLE.value)

    @property
    def compliant(self) -> int:
        return self.counts[Status.PASS.value]

    @property
    def rate(self) -> float | None:
        return 100.0 * self.compliant / self.applicable if self.applicable else None


@dataclass(frozen=True)
class ReportSummary:
    hosts: tuple[HostSummary, ...]  # report order
    check_rates: tuple[CheckRate, ...]  # baseline order
    finding_counts: Counter[str] = field(default_factory=Counter)
    failed_by_severity: Counter[str] = field(default_factory=Counter)
    waived: int = 0
    waiver_expired: int = 0

    @property
    def unreachable(self) -> int:
        return sum(1 for h in self.hosts if not h.reachable)

    @property
    def compliant_hosts(self) -> int:
        return sum(1 for h in self.hosts if h.reachable and h.state is Status.PASS)

    @property
    def compliance(self) -> Compliance:
        return report_compliance([h.host for h in self.hosts])

    @property
    def score(self) -> float | None:
        """Percent of applicable (host, check) pairs compliant across reachable hosts."""
        return self.compliance.percent

    @property
    def host_rate(self) -> float | None:
        """Percent of hosts fully compliant; unreachable hosts count as not compliant."""
        return 100.0 * self.compliant_hosts / len(self.hosts) if self.hosts else None

    def worst_first(self) -> list[HostSummary]:
        return sorted(self.hosts, key=HostSummary.sort_key)


def check_order(report: RunReport) -> list[str]:
    """Baseline order, then any check only the findings name (e.g. a merged report)."""
    ids = list(report.checks)
    seen = set(ids)
    for host in report.hosts:
        for finding in host.findings:
            if finding.check_id not in seen:
                seen.add(finding.check_id)
                ids.append(finding.check_id)
    return ids


def summarize(report: RunReport) -> ReportSummary:
    order = check_order(report)
    hosts = tuple(summarize_host(i, h, order) for i, h in enumerate(report.hosts))
    rates: list[CheckRate] = []
    for cid in order:
        counts: Counter[str] = Counter()
        waived = 0
        for host in hosts:
            for state in host.checks:
                if state.check_id == cid:
                    counts[state.status.value] += 1
                    waived += state.waived
        rates.append(CheckRate(cid, counts, waived))
    totals: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    for h in hosts:
        totals.update(h.finding_counts)
        failed.update(h.failed_by_severity)
    return ReportSummary(
        hosts=hosts,
        check_rates=tuple(rates),
        finding_counts=totals,
        failed_by_severity=failed,
        waived=sum(h.waived for h in hosts),
        waiver_expired=sum(h.waiver_expired for h in hosts),
    )


def format_percent(value: float | None) -> str:
    """`87.5%`, `100%`, or an em dash when there is nothing to score."""
    if value is None:
        return "—"
    text = f"{value:.1f}".removesuffix(".0")
    return f"{text}%"


def iter_findings(host: HostReport) -> Iterable[Finding]:
    """A host's findings, worst first, stable within a status."""
    return sorted(host.findings, key=lambda f: (STATUS_RANK[f.status], -f.severity.rank))


def verdict_parts(report: RunReport, lang: str) -> tuple[RunVerdict, str, str, list[str]]:
    """The run verdict, its label, the compliance sentence and the notes that qualify it
    (waived, unreachable, failures below --fail-on): the words every report uses."""
    verdict = run_verdict(report.hosts, report.fail_on)
    figure = report_compliance(report.hosts)
    sentence = i18n.t(
        lang,
        "report.verdict.score",
        score=format_percent(figure.percent),
        compliant=figure.compliant,
        applicable=figure.applicable,
        hosts=i18n.t(lang, "report.verdict.one_host")
        if figure.hosts == 1
        else i18n.t(lang, "report.verdict.hosts", count=figure.hosts),
    )
    extras: list[str] = []
    if figure.waived:
        extras.append(i18n.t(lang, "report.verdict.waived", count=figure.waived))
    if figure.unreachable:
        extras.append(i18n.t(lang, "report.verdict.unreachable", count=figure.unreachable))
    below = sum(
        1
        for h in report.hosts
        for f in h.findings
        if counts_as_failure(f) and not counts_as_failure(f, report.fail_on)
    )
    if below:
        severity = i18n.t(lang, f"report.severity.{report.fail_on.value}")
        extras.append(
            i18n.t(lang, "report.verdict.below_fail_on", count=below, severity=severity)
        )
    return verdict, i18n.t(lang, f"report.verdict.{verdict.value}"), sentence, extras
