"""What the discovery script's disk_encryption snippet (checks/disk_encryption/compliance/
intune_settings.ps1) writes for a probe answer, step for step in Python: this machine has
no PowerShell, so the tests judge the answers through this reading."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

_BLANKS = "[ \t\r\n]*"
_NAMES = {
    "fullydecrypted": 0,
    "fullyencrypted": 1,
    "encryptioninprogress": 2,
    "decryptioninprogress": 3,
    "encryptionpaused": 4,
    "decryptionpaused": 5,
    "encryptionsuspended": 4,
    "decryptionsuspended": 5,
    "fullyencryptedwipeinprogress": 1,
    "fullyencryptedwipesuspended": 1,
}


def _text(value: Any, odd: list[bool]) -> str | None:
    if not isinstance(value, str) or re.fullmatch(_BLANKS, value):
        return None
    match = re.fullmatch(f"{_BLANKS}([!-~](?:[ -~]*[!-~])?){_BLANKS}", value)
    if match:
        return match.group(1)
    odd.append(True)
    return None


def _number(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        # [int64]$Value rounds; equal to the value only when it is whole.
        if -1e9 <= value <= 1e9 and value.is_integer():
            return int(value)
        return None
    if isinstance(value, str):
        match = re.fullmatch(f"{_BLANKS}(-?[0-9]{{1,9}}){_BLANKS}", value)
        return int(match.group(1)) if match else None
    return None


def _drive(text: str) -> str:
    match = re.fullmatch(r"([A-Za-z]):\\?", text)
    return match.group(1).upper() + ":" if match else text


def _folder(value: Any) -> str | None:
    # ConvertTo-EABitLockerFolder: a folder's name may be in any script.
    if not isinstance(value, str) or re.fullmatch(_BLANKS, value):
        return None
    return re.sub(rf"\A{_BLANKS}|{_BLANKS}\Z", "", value)


def _device_key(text: str) -> str:
    lower = text.translate(
        str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
    )
    return re.sub(r"\\+\Z", "", lower)


def _mounted(probe: dict[str, Any], odd: list[bool]) -> tuple[list[tuple[str, str]], bool, bool]:
    """(device key, folder) of the folder-mounted fixed volumes, whether Win32_Volume was
    read, and whether an entry was malformed."""
    mounted: list[tuple[str, str]] = []
    if "mounted_volumes" not in probe:
        return mounted, True, False
    read = probe["mounted_volumes"] is not None
    for failure in _ps_list(probe.get("failures")):
        if isinstance(failure, dict) and failure.get("source") == "Win32_Volume":
            read = False
    malformed = False
    if read:
        for item in _ps_list(probe["mounted_volumes"]):
            if not isinstance(item, dict):
                malformed = True
                continue
            folder = _folder(item.get("path"))
            if folder is None or folder.startswith("\\\\?\\"):
                continue
            device = _text(item.get("device_id"), odd)
            key = _device_key(folder if device is None else device)
            at = [i for i, (k, _) in enumerate(mounted) if k == key]
            if at:
                mounted[at[-1]] = (key, folder)
            else:
                mounted.append((key, folder))
    return mounted, read, malformed


def _excluded(name: str, excluded: Sequence[str]) -> bool:
    key = name.translate(str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"))
    if key != "/":
        key = re.sub(r"[/\\]+\Z", "", key)
    return key in excluded


def _ps_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def disk_encryption_settings(probe: Any, excluded: Sequence[str] = ()) -> dict[str, Any]:
    """`excluded`: $EABitLockerExcluded, the prelude's names (intune.excluded_names)."""
    settings: dict[str, Any] = {
        "BitLockerAnswer": "Unknown",
        "BitLockerVolumesJudged": -1,
        "BitLockerVolumesUnprotected": -1,
    }
    if not isinstance(probe, dict):
        return settings
    odd: list[bool] = []
    source = _text(probe.get("source"), odd)
    answer = "Read"
    fixed: list[str] = []
    volumes: list[tuple[str, bool, bool]] = []  # name, protected, the OS volume
    if source is None:
        answer = "Unread"
        if probe.get("is_admin") is False:
            answer = "NeedsAdmin"
    else:
        for item in _ps_list(probe.get("fixed_drives")):
            if item is None or item == "":
                continue
            text = _text(item, odd)
            if text is None:
                answer = "Malformed"
                continue
            drive = _drive(text)
            if drive not in fixed:
                fixed.append(drive)
        mounted, mounted_read, malformed = _mounted(probe, odd)
        if malformed:
            answer = "Malformed"
        reported: list[str] = []
        os_seen = False
        entries = [] if probe.get("volumes") is None else _ps_list(probe["volumes"])
        for entry in entries:
            if not isinstance(entry, dict):
                answer = "Malformed"
                continue
            mount_text = _text(entry.get("mount"), odd)
            mount = "?" if mount_text is None else _drive(mount_text)
            reported.append(mount)
            kind = _number(entry.get("volume_type"))
            if kind == 0:
                os_seen = True
            shown = mount
            device = _text(entry.get("device_id"), odd)
            key = _device_key(mount if device is None else device)
            folders = [f for k, f in mounted if k == key and kind != 0]
            if folders:
                shown = folders[-1]
                reported.append(key)
            if not folders and fixed and mount not in fixed and kind != 0:
                continue
            if not folders and kind == 2 and mount not in fixed:
                continue
            name = _text(entry.get("volume_status_name"), odd)
            code = _number(entry.get("volume_status"))
            status: int | None = -1
            if name is not None:
                status = _NAMES.get(name.lower(), -1)  # ASCII here
            elif code is None:
                if entry.get("volume_status") is None:
                    status = None
            elif 0 <= code <= 5:
                status = code
            protection = _number(entry.get("protection_status"))
            locked = _number(entry.get("lock_status")) == 1
            protected = (status == 1 and protection == 1) or (
                locked and status in (None, 1) and protection != 0
            )
            volumes.append((shown, protected, kind == 0))
        volumes += [(d, False, False) for d in fixed if d not in reported]
        volumes += [(f, False, False) for k, f in mounted if k not in reported]
        if not volumes:
            answer = "NoVolumes"
        else:
            if not os_seen:
                volumes.append(("OS volume", False, True))
            if not fixed:  # Win32_LogicalDisk unread: a drive BitLocker skips is unseen
                volumes.append(("fixed drives", False, False))
            if not mounted_read:  # Win32_Volume unread: a folder-mounted volume is unseen
                volumes.append(("folder-mounted volumes", False, False))
    if odd:
        answer = "Unrecognised"
    settings["BitLockerAnswer"] = answer
    if answer == "Read":
        judged = [v for v in volumes if v[2] or not _excluded(v[0], excluded)]
        settings["BitLockerVolumesJudged"] = len(judged)
        settings["BitLockerVolumesUnprotected"] = sum(1 for _, ok, _ in judged if not ok)
    return settings
