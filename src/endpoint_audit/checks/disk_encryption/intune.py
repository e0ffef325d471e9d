"""disk_encryption for `probe export --intune-compliance`: the settings of
compliance/intune_settings.ps1 and the rules that judge them with the baseline's parameters.

    BitLockerAnswer              String  Read | NeedsAdmin | Unread | Malformed | NoVolumes |
                                         Unrecognised | Unknown         IsEquals Read
    BitLockerVolumesJudged       Int64   fixed volumes judged (exclude_volumes left out);
                                         -1 not seen                     GreaterEquals 1
    BitLockerVolumesUnprotected  Int64   of those, volumes not seen encrypted with protection
                                         on (or locked); -1 not seen     IsEquals 0

Together the rules pass exactly when the check passes every volume. exclude_volumes
reaches the script as `$EABitLockerExcluded`, compared as check.py compares them (blanks
trimmed, ASCII letters folded, trailing slashes dropped). Stricter than the check where a
text of the answer is not printable ASCII (a mount point in a folder of another script):
the answer is Unrecognised, non-compliant (docs/deploy-probes.md).
"""

from __future__ import annotations

from endpoint_audit.checkkit.intune import (
    IntuneSettings,
    compliance_script,
    ps_string,
    remediation,
)
from endpoint_audit.checks.disk_encryption.check import DiskEncryptionParams, _normalise
from endpoint_audit.checks.disk_encryption.windows import BITLOCKER
from endpoint_audit.model.intune import IntuneRule

TEXT = "disk_encryption.intune"


def excluded_names(params: DiskEncryptionParams) -> list[str]:
    """The excluded volumes as the snippet compares them. A name that is not printable
    ASCII once normalised can only match a volume whose name is not either, and the
    snippet refuses those: leaving it out changes nothing."""
    names = {_normalise(v) for v in params.exclude_volumes}
    return sorted(n for n in names if all(" " <= c <= "~" for c in n))


def prelude(params: DiskEncryptionParams) -> str:
    items = ", ".join(ps_string(n) for n in excluded_names(params))
    return f"$EABitLockerExcluded = @({items})\n"


def rules(params: DiskEncryptionParams, more_info_url: str) -> list[IntuneRule]:
    return [
        IntuneRule(
            setting_name="BitLockerAnswer",
            operator="IsEquals",
            data_type="String",
            operand="Read",
            more_info_url=more_info_url,
            remediation_strings=remediation(f"{TEXT}.answer"),
        ),
        IntuneRule(
            setting_name="BitLockerVolumesJudged",
            operator="GreaterEquals",
            data_type="Int64",
            operand=1,
            more_info_url=more_info_url,
            remediation_strings=remediation(f"{TEXT}.judged"),
        ),
        IntuneRule(
            setting_name="BitLockerVolumesUnprotected",
            operator="IsEquals",
            data_type="Int64",
            operand=0,
            more_info_url=more_info_url,
            remediation_strings=remediation(f"{TEXT}.unprotected"),
        ),
    ]


INTUNE = IntuneSettings(
    check_id="disk_encryption",
    probe=BITLOCKER,
    settings_script=compliance_script(__name__, "intune_settings"),
    settings=("BitLockerAnswer", "BitLockerVolumesJudged", "BitLockerVolumesUnprotected"),
    rules=rules,
    prelude=prelude,
)
