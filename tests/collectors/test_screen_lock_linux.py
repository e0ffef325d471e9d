"""The Linux screen-lock collector against recorded outputs, and what the check then says."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from endpoint_audit.checkkit.check import EvalContext, FactView, Outcome
from endpoint_audit.checks.screen_lock import linux as sl
from endpoint_audit.checks.screen_lock.check import ScreenLock
from endpoint_audit.checks.screen_lock.facts import ScreenLockFacts, UserScreenLock
from endpoint_audit.checks.screen_lock.linux import LinuxScreenLock, gnome, kde
from endpoint_audit.model.capabilities import Capability
from endpoint_audit.model.commands import CommandResult
from endpoint_audit.model.result import Status
from tests.collectors.replay_helper import judge, message, replay
from tests.replay_cases import all_cases
from tests.seen import v, why


def collect(fixture: str) -> tuple[ScreenLockFacts, list[tuple[Status, str]]]:
    fact, transport = replay(LinuxScreenLock(), fixture)
    outcomes = judge(ScreenLock(), fact, transport)
    return fact, [(o.status, message("screen_lock", o)) for o in outcomes]


def collect_with(
    fixture: str, **params: object
) -> tuple[ScreenLockFacts, list[tuple[Status, str]]]:
    fact, transport = replay(LinuxScreenLock(), fixture)
    outcomes = judge(ScreenLock(), fact, transport, **params)
    return fact, [(o.status, message("screen_lock", o)) for o in outcomes]


def only_user(fact: ScreenLockFacts) -> UserScreenLock:
    (user,) = v(fact.users)
    return user


def test_no_desktop_is_not_applicable() -> None:
    fact, judged = collect("screen_lock/linux-no-desktop")
    assert v(fact.graphical) is False
    assert judged == [
        (
            Status.NOT_APPLICABLE,
            "No graphical desktop is installed, so there is no screen to lock "
            "(no desktop sessions, desktop shells or display managers found).",
        )
    ]


def test_nobody_logged_on_is_unknown() -> None:
    fact, judged = collect("screen_lock/linux-nobody-logged-on")
    assert v(fact.graphical) is True
    assert why(fact.users) == "nobody is logged on to a graphical session"
    assert judged == [
        (
            Status.UNKNOWN,
            "The user settings could not be judged: nobody is logged on to a graphical session",
        )
    ]


def test_gnome_defaults_idle_300() -> None:
    fact, judged = collect("screen_lock/linux-gnome-idle-300")
    user = only_user(fact)
    assert (user.user, user.desktop) == ("hanako", "gnome")
    assert (v(user.lock_enabled), v(user.idle_seconds), v(user.lock_delay_seconds)) == (
        True,
        300,
        0,
    )
    assert v(user.enforced_by_policy) is False
    assert "/etc/dconf/profile/user: ∅" in user.detail
    assert judged == [
        (
            Status.PASS,
            "The screen of hanako (gnome) locks after 300 seconds idle with a 0-second delay "
            "(a user setting, not enforced by policy).",
        )
    ]


def test_gnome_idle_0_never_locks() -> None:
    fact, judged = collect("screen_lock/linux-gnome-idle-0")
    assert v(only_user(fact).idle_seconds) == 0
    assert judged == [
        (Status.FAIL, "The screen of hanako (gnome) never locks when idle (idle time 0).")
    ]


def test_gnome_cis_locks_without_the_lockdown_key_do_not_enforce() -> None:
    """The CIS locks leave disable-lock-screen to the user, who can turn locking off."""
    fact, judged = collect("screen_lock/linux-gnome-dconf-locked")
    user = only_user(fact)
    assert (v(user.lock_enabled), v(user.idle_seconds), v(user.lock_delay_seconds)) == (
        True,
        900,
        5,
    )
    assert v(user.enforced_by_policy) is False
    assert judged == [
        (
            Status.PASS,
            "The screen of hanako (gnome) locks after 900 seconds idle with a 5-second delay "
            "(a user setting, not enforced by policy).",
        )
    ]
    _, required = collect_with("screen_lock/linux-gnome-dconf-locked", require_enforced=True)
    assert [s for s, _ in required] == [Status.FAIL]


def test_gnome_without_lock_files_the_user_overrides() -> None:
    fact, judged = collect("screen_lock/linux-gnome-dconf-no-locks")
    user = only_user(fact)
    assert v(user.idle_seconds) == 1800
    assert v(user.enforced_by_policy) is False
    assert judged == [
        (
            Status.FAIL,
            "The screen of hanako (gnome) locks after 1800 seconds idle, longer than the 900 "
            "allowed.",
        )
    ]


def test_gnome_not_root_without_locks_is_unknown() -> None:
    fact, judged = collect("screen_lock/linux-gnome-not-root")
    user = only_user(fact)
    assert (v(user.lock_enabled), v(user.idle_seconds), v(user.lock_delay_seconds)) == (
        None,
        None,
        None,
    )
    assert "needs root" in why(user.lock_enabled)
    ((status, text),) = judged
    assert status is Status.UNKNOWN
    assert text.startswith(
        "The screen-lock settings of hanako (gnome) could not be fully read "
        "(lock_enabled, idle_seconds, lock_delay_seconds): reading another user's settings "
        "needs root (run with sudo, or --sudo over SSH)"
    )


def test_gnome_not_root_but_locked_by_policy_is_known() -> None:
    fact, judged = collect("screen_lock/linux-gnome-not-root-lockdown-locked")
    user = only_user(fact)
    assert (v(user.lock_enabled), v(user.idle_seconds), v(user.lock_delay_seconds)) == (
        True,
        900,
        5,
    )
    assert v(user.enforced_by_policy) is True
    assert judged == [
        (
            Status.PASS,
            "The screen of hanako (gnome) locks after 900 seconds idle with a 5-second delay, "
            "enforced by policy.",
        )
    ]


def test_gnome_not_root_with_the_lockdown_key_unlocked_is_unknown() -> None:
    """The CIS locks fix lock-enabled, but disable-lock-screen is the user's and unread."""
    fact, judged = collect("screen_lock/linux-gnome-not-root-locked")
    user = only_user(fact)
    assert (v(user.lock_enabled), v(user.idle_seconds), v(user.lock_delay_seconds)) == (
        None,
        900,
        5,
    )
    assert "needs root" in why(user.lock_enabled)
    assert v(user.enforced_by_policy) is False
    ((status, text),) = judged
    assert status is Status.UNKNOWN
    assert "(lock_enabled)" in text


