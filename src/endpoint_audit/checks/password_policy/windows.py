"""password_policy on Windows: the local security policy exported by `secedit /export
/areas SECURITYPOLICY` ([System Access] MinimumPasswordLength, PasswordComplexity,
LockoutBadCount), and the Windows Hello for Business PIN policy
(HKLM\\SOFTWARE\\Policies\\Microsoft\\PassportForWork\\PINComplexity MinimumPINLength).

Only numbers are read: `net accounts` prints localized labels and words ("Never") and is
never parsed. secedit needs an elevated token; without one the three password values are
unknown, naming that right. On a domain-joined PC the export holds the policy in effect on
this PC (local accounts); domain accounts follow the policy set on the domain controllers,
which the findings note.
"""

from __future__ import annotations

from typing import Any, ClassVar

from endpoint_audit.checkkit.windows_probe import (
    OneProbeCollector,
    as_dict,
    as_int,
    windows_script,
)
from endpoint_audit.checks.password_policy.facts import PasswordPolicyFacts, Setting
from endpoint_audit.model.commands import PowerShell
from endpoint_audit.model.observed import Observed, seen, unknown

PROBE = PowerShell("password_policy", windows_script(__name__, "password_policy"), privileged=True)
REASON = "password_policy.reason"
INF = "secedit [System Access]"
# "Password must meet complexity requirements": characters from three of the categories
# upper case, lower case, digits, other (MicrosoftDocs/windows-itpro-docs
# password-must-meet-complexity-requirements.md).
COMPLEXITY_CLASSES = 3
# A PIN policy that is not configured, or whose minimum is outside 4..127 or above its
# maximum, leaves PINs of 4 characters allowed (PassportForWork CSP, MinimumPINLength:
# "If you disable or do not configure this policy setting, the PIN length must be greater
# than or equal to 4"; newer Windows documents 6, and the lower is taken).
PIN_DEFAULT = 4
PIN_KEY = r"HKLM\SOFTWARE\Policies\Microsoft\PassportForWork\PINComplexity"


def _access_value(access: dict[str, Any], name: str, value_of: Any = None) -> Observed[Setting]:
    raw = as_int(access.get(name))
    if raw is None:
        return unknown(f"{REASON}.inf_key_missing", name=name)
    value = value_of(raw) if value_of is not None else raw
    return seen(Setting(value=value, source=f"{INF} {name}={raw}"))


def _complexity(raw: int) -> int:
    return COMPLEXITY_CLASSES if raw == 1 else 0


def pin_length(pin: Any) -> Setting:
    """The PIN minimum Windows enforces: the policy's when it is valid, else the default."""
    if not isinstance(pin, dict):
        return Setting(value=PIN_DEFAULT, source=f"{PIN_KEY}: ∅ → {PIN_DEFAULT}")
    least = as_int(pin.get("MinimumPINLength"))
    most = as_int(pin.get("MaximumPINLength"))
    if least is None or not 4 <= least <= 127 or (most is not None and least > most):
        shown = "∅" if least is None else str(least)
        return Setting(
            value=PIN_DEFAULT, source=f"{PIN_KEY} MinimumPINLength={shown} → {PIN_DEFAULT}"
        )
    return Setting(value=least, source=f"{PIN_KEY} MinimumPINLength={least}")


def parse_probe(value: Any) -> PasswordPolicyFacts:
    data = as_dict(value, "PowerShell probe 'password_policy'")
    domain = data.get("part_of_domain")
    common: dict[str, Any] = {
        "pin_min_length": seen(pin_length(data.get("pin_complexity"))),
        "domain_joined": domain if isinstance(domain, bool) else None,
        "sources": (PROBE.key,),
    }
    access = data.get("system_access")
    if data.get("is_admin") is not True:
        why = unknown(f"{REASON}.secedit_needs_admin")
        return PasswordPolicyFacts(
            min_length=why, lockout_threshold=why, char_classes=why, **common
        )
    if not isinstance(access, dict):
        exit_status = as_int(data.get("secedit_exit"))
        error = data.get("secedit_error")
        why = unknown(
            f"{REASON}.secedit_failed",
            exit_status="-" if exit_status is None else exit_status,
            error=error if isinstance(error, str) else "-",
        )
        return PasswordPolicyFacts(
            min_length=why, lockout_threshold=why, char_classes=why, **common
        )
    return PasswordPolicyFacts(
        min_length=_access_value(access, "MinimumPasswordLength"),
        lockout_threshold=_access_value(access, "LockoutBadCount"),
        char_classes=_access_value(access, "PasswordComplexity", _complexity),
        **common,
    )


class WindowsPasswordPolicy(OneProbeCollector[PasswordPolicyFacts]):
    fact_type = PasswordPolicyFacts
    probe: ClassVar[PowerShell] = PROBE

    def parse_value(self, value: Any) -> PasswordPolicyFacts:
        return parse_probe(value)
