"""BitLocker on Windows: every fixed volume (the OS drive and fixed data drives).

`Get-BitLockerVolume` is read first; where the BitLocker module is missing, the WMI class
`Win32_EncryptableVolume` (root\\cimv2\\Security\\MicrosoftVolumeEncryption) gives the same
numbers. Both need an elevated (administrator) token. Only numeric enums and the
invariant enum names are read (Win32_EncryptableVolume methods, MicrosoftDocs/win32
desktop-src/SecProv/):

- VolumeStatus / ConversionStatus: 0 FullyDecrypted, 1 FullyEncrypted,
  2 EncryptionInProgress, 3 DecryptionInProgress, 4 EncryptionPaused, 5 DecryptionPaused
  (GetConversionStatus). Get-BitLockerVolume adds FullyEncryptedWipeInProgress and
  FullyEncryptedWipeSuspended (BitLocker.psm1, Get-BitLockerVolumeInternal: fully
  encrypted while free space is wiped); their numbers are not documented, so they are
  recognised by name, and they are encrypted.
- LockStatus: 0 unlocked, 1 locked (GetLockStatus: "A locked volume must be partially or
  fully encrypted and must not have the encryption key available in the clear on
  disk"). BitLocker.psm1 reads the conversion status of unlocked volumes only ("We make
  these calls only on unlocked volumes. Otherwise, the values are initialized to $null"),
  so a locked volume has no VolumeStatus: it counts as locked, never as decrypted.
- ProtectionStatus: 0 off (suspended, or a clear key), 1 on, 2 unknown ("cannot be
  determined. This can be caused by the volume being in a locked state",
  GetProtectionStatus). An unlocked volume whose protection is unknown or missing is
  unknown, never encrypted.
- VolumeType: 0 operating system, 1 fixed data, 2 removable data
- EncryptionMethod and KeyProtectorType: see the tables below

Fixed volumes without a drive letter: Get-BitLockerVolume names a volume by its drive
letter, else by the DeviceID of Win32_EncryptableVolume (\\\\?\\Volume{GUID}\\, BitLocker.psm1:
"if ($_.DriveLetter) ... else ... -MountPoint $_.DeviceId"), whose DriveLetter is NULL "for
volumes without drive letters" and whose DeviceID is the one of Win32_Volume (win32-
encryptablevolume.md). Win32_Volume (DriveType 3, DriveLetter NULL) lists the fixed ones
mounted into a folder (`mounted_volumes`, Name is the folder): those are judged under their
folder, and one BitLocker does not list is unknown. A letterless volume with no folder is
named by its GUID path only, as the recovery and EFI partitions are; nothing in
Win32_Volume tells those from a data volume reached by that path alone, so such volumes
stay out, as removable ones do.

A value the probe could not read is null: never zero, never a pass. Recovery passwords
never leave the host: the probe keeps key protector *types* only.
"""

from __future__ import annotations

from typing import Any

from endpoint_audit.checkkit.windows_probe import (
    OneProbeCollector,
    as_dict,
    as_int,
    as_list,
    as_text,
    windows_script,
)
from endpoint_audit.checks.disk_encryption.facts import (
    DiskEncryptionFacts,
    EncryptionState,
    VolumeEncryption,
    VolumeKind,
)
from endpoint_audit.errors import CollectorError, FactUnavailable
from endpoint_audit.model.commands import PowerShell
from endpoint_audit.model.observed import Observed, Reason, Unknown, seen, unknown

