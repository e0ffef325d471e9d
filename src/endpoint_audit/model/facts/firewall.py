from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from endpoint_audit.model.facts.base import Fact

InboundPolicy = Literal["deny", "reject", "allow"]


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


class FirewallFacts(Fact):
    name: ClassVar[str] = "firewall"

    # "all": every profile must be on with inbound deny (Windows profiles, macOS ALF).
    # "any": one active firewall with inbound deny protects the host (Linux managers).
    require: Literal["all", "any"] = "any"
    profiles: tuple[FirewallProfile, ...] = ()
    checked: tuple[str, ...] = ()  # what the probe looked for, for the "none active" message
