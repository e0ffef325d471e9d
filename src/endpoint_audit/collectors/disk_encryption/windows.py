"""BitLocker on Windows: every fixed volume (the OS drive and fixed data drives).

`Get-BitLockerVolume` is read first; where the BitLocker module is missing, the WMI class
`Win32_EncryptableVolume` (root\\cimv2\\Security\\MicrosoftVolumeEncryption) gives the same
numbers. Both need an elevated (administrator) token. Only numeric enums are read:

- VolumeStatus / ConversionStatus: 0 FullyDecrypted, 1 FullyEncrypted,
  2 EncryptionInProgress, 3 DecryptionInProgress, 4 EncryptionPaused, 5 DecryptionPaused
- ProtectionStatus: 0 off (suspended, or a clear key), 1 on, 2 unknown (locked)
- VolumeType: 0 operating system, 1 fixed data, 2 removable data
- EncryptionMethod and KeyProtectorType: see the tables below

Recovery passwords never leave the host: the probe keeps key protector *types* only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from endpoint_audit.collectors.base import Collector, Results
from endpoint_audit.collectors.windows_probe import (
    as_dict,
    as_int,
    as_list,
    as_text,
    probe_value,
    windows_script,
)
from endpoint_audit.errors import CollectorError, FactUnavailable
from endpoint_audit.model.commands import Command, PowerShell
from endpoint_audit.model.facts import DiskEncryptionFacts, VolumeEncryption
from endpoint_audit.model.facts.disk_encryption import EncryptionState, VolumeKind
from endpoint_audit.model.platform import OsFamily, PlatformInfo

BITLOCKER = PowerShell(
    "bitlocker",
    windows_script("bitlocker"),
    privileged=True,
)

_METHODS = {
    0: "None",
    1: "AES 128 with Diffuser",
    2: "AES 256 with Diffuser",
    3: "AES 128",
    4: "AES 256",
    5: "Hardware encryption",
    6: "XTS-AES 128",
    7: "XTS-AES 256",
}
_PROTECTORS = {
    0: "Unknown",
    1: "Tpm",
    2: "ExternalKey",
    3: "RecoveryPassword",
    4: "TpmPin",
    5: "TpmStartupKey",
    6: "TpmPinStartupKey",
    7: "PublicKey",
    8: "Password",
    9: "TpmNetworkKey",
    10: "AdAccountOrGroup",
}
_STATUS_NAMES = {
    0: "FullyDecrypted",
    1: "FullyEncrypted",
    2: "EncryptionInProgress",
    3: "DecryptionInProgress",
    4: "EncryptionPaused",
    5: "DecryptionPaused",
}
_PROTECTION_NAMES = {0: "Off", 1: "On", 2: "Unknown"}
_KINDS: dict[int, VolumeKind] = {0: "os", 1: "data"}
REMOVABLE = 2


def _name(names: dict[int, str], code: int | None) -> str:
    return "?" if code is None else names.get(code, str(code))


def _drive(mount: str) -> str:
    """ "C:" from "C:", "C:\\" or "c:"; other mount points as given."""
    text = mount.strip()
    if len(text) >= 2 and text[1] == ":" and text[0].isalpha() and text[2:] in ("", "\\"):
        return text[0].upper() + ":"
    return text


def volume_from(entry: dict[str, Any]) -> VolumeEncryption | None:
    """One volume, or None for removable drives (not fixed volumes)."""
    volume_type = as_int(entry.get("volume_type"))
    if volume_type == REMOVABLE:
        return None
    mount = _drive(as_text(entry.get("mount")) or "?")
    status = as_int(entry.get("volume_status"))
    protection = as_int(entry.get("protection_status"))
    method = as_int(entry.get("encryption_method"))
    percent_raw = entry.get("percent")
    percent = (
        float(percent_raw)
        if isinstance(percent_raw, int | float) and not isinstance(percent_raw, bool)
        else None
    )
    protectors = [as_int(p) for p in as_list(entry.get("protectors"))]
    protector_names = [_name(_PROTECTORS, p) for p in protectors]
    protection_on = {0: False, 1: True}.get(protection) if protection is not None else None
    state: EncryptionState | None
    encrypted: bool | None
    unknown: str | None = None
    if status == 1:
        encrypted = True
        # Encrypted with protection off: BitLocker suspended, or device encryption whose
        # key is still stored in the clear (no protector yet). Either way anyone can read it.
        state = "suspended" if protection == 0 else "encrypted"
    elif status == 0:
        state, encrypted = "decrypted", False
    elif status == 2:
        state, encrypted = "encrypting", False
    elif status == 3:
        state, encrypted = "decrypting", False
    elif status in (4, 5):
        state, encrypted = "paused", False
    else:
        state, encrypted = None, None
        unknown = f"unknown BitLocker volume status {status!r}"
    detail = (
        f"VolumeStatus={_name(_STATUS_NAMES, status)}, "
        f"ProtectionStatus={_name(_PROTECTION_NAMES, protection)}, "
        f"KeyProtectors={','.join(protector_names) or 'none'}"
    )
    return VolumeEncryption(
        volume=mount,
        kind=_KINDS.get(volume_type, "fixed") if volume_type is not None else "fixed",
        encrypted=encrypted,
        state=state,
        protection_on=protection_on,
        method=_name(_METHODS, method) if method else None,
        percent=percent,
        detail=detail,
        unknown_reason=unknown,
    )


def _failure_text(failures: list[Any]) -> str:
    parts = []
    for raw in failures:
        if isinstance(raw, dict):
            source = as_text(raw.get("source")) or "?"
            hresult = as_int(raw.get("hresult"))
            code = f" (HRESULT 0x{hresult & 0xFFFFFFFF:08X})" if hresult is not None else ""
            parts.append(f"{source}: {(as_text(raw.get('error')) or '?')[:200]}{code}")
    return "; ".join(parts) or "no BitLocker interface answered"


def parse_bitlocker(value: Any) -> DiskEncryptionFacts:
    data = as_dict(value, "bitlocker")
    source = as_text(data.get("source"))
    failures = as_list(data.get("failures"))
    if source is None:
        if data.get("is_admin") is False:
            raise FactUnavailable(
                "BitLocker status can only be read with an elevated (administrator) token",
                needs_privilege="administrator",
            )
        raise FactUnavailable(f"BitLocker status could not be read: {_failure_text(failures)}")
    volumes: list[VolumeEncryption] = []
    reported: set[str] = set()
    fixed = {_drive(str(d)) for d in as_list(data.get("fixed_drives")) if d}
    for raw in as_list(data.get("volumes")):
        entry = as_dict(raw, "bitlocker.volumes[]")
        mount = _drive(as_text(entry.get("mount")) or "?")
        reported.add(mount)
        # BitLocker calls a USB stick a data volume; Win32_LogicalDisk tells fixed disks
        # (DriveType 3) from removable ones. The OS volume is always judged.
        if fixed and mount not in fixed and as_int(entry.get("volume_type")) != 0:
            continue
        volume = volume_from(entry)
        if volume is not None:
            volumes.append(volume)
    # A fixed drive that BitLocker did not list is not known to be encrypted.
    volumes.extend(
        VolumeEncryption(
            volume=drive,
            kind="data",
            unknown_reason=f"{source} did not report this fixed drive",
        )
        for drive in sorted(fixed - reported)
    )
    if not volumes:
        raise CollectorError(f"{source} reported no fixed volume")
    volumes.sort(key=lambda v: (v.kind != "os", v.volume))
    return DiskEncryptionFacts(volumes=tuple(volumes))


class WindowsBitLocker(Collector[DiskEncryptionFacts]):
    id = "windows.disk_encryption"
    fact_type = DiskEncryptionFacts
    platforms = frozenset({OsFamily.WINDOWS})
    reads = (
        "`Get-BitLockerVolume` (fallback: WMI `Win32_EncryptableVolume`) and "
        "`Win32_LogicalDisk` fixed drives"
    )
    privilege = "administrator (elevated)"

    def commands(self, platform: PlatformInfo, results: Results) -> Sequence[Command]:
        return [BITLOCKER]

    def parse(self, results: Results, platform: PlatformInfo) -> DiskEncryptionFacts:
        return parse_bitlocker(probe_value(results, BITLOCKER))
