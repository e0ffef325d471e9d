"""password_policy for `probe export --intune-compliance`: the settings of
compliance/intune_settings.ps1 and the rules that judge them with the baseline's parameters.

    PasswordPolicyAnswer      String  Read | NeedsAdmin | SeceditFailed | Unknown  IsEquals Read
    PasswordMinimumLength     Int64   MinimumPasswordLength; -1 not seen
                                                              GreaterEquals min_length
    PasswordLockoutThreshold  Int64   LockoutBadCount; 99999 where it never locks (0) or
                                      is not seen     LessEquals max_failed_attempts
                                                      (at most 99998)
    PasswordCharClasses       Int64   3 with PasswordComplexity 1, else 0; -1 not seen
                                      GreaterEquals min_char_classes (only when above 0)
    PasswordPinMinimumLength  Int64   the Windows Hello PIN minimum in force (the
                                      PINComplexity policy when valid, else 4); -1 not seen
                                      GreaterEquals min_pin_length (only when set)

Together the rules pass exactly when the check passes every finding: the three secedit
values need an elevated answer with the export read (System, Intune's context, is
elevated), a value missing from the export is not seen. Stricter than the check only
for numbers it would read that are beyond 10^15 (not seen here) and for a lockout
threshold of 99999 or more with a baseline allowing that many (docs/deploy-probes.md).
"""

from __future__ import annotations

from endpoint_audit.checkkit.intune import IntuneSettings, RuleMaker, compliance_script
from endpoint_audit.checks.password_policy.check import PasswordPolicyParams
from endpoint_audit.checks.password_policy.windows import PROBE
from endpoint_audit.model.intune import IntuneRule

TEXT = "password_policy.intune"
NEVER_LOCKS = 99999  # the snippet's PasswordLockoutThreshold for 0 and not seen


_rule = RuleMaker(TEXT)


def rules(params: PasswordPolicyParams, more_info_url: str) -> list[IntuneRule]:
    url = more_info_url
    most = min(params.max_failed_attempts, NEVER_LOCKS - 1)
    found = [
        _rule("PasswordPolicyAnswer", "IsEquals", "Read", "answer", url),
        _rule(
            "PasswordMinimumLength",
            "GreaterEquals",
            params.min_length,
            "min_length",
            url,
            minimum=params.min_length,
        ),
        _rule("PasswordLockoutThreshold", "LessEquals", most, "lockout", url, maximum=most),
    ]
    if params.min_char_classes > 0:
        found.append(
            _rule(
                "PasswordCharClasses",
                "GreaterEquals",
                params.min_char_classes,
                "char_classes",
                url,
                minimum=params.min_char_classes,
            )
        )
    if params.min_pin_length is not None:
        found.append(
            _rule(
                "PasswordPinMinimumLength",
                "GreaterEquals",
                params.min_pin_length,
                "pin_length",
                url,
                minimum=params.min_pin_length,
            )
        )
    return found


INTUNE = IntuneSettings(
    check_id="password_policy",
    probe=PROBE,
    settings_script=compliance_script(__name__, "intune_settings"),
    settings=(
        "PasswordPolicyAnswer",
        "PasswordMinimumLength",
        "PasswordLockoutThreshold",
        "PasswordCharClasses",
        "PasswordPinMinimumLength",
    ),
    rules=rules,
)
