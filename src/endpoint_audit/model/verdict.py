"""The one verdict policy: what a finding counts as, how a check's findings roll up on a
host, the compliance figure every report shows, and the verdict of a whole run. Pure.

Every report (terminal, HTML, Markdown, frameworks, `report merge` and `report diff`)
and the exit code take their figures from here, so no two outputs can disagree.

The rule (docs/reports.md, "The compliance figure"):

- A finding counts as its status, except that a `fail` or `unknown` under a waiver in
  force counts as `pass` and is flagged as waived. A waiver never covers `error` (a
  broken probe is not an accepted risk); an expired or pending one covers nothing.
- A check on a host is the worst of its findings, in the order fail, error, unknown,
  pass, not_applicable: one failing volume fails the check. A check whose findings are
  all not_applicable does not apply. A check with no finding at all is unknown.
- The compliance figure is `compliant / applicable` over (host, check) pairs of the
  reachable hosts: applicable = not not_applicable; compliant = pass (waived included).
  unknown and error are applicable and not compliant (not seen is not verified). An
  unreachable host is outside the figure and makes the run incomplete.
- The run verdict is the exit code's: `failed` when an unwaived failure is at or above
  `fail_on`; else `incomplete` when any unwaived unknown or any error remains, a host
  was unreachable, or there was no host; else `compliant`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from endpoint_audit.model.result import Finding, HostReport, Severity, Status

# Worst first.
STATUS_ORDER = (Status.FAIL, Status.ERROR, Status.UNKNOWN, Status.PASS, Status.NOT_APPLICABLE)
STATUS_RANK = {s: i for i, s in enumerate(STATUS_ORDER)}
WAIVABLE = frozenset({Status.FAIL, Status.UNKNOWN})


def waiver_in_force(finding: Finding) -> bool:
    """A waiver is attached and in force: not lapsed, not pending (approved for a later
    day). Others are kept only to be shown."""
    return finding.waiver is not None and finding.waiver.in_force


def is_waived(finding: Finding) -> bool:
    """The finding is compliant only through a waiver in force."""
    return finding.status in WAIVABLE and waiver_in_force(finding)


def effective_status(finding: Finding) -> Status:
    """What the finding counts as: a waived failure or unknown counts as pass."""
    return Status.PASS if is_waived(finding) else finding.status


def counts_as_failure(finding: Finding, fail_on: Severity = Severity.INFO) -> bool:
    return effective_status(finding) is Status.FAIL and finding.severity.rank >= fail_on.rank


@dataclass(frozen=True)
class CheckVerdict:
    """One check on one host, its findings rolled up."""

    status: Status  # effective: waivers applied
    waived: bool  # some finding is compliant only through a waiver in force

    @property
    def applicable(self) -> bool:
        return self.status is not Status.NOT_APPLICABLE

    @property
    def compliant(self) -> bool:
        return self.status is Status.PASS


def check_verdict(findings: Iterable[Finding]) -> CheckVerdict:
    found = list(findings)
    if not found:
        # Selected but never judged (no outcome recorded): nothing was seen.
        return CheckVerdict(Status.UNKNOWN, False)
    status = min((effective_status(f) for f in found), key=STATUS_RANK.__getitem__)
    return CheckVerdict(status, any(is_waived(f) for f in found))


@dataclass(frozen=True)
class Compliance:
    """The compliance figure: compliant (host, check) pairs of the applicable ones."""

    compliant: int
    applicable: int
    hosts: int  # reachable hosts counted
    unreachable: int = 0
    waived: int = 0  # compliant pairs that are compliant only through a waiver

    @property
    def percent(self) -> float | None:
        """None when nothing applicable was judged (no figure, rather than 100%)."""
        return 100.0 * self.compliant / self.applicable if self.applicable else None

    def __add__(self, other: Compliance) -> Compliance:
        return Compliance(
            self.compliant + other.compliant,
            self.applicable + other.applicable,
            self.hosts + other.hosts,
            self.unreachable + other.unreachable,
            self.waived + other.waived,
        )


def host_check_verdicts(host: HostReport) -> dict[str, CheckVerdict]:
    """Every check that reported on the host, in the order the findings name them."""
    by_check: dict[str, list[Finding]] = {}
    for finding in host.findings:
        by_check.setdefault(finding.check_id, []).append(finding)
    return {cid: check_verdict(found) for cid, found in by_check.items()}


def compliance_of(verdicts: Iterable[CheckVerdict], hosts: int = 1) -> Compliance:
    items = [v for v in verdicts if v.applicable]
    return Compliance(
        compliant=sum(1 for v in items if v.compliant),
        applicable=len(items),
        hosts=hosts,
        waived=sum(1 for v in items if v.compliant and v.waived),
    )


def host_compliance(host: HostReport) -> Compliance:
    if host.status != "ok":
        return Compliance(0, 0, 0, unreachable=1)
    return compliance_of(host_check_verdicts(host).values())


def report_compliance(hosts: Sequence[HostReport]) -> Compliance:
    total = Compliance(0, 0, 0)
    for host in hosts:
        total = total + host_compliance(host)
    return total


class RunVerdict(StrEnum):
    FAILED = "failed"
    INCOMPLETE = "incomplete"
    COMPLIANT = "compliant"


def run_verdict(hosts: Sequence[HostReport], fail_on: Severity = Severity.INFO) -> RunVerdict:
    """The verdict of a run; the exit code is this verdict (0, 1 or 3)."""
    incomplete = not hosts
    for host in hosts:
        if host.status != "ok":
            incomplete = True
        for finding in host.findings:
            if counts_as_failure(finding, fail_on):
                return RunVerdict.FAILED
            if effective_status(finding) in (Status.ERROR, Status.UNKNOWN):
                incomplete = True
    return RunVerdict.INCOMPLETE if incomplete else RunVerdict.COMPLIANT