def test_gnome_not_root_with_uncompiled_locks_is_unknown() -> None:
    fact, judged = collect("screen_lock/linux-gnome-not-root-stale-db")
    user = only_user(fact)
    assert (v(user.lock_enabled), v(user.idle_seconds), v(user.lock_delay_seconds)) == (
        None,
        None,
        None,
    )
    assert v(user.enforced_by_policy) is None
    assert "/etc/dconf/db/local.d > /etc/dconf/db/local (`dconf update`)" in user.detail
    assert judged[0][0] is Status.UNKNOWN


def test_kde_user_config_grace_too_long() -> None:
    fact, judged = collect("screen_lock/linux-kde-user-config")
    user = only_user(fact)
    assert (user.user, user.desktop) == ("taro", "kde")
    assert (v(user.lock_enabled), v(user.idle_seconds), v(user.lock_delay_seconds)) == (
        True,
        600,
        30,
    )
    assert v(user.enforced_by_policy) is False
    assert judged == [
        (
            Status.FAIL,
            "The screen of taro (kde) asks for the password 30 seconds after blanking, longer "
            "than the 5 allowed.",
        )
    ]


def test_kde_immutable_system_config_wins() -> None:
    fact, judged = collect("screen_lock/linux-kde-immutable")
    user = only_user(fact)
    assert (v(user.idle_seconds), v(user.lock_delay_seconds)) == (300, 0)
    assert v(user.enforced_by_policy) is True
    assert judged[0][0] is Status.PASS


def test_other_desktop_is_unknown() -> None:
    fact, judged = collect("screen_lock/linux-other-desktop")
    user = only_user(fact)
    assert user.desktop == "other"
    ((status, text),) = judged
    assert status is Status.UNKNOWN
    assert "desktop 'xfce' are not read" in text


