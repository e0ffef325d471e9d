"""The one verdict policy. Pure.

Whether a waiver is in force, what a finding counts as, how findings roll up per check,
per host and across the fleet, what makes a run incomplete, the compliance figure, the
run verdict (the exit code's), and what a diff may call fixed. Every renderer, the exit
code, `report merge`/`diff` and the history store ask this module; none of them decides
any of it again (tests/core/test_verdict_single_source.py fails when one does).

The rules (docs/reports.md, "The figures"; docs/baselines.md, "Waivers"):

- A waiver applies from its `approved` day through its `expires` day, whole days in its
  zone: before, it is pending; after, expired. Judging a host records that state in the
  report (`waiver.expired`, `waiver.pending`).
- As of when? A report's figures are as of the time its hosts were judged (the run's
  start for `scan`, the collection time for `evaluate` and `scan --replay`): the state
  recorded then. Rendering the report later gives the same figures. A waiver in force
  then whose `expires` day has passed by the time the report is read is *lapsed*: every
  human-facing format says so beside it and in the verdict notes, with what the verdict
  would be without it. With `as_of` (the reading time), the functions below give that
  second answer: a waiver counts only when it was in force when judged and still is.
  Nothing ever gains a waiver by being read later.
- A finding counts as its status, except that a `fail` or `unknown` under a waiver in
  force counts as `pass` and is waived. A waiver never covers `error`.
- A check on a host is the worst of its findings (fail, error, unknown, pass,
  not_applicable). A check with no finding at all is `unknown`: nothing was seen.
- The checks of a host are the report's checks (the run's selection) plus any its
  findings name; in a report whose hosts followed different baselines, only those its
  findings name (the report does not record which checks each baseline selected).
- A host is the worst of its checks; a reachable host with no check at all is `unknown`,
  and so is one whose every check is `not_applicable` (nothing verified: a baseline whose
  checks all target another OS, `--only` of checks that do not apply there).
  It is fully compliant when that is `pass`. An unreachable host has no state.
- The compliance figure is compliant / applicable over (host, check) pairs of reachable
  hosts; applicable = not not_applicable, compliant = pass (waived included).
- A run is incomplete when it has no host, a host was unreachable, the run was stopped
  (`partial`), a reachable host verified nothing (no check, or every check not
  applicable), a check of a reachable host has no finding, or any finding counts as
  unknown or error. Its verdict: failed when a counted failure is at or above `fail_on`,
  else incomplete, else compliant.
- Between two reports, a failure is fixed only when the newer one saw the resource
  conclusively not failing: it passed or did not apply, or the check ran with no unknown
  or error (waived or not: a waiver is not evidence) and no longer names it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from enum import StrEnum
from typing import overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from msgspec import Struct

from endpoint_audit.model.baseline import WaiverSpec
from endpoint_audit.model.result import (
    Finding,
    HostReport,
    RunReport,
    Severity,
    Status,
    WaiverRef,
)

# Worst first.
STATUS_ORDER = (Status.FAIL, Status.ERROR, Status.UNKNOWN, Status.PASS, Status.NOT_APPLICABLE)
STATUS_RANK = {s: i for i, s in enumerate(STATUS_ORDER)}
# An exception is approved for a failure, or for a check that cannot see (a PC whose
# BitLocker state is unreadable by policy); never for a broken probe.
WAIVABLE = frozenset({Status.FAIL, Status.UNKNOWN})
# Statuses that did not see everything.
INCONCLUSIVE = frozenset({Status.UNKNOWN, Status.ERROR})


def worst(statuses: Iterable[Status]) -> Status:
    """The worst of some statuses; `unknown` when there are none (nothing seen)."""
    return min(statuses, key=STATUS_RANK.__getitem__, default=Status.UNKNOWN)


# -- waivers ------------------------------------------------------------------------------


class WaiverState(StrEnum):
    IN_FORCE = "in_force"
    EXPIRED = "expired"
    PENDING = "pending"  # its approved day is later


class WaiverStanding(StrEnum):
    """What a report shows of a waiver when it is read: the state it was judged in, or
    `lapsed`: in force when judged, expired by the time the report is read."""

    IN_FORCE = "in_force"
    EXPIRED = "expired"
    PENDING = "pending"
    LAPSED = "lapsed"
    # In force, on a finding it cannot cover (an error: a broken probe is no accepted
    # risk). apply_waivers never attaches one there; an edited report may.
    NOT_COVERING = "not_covering"


def state_on(day: date, approved: date | None, expires: date) -> WaiverState:
    """In force from `approved` through `expires`, both whole days."""
    if approved is not None and day < approved:
        return WaiverState.PENDING
    return WaiverState.EXPIRED if day > expires else WaiverState.IN_FORCE


# The machine's own zone as a report records it: `local (JST, UTC+09:00)`.
_LOCAL_LABEL = re.compile(r"^local \(.*, UTC(?P<sign>[+-])(?P<hours>\d{2}):(?P<minutes>\d{2})\)$")


def recorded_zone(label: str | None) -> tzinfo:
    """The zone a recorded waiver's days are in: its IANA name, the fixed offset of a
    `local (…, UTC+09:00)` label, else UTC (a report that names no zone, or a name this
    machine's zoneinfo does not know)."""
    if label:
        match = _LOCAL_LABEL.match(label)
        if match:
            sign = -1 if match["sign"] == "-" else 1
            offset = timedelta(hours=int(match["hours"]), minutes=int(match["minutes"]))
            return timezone(sign * offset)
        try:
            return ZoneInfo(label)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return UTC


def _day(moment: datetime, zone: tzinfo | None) -> date:
    """The calendar day an aware time falls on in `zone` (None: this machine's)."""
    return moment.astimezone(zone).date()


def _recorded_days(waiver: WaiverRef) -> tuple[date | None, date] | None:
    try:
        expires = date.fromisoformat(waiver.expires)
        approved = date.fromisoformat(waiver.approved) if waiver.approved else None
    except ValueError:
        return None
    return approved, expires


@overload
def waiver_state(waiver: WaiverSpec, as_of: datetime) -> WaiverState: ...
@overload
def waiver_state(waiver: WaiverRef, as_of: datetime) -> WaiverState | None: ...
def waiver_state(waiver: WaiverSpec | WaiverRef, as_of: datetime) -> WaiverState | None:
    """The waiver's state at `as_of` (an aware time), from its days in its zone.

    For a waiver of a baseline or waiver file this is the judgement itself. For one
    recorded in a report it is the judgement made again at a later time (a report read
    after the audit); None when the recorded days cannot be read (an edited report)."""
    if isinstance(waiver, WaiverSpec):
        return state_on(_day(as_of, waiver.zone()), waiver.approved, waiver.expires)
    days = _recorded_days(waiver)
    if days is None:
        return None
    return state_on(_day(as_of, recorded_zone(waiver.timezone)), *days)


def recorded_waiver(
    state: WaiverState,
    *,
    justification: str,
    approver: str,
    expires: str,
    approved: str | None = None,
    timezone: str | None = None,
    waiver_id: str | None = None,
) -> WaiverRef:
    """A waiver judged in `state`, as a report keeps it. `expired` is true whenever it is
    not in force, so a reader that knows only `expired` stays safe."""
    return WaiverRef(
        id=waiver_id,
        justification=justification,
        approver=approver,
        expires=expires,
        expired=state is not WaiverState.IN_FORCE,
        pending=state is WaiverState.PENDING,
        approved=approved,
        timezone=timezone,
    )


def waiver_ref(spec: WaiverSpec, as_of: datetime) -> WaiverRef:
    """The record of judging `spec` at `as_of`."""
    return recorded_waiver(
        waiver_state(spec, as_of),
        waiver_id=spec.id,
        justification=spec.justification,
        approver=spec.approver,
        expires=spec.expires.isoformat(),
        approved=spec.approved.isoformat() if spec.approved else None,
        timezone=spec.zone_label(as_of),
    )


def judged_state(waiver: WaiverRef) -> WaiverState:
    """The state recorded when the host was judged: `pending` (not begun; such a waiver
    says `expired` as well), else `expired`, else in force."""
    if waiver.pending:
        return WaiverState.PENDING
    return WaiverState.EXPIRED if waiver.expired else WaiverState.IN_FORCE


def waiver_standing(waiver: WaiverRef, as_of: datetime | None = None) -> WaiverStanding:
    """The state to show: as judged, or `lapsed` when it was in force then and, read at
    `as_of`, its last day has passed (or its days cannot be read: nothing vouches that
    it still applies)."""
    judged = judged_state(waiver)
    if judged is WaiverState.IN_FORCE and as_of is not None:
        later = waiver_state(waiver, as_of)
        if later is None or later is WaiverState.EXPIRED:
            return WaiverStanding.LAPSED
    return WaiverStanding(judged.value)


def days_left(waiver: WaiverRef, as_of: datetime) -> int | None:
    """Whole days from `as_of` (in the waiver's zone) to its last day; negative once
    expired; None when its days cannot be read."""
    days = _recorded_days(waiver)
    if days is None:
        return None
    return (days[1] - _day(as_of, recorded_zone(waiver.timezone))).days


# -- findings -----------------------------------------------------------------------------


def finding_waiver(finding: Finding, as_of: datetime | None = None) -> WaiverStanding | None:
    """What the finding's waiver does for it, as every output shows it; None without one."""
    waiver = finding.waiver
    if waiver is None:
        return None
    standing = waiver_standing(waiver, as_of)
    if standing is WaiverStanding.IN_FORCE and finding.status not in WAIVABLE:
        return WaiverStanding.NOT_COVERING
    return standing


def waiver_in_force(finding: Finding, as_of: datetime | None = None) -> bool:
    """A waiver is attached and was in force when the host was judged (and, with
    `as_of`, still is then)."""
    waiver = finding.waiver
    return waiver is not None and waiver_standing(waiver, as_of) is WaiverStanding.IN_FORCE


def is_waived(finding: Finding, as_of: datetime | None = None) -> bool:
    """The finding is compliant only through a waiver in force."""
    return finding.status in WAIVABLE and waiver_in_force(finding, as_of)


def effective_status(finding: Finding, as_of: datetime | None = None) -> Status:
    """What the finding counts as: a waived failure or unknown counts as pass."""
    return Status.PASS if is_waived(finding, as_of) else finding.status


def counts_as_failure(
    finding: Finding, fail_on: Severity = Severity.INFO, as_of: datetime | None = None
) -> bool:
    """A failure no waiver covers, at or above `fail_on`."""
    return effective_status(finding, as_of) is Status.FAIL and finding.severity.rank >= fail_on.rank


def needs_attention(finding: Finding, as_of: datetime | None = None) -> bool:
    """Someone has to act: it fails, broke or could not see, and no waiver covers it."""
    return effective_status(finding, as_of) in (Status.FAIL, *INCONCLUSIVE)


# -- per check, per host, per fleet -------------------------------------------------------


class CheckRollup(Struct, frozen=True):
    """One check on one host, its findings rolled up."""

    status: Status  # effective: waivers applied; unknown when there is no finding
    waived: bool  # some finding is compliant only through a waiver in force
    findings: tuple[Finding, ...] = ()
    incomplete: bool = True  # no finding, or one counts as unknown or error
    conclusive: bool = False  # findings that all saw (no unknown or error, waived or not)

    @property
    def applicable(self) -> bool:
        return self.status is not Status.NOT_APPLICABLE

    @property
    def compliant(self) -> bool:
        return self.status is Status.PASS


def check_rollup(findings: Iterable[Finding], as_of: datetime | None = None) -> CheckRollup:
    found = tuple(findings)
    if not found:
        # Selected but never judged (no outcome recorded): nothing was seen.
        return CheckRollup(Status.UNKNOWN, False)
    effective = [effective_status(f, as_of) for f in found]
    return CheckRollup(
        status=worst(effective),
        waived=any(is_waived(f, as_of) for f in found),
        findings=found,
        incomplete=any(s in INCONCLUSIVE for s in effective),
        conclusive=all(f.status not in INCONCLUSIVE for f in found),
    )


NOT_SEEN = CheckRollup(Status.UNKNOWN, False)


class Compliance(Struct, frozen=True):
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


def compliance_of(checks: Iterable[CheckRollup], hosts: int = 1) -> Compliance:
    items = [c for c in checks if c.applicable]
    return Compliance(
        compliant=sum(1 for c in items if c.compliant),
        applicable=len(items),
        hosts=hosts,
        waived=sum(1 for c in items if c.compliant and c.waived),
    )


def one_baseline(report: RunReport) -> bool:
    """Every host followed the report's baseline, so the report's checks are each
    host's checks."""
    own = report.baseline.sha256
    return len(report.baselines) < 2 and all(h.baseline_sha256 in (None, own) for h in report.hosts)


def expected_checks(report: RunReport, host: HostReport) -> tuple[str, ...]:
    """The checks a host was judged on, in report order: the report's checks (when every
    host followed its baseline), then any other check its findings name."""
    named = dict.fromkeys(f.check_id for f in host.findings)
    if not one_baseline(report):
        return tuple(named)
    return tuple(dict.fromkeys([*report.checks, *named]))


class HostRollup(Struct, frozen=True):
    """One host: each of its checks rolled up, and what that makes the host."""

    host: HostReport
    checks: Mapping[str, CheckRollup]  # in the host's check order; empty when unreachable

    @property
    def reachable(self) -> bool:
        return self.host.status == "ok"

    def check(self, check_id: str) -> CheckRollup:
        """One check; `unknown` when the host was not reached or has no finding of it."""
        return self.checks.get(check_id, NOT_SEEN)

    @property
    def nothing_verified(self) -> bool:
        """Reached, with checks, but every one of them not applicable: nothing was
        verified there (a host with no check at all is `not self.checks`)."""
        return (
            self.reachable
            and bool(self.checks)
            and all(c.status is Status.NOT_APPLICABLE for c in self.checks.values())
        )

    @property
    def status(self) -> Status | None:
        """The worst check; `unknown` with no check at all or when nothing was verified
        (every check not applicable); None when unreachable."""
        if not self.reachable:
            return None
        if self.nothing_verified:
            return Status.UNKNOWN
        return worst(c.status for c in self.checks.values())

    @property
    def compliant(self) -> bool:
        """Fully compliant: reached, and every applicable check compliant."""
        return self.status is Status.PASS

    @property
    def incomplete(self) -> bool:
        if not self.reachable:
            return True
        return (
            not self.checks
            or self.nothing_verified
            or any(c.incomplete for c in self.checks.values())
        )

    @property
    def compliance(self) -> Compliance:
        if not self.reachable:
            return Compliance(0, 0, 0, unreachable=1)
        return compliance_of(self.checks.values())


def host_rollup(
    host: HostReport, checks: Sequence[str] = (), as_of: datetime | None = None
) -> HostRollup:
    """The host with `checks` (its expected checks; see `expected_checks`) rolled up;
    checks its findings name are added after them."""
    if host.status != "ok":
        return HostRollup(host, {})
    by_check: dict[str, list[Finding]] = {cid: [] for cid in checks}
    for finding in host.findings:
        by_check.setdefault(finding.check_id, []).append(finding)
    return HostRollup(host, {cid: check_rollup(found, as_of) for cid, found in by_check.items()})


class CheckAcrossFleet(Struct, frozen=True):
    """One check across the reachable hosts: hosts per effective state."""

    check_id: str
    counts: Counter[Status]
    waived_hosts: int

    @property
    def applicable(self) -> int:
        return sum(n for s, n in self.counts.items() if s is not Status.NOT_APPLICABLE)

    @property
    def compliant(self) -> int:
        return self.counts[Status.PASS]

    @property
    def rate(self) -> float | None:
        return 100.0 * self.compliant / self.applicable if self.applicable else None


class FleetRollup(Struct, frozen=True):
    hosts: tuple[HostRollup, ...]  # report order
    checks: tuple[CheckAcrossFleet, ...]  # report order, then checks only findings name
    partial: bool
    compliance: Compliance

    @property
    def unreachable(self) -> int:
        return sum(1 for h in self.hosts if not h.reachable)

    @property
    def compliant_hosts(self) -> int:
        return sum(1 for h in self.hosts if h.compliant)

    @property
    def incomplete(self) -> bool:
        return not self.hosts or self.partial or any(h.incomplete for h in self.hosts)


def check_order(report: RunReport) -> list[str]:
    """The report's checks, then any check only the findings name (a merged report)."""
    return list(
        dict.fromkeys([*report.checks, *(f.check_id for h in report.hosts for f in h.findings)])
    )


def fleet_rollup(report: RunReport, as_of: datetime | None = None) -> FleetRollup:
    hosts = tuple(host_rollup(h, expected_checks(report, h), as_of) for h in report.hosts)
    across: list[CheckAcrossFleet] = []
    for cid in check_order(report):
        counts: Counter[Status] = Counter()
        waived = 0
        for rolled in hosts:
            if cid in rolled.checks:
                state = rolled.checks[cid]
                counts[state.status] += 1
                waived += state.waived
        across.append(CheckAcrossFleet(cid, counts, waived))
    total = Compliance(0, 0, 0)
    for rolled in hosts:
        total = total + rolled.compliance
    return FleetRollup(hosts, tuple(across), report.partial is not None, total)


def report_compliance(report: RunReport, as_of: datetime | None = None) -> Compliance:
    return fleet_rollup(report, as_of).compliance


def is_incomplete(report: RunReport, as_of: datetime | None = None) -> bool:
    """No host, a host unreachable, the run stopped early, a reachable host that verified
    nothing, a check of a reachable host without a finding, or a finding that counts as
    unknown or error."""
    return fleet_rollup(report, as_of).incomplete


class RunVerdict(StrEnum):
    FAILED = "failed"
    INCOMPLETE = "incomplete"
    COMPLIANT = "compliant"


def run_verdict(
    report: RunReport, fail_on: Severity | None = None, as_of: datetime | None = None
) -> RunVerdict:
    """The verdict of a run (`fail_on`: the report's own when None); the exit code is
    this verdict (1, 3 or 0)."""
    threshold = report.fail_on if fail_on is None else fail_on
    for host in report.hosts:
        if any(counts_as_failure(f, threshold, as_of) for f in host.findings):
            return RunVerdict.FAILED
    return RunVerdict.INCOMPLETE if is_incomplete(report, as_of) else RunVerdict.COMPLIANT


def lapsed_waivers(report: RunReport, as_of: datetime | None) -> list[tuple[HostReport, Finding]]:
    """Findings whose waiver was in force when judged and has expired by `as_of`."""
    if as_of is None:
        return []
    return [
        (host, f)
        for host in report.hosts
        for f in host.findings
        if f.waiver is not None and waiver_standing(f.waiver, as_of) is WaiverStanding.LAPSED
    ]


# -- between two reports ------------------------------------------------------------------


class Seen(StrEnum):
    """What a later report says of a (host, check, resource) that failed before."""

    FAILING = "fail"  # a failure that counts
    WAIVED = "waived"  # fails, under a waiver in force
    CLEAR = "ok"  # conclusively not failing
    UNVERIFIED = "unverified"  # the host was reached, but the check could not tell
    UNSEEN = "unseen"  # the host was not reached, or is not in the report


def resource_state(
    reached: bool | None,
    status: Status | None,
    counted: bool,
    check_conclusive: bool | None,
) -> tuple[Seen, str | None]:
    """One resource in one report, and why it could not be told.

    `reached`: None when the host is not in the report. `status`: the finding's (None when
    the check named no such resource); `counted`: that failure counts (no waiver in force);
    `check_conclusive`: the check's findings on the host all saw (None: it did not run).
    Reasons: not_in_report, unreachable, unknown, error, not_checked, not_conclusive."""
    if reached is None:
        return Seen.UNSEEN, "not_in_report"
    if not reached:
        return Seen.UNSEEN, "unreachable"
    if status is not None:
        if status is Status.FAIL:
            return (Seen.FAILING if counted else Seen.WAIVED), None
        if status in INCONCLUSIVE:
            return Seen.UNVERIFIED, status.value
        return Seen.CLEAR, None
    if check_conclusive is None:
        return Seen.UNVERIFIED, "not_checked"
    return (Seen.CLEAR, None) if check_conclusive else (Seen.UNVERIFIED, "not_conclusive")
