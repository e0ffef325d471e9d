"""What the `history` commands show: plain data read from the history store, in the
language asked for. Renderers (terminal, CSV) and JSON output take these as they are."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class RoundRow(BaseModel):
    """One audit round (one run: a fleet report, or reports sharing a run id)."""

    id: int
    run_id: str | None = None
    started_at: datetime
    finished_at: datetime
    source: str
    baseline: str  # "id version"
    baseline_sha256: str
    hosts: int  # hosts in the round, reached or not
    reached: int
    unreachable: int
    compliant: int  # reached and every applicable check compliant
    rate: float | None  # compliant / hosts, percent; unreachable hosts count as not compliant
    failures: int  # findings that count as failures
    partial: str | None = None  # why the round is incomplete (interrupted, terminated)
    hosts_planned: int | None = None
    reports: int = 1


class OpenFailure(BaseModel):
    """A failure as it stands in one observation, with how long it has been open."""

    host: str
    groups: list[str] = Field(default_factory=list)
    check_id: str
    check: str  # title in the language asked for
    resource: str
    severity: str
    failing_since: datetime
    days_open: int
    message: str
    waived: bool = False  # failing, but under a waiver in force
    observed_at: datetime | None = None


class HostRound(BaseModel):
    """One host in one round."""

    round_id: int
    at: datetime
    target: str  # the name the round's report gave it
    reached: bool
    reason: str | None = None
    os: str | None = None
    compliant: bool
    failures: int
    checks: dict[str, str] = Field(default_factory=dict)  # check id -> state (waived: "+w")


class HostTimeline(BaseModel):
    id: int
    name: str
    names: list[str]  # every name it had, newest first
    machine_id: str | None = None
    groups: list[str] = Field(default_factory=list)
    first_seen: datetime
    last_reached: datetime | None = None
    checks: dict[str, str] = Field(default_factory=dict)  # check id -> title
    rounds: list[HostRound]  # oldest first
    open_failures: list[OpenFailure]  # as of its latest reached observation


class CheckRound(BaseModel):
    round_id: int
    finished_at: datetime
    counts: dict[str, int]  # check state -> hosts
    waived: int
    applicable: int
    compliant: int
    rate: float | None


class CheckTimeline(BaseModel):
    check_id: str
    title: str
    severity: str | None = None
    rounds: list[CheckRound]
    failing: list[OpenFailure]  # in the latest round that ran the check


class Change(StrEnum):
    NEW = "new"  # fails in B, did not (or, unseen, was not yet failing) in A
    FIXED = "fixed"  # failed in A; B reached the host and saw it no longer failing
    STILL = "still_failing"  # failed in A (or since before A) and still fails in B
    WAIVED = "waived"  # failed in A; fails in B under a waiver in force
    UNVERIFIED = "not_verified"  # failed in A; B could not tell (unreachable, unknown...)


class DiffEntry(BaseModel):
    change: Change
    host: str
    groups: list[str] = Field(default_factory=list)
    check_id: str
    check: str
    resource: str
    severity: str
    status_before: str | None = None  # None: no such finding (or host not seen)
    status_after: str | None = None
    failing_since: datetime | None = None
    days_open: int | None = None
    message: str
    # not_verified: unreachable, not_in_round, unknown, error, not_checked, not_conclusive;
    # new: waiver_ended when the failure was there before under a waiver in force.
    reason: str | None = None


class HistoryDiff(BaseModel):
    round_a: RoundRow
    round_b: RoundRow
    baseline_changed: bool
    entries: list[DiffEntry]
    counts: dict[str, int]


class StaleHost(BaseModel):
    host: str
    names: list[str] = Field(default_factory=list)
    groups: list[str] = Field(default_factory=list)
    last_reached: datetime | None = None  # None: never reached (or, from an inventory, never seen)
    days: int | None = None
    last_observed: datetime | None = None
    last_state: str | None = None  # "unreachable" (tried, not reached) or "ok"; None: never seen
    reason: str | None = None  # why its latest attempt failed


class StaleReport(BaseModel):
    as_of: datetime
    days: int
    known: int  # hosts considered (the store's, or the inventory's)
    hosts: list[StaleHost]


class PruneResult(BaseModel):
    rounds: list[RoundRow]  # removed (or, with --dry-run, that would be)
    hosts_forgotten: list[str]  # hosts left without any round
    dry_run: bool
    bytes_before: int
    bytes_after: int


class StoreInfo(BaseModel):
    path: str
    schema_version: int
    bytes: int
    journal_mode: str
    rounds: int
    hosts: int
    observations: int
    findings: int
    first_round: datetime | None = None
    last_round: datetime | None = None
