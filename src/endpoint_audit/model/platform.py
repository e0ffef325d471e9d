"""What a target is: its OS family and version, detected once per host."""

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from endpoint_audit.model.capabilities import Capabilities, Capability

# `PlatformInfo.transport` of a host recorded by an exported probe script (`probe export`):
# a label for people. What collectors may ask of it is `capabilities`.
PROBE_SCRIPT_TRANSPORT = "probe-script"


class OsFamily(StrEnum):
    LINUX = "linux"
    MACOS = "macos"
    WINDOWS = "windows"
    UNKNOWN = "unknown"


class PlatformInfo(BaseModel):
    """The platform facts every collector may use to pick its commands."""

    model_config = ConfigDict(frozen=True)

    family: OsFamily
    distro: str | None = None  # os-release ID (ubuntu, debian, rhel), "macos", "windows"
    distro_like: tuple[str, ...] = ()
    version: str | None = None  # VERSION_ID, ProductVersion, or 10.0.<build>
    build: str | None = None  # Windows build.UBR, macOS BuildVersion
    pretty_name: str | None = None
    arch: str | None = None
    hostname: str | None = None
    # True when the probes run with administrative rights (root, sudo -n, elevated token).
    # None when it could not be told.
    is_admin: bool | None = None
    # How the host was reached: "local", "ssh", "replay", "probe-script". A label for
    # people and for replay, which stamps the capabilities of the transport named here.
    transport: str = "local"
    # A stable identifier of the installation where the OS keeps one: /etc/machine-id,
    # the Windows MachineGuid, the Mac IOPlatformUUID. None when there is none to read.
    machine_id: str | None = None
    # Why the platform could not be told (family UNKNOWN): every check of the host is
    # then an error naming it, never "not applicable".
    detection_error: str | None = None
    # What the transport that reached the host can do (model.capabilities), stamped by
    # the transport after detection. Never written to a bundle or report, nor read from
    # one: a file cannot claim a capability, and unstamped, a platform can do nothing.
    capabilities: Capabilities = Field(default=frozenset(), exclude=True, repr=False)

    @model_validator(mode="before")
    @classmethod
    def _claims_no_capability(cls, data: Any) -> Any:
        if isinstance(data, dict) and "capabilities" in data:
            return {k: v for k, v in data.items() if k != "capabilities"}
        return data

    def can(self, capability: Capability) -> bool:
        """Whether the transport that reached the host can do `capability`."""
        return capability in self.capabilities

    def with_capabilities(self, capabilities: Capabilities) -> "PlatformInfo":
        """This platform as reached by a transport that can do `capabilities`."""
        return self.model_copy(update={"capabilities": frozenset(capabilities)})

    @property
    def detected(self) -> bool:
        return self.family is not OsFamily.UNKNOWN

    def is_like(self, *distros: str) -> bool:
        """True if the distro is one of `distros` or derives from one (os-release ID_LIKE)."""
        ids = {self.distro or "", *self.distro_like}
        return any(d in ids for d in distros)
