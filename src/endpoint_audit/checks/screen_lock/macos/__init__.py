"""Screen lock of the macOS console user (the owner of /dev/console).

Round 1 finds the console user and who the probes run as; round 2 reads that user's
settings as that user (`launchctl asuser UID sudo -u USER ...` when running as root), plus
the managed preferences of configuration profiles, which win over the user's own choice:

- idle: `com.apple.screensaver idleTime` (ByHost, `defaults -currentHost`); 0 = never.
- lock: `sysadminctl -screenLock status` (the setting macOS 10.13+ really uses; printed on
  stderr with a timestamp), falling back to the legacy `askForPassword(Delay)` keys.

At the login window /dev/console belongs to root: nobody is logged on, and root's own
settings are never reported as a user's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from msgspec import Struct

from endpoint_audit.checkkit.collector import Collector, Results, no_result
from endpoint_audit.checkkit.macos_plist import as_bool, as_int, plist_dict, plutil_xml
from endpoint_audit.checks.screen_lock.facts import ScreenLockFacts, UserScreenLock
from endpoint_audit.checks.screen_lock.macos.console_user import CONSOLE_USER_SETTINGS, parse_frames
from endpoint_audit.errors import CollectorError, FactUnavailable
from endpoint_audit.model.capabilities import Capability
from endpoint_audit.model.commands import Argv, Command, CommandResult
from endpoint_audit.model.observed import Observed, Reason, Unknown, seen, unknown
from endpoint_audit.model.platform import OsFamily, PlatformInfo

CONSOLE_OWNER = Argv(("stat", "-f", "%u %Su", "/dev/console"))
WHOAMI = Argv(("id", "-un"))
MANAGED_ROOT = "/Library/Managed Preferences"
MANAGED_GLOBAL = plutil_xml(f"{MANAGED_ROOT}/com.apple.screensaver.plist")
# Console owners that mean "no user session": the login window, Setup Assistant.
NOBODY = frozenset({"root", "loginwindow", "_mbsetupuser"})
# macOS short names: letters, digits, underscore, hyphen, period. Anything else in host
# output is refused before it goes into a command or a path.
_USER = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$")

IDLE_ARGV = ("defaults", "-currentHost", "read", "com.apple.screensaver", "idleTime")
ASK_ARGV = ("defaults", "read", "com.apple.screensaver", "askForPassword")
SYSADMINCTL_ARGV = ("sysadminctl", "-screenLock", "status")

_SYSADMINCTL_DELAY = re.compile(r"screenLock delay is (immediate|(-?\d+)(?:\.\d+)? seconds?)")
_SYSADMINCTL_OFF = re.compile(r"screenLock is off")
_SYSADMINCTL_ON = re.compile(r"screenLock is on")


class Console(Struct, frozen=True):
    uid: str
    user: str


def parse_console_owner(text: str) -> Console:
    fields = text.split()
    if len(fields) != 2 or not fields[0].isdigit() or not _USER.match(fields[1]):
        raise CollectorError(f"stat /dev/console: unexpected output {text.strip()[:100]!r}")
    return Console(uid=fields[0], user=fields[1])


def parse_sysadminctl(text: str) -> tuple[bool, int | None] | None:
    """(lock on, delay seconds) from `sysadminctl -screenLock status`; None if not said.

    "screenLock delay is immediate" = 0 s; "... is 300 seconds"; "... is -1 seconds" and
    "screenLock is off" = no lock."""
    match = _SYSADMINCTL_DELAY.search(text)
    if match:
        if match.group(1) == "immediate":
            return True, 0
        seconds = int(match.group(2))
        return (False, None) if seconds < 0 else (True, seconds)
    if _SYSADMINCTL_OFF.search(text):
        return False, None
    if _SYSADMINCTL_ON.search(text):
        return True, None
    return None


def parse_defaults_int(result: CommandResult | None) -> int | None:
    """An integer `defaults read` printed; None if the key is not set or unreadable."""
    if result is None or not result.ok:
        return None
    return as_int(result.stdout.strip())


class MacosScreenLock(Collector[ScreenLockFacts]):
    family = OsFamily.MACOS
    fact_type = ScreenLockFacts

    @staticmethod
    def as_user(console: Console, whoami: str | None, argv: tuple[str, ...]) -> Argv:
        if whoami == console.user:
            return Argv(argv)
        return Argv(
            ("launchctl", "asuser", console.uid, "sudo", "-n", "-u", console.user, *argv),
            privileged=True,
        )

    def _user_commands(self, console: Console, whoami: str | None) -> dict[str, Argv]:
        return {
            "idle": self.as_user(console, whoami, IDLE_ARGV),
            "ask": self.as_user(console, whoami, ASK_ARGV),
            "sysadminctl": self.as_user(console, whoami, SYSADMINCTL_ARGV),
            "managed_user": plutil_xml(
                f"{MANAGED_ROOT}/{console.user}/com.apple.screensaver.plist"
            ),
        }

    @staticmethod
    def _whoami(results: Results) -> str | None:
        result = results.get(WHOAMI.key)
        name = result.stdout.strip() if result is not None and result.ok else ""
        return name if _USER.match(name) else None

    def commands(self, platform: PlatformInfo, results: Results) -> Sequence[Command]:
        first: list[Command] = [CONSOLE_OWNER, WHOAMI, MANAGED_GLOBAL]
        if not platform.can(Capability.FOLLOW_UPS):
            # The user's commands carry the console user's name and uid, which a probe
            # script cannot know in advance: it runs their constant form instead.
            return [*first, CONSOLE_USER_SETTINGS]
        owner = results.get(CONSOLE_OWNER.key)
        if owner is None or not owner.ok or WHOAMI.key not in results:
            return first
        try:
            console = parse_console_owner(owner.stdout)
        except CollectorError:
            return first  # parse() reports it
        if console.user in NOBODY:
            return first
        return [*first, *self._user_commands(console, self._whoami(results)).values()]

    def parse(self, results: Results, platform: PlatformInfo) -> ScreenLockFacts:
        owner = results.get(CONSOLE_OWNER.key)
        if owner is None:
            raise CollectorError(no_result(CONSOLE_OWNER.key))
        if not owner.ok:
            raise CollectorError(
                Reason(
                    key="screen_lock.reason.console_stat_failed",
                    args={"status": owner.exit_status, "output": owner.excerpt()},
                )
            )
        console = parse_console_owner(owner.stdout)
        if console.user in NOBODY:
            return ScreenLockFacts(
                graphical=seen(True),
                graphical_detail="macOS",
                users=unknown("screen_lock.reason.nobody_at_console", owner=console.user),
            )
        cmds = self._user_commands(console, self._whoami(results))
        if not platform.can(Capability.FOLLOW_UPS):
            results = _from_probe_script(results, console, cmds)
        managed_global = _managed(results, MANAGED_GLOBAL)
        managed_user = _managed(results, cmds["managed_user"])
        user = _user_lock(console.user, results, cmds, managed_user, managed_global)
        return ScreenLockFacts(graphical=seen(True), graphical_detail="macOS", users=seen((user,)))


def _from_probe_script(results: Results, console: Console, cmds: dict[str, Argv]) -> Results:
    """The second round's results, derived from the frames of CONSOLE_USER_SETTINGS."""
    settings = results.get(CONSOLE_USER_SETTINGS.key)
    if settings is None:
        raise CollectorError("no result for the console user's settings")
    frames = parse_frames(settings)
    if not frames.logged_on or (frames.uid, frames.user) != (console.uid, console.user):
        raise FactUnavailable(
            Reason(
                key="screen_lock.reason.console_user_changed",
                args={"before": console.user, "after": frames.user},
            )
        )
    return {**results, **{cmds[name].key: frames.results[name] for name in cmds}}


