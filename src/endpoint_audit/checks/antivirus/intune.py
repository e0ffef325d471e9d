"""antivirus for `probe export --intune-compliance`: the settings of
compliance/intune_settings.ps1 and the rules that judge them with the baseline's parameters.

    AntivirusProtection        String  On | Off | NotAccepted | Unknown | Malformed |
                                       Unrecognised                       IsEquals On
    AntivirusProtectedBy       String  Defender | Product | None          (no rule: evidence)
    AntivirusSignatureAgeDays  Int64   Defender's signature age in days, the older of its
                                       own count and the date; 0 where a product protects;
                                       99999 not seen     LessEquals max_signature_age_days
    AntivirusSignatures        String  Current | OutOfDate | Unknown      IsEquals Current
    AntivirusTamperProtection  Int64   1 on, 0 off, -1 not seen, 2 a registered product
                                       protects (the check asks tamper protection of
                                       Defender only)          GreaterEquals 1
                                                               (only with require_tamper_protection)

On is Defender active (normal mode, service, antivirus and real-time protection on), or,
where it is not, a third-party product registered with Security Center that is on and up
to date, whose reporting program is on disk and running, and named in accepted_products
(part of its name, any case) when the list is given; accepted_products reaches the
script as `$EAAntivirusAccepted`, case-folded.
Together the rules pass only where the check passes. Stricter than the check where a
product name (with accepted_products) or Defender's mode or date is a text outside
printable ASCII and Japanese kana and kanji (Unrecognised), where the update date is not
in the form the probe writes (its age is then not seen), and by less than a second in
the age (docs/deploy-probes.md).
"""

from __future__ import annotations

from endpoint_audit.checkkit.intune import (
    IntuneSettings,
    compliance_script,
    ps_string,
    remediation,
)
from endpoint_audit.checks.antivirus.check import AntivirusParams
from endpoint_audit.checks.antivirus.windows import ANTIVIRUS_STATUS
from endpoint_audit.model.intune import IntuneRule

TEXT = "antivirus.intune"
UNREAD_AGE = 99999  # the snippet's $EAAntivirusUnread


def accepted_names(params: AntivirusParams) -> list[str]:
    """accepted_products as check.py compares them."""
    return [w.casefold() for w in params.accepted_products]


def prelude(params: AntivirusParams) -> str:
    items = ", ".join(ps_string(n) for n in accepted_names(params))
    return f"$EAAntivirusAccepted = @({items})\n"


def rules(params: AntivirusParams, more_info_url: str) -> list[IntuneRule]:
    found = [
        IntuneRule(
            setting_name="AntivirusProtection",
            operator="IsEquals",
            data_type="String",
            operand="On",
            more_info_url=more_info_url,
            remediation_strings=remediation(f"{TEXT}.protection"),
        ),
        IntuneRule(
            setting_name="AntivirusSignatureAgeDays",
            operator="LessEquals",
            data_type="Int64",
            operand=params.max_signature_age_days,
            more_info_url=more_info_url,
            remediation_strings=remediation(
                f"{TEXT}.signature_age", maximum=params.max_signature_age_days
            ),
        ),
        IntuneRule(
            setting_name="AntivirusSignatures",
            operator="IsEquals",
            data_type="String",
            operand="Current",
            more_info_url=more_info_url,
            remediation_strings=remediation(f"{TEXT}.signatures"),
        ),
    ]
    if params.require_tamper_protection:
        found.append(
            IntuneRule(
                setting_name="AntivirusTamperProtection",
                operator="GreaterEquals",
                data_type="Int64",
                operand=1,
                more_info_url=more_info_url,
                remediation_strings=remediation(f"{TEXT}.tamper"),
            )
        )
    return found


INTUNE = IntuneSettings(
    check_id="antivirus",
    probe=ANTIVIRUS_STATUS,
    settings_script=compliance_script(__name__, "intune_settings"),
    settings=(
        "AntivirusProtection",
        "AntivirusProtectedBy",
        "AntivirusSignatureAgeDays",
        "AntivirusSignatures",
        "AntivirusTamperProtection",
    ),
    rules=rules,
    prelude=prelude,
)
