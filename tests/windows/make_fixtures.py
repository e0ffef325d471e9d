"""Writes tests/fixtures/windows/*.yaml: one Windows host per bundle file.

The probe values have the shape the probes in collectors/windows_ps/*.ps1 print, filled
with the facts of real Windows 10 22H2 / 11 23H2 / 11 24H2 PCs as of November 2024
(builds and KB numbers of the 2024-11-12 cumulative updates, Defender's daily definition
updates, the services that listen on a default installation). Japanese cases carry
Japanese host, user and process names, update titles and error messages, which the
collectors must never need to read.

Run `python -m tests.windows.make_fixtures` after changing a probe's shape.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

OUT = Path(__file__).resolve().parent.parent / "fixtures" / "windows"
BASELINES = OUT.parent / "baselines"
COLLECTED_AT = "2024-11-20T03:00:00+00:00"


def dumps(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, sort_keys=True, default=str)


def ok(value: Any, ms: int = 120) -> dict[str, Any]:
    return {
        "exit_status": 0,
        "stdout": dumps(value),
        "stderr": "",
        "duration": ms / 1000,
        "timed_out": False,
    }


def err(message: str, kind: str, hresult: int, ms: int = 40) -> dict[str, Any]:
    return {
        "exit_status": 1,
        "stdout": "",
        "stderr": f"{message} [{kind}, HRESULT 0x{hresult & 0xFFFFFFFF:08X}]",
        "duration": ms / 1000,
        "timed_out": False,
    }


# ProductName says "Windows 10" on Windows 11: the collectors must not use it.
BUILDS: dict[str, dict[str, Any]] = {
    "win10-22h2": {
        "current_build": "19045",
        "ubr": 5131,
        "display_version": "22H2",
        "product_name": "Windows 10 Pro",
        "caption": "Microsoft Windows 10 Pro",
    },
    "win11-23h2": {
        "current_build": "22631",
        "ubr": 4460,
        "display_version": "23H2",
        "product_name": "Windows 10 Pro",
        "caption": "Microsoft Windows 11 Pro",
    },
    "win11-24h2": {
        "current_build": "26100",
        "ubr": 2314,
        "display_version": "24H2",
        "product_name": "Windows 10 Enterprise",
        "caption": "Microsoft Windows 11 Enterprise",
    },
}
EDITION = {"win10-22h2": "Professional", "win11-23h2": "Professional", "win11-24h2": "Enterprise"}
NAME = {"win10-22h2": "Windows 10", "win11-23h2": "Windows 11", "win11-24h2": "Windows 11"}
EDNAME = {"Professional": "Pro", "Enterprise": "Enterprise"}
# Patch probes (ps:windows_update, ps:windows_update_pending): KB numbers, UBRs and dates of
# the cumulative updates come from the shipped release table
# (src/endpoint_audit/data/windows-monthly-releases.yaml: Microsoft's update history pages);
# .NET Framework KBs from dotnet/docs docs/framework/release-notes/2024/
# 11-12-november-security-and-quality-rollup.md. English titles follow the Microsoft Update
# Catalog titles of those KBs; Japanese ones the format of the real Japanese Windows Update
# history in future-architect/vuls scanner/windows_test.go. The collectors never read titles.
# Per OS: (KB, UBR) of the November 2024 and October 2024 cumulative updates, and the .NET
# update Windows installs in November (the KB Win32_QuickFixEngineering lists).
LCU_NOV = {"win10-22h2": ("KB5046613", 5131), "win11-23h2": ("KB5046633", 4460)}
LCU_NOV["win11-24h2"] = ("KB5046617", 2314)
LCU_OCT = {"win10-22h2": ("KB5044273", 5011), "win11-23h2": ("KB5044285", 4317)}
LCU_OCT["win11-24h2"] = ("KB5044284", 2033)
# August 2024: 19045.4780 KB5041580 (2024-08-13), 22631.4037 KB5041585 (2024-08-13).
LCU_AUG = {"win10-22h2": ("KB5041580", 4780), "win11-23h2": ("KB5041585", 4037)}
DOTNET_NOV = {"win10-22h2": "KB5045933", "win11-23h2": "KB5045935", "win11-24h2": "KB5045934"}
# The KB Windows Update offers for .NET on Windows 10 22H2 (it is not the one installed).
DOTNET_OFFER_WIN10 = "KB5046542"
VERSION_TEXT = {"win10-22h2": "Windows 10 Version 22H2", "win11-23h2": "Windows 11 Version 23H2"}
VERSION_TEXT["win11-24h2"] = "Windows 11 Version 24H2"
SECURITY = "0fa1201d-4330-4fa8-8ae9-b877473b6441"
DEFINITION = "e0789628-ce08-4437-be74-2495b842f43b"
ROLLUPS = "28bc880e-0592-4cbf-8f95-c79b17911d5f"
# Defender and MSRT titles: the formats of real histories (Security Intelligence Update ...
# KB2267602, Malicious Software Removal Tool ... KB890830); their version numbers are not
# from a capture (nothing reads them).
DEFENDER_EN = (
    "Security Intelligence Update for Microsoft Defender Antivirus - KB2267602 "
    "(Version 1.421.{v}.0) - Current Channel (Broad)"
)
DEFENDER_JA = (
    "Microsoft Defender ウイルス対策のセキュリティ インテリジェンス更新プログラム - KB2267602 "
    "(バージョン 1.421.{v}.0) - 現在のチャネル (広範)"
)
MSRT_EN = "Windows Malicious Software Removal Tool x64 - v5.129 (KB890830)"
MSRT_JA = "Windows 悪意のあるソフトウェアの削除ツール x64 - v5.129 (KB890830)"


def lcu_title(os_key: str, month: str, kb: str, ja: bool) -> str:
    version = VERSION_TEXT[os_key]
    if ja:
        return f"{month} x64 ベース システム用 {version} の累積更新プログラム ({kb})"
    return f"{month} Cumulative Update for {version} for x64-based Systems ({kb})"


def dotnet_title(os_key: str, kb: str, ja: bool) -> str:
    version = VERSION_TEXT[os_key]
    frameworks = "3.5、4.8 および 4.8.1" if os_key == "win10-22h2" else "3.5 および 4.8.1"
    if ja:
        return (
            f"2024-11 x64 ({kb}) 向け {version} 用 .NET Framework {frameworks} "
            "の累積的な更新プログラム"
        )
    frameworks = "3.5, 4.8 and 4.8.1" if os_key == "win10-22h2" else "3.5 and 4.8.1"
    return f"2024-11 Cumulative Update for .NET Framework {frameworks} for {version} for x64 ({kb})"


# Where the shape and values of each probe's recorded output come from: the public capture
# or Microsoft document (repository and path, or URL). Each fixture's header lists the
# source of every probe it records; tests fail when a probe has none.
PROBE_SOURCES: dict[str, str] = {
    "ps:platform": (
        "CurrentVersion values (ProductName 'Windows 10 Pro' on Windows 11, CurrentBuildNumber, "
        "UBR, EditionID, InstallationType) and PROCESSOR_ARCHITECTURE as in "
        "future-architect/vuls scanner/windows_test.go (Test_parseRegistry, a real "
        "Get-ItemProperty capture); PROCESSOR_ARCHITEW6432 of a 32-bit process per "
        "MicrosoftDocs/win32 desktop-src/WinProg64/wow64-implementation-details.md; "
        "LanguageMode values per MicrosoftDocs/PowerShell-Docs reference/5.1/"
        "Microsoft.PowerShell.Core/About/about_Language_Modes.md; no capture of this "
        "probe's own JSON exists; UBRs of the cases' cumulative updates: the release "
        "table src/endpoint_audit/data/windows-monthly-releases.yaml"
    ),
    "ps:bitlocker": (
        "values of Get-BitLockerVolume | ConvertTo-Json (the Go test fixture quoted in "
        "shared/reference/platform-facts.md 2.1.3: VolumeStatus 1, ProtectionStatus 1, "
        "LockStatus 0, EncryptionMethod 6, KeyProtectorType 3 and 1); enum numbers from "
        "MicrosoftDocs/win32 desktop-src/SecProv/getconversionstatus-, getlockstatus- and "
        "getprotectionstatus-win32-encryptablevolume.md; a locked volume has no VolumeStatus "
        "nor EncryptionPercentage (Microsoft's BitLocker.psm1, Get-BitLockerVolumeInternal, "
        "module shipped in System32\\WindowsPowerShell\\v1.0\\Modules\\BitLocker) and "
        "ProtectionStatus 2 (getprotectionstatus: 'can be caused by the volume being in a "
        "locked state'); its method XTS-AES 128 and External Key protector as manage-bde "
        "prints them for a locked data volume in a public write-up whose repository the "
        "search tools did not name; enum names FullyEncryptedWipeInProgress/Suspended and "
        "EncryptionSuspended from BitLocker.psm1"
    ),
    "ps:file_sharing": (
        "the probe's own JSON (no public capture of it exists); rule names, groups, "
        "programs and scopes of the File and Printer Sharing rules: group "
        "@FirewallAPI.dll,-28502 (MicrosoftDocs/windows-powershell-docs "
        "docset/*/netsecurity/Enable-NetFirewallRule.md example 'enables all of the File and "
        "Printer Sharing rules'), Program System, RemoteAddress LocalSubnet, one rule per "
        "port (metablaster/WindowsFirewallRuleset Rules/IPv4/Inbound/NetworkSharing.ps1), rule "
        "name FPS-SMB-In-TCP (sherobbedmyboots/malkoo Harden/Config-Firewall.ps1); their "
        "-NoScope twins on the Domain profile open to any address as registry exports and "
        "DSC configurations show them (found by text search, repository not named); the "
        "Japanese display names 「ファイルとプリンターの共有 (SMB 受信)」 and (NB セッション受信) "
        "from Microsoft's Japanese documentation; the group stored with a path "
        "(MicrosoftDocs/windows-powershell-docs issue 1234); enum numbers from "
        "MicrosoftDocs/win32 desktop-src/FWP/wmi/wfascimprov/msft-netfirewallrule.md; the "
        "AppX rule's package SID and the shares (ADMIN$, C$, IPC$ with the special Type bit) "
        "follow the Win32_Share and MSFT_NetFirewallApplicationFilter docs, not a capture"
    ),
    "ps:firewall_profiles": (
        "Get-NetFirewallProfile output quoted in shared/reference/platform-facts.md 2.1.4 "
        "(Enabled True, DefaultInboundAction NotConfigured, DisabledInterfaceAliases "
        "{NotConfigured}); DisabledInterfaceAliases holding interface names as "
        "metablaster/WindowsFirewallRuleset Scripts/Complete-Firewall.ps1 sets them"
    ),
    "ps:firewall_products": (
        "the probe's own JSON; productState bits as decoded by Idera PowerTips 'Identifying "
        "Antivirus Engine State' (0x1000 on, 0x00 up to date) and the values of Stack "
        "Overflow question 4700897 (e.g. 266240 = 0x41000); the display name ノートン 360 as "
        "a Japanese PC lists it (a public Japanese troubleshooting note whose repository "
        "the search tools did not name); no product on a stock PC, whose Windows Firewall "
        "does not register there"
    ),
    "ps:listening_sockets": (
        "Windows 10: netstat -ano of a Windows 10 Home 1909 PC (Biozard01/masteringhostTP1 "
        "tp1.md): ports, address families, PIDs, 139/tcp and 137-138/udp per IPv4 address "
        "owned by PID 4; Windows 11: netstat -a -n -b of a Windows 11 PC "
        "(danyGhassan/fonct_reseaux_Dany tp5.md), which names the owning service of each "
        "port but prints no PIDs (PIDs reused from the Windows 10 capture per port; PIDs of "
        "123/udp, 3702/udp and 7680/tcp are not from a capture); PID 4 is System "
        "(perlancar/perl-Parse-Netstat share/netstat-samples/netstat-anp-win32); 7680/tcp "
        "is Delivery Optimization (MicrosoftDocs/windows-itpro-docs, Delivery Optimization "
        "FAQ). Each PC's own software (VMware, IIS, Chrome, VirtualBox adapters) is left "
        "out, and so are 49665/tcp and the services.exe port, whose owner neither capture "
        "names. RDP (3389 tcp+udp, TermService) and the Japanese business app are not "
        "from a capture"
    ),
    "ps:windows_update": (
        "shape: collectors/windows_ps/windows_update.ps1. CurrentVersion values: real reg query "
        "capture of Windows 11 23H2 (shared/reference/platform-facts.md 2.1.9), UBRs from the "
        "release table. Win32_QuickFixEngineering: MicrosoftDocs/win32 desktop-src/CIMWin32Prov/"
        "win32-quickfixengineering.md (InstalledOn string; M/d/yyyy as in MicrosoftDocs/"
        "PowerShell-Docs Get-HotFix.md example 1; PowerShell/PowerShell src/System.Management."
        "Automation/engine/Types_Ps1Xml.cs parses it as invariant), KBs and dates: the release "
        "table (Microsoft update history, via altrhombus/DataForGeeks content/ms/win/"
        "buildnumbers.json) and dotnet/docs docs/framework/release-notes/2024/11-12-november-"
        "security-and-quality-rollup.md. Restart markers: microsoft/CSS-Exchange Setup/src/"
        "SetupAssist/Checks/Test-PendingReboot.ps1 (paths); redirection: MicrosoftDocs/win32 "
        "desktop-src/WinProg64/shared-registry-keys.md. Update policies: MicrosoftDocs/windows-"
        "itpro-docs windows/deployment/update/waas-wu-settings.md (WUServer, UseWUServer) and "
        "waas-configure-wufb.md (DeferQualityUpdates, classification GUIDs); the WSUS URL is "
        "illustrative, not a capture. History: MicrosoftDocs/sdk-api sdk-api-src/content/wuapi/"
        "nn-wuapi-iupdatehistoryentry.md and ne-wuapi-operationresultcode.md; titles: see the "
        "comment on LCU_NOV in tests/windows/make_fixtures.py (Defender and MSRT version "
        "numbers and install times of day are not from a capture)"
    ),
    "ps:windows_update_pending": (
        "shape: collectors/windows_ps/windows_update_pending.ps1. IUpdate fields (Title, "
        "KBArticleIDs, MsrcSeverity, Categories): MicrosoftDocs/sdk-api sdk-api-src/content/"
        "wuapi/nn-wuapi-iupdate.md; LastSearchSuccessDate (UTC, updated by automatic scans "
        "only): sdk-api-src/content/wuapi/nf-wuapi-iautomaticupdatesresults-get_lastsearch"
        "successdate.md. KBs: the release table and dotnet/docs November 2024 rollup notes; "
        "severities and search times are not from a capture"
    ),
    "ps:screen_lock": (
        "value names and REG_SZ types of Control Panel\\Desktop and its policy copy, "
        "InactivityTimeoutSecs and ScreenSaverGracePeriod as Windows documents them; "
        "Winlogon redirected, Policies and HKEY_USERS shared under WOW64 per "
        "MicrosoftDocs/win32 desktop-src/WinProg64/shared-registry-keys.md; no capture of "
        "this probe's own JSON exists"
    ),
}


def sources_header(probe_keys: list[str]) -> str:
    return "".join(f"# source {key}: {PROBE_SOURCES[key]}\n" for key in sorted(probe_keys))


def platform_value(
    os_key: str,
    hostname: str,
    admin: bool,
    x86: bool = False,
    language_mode: str = "FullLanguage",
    ubr: int | None = None,
) -> dict[str, Any]:
    b = BUILDS[os_key]
    return {
        "current_build": b["current_build"],
        "ubr": b["ubr"] if ubr is None else ubr,
        "display_version": b["display_version"],
        "edition_id": EDITION[os_key],
        "installation_type": "Client",
        "product_name": b["product_name"],
        "caption": b["caption"],
        "hostname": hostname,
        "arch": "AMD64",
        "process_arch": "x86" if x86 else "AMD64",
        "is_64bit_process": not x86,
        "is_64bit_os": True,
        "language_mode": language_mode,
        "is_admin": admin,
    }


def platform_info(
    os_key: str, hostname: str, admin: bool, ubr: int | None = None
) -> dict[str, Any]:
    b = BUILDS[os_key]
    full = f"{b['current_build']}.{b['ubr'] if ubr is None else ubr}"
    name = f"{NAME[os_key]} {EDNAME[EDITION[os_key]]} {b['display_version']}"
    return {
        "family": "windows",
        "distro": "windows",
        "distro_like": [],
        "version": f"10.0.{b['current_build']}",
        "build": full,
        "pretty_name": f"{name} (build {full})",
        "arch": "AMD64",
        "hostname": hostname,
        "is_admin": admin,
        "transport": "replay",
    }


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
) -> dict[str, Any]:
    if fixed is None:
        fixed = [v["mount"] for v in volumes if v["volume_type"] != 2]
    return {
        "is_admin": admin,
        "source": source,
        "volumes": volumes,
        "fixed_drives": fixed,
        "failures": list(failures),
    }


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


def products(*entries: tuple[str, int], installation: str = "Client") -> dict[str, Any]:
    """root/SecurityCenter2 FirewallProduct: (displayName, productState) per product."""
    return {
        "installation_type": installation,
        "products": [{"name": n, "product_state": s} for n, s in entries],
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


# What a stock Windows 10 PC listens on: netstat -ano of a Windows 10 Home 1909 PC
# (Biozard01/masteringhostTP1 tp1.md), its own software left out, one IPv4 address.
# Owners as netstat -b names them on the Windows 11 capture (same services).
WIN10_ADDRESS = "192.168.0.31"
WIN10_SOCKETS = [
    ("tcp", "0.0.0.0", 135, 1112),  # RpcSs
    ("tcp", "::", 135, 1112),
    ("tcp", "0.0.0.0", 445, 4),  # SMB, System
    ("tcp", "::", 445, 4),
    ("tcp", "0.0.0.0", 5040, 9536),  # CDPSvc
    ("tcp", "0.0.0.0", 49664, 704),  # lsass
    ("tcp", "::", 49664, 704),
    ("tcp", "0.0.0.0", 49666, 1796),
    ("tcp", "::", 49666, 1796),
    ("tcp", "0.0.0.0", 49667, 1856),
    ("tcp", "::", 49667, 1856),
    ("tcp", "0.0.0.0", 49668, 2176),
    ("tcp", "::", 49668, 2176),
    ("tcp", "0.0.0.0", 49669, 3324),  # spoolsv
    ("tcp", "::", 49669, 3324),
    ("tcp", WIN10_ADDRESS, 139, 4),  # NetBIOS session, per IPv4 address
    ("udp", "0.0.0.0", 500, 5024),  # IKEEXT
    ("udp", "::", 500, 5024),
    ("udp", "0.0.0.0", 4500, 5024),
    ("udp", "::", 4500, 5024),
    ("udp", "0.0.0.0", 5050, 9536),  # CDPSvc
    ("udp", "0.0.0.0", 5353, 2780),  # Dnscache (mDNS)
    ("udp", "::", 5353, 2780),
    ("udp", "0.0.0.0", 5355, 2780),  # Dnscache (LLMNR)
    ("udp", "::", 5355, 2780),
    ("udp", WIN10_ADDRESS, 137, 4),  # NetBIOS name and datagram, per IPv4 address
    ("udp", WIN10_ADDRESS, 138, 4),
    ("udp", WIN10_ADDRESS, 1900, 8708),  # SSDPSRV
    ("udp", WIN10_ADDRESS, 2177, 5896),  # QWAVE
    ("udp", WIN10_ADDRESS, 56070, 8708),
    ("udp", "127.0.0.1", 1900, 8708),
    ("udp", "::1", 1900, 8708),
]
# A stock Windows 11 PC: netstat -a -n -b of a Windows 11 PC (danyGhassan/fonct_reseaux_Dany
# tp5.md), its own software and virtual adapters left out. That capture has no PIDs: the
# Windows 10 capture's PID of the same port is used; 123, 3702 and 7680 have none there.
WIN11_ADDRESS = "10.33.51.143"
WIN11_SOCKETS = [
    ("tcp", "0.0.0.0", 135, 1112),  # RpcSs
    ("tcp", "::", 135, 1112),
    ("tcp", "0.0.0.0", 445, 4),
    ("tcp", "::", 445, 4),
    ("tcp", "0.0.0.0", 5040, 9536),  # CDPSvc
    ("tcp", "0.0.0.0", 7680, 6016),  # Delivery Optimization (PID not captured)
    ("tcp", "::", 7680, 6016),
    ("tcp", "0.0.0.0", 49664, 704),  # lsass
    ("tcp", "::", 49664, 704),
    ("tcp", "0.0.0.0", 49666, 1796),  # Schedule
    ("tcp", "::", 49666, 1796),
    ("tcp", "0.0.0.0", 49667, 1856),  # EventLog
    ("tcp", "::", 49667, 1856),
    ("tcp", "0.0.0.0", 49668, 2176),  # SessionEnv
    ("tcp", "::", 49668, 2176),
    ("tcp", "0.0.0.0", 49669, 3324),  # spoolsv
    ("tcp", "::", 49669, 3324),
    ("tcp", WIN11_ADDRESS, 139, 4),
    ("udp", "0.0.0.0", 123, 1468),  # W32Time (PID not captured)
    ("udp", "::", 123, 1468),
    ("udp", "0.0.0.0", 500, 5024),  # IKEEXT
    ("udp", "::", 500, 5024),
    ("udp", "0.0.0.0", 3702, 3644),  # dashost (PID not captured)
    ("udp", "::", 3702, 3644),
    ("udp", "0.0.0.0", 4500, 5024),
    ("udp", "::", 4500, 5024),
    ("udp", "0.0.0.0", 5050, 9536),  # CDPSvc
    ("udp", "0.0.0.0", 5353, 2780),  # Dnscache
    ("udp", "::", 5353, 2780),
    ("udp", "0.0.0.0", 5355, 2780),
    ("udp", "::", 5355, 2780),
    ("udp", WIN11_ADDRESS, 137, 4),
    ("udp", WIN11_ADDRESS, 138, 4),
    ("udp", WIN11_ADDRESS, 1900, 8708),  # SSDPSRV
    ("udp", WIN11_ADDRESS, 2177, 5896),  # QWAVE
    ("udp", WIN11_ADDRESS, 49253, 8708),
    ("udp", "127.0.0.1", 1900, 8708),
    ("udp", "::1", 1900, 8708),
    ("udp", "fe80::1c1:6b45:9b7e:293a%9", 1900, 8708),
]
BASE_PROCS = {
    4: "System",
    704: "lsass",
    1112: "svchost",
    1468: "svchost",
    1796: "svchost",
    1856: "svchost",
    2176: "svchost",
    2780: "svchost",
    3324: "spoolsv",
    3644: "dasHost",
    5024: "svchost",
    5896: "svchost",
    6016: "svchost",
    8708: "svchost",
    9536: "svchost",
}
SYSTEM = "NT AUTHORITY\\SYSTEM"
LOCAL_SERVICE = "NT AUTHORITY\\LOCAL SERVICE"
NETWORK_SERVICE = "NT AUTHORITY\\NETWORK SERVICE"
# The accounts these services log on as by default (not from a capture: netstat shows
# no users); the rest run as SYSTEM.
PROC_USERS = {
    1112: NETWORK_SERVICE,
    1468: LOCAL_SERVICE,
    2780: NETWORK_SERVICE,
    3644: LOCAL_SERVICE,
    5896: LOCAL_SERVICE,
    6016: NETWORK_SERVICE,
    8708: LOCAL_SERVICE,
    9536: LOCAL_SERVICE,
}


def sockets(
    os_key: str,
    extra: tuple[tuple[str, str, int, int], ...] = (),
    procs_extra: dict[int, tuple[str, str]] | None = None,
    admin: bool = True,
) -> dict[str, Any]:
    base = WIN10_SOCKETS if os_key.startswith("win10") else WIN11_SOCKETS
    socks = [
        {"protocol": p, "address": a, "port": port, "pid": pid}
        for p, a, port, pid in [*base, *extra]
    ]
    used = {pid for _, _, _, pid in base}
    procs = {
        pid: (name, PROC_USERS.get(pid, SYSTEM)) for pid, name in BASE_PROCS.items() if pid in used
    }
    procs.update(procs_extra or {})
    processes = {
        str(pid): {"name": name, "user": user if admin else ""}
        for pid, (name, user) in procs.items()
    }
    return {"sockets": socks, "processes": processes, "is_admin": admin}


def h(date: str, title: str, cats: list[str], code: int = 2, op: int = 1) -> dict[str, Any]:
    return {
        "date": date,
        "operation": op,
        "result_code": code,
        "hresult": 0 if code == 2 else -2145124329,
        "title": title,
        "categories": cats,
    }


def qfe(kb: str, installed_on: str, description: str = "Security Update") -> dict[str, Any]:
    """One Win32_QuickFixEngineering entry as the probe prints it (InstalledOn raw)."""
    return {"id": kb, "installed_on": installed_on, "description": description, "error": None}


def key(found: bool | None = True, **values: Any) -> dict[str, Any]:
    return {"found": found, "values": values}


def windows_update(
    os_key: str,
    hotfixes: list[dict[str, Any]],
    entries: list[dict[str, Any]],
    ubr: int | None = None,
    cbs: bool = False,
    wu: bool = False,
    renames: int = 0,
    wu_policy: dict[str, Any] | None = None,
    au_policy: dict[str, Any] | None = None,
    wow64: bool = False,
    registry_read: bool = True,
    language_mode: str = "FullLanguage",
) -> dict[str, Any]:
    b = BUILDS[os_key]
    current = key(
        CurrentBuildNumber=b["current_build"],
        UBR=ubr if ubr is not None else b["ubr"],
        DisplayVersion=b["display_version"],
        InstallationType="Client",
    )
    found: bool | None = True
    if not registry_read:
        # A 32-bit PowerShell whose reg.exe /reg:64 could not run: nothing of the 64-bit view.
        current, found = key(None), None
    return {
        "wow64": wow64,
        "registry_view": "reg.exe /reg:64" if wow64 else "native",
        "current_version": current,
        "cbs_found": found,
        "cbs_reboot_pending": cbs if found else None,
        "wu_found": found,
        "wu_reboot_required": wu if found else None,
        "pending_file_renames": renames,
        "wu_policy": key(**wu_policy) if wu_policy is not None else key(False),
        "au_policy": key(**au_policy) if au_policy is not None else key(False),
        "mdm_update": key(False),
        "hotfixes": hotfixes,
        "hotfix_error": None,
        "history": {"total": len(entries), "entries": entries},
        "history_error": None,
    } | (
        {}
        if language_mode == "FullLanguage"
        else {
            # Constrained Language Mode: the history's COM calls are skipped (the probe's text).
            "history": None,
            "history_error": f"not read in {language_mode}: the Windows Update COM API is not "
            "allowed",
        }
    )


def recent_history(os_key: str, ja: bool) -> list[dict[str, Any]]:
    nov, _ = LCU_NOV[os_key]
    october, _ = LCU_OCT[os_key]
    defender = DEFENDER_JA if ja else DEFENDER_EN
    return [
        h("2024-11-19T22:41:07Z", defender.format(v=2031), [DEFINITION]),
        h("2024-11-18T09:12:55Z", defender.format(v=1922), [DEFINITION]),
        h("2024-11-13T02:15:40Z", lcu_title(os_key, "2024-11", nov, ja), [SECURITY]),
        h("2024-11-13T02:09:52Z", dotnet_title(os_key, DOTNET_NOV[os_key], ja), [SECURITY]),
        h("2024-11-13T02:03:11Z", MSRT_JA if ja else MSRT_EN, [ROLLUPS]),
        h("2024-10-09T01:58:22Z", lcu_title(os_key, "2024-10", october, ja), [SECURITY]),
    ]


def recent_hotfixes(os_key: str) -> list[dict[str, Any]]:
    """What Win32_QuickFixEngineering lists after the November updates: the cumulative
    update and the .NET update, installed the day after Patch Tuesday."""
    nov, _ = LCU_NOV[os_key]
    return [qfe(DOTNET_NOV[os_key], "11/13/2024", "Update"), qfe(nov, "11/13/2024")]


def pending(
    updates: tuple[dict[str, Any], ...] = (),
    last: str = "2024-11-19T21:05:33Z",
    finished: bool = True,
    seconds: int = 30,
) -> dict[str, Any]:
    search: dict[str, Any] = {"finished": finished, "seconds": seconds}
    if finished:
        search["value"] = {"result_code": 2, "updates": list(updates)}
    return {"search": search, "last_search_success": last}


def offered(title: str, kb: str, severity: str, category: str) -> dict[str, Any]:
    """One update of the pending search (IUpdate)."""
    return {"title": title, "kb": [kb], "msrc_severity": severity, "categories": [category]}


# Illustrative WSUS server (not a capture): the usual https port of WSUS is 8531.
WSUS_URL = "https://wsus.example.lg.jp:8531"
WSUS_POLICY = {"WUServer": WSUS_URL, "WUStatusServer": WSUS_URL}
WSUS_AU = {"UseWUServer": 1, "NoAutoUpdate": 0, "AUOptions": 4}


def screen(
    users: list[dict[str, Any]],
    inactivity: int | None = 900,
    grace: str | None = None,
    redirected: bool = False,
) -> dict[str, Any]:
    return {
        "inactivity_timeout_secs": inactivity,
        "grace_period": grace,
        "grace_period_redirected": redirected,
        "users": users,
    }


def refused(mode: str = "ConstrainedLanguage") -> dict[str, Any]:
    """A probe the batch did not run under `mode`, recorded as the batch reports it."""
    from endpoint_audit.transport.base import result_to_json
    from endpoint_audit.transport.powershell import document_results

    (result,) = document_results({"x": {"ok": False, "refused": mode, "ms": 0}}).values()
    return result_to_json(result)


def user(
    sid: str,
    name: str,
    user_values: dict[str, str],
    policy_values: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "sid": sid,
        "user": name,
        "console": True,
        "hive_loaded": True,
        "read_error": None,
        "user_values": user_values,
        "policy_values": policy_values or {},
    }


GOOD_POLICY = {
    "ScreenSaveActive": "1",
    "ScreenSaverIsSecure": "1",
    "ScreenSaveTimeOut": "600",
    "SCRNSAVE.EXE": "scrnsave.scr",
}
# A user who never chose a screen saver: "(None)" keeps ScreenSaveActive=1 and no SCRNSAVE.EXE.
USER_DEFAULT = {"ScreenSaveActive": "1", "ScreenSaverIsSecure": "0", "ScreenSaveTimeOut": "900"}

SID_A = "S-1-5-21-3623811015-3361044348-30300820-1013"
SID_B = "S-1-5-21-1004336348-1177238915-682003330-1104"


def write_case(
    name: str,
    os_key: str,
    hostname: str,
    admin: bool,
    probes: dict[str, dict[str, Any]],
    description: str,
    platform: dict[str, Any] | None = None,
    ubr: int | None = None,
) -> None:
    commands = {"ps:platform": ok(platform or platform_value(os_key, hostname, admin, ubr=ubr), 85)}
    commands.update({f"ps:{k}": v for k, v in probes.items()})
    data = {
        "format": "endpoint-audit-bundle",
        "version": 1,
        "tool_version": "0.1.0",
        "hosts": [
            {
                "target": name,
                "collected_at": COLLECTED_AT,
                "platform": platform_info(os_key, hostname, admin, ubr),
                "commands": dict(sorted(commands.items())),
                "facts": {},
            }
        ],
    }
    header = f"# {description}\n# Written by tests/windows/make_fixtures.py.\n" + sources_header(
        list(commands)
    )
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100000)
    (OUT / f"{name}.yaml").write_text(header + text, encoding="utf-8")


def standard(os_key: str, ja: bool, admin: bool = True, **over: Any) -> dict[str, Any]:
    console = "LGWAN\\山田太郎" if ja else "CONTOSO\\alice"
    probes = {
        "bitlocker": ok(bitlocker([vol("C:", 0, 1, 1)], admin=admin), 640),
        "firewall_profiles": ok(fw(), 210),
        "firewall_products": ok(products(), 95),
        "file_sharing": ok(sharing(), 1870),
        "listening_sockets": ok(sockets(os_key, admin=admin), 380),
        "windows_update": ok(
            windows_update(os_key, recent_hotfixes(os_key), recent_history(os_key, ja)), 1450
        ),
        "windows_update_pending": ok(pending(), 2300),
        "screen_lock": ok(screen([user(SID_A, console, USER_DEFAULT, GOOD_POLICY)]), 310),
    }
    probes.update(over)
    return probes


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    write_case(
        "win11-23h2-en-compliant",
        "win11-23h2",
        "WS-HR-0142",
        True,
        standard(
            "win11-23h2",
            False,
            bitlocker=ok(bitlocker([vol("C:", 0, 1, 1), vol("D:", 1, 1, 1, protectors=(3, 10))])),
        ),
        "Windows 11 23H2, English: BitLocker on (C: and D:), firewall on, November 2024 "
        "update, screen lock by policy.",
    )
    write_case(
        "win11-23h2-ja-compliant",
        "win11-23h2",
        "総務課-PC01",
        True,
        standard(
            "win11-23h2",
            True,
            listening_sockets=ok(
                sockets(
                    "win11-23h2",
                    extra=(("tcp", "127.0.0.1", 50001, 7712),),
                    procs_extra={7712: ("会計連携サービス", "LGWAN\\山田太郎")},
                )
            ),
        ),
        "Windows 11 23H2, Japanese: compliant; Japanese host, user and process names and "
        "update titles.",
    )
    write_case(
        "win10-22h2-en-bitlocker-off",
        "win10-22h2",
        "TELEWORK-017",
        True,
        standard(
            "win10-22h2",
            False,
            bitlocker=ok(bitlocker([vol("C:", 0, 0, 0, method=0, percent=0.0, protectors=())])),
        ),
        "Windows 10 22H2, English: BitLocker off on the OS drive.",
    )
    write_case(
        "win11-24h2-ja-bitlocker-suspended",
        "win11-24h2",
        "税務課-NB07",
        True,
        standard(
            "win11-24h2",
            True,
            bitlocker=ok(bitlocker([vol("C:", 0, 1, 0, method=7, protectors=(1, 3))])),
            windows_update=ok(
                windows_update(
                    "win11-24h2",
                    recent_hotfixes("win11-24h2"),
                    recent_history("win11-24h2", True),
                    cbs=True,
                    wu=True,
                )
            ),
        ),
        "Windows 11 24H2, Japanese: BitLocker suspended for an update (encrypted, protection "
        "off), restart pending.",
    )
    write_case(
        "win11-23h2-en-bitlocker-encrypting",
        "win11-23h2",
        "WS-FIN-0033",
        True,
        standard(
            "win11-23h2",
            False,
            bitlocker=ok(bitlocker([vol("C:", 0, 2, 0, percent=43.7, protectors=(1, 3))])),
        ),
        "Windows 11 23H2, English: BitLocker encryption in progress (43.7 %).",
    )
    write_case(
        "win10-22h2-ja-data-drive-unencrypted",
        "win10-22h2",
        "福祉課-PC12",
        True,
        standard(
            "win10-22h2",
            True,
            bitlocker=ok(
                bitlocker(
                    [
                        vol("C:", 0, 1, 1),
                        vol("D:", 1, 0, 0, method=0, percent=0.0, protectors=()),
                        vol("E:", 2, 0, 0, method=0, percent=0.0, protectors=()),
                    ]
                )
            ),
        ),
        "Windows 10 22H2, Japanese: OS drive encrypted, fixed data drive D: not encrypted "
        "(the USB stick E: is removable and not judged).",
    )
    write_case(
        "win11-24h2-en-firewall-public-off",
        "win11-24h2",
        "WS-IT-0201",
        True,
        standard("win11-24h2", False, firewall_profiles=ok(fw(public=(0, 4)))),
        "Windows 11 24H2, English: the Public firewall profile is off.",
    )
    write_case(
        "win10-22h2-ja-firewall-inbound-allow",
        "win10-22h2",
        "教育委員会-PC03",
        True,
        standard("win10-22h2", True, firewall_profiles=ok(fw(domain=(1, 2)))),
        "Windows 10 22H2, Japanese: Domain profile on but DefaultInboundAction Allow.",
    )
    rdp = (
        ("tcp", "0.0.0.0", 3389, 1244),
        ("tcp", "::", 3389, 1244),
        ("udp", "0.0.0.0", 3389, 1244),
        ("udp", "::", 3389, 1244),
    )
    write_case(
        "win11-23h2-ja-rdp-listening",
        "win11-23h2",
        "市民課-PC08",
        True,
        standard(
            "win11-23h2",
            True,
            listening_sockets=ok(
                sockets("win11-23h2", extra=rdp, procs_extra={1244: ("svchost", NETWORK_SERVICE)})
            ),
        ),
        "Windows 11 23H2, Japanese: Remote Desktop (TermService) listening on 0.0.0.0:3389.",
    )
    write_case(
        "win11-24h2-en-no-user",
        "win11-24h2",
        "WS-KIOSK-09",
        True,
        standard("win11-24h2", False, screen_lock=ok(screen([], inactivity=900))),
        "Windows 11 24H2, English: nobody signed in (scanned at the sign-in screen); machine "
        "inactivity limit 900 s.",
    )
    # The August 2024 cumulative update is the last that installed; September's failed.
    # Windows Update kept installing Defender definitions, and .NET installed in November.
    aug_kb, aug_ubr = LCU_AUG["win10-22h2"]
    old = [
        h("2024-11-19T23:02:41Z", DEFENDER_EN.format(v=2031), [DEFINITION]),
        h("2024-11-19T10:44:02Z", DEFENDER_EN.format(v=1987), [DEFINITION]),
        h("2024-11-13T02:40:17Z", dotnet_title("win10-22h2", "KB5045933", False), [SECURITY]),
        h(
            "2024-09-11T02:10:00Z",
            lcu_title("win10-22h2", "2024-09", "KB5043064", False),
            [SECURITY],
            code=4,
        ),
        h("2024-08-21T03:12:09Z", lcu_title("win10-22h2", "2024-08", aug_kb, False), [SECURITY]),
    ]
    waiting = (
        offered(
            lcu_title("win10-22h2", "2024-11", LCU_NOV["win10-22h2"][0], False),
            "5046613",
            "Critical",
            SECURITY,
        ),
        offered(
            dotnet_title("win10-22h2", DOTNET_OFFER_WIN10, False), "5046542", "Important", SECURITY
        ),
        offered(MSRT_EN, "890830", "", ROLLUPS),
        offered(DEFENDER_EN.format(v=2050), "2267602", "", DEFINITION),
    )
    write_case(
        "win10-22h2-en-updates-90-days",
        "win10-22h2",
        "TELEWORK-044",
        True,
        standard(
            "win10-22h2",
            False,
            windows_update=ok(
                windows_update(
                    "win10-22h2",
                    [qfe(aug_kb, "8/21/2024"), qfe("KB5045933", "11/13/2024", "Update")],
                    old,
                    ubr=aug_ubr,
                )
            ),
            windows_update_pending=ok(pending(waiting, last="2024-11-19T09:30:12Z"), 4100),
        ),
        "Windows 10 22H2, English: last cumulative update August 2024 (19045.4780, installed "
        "2024-08-21; September's failed); .NET and Defender installed since; 2 security "
        "updates pending.",
        ubr=aug_ubr,
    )
    # Only the Malicious Software Removal Tool and Defender install; every cumulative update
    # since August failed (failed entries carry the HResult h() gives them: not a capture).
    # Win32_QuickFixEngineering still lists the August update only.
    msrt_kb, msrt_ubr = LCU_AUG["win11-23h2"]
    msrt_history = [
        h("2024-11-19T21:14:36Z", DEFENDER_EN.format(v=2031), [DEFINITION]),
        h(
            "2024-11-13T03:20:41Z",
            lcu_title("win11-23h2", "2024-11", "KB5046633", False),
            [SECURITY],
            code=4,
        ),
        h("2024-11-13T03:02:19Z", MSRT_EN, [ROLLUPS]),
        h(
            "2024-10-09T02:44:03Z",
            lcu_title("win11-23h2", "2024-10", "KB5044285", False),
            [SECURITY],
            code=4,
        ),
        h("2024-10-09T02:31:50Z", MSRT_EN.replace("v5.129", "v5.128"), [ROLLUPS]),
        h("2024-08-14T02:12:33Z", lcu_title("win11-23h2", "2024-08", msrt_kb, False), [SECURITY]),
    ]
    write_case(
        "win11-23h2-en-msrt-only-old-build",
        "win11-23h2",
        "WS-EDU-0412",
        True,
        standard(
            "win11-23h2",
            False,
            windows_update=ok(
                windows_update(
                    "win11-23h2", [qfe(msrt_kb, "8/14/2024")], msrt_history, ubr=msrt_ubr
                ),
                1380,
            ),
            windows_update_pending=ok(
                pending(
                    (
                        offered(
                            lcu_title("win11-23h2", "2024-11", "KB5046633", False),
                            "5046633",
                            "Critical",
                            SECURITY,
                        ),
                    )
                ),
                2600,
            ),
        ),
        "Windows 11 23H2, English: the monthly cumulative updates fail since August 2024 "
        "(22631.4037); only MSRT and Defender install, the last one a week ago.",
        ubr=msrt_ubr,
    )
    write_case(
        "win11-24h2-ja-wsus-stale-search",
        "win11-24h2",
        "住民課-PC15",
        True,
        standard(
            "win11-24h2",
            True,
            windows_update=ok(
                windows_update(
                    "win11-24h2",
                    recent_hotfixes("win11-24h2"),
                    recent_history("win11-24h2", True),
                    wu_policy=WSUS_POLICY,
                    au_policy=WSUS_AU,
                ),
                1520,
            ),
            windows_update_pending=ok(pending(last="2024-11-04T23:48:10Z"), 1900),
        ),
        "Windows 11 24H2, Japanese, updates from WSUS: November 2024 update installed; the "
        "last automatic scan was 15 days ago, so 0 pending (of what WSUS approved) is unknown.",
    )
    write_case(
        "win11-23h2-en-pending-file-renames",
        "win11-23h2",
        "WS-HR-0188",
        True,
        standard(
            "win11-23h2",
            False,
            windows_update=ok(
                windows_update(
                    "win11-23h2",
                    recent_hotfixes("win11-23h2"),
                    recent_history("win11-23h2", False),
                    renames=6,
                ),
                1440,
            ),
        ),
        "Windows 11 23H2, English: PendingFileRenameOperations lists 6 entries (an installer "
        "or antivirus), no servicing or Windows Update restart marker: no restart pending.",
    )
    write_case(
        "win11-23h2-en-32bit-host",
        "win11-23h2",
        "WS-GA-0057",
        True,
        standard(
            "win11-23h2",
            False,
            screen_lock=ok(
                screen([user(SID_A, "CONTOSO\\alice", USER_DEFAULT, GOOD_POLICY)], redirected=True)
            ),
            windows_update=ok(
                windows_update(
                    "win11-23h2",
                    recent_hotfixes("win11-23h2"),
                    recent_history("win11-23h2", False),
                    wow64=True,
                    registry_read=False,
                ),
                1610,
            ),
        ),
        "Windows 11 23H2, English, probes run by a 32-bit PowerShell (as Intune runs scripts "
        "by default) whose reg.exe /reg:64 could not run: the OS build and the restart "
        "markers are unknown.",
        platform=platform_value("win11-23h2", "WS-GA-0057", True, x86=True),
    )
    denied = "アクセスが拒否されました。 "
    write_case(
        "win11-23h2-ja-not-admin",
        "win11-23h2",
        "企画課-NB02",
        False,
        standard(
            "win11-23h2",
            True,
            admin=False,
            bitlocker=ok(
                bitlocker(
                    [],
                    fixed=["C:"],
                    admin=False,
                    source=None,
                    failures=(
                        {"source": "Get-BitLockerVolume", "error": denied, "hresult": -2147024891},
                        {
                            "source": "Win32_EncryptableVolume",
                            "error": denied,
                            "hresult": -2147217405,
                        },
                    ),
                )
            ),
        ),
        "Windows 11 23H2, Japanese, run without elevation: BitLocker unreadable (Japanese "
        "error text), the rest readable.",
    )
    write_case(
        "win11-24h2-ja-no-screensaver-search-timeout",
        "win11-24h2",
        "会計課-PC21",
        True,
        standard(
            "win11-24h2",
            True,
            windows_update_pending=ok(pending(finished=False, seconds=30), 30050),
            screen_lock=ok(screen([user(SID_B, "LGWAN\\佐藤花子", USER_DEFAULT)], inactivity=None)),
        ),
        "Windows 11 24H2, Japanese: no screen saver chosen (ScreenSaveActive=1 without "
        "SCRNSAVE.EXE), no machine inactivity limit; the pending-update search ran out of time.",
    )
    write_case(
        "win10-22h2-en-wmi-fallback",
        "win10-22h2",
        "TELEWORK-051",
        True,
        standard(
            "win10-22h2",
            False,
            bitlocker=ok(
                bitlocker(
                    [vol("C:", 0, 1, 1, method=7, protectors=(4, 3), lock=None)],
                    source="Win32_EncryptableVolume",
                )
            ),
        ),
        "Windows 10 22H2, English: no BitLocker module; read through Win32_EncryptableVolume "
        "(WMI); encrypted with TPM+PIN.",
    )
    write_case(
        "win11-23h2-en-probe-error",
        "win11-23h2",
        "WS-LAB-0007",
        True,
        standard(
            "win11-23h2",
            False,
            firewall_profiles=err(
                "The term 'Get-NetFirewallProfile' is not recognized as the name of a cmdlet, "
                "function, script file, or operable program.",
                "System.Management.Automation.CommandNotFoundException",
                -2146233087,
            ),
        ),
        "Windows 11 23H2, English: the NetSecurity module is missing, so the firewall probe fails.",
    )
    host_cases()
    write_exposure_cases()
    write_baseline_copies()


def write_exposure_cases() -> None:
    """SMB and NetBIOS judged by exposure, DisabledInterfaceAliases, a firewall suite
    that replaces Windows Firewall, and a locked BitLocker data volume."""
    write_case(
        "win11-24h2-ja-smb-domain-only",
        "win11-24h2",
        "政策課-NB11",
        True,
        standard(
            "win11-24h2",
            True,
            file_sharing=ok(
                sharing(
                    active=PRIVATE,
                    connections=[("Wi-Fi", "Private")],
                    rules=[
                        fps_rule(f"{name}-NoScope", DOMAIN, ja=True, scope="Any")
                        for name in ("FPS-SMB-In-TCP", "FPS-NB_Session-In-TCP")
                    ],
                    shares=[{"name": "スキャン", "type": 0}],
                ),
                1920,
            ),
        ),
        "Windows 11 24H2, Japanese, at home (Private network): SMB and NetBIOS listen; Group "
        "Policy allows File and Printer Sharing on the Domain profile only, which is not "
        "active, so the network cannot reach them (one folder shared for a scanner).",
    )
    fps_all = [fps_rule(name, PRIVATE | PUBLIC) for name in FPS_RULES]
    write_case(
        "win11-23h2-en-smb-public-allowed",
        "win11-23h2",
        "WS-PLAN-0088",
        True,
        standard(
            "win11-23h2",
            False,
            file_sharing=ok(
                sharing(active=PUBLIC, rules=fps_all, shares=[{"name": "Projects", "type": 0}]),
                1890,
            ),
        ),
        "Windows 11 23H2, English, on a public network: File and Printer Sharing turned on "
        "for Private and Public networks and a folder shared, so SMB and NetBIOS can be "
        "reached.",
    )
    write_case(
        "win10-22h2-ja-smb-rule-public",
        "win10-22h2",
        "防災課-PC05",
        True,
        standard(
            "win10-22h2",
            True,
            file_sharing=ok(
                sharing(
                    active=PUBLIC,
                    rules=[
                        fps_rule(
                            "FPS-SMB-In-TCP",
                            PRIVATE | PUBLIC,
                            ja=True,
                            group="@%SystemRoot%\\system32\\firewallapi.dll,-28502",
                        )
                    ],
                ),
                1790,
            ),
        ),
        "Windows 10 22H2, Japanese, on a public network: only the SMB rule of File and Printer "
        "Sharing enabled (its group stored with a path), so 445 can be reached and NetBIOS "
        "cannot.",
    )
    write_case(
        "win11-23h2-en-firewall-interface-excluded",
        "win11-23h2",
        "WS-ENG-0312",
        True,
        standard(
            "win11-23h2",
            False,
            firewall_profiles=ok(fw(excluded={"Public": ["Wi-Fi"], "Private": ["Wi-Fi"]}), 220),
        ),
        "Windows 11 23H2, English: every profile on, but the Private and Public profiles "
        "exclude the Wi-Fi interface (DisabledInterfaceAliases), the one in use.",
    )
    write_case(
        "win10-22h2-ja-third-party-firewall",
        "win10-22h2",
        "観光課-PC02",
        True,
        standard(
            "win10-22h2",
            True,
            firewall_profiles=ok(fw(domain=(0, 0), private=(0, 0), public=(0, 0)), 230),
            firewall_products=ok(products(("ノートン 360", 266240)), 140),
        ),
        "Windows 10 22H2, Japanese: a security suite's firewall (on, up to date in Security "
        "Center) replaces Windows Firewall, whose profiles are all off.",
    )
    write_case(
        "win11-24h2-en-bitlocker-locked-data",
        "win11-24h2",
        "WS-LEGAL-0019",
        True,
        standard(
            "win11-24h2",
            False,
            bitlocker=ok(
                bitlocker(
                    [
                        vol("C:", 0, 1, 1, method=7, protectors=(1, 3)),
                        vol("D:", 1, None, 2, method=6, percent=None, protectors=(2,), lock=1),
                    ]
                ),
                910,
            ),
        ),
        "Windows 11 24H2, English: OS drive encrypted; fixed data drive D: encrypted and "
        "locked (nobody unlocked it), so BitLocker reports no volume status for it.",
    )


# The recorded hosts of the baseline and waiver tests (tests/fixtures/baselines): copies
# of two cases with the target renamed, so those tests keep their own hosts.
BASELINE_COPIES = {
    "tw-pc-001-compliant": (
        "tw-pc-001",
        "win11-23h2-en-compliant",
        "Windows 11 23H2 telework PC that meets every shipped baseline.",
    ),
    "tw-pc-002-rdp": (
        "tw-pc-002",
        "win11-23h2-ja-rdp-listening",
        "Windows 11 23H2 telework PC with Remote Desktop listening on 3389 (TCP and UDP).",
    ),
}


def write_baseline_copies() -> None:
    for file_name, (target, case, description) in BASELINE_COPIES.items():
        text = (OUT / f"{case}.yaml").read_text(encoding="utf-8")
        sources = "".join(line + "\n" for line in text.splitlines() if line.startswith("# source "))
        body = text[text.index("format: endpoint-audit-bundle") :]
        body = body.replace(f"- target: {case}\n", f"- target: {target}\n", 1)
        header = (
            f"# {description}\n# Copied from tests/fixtures/windows/{case}.yaml (written by "
            "tests/windows/make_fixtures.py) with the\n# target renamed, so baseline and "
            "waiver tests keep their own recorded hosts.\n"
        )
        (BASELINES / f"{file_name}.yaml").write_text(header + sources + body, encoding="utf-8")


def host_cases() -> None:
    """PowerShell hosts that see less: a 32-bit host, Constrained Language Mode."""
    for name, os_key, host, ja in (
        ("win11-24h2-en-32bit-host", "win11-24h2", "WS-SUP-0412", False),
        ("win10-22h2-ja-32bit-host", "win10-22h2", "子育て支援課-PC05", True),
    ):
        console = "LGWAN\\鈴木一郎" if ja else "CONTOSO\\bob"
        write_case(
            name,
            os_key,
            host,
            True,
            standard(
                os_key,
                ja,
                screen_lock=ok(
                    screen([user(SID_A, console, USER_DEFAULT, GOOD_POLICY)], redirected=True)
                ),
                # The patch probe reads the 64-bit registry view through reg.exe /reg:64.
                windows_update=ok(
                    windows_update(
                        os_key, recent_hotfixes(os_key), recent_history(os_key, ja), wow64=True
                    ),
                    1690,
                ),
            ),
            "32-bit PowerShell host on 64-bit Windows that could not re-launch in 64-bit: "
            "the Winlogon grace period lives in the redirected WOW6432Node view and is "
            "reported unread; the rest of the screen lock settings are in shared keys.",
            platform=platform_value(os_key, host, True, x86=True),
        )
    for name, os_key, host, ja in (
        ("win11-23h2-en-clm", "win11-23h2", "WS-FIN-0107", False),
        ("win11-24h2-ja-clm", "win11-24h2", "財政課-NB11", True),
    ):
        console = "LGWAN\\高橋真理" if ja else "CONTOSO\\carol"
        write_case(
            name,
            os_key,
            host,
            True,
            standard(
                os_key,
                ja,
                screen_lock=ok(screen([user(SID_B, console, USER_DEFAULT, GOOD_POLICY)])),
                bitlocker=refused(),
                listening_sockets=refused(),
                windows_update=ok(
                    windows_update(
                        os_key,
                        recent_hotfixes(os_key),
                        [],
                        language_mode="ConstrainedLanguage",
                    ),
                    1210,
                ),
                windows_update_pending=refused(),
            ),
            "Constrained Language Mode (AppLocker/WDAC): the CLM-safe probes (platform, "
            "firewall, screen lock, the registry and hotfix part of Windows Update) ran; "
            "BitLocker, sockets, the update history and the pending-update search (COM) were "
            "refused by the language mode.",
            platform=platform_value(os_key, host, True, language_mode="ConstrainedLanguage"),
        )


if __name__ == "__main__":
    main()