def test_root_settings_are_never_read_for_a_user() -> None:
    """Every per-user GNOME probe runs as that user with a clean environment."""
    _, transport = replay(LinuxScreenLock(), "screen_lock/linux-gnome-idle-300")
    gsettings = [k for k in transport.transcript if "gsettings" in k]
    assert [k.rsplit(" ", 1)[1] for k in gsettings] == list(gnome.SCHEMAS)
    for key in gsettings:
        assert key.startswith("runuser -u hanako -- env -i HOME=/home/hanako ")


# --- parsers on their own ---------------------------------------------------------------


def test_login_sessions_with_hostile_names_are_dropped() -> None:
    listed = CommandResult(
        0,
        stdout='[{"session":"2","uid":1000,"user":"hanako"},'
        '{"session":"--help","uid":0,"user":"root"},'
        '{"session":"5","uid":1001,"user":"-rf"}]',
    )
    assert [s.user for s in sl.list_sessions(listed)] == ["hanako"]


def test_desktop_families() -> None:
    assert sl.desktop_family("ubuntu:GNOME") == "gnome"
    assert sl.desktop_family("GNOME-Classic") == "gnome"
    assert sl.desktop_family("KDE") == "kde"
    assert sl.desktop_family("plasma") == "kde"
    assert sl.desktop_family("xfce") == "other"
    assert sl.desktop_family("") == "other"


def test_dconf_last_keyfile_wins_and_the_lowest_lock_decides() -> None:
    early = gnome.Database("local", values={gnome.IDLE_DELAY: "uint32 1200"})
    late_site = gnome.Database(
        "site", values={gnome.IDLE_DELAY: "uint32 600"}, locks={gnome.IDLE_DELAY}
    )
    locked = gnome.locked_values([early, late_site])
    assert locked[gnome.IDLE_DELAY] == gnome.Locked(value=600, database="site")
    files = gnome.DatabaseFiles("local", ("/a/00-base", "/a/99-override"), ())
    listing = gnome.parse_listing(
        "10.5 /etc/dconf/db/local.d/00-base\n20.0 /etc/dconf/db/local\n"
        "30.0 /etc/dconf/db/site.d/locks/x\n"
    )
    (local, site) = gnome.database_files(listing, ["local", "site"], limit=8)
    assert (local.keyfiles, local.stale) == (("/etc/dconf/db/local.d/00-base",), False)
    assert (site.lockfiles, site.stale) == (("/etc/dconf/db/site.d/locks/x",), True)
    contents = {
        "/a/00-base": CommandResult(0, "[org/gnome/desktop/session]\nidle-delay=uint32 300\n"),
        "/a/99-override": CommandResult(0, "[org/gnome/desktop/session]\nidle-delay=900\n"),
    }
    assert gnome.load_database(files, contents).values[gnome.IDLE_DELAY] == "900"


def test_gsettings_memory_backend_is_not_trusted() -> None:
    result = CommandResult(
        0,
        stdout="org.gnome.desktop.session idle-delay uint32 300\n",
        stderr="GLib-GIO-Message: Using the 'memory' GSettings backend.  Your settings will "
        "not be saved or shared with other applications.\n",
    )
    assert gnome.gsettings_problem(result) is not None


def test_kde_timeout_minutes_and_immutable_keys() -> None:
    system = kde.parse_kscreenlockerrc("[Daemon]\nTimeout[$i]=10\nLockGrace=3\n")
    user = kde.parse_kscreenlockerrc("[Daemon]\nTimeout=120\nLockGrace=60\nAutolock=false\n")
    lock = kde.effective(system, user)
    assert (lock.idle_seconds, lock.lock_delay_seconds, lock.lock_enabled) == (600, 60, False)
    assert lock.enforced is False
    unread = kde.effective(system, None)
    assert unread.idle_seconds == 600 and unread.lock_delay_seconds is None
    assert unread.missing == ("Autolock", "LockGrace", "Lock", "RequirePassword")


