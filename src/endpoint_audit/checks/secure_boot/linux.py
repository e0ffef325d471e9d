"""secure_boot on Linux, from what the kernel shows in sysfs (no root needed):

- /sys/firmware lists `efi` only when the kernel was started by UEFI firmware; without it
  the PC booted from legacy BIOS. An empty or missing /sys/firmware (a container that
  masks it) shows nothing, which is unknown.
- The SecureBoot variable of the EFI global-variable GUID, in efivarfs: four bytes of
  attributes, then one byte, 1 when the firmware checks signatures, 0 when not
  (UEFI 2.x, 3.3 Globally Defined Variables; kernel Documentation/filesystems/efivarfs).
  `mokutil --sb-state` prints a sentence made from this same byte, so the byte is read.
  Without the variable while efivarfs lists others, the firmware has no Secure Boot.
- SecureBoot 1 is enforcement only with SetupMode 0 (a firmware in Setup Mode has no
  Platform Key and enforces nothing) and without MokSBStateRT 1 (shim told by
  `mokutil --disable-validation` to start unsigned kernels). The kernel's EFI stub
  (drivers/firmware/efi/libstub/secureboot.c) and `mokutil --sb-state` judge the same
  three variables; an unread SetupMode leaves Secure Boot unknown, as in the kernel.
- /sys/class/tpm/tpm0, and its tpm_version_major (Linux 5.6 and later). The kernel
  registers a TPM only after it passed its self test at start-up; whether it is owned
  is not shown, so a registered TPM of the right version passes.
"""

from __future__ import annotations

import re

from endpoint_audit.checkkit import Collector, Results, require
from endpoint_audit.checks.secure_boot.facts import (
    Firmware,
    SecureBootFacts,
    SecureBootState,
    TpmState,
)
from endpoint_audit.model.commands import EXIT_DENIED, Argv, CommandResult, ReadFile
from endpoint_audit.model.observed import Observed, seen, unknown
from endpoint_audit.model.platform import OsFamily, PlatformInfo

EFI_GLOBAL = "8be4df61-93ca-11d2-aa0d-00e098032b8c"
SHIM_LOCK = "605dab50-e046-4300-abb6-3dd810dd8b23"  # shim's vendor GUID
EFIVARS = "/sys/firmware/efi/efivars"
FIRMWARE = Argv(("ls", "-1", "/sys/firmware"))
VARIABLES = Argv(("ls", "-1", EFIVARS))
SECURE_BOOT_VAR = ReadFile(f"{EFIVARS}/SecureBoot-{EFI_GLOBAL}")
SETUP_MODE_VAR = ReadFile(f"{EFIVARS}/SetupMode-{EFI_GLOBAL}")
MOK_SB_STATE_VAR = ReadFile(f"{EFIVARS}/MokSBStateRT-{SHIM_LOCK}")
TPM_CLASS = Argv(("ls", "-1", "/sys/class/tpm"))
TPM_VERSION = ReadFile("/sys/class/tpm/tpm0/tpm_version_major")
REASON = "secure_boot.reason"
TPM_DEVICE = re.compile(r"tpm\d+")
ATTRIBUTES = 4  # efivarfs puts the variable's attribute bits before its data


def names(result: CommandResult) -> list[str] | None:
    """The entries `ls -1` listed, or None when the directory could not be listed."""
    if not result.ok:
        return None
    return [line.strip() for line in result.stdout.splitlines() if line.strip()]


def variable_byte(text: str) -> int | None:
    """The first data byte of an efivarfs file (read as text: bytes below 0x80 are one
    character each); None when the file is too short or not bytes."""
    if len(text) <= ATTRIBUTES or any(ord(c) > 0xFF for c in text[: ATTRIBUTES + 1]):
        return None
    return ord(text[ATTRIBUTES])


def shown_bytes(text: str) -> str:
    return " ".join(f"{ord(c):02x}" for c in text[:8] if ord(c) <= 0xFF)


