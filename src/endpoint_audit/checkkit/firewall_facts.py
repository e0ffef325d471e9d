"""The state of a host firewall profile and of a registered firewall product.

Shared by the check that judges host firewalls and by checks that judge what the network
can reach (Windows SMB exposure reads the same profiles).
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from endpoint_audit.checkkit.security_center import EntryLiveness, ProductState
from endpoint_audit.model.observed import Observed, Reason, seen, unknown

InboundPolicy = Literal["deny", "reject", "allow"]


class FirewallProfile(BaseModel):
    """One Windows profile (Domain, Private, Public), the macOS application firewall, the
    Linux kernel's netfilter rules, or a Linux manager (ufw, firewalld).

    `inbound_default` answers: is a new inbound connection from the network to an
    arbitrary port dropped (deny), refused (reject) or accepted (allow)? Each value is
    `Observed`: what a probe could not read carries its reason, and is never taken for on.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    enabled: Observed[bool]
    # A firewall that is off has no inbound policy worth reading: unknown unless said.
    inbound_default: Observed[InboundPolicy] = Field(
        default=unknown("core.reason.firewall_inbound_not_read"), validate_default=True
    )
    detail: str = ""  # what was read, in the probe's terms (evidence)
    # `detail` for people, in the report's language (Linux netfilter); None: `detail`.
    summary: Reason | None = None
    needs_privilege: Reason | None = None  # what would let the probe read it (root)
    # Linux netfilter: what the rules let in besides (`IPv4: tcp/22 ← any (rule)`),
    # the rules that let an arbitrary connection in, and what could not be judged.
    openings: tuple[str, ...] = ()
    accepted_by: tuple[str, ...] = ()
    unjudged: tuple[str, ...] = ()
    # Network interfaces the firewall is turned off on although the profile is on
    # (Windows DisabledInterfaceAliases).
    excluded_interfaces: Observed[tuple[str, ...]] = Field(default=seen(()), validate_default=True)


class FirewallProduct(EntryLiveness):
    """A firewall registered with Windows Security Center (a suite that replaces Windows
    Firewall), with the state it reports there and whether it is alive (`EntryLiveness`:
    Security Center keeps the entries of uninstalled or broken suites)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    state: ProductState | None = None  # None: a state this tool cannot decode
    up_to_date: bool | None = None
    product_state: int | None = None
    detail: str = ""

    @property
    def protecting(self) -> bool:
        """What productState claims: on and up to date (not proof that it runs)."""
        return self.state == "on" and self.up_to_date is True
