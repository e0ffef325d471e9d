"""Windows Defender Firewall: the Domain, Private and Public profiles as enforced now, and
the firewalls registered with Windows Security Center (probes and parsers in
checkkit/windows_firewall.py, which the SMB exposure of open ports reads too)."""

from __future__ import annotations

from endpoint_audit.checkkit.collector import Collector, Results
from endpoint_audit.checkkit.windows_firewall import (
    FIREWALL_PRODUCTS,
    FIREWALL_PROFILES,
    PROFILES,
    parse_profile_list,
    products_outcome,
)
from endpoint_audit.checkkit.windows_probe import probe_value
from endpoint_audit.checks.firewall.facts import FirewallFacts
from endpoint_audit.model.observed import Unknown, seen
from endpoint_audit.model.platform import OsFamily, PlatformInfo


def parse_profiles(value: object) -> FirewallFacts:
    return FirewallFacts(require="all", profiles=parse_profile_list(value), checked=PROFILES)


class WindowsFirewall(Collector[FirewallFacts]):
    family = OsFamily.WINDOWS
    fact_type = FirewallFacts
    asks = (FIREWALL_PROFILES, FIREWALL_PRODUCTS)

    def parse(self, results: Results, platform: PlatformInfo) -> FirewallFacts:
        profiles = parse_profiles(probe_value(results, FIREWALL_PROFILES))
        products, unknown = products_outcome(results)
        found = Unknown(reason=unknown) if unknown else seen(products)
        # Validated, not copied: the Seen value takes the field's own type.
        return FirewallFacts.model_validate({**dict(profiles), "products": found})
