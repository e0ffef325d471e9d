"""Probe values for the Windows unit tests, built in memory in the shape the probes print
(checks/*/probes/*.ps1): BitLocker volumes, firewall profiles and products, File and
Printer Sharing rules. The recorded hosts themselves are data (the checks' replay cases);
the sources of these shapes are named in those cases' `source:` fields."""

from __future__ import annotations

from typing import Any

STATUS_NAMES = {
    0: "FullyDecrypted",
    1: "FullyEncrypted",
    2: "EncryptionInProgress",
    3: "DecryptionInProgress",
    4: "EncryptionSuspended",
    5: "DecryptionSuspended",
}


def vol(
    mount: str,
    vtype: int,
    status: int | None,
    prot: int | None,
    method: int = 6,
    percent: float | None = 100.0,
    protectors: tuple[int, ...] = (1, 3),
    lock: int | None = 0,
    status_name: str | None = None,
) -> dict[str, Any]:
    """One Get-BitLockerVolume entry; status None is what a locked volume reports."""
    return {
        "mount": mount,
        "volume_type": vtype,
        "volume_status": status,
        "volume_status_name": status_name or (STATUS_NAMES[status] if status is not None else None),
        "protection_status": prot,
        "lock_status": lock,
        "encryption_method": method,
        "percent": percent,
        "protectors": list(protectors),
    }


def bitlocker(
    volumes: list[dict[str, Any]],
    fixed: list[str] | None = None,
    admin: bool = True,
    source: str | None = "Get-BitLockerVolume",
    failures: tuple[dict[str, Any], ...] = (),
    mounted: tuple[dict[str, Any], ...] | None = (),
) -> dict[str, Any]:
    """`mounted`: the fixed volumes without a drive letter mounted into a folder
    (Win32_Volume); None is what the probe prints when it could not list them."""
    if fixed is None:
        fixed = [v["mount"] for v in volumes if v["volume_type"] != 2]
    return {
        "is_admin": admin,
        "source": source,
        "volumes": volumes,
        "fixed_drives": fixed,
        "mounted_volumes": None if mounted is None else list(mounted),
        "failures": list(failures),
    }


def mounted_volume(device_id: str, path: str) -> dict[str, Any]:
    """One Win32_Volume entry of `mounted_volumes`: DeviceID and Name (the folder)."""
    return {"device_id": device_id, "path": path}


def fw(
    domain: tuple[int, int] = (1, 0),
    private: tuple[int, int] = (1, 0),
    public: tuple[int, int] = (1, 4),
    excluded: dict[str, list[str]] | None = None,
) -> list[dict[str, Any]]:
    """Get-NetFirewallProfile -PolicyStore ActiveStore: (Enabled, DefaultInboundAction)
    per profile; `excluded` gives a profile's DisabledInterfaceAliases."""
    inbound = {0: "NotConfigured", 2: "Allow", 4: "Block"}
    enabled = {0: "False", 1: "True", 2: "NotConfigured"}
    return [
        {
            "name": name,
            "enabled": en,
            "enabled_name": enabled[en],
            "default_inbound": inb,
            "default_inbound_name": inbound[inb],
            "default_outbound": 0,
            "disabled_interface_aliases": (excluded or {}).get(name, ["NotConfigured"]),
        }
        for name, (en, inb) in (("Domain", domain), ("Private", private), ("Public", public))
    ]


# A Security Center entry whose product is alive: its programs on disk and its
# reporting program run by a running service (what the probe computes).
LIVE = {"product_exe_exists": True, "reporting_exe_exists": True, "reporting_running": True}


def products(
    *entries: tuple[str, int], installation: str = "Client", **liveness: Any
) -> dict[str, Any]:
    """root/SecurityCenter2 FirewallProduct: (displayName, productState) per product,
    alive unless `liveness` says otherwise."""
    return {
        "installation_type": installation,
        "products": [{"name": n, "product_state": s, **LIVE, **liveness} for n, s in entries],
        "failure": None,
    }


# MSFT_NetFirewallRule Profiles bits; Get-NetConnectionProfile NetworkCategory numbers.
DOMAIN, PRIVATE, PUBLIC = 1, 2, 4
CATEGORY = {"Public": 0, "Private": 1, "DomainAuthenticated": 2}
FPS_GROUP = "@FirewallAPI.dll,-28502"
FPS_RULES = {
    # name: (protocol, port, English display name, Japanese display name or None)
    "FPS-SMB-In-TCP": (
        "TCP",
        "445",
        "File and Printer Sharing (SMB-In)",
        "ファイルとプリンターの共有 (SMB 受信)",
    ),
    "FPS-NB_Session-In-TCP": (
        "TCP",
        "139",
        "File and Printer Sharing (NB-Session-In)",
        "ファイルとプリンターの共有 (NB セッション受信)",
    ),
    "FPS-NB_Name-In-UDP": ("UDP", "137", "File and Printer Sharing (NB-Name-In)", None),
    "FPS-NB_Datagram-In-UDP": ("UDP", "138", "File and Printer Sharing (NB-Datagram-In)", None),
}
# A Store app's rule: any port, but only for its package, so never for System. Its name,
# group and package SID are not from a capture (the shape of MSFT_NetFirewallRule and
# MSFT_NetFirewallApplicationFilter).
APPX_RULE = {
    "name": "{78E1CD88-49E3-476E-B926-580E596AD309}",
    "display_name": "Microsoft Photos",
    "group": "@{Microsoft.Windows.Photos_2024.11100.16010.0_x64__8wekyb3d8bbwe?ms-resource://Microsoft.Windows.Photos/Resources/AppStoreName}",
    "action": 2,
    "profile": DOMAIN | PRIVATE | PUBLIC,
    "protocol": "Any",
    "local_ports": ["Any"],
    "program": "Any",
    "package": "S-1-15-2-1861897761-1695161497-2927542615-642690995-327840285-2659745135-"
    "2630312742",
    "service": "Any",
    "remote_addresses": ["Any"],
}
ADMIN_SHARES = [
    {"name": "ADMIN$", "type": 2147483648},
    {"name": "C$", "type": 2147483648},
    {"name": "IPC$", "type": 2147483651},
]


def fps_rule(
    name: str, profile: int, ja: bool = False, group: str = FPS_GROUP, scope: str = "LocalSubnet"
) -> dict[str, Any]:
    # The -NoScope twin of each rule is the Domain one, open to any address.
    protocol, port, en_name, ja_name = FPS_RULES[name.removesuffix("-NoScope")]
    return {
        "name": name,
        "display_name": (ja_name or en_name) if ja else en_name,
        "group": group,
        "action": 2,
        "profile": profile,
        "protocol": protocol,
        "local_ports": [port],
        "program": "System",
        "package": "",
        "service": "Any",
        "remote_addresses": [scope],
    }


def sharing(
    active: int | None = PUBLIC,
    rules: list[dict[str, Any]] | None = None,
    shares: list[dict[str, Any]] | None = None,
    connections: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """The file_sharing probe: active profiles, the enabled inbound rules that could
    cover SMB/NetBIOS (a stock PC has no such rule but Store-app ones), and the shares."""
    return {
        "active_profiles": active,
        "active_profiles_failure": None,
        "connections": [
            {"alias": alias, "category": CATEGORY[category]}
            for alias, category in (connections or [("Wi-Fi", "Public")])
        ],
        "connections_failure": None,
        "rules": [APPX_RULE, *(rules or [])],
        "rules_failure": None,
        "shares": [*ADMIN_SHARES, *(shares or [])],
        "shares_failure": None,
    }
