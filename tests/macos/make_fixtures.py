"""Writes tests/fixtures/macos/*.yaml, the recorded macOS host cases.

Run `python -m tests.macos.make_fixtures` after changing a macOS collector's commands.
The command keys come from the collectors themselves, so a renamed command cannot go
unnoticed. The shape and values of every probe's output follow the public capture or
Apple document named in PROBE_SOURCES; each fixture's header lists the sources of the
probes it records (`probe_of` maps a command to its probe). Where no capture was found,
the entry says so.
"""

from __future__ import annotations

import plistlib
from datetime import datetime
from pathlib import Path

import yaml

from endpoint_audit.checks.disk_encryption.macos import FDESETUP
from endpoint_audit.checks.firewall.macos import GLOBAL_STATE, STEALTH_MODE
from endpoint_audit.checks.open_ports.macos import (
    LSOF_TCP,
    LSOF_UDP,
    NETSTAT_TCP,
    NETSTAT_UDP,
)
from endpoint_audit.checks.patch_level.macos import INSTALL_HISTORY, MANAGED_PREFS, PREFS
from endpoint_audit.checks.screen_lock.macos import (
    CONSOLE_OWNER,
    MANAGED_GLOBAL,
    WHOAMI,
    Console,
    MacosScreenLock,
)
from endpoint_audit.transport.detect import ID_U, SW_VERS, UNAME


def _str(dumper, value):
    style = (
        "|"
        if "\n" in value
        and not value.startswith(" ")
        and not any(line != line.rstrip() for line in value.splitlines())
        else None
    )
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


yaml.SafeDumper.add_representer(str, _str)
OUT = Path(__file__).resolve().parent.parent / "fixtures" / "macos"

