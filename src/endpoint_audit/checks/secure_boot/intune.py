"""secure_boot for `probe export --intune-compliance`: the settings of
compliance/intune_settings.ps1 and the rules that judge them with the baseline's parameters.

    SecureBootState   String  On | Off | Legacy | Unknown        IsEquals On
    TpmSpecVersion    Int64   the TPM's major version; 0 none; -1 not seen
                                                                GreaterEquals min_tpm_version
    TpmReady          String  Ready | NotReady | NoTpm | Unknown  IsEquals Ready
    SecureBootCa2023  String  Updated | NotStarted | InProgress | Error | Missing |
                              Unrecognised | NotApplicable | Unknown
                                                   IsEquals Updated (certificate_update)

Together the rules pass exactly when the check's three findings pass (a legacy BIOS
fails SecureBootState, as the check fails `secure_boot`, so the certificate rule need
not tell NotApplicable apart).
"""

from __future__ import annotations

from endpoint_audit.checkkit.intune import IntuneSettings, compliance_script, remediation
from endpoint_audit.checks.secure_boot.check import SecureBootParams
from endpoint_audit.checks.secure_boot.windows import SECURE_BOOT_PROBE
from endpoint_audit.model.intune import IntuneRule

TEXT = "secure_boot.intune"


def rules(params: SecureBootParams, more_info_url: str) -> list[IntuneRule]:
    found = [
        IntuneRule(
            setting_name="SecureBootState",
            operator="IsEquals",
            data_type="String",
            operand="On",
            more_info_url=more_info_url,
            remediation_strings=remediation(f"{TEXT}.state"),
        ),
        IntuneRule(
            setting_name="TpmSpecVersion",
            operator="GreaterEquals",
            data_type="Int64",
            operand=params.min_tpm_version,
            more_info_url=more_info_url,
            remediation_strings=remediation(f"{TEXT}.tpm_version", minimum=params.min_tpm_version),
        ),
        IntuneRule(
            setting_name="TpmReady",
            operator="IsEquals",
            data_type="String",
            operand="Ready",
            more_info_url=more_info_url,
            remediation_strings=remediation(f"{TEXT}.tpm_ready"),
        ),
    ]
    if params.certificate_update:
        found.append(
            IntuneRule(
                setting_name="SecureBootCa2023",
                operator="IsEquals",
                data_type="String",
                operand="Updated",
                more_info_url=more_info_url,
                remediation_strings=remediation(f"{TEXT}.ca2023"),
            )
        )
    return found


INTUNE = IntuneSettings(
    check_id="secure_boot",
    probe=SECURE_BOOT_PROBE,
    settings_script=compliance_script(__name__, "intune_settings"),
    settings=("SecureBootState", "TpmSpecVersion", "TpmReady", "SecureBootCa2023"),
    rules=rules,
)
