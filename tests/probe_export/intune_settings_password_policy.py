"""What the discovery script's password_policy snippet (checks/password_policy/compliance/
intune_settings.ps1) writes for a probe answer, step for step in Python: this machine has
no PowerShell, so the tests judge the answers through this reading."""

from __future__ import annotations

import re
from typing import Any

NEVER_LOCKS = 99999


def _value(table: Any, name: str) -> Any:
    # Get-EAPasswordValue: the key spelled exactly so (JSON keys are case-sensitive).
    return table.get(name) if isinstance(table, dict) else None


def _number(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        # [int64]$Value rounds; equal to the value only when it is whole.
        if -1e15 <= value <= 1e15 and value.is_integer():
            return int(value)
        return None
    if isinstance(value, str):
        match = re.fullmatch(r"[ \t\r\n]*(-?[0-9]{1,15})[ \t\r\n]*", value)
        return int(match.group(1)) if match else None
    return None


def password_policy_settings(probe: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "PasswordPolicyAnswer": "Unknown",
        "PasswordMinimumLength": -1,
        "PasswordLockoutThreshold": NEVER_LOCKS,
        "PasswordCharClasses": -1,
        "PasswordPinMinimumLength": -1,
    }
    if not isinstance(probe, dict):
        return settings
    pin = 4
    policy = probe.get("pin_complexity")
    if isinstance(policy, dict):
        least = _number(_value(policy, "MinimumPINLength"))
        most = _number(_value(policy, "MaximumPINLength"))
        if least is not None and 4 <= least <= 127 and (most is None or least <= most):
            pin = least
    settings["PasswordPinMinimumLength"] = pin
    access = probe.get("system_access")
    if probe.get("is_admin") is not True:
        settings["PasswordPolicyAnswer"] = "NeedsAdmin"
    elif not isinstance(access, dict):
        settings["PasswordPolicyAnswer"] = "SeceditFailed"
    else:
        settings["PasswordPolicyAnswer"] = "Read"
        length = _number(_value(access, "MinimumPasswordLength"))
        if length is not None:
            settings["PasswordMinimumLength"] = length
        lockout = _number(_value(access, "LockoutBadCount"))
        if lockout is not None and lockout >= 1:
            settings["PasswordLockoutThreshold"] = lockout
        complexity = _number(_value(access, "PasswordComplexity"))
        if complexity is not None:
            settings["PasswordCharClasses"] = 3 if complexity == 1 else 0
    return settings