# Where each probe's recorded output comes from (repository and path, issue, or URL).
PROBE_SOURCES: dict[str, str] = {
    "uname": (
        "`uname -snm` prints sysname, nodename and machine (uname(1)); 'Darwin' and "
        "'arm64' are the values macOS reports on Apple silicon. NO CAPTURE of this exact "
        "command on macOS was found; the line is built from those fields."
    ),
    "id": (
        "`id -u` / `id -un`: the numeric uid or the user name on one line (POSIX id(1), "
        "pubs.opengroup.org/onlinepubs/9699919799/utilities/id.html). No capture needed "
        "beyond the standard; the names are invented."
    ),
    "sw_vers": (
        "Layout (ProductName/ProductVersion/BuildVersion, tabs) from the real output in "
        "shared/reference/platform-facts.md 2.2.4 (repository not recorded there). Build "
        "14.6.1 = 23G93: munki/munki code/cli/munki/munkiCLItesting/appleupdatesTests.swift "
        "('macOS Sonoma 14.6.1-23G93'). NO CAPTURE NAMED for builds 23F79 (14.5), 23H222 "
        "(14.7.1), 24A348 (15.0.1), 24B83 (15.1): Apple's published build numbers, not "
        "checked against a capture here."
    ),
    "fdesetup": (
        "MikeMcQuaid/strap bin/strap.sh @16eb2ae ('FileVault is (On|Off, but will be "
        "enabled after the next restart).'); the Jamf extension-attribute list in "
        "platform-facts.md 2.2.1 ('FileVault is On.', 'FileVault is Off.', \"Deferred "
        "enablement appears to be active for user '...'\", 'Encryption in progress: "
        "Percent completed = ...'); 'FileVault is On, but needs to be restarted to "
        "finish.' is quoted by several public fdesetup parsers whose repositories the "
        "search did not name (NO CAPTURE NAMED). Exit statuses: fdesetup(8) EXIT STATUS, "
        "https://keith.github.io/xcode-man-pages/fdesetup.8.html."
    ),
    "socketfilterfw": (
        "kolide/launcher ee/tables/execparsers/socketfilterfw/test-data/data.txt "
        "('Firewall is enabled. (State = 2)', 'Stealth mode enabled'); dan-snelson/"
        "Mac-Health-Check PR #8 ('Firewall is blocking all non-essential incoming "
        "connections. (State = 2)'); platform-facts.md 2.2.2 ('Firewall is disabled. "
        "(State = 0)', 'Firewall is enabled. (State = 1)'). 'Stealth mode disabled' is "
        "the negative of the captured line: NO CAPTURE NAMED."
    ),
    "netstat": (
        "1mike12/get-ports-natively src/mac/README.md (header 'Proto Recv-Q Send-Q  Local "
        "Address          Foreign Address        (state)', rows like 'tcp4 0 0 "
        "127.0.0.1.8080 *.* LISTEN': the port after the last dot). The first line "
        "'Active Internet connections (including servers)' and the udp4/udp46 rows follow "
        "netstat(1) on macOS: NO CAPTURE NAMED for them. Ports and processes mirror the "
        "lsof capture below."
    ),
    "lsof": (
        "Processes, pids, users and ports from the real `lsof -nP -iTCP -sTCP:LISTEN` "
        "capture in platform-facts.md 2.2.6 (launcher 349 root 127.0.0.1:49152, rapportd "
        "548 *:53667, ControlCenter 602 *:5000 and *:7000). The -F layout (p, c, L lines "
        "per process, then f and n per descriptor) is lsof(8) 'OUTPUT FOR OTHER "
        "PROGRAMS'; NO CAPTURE of -F output on macOS was found. The UDP, SSH, Screen "
        "Sharing and SMB listeners are NOT CAPTURED: built in the same form."
    ),
    "install_history": (
        "Record layout (date, displayName, displayVersion, packageIdentifiers, "
        "processName; contentType 'config-data' on background data updates such as "
        "XProtectPlistConfigData): log2timeline/plaso test_data/InstallHistory.plist. "
        "Names of modern records ('macOS 15.5', 'XProtectPlistConfigData', "
        "'MRTConfigData', 'Gatekeeper Compatibility Data'): fox-it/dissect.target PR #1719 "
        "(its fixture is stored as an LFS pointer, so not read). macOS update records "
        "carry the RecommendedUpdates Display Name; their packageIdentifiers were not "
        "seen in any capture and are left out (the collector does not read them). The "
        "displayVersion of the background updates (5283, 1.93, 181) is NOT CAPTURED; the "
        "XProtect package identifier is from salopensource/sal issue #317."
    ),
    "softwareupdate_prefs": (
        "RecommendedUpdates entries (Display Name, Display Version, Identifier, "
        "MobileSoftwareUpdate, Product Key): grahampugh/grahampugh.github.io "
        "_posts/2022-09-29-software-update-check.md ('macOS Monterey 12.6', "
        "MSU_UPDATE_21G115_patch_12.6). Product keys ending _minor/_major: munki/munki "
        "code/cli/munki/shared/appleupdates.swift ('MSU_UPDATE_22G830_patch_13.6.9_minor', "
        "'MSU_UPDATE_23G93_patch_14.6.1_major') and Macjutsu/super issue #290 "
        "('MSU_UPDATE_22H417_patch_13.7.3_minor'); _rsr ('MSU_UPDATE_22F770820d_patch_13.4.1_rsr')"
        ": an MDM how-to whose repository the search did not name. Top-level keys (Automatic*, "
        "ConfigDataInstall, CriticalUpdateInstall, LastAttemptSystemVersion, "
        "LastFullSuccessfulDate, LastRecommendedUpdatesAvailable, LastSuccessfulDate, "
        "LastUpdatesAvailable) from a real `defaults read` dump of the file in a public "
        "'ansible-101' README (repository not named by the search). A major upgrade listed "
        "as recommended: Macjutsu/super #151 and munki appleupdatesTests.swift (Sonoma "
        "14.6.1 offered to Monterey). macOS 26 names ('macOS Tahoe 26.6.2'): NO CAPTURE "
        "NAMED (an unattributed source excerpt). Builds in the product keys other than "
        "23G93 and 24B83 (23H311 for 14.7.2, 23H222 for 14.7.1) are NOT CAPTURED."
    ),
    "managed_prefs": (
        "Managed preferences written by configuration profiles. Software Update keys: "
        "Apple Device Management 'SoftwareUpdate' payload, https://developer.apple.com/"
        "documentation/devicemanagement/softwareupdate (removed in favour of declarative "
        "management from macOS 26). Screen saver keys idleTime, askForPassword, "
        "askForPasswordDelay: Apple 'ScreensaverUser'/'Screensaver' payloads, "
        "https://developer.apple.com/documentation/devicemanagement/screensaveruser, and "
        "platform-facts.md 2.2.5 (CIS)."
    ),
    "plutil_missing": (
        "plutil prints its error on stdout and exits 1: graemer957/sigma957.net "
        "content/posts/macos-defaults-unexpected-exit-code.md ('...: file does not exist "
        "or is not readable or is not a regular file (Error Domain=NSCocoaErrorDomain "
        "Code=257 ...)'). The missing-file form Code=260 'The file “…” couldn’t be opened "
        "because there is no such file.' with NSUnderlyingError NSPOSIXErrorDomain Code=2: "
        "renebigot/XlsxReaderWriter issue #106 (the same Foundation error); NO CAPTURE of "
        "plutil itself on a missing file was found."
    ),
    "console_owner": (
        "`stat -f '%u %Su' /dev/console`: uid and user name of the console owner "
        "(stat(1) -f format; root at the login window, as in the Jamf scripts using "
        "`stat -f%Su /dev/console`). NO CAPTURE of the two-field form was found."
    ),
    "defaults": (
        "`defaults -currentHost read com.apple.screensaver idleTime` prints an integer "
        "(platform-facts.md 2.2.5). A missing key: exit 1 and on stderr a timestamp line "
        "then 'The domain/default pair of (domain, key) does not exist' (0xmachos/mOSL "
        "issue #24, rgcr/m-cli issue #163, graemer957/sigma957.net "
        "content/posts/macos-defaults-unexpected-exit-code.md)."
    ),
    "sysadminctl": (
        "`sysadminctl -screenLock status` writes one NSLog line to stderr: timestamp, "
        "'sysadminctl[pid:tid]', then 'screenLock delay is immediate' / 'screenLock delay "
        "is 300 seconds' / 'screenLock is off' (platform-facts.md 2.2.5, real outputs; "
        "kolide's write-up cited in mathiasbynens/dotfiles issue #922)."
    ),
    "sudo_denied": (
        "`sudo -n` without a cached credential prints 'sudo: a password is required' and "
        "exits 1 (sudo(8), -n option). NO CAPTURE from a Mac named."
    ),
}