BITLOCKER = PowerShell(
    "bitlocker",
    windows_script(__name__, "bitlocker"),
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
_LOCK_NAMES = {0: "Unlocked", 1: "Locked"}
_KINDS: dict[int, VolumeKind] = {0: "os", 1: "data"}
REMOVABLE = 2
OS_VOLUME = "OS volume"  # the name of an OS volume the answer did not list
# Stands for the fixed drives when Win32_LogicalDisk could not list them.
FIXED_DRIVES = "fixed drives"
# Stands for the fixed volumes mounted into folders when Win32_Volume could not list them.
MOUNTED_VOLUMES = "folder-mounted volumes"


def _name(names: dict[int, str], code: int | None) -> str:
    return "missing" if code is None else names.get(code, str(code))


def _drive(mount: str) -> str:
    """ "C:" from "C:", "C:\\" or "c:"; other mount points as given."""
    text = mount.strip()
    if len(text) >= 2 and text[1] == ":" and text[0].isalpha() and text[2:] in ("", "\\"):
        return text[0].upper() + ":"
    return text


def _guid_path(text: str) -> bool:
    """A volume GUID path (\\\\?\\Volume{GUID}\\): a volume with no drive letter nor folder."""
    return text.startswith("\\\\?\\")


def _device_key(text: str) -> str:
    # Volume GUID paths compare without regard to case (hex digits) or a final backslash.
    return text.strip().rstrip("\\").lower()


# Get-BitLockerVolume's names for the states GetConversionStatus has no number for.
_WIPE_STATES = {"fullyencryptedwipeinprogress", "fullyencryptedwipesuspended"}
_NAMED_STATUS = {name.lower(): code for code, name in _STATUS_NAMES.items()}
# The BitLockerVolumeStatus enum spells the paused states "Suspended".
_NAMED_STATUS.update({"encryptionsuspended": 4, "decryptionsuspended": 5})
ENCRYPTED = 1
LOCKED = 1
UNRECOGNIZED = -1


def _volume_status(entry: dict[str, Any]) -> tuple[int | None, str]:
    """The conversion status as a number (1 for the wipe states; UNRECOGNIZED for one this
    tool does not know; None when missing), and its name for the detail line. The enum
    name wins: it is known for every state, numbers are not."""
    name = as_text(entry.get("volume_status_name"))
    code = as_int(entry.get("volume_status"))
    if name is not None:
        key = name.lower()
        if key in _WIPE_STATES:
            return ENCRYPTED, name
        return _NAMED_STATUS.get(key, UNRECOGNIZED), name
    if code is None:
        missing = entry.get("volume_status") is None
        return (None if missing else UNRECOGNIZED), "missing" if missing else "unreadable"
    if code in _STATUS_NAMES:
        return code, _STATUS_NAMES[code]
    return UNRECOGNIZED, str(code)


REASON = "disk_encryption.reason"


def _state(
    status: int | None, protection: int | None, locked: bool
) -> tuple[EncryptionState | None, Observed[bool]]:
    """State, and encrypted (or why that is unknown)."""
    if locked and status in (None, ENCRYPTED):
        # A locked volume is encrypted and its key is not in the clear; how far the
        # conversion got can only be read once it is unlocked. (One reported as still
        # converting falls through: part of it is plain.)
        return "locked", seen(True)
    if status == ENCRYPTED:
        if protection == 1:
            return "encrypted", seen(True)
        if protection == 0:
            # Encrypted with protection off: BitLocker suspended, or device encryption
            # whose key is still stored in the clear. Either way anyone can read it.
            return "suspended", seen(True)
        protection_name = _name(_PROTECTION_NAMES, protection)
        return None, unknown(f"{REASON}.protection_unreadable", protection=protection_name)
    if status == 0:
        return "decrypted", seen(False)
    if status == 2:
        return "encrypting", seen(False)
    if status == 3:
        return "decrypting", seen(False)
    if status in (4, 5):
        return "paused", seen(False)
    if status is None:
        return None, unknown(f"{REASON}.no_volume_status")
    return None, unknown(f"{REASON}.volume_status_unknown")


def volume_from(
    entry: dict[str, Any], fixed_drive: bool = False, name: str | None = None
) -> VolumeEncryption | None:
    """One volume, or None for removable drives (not fixed volumes). `fixed_drive`:
    Win32_LogicalDisk or Win32_Volume lists it as a fixed disk, which is judged whatever
    BitLocker calls it (Win32_EncryptableVolume says portable for a USB hard disk that
    Get-BitLockerVolume calls a data volume). `name`: the folder a volume without a drive
    letter is mounted into, shown instead of its GUID path."""
    volume_type = as_int(entry.get("volume_type"))
    if volume_type == REMOVABLE and not fixed_drive:
        return None
    mount = name or _drive(as_text(entry.get("mount")) or "?")
    status, status_name = _volume_status(entry)
    protection = as_int(entry.get("protection_status"))
    lock = as_int(entry.get("lock_status"))
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
    state, encrypted = _state(status, protection, lock == LOCKED)
    detail = (
        f"VolumeStatus={status_name}, "
        f"ProtectionStatus={_name(_PROTECTION_NAMES, protection)}, "
        f"LockStatus={_name(_LOCK_NAMES, lock)}, "
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
    )


def _failure_text(failures: list[Any]) -> str:
    parts = []
    for raw in failures:
        if isinstance(raw, dict):
            source = as_text(raw.get("source")) or "?"
            hresult = as_int(raw.get("hresult"))
            code = f" (HRESULT 0x{hresult & 0xFFFFFFFF:08X})" if hresult is not None else ""
            parts.append(f"{source}: {(as_text(raw.get('error')) or '?')[:200]}{code}")
    return "; ".join(parts) or "-"


def parse_bitlocker(value: Any) -> DiskEncryptionFacts:
    data = as_dict(value, "bitlocker")
    source = as_text(data.get("source"))
    failures = as_list(data.get("failures"))
    if source is None:
        if data.get("is_admin") is False:
            raise FactUnavailable(
                Reason(key="disk_encryption.reason.bitlocker_needs_admin"),
                needs_privilege="administrator",
            )
        raise FactUnavailable(
            Reason(
                key="disk_encryption.reason.bitlocker_unread",
                args={"output": _failure_text(failures)},
            )
        )
    volumes: list[VolumeEncryption] = []
    reported: set[str] = set()
    fixed = {_drive(str(d)) for d in as_list(data.get("fixed_drives")) if d}
    mounted = _mounted_volumes(data)
    for raw in as_list(data.get("volumes")):
        entry = as_dict(raw, "bitlocker.volumes[]")
        mount = _drive(as_text(entry.get("mount")) or "?")
        reported.add(mount)
        # A fixed volume without a letter, mounted into a folder: BitLocker names it by
        # its DeviceID (Get-BitLockerVolume as MountPoint, the WMI class as device_id).
        device = as_text(entry.get("device_id")) or mount
        folder = mounted.get(_device_key(device)) if mounted else None
        if folder is not None and as_int(entry.get("volume_type")) != 0:
            reported.add(_device_key(device))
            volume = volume_from(entry, fixed_drive=True, name=folder)
            if volume is not None:
                volumes.append(volume)
            continue
        # BitLocker calls a USB stick a data volume; Win32_LogicalDisk tells fixed disks
        # (DriveType 3) from removable ones. The OS volume is always judged.
        if fixed and mount not in fixed and as_int(entry.get("volume_type")) != 0:
            continue
        volume = volume_from(entry, fixed_drive=mount in fixed)
        if volume is not None:
            volumes.append(volume)
    # A fixed drive, or a fixed volume mounted into a folder, that BitLocker did not list
    # is not known to be encrypted.
    unreported = [
        *sorted(fixed - reported),
        *(
            folder
            for device, folder in sorted((mounted or {}).items(), key=lambda item: item[1])
            if device not in reported
        ),
    ]
    not_listed = Reason(key=f"{REASON}.fixed_drive_unreported", args={"source": source})
    volumes.extend(
        VolumeEncryption(volume=name, kind="data", encrypted=Unknown(reason=not_listed))
        for name in unreported
    )
    if not volumes:
        raise CollectorError(f"{source} reported no fixed volume")
    if not any(
        as_int(as_dict(raw, "bitlocker.volumes[]").get("volume_type")) == 0
        for raw in as_list(data.get("volumes"))
    ):
        # Windows always runs from an OS volume: an answer without one (Win32_LogicalDisk
        # unread, so nothing to compare with) did not show the drive that matters most.
        volumes.append(
            VolumeEncryption(
                volume=OS_VOLUME,
                kind="os",
                encrypted=Unknown(
                    reason=Reason(key=f"{REASON}.os_volume_unreported", args={"source": source})
                ),
            )
        )
    if not fixed:
        # Every Windows PC has a fixed drive (its system drive): none listed means that
        # Win32_LogicalDisk was not read, and a fixed drive BitLocker does not list (a
        # file system it cannot encrypt) would go unseen.
        volumes.append(
            VolumeEncryption(
                volume=FIXED_DRIVES,
                kind="data",
                encrypted=Unknown(
                    reason=Reason(
                        key=f"{REASON}.fixed_drives_unlisted",
                        args={"output": _failure_text(_listing_failures(failures))},
                    )
                ),
            )
        )
    if mounted is None:
        # Win32_Volume was not read: a fixed volume mounted into a folder would go unseen.
        volumes.append(
            VolumeEncryption(
                volume=MOUNTED_VOLUMES,
                kind="data",
                encrypted=Unknown(
                    reason=Reason(
                        key=f"{REASON}.mounted_volumes_unlisted",
                        args={"output": _failure_text(_listing_failures(failures, "Win32_Volume"))},
                    )
                ),
            )
        )
    volumes.sort(key=lambda v: (v.kind != "os", v.volume))
    return DiskEncryptionFacts(volumes=tuple(volumes))


def _mounted_volumes(data: dict[str, Any]) -> dict[str, str] | None:
    """Device key -> folder of the fixed volumes without a drive letter mounted into a
    folder; None when Win32_Volume was not read. An answer of a probe older than this
    listing has no such key: it is read as before, as listing none."""
    if "mounted_volumes" not in data:
        return {}
    raw = data.get("mounted_volumes")
    if raw is None or any(
        isinstance(f, dict) and f.get("source") == "Win32_Volume"
        for f in as_list(data.get("failures"))
    ):
        return None
    mounted: dict[str, str] = {}
    for item in as_list(raw):
        entry = as_dict(item, "bitlocker.mounted_volumes[]")
        folder = as_text(entry.get("path"))
        if folder is None or _guid_path(folder):
            continue
        # Without its DeviceID it matches no BitLocker entry, so it counts as unreported.
        device = as_text(entry.get("device_id")) or folder
        mounted[_device_key(device)] = folder
    return mounted


def _listing_failures(failures: list[Any], source: str = "Win32_LogicalDisk") -> list[Any]:
    return [f for f in failures if isinstance(f, dict) and f.get("source") == source]


class WindowsBitLocker(OneProbeCollector[DiskEncryptionFacts]):
    fact_type = DiskEncryptionFacts
    probe = BITLOCKER

    def parse_value(self, value: Any) -> DiskEncryptionFacts:
        return parse_bitlocker(value)
