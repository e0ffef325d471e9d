"""screen_lock for `probe export --intune-compliance`: the settings of
compliance/intune_settings.ps1 and the rules that judge them with the baseline's parameters.

    ScreenLockMachineIdleSeconds  Int64  InactivityTimeoutSecs when 1 or more; 9999999999
                                         not set, 0, below 1 or not read
                                                         LessEquals max_idle_seconds
    ScreenLockUsers               Int64  users signed in; -1 not seen   GreaterEquals 1
    ScreenLockUsersUnread         Int64  of them, users whose settings (hive, screen saver
                                         timeout) were not read; -1 not seen  IsEquals 0
    ScreenLockUsersNotSecure      Int64  users without a password-protected screen saver
                                         (ScreenSaveActive and ScreenSaverIsSecure 1,
                                         SCRNSAVE.EXE chosen); -1 not seen   IsEquals 0
    ScreenLockUsersNotEnforced    Int64  users whose screen saver is not set by Group
                                         Policy; -1 not seen        IsEquals 0
                                                                    (only with require_enforced)
    ScreenLockIdleSeconds         Int64  the longest screen saver timeout of the users read;
                                         9999999999 for 0 (never) or none read
                                                         LessEquals max_idle_seconds
    ScreenLockDelaySeconds        Int64  ScreenSaverGracePeriod (5 when not set); 9999999999
                                         not seen (32-bit host)
                                                         LessEquals max_lock_delay_seconds

Together the rules pass only where the check passes the machine and every user. As the
check, a PC nobody is signed in to is not compliant (unknown there), and an
InactivityTimeoutSecs read as negative (a REG_DWORD of 2^31 or more) fails both. Stricter
than the check where a registry value is neither a text nor an integer
(docs/deploy-probes.md).
"""

from __future__ import annotations

from endpoint_audit.checkkit.intune import IntuneSettings, RuleMaker, compliance_script
from endpoint_audit.checks.screen_lock.check import ScreenLockParams
from endpoint_audit.checks.screen_lock.windows import SCREEN_LOCK
from endpoint_audit.model.intune import IntuneRule

TEXT = "screen_lock.intune"
UNREAD = 9999999999  # the snippet's $EAScreenLockUnread


def _limit(seconds: int) -> int:
    # A baseline's maximum never reaches the unread value: that must never pass.
    return min(seconds, UNREAD - 1)


_rule = RuleMaker(TEXT)


def rules(params: ScreenLockParams, more_info_url: str) -> list[IntuneRule]:
    idle = _limit(params.max_idle_seconds)
    delay = _limit(params.max_lock_delay_seconds)
    found = [
        _rule("ScreenLockMachineIdleSeconds", "LessEquals", idle, "machine", more_info_url,
              maximum=idle),
        _rule("ScreenLockUsers", "GreaterEquals", 1, "users", more_info_url),
        _rule("ScreenLockUsersUnread", "IsEquals", 0, "unread", more_info_url),
        _rule("ScreenLockUsersNotSecure", "IsEquals", 0, "not_secure", more_info_url),
    ]  # fmt: skip
    if params.require_enforced:
        found.append(_rule("ScreenLockUsersNotEnforced", "IsEquals", 0, "enforced", more_info_url))
    found += [
        _rule("ScreenLockIdleSeconds", "LessEquals", idle, "idle", more_info_url, maximum=idle),
        _rule("ScreenLockDelaySeconds", "LessEquals", delay, "delay", more_info_url,
              maximum=delay),
    ]  # fmt: skip
    return found


INTUNE = IntuneSettings(
    check_id="screen_lock",
    probe=SCREEN_LOCK,
    settings_script=compliance_script(__name__, "intune_settings"),
    settings=(
        "ScreenLockMachineIdleSeconds",
        "ScreenLockUsers",
        "ScreenLockUsersUnread",
        "ScreenLockUsersNotSecure",
        "ScreenLockUsersNotEnforced",
        "ScreenLockIdleSeconds",
        "ScreenLockDelaySeconds",
    ),
    rules=rules,
)
