"""screen_lock: the screen of every console user locks soon after the PC is left idle.

One finding per graphical user. On Windows the machine-wide inactivity limit
(InactivityTimeoutSecs, CIS 2.3.7.4) is judged as a finding of its own, because it locks
every session whatever the user's screen-saver settings say.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import Field

from endpoint_audit.checkkit.check import (
    Check,
    CheckMeta,
    CheckParams,
    EvalContext,
    FactView,
    Outcome,
)
from endpoint_audit.checks.screen_lock.facts import ScreenLockFacts, UserScreenLock
from endpoint_audit.model.platform import OsFamily
from endpoint_audit.model.result import Status


class ScreenLockParams(CheckParams):
    max_idle_seconds: int = Field(900, ge=1)
    max_lock_delay_seconds: int = Field(5, ge=0)
    require_enforced: bool = False


def _expected(params: ScreenLockParams) -> dict[str, object]:
    out: dict[str, object] = {
        "lock_enabled": True,
        "idle_seconds": f"1..{params.max_idle_seconds}",
        "lock_delay_seconds": f"<= {params.max_lock_delay_seconds}",
    }
    if params.require_enforced:
        out["enforced_by_policy"] = True
    return out


def _actual(user: UserScreenLock) -> dict[str, object]:
    return {
        "desktop": user.desktop,
        "lock_enabled": user.lock_enabled,
        "idle_seconds": user.idle_seconds,
        "lock_delay_seconds": user.lock_delay_seconds,
        "enforced_by_policy": user.enforced_by_policy,
        "detail": user.detail,
    }


def _failure_key(user: UserScreenLock, params: ScreenLockParams) -> str | None:
    """The message key of what is known to be wrong, or None."""
    if user.lock_enabled is False:
        return "lock_disabled"
    idle = user.idle_seconds
    idle_key = None
    if idle == 0:
        idle_key = "idle_never"
    elif idle is not None and idle > params.max_idle_seconds:
        idle_key = "idle_too_long"
    delay = user.lock_delay_seconds
    delay_bad = delay is not None and delay > params.max_lock_delay_seconds
    if idle_key and delay_bad:
        return f"{idle_key}_delay_too_long"
    if delay_bad:
        return "delay_too_long"
    return idle_key


def _missing(user: UserScreenLock, params: ScreenLockParams) -> list[str]:
    missing = [
        name
        for name, value in (
            ("lock_enabled", user.lock_enabled),
            ("idle_seconds", user.idle_seconds),
            ("lock_delay_seconds", user.lock_delay_seconds),
        )
        if value is None
    ]
    if params.require_enforced and user.enforced_by_policy is None:
        missing.append("enforced_by_policy")
    return missing


class ScreenLock(Check):
    meta = CheckMeta.from_package("screen_lock", __package__)
    Params = ScreenLockParams
    requires = (ScreenLockFacts,)

    def evaluate(
        self, facts: FactView, params: ScreenLockParams, ctx: EvalContext
    ) -> Iterable[Outcome]:
        fact = facts.get(ScreenLockFacts)
        if fact.graphical is False:
            yield Outcome(
                status=Status.NOT_APPLICABLE,
                key="no_graphical",
                args={"detail": fact.graphical_detail or "-"},
                actual={"graphical": False, "detail": fact.graphical_detail},
            )
            return
        if ctx.platform.family == OsFamily.WINDOWS:
            yield self._machine(fact, params)
        if fact.users:
            for user in fact.users:
                yield self._user(user, params)
            return
        if fact.graphical is None and not fact.no_user_reason:
            key, reason = "graphical_unknown", fact.graphical_detail or "-"
        else:
            key, reason = "no_user", fact.no_user_reason or fact.graphical_detail or "-"
        yield Outcome(
            status=Status.UNKNOWN,
            key=key,
            args={"reason": reason},
            expected=_expected(params),
            actual={"graphical": fact.graphical, "users": []},
        )

    def _machine(self, fact: ScreenLockFacts, params: ScreenLockParams) -> Outcome:
        seconds = fact.machine_idle_seconds
        if not seconds:
            status, key = Status.FAIL, "machine_not_set"
        elif seconds > params.max_idle_seconds:
            status, key = Status.FAIL, "machine_too_long"
        else:
            status, key = Status.PASS, "machine_ok"
        return Outcome(
            status=status,
            key=key,
            args={"seconds": seconds or 0, "max": params.max_idle_seconds},
            resource="machine",
            expected={"machine_idle_seconds": f"1..{params.max_idle_seconds}"},
            actual={"machine_idle_seconds": seconds},
        )

    def _user(self, user: UserScreenLock, params: ScreenLockParams) -> Outcome:
        args: dict[str, str | int | float | bool | None] = {
            "user": user.user,
            "desktop": user.desktop,
            "idle": user.idle_seconds,
            "delay": user.lock_delay_seconds,
            "max_idle": params.max_idle_seconds,
            "max_delay": params.max_lock_delay_seconds,
        }
        key = _failure_key(user, params)
        status = Status.FAIL
        if key is None:
            missing = _missing(user, params)
            if missing:
                status, key = Status.UNKNOWN, "user_unknown"
                args["missing"] = ", ".join(missing)
                args["reason"] = user.unknown_reason or user.detail or "-"
            elif params.require_enforced and user.enforced_by_policy is False:
                key = "not_enforced"
            else:
                status = Status.PASS
                key = "ok"
                if user.enforced_by_policy is not None:
                    key = "ok_enforced" if user.enforced_by_policy else "ok_user_setting"
        return Outcome(
            status=status,
            key=key,
            args=args,
            resource=user.user,
            expected=_expected(params),
            actual=_actual(user),
        )
