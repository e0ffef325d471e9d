"""Platform detection, once per host: uname, /etc/os-release, sw_vers, Windows build."""

from __future__ import annotations

import os
import platform
import shlex
import socket
import sys
from typing import TYPE_CHECKING

from endpoint_audit.model.commands import Argv, ReadFile
from endpoint_audit.model.platform import OsFamily, PlatformInfo

if TYPE_CHECKING:
    from endpoint_audit.transport.base import Transport

UNAME = Argv(("uname", "-snm"))
OS_RELEASE = ReadFile("/etc/os-release")
SW_VERS = Argv(("sw_vers",))
ID_U = Argv(("id", "-u"))


def parse_os_release(text: str) -> dict[str, str]:
    """KEY=value lines; values may be quoted either way (shell syntax)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, raw = line.partition("=")
        try:
            parts = shlex.split(raw)
        except ValueError:
            parts = [raw.strip("\"'")]
        out[key.strip()] = parts[0] if parts else ""
    return out


def parse_sw_vers(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    return out


def linux_platform(os_release: dict[str, str], **extra: object) -> PlatformInfo:
    return PlatformInfo(
        family=OsFamily.LINUX,
        distro=os_release.get("ID") or None,
        distro_like=tuple(os_release.get("ID_LIKE", "").split()),
        version=os_release.get("VERSION_ID") or None,
        pretty_name=os_release.get("PRETTY_NAME") or None,
        **extra,
    )


def detect_local() -> PlatformInfo:
    """This machine, from the interpreter and /etc/os-release, without running programs."""
    hostname = socket.gethostname()
    arch = platform.machine() or None
    if sys.platform.startswith("linux"):
        try:
            with open("/etc/os-release", encoding="utf-8") as handle:
                release = parse_os_release(handle.read())
        except OSError:
            release = {}
        return linux_platform(
            release, arch=arch, hostname=hostname, is_admin=os.geteuid() == 0, transport="local"
        )
    if sys.platform == "darwin":
        version = platform.mac_ver()[0] or None
        return PlatformInfo(
            family=OsFamily.MACOS,
            distro="macos",
            version=version,
            pretty_name=f"macOS {version}" if version else "macOS",
            arch=arch,
            hostname=hostname,
            is_admin=os.geteuid() == 0,
            transport="local",
        )
    if sys.platform == "win32":
        ver = sys.getwindowsversion()
        return PlatformInfo(
            family=OsFamily.WINDOWS,
            distro="windows",
            version=f"{ver.major}.{ver.minor}.{ver.build}",
            build=str(ver.build),
            pretty_name=f"Windows {'11' if ver.build >= 22000 else '10'} (build {ver.build})",
            arch=arch,
            hostname=hostname,
            is_admin=_windows_is_admin(),
            transport="local",
        )
    return PlatformInfo(family=OsFamily.UNKNOWN, hostname=hostname, arch=arch)


def _windows_is_admin() -> bool | None:
    try:
        import ctypes

        return bool(ctypes.windll.shell32.IsUserAnAdmin())  # type: ignore[attr-defined]
    except Exception:
        return None


async def detect_with_commands(transport: Transport) -> PlatformInfo:
    """A POSIX host reached remotely or replayed: uname, then os-release or sw_vers."""
    uname = await transport.run(UNAME, timeout=30)
    if not uname.ok:
        return PlatformInfo(family=OsFamily.UNKNOWN, transport=transport.name)
    fields = uname.stdout.split()
    kernel = fields[0] if fields else ""
    hostname = fields[1] if len(fields) > 1 else None
    arch = fields[2] if len(fields) > 2 else None
    uid = await transport.run(ID_U, timeout=30)
    is_admin = uid.stdout.strip() == "0" if uid.ok else None
    if kernel == "Darwin":
        vers = parse_sw_vers((await transport.run(SW_VERS, timeout=30)).stdout)
        version = vers.get("ProductVersion")
        return PlatformInfo(
            family=OsFamily.MACOS,
            distro="macos",
            version=version,
            build=vers.get("BuildVersion"),
            pretty_name=f"macOS {version}" if version else "macOS",
            arch=arch,
            hostname=hostname,
            is_admin=is_admin,
            transport=transport.name,
        )
    if kernel == "Linux":
        release = await transport.run(OS_RELEASE, timeout=30)
        return linux_platform(
            parse_os_release(release.stdout) if release.ok else {},
            arch=arch,
            hostname=hostname,
            is_admin=is_admin,
            transport=transport.name,
        )
    return PlatformInfo(family=OsFamily.UNKNOWN, hostname=hostname, transport=transport.name)
