"""What the discovery script's secure_boot snippet (checks/secure_boot/compliance/
intune_settings.ps1) writes for a probe answer, step for step in Python: this machine has
no PowerShell, so the tests judge the recorded answers through this reading and check
that the snippet assigns the same settings with the same vocabulary."""

from __future__ import annotations

import re
from typing import Any


def _integer(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]+\s*", value):
        return int(value)
    return None


def _text(value: Any) -> str:
    # [string]$null is '' in PowerShell; other values are their text.
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def secure_boot_settings(probe: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "SecureBootState": "Unknown",
        "TpmSpecVersion": -1,
        "TpmReady": "Unknown",
        "SecureBootCa2023": "Unknown",
    }
    if not isinstance(probe, dict):
        return settings
    firmware = _text(probe.get("firmware_type")).strip().lower()  # -eq: case-insensitive
    enabled = _integer(probe.get("secure_boot_enabled"))
    if firmware == "legacy":
        settings["SecureBootState"] = "Legacy"
    elif enabled == 1 and firmware == "uefi":
        settings["SecureBootState"] = "On"
    elif enabled == 0:
        settings["SecureBootState"] = "Off"
    if probe.get("tpm_error") is None and "tpm" in probe:
        raw = probe["tpm"]
        entries = [e for e in (raw if isinstance(raw, list) else [raw]) if e is not None]
        if not entries:
            settings["TpmSpecVersion"] = 0
            settings["TpmReady"] = "NoTpm"
        elif len(entries) == 1:
            entry = entries[0] if isinstance(entries[0], dict) else {}
            raw_spec = entry.get("spec_version")
            spec = raw_spec.split(",")[0] if isinstance(raw_spec, str) else ""
            match = re.match(r"\s*([0-9]+)", spec)
            if match:
                settings["TpmSpecVersion"] = int(match.group(1))
                flags = [entry.get(k) for k in ("is_enabled", "is_activated", "is_owned")]
                off = sum(1 for f in flags if f is False) + (entry.get("is_ready") is False)
                missing = sum(1 for f in flags if not isinstance(f, bool))
                if off:
                    settings["TpmReady"] = "NotReady"
                elif missing == 0:
                    settings["TpmReady"] = "Ready"
    if firmware == "legacy":
        settings["SecureBootCa2023"] = "NotApplicable"
    elif probe.get("servicing_error") is None:
        error = _integer(probe.get("ca2023_error"))
        status = _text(probe.get("ca2023_status")).strip()
        if error is not None and error != 0:
            settings["SecureBootCa2023"] = "Error"
        elif status in ("Updated", "NotStarted", "InProgress"):
            settings["SecureBootCa2023"] = status
        elif status == "":
            settings["SecureBootCa2023"] = "Missing"
        else:
            settings["SecureBootCa2023"] = "Unrecognised"
    return settings


FIREWALL_PROFILES = ("Domain", "Private", "Public")
_BLANKS = "[ \t\r\n]*"


def _firewall_code(value: Any) -> int | None:
    # The live probe writes [int]; a recorded answer JSON integers. Anything else: unread.
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        match = re.fullmatch(f"{_BLANKS}(-?[0-9]{{1,9}}){_BLANKS}", value)
        return int(match.group(1)) if match else None
    return None


def _ps_list(value: Any) -> list[Any]:
    """`@($value)`: a list is itself, anything else (also null) one item."""
    return value if isinstance(value, list) else [value]


def _interfaces(value: Any) -> str:
    if value is None:
        return "Unknown"
    items = _ps_list(value)
    if any(not isinstance(i, str) for i in items):
        return "Unknown"
    if any(not re.fullmatch(f"{_BLANKS}NotConfigured{_BLANKS}", i) for i in items):
        return "Excluded"
    return "AllFiltered"


def firewall_settings(probe: Any) -> dict[str, Any]:
    """checks/firewall/compliance/intune_settings.ps1 for `@{ profiles; products }`."""
    settings: dict[str, Any] = {}
    for name in FIREWALL_PROFILES:
        for part in ("Enabled", "Inbound", "Interfaces"):
            settings[f"Firewall{name}{part}"] = "Unknown"
    settings["FirewallOtherProfiles"] = -1
    settings["FirewallSecurityCenterAnswer"] = "Unknown"
    if not isinstance(probe, dict):
        return settings
    settings["FirewallSecurityCenterAnswer"] = "Usable"
    if "products" in probe:
        center = probe["products"]
        if not isinstance(center, dict):
            settings["FirewallSecurityCenterAnswer"] = "Malformed"
        elif center.get("products") is not None:
            if any(not isinstance(p, dict) for p in _ps_list(center["products"])):
                settings["FirewallSecurityCenterAnswer"] = "Malformed"
    entries = probe.get("profiles")
    found: dict[str, dict[str, Any]] = {}
    other = 0
    malformed = False
    for entry in _ps_list(entries):
        if not isinstance(entry, dict):
            malformed = True
            continue
        raw = entry.get("name")
        match = None
        for name in FIREWALL_PROFILES:
            if isinstance(raw, str) and re.fullmatch(f"{_BLANKS}{name}{_BLANKS}", raw):
                match = name
        if match is None:
            other += 1
        elif match in found:
            malformed = True  # listed twice: which answer is in force is not known
        else:
            found[match] = entry
    if entries is None or malformed or not _ps_list(entries):
        return settings
    settings["FirewallOtherProfiles"] = other
    for name, entry in found.items():
        enabled = _firewall_code(entry.get("enabled"))
        if enabled in (0, 1):
            settings[f"Firewall{name}Enabled"] = "On" if enabled == 1 else "Off"
        inbound = _firewall_code(entry.get("default_inbound"))
        if inbound in (0, 4):
            settings[f"Firewall{name}Inbound"] = "Block"
        elif inbound == 2:
            settings[f"Firewall{name}Inbound"] = "Allow"
        settings[f"Firewall{name}Interfaces"] = _interfaces(entry.get("disabled_interface_aliases"))
    return settings
