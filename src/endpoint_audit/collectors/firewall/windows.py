"""Windows Defender Firewall: the Domain, Private and Public profiles as enforced now.

`Get-NetFirewallProfile -PolicyStore ActiveStore` gives the effective state (Group Policy
merged with local settings); the default (persistent) store can disagree with what a GPO
applies. Enums are converted to numbers inside PowerShell:
`Enabled` is a GpoBoolean (0 False, 1 True, 2 NotConfigured) and `DefaultInboundAction`
an Action (0 NotConfigured, 2 Allow, 4 Block). NotConfigured inbound means the built-in
default, Block.
"""

from __future__ import annotations

from collections.abc import Sequence

from endpoint_audit.collectors.base import Collector, Results
from endpoint_audit.collectors.windows_probe import (
    as_dict,
    as_int,
    as_list,
    as_text,
    probe_value,
    windows_script,
)
from endpoint_audit.errors import CollectorError
from endpoint_audit.model.commands import Command, PowerShell
from endpoint_audit.model.facts import FirewallFacts, FirewallProfile
from endpoint_audit.model.facts.firewall import InboundPolicy
from endpoint_audit.model.platform import OsFamily, PlatformInfo

PROFILES = ("Domain", "Private", "Public")

FIREWALL_PROFILES = PowerShell(
    "firewall_profiles",
    windows_script("firewall_profiles"),
    clm_safe=True,  # cmdlets, casts and hashtables only (tests/windows/test_clm.py)
)

_ENABLED = {0: False, 1: True}
_INBOUND: dict[int, InboundPolicy] = {0: "deny", 2: "allow", 4: "deny"}
_INBOUND_NAMES = {0: "NotConfigured (default Block)", 2: "Allow", 4: "Block"}
_ENABLED_NAMES = {0: "False", 1: "True", 2: "NotConfigured"}


def _name(names: dict[int, str], code: int | None) -> str:
    if code is None:
        return "?"
    return names.get(code, str(code))


def profile_from(entry: dict[str, object]) -> FirewallProfile:
    name = as_text(entry.get("name")) or "?"
    enabled_code = as_int(entry.get("enabled"))
    inbound_code = as_int(entry.get("default_inbound"))
    enabled = _ENABLED.get(enabled_code) if enabled_code is not None else None
    inbound = _INBOUND.get(inbound_code) if inbound_code is not None else None
    detail = (
        f"Enabled={_name(_ENABLED_NAMES, enabled_code)}, "
        f"DefaultInboundAction={_name(_INBOUND_NAMES, inbound_code)}"
    )
    unknown: str | None = None
    if enabled is None:
        # The active store holds effective values; anything else is not evidence of "on".
        unknown = f"the active policy store reports Enabled={enabled_code!r}"
    elif inbound is None:
        unknown = f"unknown DefaultInboundAction {inbound_code!r}"
    return FirewallProfile(
        name=name, enabled=enabled, inbound_default=inbound, detail=detail, unknown_reason=unknown
    )


def parse_profiles(value: object) -> FirewallFacts:
    seen: dict[str, FirewallProfile] = {}
    for raw in as_list(value):
        profile = profile_from(as_dict(raw, "firewall_profiles"))
        seen[profile.name] = profile
    if not seen:
        raise CollectorError("Get-NetFirewallProfile returned no profiles")
    profiles = [seen.pop(name) for name in PROFILES if name in seen]
    # A standard profile that did not answer is unknown, never assumed on.
    profiles += [
        FirewallProfile(name=name, unknown_reason="not reported by Get-NetFirewallProfile")
        for name in PROFILES
        if all(p.name != name for p in profiles)
    ]
    profiles += list(seen.values())
    return FirewallFacts(require="all", profiles=tuple(profiles), checked=PROFILES)


class WindowsFirewall(Collector[FirewallFacts]):
    id = "windows.firewall"
    fact_type = FirewallFacts
    platforms = frozenset({OsFamily.WINDOWS})
    reads = "`Get-NetFirewallProfile -PolicyStore ActiveStore` (Enabled, DefaultInboundAction)"
    privilege = "none"

    def commands(self, platform: PlatformInfo, results: Results) -> Sequence[Command]:
        return [FIREWALL_PROFILES]

    def parse(self, results: Results, platform: PlatformInfo) -> FirewallFacts:
        return parse_profiles(probe_value(results, FIREWALL_PROFILES))
