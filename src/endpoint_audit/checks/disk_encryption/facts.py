from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from endpoint_audit.checkkit.fact import Fact
from endpoint_audit.model.observed import Observed

VolumeKind = Literal["root", "data", "swap", "os", "fixed"]
# encrypted: fully encrypted; encrypting/decrypting/paused: conversion under way or halted;
# decrypted: plain; suspended: encrypted but protection switched off (BitLocker suspend,
# clear key); restart_pending: switched on, but not in effect until a restart (FileVault
# "On, but needs to be restarted to finish"); locked: encrypted and its key not available
# (a BitLocker data volume nobody unlocked), so its progress cannot be read; None: not seen.
EncryptionState = Literal[
    "encrypted",
    "encrypting",
    "decrypting",
    "paused",
    "decrypted",
    "suspended",
    "restart_pending",
    "locked",
]


class VolumeEncryption(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    volume: str  # mount point, "swap", drive letter ("C:") or "system" (FileVault)
    kind: VolumeKind
    device: str | None = None  # backing device as the OS names it
    # Unknown (with the reason, a `disk_encryption.reason.*` key) when the backing device
    # or the encryption status could not be seen.
    encrypted: Observed[bool]
    state: EncryptionState | None = None
    protection_on: bool | None = None  # BitLocker/FileVault protection status
    method: str | None = None  # "LUKS2", "XTS-AES 128", ...
    percent: float | None = None
    # One line of evidence as data, the same in every language: the device chain, the
    # BitLocker enum values, FileVault's state.
    detail: str = ""
    # Linux: the other mount points of the volume's device (/home on the root device),
    # and for a swap file the mount point of the volume that holds it.
    also_mounted: tuple[str, ...] = ()
    swap_file_on: str | None = None
    # FileVault: the user whose next logout or login turns on deferred enablement, when
    # `fdesetup status` says one is pending ("" when it names no user).
    deferred_user: str | None = None
    # Linux: why a volume under a dm-crypt node is plain all the same: "null_cipher" (the
    # mapping uses cryptsetup's empty cipher) or "partly_plain" (crypt and plain segments,
    # an unfinished LUKS2 encryption or decryption).
    why_plain: Literal["null_cipher", "partly_plain"] | None = None


class DiskEncryptionFacts(Fact):
    name: ClassVar[str] = "disk_encryption"

    volumes: tuple[VolumeEncryption, ...] = ()
