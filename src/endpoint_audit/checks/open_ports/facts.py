from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from endpoint_audit.checkkit.fact import Fact
from endpoint_audit.model.observed import Observed, Reason, unknown


class ListeningSocket(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    protocol: Literal["tcp", "udp"]
    address: str  # "0.0.0.0", "::", "127.0.0.1", "*"
    port: int
    pid: int | None = None
    process: str | None = None
    user: str | None = None

    @property
    def loopback(self) -> bool:
        addr = self.address.split("%", 1)[0]
        return addr.startswith("127.") or addr in {"::1", "localhost"}


class Opening(BaseModel):
    """One way the network gets in to a port: a firewall rule that allows it, or a
    firewall profile that is off, allows inbound by default, or skips an interface."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["rule", "profile_off", "inbound_allowed", "interface_off"]
    profile: str  # the active firewall profile it applies on
    rule: str | None = None  # the rule's Name (not localized)
    display_name: str | None = None  # as the PC shows it (localized), for people
    file_and_printer_sharing: bool = False
    remote: str | None = None  # the rule's remote addresses ("LocalSubnet", "Any", ...)
    interfaces: tuple[str, ...] = ()

    def describe(self) -> str:
        """One English line for evidence."""
        if self.kind == "rule":
            shown = f" '{self.display_name}'" if self.display_name else ""
            group = " (File and Printer Sharing)" if self.file_and_printer_sharing else ""
            return (
                f"rule {self.rule}{shown}{group} allows it on the {self.profile} profile "
                f"from {self.remote or 'Any'}"
            )
        if self.kind == "profile_off":
            return f"Windows Firewall is off for the active {self.profile} profile"
        if self.kind == "inbound_allowed":
            return f"the active {self.profile} profile allows inbound connections by default"
        return (
            f"the {self.profile} profile does not filter the connected interface "
            f"{', '.join(self.interfaces)}"
        )


class PortExposure(BaseModel):
    """Whether the network can reach a port the OS listens on whatever its settings
    (Windows: SMB 445/tcp, NetBIOS 137-139), judged from the host firewall instead of
    from the listener. Such ports are judged by this, not by listening."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    protocol: Literal["tcp", "udp"]
    port: int
    service: str  # "SMB", "NetBIOS"
    # The process whose listeners the judgement is for (System, PID 4): it reads the
    # rules that can match that process only, so another process on the port is judged
    # by its listening, as on any other port.
    pid: int
    reachable: Observed[bool]
    openings: tuple[Opening, ...] = ()  # what lets the network in (reachable)

    @property
    def spec(self) -> str:
        return f"{self.port}/{self.protocol}"


class ListeningPortsFacts(Fact):
    name: ClassVar[str] = "listening_ports"

    sockets: tuple[ListeningSocket, ...] = ()
    # False when owners of some sockets were hidden (no root): ports are complete,
    # process names may not be.
    owners_complete: bool = True
    owners_note: Reason | None = None  # why some owners are hidden
    # Ports judged by reachability rather than listening (empty where the platform has
    # none), the firewall profiles that were active, and the shared folders and printers
    # the file-sharing service offers.
    exposure: tuple[PortExposure, ...] = ()
    active_profiles: tuple[str, ...] = ()
    shares: Observed[tuple[str, ...]] = unknown("open_ports.reason.shares_not_read")
