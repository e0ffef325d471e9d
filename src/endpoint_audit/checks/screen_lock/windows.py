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

SCREEN_LOCK = PowerShell("screen_lock", windows_script(__name__, "screen_lock"), clm_safe=True)

DEFAULT_GRACE_SECONDS = 5
GRACE_REDIRECTED = (
    "ScreenSaverGracePeriod was not read: a 32-bit PowerShell host sees the WOW6432Node "
    "copy of HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon, not the "
    "64-bit key Windows uses"
)
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


def user_from(entry: dict[str, Any], grace: int | None) -> UserScreenLock:
    name = as_text(entry.get("user")) or as_text(entry.get("sid")) or "?"
    sid = as_text(entry.get("sid")) or "?"
    if as_text(entry.get("read_error")):
        return UserScreenLock(
            user=name,
            desktop="windows",
            unknown_reason=f"HKEY_USERS\\{sid}: {as_text(entry.get('read_error'))}",
        )
    if entry.get("hive_loaded") is not True:
        return UserScreenLock(
            user=name,
            desktop="windows",
            unknown_reason=f"the registry hive of {sid} is not loaded",
        )
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
        shown += "; no screen saver selected (SCRNSAVE.EXE empty)"
    unknown = None if timeout is not None else "ScreenSaveTimeOut is not set"
    if grace is None:
        unknown = "; ".join(r for r in (unknown, GRACE_REDIRECTED) if r)
    return UserScreenLock(
        user=name,
        desktop="windows",
        lock_enabled=lock_enabled,
        idle_seconds=timeout if timeout is not None and timeout >= 0 else None,
        lock_delay_seconds=grace,
        enforced_by_policy=enforced,
        detail=shown.strip("; ") or "no screen saver values set",
        # A missing timeout leaves the idle time unseen: Windows' own default (900 s)
        # applies only once a screen saver is selected, so it is not assumed.
        unknown_reason=unknown,
    )


def parse_screen_lock(value: Any) -> ScreenLockFacts:
    data = as_dict(value, "screen_lock")
    inactivity = data.get("inactivity_timeout_secs")
    machine = as_int(inactivity) if inactivity is not None else None
    if inactivity is not None and machine is None:
        raise CollectorError(f"InactivityTimeoutSecs is not a number: {inactivity!r}"[:120])
    grace_value = as_int(data.get("grace_period"))
    grace: int | None = (
        grace_value if grace_value is not None and grace_value >= 0 else DEFAULT_GRACE_SECONDS
    )
    if data.get("grace_period_redirected") is True:
        grace = None  # the 64-bit value was not seen; the default must not be assumed
    users = [
        user_from(as_dict(u, "screen_lock.users[]"), grace) for u in as_list(data.get("users"))
    ]
    users.sort(key=lambda u: u.user)
    return ScreenLockFacts(
        graphical=True,
        graphical_detail="Windows desktop",
        users=tuple(users),
        machine_idle_seconds=machine if machine else None,
        no_user_reason=None
        if users
        else "nobody is signed in (no console user and no explorer.exe session)",
    )


class WindowsScreenLock(OneProbeCollector[ScreenLockFacts]):
    fact_type = ScreenLockFacts
    probe = SCREEN_LOCK

    def parse_value(self, value: Any) -> ScreenLockFacts:
        return parse_screen_lock(value)
