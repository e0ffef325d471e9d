from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from endpoint_audit.model.facts.base import Fact


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


class ListeningPortsFacts(Fact):
    name: ClassVar[str] = "listening_ports"

    sockets: tuple[ListeningSocket, ...] = ()
    # False when owners of some sockets were hidden (no root): ports are complete,
    # process names may not be.
    owners_complete: bool = True
    owners_note: str | None = None