@pytest.mark.parametrize(
    ("user_text", "enabled"),
    [
        ("", True),  # kscreenlockersettings.kcfg: Autolock, Lock, RequirePassword true
        ("Lock=false\n", False),  # ksldapp: lock grace -1, the greeter gets --nolock
        ("RequirePassword=false\n", False),  # Plasma 6.1 screensaver mode: --nolock
        ("Autolock=false\n", False),
        ("Lock=maybe\n", None),
    ],
)
def test_kde_locks_with_a_password_only_with_lock_and_require_password_on(
    user_text: str, enabled: bool | None
) -> None:
    user = kde.parse_kscreenlockerrc("[Daemon]\nTimeout=5\nLockGrace=0\n" + user_text)
    lock = kde.effective(kde.KConfig(), user)
    assert lock.lock_enabled is enabled
    # Fixed by the system file with [$i], the user's Lock=false cannot switch it off.
    fixed = kde.parse_kscreenlockerrc(
        "[Daemon][$i]\nAutolock=true\nTimeout=5\nLockGrace=0\nLock=true\nRequirePassword=true\n"
    )
    assert kde.effective(fixed, user).lock_enabled is True
    assert kde.effective(fixed, user).enforced is True
    # The whole group fixed: an entry it leaves out keeps its default for the user too.
    group = kde.parse_kscreenlockerrc("[Daemon][$i]\nAutolock=true\nTimeout=5\nLockGrace=0\n")
    assert kde.effective(group, user).lock_enabled is True
    assert kde.effective(group, user).enforced is True
    # Only the times fixed: a user can still switch the lock or the password off.
    keys = kde.parse_kscreenlockerrc("[Daemon]\nTimeout[$i]=5\nLockGrace[$i]=0\n")
    assert kde.effective(keys, user).lock_enabled is enabled
    assert kde.effective(keys, user).enforced is False


def test_login_sessions_from_the_table_of_an_older_loginctl() -> None:
    table = CommandResult(
        0,
        stdout="SESSION  UID USER   SEAT  TTY\n      2 1000 hanako seat0 tty2\n     c1  120 gdm    "
        "seat0 tty1\n\n2 sessions listed.\n",
    )
    sessions = sl.list_sessions(table)
    assert [(s.id, s.uid, s.user) for s in sessions] == [("2", 1000, "hanako"), ("c1", 120, "gdm")]


@pytest.mark.parametrize("mark", ["\x1e", "\x85", "\u2028", "\v"])
def test_a_kde_comment_stays_a_comment_whatever_python_takes_for_a_line_break(mark: str) -> None:
    """KConfig reads a user's kscreenlockerrc line by line at newlines only: a setting
    after a break only Python sees is part of the comment, not a setting in force."""
    config = kde.parse_kscreenlockerrc(f"[Daemon]\n# note{mark}Timeout=1\n")
    assert "Timeout" not in config.values


@given(st.sampled_from(["nan", "NaN", "inf", "-inf", "1e400", "infinity"]), st.booleans())
def test_a_kde_number_that_is_no_number_leaves_the_setting_unread(text: str, grace: bool) -> None:
    # float() takes these; round() then raised, and the whole collector broke on one entry.
    key = "LockGrace" if grace else "Timeout"
    lock = kde.effective(kde.KConfig(), kde.parse_kscreenlockerrc(f"[Daemon]\n{key}={text}\n"))
    assert (lock.lock_delay_seconds if grace else lock.idle_seconds) is None


def test_a_negative_kde_timeout_is_read_as_it_is() -> None:
    # The check fails it (no valid limit); the reader must not hide the sign.
    lock = kde.effective(kde.KConfig(), kde.parse_kscreenlockerrc("[Daemon]\nTimeout=-1\n"))
    assert lock.idle_seconds == -60


# --- org.gnome.desktop.lockdown disable-lock-screen --------------------------------------
# gnome-shell's js/ui/screenShield.js lock() returns without locking while this key is
# true ("Screen lock is locked down, not locking"), whatever lock-enabled says.

LOCKDOWN_ARGV = (
    "runuser -u hanako -- env -i HOME=/home/hanako USER=hanako LOGNAME=hanako "
    "XDG_RUNTIME_DIR=/run/user/1000 DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus "
    "PATH=/usr/local/bin:/usr/bin:/bin LC_ALL=C gsettings list-recursively "
    "org.gnome.desktop.lockdown"
)


def case_results(ref: str, **changed: CommandResult | None) -> dict[str, CommandResult]:
    """The recorded results of a case, with some replaced (None: removed)."""
    out = {k: CommandResult(**c.result()) for k, c in all_cases()[ref].commands.items()}
    for key, result in changed.items():
        out.pop(key, None)
        if result is not None:
            out[key] = result
    return out


