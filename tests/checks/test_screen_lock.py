"""The screen_lock check on facts built by hand: every branch, Linux, Windows and macOS."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from endpoint_audit.checkkit.check import EvalContext, FactView
from endpoint_audit.checks.screen_lock.check import ScreenLock
from endpoint_audit.checks.screen_lock.facts import ScreenLockFacts, UserScreenLock
from endpoint_audit.checks.screen_lock.windows import parse_screen_lock
from endpoint_audit.engine.run import message_args
from endpoint_audit.model import i18n
from endpoint_audit.model.observed import Unknown, seen, unknown
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.model.result import Status


def run(
    fact: ScreenLockFacts, family: OsFamily = OsFamily.LINUX, lang: str = "en", **params: Any
) -> list[tuple[Status, str, str | None]]:
    check = ScreenLock()
    ctx = EvalContext(platform=PlatformInfo(family=family), now=datetime(2026, 11, 20, tzinfo=UTC))
    outcomes = check.evaluate(FactView({ScreenLockFacts: fact}), check.Params(**params), ctx)
    return [
        (
            o.status,
            i18n.t(lang, f"screen_lock.msg.{o.key}", **message_args(o.args, lang)),
            o.resource,
        )
        for o in outcomes
    ]


SETTINGS = ("lock_enabled", "idle_seconds", "lock_delay_seconds", "enforced_by_policy")
NOT_READ = unknown("screen_lock.reason.user_needs_root", user="hanako")


def user(why: Unknown = NOT_READ, **fields: Any) -> UserScreenLock:
    """A user whose settings are `fields` (None: not seen, for `why`)."""
    values: dict[str, Any] = {
        "user": "hanako",
        "desktop": "gnome",
        "lock_enabled": True,
        "idle_seconds": 300,
        "lock_delay_seconds": 0,
        "enforced_by_policy": False,
    }
    values.update(fields)
    for name in SETTINGS:
        values[name] = why if values[name] is None else seen(values[name])
    return UserScreenLock(**values)


def linux(*users: UserScreenLock, **fields: Any) -> ScreenLockFacts:
    return ScreenLockFacts(graphical=seen(True), users=seen(users), **fields)


def one(fact: ScreenLockFacts, **params: Any) -> tuple[Status, str]:
    ((status, text, _),) = run(fact, **params)
    return status, text


# --- Linux and the per-user rules (shared by every OS) -----------------------------------


def test_no_graphical_environment_is_not_applicable() -> None:
    fact = ScreenLockFacts(graphical=seen(False), graphical_detail="no desktop found")
    assert one(fact) == (
        Status.NOT_APPLICABLE,
        "No graphical desktop is installed, so there is no screen to lock (no desktop "
        "sessions, desktop shells or display managers found).",
    )


def test_cannot_tell_whether_graphical_is_unknown() -> None:
    why = unknown("screen_lock.reason.find_failed", status=2, output="boom")
    fact = ScreenLockFacts(graphical=why)
    assert one(fact) == (
        Status.UNKNOWN,
        "Could not tell whether a graphical desktop is installed: find exited 2: boom",
    )


def test_nobody_logged_on_is_unknown() -> None:
    fact = ScreenLockFacts(
        graphical=seen(True), users=unknown("screen_lock.reason.nobody_graphical")
    )
    assert one(fact) == (
        Status.UNKNOWN,
        "The user settings could not be judged: nobody is logged on to a graphical session",
    )


def test_lock_disabled_fails() -> None:
    assert one(linux(user(lock_enabled=False))) == (
        Status.FAIL,
        "The screen lock of hanako (gnome) is turned off.",
    )


def test_idle_never_fails() -> None:
    assert one(linux(user(idle_seconds=0))) == (
        Status.FAIL,
        "The screen of hanako (gnome) never locks when idle (idle time 0).",
    )


def test_idle_too_long_fails() -> None:
    assert one(linux(user(idle_seconds=1800))) == (
        Status.FAIL,
        "The screen of hanako (gnome) locks after 1800 seconds idle, longer than the 900 allowed.",
    )


def test_delay_too_long_fails() -> None:
    assert one(linux(user(lock_delay_seconds=30))) == (
        Status.FAIL,
        "The screen of hanako (gnome) asks for the password 30 seconds after blanking, longer "
        "than the 5 allowed.",
    )


def test_idle_and_delay_both_wrong() -> None:
    assert one(linux(user(idle_seconds=0, lock_delay_seconds=60))) == (
        Status.FAIL,
        "The screen of hanako (gnome) never locks when idle, and its lock delay of 60 seconds "
        "is longer than the 5 allowed.",
    )
    assert one(linux(user(idle_seconds=3600, lock_delay_seconds=60))) == (
        Status.FAIL,
        "The screen of hanako (gnome) locks after 3600 seconds idle (at most 900 allowed) with "
        "a lock delay of 60 seconds (at most 5 allowed).",
    )


def test_a_known_failure_wins_over_unknown_pieces() -> None:
    assert one(linux(user(idle_seconds=0, lock_delay_seconds=None, lock_enabled=None)))[0] is (
        Status.FAIL
    )


def test_unknown_pieces_are_unknown() -> None:
    fact = linux(user(lock_enabled=None, lock_delay_seconds=None))
    assert one(fact) == (
        Status.UNKNOWN,
        "The screen-lock settings of hanako (gnome) could not be fully read "
        "(lock_enabled, lock_delay_seconds): the settings of hanako can be read only as root "
        "(run with sudo)",
    )


def test_unknown_pieces_name_each_reason_in_the_report_language() -> None:
    fact = linux(
        user(
            lock_enabled=True,
            idle_seconds=None,
            why=unknown("screen_lock.reason.timeout_not_set"),
        ).model_copy(update={"lock_delay_seconds": unknown("screen_lock.reason.grace_redirected")})
    )
    ((status, text, _),) = run(fact, lang="ja")
    assert status is Status.UNKNOWN
    assert "ScreenSaveTimeOut が設定されていません" in text
    assert "ScreenSaverGracePeriod を読み取れませんでした" in text
    assert "not set" not in text and "was not read" not in text


def test_pass_says_whether_policy_enforces_it() -> None:
    assert one(linux(user(enforced_by_policy=True, idle_seconds=900, lock_delay_seconds=5))) == (
        Status.PASS,
        "The screen of hanako (gnome) locks after 900 seconds idle with a 5-second delay, "
        "enforced by policy.",
    )
    assert one(linux(user())) == (
        Status.PASS,
        "The screen of hanako (gnome) locks after 300 seconds idle with a 0-second delay "
        "(a user setting, not enforced by policy).",
    )
    assert one(linux(user(enforced_by_policy=None))) == (
        Status.PASS,
        "The screen of hanako (gnome) locks after 300 seconds idle with a 0-second delay.",
    )


def test_require_enforced() -> None:
    assert one(linux(user()), require_enforced=True) == (
        Status.FAIL,
        "The screen of hanako (gnome) locks after 300 seconds, but the setting is not enforced "
        "by policy, so the user can change it.",
    )
    status, text = one(linux(user(enforced_by_policy=None)), require_enforced=True)
    assert status is Status.UNKNOWN and "(enforced_by_policy)" in text


def test_limits_are_parameters() -> None:
    fact = linux(user(idle_seconds=1200, lock_delay_seconds=5))
    assert one(fact)[0] is Status.FAIL
    assert one(fact, max_idle_seconds=1200)[0] is Status.PASS
    assert one(fact, max_lock_delay_seconds=4)[0] is Status.FAIL


def test_one_outcome_per_user() -> None:
    fact = linux(user(), user(user="taro", desktop="kde", idle_seconds=0))
    assert [(s, r) for s, _, r in run(fact)] == [(Status.PASS, "hanako"), (Status.FAIL, "taro")]


# --- Windows: machine inactivity limit as its own outcome -------------------------------


def windows(machine: int | None, *users: UserScreenLock) -> ScreenLockFacts:
    return ScreenLockFacts(
        graphical=seen(True),
        machine_idle_seconds=machine,
        users=seen(users) if users else unknown("screen_lock.reason.nobody_signed_in"),
    )


def test_windows_machine_limit_set_and_user_ok() -> None:
    fact = windows(900, user(user="PC03\\yamada", desktop="windows", idle_seconds=600))
    assert run(fact, OsFamily.WINDOWS) == [
        (
            Status.PASS,
            "The machine inactivity limit locks the PC after 900 seconds (at most 900).",
            "machine",
        ),
        (
            Status.PASS,
            "The screen of PC03\\yamada (windows) locks after 600 seconds idle with a 0-second "
            "delay (a user setting, not enforced by policy).",
            "PC03\\yamada",
        ),
    ]


@pytest.mark.parametrize("machine", [None, 0])
def test_windows_machine_limit_not_set_fails_that_outcome(machine: int | None) -> None:
    fact = windows(machine)
    assert run(fact, OsFamily.WINDOWS) == [
        (
            Status.FAIL,
            "The machine inactivity limit (InactivityTimeoutSecs) is not set, so Windows does "
            "not lock an idle PC by policy.",
            "machine",
        ),
        (
            Status.UNKNOWN,
            "The user settings could not be judged: nobody is signed in (no console user and "
            "no explorer.exe session)",
            None,
        ),
    ]


def test_windows_machine_limit_too_long() -> None:
    fact = windows(1800)
    assert run(fact, OsFamily.WINDOWS)[0] == (
        Status.FAIL,
        "The machine inactivity limit is 1800 seconds, longer than the 900 allowed.",
        "machine",
    )


def test_machine_limit_is_judged_only_on_windows() -> None:
    fact = linux(user())
    assert [r for _, _, r in run(fact)] == ["hanako"]


# --- macOS: one console user, its own limit via platform_params --------------------------


def test_macos_console_user() -> None:
    fact = ScreenLockFacts(
        graphical=seen(True),
        users=seen(
            (user(user="hanako", desktop="macos", idle_seconds=1200, lock_delay_seconds=5),)
        ),
    )
    assert run(fact, OsFamily.MACOS, max_idle_seconds=1200) == [
        (
            Status.PASS,
            "The screen of hanako (macos) locks after 1200 seconds idle with a 5-second delay "
            "(a user setting, not enforced by policy).",
            "hanako",
        )
    ]
    assert run(fact, OsFamily.MACOS)[0][0] is Status.FAIL


def test_macos_nobody_at_the_console() -> None:
    fact = ScreenLockFacts(
        graphical=seen(True), users=unknown("screen_lock.reason.nobody_at_console", owner="root")
    )
    assert run(fact, OsFamily.MACOS) == [
        (
            Status.UNKNOWN,
            "The user settings could not be judged: nobody is logged on at the console "
            "(/dev/console is owned by root)",
            None,
        )
    ]
    assert run(fact, OsFamily.MACOS, lang="ja")[0][1] == (
        "ユーザーの設定を判定できませんでした: コンソールにログインしているユーザーがいません"
        "（/dev/console の所有者は root）"
    )


def test_japanese_message() -> None:
    assert run(linux(user(idle_seconds=0)), lang="ja") == [
        (
            Status.FAIL,
            "hanako（gnome）の画面は、操作しなくてもロックされません（待ち時間 0）。",
            "hanako",
        )
    ]


def test_params() -> None:
    params = ScreenLock.Params()
    assert (params.max_idle_seconds, params.max_lock_delay_seconds) == (900, 5)  # type: ignore[attr-defined]
    with pytest.raises(ValidationError):
        ScreenLock.Params(max_idle_seconds=0)
    with pytest.raises(ValidationError):
        ScreenLock.Params(max_idle=900)  # type: ignore[call-arg]


# A REG_DWORD of 0x80000000 or more reaches the probe's JSON as a negative Int32 (PowerShell
# reads REG_DWORD as signed); Windows takes it unsigned: decades, never a short limit.
@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-(1 << 31), max_value=-1))
def test_a_dword_read_as_negative_is_never_a_passing_machine_limit(read: int) -> None:
    fact = parse_screen_lock({"inactivity_timeout_secs": read, "users": []})
    assert fact.machine_idle_seconds == read + (1 << 32)
    status, message, resource = run(fact, OsFamily.WINDOWS)[0]
    assert (status, resource) == (Status.FAIL, "machine"), message
    assert f"is {read + (1 << 32)} seconds, longer than the 900 allowed" in message


@given(st.integers(max_value=-1))
def test_a_negative_machine_limit_never_passes_however_it_was_read(seconds: int) -> None:
    assert run(windows(seconds), OsFamily.WINDOWS)[0][0] is Status.FAIL


# A plist, a KDE file or a user's ScreenSaveTimeOut string can hold a negative number, which
# set no short limit; before this it fell through every failure test and passed.
@given(
    idle=st.integers(max_value=-1) | st.integers(min_value=1, max_value=900),
    delay=st.integers(max_value=-1) | st.integers(min_value=0, max_value=5),
    desktop=st.sampled_from(["gnome", "kde", "macos", "windows"]),
)
def test_a_negative_user_idle_time_or_delay_never_passes(
    idle: int, delay: int, desktop: str
) -> None:
    status, _ = one(linux(user(idle_seconds=idle, lock_delay_seconds=delay, desktop=desktop)))
    assert (status is Status.PASS) == (idle > 0 and delay >= 0)


def test_a_negative_idle_time_says_it_is_no_valid_limit() -> None:
    assert one(linux(user(idle_seconds=-1))) == (
        Status.FAIL,
        "The screen of hanako (gnome) has an idle time of -1 seconds, which is no valid limit, "
        "so it is not shown to lock within 900 seconds.",
    )
    status, text, _ = run(linux(user(lock_delay_seconds=-5)), lang="ja")[0]
    assert status is Status.FAIL and "-5 秒で、有効な値ではありません" in text


SECURE_USER = {
    "user": "PC\\hanako",
    "sid": "S-1-5-21-1-2-3-1001",
    "hive_loaded": True,
    "user_values": {
        "ScreenSaveActive": "1",
        "ScreenSaverIsSecure": "1",
        "ScreenSaveTimeOut": "600",
        "SCRNSAVE.EXE": "C:\\Windows\\system32\\scrnsave.scr",
    },
}


@pytest.mark.parametrize("grace", ["-1", "x", "4294967295x", "1.5", True])
def test_a_grace_period_set_but_unreadable_is_unknown_not_the_default(grace: object) -> None:
    """ScreenSaverGracePeriod present but no number of seconds (a DWORD 0xFFFFFFFF reads
    as -1 in PowerShell): the delay Windows uses is not known, so not 5 seconds."""
    fact = parse_screen_lock(
        {"inactivity_timeout_secs": 600, "grace_period": grace, "users": [SECURE_USER]}
    )
    outcomes = run(fact, OsFamily.WINDOWS)
    assert outcomes[0][0] is Status.PASS  # the machine limit
    status, message, resource = outcomes[1]
    assert (status, resource) == (Status.UNKNOWN, "PC\\hanako"), message
    assert "ScreenSaverGracePeriod" in message


@pytest.mark.parametrize(("grace", "expected"), [(None, Status.PASS), ("3", Status.PASS),
                                                  ("60", Status.FAIL)])  # fmt: skip
def test_a_grace_period_absent_or_a_number_is_judged(grace: str | None, expected: Status) -> None:
    fact = parse_screen_lock(
        {"inactivity_timeout_secs": 600, "grace_period": grace, "users": [SECURE_USER]}
    )
    assert run(fact, OsFamily.WINDOWS)[1][0] is expected
