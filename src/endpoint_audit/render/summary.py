"""Figures every human-facing report shares: per-check state of a host, scores, fleet rates.

The rule behind every figure (how findings roll up into a check, what counts as
compliant, waived, applicable, incomplete) is `model.verdict`; this module only arranges
it for renderers: per host in report order, per check across the fleet, worst first,
and the words that state it. Figures are as of the judging time; `as_of` (the time the
report is read) only adds what has changed since: waivers that have lapsed.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from msgspec import Struct, field

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
    CheckAcrossFleet,
    CheckRollup,
    Compliance,
    HostRollup,
    RunVerdict,
    WaiverStanding,
    check_order,
    counts_as_failure,
    finding_waiver,
    fleet_rollup,
    is_waived,
    lapsed_waivers,
    run_verdict,
    waiver_standing,
)

__all__ = ["STATUS_ORDER", "STATUS_RANK", "check_order"]
SEVERITY_ORDER = (
    Severity.CRITICAL,
    Severity.HIGH,
    Severity.MEDIUM,
    Severity.LOW,
    Severity.INFO,
)


# The sentence and the short label of a waiver as it stands when the report is read.
WAIVER_NOTE_KEYS = {
    WaiverStanding.IN_FORCE: "html.waiver_text",
    WaiverStanding.EXPIRED: "html.waiver_text_expired",
    WaiverStanding.PENDING: "html.waiver_text_pending",
    WaiverStanding.LAPSED: "html.waiver_text_lapsed",
    WaiverStanding.NOT_COVERING: "html.waiver_text_not_covering",
}
WAIVER_LABEL_KEYS = {
    WaiverStanding.IN_FORCE: "report.waived",
    WaiverStanding.EXPIRED: "report.waiver_expired",
    WaiverStanding.PENDING: "report.waiver_pending",
    WaiverStanding.LAPSED: "report.waiver_lapsed",
    WaiverStanding.NOT_COVERING: "report.waiver_not_covering",
}


def waiver_day(day: str | None, waiver: WaiverRef) -> str:
    """A waiver's day with the zone it is judged in: `2026-03-31 (Asia/Tokyo)`."""
    if not day:
        return "-"
    return f"{day} ({waiver.timezone})" if waiver.timezone else day


def reading_day(as_of: datetime) -> str:
    """The day a report is read, as the notes about lapsed waivers name it (UTC)."""
    return as_of.strftime("%Y-%m-%d")


def waiver_note(finding: Finding, lang: str, as_of: datetime | None = None) -> str:
    """One sentence: why the finding is waived and until when, or that it is not (any
    more: a waiver that has lapsed since the audit says so); "" without a waiver."""
    waiver, standing = finding.waiver, finding_waiver(finding, as_of)
    if waiver is None or standing is None:
        return ""
    return i18n.t(
        lang,
        WAIVER_NOTE_KEYS[standing],
        justification=waiver.justification,
        approver=waiver.approver,
        expires=waiver_day(waiver.expires, waiver),
        approved=waiver_day(waiver.approved, waiver),
        today=reading_day(as_of) if as_of is not None else "",
    )


def waiver_label(finding: Finding, lang: str, as_of: datetime | None = None) -> str:
    """The short state of the finding's waiver ("waived", "waiver expired", ...)."""
    standing = finding_waiver(finding, as_of)
    return "" if standing is None else i18n.t(lang, WAIVER_LABEL_KEYS[standing])


class CheckState(Struct, frozen=True):
    """One check on one host (model.verdict's roll-up, with the check's id)."""

    check_id: str
    rollup: CheckRollup

    @property
    def status(self) -> Status:
        return self.rollup.status

    @property
    def waived(self) -> bool:
        return self.rollup.waived

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.rollup.findings

    @property
    def compliant(self) -> bool:
        return self.rollup.compliant

    @property
    def applicable(self) -> bool:
        return self.rollup.applicable

    @property
    def judged(self) -> bool:
        """False for a check of the host with no finding at all (it counts as unknown)."""
        return bool(self.rollup.findings)


class HostSummary(Struct, frozen=True):
    index: int  # position in the report; anchors use it because host names are hostile
    rollup: HostRollup
    checks: tuple[CheckState, ...]
    finding_counts: Counter[str]  # raw finding status -> count
    failed_by_severity: Counter[str]  # unwaived failures
    waived: int
    waiver_expired: int
    waiver_lapsed: int = 0  # in force when judged, expired by the time it is read

    @property
    def host(self) -> HostReport:
        return self.rollup.host

    @property
    def anchor(self) -> str:
        return f"host-{self.index + 1}"

    @property
    def reachable(self) -> bool:
        return self.rollup.reachable

    @property
    def compliance(self) -> Compliance:
        return self.rollup.compliance

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
        """The host as model.verdict rolls it up; None for an unreachable host."""
        return self.rollup.status

    @property
    def nothing_verified(self) -> bool:
        """Every check of the reached host was not applicable: it counts as unknown."""
        return self.rollup.nothing_verified

    @property
    def not_judged(self) -> list[str]:
        """Checks of the host without any finding."""
        return [c.check_id for c in self.checks if not c.judged]

    def sort_key(self) -> tuple[int, float, int, str]:
        """Worst hosts first: unreachable, then lowest score, most failures, then name."""
        if not self.reachable:
            return (0, 0.0, 0, self.host.target)
        score = self.score if self.score is not None else 100.0
        return (1, score, -sum(self.failed_by_severity.values()), self.host.target)