def probe_of(key: str) -> str:
    """The PROBE_SOURCES entry a recorded command key belongs to."""
    if key.startswith("launchctl asuser "):
        key = key.split(" -u ", 1)[1].split(" ", 1)[1]
    if key.startswith("plutil ") and "Managed Preferences" in key:
        return "managed_prefs"
    table = {
        "uname": "uname",
        "id": "id",
        "sw_vers": "sw_vers",
        "fdesetup": "fdesetup",
        "/usr/libexec/ApplicationFirewall/socketfilterfw": "socketfilterfw",
        "netstat": "netstat",
        "lsof": "lsof",
        "stat": "console_owner",
        "defaults": "defaults",
        "sysadminctl": "sysadminctl",
    }
    if key.startswith("plutil "):
        return "install_history" if "InstallHistory" in key else "softwareupdate_prefs"
    return table[key.split(" ", 1)[0]]


def probes_recorded(commands: dict[str, dict[str, object]]) -> list[str]:
    """Probe sources a fixture needs: its commands' probes, plus the error forms used."""
    probes = {probe_of(key) for key in commands}
    for result in commands.values():
        text = f"{result.get('stdout', '')}{result.get('stderr', '')}"
        if "file does not exist or is not readable" in text:
            probes.add("plutil_missing")
        if "sudo: a password is required" in text:
            probes.add("sudo_denied")
    return sorted(probes)


def sources_header(commands: dict[str, dict[str, object]]) -> str:
    return "".join(f"# source {p}: {PROBE_SOURCES[p]}\n" for p in probes_recorded(commands))


def ok(stdout="", stderr=""):
    return {"exit_status": 0, "stdout": stdout, "stderr": stderr}


def res(code, stdout="", stderr=""):
    return {"exit_status": code, "stdout": stdout, "stderr": stderr}


def missing_plist(path):
    # plutil reports on stdout, not stderr (see PROBE_SOURCES["plutil_missing"]).
    name = path.rsplit("/", 1)[1]
    return res(
        1,
        f"{path}: file does not exist or is not readable or is not a regular file "
        f'(Error Domain=NSCocoaErrorDomain Code=260 "The file “{name}” couldn’t be opened '
        f'because there is no such file." UserInfo={{NSFilePath={path}, '
        "NSUnderlyingError=0x600001650060 {Error Domain=NSPOSIXErrorDomain Code=2 "
        '"No such file or directory"}})\n',
        "",
    )


def plist_text(value):
    return plistlib.dumps(value, fmt=plistlib.FMT_XML).decode()


def defaults_missing(domain, key, pid="3456:78901"):
    return res(
        1,
        "",
        f"2026-11-20 09:00:01.123 defaults[{pid}] \n"
        f"The domain/default pair of ({domain}, {key}) does not exist\n",
    )


def sysadminctl(text, pid="2345:67890"):
    return ok("", f"2026-11-20 09:00:01.234 sysadminctl[{pid}] {text}\n")


HEADER = (
    "Active Internet connections (including servers)\n"
    "Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)    \n"
)


def netstat_tcp(rows):
    lines = [
        f"{proto:<6}     0      0  {local:<22} {foreign:<22} {state:<11}"
        for proto, local, foreign, state in rows
    ]
    return ok(HEADER + "\n".join(lines) + "\n")


def netstat_udp(rows):
    lines = [
        f"{proto:<6}     0      0  {local:<22} {foreign:<22}" for proto, local, foreign in rows
    ]
    return ok(HEADER + "\n".join(lines) + "\n")


