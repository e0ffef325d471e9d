"""Windows Defender Firewall: the Domain, Private and Public profiles as enforced now,
and the firewalls registered with Windows Security Center.

`Get-NetFirewallProfile -PolicyStore ActiveStore` gives the effective state (Group Policy
merged with local settings); the default (persistent) store can disagree with what a GPO
applies. Enums are converted to numbers inside PowerShell:
`Enabled` is a GpoBoolean (0 False, 1 True, 2 NotConfigured) and `DefaultInboundAction`
an Action (0 NotConfigured, 2 Allow, 4 Block). NotConfigured inbound means the built-in
default, Block. A value the probe could not read arrives as null and stays unknown.
`DisabledInterfaceAliases` names interfaces the profile does not filter ("Disabling the
Firewall per Interface", learn.microsoft.com); `NotConfigured` means none.

Security Center (`root/SecurityCenter2`, client editions only) lists third-party
firewalls with a `productState` number, decoded by checkkit/security_center.py (the same
decoding the antivirus check uses): a number it does not recognise leaves the product
unknown, never protecting. Security Center keeps the entries of uninstalled or broken
suites with their last productState, so each entry also carries whether its programs are
on disk and its reporting program runs (checkkit/security_center.py, `EntryLiveness`).
"""

from __future__ import annotations

from typing import Any

from endpoint_audit.checkkit.collector import Results, require
from endpoint_audit.checkkit.firewall_facts import (
    FirewallProduct,
    FirewallProfile,
    InboundPolicy,
)
from endpoint_audit.checkkit.security_center import (
    SECURITY_CENTER_ENTRY,
    decode_product_state,
    liveness_fields,
)
from endpoint_audit.checkkit.windows_probe import (
    as_dict,
    as_int,
    as_list,
    as_text,
    probe_value,
    windows_script,
)
from endpoint_audit.errors import CollectorError
from endpoint_audit.model.commands import PowerShell
from endpoint_audit.model.observed import Observed, Reason, Seen, seen, unknown

PROFILES = ("Domain", "Private", "Public")

FIREWALL_PROFILES = PowerShell(
    "firewall_profiles",
    windows_script(__name__, "firewall_profiles"),
    clm_safe=True,  # cmdlets, casts and hashtables only (tests/windows/test_clm.py)
)
FIREWALL_PRODUCTS = PowerShell(
    "firewall_products",
    SECURITY_CENTER_ENTRY + windows_script(__name__, "firewall_products"),
    clm_safe=True,  # cmdlets, casts and hashtables only (tests/windows/test_clm.py)
)

_ENABLED = {0: False, 1: True}
_INBOUND: dict[int, InboundPolicy] = {0: "deny", 2: "allow", 4: "deny"}
_INBOUND_NAMES = {0: "NotConfigured (default Block)", 2: "Allow", 4: "Block"}
_ENABLED_NAMES = {0: "False", 1: "True", 2: "NotConfigured"}
NOT_CONFIGURED = "notconfigured"


def _name(names: dict[int, str], code: int | None) -> str:
    if code is None:
        return "missing"
    return names.get(code, str(code))


def excluded_interfaces(value: Any) -> Observed[tuple[str, ...]]:
    """Interfaces a profile leaves unfiltered."""
    unread = unknown("core.reason.firewall_interfaces_unread")
    if value is None:
        return unread
    names = [as_text(v) for v in as_list(value)]
    if any(n is None for n in names):
        return unread
    return seen(tuple(n for n in names if n is not None and n.lower() != NOT_CONFIGURED))


