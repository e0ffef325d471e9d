"""Platform detection, once per host: uname, /etc/os-release, sw_vers, Windows build."""

from __future__ import annotations

import os
import platform
import re
import shlex
import socket
import sys
from typing import TYPE_CHECKING

from endpoint_audit.errors import ReplayMissError
from endpoint_audit.model.commands import Argv, Command, CommandResult, ReadFile
from endpoint_audit.model.platform import OsFamily, PlatformInfo

if TYPE_CHECKING:
    from endpoint_audit.transport.base import Transport

UNAME = Argv(("uname", "-snm"))
OS_RELEASE = ReadFile("/etc/os-release")
SW_VERS = Argv(("sw_vers",))
ID_U = Argv(("id", "-u"))
# Stable installation identifiers: systemd's (D-Bus's on older systems) and the Mac's
# hardware UUID, as `system_profiler` and MDM tools report it.
MACHINE_ID = ReadFile("/etc/machine-id")
DBUS_MACHINE_ID = ReadFile("/var/lib/dbus/machine-id")
IOREG_PLATFORM = Argv(("ioreg", "-rd1", "-c", "IOPlatformExpertDevice"))
# Seconds each detection command may take (less when the run's --timeout is shorter).
DETECT_TIMEOUT = 30.0

_MACHINE_ID = re.compile(r"[0-9a-f]{32}")
_GUID = re.compile(r"[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}")
_IOREG_UUID = re.compile(
    r'"IOPlatformUUID"\s*=\s*"([0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12})"'
)


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
            machine_id=windows_machine_guid(),
        )
    return undetected(
        f"this operating system ({sys.platform!r}) is not supported", "local",
        hostname=hostname, arch=arch,
    )  # fmt: skip


def windows_machine_guid() -> str | None:
    """HKLM\\SOFTWARE\\Microsoft\\Cryptography\\MachineGuid, read in the 64-bit view (a
    32-bit Python would otherwise be redirected to WOW6432Node, which lacks it)."""
    try:
        import winreg  # type: ignore[import-not-found,unused-ignore]

        access = winreg.KEY_READ | winreg.KEY_WOW64_64KEY  # type: ignore[attr-defined,unused-ignore]
        with winreg.OpenKey(  # type: ignore[attr-defined,unused-ignore]
            winreg.HKEY_LOCAL_MACHINE,  # type: ignore[attr-defined,unused-ignore]
            r"SOFTWARE\Microsoft\Cryptography",
            0,
            access,
        ) as key:
            value, _ = winreg.QueryValueEx(key, "MachineGuid")  # type: ignore[attr-defined,unused-ignore]
    except (ImportError, OSError):
        return None
    return machine_guid(value)


def machine_guid(value: object) -> str | None:
    """A Windows MachineGuid (a GUID without braces), or None for anything else."""
    if isinstance(value, str) and _GUID.fullmatch(value.strip()):
        return value.strip().lower()
    return None


def _windows_is_admin() -> bool | None:
    try:
        import ctypes

        return bool(ctypes.windll.shell32.IsUserAnAdmin())  # type: ignore[attr-defined]
    except Exception:
        return None


async def _optional(transport: Transport, command: Command, timeout: float) -> CommandResult | None:
    """A read that detection can do without: a recording made before the read existed
    has no answer for it, and that is no error."""
    try:
        return await transport.run(command, timeout=timeout)
    except ReplayMissError:
        return None


def machine_id_from_file(result: CommandResult | None) -> str | None:
    """systemd's machine-id: 32 hex digits ("uninitialized" during first boot)."""
    if result is None or not result.ok:
        return None
    text = result.stdout.strip().lower()
    return text if _MACHINE_ID.fullmatch(text) else None


def machine_id_from_ioreg(result: CommandResult | None) -> str | None:
    """The Mac's IOPlatformUUID from `ioreg -rd1 -c IOPlatformExpertDevice`."""
    if result is None or not result.ok:
        return None
    match = _IOREG_UUID.search(result.stdout)
    return match.group(1).upper() if match else None


async def linux_machine_id(transport: Transport, timeout: float) -> str | None:
    found = machine_id_from_file(await _optional(transport, MACHINE_ID, timeout))
    if found is None:
        found = machine_id_from_file(await _optional(transport, DBUS_MACHINE_ID, timeout))
    return found


def _printable(text: str, limit: int = 80) -> str:
    """Host output quoted for a message: control characters escaped, length capped."""
    short = text[:limit] + ("…" if len(text) > limit else "")
    return repr(short)


def undetected(reason: str, transport: str, **extra: object) -> PlatformInfo:
    return PlatformInfo(
        family=OsFamily.UNKNOWN, detection_error=reason, transport=transport, **extra
    )


def uname_failure(uname: CommandResult) -> str:
    """Why `uname -snm` told nothing: timed out, refused, or failed with its output."""
    if uname.timed_out:
        return f"`uname -snm` timed out: {uname.stderr.strip() or 'no answer'}"
    said = (uname.stderr.strip() or uname.stdout.strip()).splitlines()
    return f"`uname -snm` exited {uname.exit_status}" + (
        f": {_printable(said[0])}" if said else " without output"
    )


async def detect_with_commands(
    transport: Transport, timeout: float = DETECT_TIMEOUT
) -> PlatformInfo:
    """A POSIX host reached remotely or replayed: uname, then os-release or sw_vers.

    A host that cannot be told (uname fails or hangs, a nologin shell answers, the
    kernel is not Linux or Darwin) is family UNKNOWN with the reason in
    `detection_error`."""
    uname = await transport.run(UNAME, timeout=timeout)
    if not uname.ok:
        return undetected(uname_failure(uname), transport.name)
    fields = uname.stdout.split()
    kernel = fields[0] if fields else ""
    hostname = fields[1] if len(fields) > 1 else None
    arch = fields[2] if len(fields) > 2 else None
    if kernel not in ("Darwin", "Linux") or len(fields) != 3:
        what = f"kernel {_printable(kernel)}" if len(fields) == 3 else "output"
        return undetected(
            f"`uname -snm` printed {_printable(uname.stdout.strip())}: an unsupported {what} "
            "(expected Linux or Darwin, host name and machine)",
            transport.name,
        )
    uid = await transport.run(ID_U, timeout=timeout)
    is_admin = uid.stdout.strip() == "0" if uid.ok else None
    if kernel == "Darwin":
        vers = parse_sw_vers((await transport.run(SW_VERS, timeout=timeout)).stdout)
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
            machine_id=machine_id_from_ioreg(await _optional(transport, IOREG_PLATFORM, timeout)),
        )
    release = await transport.run(OS_RELEASE, timeout=timeout)
    return linux_platform(
        parse_os_release(release.stdout) if release.ok else {},
        arch=arch,
        hostname=hostname,
        is_admin=is_admin,
        transport=transport.name,
        machine_id=await linux_machine_id(transport, timeout),
    )