def _managed(results: Results, command: Argv) -> dict[str, Any]:
    result = results.get(command.key)
    if result is None:
        raise CollectorError(no_result(command.key))
    return plist_dict(result, command.argv[-1]) or {}


def _denied(result: CommandResult | None) -> bool:
    """The per-user probe could not run as that user (no root, sudo refused)."""
    if result is None:
        return True
    text = result.stderr.lower()
    return not result.ok and (
        "password is required" in text
        or "not permitted" in text
        or "permission denied" in text
        or "must be run as root" in text
        or "sudo:" in text
    )


def _user_lock(
    user: str,
    results: Results,
    cmds: dict[str, Argv],
    managed_user: dict[str, Any],
    managed_global: dict[str, Any],
) -> UserScreenLock:
    got = {name: results.get(cmd.key) for name, cmd in cmds.items()}
    notes: list[str] = []

    # Managed values win: the user's own profile first, then the computer's.
    def managed(key: str) -> Any:
        for source in (managed_user, managed_global):
            if key in source:
                return source[key]
        return None

    idle = as_int(managed("idleTime"))
    idle_managed = idle is not None
    if idle is not None:
        notes.append(f"idleTime {idle} (configuration profile)")
    else:
        idle = parse_defaults_int(got["idle"])
        if idle is not None:
            notes.append(f"idleTime {idle}")

    lock_on: bool | None = None
    delay: int | None = None
    lock_managed = False
    sysadminctl = got["sysadminctl"]
    # sysadminctl writes to stderr; read both in case a release changes that.
    said = (
        parse_sysadminctl(sysadminctl.stderr + "\n" + sysadminctl.stdout)
        if sysadminctl is not None
        else None
    )
    ask = as_bool(managed("askForPassword"))
    if ask is not None:
        lock_managed = True
        lock_on = ask
        if ask:
            delay = as_int(managed("askForPasswordDelay"))
            if delay is None and said is not None and said[0]:
                # The profile asks for the password but leaves the delay to the user.
                delay, lock_managed = said[1], False
                notes.append(f"askForPassword 1 (configuration profile), user's delay {delay}")
            else:
                notes.append(f"askForPassword 1, delay {delay} (configuration profile)")
        else:
            notes.append("askForPassword 0 (configuration profile)")
    elif said is not None:
        lock_on, delay = said
        notes.append(
            "sysadminctl: "
            + ("off" if not lock_on else f"delay {delay if delay is not None else '?'} s")
        )
    else:
        # macOS 10.13 and later no longer lock by these user keys (only by a profile's),
        # so they are shown as a hint and never taken as the setting.
        legacy = parse_defaults_int(got["ask"])
        if legacy is not None:
            notes.append(
                f"legacy askForPassword {legacy} in the user's preferences (not used by macOS)"
            )

    denied: Unknown | None = None
    if any(_denied(got[n]) for n in ("idle", "sysadminctl")) and not (
        idle_managed and lock_managed
    ):
        denied = unknown("screen_lock.reason.user_needs_root", user=user)
    idle_seen: Observed[int] = (
        seen(idle) if idle is not None else denied or unknown("screen_lock.reason.idle_not_set")
    )
    lock_seen: Observed[bool] = (
        seen(lock_on)
        if lock_on is not None
        else denied or unknown("screen_lock.reason.password_not_said")
    )
    delay_seen: Observed[int]
    if lock_on is False:  # no password is asked, so there is no delay to read
        delay_seen = unknown("screen_lock.reason.lock_off")
    elif delay is not None and lock_on:
        delay_seen = seen(delay)
    elif lock_on:
        delay_seen = denied or unknown("screen_lock.reason.delay_not_set")
    else:
        delay_seen = denied or unknown("screen_lock.reason.password_not_said")
    return UserScreenLock(
        user=user,
        desktop="macos",
        lock_enabled=lock_seen,
        idle_seconds=idle_seen,
        lock_delay_seconds=delay_seen,
        enforced_by_policy=seen(idle_managed and lock_managed),
        detail="; ".join(notes),
    )
