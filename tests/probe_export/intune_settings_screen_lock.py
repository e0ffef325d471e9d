"""What the discovery script's screen_lock snippet (checks/screen_lock/compliance/
intune_settings.ps1) writes for a probe answer, step for step in Python: this machine has
no PowerShell, so the tests judge the answers through this reading."""

from __future__ import annotations

import re
from typing import Any

UNREAD = 9999999999
_BLANKS = "[ \t\r\n]*"


def _number(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        match = re.fullmatch(f"{_BLANKS}(-?[0-9]{{1,18}}){_BLANKS}", value)
        return int(match.group(1)) if match else None
    return None


def _values(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        return {}
    out: dict[str, str] = {}
    for key, value in raw.items():
        if value is None:
            continue
        if isinstance(value, str):
            out[str(key)] = value
        elif isinstance(value, int) and not isinstance(value, bool):
            out[str(key)] = str(value)
        else:
            out[str(key)] = "?"
    return out


def screen_lock_settings(probe: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "ScreenLockMachineIdleSeconds": UNREAD,
        "ScreenLockUsers": -1,
        "ScreenLockUsersUnread": -1,
        "ScreenLockUsersNotSecure": -1,
        "ScreenLockUsersNotEnforced": -1,
        "ScreenLockIdleSeconds": UNREAD,
        "ScreenLockDelaySeconds": UNREAD,
    }
    if not isinstance(probe, dict):
        return settings
    machine = _number(probe.get("inactivity_timeout_secs"))
    if machine is not None and machine >= 1:
        settings["ScreenLockMachineIdleSeconds"] = machine
    if probe.get("grace_period_redirected") is not True:
        raw_grace = probe.get("grace_period")
        grace = _number(raw_grace)
        if raw_grace is None:
            settings["ScreenLockDelaySeconds"] = 5
        elif grace is not None and grace >= 0:
            settings["ScreenLockDelaySeconds"] = grace
    raw = probe.get("users")
    entries = [] if raw is None else (raw if isinstance(raw, list) else [raw])
    users = unread = not_secure = not_enforced = 0
    longest = 0
    for entry in entries:
        if not isinstance(entry, dict):
            return settings  # malformed: the check refuses the answer
        users += 1
        error = entry.get("read_error")
        has_error = isinstance(error, str) and error != ""
        if has_error or entry.get("hive_loaded") is not True:
            unread += 1
            continue
        user_values = _values(entry.get("user_values"))
        policy_values = _values(entry.get("policy_values"))
        effective = {**user_values, **policy_values}
        program = effective.get("SCRNSAVE.EXE")
        secure = (
            effective.get("ScreenSaveActive") == "1"
            and effective.get("ScreenSaverIsSecure") == "1"
            and program is not None
            and re.search("[!-~]", program) is not None
        )
        if not secure:
            not_secure += 1
        if not any(
            n in policy_values
            for n in ("ScreenSaveActive", "ScreenSaverIsSecure", "ScreenSaveTimeOut")
        ):
            not_enforced += 1
        timeout = _number(effective.get("ScreenSaveTimeOut"))
        if timeout is None or timeout < 0:
            unread += 1
        elif timeout == 0:
            longest = UNREAD
        elif timeout > longest:
            longest = timeout
    settings.update(
        ScreenLockUsers=users,
        ScreenLockUsersUnread=unread,
        ScreenLockUsersNotSecure=not_secure,
        ScreenLockUsersNotEnforced=not_enforced,
    )
    if users > unread and longest > 0:
        settings["ScreenLockIdleSeconds"] = longest
    return settings
