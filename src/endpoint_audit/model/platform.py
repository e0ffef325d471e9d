"""What a target is: its OS family and version, detected once per host."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

# `PlatformInfo.transport` of a host recorded by an exported probe script (`probe export`).
# Such a script cannot call back into the collectors between rounds, so collectors whose
# follow-up commands depend on earlier output ask for their self-contained form instead.
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
    # How the host was reached: "local", "ssh", "replay", "probe-script".
    transport: str = "local"
    # A stable identifier of the installation where the OS keeps one: /etc/machine-id,
    # the Windows MachineGuid, the Mac IOPlatformUUID. None when there is none to read.
    machine_id: str | None = None
    # Why the platform could not be told (family UNKNOWN): every check of the host is
    # then an error naming it, never "not applicable".
    detection_error: str | None = None

    @property
    def detected(self) -> bool:
        return self.family is not OsFamily.UNKNOWN

    def is_like(self, *distros: str) -> bool:
        """True if the distro is one of `distros` or derives from one (os-release ID_LIKE)."""
        ids = {self.distro or "", *self.distro_like}
        return any(d in ids for d in distros)