def lockdown_listing(disable_lock_screen: str) -> CommandResult:
    return CommandResult(
        0,
        stdout="org.gnome.desktop.lockdown disable-command-line false\n"
        f"org.gnome.desktop.lockdown disable-lock-screen {disable_lock_screen}\n"
        "org.gnome.desktop.lockdown disable-log-out false\n",
    )


def parse_case_with(ref: str, **changed: CommandResult | None) -> ScreenLockFacts:
    platform = all_cases()[ref].platform.with_capabilities(frozenset({Capability.FOLLOW_UPS}))
    return LinuxScreenLock().parse(case_results(ref, **changed), platform)


def judged(fact: ScreenLockFacts, **params: object) -> list[tuple[Status, str]]:
    platform = all_cases()["screen_lock/linux-gnome-idle-300"].platform
    ctx = EvalContext(platform=platform, now=datetime(2026, 11, 20, tzinfo=UTC))
    check = ScreenLock()
    outcomes = check.evaluate(FactView({ScreenLockFacts: fact}), check.Params(**params), ctx)
    return [(o.status, message("screen_lock", o)) for o in outcomes]


def test_disable_lock_screen_true_fails_although_lock_enabled_is_true() -> None:
    fact = parse_case_with(
        "screen_lock/linux-gnome-idle-300", **{LOCKDOWN_ARGV: lockdown_listing("true")}
    )
    user = only_user(fact)
    assert v(user.lock_enabled) is False
    assert user.lock_screen_disabled is True
    assert judged(fact) == [
        (
            Status.FAIL,
            "The screen of hanako (gnome) never locks: org.gnome.desktop.lockdown "
            "disable-lock-screen is true, and GNOME Shell does not lock the screen while it is.",
        )
    ]


def gsettings_argv(schema: str) -> str:
    return LOCKDOWN_ARGV.rsplit(" ", 1)[0] + f" {schema}"


REFUSED = CommandResult(1, stderr="runuser: may not be used by non-root users\n")
KEYFILE = "file:/etc/dconf/db/local.d/00-screensaver"
LOCKFILE = "file:/etc/dconf/db/local.d/locks/screensaver"
LOCKED_CASE = "screen_lock/linux-gnome-not-root-lockdown-locked"


def keyfile(disable_lock_screen: str | None, idle: int = 900, delay: int = 5) -> CommandResult:
    text = (
        f"[org/gnome/desktop/session]\nidle-delay=uint32 {idle}\n\n"
        f"[org/gnome/desktop/screensaver]\nlock-enabled=true\nlock-delay=uint32 {delay}\n"
    )
    if disable_lock_screen is not None:
        text += f"\n[org/gnome/desktop/lockdown]\ndisable-lock-screen={disable_lock_screen}\n"
    return CommandResult(0, stdout=text)


def test_disable_lock_screen_false_keeps_the_pass() -> None:
    fact = parse_case_with(
        "screen_lock/linux-gnome-idle-300", **{LOCKDOWN_ARGV: lockdown_listing("false")}
    )
    user = only_user(fact)
    assert (v(user.lock_enabled), user.lock_screen_disabled) == (True, False)
    assert [s for s, _ in judged(fact)] == [Status.PASS]


def test_disable_lock_screen_locked_true_in_dconf_fails_unread_user() -> None:
    fact = parse_case_with(LOCKED_CASE, **{KEYFILE: keyfile("true")})
    user = only_user(fact)
    assert v(user.lock_enabled) is False and user.lock_screen_disabled is True
    assert "/org/gnome/desktop/lockdown/disable-lock-screen = true" in user.detail
    ((status, text),) = judged(fact)
    assert status is Status.FAIL
    assert "disable-lock-screen is true" in text
    ja = [message("screen_lock", o, "ja") for o in _outcomes(fact)]
    assert "disable-lock-screen が true" in ja[0]


def _outcomes(fact: ScreenLockFacts) -> list[Outcome]:
    platform = all_cases()[LOCKED_CASE].platform
    ctx = EvalContext(platform=platform, now=datetime(2026, 11, 20, tzinfo=UTC))
    check = ScreenLock()
    return list(check.evaluate(FactView({ScreenLockFacts: fact}), check.Params(), ctx))


