"""secure_boot on Windows: one PowerShell probe (probes/secure_boot.ps1) reads

- the firmware type (`$env:firmware_type`: "UEFI" or "Legacy", never translated);
- `HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecureBoot\\State` UEFISecureBootEnabled
  (REG_DWORD, 1 on, 0 off), the value Microsoft's own detection sample falls back to
  (KB5072718);
- Win32_Tpm in root\\cimv2\\Security\\MicrosoftTpm: IsEnabled_, IsActivated_,
  IsOwned_InitialValue and SpecVersion ("2.0, 0, 1.59": the first number is the major
  version), and its IsReady method ("TRUE if the TPM and system are fully provisioned for
  TPM use"). No instance means no TPM; reading it needs an administrator token;
- the 2023 certificate update (KB5068202): `...\\SecureBoot\\Servicing` UEFICA2023Status
  (REG_SZ NotStarted, InProgress, Updated), UEFICA2023Error (REG_DWORD, present after a
  failure), WindowsUEFICA2023Capable, and `...\\SecureBoot` AvailableUpdates (the bits
  still to apply).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from endpoint_audit.checkkit import Results
from endpoint_audit.checkkit.windows_probe import (
    OneProbeCollector,
    as_dict,
    as_int,
    as_list,
    as_text,
    probe_value,
    windows_script,
)
from endpoint_audit.checks.secure_boot.facts import (
    CertificateUpdate,
    Firmware,
    SecureBootFacts,
    SecureBootState,
    TpmState,
)
from endpoint_audit.errors import CollectorError
from endpoint_audit.model.commands import PowerShell
from endpoint_audit.model.observed import Observed, seen, unknown
from endpoint_audit.model.platform import PlatformInfo

SECURE_BOOT_PROBE = PowerShell(
    "secure_boot", windows_script(__name__, "secure_boot"), clm_safe=True
)
REASON = "secure_boot.reason"
FIRMWARE_TYPES: dict[str, Firmware] = {"uefi": "uefi", "legacy": "legacy"}
SPEC_MAJOR = re.compile(r"\s*(\d+)(?:\.\d+)?")


def _hresult(value: Any) -> str:
    code = as_int(value)
    return f"0x{code & 0xFFFFFFFF:08X}" if code is not None else str(value)[:40]


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def firmware_of(data: dict[str, Any]) -> Observed[Firmware]:
    raw = as_text(data.get("firmware_type"))
    kind = FIRMWARE_TYPES.get((raw or "").lower())
    if kind is None:
        return unknown(f"{REASON}.firmware_type_unknown", value=(raw or "-")[:40])
    return seen(kind)


def secure_boot_of(
    data: dict[str, Any], is_admin: bool | None
) -> tuple[Observed[SecureBootState], str]:
    value = as_int(data.get("secure_boot_enabled"))
    detail = f"UEFISecureBootEnabled={'-' if value is None else value}"
    if value == 1:
        return seen("on"), detail
    if value == 0:
        return seen("off"), detail
    error = data.get("state_error")
    if error is not None:
        key = "state_denied" if is_admin is False else "state_unreadable"
        return unknown(f"{REASON}.{key}", hresult=_hresult(error)), detail
    if value is not None:
        return unknown(f"{REASON}.state_unrecognised", value=value), detail
    # Without the value a UEFI PC says nothing; Legacy BIOS is judged on the firmware.
    return unknown(f"{REASON}.state_missing"), detail


def spec_major(spec: str) -> int | None:
    """2 from "2.0, 0, 1.59", 1 from "1.2, 2, 3"."""
    match = SPEC_MAJOR.match(spec.split(",")[0])
    return int(match.group(1)) if match else None


def tpm_of(data: dict[str, Any], is_admin: bool | None) -> Observed[TpmState]:
    error = data.get("tpm_error")
    if error is not None:
        if is_admin is False:
            return unknown(f"{REASON}.tpm_needs_admin", hresult=_hresult(error))
        return unknown(f"{REASON}.tpm_unreadable", hresult=_hresult(error))
    if "tpm" not in data:
        raise CollectorError("PowerShell probe 'secure_boot': no tpm entry in its answer")
    entries = [as_dict(e, "secure_boot.tpm[]") for e in as_list(data["tpm"])]
    if not entries:
        return seen(TpmState(present=False, detail="Win32_Tpm: no instance"))
    if len(entries) > 1:
        # Win32_Tpm stands for the one TPM Windows uses; several instances are no answer
        # of it, and judging the first would pass a PC whose other entry is not ready.
        return unknown(f"{REASON}.tpm_several", count=len(entries))
    entry = entries[0]
    spec = as_text(entry.get("spec_version")) or ""
    return seen(
        TpmState(
            present=True,
            version=spec_major(spec),
            enabled=_flag(entry.get("is_enabled")),
            activated=_flag(entry.get("is_activated")),
            owned=_flag(entry.get("is_owned")),
            ready=_flag(entry.get("is_ready")),
            detail=f"SpecVersion {spec[:40] or '-'}"
            + ("" if _flag(entry.get("is_ready")) is None else f"; IsReady={entry['is_ready']}"),
        )
    )


def certificates_of(data: dict[str, Any], is_admin: bool | None) -> Observed[CertificateUpdate]:
    error = data.get("servicing_error")
    if error is not None:
        key = "servicing_denied" if is_admin is False else "servicing_unreadable"
        return unknown(f"{REASON}.{key}", hresult=_hresult(error))
    return seen(
        CertificateUpdate(
            status=as_text(data.get("ca2023_status")),
            error=as_int(data.get("ca2023_error")),
            capable=as_int(data.get("ca2023_capable")),
            available_updates=as_int(data.get("available_updates")),
        )
    )


def parse_secure_boot(value: Any, is_admin: bool | None) -> SecureBootFacts:
    data = as_dict(value, "PowerShell probe 'secure_boot'")
    firmware = firmware_of(data)
    state, detail = secure_boot_of(data, is_admin)
    return SecureBootFacts(
        firmware=firmware,
        secure_boot=state,
        secure_boot_detail=f"firmware_type={as_text(data.get('firmware_type')) or '-'}; {detail}",
        tpm=tpm_of(data, is_admin),
        certificates=certificates_of(data, is_admin),
        sources=(SECURE_BOOT_PROBE.key,),
    )


class WindowsSecureBoot(OneProbeCollector[SecureBootFacts]):
    fact_type = SecureBootFacts
    probe: ClassVar[PowerShell] = SECURE_BOOT_PROBE

    def parse(self, results: Results, platform: PlatformInfo) -> SecureBootFacts:
        # Whether the token was elevated tells "needs administrator" from other failures.
        return parse_secure_boot(probe_value(results, self.probe), platform.is_admin)

    def parse_value(self, value: Any) -> SecureBootFacts:
        return parse_secure_boot(value, None)