def summarize_host(index: int, rollup: HostRollup, as_of: datetime | None = None) -> HostSummary:
    host = rollup.host
    return HostSummary(
        index=index,
        rollup=rollup,
        checks=tuple(CheckState(cid, state) for cid, state in rollup.checks.items()),
        finding_counts=Counter(f.status.value for f in host.findings),
        failed_by_severity=Counter(f.severity.value for f in host.findings if counts_as_failure(f)),
        waived=sum(1 for f in host.findings if is_waived(f)),
        waiver_expired=sum(
            1
            for f in host.findings
            if f.waiver is not None and waiver_standing(f.waiver) is WaiverStanding.EXPIRED
        ),
        waiver_lapsed=sum(
            1
            for f in host.findings
            if f.waiver is not None and waiver_standing(f.waiver, as_of) is WaiverStanding.LAPSED
        ),
    )


class CheckRate(Struct, frozen=True):
    """One check across the reachable hosts of the fleet."""

    across: CheckAcrossFleet

    @property
    def check_id(self) -> str:
        return self.across.check_id

    @property
    def counts(self) -> Counter[str]:
        """Effective check state (its value) -> hosts."""
        return Counter({s.value: n for s, n in self.across.counts.items()})

    @property
    def waived_hosts(self) -> int:
        return self.across.waived_hosts

    @property
    def applicable(self) -> int:
        return self.across.applicable

    @property
    def compliant(self) -> int:
        return self.across.compliant

    @property
    def rate(self) -> float | None:
        return self.across.rate


class ReportSummary(Struct, frozen=True):
    hosts: tuple[HostSummary, ...]  # report order
    check_rates: tuple[CheckRate, ...]  # baseline order
    compliance: Compliance
    finding_counts: Counter[str] = field(default_factory=Counter)
    failed_by_severity: Counter[str] = field(default_factory=Counter)
    waived: int = 0
    waiver_expired: int = 0
    waiver_lapsed: int = 0

    @property
    def unreachable(self) -> int:
        return sum(1 for h in self.hosts if not h.reachable)

    @property
    def compliant_hosts(self) -> int:
        return sum(1 for h in self.hosts if h.rollup.compliant)

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


def summarize(report: RunReport, as_of: datetime | None = None) -> ReportSummary:
    fleet = fleet_rollup(report)
    hosts = tuple(summarize_host(i, h, as_of) for i, h in enumerate(fleet.hosts))
    totals: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    for h in hosts:
        totals.update(h.finding_counts)
        failed.update(h.failed_by_severity)
    return ReportSummary(
        hosts=hosts,
        check_rates=tuple(CheckRate(c) for c in fleet.checks),
        compliance=fleet.compliance,
        finding_counts=totals,
        failed_by_severity=failed,
        waived=sum(h.waived for h in hosts),
        waiver_expired=sum(h.waiver_expired for h in hosts),
        waiver_lapsed=sum(h.waiver_lapsed for h in hosts),
    )


def format_percent(value: float | None) -> str:
    """`87.5%`, `100%`, or an em dash when there is nothing to score."""
    if value is None:
        return "—"
    text = f"{value:.1f}".removesuffix(".0")
    return f"{text}%"


def verdict_parts(
    report: RunReport, lang: str, as_of: datetime | None = None
) -> tuple[RunVerdict, str, str, list[str]]:
    """The run verdict, its label, the compliance sentence and the notes that qualify it
    (waived, unreachable, not judged, nothing verified, failures below --fail-on, and,
    read at `as_of`, waivers lapsed since the audit with the verdict without them): the
    words every report uses."""
    verdict = run_verdict(report)
    fleet = fleet_rollup(report)
    figure = fleet.compliance
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
    not_judged = sum(1 for h in fleet.hosts for c in h.checks.values() if not c.findings)
    if not_judged:
        extras.append(i18n.t(lang, "report.verdict.not_judged", count=not_judged))
    # A reachable host with no check at all (nothing judged) is unknown: say why.
    empty = sum(1 for h in fleet.hosts if h.reachable and not h.checks)
    if empty:
        extras.append(i18n.t(lang, "report.verdict.no_findings", count=empty))
    # Every check not applicable on a reachable host: nothing verified, so unknown.
    unverified = sum(1 for h in fleet.hosts if h.nothing_verified)
    if unverified:
        extras.append(i18n.t(lang, "report.verdict.nothing_verified", count=unverified))
    below = sum(
        1
        for h in report.hosts
        for f in h.findings
        if counts_as_failure(f) and not counts_as_failure(f, report.fail_on)
    )
    if below:
        severity = i18n.t(lang, f"report.severity.{report.fail_on.value}")
        extras.append(i18n.t(lang, "report.verdict.below_fail_on", count=below, severity=severity))
    lapsed = lapsed_waivers(report, as_of)
    if lapsed and as_of is not None:
        later = run_verdict(report, as_of=as_of)
        extras.append(
            i18n.t(
                lang,
                "report.verdict.lapsed",
                count=len(lapsed),
                today=reading_day(as_of),
                verdict=i18n.t(lang, f"report.verdict.{later.value}"),
            )
        )
    return verdict, i18n.t(lang, f"report.verdict.{verdict.value}"), sentence, extras
