"""firewall for `probe export --intune-compliance`: the settings of
compliance/intune_settings.ps1 and the rules that judge them with the baseline's parameters.

    Firewall<P>Enabled      String  On | Off | Unknown               IsEquals On
    Firewall<P>Inbound      String  Block | Allow | Unknown          IsEquals Block
                                                         (only with require_inbound_deny)
    Firewall<P>Interfaces   String  AllFiltered | Excluded | Unknown IsEquals AllFiltered
    FirewallOtherProfiles   Int64   profiles besides the three; -1 not seen   IsEquals 0
    FirewallSecurityCenterAnswer  String  Usable | Malformed | Unknown  IsEquals Usable

for <P> each of Domain, Private and Public. Together the rules pass only where the check
passes every profile. Stricter than the check where a suite registered with Security
Center protects a profile Windows Firewall leaves off (the check passes it; here it is
non-compliant, docs/deploy-probes.md), and for a fourth profile (Windows has three).
"""

from __future__ import annotations

from endpoint_audit.checkkit.intune import IntuneSettings, compliance_script, remediation
from endpoint_audit.checkkit.windows_firewall import FIREWALL_PRODUCTS, FIREWALL_PROFILES, PROFILES
from endpoint_audit.checks.firewall.check import FirewallParams
from endpoint_audit.model.commands import PowerShell
from endpoint_audit.model.intune import IntuneRule

TEXT = "firewall.intune"

# Both probes in one body, their answers side by side: the snippet needs the profiles,
# and the Security Center answer that makes the check an error when it is malformed.
PROFILES_AND_PRODUCTS = PowerShell(
    "firewall_profiles_products",
    FIREWALL_PROFILES.script.rstrip()
    + "\n$EAFirewallProfiles = $result\n"
    + FIREWALL_PRODUCTS.script.rstrip()
    + "\n$result = @{ profiles = $EAFirewallProfiles; products = $result }\n",
    clm_safe=True,  # the two probes are
)


def _rule(
    name: str, operand: str | int, text: str, more_info_url: str, **args: object
) -> IntuneRule:
    return IntuneRule(
        setting_name=name,
        operator="IsEquals",
        data_type="Int64" if isinstance(operand, int) else "String",
        operand=operand,
        more_info_url=more_info_url,
        remediation_strings=remediation(f"{TEXT}.{text}", **args),
    )


def rules(params: FirewallParams, more_info_url: str) -> list[IntuneRule]:
    found: list[IntuneRule] = []
    for profile in PROFILES:
        found.append(
            _rule(f"Firewall{profile}Enabled", "On", "enabled", more_info_url, profile=profile)
        )
        if params.require_inbound_deny:
            found.append(
                _rule(
                    f"Firewall{profile}Inbound", "Block", "inbound", more_info_url, profile=profile
                )
            )
        found.append(
            _rule(
                f"Firewall{profile}Interfaces",
                "AllFiltered",
                "interfaces",
                more_info_url,
                profile=profile,
            )
        )
    found.append(_rule("FirewallOtherProfiles", 0, "other_profiles", more_info_url))
    found.append(_rule("FirewallSecurityCenterAnswer", "Usable", "security_center", more_info_url))
    return found


INTUNE = IntuneSettings(
    check_id="firewall",
    probe=PROFILES_AND_PRODUCTS,
    settings_script=compliance_script(__name__, "intune_settings"),
    settings=(
        *(f"Firewall{p}{s}" for p in PROFILES for s in ("Enabled", "Inbound", "Interfaces")),
        "FirewallOtherProfiles",
        "FirewallSecurityCenterAnswer",
    ),
    rules=rules,
)
