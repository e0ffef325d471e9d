"""Screen lock on Windows 10/11: the machine inactivity limit and each signed-in user's
screen saver.

- Machine: `InactivityTimeoutSecs` (REG_DWORD) under
  `HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Policies\\System` locks every session
  after that many idle seconds ("Interactive logon: Machine inactivity limit").
- Users: the console user (`Win32_ComputerSystem.UserName`) and the owners of
  `explorer.exe` (Remote Desktop sessions too), each by SID. Their settings are read from
  `HKEY_USERS\\<SID>`, never from the account running the audit: `Control Panel\\Desktop`
  and the Group Policy copy under `Software\\Policies\\Microsoft\\Windows\\Control Panel\\
  Desktop`, which wins. `ScreenSaveActive`, `ScreenSaverIsSecure` and
  `ScreenSaveTimeOut` are REG_SZ. A screen saver runs only if `SCRNSAVE.EXE` names one:
  with "(None)" selected Windows keeps ScreenSaveActive=1, so that value alone is no lock.
- Grace period: `ScreenSaverGracePeriod` (HKLM Winlogon, seconds, default 5) between the
  screen saver starting and the password being required. Winlogon lies under
  HKLM\\SOFTWARE, which a 32-bit process sees through WOW6432Node (MicrosoftDocs/win32
  desktop-src/WinProg64/shared-registry-keys.md; the Policies key and HKEY_USERS are
  shared): a 32-bit PowerShell host reports it as redirected, and the delay is unknown.
"""

from __future__ import annotations

from typing import Any

from endpoint_audit.checkkit.windows_probe import (
    OneProbeCollector,
    as_dict,
    as_int,
    as_list,
    as_text,
    windows_script,
)
from endpoint_audit.checks.screen_lock.facts import ScreenLockFacts, UserScreenLock
from endpoint_audit.errors import CollectorError
from endpoint_audit.model.commands import PowerShell
from endpoint_audit.model.observed import Observed, Reason, seen, unknown

SCREEN_LOCK = PowerShell("screen_lock", windows_script(__name__, "screen_lock"), clm_safe=True)

DEFAULT_GRACE_SECONDS = 5
# A 32-bit PowerShell host sees the WOW6432Node copy of Winlogon, not the 64-bit key.
GRACE_REDIRECTED = unknown("screen_lock.reason.grace_redirected")
SCREEN_SAVER_VALUES = (
    "ScreenSaveActive",
    "ScreenSaverIsSecure",
    "ScreenSaveTimeOut",
    "SCRNSAVE.EXE",
)


def _values(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        return {}
    return {str(k): str(v) for k, v in raw.items() if v is not None}


def user_from(entry: dict[str, Any], grace: Observed[int]) -> UserScreenLock:
    name = as_text(entry.get("user")) or as_text(entry.get("sid")) or "?"
    sid = as_text(entry.get("sid")) or "?"
    error = as_text(entry.get("read_error"))
    if error:
        why = unknown("screen_lock.reason.hive_unread", sid=sid, output=error)
        return UserScreenLock.unread(name, "windows", why)
    if entry.get("hive_loaded") is not True:
        why = unknown("screen_lock.reason.hive_not_loaded", sid=sid)
        return UserScreenLock.unread(name, "windows", why)
    user_values = _values(entry.get("user_values"))
    policy_values = _values(entry.get("policy_values"))
    effective = {**user_values, **policy_values}  # Group Policy beats the user's choice
    active = effective.get("ScreenSaveActive")
    secure = effective.get("ScreenSaverIsSecure")
    program = (effective.get("SCRNSAVE.EXE") or "").strip()
    timeout = as_int(effective.get("ScreenSaveTimeOut"))
    lock_enabled = active == "1" and secure == "1" and bool(program)
    enforced = any(
        n in policy_values for n in ("ScreenSaveActive", "ScreenSaverIsSecure", "ScreenSaveTimeOut")
    )
    shown = ", ".join(
        f"{n}={effective[n]}" + (" (policy)" if n in policy_values else "")
        for n in SCREEN_SAVER_VALUES
        if n in effective
    )
    if not program:
        shown += "; SCRNSAVE.EXE=∅"  # data: no screen saver selected
    # A missing timeout leaves the idle time unseen: Windows' own default (900 s)
    # applies only once a screen saver is selected, so it is not assumed.
    idle: Observed[int]
    if timeout is None:
        idle = unknown("screen_lock.reason.timeout_not_set")
    elif timeout < 0:
        idle = unknown("screen_lock.reason.timeout_negative", value=timeout)
    else:
        idle = seen(timeout)
    return UserScreenLock(
        user=name,
        desktop="windows",
        lock_enabled=seen(lock_enabled),
        idle_seconds=idle,
        lock_delay_seconds=grace,
        enforced_by_policy=seen(enforced),
        detail=shown.strip("; ") or "no screen saver values set",
    )


def parse_screen_lock(value: Any) -> ScreenLockFacts:
    data = as_dict(value, "screen_lock")
    inactivity = data.get("inactivity_timeout_secs")
    machine = as_int(inactivity) if inactivity is not None else None
    if inactivity is not None and machine is None:
        raise CollectorError(
            Reason(
                key="screen_lock.reason.inactivity_not_number",
                args={"value": repr(inactivity)[:80]},
            )
        )
    if machine is not None and -(1 << 31) <= machine < 0:
        # PowerShell reads a REG_DWORD as a signed Int32: 0x80000000 and above come out
        # negative, but Windows takes the unsigned value (decades), never a short limit.
        machine += 1 << 32
    grace_raw = data.get("grace_period")
    grace_value = as_int(grace_raw)
    grace: Observed[int]
    if grace_raw is None:
        grace = seen(DEFAULT_GRACE_SECONDS)  # not set: Windows' default
    elif grace_value is None or grace_value < 0:
        # Set, but not a number of seconds (a DWORD of 0x80000000 or more reads negative):
        # what Winlogon waits is not known, and never assumed to be the default.
        grace = unknown("screen_lock.reason.grace_unreadable", value=repr(grace_raw)[:40])
    else:
        grace = seen(grace_value)
    if data.get("grace_period_redirected") is True:
        grace = GRACE_REDIRECTED  # the 64-bit value was not seen: no default is assumed
    users = [
        user_from(as_dict(u, "screen_lock.users[]"), grace) for u in as_list(data.get("users"))
    ]
    users.sort(key=lambda u: u.user)
    return ScreenLockFacts(
        graphical=seen(True),
        graphical_detail="Windows desktop",
        users=seen(tuple(users)) if users else unknown("screen_lock.reason.nobody_signed_in"),
        machine_idle_seconds=machine if machine else None,
    )


class WindowsScreenLock(OneProbeCollector[ScreenLockFacts]):
    fact_type = ScreenLockFacts
    probe = SCREEN_LOCK

    def parse_value(self, value: Any) -> ScreenLockFacts:
        return parse_screen_lock(value)
