"""What the collectors see of the boot chain: the firmware, Secure Boot, the TPM and, on
Windows, the update to the 2023 Secure Boot certificates."""

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from endpoint_audit.checkkit import Fact
from endpoint_audit.model.observed import Observed, unknown

# uefi / legacy: PCs (Windows, Linux). Macs: apple_silicon (M-series), apple_t2 (Intel
# with the T2 chip), apple_intel (Intel without it: EFI without Apple secure boot).
Firmware = Literal["uefi", "legacy", "apple_silicon", "apple_t2", "apple_intel"]
# on: signatures checked; off: not checked; medium: a T2 Mac's Medium Security, which
# checks signatures but lets any older signed macOS start.
SecureBootState = Literal["on", "off", "medium"]


class TpmState(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # tpm: a TPM the OS sees; secure_enclave: a Mac's Secure Enclave, which keeps keys
    # the way a TPM does.
    kind: Literal["tpm", "secure_enclave"] = "tpm"
    present: bool
    version: int | None = None  # the major TPM specification version (1 or 2)
    # Windows Win32_Tpm; None where the OS does not say (Linux, Macs).
    enabled: bool | None = None
    activated: bool | None = None
    owned: bool | None = None
    # Win32_Tpm.IsReady (fully provisioned for use); None where not read. Only a false
    # one counts: the three states above decide when it is missing.
    ready: bool | None = None
    detail: str = ""  # evidence as data: SpecVersion, the sysfs device


class CertificateUpdate(BaseModel):
    """HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecureBoot\\Servicing (KB5068202)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: str | None = None  # UEFICA2023Status: NotStarted, InProgress, Updated
    error: int | None = None  # UEFICA2023Error: present only after a failure
    capable: int | None = None  # WindowsUEFICA2023Capable: 0, 1 (in DB), 2 (and booted)
    available_updates: int | None = None  # SecureBoot\AvailableUpdates bitmask


class SecureBootFacts(Fact):
    name: ClassVar[str] = "secure_boot"

    firmware: Observed[Firmware] = unknown("secure_boot.reason.not_read")
    secure_boot: Observed[SecureBootState] = unknown("secure_boot.reason.not_read")
    secure_boot_detail: str = ""  # evidence as data: the registry value, the EFI bytes
    tpm: Observed[TpmState] = unknown("secure_boot.reason.not_read")
    # Windows only; None on systems Microsoft's certificate update does not serve.
    certificates: Observed[CertificateUpdate] | None = None
