"""patch_level: no pending security updates, a recent update, and no reboot left pending.

Three outcomes, one per resource: `pending_security_updates`, `days_since_update` and
`reboot_required`. Ages are measured against the run's start time (`ctx.now`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from pydantic import Field

from endpoint_audit.checks.base import Check, CheckMeta, CheckParams, EvalContext, FactView, Outcome
from endpoint_audit.model.facts import PatchFacts
from endpoint_audit.model.platform import OsFamily
from endpoint_audit.model.result import JsonScalar, Severity, Status

# An index older than this cannot vouch for "nothing pending": updates published since
# then are invisible to it. Distributions publish security updates several times a week.
MAX_INDEX_AGE = timedelta(days=7)
# A recorded time this far ahead of the run's clock is not believed (host clock wrong).
CLOCK_SLACK = timedelta(days=1)
NAMES_SHOWN = 10

RES_PENDING = "pending_security_updates"
RES_AGE = "days_since_update"
RES_REBOOT = "reboot_required"


class PatchLevelParams(CheckParams):
    max_pending_security_updates: int = Field(
        0, ge=0, description="Most security updates allowed to be waiting for installation."
    )
    max_days_since_update: int = Field(
        30, ge=0, description="Most days allowed since updates were last installed."
    )
    allow_reboot_pending: bool = Field(
        False, description="Pass when updates are installed but wait for a restart."
    )


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _days(since: datetime, now: datetime) -> int:
    """Whole days elapsed, rounded down (29.9 days is 29)."""
    return max(0, math.floor((_utc(now) - _utc(since)) / timedelta(days=1)))


def _names(names: tuple[str, ...], count: int) -> str:
    shown = ", ".join(names[:NAMES_SHOWN])
    more = count - min(len(names), NAMES_SHOWN)
    return f"{shown} (+{more})" if shown and more > 0 else shown or "-"


def pending_outcome(fact: PatchFacts, params: PatchLevelParams, now: datetime) -> Outcome:
    limit = params.max_pending_security_updates
    expected = {"max_pending_security_updates": limit}
    count = fact.pending_security_updates
    manager = fact.manager or "?"
    if count is None:
        return Outcome(
            status=Status.UNKNOWN,
            key="pending_unknown",
            args={"reason": fact.pending_unknown_reason or "not seen", "manager": manager},
            resource=RES_PENDING,
            expected=expected,
        )
    actual = {
        "pending_security_updates": count,
        "packages": list(fact.pending_security_names),
        "pending_updates": fact.pending_updates,
        "index_refreshed": fact.index_refreshed.isoformat() if fact.index_refreshed else None,
        "upgrades_offered": list(fact.pending_upgrades),
    }
    if count > limit:
        return Outcome(
            status=Status.FAIL,
            key="pending_fail",
            args={
                "count": count,
                "limit": limit,
                "names": _names(fact.pending_security_names, count),
                "manager": manager,
            },
            resource=RES_PENDING,
            expected=expected,
            actual=actual,
        )
    if fact.index_refreshed is not None:
        age = _utc(now) - _utc(fact.index_refreshed)
        if age > MAX_INDEX_AGE:
            # The count is only as new as the index: a stale one cannot vouch for it.
            return Outcome(
                status=Status.UNKNOWN,
                key="index_stale",
                args={
                    "count": count,
                    "days": _days(fact.index_refreshed, now),
                    "date": _utc(fact.index_refreshed).strftime("%Y-%m-%d"),
                    "max_days": MAX_INDEX_AGE.days,
                    "source": fact.index_source or "?",
                    "manager": manager,
                },
                resource=RES_PENDING,
                expected=expected,
                actual=actual,
            )
    return Outcome(
        status=Status.PASS,
        key="pending_pass",
        args={"count": count, "limit": limit, "manager": manager},
        resource=RES_PENDING,
        expected=expected,
        actual=actual,
    )


def age_outcome(fact: PatchFacts, params: PatchLevelParams, now: datetime) -> Outcome:
    limit = params.max_days_since_update
    expected = {"max_days_since_update": limit}
    if fact.last_update is None:
        return Outcome(
            status=Status.UNKNOWN,
            key="age_unknown",
            args={"reason": fact.last_update_unknown_reason or "not seen"},
            resource=RES_AGE,
            expected=expected,
        )
    when = _utc(fact.last_update)
    actual: dict[str, object] = {
        "last_update": when.isoformat(),
        "source": fact.last_update_source,
    }
    if when - _utc(now) > CLOCK_SLACK:
        return Outcome(
            status=Status.UNKNOWN,
            key="age_future",
            args={
                "date": when.strftime("%Y-%m-%d %H:%M UTC"),
                "source": fact.last_update_source or "?",
            },
            resource=RES_AGE,
            expected=expected,
            actual=actual,
        )
    days = _days(when, now)
    actual["days"] = days
    args: dict[str, JsonScalar] = {
        "days": days,
        "limit": limit,
        "date": when.strftime("%Y-%m-%d"),
        "source": fact.last_update_source or "?",
    }
    status = Status.FAIL if days > limit else Status.PASS
    key = "age_fail" if status is Status.FAIL else "age_pass"
    return Outcome(
        status=status, key=key, args=args, resource=RES_AGE, expected=expected, actual=actual
    )


def reboot_outcome(fact: PatchFacts, params: PatchLevelParams) -> Outcome:
    expected = {"allow_reboot_pending": params.allow_reboot_pending}
    actual = {"reboot_required": fact.reboot_required, "detail": fact.reboot_detail}
    detail = fact.reboot_detail or "-"
    if fact.reboot_required is None:
        return Outcome(
            status=Status.UNKNOWN,
            key="reboot_unknown",
            args={"reason": fact.reboot_unknown_reason or "not seen"},
            resource=RES_REBOOT,
            expected=expected,
            actual=actual,
        )
    if fact.reboot_required and not params.allow_reboot_pending:
        key, status = "reboot_fail", Status.FAIL
    elif fact.reboot_required:
        key, status = "reboot_allowed", Status.PASS
    else:
        key, status = "reboot_pass", Status.PASS
    return Outcome(
        status=status,
        key=key,
        args={"detail": detail},
        resource=RES_REBOOT,
        expected=expected,
        actual=actual,
    )


class PatchLevel(Check):
    meta = CheckMeta.from_catalog(
        "patch_level",
        severity=Severity.HIGH,
        platforms=(OsFamily.LINUX, OsFamily.MACOS, OsFamily.WINDOWS),
    )
    Params = PatchLevelParams
    requires = (PatchFacts,)

    def evaluate(
        self, facts: FactView, params: PatchLevelParams, ctx: EvalContext
    ) -> Iterable[Outcome]:
        fact = facts.get(PatchFacts)
        yield pending_outcome(fact, params, ctx.now)
        yield age_outcome(fact, params, ctx.now)
        yield reboot_outcome(fact, params)
