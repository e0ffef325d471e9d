"""screen_lock: the screen of every console user locks soon after the PC is left idle.

One finding per graphical user. On Windows the machine-wide inactivity limit
(InactivityTimeoutSecs, CIS 2.3.7.4) is judged as a finding of its own, because it locks
every session whatever the user's screen-saver settings say.
"""

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
from endpoint_audit.model.observed import Observed, Reason, Seen, Unknown
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


def _value(observed: Observed[bool] | Observed[int]) -> bool | int | None:
    """What was seen, for people (None: not seen)."""
    return observed.value if isinstance(observed, Seen) else None


def _actual(user: UserScreenLock) -> dict[str, object]:
    return {
        "desktop": user.desktop,
        "lock_enabled": _value(user.lock_enabled),
        "idle_seconds": _value(user.idle_seconds),
        "lock_delay_seconds": _value(user.lock_delay_seconds),
        "enforced_by_policy": _value(user.enforced_by_policy),
        "detail": user.detail,
    }


def _seen_int(observed: Observed[int]) -> int | None:
    return observed.value if isinstance(observed, Seen) else None


def _failure_key(user: UserScreenLock, params: ScreenLockParams) -> str | None:
    """The message key of what is known to be wrong, or None."""
    if isinstance(user.lock_enabled, Seen) and user.lock_enabled.value is False:
        return "lock_screen_disabled" if user.lock_screen_disabled else "lock_disabled"
    idle = _seen_int(user.idle_seconds)
    delay = _seen_int(user.lock_delay_seconds)
    # A negative value (a plist or file can hold one) is no short limit: never a pass.
    if idle is not None and idle < 0:
        return "idle_invalid"
    if delay is not None and delay < 0:
        return "delay_invalid"
    idle_key = None
    if idle == 0:
        idle_key = "idle_never"
    elif idle is not None and idle > params.max_idle_seconds:
        idle_key = "idle_too_long"
    delay_bad = delay is not None and delay > params.max_lock_delay_seconds
    if idle_key and delay_bad:
        return f"{idle_key}_delay_too_long"
    if delay_bad:
        return "delay_too_long"
    return idle_key


def _missing(user: UserScreenLock, params: ScreenLockParams) -> dict[str, Reason]:
    """The settings the verdict needs that were not seen, each with its reason."""
    needed: list[tuple[str, Observed[bool] | Observed[int]]] = [
        ("lock_enabled", user.lock_enabled),
        ("idle_seconds", user.idle_seconds),
        ("lock_delay_seconds", user.lock_delay_seconds),
    ]
    if params.require_enforced:
        needed.append(("enforced_by_policy", user.enforced_by_policy))
    return {name: value.reason for name, value in needed if isinstance(value, Unknown)}


class ScreenLock(Check):
    meta = CheckMeta.from_package("screen_lock", __package__)
    Params = ScreenLockParams
    requires = (ScreenLockFacts,)

    def evaluate(
        self, facts: FactView, params: ScreenLockParams, ctx: EvalContext
    ) -> Iterable[Outcome]:
        fact = facts.get(ScreenLockFacts)
        graphical = fact.graphical
        if isinstance(graphical, Seen) and graphical.value is False:
            yield Outcome(
                status=Status.NOT_APPLICABLE,
                key="no_graphical",
                args={"detail": Reason(key="screen_lock.reason.no_desktop_found")},
                actual={"graphical": False, "detail": fact.graphical_detail},
            )
            return
        if ctx.platform.family == OsFamily.WINDOWS:
            yield self._machine(fact, params)
        users = fact.users
        if isinstance(users, Seen) and users.value:
            for user in users.value:
                yield self._user(user, params)
            return
        reason: Reason
        if isinstance(users, Unknown):
            key, reason = "no_user", users.reason
        elif isinstance(graphical, Unknown):
            key, reason = "graphical_unknown", graphical.reason
        else:
            key, reason = "no_user", Reason(key="screen_lock.reason.no_user_entry")
        yield Outcome(
            status=Status.UNKNOWN,
            key=key,
            args={"reason": reason},
            expected=_expected(params),
            actual={"graphical": _value(graphical), "users": []},
        )

    def _machine(self, fact: ScreenLockFacts, params: ScreenLockParams) -> Outcome:
        seconds = fact.machine_idle_seconds
        if not seconds:
            status, key = Status.FAIL, "machine_not_set"
        elif seconds < 0 or seconds > params.max_idle_seconds:  # below 0: never a limit
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
        args: dict[str, str | int | float | bool | Reason | None] = {
            "user": user.user,
            "desktop": user.desktop,
            "idle": _seen_int(user.idle_seconds),
            "delay": _seen_int(user.lock_delay_seconds),
            "max_idle": params.max_idle_seconds,
            "max_delay": params.max_lock_delay_seconds,
        }
        key = _failure_key(user, params)
        status = Status.FAIL
        if key is None:
            missing = _missing(user, params)
            enforced = _value(user.enforced_by_policy)
            if missing:
                status, key = Status.UNKNOWN, "user_unknown"
                args["missing"] = ", ".join(missing)
                reasons: list[Reason] = []
                for why in missing.values():
                    if why not in reasons:
                        reasons.append(why)
                args["reason"] = reasons[0]
                if len(reasons) > 1:  # say both; a third is rare and named in `missing`
                    key, args["more"] = "user_unknown_more", reasons[1]
            elif params.require_enforced and enforced is False:
                key = "not_enforced"
            else:
                status = Status.PASS
                key = "ok"
                if enforced is not None:
                    key = "ok_enforced" if enforced else "ok_user_setting"
        return Outcome(
            status=status,
            key=key,
            args=args,
            resource=user.user,
            expected=_expected(params),
            actual=_actual(user),
        )