def enforcement_of(
    setup: CommandResult, mok: CommandResult
) -> tuple[Observed[SecureBootState], str]:
    """What SetupMode and MokSBStateRT make of a SecureBoot variable of 1."""
    if not setup.ok:
        key = "variable_denied" if setup.exit_status == EXIT_DENIED else "setup_mode_unread"
        return unknown(f"{REASON}.{key}", path=SETUP_MODE_VAR.path), "SetupMode=-"
    mode = variable_byte(setup.stdout)
    if mode not in (0, 1):
        bytes_ = shown_bytes(setup.stdout) or "-"
        return (
            unknown(f"{REASON}.variable_unrecognised", path=SETUP_MODE_VAR.path, bytes=bytes_),
            f"SetupMode={bytes_}",
        )
    if mode == 1:
        return seen("off"), "SetupMode=1"
    if mok.ok:
        state = variable_byte(mok.stdout)
        if state == 1:
            return seen("off"), "SetupMode=0; MokSBStateRT=1"
        # shim creates the variable only to switch validation off; other bytes are unknown.
        bytes_ = shown_bytes(mok.stdout) or "-"
        return (
            unknown(f"{REASON}.variable_unrecognised", path=MOK_SB_STATE_VAR.path, bytes=bytes_),
            f"SetupMode=0; MokSBStateRT={bytes_}",
        )
    if mok.exit_status == 1:  # ReadFile: no such file, shim validates
        return seen("on"), "SetupMode=0; MokSBStateRT: ∅"
    key = "variable_denied" if mok.exit_status == EXIT_DENIED else "shim_state_unread"
    return unknown(f"{REASON}.{key}", path=MOK_SB_STATE_VAR.path), "SetupMode=0; MokSBStateRT=-"


def firmware_of(listing: list[str] | None) -> Observed[Firmware]:
    if not listing:
        return unknown(f"{REASON}.firmware_hidden")
    return seen("uefi" if "efi" in listing else "legacy")


def secure_boot_of(
    firmware: Observed[Firmware],
    var: CommandResult,
    variables: list[str] | None,
    setup: CommandResult,
    mok: CommandResult,
) -> tuple[Observed[SecureBootState], str]:
    path = SECURE_BOOT_VAR.path
    if firmware != seen("uefi"):
        return (
            seen("off") if firmware == seen("legacy") else unknown(f"{REASON}.firmware_hidden"),
            "/sys/firmware/efi: ∅",  # data: the firmware is not UEFI
        )
    if var.ok:
        value = variable_byte(var.stdout)
        shown = shown_bytes(var.stdout)
        detail = f"{path}: {shown or '-'}"
        if value == 1:
            state, more = enforcement_of(setup, mok)
            return state, f"{detail}; {more}"
        if value == 0:
            return seen("off"), detail
        return unknown(f"{REASON}.variable_unrecognised", path=path, bytes=shown or "-"), detail
    if var.exit_status == EXIT_DENIED:
        return unknown(f"{REASON}.variable_denied", path=path), path
    if variables:
        # efivarfs is mounted and lists variables, but the firmware set no SecureBoot.
        return seen("off"), f"{path}: absent ({len(variables)} other variables)"
    return unknown(f"{REASON}.efivarfs_unread", path=EFIVARS), path


def tpm_of(listing: CommandResult, version: CommandResult) -> Observed[TpmState]:
    devices = names(listing)
    if listing.not_found or (devices is None and listing.exit_status == EXIT_DENIED):
        return unknown(f"{REASON}.tpm_class_unread", output=listing.excerpt(120))
    tpms = [d for d in devices or [] if TPM_DEVICE.fullmatch(d)]
    if not tpms:
        # Data, the same in every language: what the class folder lists (∅: nothing).
        listed = ", ".join(devices or []) or "∅"
        return seen(TpmState(present=False, detail=f"/sys/class/tpm: {listed}"))
    major = version.stdout.strip() if version.ok else ""
    major = major if re.fullmatch(r"[12]", major) else ""
    return seen(
        TpmState(
            present=True,
            version=int(major) if major.isdigit() else None,
            detail=f"/sys/class/tpm: {', '.join(sorted(tpms))}; tpm_version_major={major or '-'}",
        )
    )


class LinuxSecureBoot(Collector[SecureBootFacts]):
    family = OsFamily.LINUX
    fact_type = SecureBootFacts
    asks = (
        FIRMWARE,
        VARIABLES,
        SECURE_BOOT_VAR,
        SETUP_MODE_VAR,
        MOK_SB_STATE_VAR,
        TPM_CLASS,
        TPM_VERSION,
    )

    def parse(self, results: Results, platform: PlatformInfo) -> SecureBootFacts:
        firmware = firmware_of(names(require(results, FIRMWARE)))
        state, detail = secure_boot_of(
            firmware,
            require(results, SECURE_BOOT_VAR),
            names(require(results, VARIABLES)),
            require(results, SETUP_MODE_VAR),
            require(results, MOK_SB_STATE_VAR),
        )
        return SecureBootFacts(
            firmware=firmware,
            secure_boot=state,
            secure_boot_detail=detail,
            tpm=tpm_of(require(results, TPM_CLASS), require(results, TPM_VERSION)),
            sources=tuple(c.key for c in self.asks),
        )
