from typing import ClassVar, Literal

from pydantic import Field

from endpoint_audit.checkkit.fact import Fact
from endpoint_audit.checkkit.firewall_facts import FirewallProduct, FirewallProfile
from endpoint_audit.model.observed import Observed, seen


class FirewallFacts(Fact):
    name: ClassVar[str] = "firewall"

    # "all": every profile must be on with inbound deny (Windows profiles, macOS ALF).
    # "any": one active firewall with inbound deny protects the host.
    # "kernel": the one profile is what the kernel's rules do (Linux netfilter); the
    # managers that wrote them are in `frontends`, shown but not judged.
    require: Literal["all", "any", "kernel"] = "any"
    profiles: tuple[FirewallProfile, ...] = ()
    frontends: tuple[FirewallProfile, ...] = ()
    checked: tuple[str, ...] = ()  # what the probe looked for, for the "none active" message
    # Windows client: firewalls registered with Security Center; Unknown says why they
    # could not be read (then a profile that is off proves nothing).
    products: Observed[tuple[FirewallProduct, ...]] = Field(default=seen(()), validate_default=True)
