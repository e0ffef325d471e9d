from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from endpoint_audit.model.facts.base import Fact

InboundPolicy = Literal["deny", "reject", "allow"]
ProductState = Literal["on", "off", "snoozed", "expired"]


class FirewallProfile(BaseModel):
    """One firewall (Linux ufw, firewalld, nftables, iptables; macOS ALF) or one Windows
    profile (Domain, Private, Public)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    enabled: bool | None = None
    inbound_default: InboundPolicy | None = None
    detail: str = ""
    unknown_reason: str | None = None
    needs_privilege: str | None = None  # what would let the probe read it ("root")
    # Network interfaces the firewall is turned off on although the profile is on
    # (Windows DisabledInterfaceAliases). None: could not be read.
    excluded_interfaces: tuple[str, ...] | None = ()


class FirewallProduct(BaseModel):
    """A firewall registered with Windows Security Center (a suite that replaces Windows
    Firewall), with the state it reports there."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    state: ProductState | None = None  # None: a state this tool cannot decode
    up_to_date: bool | None = None
    product_state: int | None = None
    detail: str = ""

    @property
    def protecting(self) -> bool:
        return self.state == "on" and self.up_to_date is True


class FirewallFacts(Fact):
    name: ClassVar[str] = "firewall"

    # "all": every profile must be on with inbound deny (Windows profiles, macOS ALF).
    # "any": one active firewall with inbound deny protects the host (Linux managers).
    require: Literal["all", "any"] = "any"
    profiles: tuple[FirewallProfile, ...] = ()
    checked: tuple[str, ...] = ()  # what the probe looked for, for the "none active" message
    # Windows client: firewalls registered with Security Center. products_unknown_reason
    # says why they could not be read (then a profile that is off proves nothing).
    products: tuple[FirewallProduct, ...] = ()
    products_unknown_reason: str | None = None
