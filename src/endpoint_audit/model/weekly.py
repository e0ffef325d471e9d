"""The weekly report's content: plain data the history store yields and the weekly
renderers (HTML, Markdown, CSV) lay out. Texts from hosts are in it as they were
recorded (messages already in the report's language); renderers escape them.

Two views, each named where it is shown:
- per round: the trend, the latest round's figures and the breakdown by group come from
  the rounds themselves (an unreachable PC counts as not compliant);
- as last seen: open failures, their age, critical items, waivers, patch age and the
  deadline board use each PC's latest result that reached it, so a PC that could not be
  reached this week keeps its failures (unreachable is never fixed).
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from endpoint_audit.model.history import HistoryDiff, OpenFailure, RoundRow, StaleHost


class TrendPoint(BaseModel):
    round_id: int
    finished_at: datetime
    hosts: int
    reached: int
    compliant: int
    known: int  # PCs the store knew by then
    rate: float | None  # compliant / hosts of the round, percent
    coverage: float | None  # reached / known, percent
    partial: bool
    delta: float | None = None  # rate minus the previous point's rate (percentage points)


class CheckTrend(BaseModel):
    check_id: str
    title: str
    severity: str
    rates: list[float | None]  # per trend point
    current: float | None
    delta: float | None
    failing_hosts: int  # in the latest round


class Coverage(BaseModel):
    known: int
    seen: int  # reached within `stale_days`
    not_seen: int
    never_seen: int  # from an inventory: never in the store; or tried but never reached
    stale_days: int
    rate: float | None  # seen / known, percent
    in_latest_round: int  # PCs the latest round reached
    hosts: list[StaleHost]  # not seen, never-seen first


class Bucket(BaseModel):
    key: str  # label key under weekly.bucket.
    low: int
    high: int | None  # inclusive; None = and more
    count: int


class WaiverDue(BaseModel):
    host: str
    groups: list[str] = Field(default_factory=list)
    check: str
    resource: str
    expires: date
    days_left: int  # negative: expired that many days ago
    approver: str
    justification: str
    state: str  # in_force, expired, pending (as judged at the PC's latest audit)


class DeadlineItem(BaseModel):
    host: str
    groups: list[str] = Field(default_factory=list)
    check: str
    resource: str
    status: str
    message: str
    deadline: date | None = None
    days_left: int | None = None


class GroupRow(BaseModel):
    group: str
    hosts: int  # in the latest round
    reached: int
    compliant: int
    rate: float | None
    delta: float | None  # against the same group in the previous round
    failures: int  # counted failures in the latest round
    critical: int  # of them, critical items
    not_seen: int  # PCs of the group not reached for `stale_days`


class WorstHost(BaseModel):
    host: str
    groups: list[str] = Field(default_factory=list)
    failures: int
    critical: int
    oldest_days: int | None
    observed_at: datetime


class PatchAge(BaseModel):
    buckets: list[Bucket]
    unknown: int  # PCs whose last update time was not seen
    reboot_pending: int
    median_days: float | None


class RosterRow(BaseModel):
    """One PC, for the CSV: where it stands as last seen."""

    host: str
    groups: list[str] = Field(default_factory=list)
    os: str | None = None
    last_reached: datetime | None = None
    days_not_seen: int | None = None
    latest_round: str  # reached, unreachable, absent
    compliant: bool | None = None  # as last seen; None: never reached
    # None: never reached, so not known (never 0, which would sort as "no failures").
    failures: int | None = None
    critical: int | None = None
    oldest_failure_since: datetime | None = None
    patch_days: int | None = None
    reboot_pending: bool | None = None
    waivers_due: int | None = None


class WeeklyReport(BaseModel):
    lang: str
    as_of: datetime
    generated_at: datetime
    tool_version: str
    store: str
    stale_days: int
    expiring_days: int
    latest: RoundRow | None
    previous: RoundRow | None
    trend: list[TrendPoint]
    check_trends: list[CheckTrend]
    coverage: Coverage
    diff: HistoryDiff | None
    open_failures: int  # counted, as last seen
    waived_failures: int
    ageing: list[Bucket]
    oldest: list[OpenFailure]  # longest open first (the first `shown` of them)
    critical: list[OpenFailure]
    waivers_expiring: list[WaiverDue]
    waivers_expired: list[WaiverDue]
    # Ends of support the checks with the support_deadline role found. None: no such
    # finding in the store.
    support_deadlines: list[DeadlineItem] | None
    signatures: list[DeadlineItem] | None  # None: no antivirus findings in the store
    patch: PatchAge
    groups: list[GroupRow]
    worst_hosts: list[WorstHost]
    roster: list[RosterRow]