def lsof_fields(procs):
    out = []
    for pid, cmd, user, names in procs:
        out += [f"p{pid}", f"c{cmd}", f"L{user}"]
        for fd, name in names:
            out += [f"f{fd}", f"n{name}"]
    return ok("\n".join(out) + "\n") if out else res(1, "", "")


def history(entries):
    records = []
    for when, name, ver, proc in entries:
        record = {"date": when, "displayName": name, "displayVersion": ver, "processName": proc}
        if name in BACKGROUND_PACKAGES:
            record["contentType"] = "config-data"
            package = BACKGROUND_PACKAGES[name]
            if package:
                record["packageIdentifiers"] = [package]
        records.append(record)
    return ok(plist_text(records))


# Background data updates are recorded with contentType config-data (plaso's capture). The
# one package identifier seen in a capture is XProtect's (salopensource/sal issue #317);
# the others are left without one rather than invented.
BACKGROUND_PACKAGES: dict[str, str | None] = {
    "XProtectPlistConfigData": "com.apple.pkg.XProtectPlistConfigData.16U4051",
    "MRTConfigData": None,
    "Gatekeeper Compatibility Data": None,
}
BACKGROUND = [
    (datetime(2026, 11, 18, 3, 12, 40), "XProtectPlistConfigData", "5283", "softwareupdated"),
    (datetime(2026, 11, 19, 3, 10, 2), "MRTConfigData", "1.93", "softwareupdated"),
    (datetime(2026, 11, 19, 3, 10, 9), "Gatekeeper Compatibility Data", "181", "softwareupdated"),
]


def msu(name, version, build, kind="minor"):
    """A RecommendedUpdates entry for a macOS update (product key as munki documents)."""
    key = f"MSU_UPDATE_{build}_patch_{version}_{kind}"
    return {
        "Display Name": name,
        "Display Version": version,
        "Identifier": key,
        "MobileSoftwareUpdate": True,
        "Product Key": key,
    }


def other_update(name, version, identifier, product_key):
    return {
        "Display Name": name,
        "Display Version": version,
        "Identifier": identifier,
        "Product Key": product_key,
    }


def su_prefs(running, auto=True, recommended=(), checked=datetime(2026, 11, 20, 6, 0, 0)):
    data = {
        "AutomaticCheckEnabled": auto,
        "AutomaticDownload": auto,
        "AutomaticallyInstallMacOSUpdates": auto,
        "CriticalUpdateInstall": auto,
        "ConfigDataInstall": True,
        "LastAttemptSystemVersion": running,
        "LastRecommendedUpdatesAvailable": len(recommended),
        "LastUpdatesAvailable": len(recommended),
        "RecommendedUpdates": list(recommended),
    }
    if checked is not None:
        data["LastSuccessfulDate"] = checked
        data["LastFullSuccessfulDate"] = checked
    return ok(plist_text(data))


def platform(version, build, hostname, is_admin, arch="arm64"):
    return {
        "family": "macos",
        "distro": "macos",
        "distro_like": [],
        "version": version,
        "build": build,
        "pretty_name": f"macOS {version}",
        "arch": arch,
        "hostname": hostname,
        "is_admin": is_admin,
        "transport": "ssh",
    }


def detect(hostname, version, build, uid):
    return {
        UNAME.key: ok(f"Darwin {hostname} arm64\n"),
        ID_U.key: ok(f"{uid}\n"),
        SW_VERS.key: ok(
            f"ProductName:\t\tmacOS\nProductVersion:\t\t{version}\nBuildVersion:\t\t{build}\n"
        ),
    }


def screen(
    console_user,
    uid,
    whoami,
    *,
    idle=None,
    ask=None,
    sysadmin=None,
    managed_user=None,
    managed_global=None,
):
    cmds = {
        CONSOLE_OWNER.key: ok(f"{uid} {console_user}\n"),
        WHOAMI.key: ok(f"{whoami}\n"),
        MANAGED_GLOBAL.key: ok(plist_text(managed_global))
        if managed_global
        else missing_plist(MANAGED_GLOBAL.argv[-1]),
    }
    if console_user in ("root", "loginwindow"):
        return cmds
    user_cmds = MacosScreenLock()._user_commands(Console(str(uid), console_user), whoami)
    cmds[user_cmds["idle"].key] = (
        ok(f"{idle}\n")
        if idle is not None
        else defaults_missing("com.apple.screensaver", "idleTime")
    )
    cmds[user_cmds["ask"].key] = (
        ok(f"{ask}\n")
        if ask is not None
        else defaults_missing("com.apple.screensaver", "askForPassword")
    )
    cmds[user_cmds["sysadminctl"].key] = sysadminctl(sysadmin) if sysadmin else ok("", "")
    mu = user_cmds["managed_user"]
    cmds[mu.key] = ok(plist_text(managed_user)) if managed_user else missing_plist(mu.argv[-1])
    return cmds


