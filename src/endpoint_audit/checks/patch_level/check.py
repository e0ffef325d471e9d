"""patch_level: no pending security updates, a recent update, and no reboot left pending.

Three outcomes, one per resource: `pending_security_updates`, `days_since_update` and
`reboot_required`; on Windows a fourth, `monthly_update`: the build and UBR against the
table of monthly cumulative updates (model/windows_releases.py). Ages are measured against
the run's start time (`ctx.now`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, Field

from endpoint_audit.checkkit.check import (
    Check,
    CheckMeta,
    CheckParams,
    EvalContext,
    FactView,
    Outcome,
)
from endpoint_audit.checks.patch_level.facts import PatchFacts
from endpoint_audit.model.observed import Reason, Unknown
from endpoint_audit.model.result import JsonScalar, Status

if TYPE_CHECKING:
    # Imported where a Windows build is judged: its models are a few milliseconds of
    # every other scan's start.
    from endpoint_audit.checks.patch_level.releases import ReleaseTable, ReleaseTableError

# An index older than this cannot vouch for "nothing pending": updates published since
# then are invisible to it. Distributions publish security updates several times a week.
MAX_INDEX_AGE = timedelta(days=7)
# A recorded time this far ahead of the run's clock is not believed (host clock wrong).
CLOCK_SLACK = timedelta(days=1)
NAMES_SHOWN = 10

RES_PENDING = "pending_security_updates"
RES_AGE = "days_since_update"
RES_REBOOT = "reboot_required"
RES_BUILD = "monthly_update"
WINDOWS_UPDATE = "windows_update"


# Windows, macOS and the distributions ship security updates at least monthly, and CIS
# Controls v8 safeguard 7.3 asks for OS updates "on a monthly, or more frequent, basis".
# Three months is three monthly updates missed; beyond that an age limit hardly ever
# fails (10**6 days never does).
MAX_UPDATE_DAYS = 90


def _days_at_most(what: str) -> Callable[[int], int]:
    def check(days: int) -> int:
        if days > MAX_UPDATE_DAYS:
            raise ValueError(
                f"{days} days would pass {what} for months (updates ship monthly, CIS "
                f"Controls 7.3); write at most {MAX_UPDATE_DAYS}"
            )
        return days

    return check


UpdateDays = Field(ge=0, json_schema_extra={"maximum": MAX_UPDATE_DAYS})


class PatchLevelParams(CheckParams):
    max_pending_security_updates: int = Field(0, ge=0)
    max_days_since_update: Annotated[
        int, UpdateDays, AfterValidator(_days_at_most("a PC left without updates"))
    ] = 30
    allow_reboot_pending: bool = False
    monthly_update_grace_days: Annotated[
        int, UpdateDays, AfterValidator(_days_at_most("a monthly update left uninstalled"))
    ] = 30


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _shown(value: Reason | str | None) -> object:
    """A fact's text as a finding's data: a catalog text's arguments, the same in every
    language (names and values as they are)."""
    return dict(value.args) if isinstance(value, Reason) else value


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
    manager = fact.manager or "?"
    if isinstance(fact.pending_security_updates, Unknown):
        return Outcome(
            status=Status.UNKNOWN,
            key="pending_unknown",
            args={"reason": fact.pending_security_updates.reason, "manager": manager},
            resource=RES_PENDING,
            expected=expected,
        )
    count = fact.pending_security_updates.value
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
    if fact.pending_incomplete:
        # The search's results might be incomplete: a count within the limit proves nothing.
        # apt: a recording with the candidates only, other updates waiting (linux.py).
        return Outcome(
            status=Status.UNKNOWN,
            key="pending_incomplete_apt" if fact.manager == "apt" else "pending_incomplete",
            args={"count": count, "limit": limit, "manager": manager},
            resource=RES_PENDING,
            expected=expected,
            actual={**actual, "incomplete": True},
        )
    # A WSUS or Windows Update for Business PC lists only what its source offers.
    managed: dict[str, JsonScalar] = {}
    suffix = ""
    if fact.managed_by:
        actual["managed_by"] = fact.managed_by
        actual["managed_detail"] = fact.managed_detail
        managed = {"managed_by": fact.managed_by, "managed_detail": fact.managed_detail or "-"}
        suffix = "_managed"
    if fact.index_refreshed is not None:
        age = _utc(now) - _utc(fact.index_refreshed)
        if -age > CLOCK_SLACK:
            # Refreshed "in the future": the clock was wrong when it was written, so when
            # the list was really fetched is unknown, and it cannot vouch for "none waiting".
            return Outcome(
                status=Status.UNKNOWN,
                key="index_future",
                args={
                    "count": count,
                    "date": _utc(fact.index_refreshed).strftime("%Y-%m-%d %H:%M UTC"),
                    "source": fact.index_source or "?",
                    "manager": manager,
                },
                resource=RES_PENDING,
                expected=expected,
                actual=actual,
            )
        if age > MAX_INDEX_AGE:
            # The count is only as new as the index: a stale one cannot vouch for it.
            return Outcome(
                status=Status.UNKNOWN,
                key="index_stale" + suffix,
                args={
                    "count": count,
                    "days": _days(fact.index_refreshed, now),
                    "date": _utc(fact.index_refreshed).strftime("%Y-%m-%d"),
                    "max_days": MAX_INDEX_AGE.days,
                    "source": fact.index_source or "?",
                    "manager": manager,
                    **managed,
                },
                resource=RES_PENDING,
                expected=expected,
                actual=actual,
            )
    return Outcome(
        status=Status.PASS,
        key="pending_pass" + suffix,
        args={"count": count, "limit": limit, "manager": manager, **managed},
        resource=RES_PENDING,
        expected=expected,
        actual=actual,
    )


def age_outcome(fact: PatchFacts, params: PatchLevelParams, now: datetime) -> Outcome:
    limit = params.max_days_since_update
    expected = {"max_days_since_update": limit}
    if isinstance(fact.last_update, Unknown):
        return Outcome(
            status=Status.UNKNOWN,
            key="age_unknown",
            args={"reason": fact.last_update.reason},
            resource=RES_AGE,
            expected=expected,
        )
    when = _utc(fact.last_update.value)
    actual: dict[str, object] = {
        "last_update": when.isoformat(),
        "source": _shown(fact.last_update_source),
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
    args: dict[str, JsonScalar | Reason] = {
        "days": days,
        "limit": limit,
        "date": when.strftime("%Y-%m-%d"),
        "source": fact.last_update_source or "?",
    }
    unlisted = fact.newest_unlisted_update
    if days > limit and unlisted is not None and _days(unlisted, now) <= limit:
        # Installed since: an update the release table does not list. It may be a newer
        # cumulative update than the table knows; without a newer table, not a failure.
        actual["newest_unlisted_update"] = _utc(unlisted).isoformat()
        return Outcome(
            status=Status.UNKNOWN,
            key="age_unlisted",
            args={
                **args,
                "unlisted": fact.newest_unlisted_update_id or "?",
                "unlisted_date": _utc(unlisted).strftime("%Y-%m-%d"),
            },
            resource=RES_AGE,
            expected=expected,
            actual=actual,
        )
    status = Status.FAIL if days > limit else Status.PASS
    key = "age_fail" if status is Status.FAIL else "age_pass"
    return Outcome(
        status=status, key=key, args=args, resource=RES_AGE, expected=expected, actual=actual
    )


def reboot_outcome(fact: PatchFacts, params: PatchLevelParams) -> Outcome:
    expected = {"allow_reboot_pending": params.allow_reboot_pending}
    detail: JsonScalar | Reason = fact.reboot_detail or "-"
    # The values that show it, the same in every language (a catalog text's arguments).
    shown = _shown(fact.reboot_detail)
    if isinstance(fact.reboot_required, Unknown):
        return Outcome(
            status=Status.UNKNOWN,
            key="reboot_unknown",
            args={"reason": fact.reboot_required.reason},
            resource=RES_REBOOT,
            expected=expected,
            actual={"reboot_required": None, "detail": shown},
        )
    required = fact.reboot_required.value
    actual = {"reboot_required": required, "detail": shown}
    args: dict[str, JsonScalar | Reason] = {"detail": detail}
    if required and not params.allow_reboot_pending:
        key, status = "reboot_fail", Status.FAIL
    elif required:
        key, status = "reboot_allowed", Status.PASS
    elif fact.pending_file_renames:
        # Set routinely by installers and antivirus: recorded, not a pending restart.
        key, status = "reboot_pass_renames", Status.PASS
        args["renames"] = fact.pending_file_renames
    else:
        key, status = "reboot_pass", Status.PASS
    return Outcome(
        status=status,
        key=key,
        args=args,
        resource=RES_REBOOT,
        expected=expected,
        actual=actual,
    )


def _build_and_ubr(os_build: str) -> tuple[int, int] | None:
    parts = os_build.split(".")
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        return int(parts[0]), int(parts[1])
    return None


def build_outcome(
    fact: PatchFacts,
    params: PatchLevelParams,
    now: datetime,
    table: ReleaseTable | ReleaseTableError,
) -> Outcome:
    """Windows: has the PC (build.UBR) every monthly cumulative update released more than
    `monthly_update_grace_days` ago? Judged against the release table; a build the table
    does not know, or a table too old to cover the period, is unknown, never a pass."""
    grace = params.monthly_update_grace_days
    expected: dict[str, object] = {"monthly_update_grace_days": grace}

    def outcome(
        status: Status, key: str, actual: object = None, **args: JsonScalar | Reason
    ) -> Outcome:
        return Outcome(
            status=status,
            key=key,
            args=args,
            resource=RES_BUILD,
            expected=expected,
            actual=actual,
        )

    from endpoint_audit.checks.patch_level.releases import ReleaseTableError

    if isinstance(table, ReleaseTableError):
        return outcome(Status.ERROR, "build_table_error", reason=str(table))
    label, as_of = table.label, table.as_of.isoformat()
    expected["release_table"] = {"file": label, "as_of": as_of}
    if isinstance(fact.os_build, Unknown):
        return outcome(Status.UNKNOWN, "build_unknown", reason=fact.os_build.reason)
    os_build = fact.os_build.value
    parsed = _build_and_ubr(os_build)
    if parsed is None:
        reason = Reason(key="patch_level.reason.build_unparsed", args={"build": os_build})
        return outcome(Status.UNKNOWN, "build_unknown", reason=reason)
    build, ubr = parsed
    kind = fact.os_installation_type
    actual: dict[str, object] = {"os_build": os_build, "installation_type": kind}
    if kind is None:
        reason = Reason(key="patch_level.reason.installation_type_not_read")
        return outcome(Status.UNKNOWN, "build_unknown", actual, reason=reason)
    if kind.lower() != "client":
        return outcome(Status.UNKNOWN, "build_server", actual, build=os_build, kind=kind)
    common: dict[str, JsonScalar] = {
        "build": f"{build}.{ubr}",
        "major": build,
        "grace": grace,
        "table": label,
        "as_of": as_of,
    }
    if not table.knows(build):
        return outcome(Status.UNKNOWN, "build_not_in_table", actual, **common)
    cutoff = (_utc(now) - timedelta(days=grace)).date()
    required = table.required(build, cutoff)
    level = table.level(build, ubr)
    if level is not None:
        actual["month"] = level.month
        common.update(month=level.month, kb=level.kb, released=level.date.isoformat())
    if required is None:
        return outcome(Status.UNKNOWN, "build_too_new", actual, **common)
    actual["required"] = {"month": required.month, "ubr": required.ubr, "kb": required.kb}
    common.update(
        required_month=required.month,
        required_build=f"{build}.{required.ubr}",
        required_kb=required.kb,
    )
    if level is None:
        return outcome(Status.FAIL, "build_fail_older", actual, **common)
    if level.date < required.date:
        return outcome(Status.FAIL, "build_fail", actual, **common)
    expected_month = table.newest_month(cutoff)
    if expected_month is not None and required.month < expected_month:
        # Other builds got a monthly update this build did not: it is out of servicing
        # (or the table misses it), and the PC lacks that month's fixes either way.
        return outcome(
            Status.FAIL, "build_not_serviced", actual, expected_month=expected_month, **common
        )
    if table.as_of < cutoff:
        # Updates released between as_of and the cutoff are not in the table.
        return outcome(Status.UNKNOWN, "build_table_stale", actual, **common)
    return outcome(Status.PASS, "build_pass", actual, **common)


class PatchLevel(Check):
    meta = CheckMeta.from_package("patch_level", __package__)
    Params = PatchLevelParams
    requires = (PatchFacts,)

    def evaluate(
        self, facts: FactView, params: PatchLevelParams, ctx: EvalContext
    ) -> Iterable[Outcome]:
        fact = facts.get(PatchFacts)
        yield pending_outcome(fact, params, ctx.now)
        yield age_outcome(fact, params, ctx.now)
        yield reboot_outcome(fact, params)
        if fact.manager == WINDOWS_UPDATE:
            from endpoint_audit.checks.patch_level.releases import (
                ReleaseTableError,
                release_table,
            )

            table: ReleaseTable | ReleaseTableError
            try:
                table = release_table()
            except ReleaseTableError as exc:
                table = exc
            yield build_outcome(fact, params, ctx.now, table)