def profile_from(entry: dict[str, object]) -> FirewallProfile:
    name = as_text(entry.get("name")) or "?"
    enabled_code = as_int(entry.get("enabled"))
    inbound_code = as_int(entry.get("default_inbound"))
    enabled = _ENABLED.get(enabled_code) if enabled_code is not None else None
    inbound = _INBOUND.get(inbound_code) if inbound_code is not None else None
    excluded = excluded_interfaces(entry.get("disabled_interface_aliases"))
    detail = (
        f"Enabled={_name(_ENABLED_NAMES, enabled_code)}, "
        f"DefaultInboundAction={_name(_INBOUND_NAMES, inbound_code)}"
    )
    if isinstance(excluded, Seen) and excluded.value:
        detail += f", DisabledInterfaceAliases={','.join(excluded.value)}"
    return FirewallProfile(
        name=name,
        # The active store holds effective values; anything else is not evidence of "on".
        enabled=seen(enabled)
        if enabled is not None
        else unknown(
            "core.reason.firewall_enabled_unread", value=_name(_ENABLED_NAMES, enabled_code)
        ),
        inbound_default=seen(inbound)
        if inbound is not None
        else unknown(
            "core.reason.firewall_inbound_unread", value=_name(_INBOUND_NAMES, inbound_code)
        ),
        detail=detail,
        excluded_interfaces=excluded,
    )


def parse_profile_list(value: object) -> tuple[FirewallProfile, ...]:
    """Domain, Private and Public (a missing one is unknown), then any others."""
    seen: dict[str, FirewallProfile] = {}
    for raw in as_list(value):
        profile = profile_from(as_dict(raw, "firewall_profiles"))
        known = seen.get(profile.name)
        if known is not None and known != profile:
            # The cmdlet lists each profile once: two different answers for one profile
            # do not say which is in force (the last one is not believed over the first).
            profile = FirewallProfile(
                name=profile.name,
                enabled=unknown("core.reason.profile_reported_twice"),
                detail=f"{known.detail}; {profile.detail}",
            )
        seen[profile.name] = profile
    if not seen:
        raise CollectorError("Get-NetFirewallProfile returned no profiles")
    profiles = [seen.pop(name) for name in PROFILES if name in seen]
    # A standard profile that did not answer is unknown, never assumed on.
    profiles += [
        FirewallProfile(name=name, enabled=unknown("core.reason.profile_not_reported"))
        for name in PROFILES
        if all(p.name != name for p in profiles)
    ]
    profiles += list(seen.values())
    return tuple(profiles)


def product_from(entry: dict[str, Any]) -> FirewallProduct:
    name = as_text(entry.get("name")) or "?"
    code = as_int(entry.get("product_state"))
    liveness = liveness_fields(entry)
    if code is None or code < 0:
        return FirewallProduct(name=name, detail="productState missing", **liveness)
    decoded = decode_product_state(code)
    # The decoded state is in `state` and `up_to_date`; the detail is the number as read.
    detail = f"productState=0x{code:06X}"
    if decoded is None:
        return FirewallProduct(name=name, product_state=code, detail=detail, **liveness)
    return FirewallProduct(
        name=name,
        state=decoded.state,
        up_to_date=decoded.up_to_date,
        product_state=code,
        detail=detail,
        **liveness,
    )


def _failure(value: Any) -> str:
    if not isinstance(value, dict):
        return "no answer"
    hresult = as_int(value.get("hresult"))
    code = f" (HRESULT 0x{hresult & 0xFFFFFFFF:08X})" if hresult is not None else ""
    return f"{(as_text(value.get('error')) or '?')[:200]}{code}"


def security_center_unread(output: str) -> Reason:
    return Reason(key="core.reason.security_center_unread", args={"output": output})


def parse_products(
    value: Any,
) -> tuple[tuple[FirewallProduct, ...], Reason | None]:
    """The registered firewalls, and why they could not be read (None: they could, or
    the edition has no Security Center)."""
    data = as_dict(value, "firewall_products")
    installation = (as_text(data.get("installation_type")) or "").lower()
    products = data.get("products")
    if products is None:
        if installation.startswith("server"):
            return (), None  # Windows Server has no Security Center: nothing to register
        return (), security_center_unread(_failure(data.get("failure")))
    return tuple(product_from(as_dict(p, "firewall_products[]")) for p in as_list(products)), None


def products_outcome(results: Results) -> tuple[tuple[FirewallProduct, ...], Reason | None]:
    """parse_products on the probe's result; a failed probe leaves them unknown."""
    result = require(results, FIREWALL_PRODUCTS)
    if not result.ok:
        return (), security_center_unread(result.excerpt())
    return parse_products(probe_value(results, FIREWALL_PRODUCTS))
