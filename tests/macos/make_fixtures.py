"""Writes tests/fixtures/macos/*.yaml, the recorded macOS host cases.

Run `python -m tests.macos.make_fixtures` after changing a macOS collector's commands.
Outputs follow the formats in the platform reference (fdesetup, socketfilterfw, lsof -F,
netstat -an, plutil -convert xml1, sysadminctl on stderr, defaults errors); the command
keys come from the collectors themselves, so a renamed command cannot go unnoticed.
"""

from __future__ import annotations

import plistlib
from datetime import datetime
from pathlib import Path

import yaml

from endpoint_audit.collectors.disk_encryption.macos import FDESETUP
from endpoint_audit.collectors.firewall.macos import GLOBAL_STATE, STEALTH_MODE
from endpoint_audit.collectors.listening_ports.macos import (
    LSOF_TCP,
    LSOF_UDP,
    NETSTAT_TCP,
    NETSTAT_UDP,
)
from endpoint_audit.collectors.patches.macos import INSTALL_HISTORY, MANAGED_PREFS, PREFS
from endpoint_audit.collectors.screen_lock.macos import (
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


def ok(stdout="", stderr=""):
    return {"exit_status": 0, "stdout": stdout, "stderr": stderr}


def res(code, stdout="", stderr=""):
    return {"exit_status": code, "stdout": stdout, "stderr": stderr}


def missing_plist(path):
    name = path.rsplit("/", 1)[1]
    return res(
        1,
        "",
        f"{path}: file does not exist or is not readable or is not a regular file "
        f'(Error Domain=NSCocoaErrorDomain Code=260 "The file “{name}” couldn’t be opened '
        f'because there is no such file." UserInfo={{NSFilePath={path}}})\n',
    )


def plist_text(value):
    return plistlib.dumps(value, fmt=plistlib.FMT_XML).decode()


def defaults_missing(domain, key):
    return res(1, "", f"\nThe domain/default pair of ({domain}, {key}) does not exist\n")


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
    return ok(
        plist_text(
            [
                {
                    "date": when,
                    "displayName": name,
                    "displayVersion": ver,
                    "processName": proc,
                    "packageIdentifiers": [f"com.apple.pkg.{name.replace(' ', '')}"],
                }
                for when, name, ver, proc in entries
            ]
        )
    )


BACKGROUND = [
    (datetime(2026, 11, 18, 3, 12, 40), "XProtectPlistConfigData", "5283", "softwareupdated"),
    (datetime(2026, 11, 19, 3, 10, 2), "MRTConfigData", "1.93", "softwareupdated"),
    (datetime(2026, 11, 19, 3, 10, 9), "Gatekeeper Compatibility Data", "181", "softwareupdated"),
]


def su_prefs(auto=True, recommended=(), checked=datetime(2026, 11, 20, 6, 0, 0)):
    data = {
        "AutomaticCheckEnabled": auto,
        "AutomaticDownload": auto,
        "AutomaticallyInstallMacOSUpdates": auto,
        "CriticalUpdateInstall": auto,
        "ConfigDataInstall": True,
        "LastAttemptSystemVersion": "14.7.1 (23H222)",
        "LastRecommendedUpdatesAvailable": len(recommended),
        "LastUpdatesAvailable": len(recommended),
        "RecommendedUpdates": [
            {
                "Display Name": n,
                "Display Version": v,
                "Identifier": f"MSU_UPDATE_{v}",
                "MobileSoftwareUpdate": True,
                "Product Key": f"MSU_UPDATE_{v}",
            }
            for n, v in recommended
        ],
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
        PREFS.key: su_prefs(auto=True),
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
            auto=False,
            recommended=[
                ("macOS Sonoma 14.7.2", "14.7.2"),
                ("Command Line Tools for Xcode", "16.1"),
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
        PREFS.key: su_prefs(auto=True),
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
        PREFS.key: su_prefs(auto=True, recommended=[("macOS Sonoma 14.7.1", "14.7.1")]),
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
        PREFS.key: su_prefs(auto=False),
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


if __name__ == "__main__":
    main()