def firewall(state_line, stealth="Stealth mode enabled"):
    return {GLOBAL_STATE.key: ok(state_line + "\n"), STEALTH_MODE.key: ok(stealth + "\n")}


def write(name, comment, target, plat, commands, collected_at="2026-11-20T09:00:00Z"):
    data = {
        "format": "endpoint-audit-bundle",
        "version": 1,
        "tool_version": "0.1.0",
        "hosts": [
            {
                "target": target,
                "collected_at": collected_at,
                "platform": plat,
                "commands": dict(sorted(commands.items())),
            }
        ],
    }
    text = "".join(f"# {line.strip()}\n" for line in comment.strip().splitlines())
    text += sources_header(commands)
    text += yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)
    (OUT / f"{name}.yaml").write_text(text, encoding="utf-8")


# Common listeners on a Mac in daily use: AirPlay receiver (ControlCenter), Continuity
# (rapportd), mDNSResponder, a local-only helper.
def common_ports(user, root):
    tcp = [
        ("tcp4", "192.168.1.23.52144", "17.57.146.20.5223", "ESTABLISHED"),
        ("tcp46", "*.5000", "*.*", "LISTEN"),
        ("tcp46", "*.7000", "*.*", "LISTEN"),
        ("tcp4", "*.53667", "*.*", "LISTEN"),
        ("tcp6", "*.53667", "*.*", "LISTEN"),
        ("tcp4", "127.0.0.1.49152", "*.*", "LISTEN"),
    ]
    udp = [
        ("udp4", "*.*", "*.*"),
        ("udp46", "*.5353", "*.*"),
        ("udp4", "192.168.1.23.61022", "17.253.4.125.123"),
    ]
    mine = [
        (548, "rapportd", user, [(8, "*:53667"), (9, "*:53667")]),
        (
            602,
            "ControlCenter",
            user,
            [(8, "*:7000"), (9, "*:7000"), (10, "*:5000"), (11, "*:5000")],
        ),
    ]
    others_tcp = [(349, "launcher", "root", [(12, "127.0.0.1:49152")])]
    udp_procs = [(431, "mDNSResponder", "_mdnsresponder", [(7, "*:5353"), (8, "*:5353")])]
    my_udp = [(548, "rapportd", user, [(12, "192.168.1.23:61022->17.253.4.125:123")])]
    return tcp, udp, (mine + others_tcp if root else mine), (udp_procs + my_udp if root else my_udp)


def ports(tcp, udp, lsof_tcp, lsof_udp):
    return {
        NETSTAT_TCP.key: netstat_tcp(tcp),
        NETSTAT_UDP.key: netstat_udp(udp),
        LSOF_TCP.key: lsof_fields(lsof_tcp),
        LSOF_UDP.key: lsof_fields(lsof_udp),
    }