def test_disable_lock_screen_locked_without_a_value_is_not_taken_as_the_default() -> None:
    """A lock with no value in the database leaves the schema default in force, which
    only the user's GSettings shows: unread, so unknown, as for lock-enabled."""
    fact = parse_case_with(LOCKED_CASE, **{KEYFILE: keyfile(None)})
    user = only_user(fact)
    assert v(user.lock_enabled) is None
    assert "needs root" in why(user.lock_enabled)
    assert v(user.enforced_by_policy) is False
    assert [s for s, _ in judged(fact)] == [Status.UNKNOWN]


def test_disable_lock_screen_unreadable_is_unknown() -> None:
    failed = CommandResult(1, stderr="No such schema “org.gnome.desktop.lockdown”\n")
    fact = parse_case_with("screen_lock/linux-gnome-idle-300", **{LOCKDOWN_ARGV: failed})
    user = only_user(fact)
    assert v(user.lock_enabled) is None
    assert "gsettings exited 1" in why(user.lock_enabled)
    assert [s for s, _ in judged(fact)] == [Status.UNKNOWN]
    # Read, but without the key: unknown, never the schema default.
    other = CommandResult(0, stdout="org.gnome.desktop.lockdown disable-log-out false\n")
    fact = parse_case_with("screen_lock/linux-gnome-idle-300", **{LOCKDOWN_ARGV: other})
    assert why(only_user(fact).lock_enabled) == (
        "/org/gnome/desktop/lockdown/disable-lock-screen was not read"
    )
    # Not run at all (a recording made before it was asked for): unknown too.
    fact = parse_case_with("screen_lock/linux-gnome-idle-300", **{LOCKDOWN_ARGV: None})
    assert why(only_user(fact).lock_enabled) == "gsettings not run"


def test_lock_enabled_false_fails_whatever_the_lockdown_key() -> None:
    screensaver = gsettings_argv("org.gnome.desktop.screensaver")
    off = CommandResult(0, stdout="org.gnome.desktop.screensaver lock-enabled false\n")
    other = CommandResult(0, stdout="")
    fact = parse_case_with(
        "screen_lock/linux-gnome-idle-300", **{screensaver: off, LOCKDOWN_ARGV: other}
    )
    assert v(only_user(fact).lock_enabled) is False
    assert judged(fact)[0] == (
        Status.FAIL,
        "The screen lock of hanako (gnome) is turned off.",
    )


VALUE = st.one_of(
    st.booleans().map(lambda b: "true" if b else "false"),
    st.integers(0, 100_000).map(lambda n: f"uint32 {n}"),
    st.sampled_from(["", "'x'", "nothing", "-1", "uint32 -5"]),
)


@given(
    idle=VALUE,
    delay=VALUE,
    enabled=VALUE,
    locked=st.booleans(),
    user_read=st.booleans(),
    extra=st.lists(st.text(max_size=40), max_size=4),
)
def test_disable_lock_screen_true_is_never_a_pass(
    idle: str, delay: str, enabled: str, locked: bool, user_read: bool, extra: list[str]
) -> None:
    """Whatever else is set or read, a disable-lock-screen of true in force never gives a
    pass: set by the user (GSettings reports it), or set and locked in the system database
    (GSettings then reports it too, or is not read at all)."""
    listings = {
        gsettings_argv("org.gnome.desktop.session"): f"org.gnome.desktop.session idle-delay {idle}",
        gsettings_argv("org.gnome.desktop.screensaver"): (
            f"org.gnome.desktop.screensaver lock-enabled {enabled}\n"
            f"org.gnome.desktop.screensaver lock-delay {delay}"
        ),
        LOCKDOWN_ARGV: "org.gnome.desktop.lockdown disable-lock-screen true",
    }
    changed: dict[str, CommandResult | None] = {}
    for key, text in listings.items():
        lines = [*extra, text] if key == LOCKDOWN_ARGV else [text]
        changed[key] = CommandResult(0, stdout="\n".join(lines) + "\n")
    if not locked:
        fact = parse_case_with("screen_lock/linux-gnome-idle-300", **changed)
    else:
        if not user_read:
            changed = dict.fromkeys(changed, REFUSED)
        changed[KEYFILE] = keyfile("true")
        fact = parse_case_with(LOCKED_CASE, **changed)
    for params in ({}, {"require_enforced": True}, {"max_idle_seconds": 1_000_000}):
        assert Status.PASS not in [s for s, _ in judged(fact, **params)]