def main() -> None:
    # 1. Fully compliant macOS 15, audited as root.
    tcp, udp, lt, lu = common_ports("hanako", True)
    cmds = {
        **detect("hanako-mbp.local", "15.1", "24B83", 0),
        FDESETUP.key: ok("FileVault is On.\n"),
        **firewall("Firewall is enabled. (State = 1)"),
        **ports(tcp, udp, lt, lu),
        INSTALL_HISTORY.key: history(
            [
                (
                    datetime(2026, 10, 29, 1, 5, 11),
                    "macOS Sequoia 15.0.1",
                    "15.0.1",
                    "softwareupdated",
                ),
                (
                    datetime(2026, 11, 12, 23, 41, 3),
                    "macOS Sequoia 15.1",
                    "15.1",
                    "softwareupdated",
                ),
                *BACKGROUND,
            ]
        ),
        PREFS.key: su_prefs("15.1 (24B83)", auto=True),
        MANAGED_PREFS.key: missing_plist(MANAGED_PREFS.argv[-1]),
        **screen("hanako", 501, "root", idle=600, sysadmin="screenLock delay is immediate"),
    }
    write(
        "macos15-compliant",
        """
    macOS 15.1 Sequoia audited as root: FileVault on, firewall on (state 1, stealth),
    only AirPlay/Continuity/mDNS listening, macOS 15.1 installed 8 days before collection,
    automatic updates on and no recommended update, screen saver after 600 s with the
    password asked immediately (sysadminctl).""",
        "hanako-mbp.local",
        platform("15.1", "24B83", "hanako-mbp.local", True),
        cmds,
    )

    # 2. macOS 14, FileVault off, firewall off (state 0), idleTime 0, lock off, Screen Sharing on.
    tcp, udp, lt, lu = common_ports("taro", True)
    tcp += [
        ("tcp4", "*.5900", "*.*", "LISTEN"),
        ("tcp6", "*.5900", "*.*", "LISTEN"),
        ("tcp4", "*.22", "*.*", "LISTEN"),
        ("tcp6", "*.22", "*.*", "LISTEN"),
    ]
    tcp += [("tcp4", "*.445", "*.*", "LISTEN"), ("tcp6", "*.445", "*.*", "LISTEN")]
    udp += [("udp4", "*.137", "*.*"), ("udp4", "*.138", "*.*")]
    lt += [
        (
            1,
            "launchd",
            "root",
            [
                (41, "*:5900"),
                (42, "*:5900"),
                (45, "*:22"),
                (46, "*:22"),
                (47, "*:445"),
                (48, "*:445"),
            ],
        )
    ]
    lu += [(812, "netbiosd", "_netbios", [(3, "*:137"), (4, "*:138")])]
    cmds = {
        **detect("taro-mba.local", "14.5", "23F79", 0),
        FDESETUP.key: ok("FileVault is Off.\n"),
        **firewall("Firewall is disabled. (State = 0)", "Stealth mode disabled"),
        **ports(tcp, udp, lt, lu),
        INSTALL_HISTORY.key: history(
            [
                (datetime(2026, 6, 2, 10, 0, 0), "macOS Sonoma 14.5", "14.5", "softwareupdated"),
                *BACKGROUND,
            ]
        ),
        PREFS.key: su_prefs(
            "14.5 (23F79)",
            auto=False,
            recommended=[
                msu("macOS Sonoma 14.7.2", "14.7.2", "23H311"),
                other_update(
                    "Command Line Tools for Xcode",
                    "14.0",
                    "Command Line Tools for Xcode",
                    "012-62819",
                ),
            ],
        ),
        MANAGED_PREFS.key: missing_plist(MANAGED_PREFS.argv[-1]),
        **screen("taro", 502, "root", idle=0, sysadmin="screenLock is off"),
    }
    write(
        "macos14-filevault-off-alf0",
        """
    macOS 14.5 Sonoma audited as root: FileVault off, firewall off (state 0), Screen Sharing
    (5900), File Sharing (445, NetBIOS 137/138) and Remote Login (22) on, last macOS update
    (14.5) in June, automatic updates off
    with macOS 14.7.2 recommended, screen saver never (idleTime 0) and no password on wake.""",
        "taro-mba.local",
        platform("14.5", "23F79", "taro-mba.local", True),
        cmds,
    )

    # 3. macOS 15, encryption in progress, state 2 in the "blocking" wording, idle too long.
    tcp, udp, lt, lu = common_ports("jiro", True)
    cmds = {
        **detect("jiro-imac.local", "15.0.1", "24A348", 0),
        FDESETUP.key: ok("FileVault is On.\nEncryption in progress: Percent completed = 42.5\n"),
        **firewall("Firewall is blocking all non-essential incoming connections. (State = 2)"),
        **ports(tcp, udp, lt, lu),
        INSTALL_HISTORY.key: history(
            [
                (
                    datetime(2026, 11, 1, 8, 30, 0),
                    "macOS Sequoia 15.0.1",
                    "15.0.1",
                    "softwareupdated",
                ),
                *BACKGROUND,
            ]
        ),
        PREFS.key: su_prefs("15.0.1 (24A348)", auto=True),
        MANAGED_PREFS.key: missing_plist(MANAGED_PREFS.argv[-1]),
        **screen("jiro", 501, "root", idle=1800, sysadmin="screenLock delay is 300 seconds"),
    }
    write(
        "macos15-encrypting-alf2-blocking",
        """
    macOS 15.0.1 audited as root: FileVault encryption 42.5 % done, firewall state 2 printed
    as "blocking all non-essential incoming connections", screen saver after 1800 s and the
    password asked only 300 s later.""",
        "jiro-imac.local",
        platform("15.0.1", "24A348", "jiro-imac.local", True),
        cmds,
    )

    # 4. macOS 14 at the login window (nobody logged on), state 2 in the "enabled" wording,
    # FileVault off with deferred enablement.
    tcp, udp, lt, lu = common_ports("hanako", True)
    lt = [p for p in lt if p[2] == "root"]
    tcp = [r for r in tcp if r[1].rsplit(".", 1)[1] not in ("5000", "7000", "53667")]
    cmds = {
        **detect("kiosk-mini.local", "14.6.1", "23G93", 0),
        FDESETUP.key: ok(
            "FileVault is Off.\nDeferred enablement appears to be active for user 'hanako'.\n"
        ),
        **firewall("Firewall is enabled. (State = 2)"),
        **ports(tcp, udp, lt, lu),
        INSTALL_HISTORY.key: history(
            [
                (
                    datetime(2026, 8, 21, 2, 0, 0),
                    "macOS Sonoma 14.6.1",
                    "14.6.1",
                    "softwareupdated",
                ),
                *BACKGROUND,
            ]
        ),
        PREFS.key: su_prefs(
            "14.6.1 (23G93)",
            auto=True,
            recommended=[msu("macOS Sonoma 14.7.1", "14.7.1", "23H222")],
        ),
        MANAGED_PREFS.key: missing_plist(MANAGED_PREFS.argv[-1]),
        **screen("root", 0, "root"),
    }
    write(
        "macos14-nobody-logged-on-alf2",
        """
    macOS 14.6.1 at the login window (/dev/console owned by root): nobody logged on, firewall
    state 2 printed as "Firewall is enabled. (State = 2)", FileVault off with deferred
    enablement pending, macOS 14.7.1 recommended by the last background check.""",
        "kiosk-mini.local",
        platform("14.6.1", "23G93", "kiosk-mini.local", True),
        cmds,
    )

    # 5. macOS 14 audited as the console user (no root), settings from a configuration profile.
    tcp, udp, lt, lu = common_ports("sachiko", False)
    cmds = {
        **detect("sachiko-mbp.local", "14.7.1", "23H222", 501),
        FDESETUP.key: ok("FileVault is On.\n"),
        **firewall("Firewall is enabled. (State = 1)"),
        **ports(tcp, udp, lt, lu),
        INSTALL_HISTORY.key: history(
            [
                (
                    datetime(2026, 11, 5, 4, 0, 0),
                    "macOS Sonoma 14.7.1",
                    "14.7.1",
                    "softwareupdated",
                ),
                *BACKGROUND,
            ]
        ),
        PREFS.key: su_prefs("14.7.1 (23H222)", auto=False),
        MANAGED_PREFS.key: ok(
            plist_text(
                {
                    "AutomaticCheckEnabled": True,
                    "AutomaticDownload": True,
                    "AutomaticallyInstallMacOSUpdates": True,
                    "CriticalUpdateInstall": True,
                }
            )
        ),
        **screen(
            "sachiko",
            501,
            "sachiko",
            idle=1200,
            sysadmin="screenLock delay is 300 seconds",
            managed_global={"idleTime": 600, "askForPassword": 1, "askForPasswordDelay": 0},
        ),
    }
    write(
        "macos14-user-managed-profile",
        """
    macOS 14.7.1 audited as the logged-on user without root: lsof sees only the user's own
    sockets (netstat still lists every port), a configuration profile sets idleTime 600 and
    asks for the password immediately (it wins over the user's 1200 s / 300 s), and managed
    software-update preferences switch automatic updates on.""",
        "sachiko-mbp.local",
        platform("14.7.1", "23H222", "sachiko-mbp.local", False),
        cmds,
    )

    # 6. macOS 15 decrypting, idleTime 600 with lock immediate, audited by another non-root account.
    tcp, udp, lt, lu = common_ports("ichiro", False)
    console = Console("501", "ichiro")
    cmds = {
        **detect("ichiro-mba.local", "15.1", "24B83", 502),
        FDESETUP.key: ok("FileVault is On.\nDecryption in progress: Percent completed = 12.0\n"),
        **firewall("Firewall is enabled. (State = 1)", "Stealth mode disabled"),
        **ports(tcp, udp, [], []),
        INSTALL_HISTORY.key: history(
            [
                (datetime(2026, 11, 12, 23, 0, 0), "macOS Sequoia 15.1", "15.1", "softwareupdated"),
                *BACKGROUND,
            ]
        ),
        PREFS.key: ok(plist_text({"LastAttemptSystemVersion": "15.1 (24B83)"})),
        MANAGED_PREFS.key: missing_plist(MANAGED_PREFS.argv[-1]),
        CONSOLE_OWNER.key: ok("501 ichiro\n"),
        WHOAMI.key: ok("auditor\n"),
        MANAGED_GLOBAL.key: missing_plist(MANAGED_GLOBAL.argv[-1]),
    }
    denied = res(1, "", "sudo: a password is required\n")
    for name, cmd in MacosScreenLock()._user_commands(console, "auditor").items():
        cmds[cmd.key] = missing_plist(cmd.argv[-1]) if name == "managed_user" else denied
    write(
        "macos15-decrypting-not-root",
        """
    macOS 15.1 audited over SSH by a separate non-admin account without --sudo: FileVault
    being decrypted (12 %), the console user's screen-lock settings cannot be read (sudo
    refused), lsof shows no socket owners, and no background update check is recorded.""",
        "ichiro-mba.local",
        platform("15.1", "24B83", "ichiro-mba.local", False),
        cmds,
    )

    # 7. macOS 14 whose last successful background check is 79 days old: the empty list of
    # recommended updates cannot vouch for "nothing pending".
    tcp, udp, lt, lu = common_ports("hanako", True)
    cmds = {
        **detect("hanako-mba.local", "14.7.1", "23H222", 0),
        FDESETUP.key: ok("FileVault is On.\n"),
        **firewall("Firewall is enabled. (State = 1)"),
        **ports(tcp, udp, lt, lu),
        INSTALL_HISTORY.key: history(
            [
                (
                    datetime(2026, 11, 5, 4, 0, 0),
                    "macOS Sonoma 14.7.1",
                    "14.7.1",
                    "softwareupdated",
                ),
                *BACKGROUND,
            ]
        ),
        PREFS.key: su_prefs("14.7.1 (23H222)", auto=True, checked=datetime(2026, 9, 2, 5, 41, 7)),
        MANAGED_PREFS.key: missing_plist(MANAGED_PREFS.argv[-1]),
        **screen("hanako", 501, "root", idle=600, sysadmin="screenLock delay is immediate"),
    }
    write(
        "macos14-stale-update-list",
        """
    macOS 14.7.1 audited as root, compliant except that the last successful background
    check for updates (LastSuccessfulDate) was on 2026-09-02, 79 days before collection: its
    empty list of recommended updates is too old to show updates published since.""",
        "hanako-mba.local",
        platform("14.7.1", "23H222", "hanako-mba.local", True),
        cmds,
    )

    # 8. macOS 15 where FileVault was switched on but needs a restart to finish.
    tcp, udp, lt, lu = common_ports("jiro", True)
    cmds = {
        **detect("jiro-mbp.local", "15.1", "24B83", 0),
        FDESETUP.key: ok("FileVault is On, but needs to be restarted to finish.\n"),
        **firewall("Firewall is enabled. (State = 1)"),
        **ports(tcp, udp, lt, lu),
        INSTALL_HISTORY.key: history(
            [
                (datetime(2026, 11, 12, 23, 0, 0), "macOS Sequoia 15.1", "15.1", "softwareupdated"),
                *BACKGROUND,
            ]
        ),
        PREFS.key: su_prefs("15.1 (24B83)", auto=True),
        MANAGED_PREFS.key: missing_plist(MANAGED_PREFS.argv[-1]),
        **screen("jiro", 501, "root", idle=300, sysadmin="screenLock delay is immediate"),
    }
    write(
        "macos15-filevault-restart-pending",
        """
    macOS 15.1 audited as root, compliant except that fdesetup says "FileVault is On, but
    needs to be restarted to finish.": FileVault was switched on and is not in effect until
    the Mac restarts, so the disk is not counted as encrypted.""",
        "jiro-mbp.local",
        platform("15.1", "24B83", "jiro-mbp.local", True),
        cmds,
    )

    # 9. A fully patched macOS 14 offered the upgrade to macOS 15 as a recommended update.
    tcp, udp, lt, lu = common_ports("sachiko", True)
    cmds = {
        **detect("sachiko-imac.local", "14.7.1", "23H222", 0),
        FDESETUP.key: ok("FileVault is On.\n"),
        **firewall("Firewall is enabled. (State = 1)"),
        **ports(tcp, udp, lt, lu),
        INSTALL_HISTORY.key: history(
            [
                (
                    datetime(2026, 11, 5, 4, 0, 0),
                    "macOS Sonoma 14.7.1",
                    "14.7.1",
                    "softwareupdated",
                ),
                *BACKGROUND,
            ]
        ),
        PREFS.key: su_prefs(
            "14.7.1 (23H222)",
            auto=True,
            recommended=[msu("macOS Sequoia 15.1", "15.1", "24B83", kind="major")],
        ),
        MANAGED_PREFS.key: missing_plist(MANAGED_PREFS.argv[-1]),
        **screen("sachiko", 501, "root", idle=600, sysadmin="screenLock delay is immediate"),
    }
    write(
        "macos14-major-upgrade-offered",
        """
    macOS 14.7.1, fully patched, audited as root: the last background check recommends
    "macOS Sequoia 15.1" (product key ..._major), an upgrade to the next major release. It
    is reported alongside, not counted as a missing security update.""",
        "sachiko-imac.local",
        platform("14.7.1", "23H222", "sachiko-imac.local", True),
        cmds,
    )


if __name__ == "__main__":
    main()
