"""Write the Linux firewall and screen-lock bundles under tests/fixtures/linux/.

Run with `.venv/bin/python -m tests.collectors.make_linux_fixtures` after changing the
commands the collectors ask for; the bundles use each command's exact key.

Where the outputs come from is stated in each bundle's header: "recorded" outputs were
captured on a Debian 12 machine (as root, as `nobody`, or inside a private network
namespace with the ruleset named); the others follow the documented formats of the tools
(ufw, firewall-cmd, loginctl, gsettings, getent, kscreenlockerrc).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from endpoint_audit.checks.firewall import linux as fw
from endpoint_audit.checks.screen_lock import linux as sl
from endpoint_audit.model.commands import Argv, Command, ReadFile

OUT = Path(__file__).resolve().parent.parent / "fixtures" / "linux"

PLATFORM = {
    "family": "linux",
    "distro": "ubuntu",
    "distro_like": ["debian"],
    "version": "24.04",
    "pretty_name": "Ubuntu 24.04.1 LTS",
    "arch": "x86_64",
    "hostname": "telework-pc",
    "is_admin": True,
    "transport": "ssh",
}

NOT_FOUND = (127, "", "sh: 1: {0}: not found\n")
NO_FILE = (1, "", "cat: {0}: No such file or directory\n")

IF_INET6 = (
    0,
    "fd000000000000000000000000000002 04 40 00 82     eth0\n"
    "fe8000000000000000fc00fffe000001 04 40 20 80     eth0\n"
    "00000000000000000000000000000001 01 80 10 80       lo\n",
    "",
)
NFT_EMPTY = (
    0,
    '{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", '
    '"json_schema_version": 1}}]}\n',
    "",
)
# iptables-nft-save prints nothing at all when no iptables table exists.
SAVE_EMPTY = (0, "", "")
RECORDED = json.loads((OUT / "netfilter" / "recorded.json").read_text(encoding="utf-8"))


def recorded(name: str, *, legacy_host: bool = False) -> dict[str, tuple[int, str, str]]:
    """The listings recorded for tests/fixtures/linux/netfilter/NAME.* (see
    record_netfilter). `legacy_host`: a host whose `iptables-save` is the legacy one and
    that has no `nft`: the legacy listings stand for the plain commands."""
    outputs = {key: (int(v[0]), str(v[1]), str(v[2])) for key, v in RECORDED[name].items()}
    if legacy_host:
        return {
            "nft": NOT_FOUND,
            "ipt": outputs[fw.IPTABLES_LEGACY_SAVE.key],
            "ip6t": outputs[fw.IP6TABLES_LEGACY_SAVE.key],
        }
    found = {
        "nft": outputs[fw.NFT.key],
        "ipt": outputs[fw.IPTABLES_SAVE.key],
        "ip6t": outputs[fw.IP6TABLES_SAVE.key],
    }
    if fw.LEGACY_NOTE in outputs[fw.IPTABLES_SAVE.key][2]:
        found["ipt_legacy"] = outputs[fw.IPTABLES_LEGACY_SAVE.key]
    if fw.LEGACY_NOTE in outputs[fw.IP6TABLES_SAVE.key][2]:
        found["ip6t_legacy"] = outputs[fw.IP6TABLES_LEGACY_SAVE.key]
    return found


class _Dumper(yaml.SafeDumper):
    """Multi-line outputs as literal blocks, so a bundle reads like the terminal did."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    literal = "\n" in value and not any(line != line.rstrip() for line in value.splitlines())
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if literal else None)


_Dumper.add_representer(str, _text)


def _result(value: tuple[int, str, str], name: str) -> dict[str, Any]:
    status, out, err = value
    return {
        "exit_status": status,
        "stdout": out,
        "stderr": err.format(name),
        "duration": 0.01,
        "timed_out": False,
    }


def _name(command: Command) -> str:
    return command.path if isinstance(command, ReadFile) else command.key.split()[0]


def write(name: str, header: str, commands: dict[Command, tuple[int, str, str]]) -> None:
    host = {
        "target": name,
        "collected_at": "2026-11-20T01:00:00+00:00",
        "platform": {**PLATFORM, "hostname": name},
        "commands": {c.key: _result(v, _name(c)) for c, v in commands.items()},
    }
    data = {"format": "endpoint-audit-bundle", "version": 1, "tool_version": "0.1.0"}
    data["hosts"] = [host]
    text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=4096)
    comment = "".join(f"# {line}\n" if line else "#\n" for line in header.strip().splitlines())
    (OUT / f"{name}.yaml").write_text(comment + text, encoding="utf-8")


def firewall(**overrides: tuple[int, str, str]) -> dict[Command, tuple[int, str, str]]:
    base: dict[Command, tuple[int, str, str]] = {
        fw.UFW: NOT_FOUND,
        fw.FIREWALLD_STATE: NOT_FOUND,
        fw.NFT: NFT_EMPTY,
        fw.IPTABLES_SAVE: SAVE_EMPTY,
        fw.IP6TABLES_SAVE: SAVE_EMPTY,
        fw.IF_INET6: IF_INET6,
    }
    names = {
        "ufw": fw.UFW,
        "state": fw.FIREWALLD_STATE,
        "nft": fw.NFT,
        "ipt": fw.IPTABLES_SAVE,
        "ip6t": fw.IP6TABLES_SAVE,
        "ipt_legacy": fw.IPTABLES_LEGACY_SAVE,
        "ip6t_legacy": fw.IP6TABLES_LEGACY_SAVE,
        "if_inet6": fw.IF_INET6,
    }
    for key, value in overrides.items():
        base[names[key]] = value
    return base


UFW_ACTIVE = """Status: active
Logging: on (low)
Default: deny (incoming), allow (outgoing), deny (routed)
New profiles: skip

To                         Action      From
--                         ------      ----
22/tcp                     ALLOW IN    Anywhere
22/tcp (v6)                ALLOW IN    Anywhere (v6)
"""

POLKIT = (
    253,
    "",
    "Authorization failed.\n    Make sure polkit agent is running or run the application "
    "as superuser.\n",
)
# Recorded on Debian 12 as `nobody` (ufw 0.36, nftables 1.0.6, iptables 1.8.9).
UFW_NOT_ROOT = (1, "", "ERROR: You need to be root to run this script\n")
NFT_NOT_ROOT = (
    1,
    "",
    "Operation not permitted (you must be root)\n"
    "netlink: Error: cache initialization failed: Operation not permitted\n",
)
IPT_NOT_ROOT = (
    4,
    "",
    "iptables-save v1.8.9 (nf_tables): Could not fetch rule set generation id: "
    "Permission denied (you must be root)\n",
)
IP6T_NOT_ROOT = (4, "", IPT_NOT_ROOT[2].replace("iptables", "ip6tables"))
RECORDED_NOTE = (
    "Kernel listings recorded in a private network namespace on Debian 12 (nftables 1.0.6,\n"
    "iptables 1.8.9) with tests/fixtures/linux/netfilter/{name}.* loaded (record_netfilter)."
)


def _note(name: str) -> str:
    return RECORDED_NOTE.format(name=name)


def firewall_fixtures() -> None:
    for stale in ("firewall-firewalld-zones-denied",):
        (OUT / f"{stale}.yaml").unlink(missing_ok=True)
    write(
        "firewall-ufw-active",
        "Ubuntu-like host with ufw active (default deny incoming, 22/tcp allowed).\n"
        "ufw output follows the documented `ufw status verbose` format.\n" + _note("ufw"),
        firewall(ufw=(0, UFW_ACTIVE, ""), **recorded("ufw")),
    )
    write(
        "firewall-ufw-policy-accept",
        "ufw still prints its configured default deny, but `iptables -P INPUT ACCEPT` was run\n"
        "behind its back: the kernel accepts what no rule drops.\n" + _note("ufw-policy-accept"),
        firewall(ufw=(0, UFW_ACTIVE, ""), **recorded("ufw-policy-accept")),
    )
    write(
        "firewall-ufw-inactive",
        "ufw installed but inactive (recorded on Debian 12), no rules in the kernel.",
        firewall(ufw=(0, "Status: inactive\n", "")),
    )
    write(
        "firewall-ufw-not-root",
        "Probes run as an ordinary user without --sudo (outputs recorded on Debian 12 as\n"
        "`nobody`): ufw, nft and iptables-save refuse; firewalld is not installed.",
        firewall(ufw=UFW_NOT_ROOT, nft=NFT_NOT_ROOT, ipt=IPT_NOT_ROOT, ip6t=IP6T_NOT_ROOT),
    )
    write(
        "firewall-firewalld-running",
        "firewalld running (nftables backend), default zone public with ssh, cockpit and\n"
        "dhcpv6-client; its table ends the input chain with a reject.\n"
        + _note("firewalld-public"),
        firewall(state=(0, "running\n", ""), **recorded("firewalld-public")),
    )
    write(
        "firewall-firewalld-trusted",
        "firewalld running with its zone accepting everything (target ACCEPT).\n"
        + _note("firewalld-trusted"),
        firewall(state=(0, "running\n", ""), **recorded("firewalld-trusted")),
    )
    write(
        "firewall-firewalld-not-running",
        "firewalld installed but stopped: `not running`, exit 252; no rules in the kernel.",
        firewall(state=(252, "not running\n", "")),
    )
    write(
        "firewall-firewalld-polkit-denied",
        "Ordinary user: polkit refuses firewall-cmd (exit 253, NOT_AUTHORIZED), which says\n"
        "nothing about whether firewalld runs; nft and iptables-save refuse too.",
        firewall(state=POLKIT, nft=NFT_NOT_ROOT, ipt=IPT_NOT_ROOT, ip6t=IP6T_NOT_ROOT),
    )
    write(
        "firewall-nftables-drop",
        "nftables only: `table inet filter` with an input chain `policy drop` that lets\n"
        "ssh in.\n" + _note("nft-drop"),
        firewall(**recorded("nft-drop")),
    )
    write(
        "firewall-nftables-accept",
        "nftables only: an input chain with `policy accept` that drops only telnet.\n"
        + _note("nft-accept"),
        firewall(**recorded("nft-accept")),
    )
    write(
        "firewall-nftables-jump-accept-all",
        "An input chain with `policy drop` that jumps to a chain accepting everything.\n"
        + _note("nft-jump-accept-all"),
        firewall(**recorded("nft-jump-accept-all")),
    )
    write(
        "firewall-iptables-only",
        "An older host with iptables (legacy) only and no nft: INPUT policy DROP for IPv4 and\n"
        "IPv6. The legacy listings were recorded with iptables-legacy-save.\n"
        + _note("iptables-legacy-only"),
        firewall(**recorded("iptables-legacy-only", legacy_host=True)),
    )
    write(
        "firewall-iptables-ipv6-open",
        "iptables drops IPv4 by default but ip6tables accepts, and the host has IPv6 addresses.\n"
        + _note("iptables-ipv6-open"),
        firewall(**recorded("iptables-ipv6-open")),
    )
    write(
        "firewall-iptables-user-chain-accept-all",
        "INPUT policy DROP, but a user chain reached from INPUT accepts everything.\n"
        + _note("iptables-user-chain-accept-all"),
        firewall(**recorded("iptables-user-chain-accept-all")),
    )
    write(
        "firewall-iptables-legacy-tables",
        "iptables-nft warns that legacy tables exist; the legacy INPUT chain drops by default.\n"
        + _note("legacy-tables"),
        firewall(**recorded("legacy-tables")),
    )
    write(
        "firewall-none",
        "No firewall at all (recorded on Debian 12): no ufw or firewalld, empty nftables ruleset,\n"
        "no iptables table.",
        firewall(),
    )
    write(
        "firewall-old-bundle",
        "A bundle written before the firewall read `iptables-save`: it holds `iptables -S INPUT`\n"
        "only (a policy DROP chain), so the firewall cannot be judged from it.",
        {
            fw.UFW: NOT_FOUND,
            fw.FIREWALLD_STATE: NOT_FOUND,
            fw.NFT: NOT_FOUND,
            Argv(("iptables", "-S", "INPUT"), privileged=True, env=fw.SBIN_ENV): (
                0,
                "-P INPUT DROP\n",
                "",
            ),
            Argv(("ip6tables", "-S", "INPUT"), privileged=True, env=fw.SBIN_ENV): (
                0,
                "-P INPUT DROP\n",
                "",
            ),
            fw.IF_INET6: IF_INET6,
        },
    )


# --- screen lock -----------------------------------------------------------------------

NO_DESKTOP_ERR = "".join(f"find: '{p}': No such file or directory\n" for p in sl.DESKTOP_PATHS)
UBUNTU_DESKTOP = (
    1,
    "/usr/share/xsessions/ubuntu.desktop\n/usr/share/wayland-sessions/ubuntu-wayland.desktop\n"
    "/usr/share/wayland-sessions/ubuntu.desktop\n/usr/bin/gnome-shell\n/usr/sbin/gdm3\n",
    "find: '/usr/bin/plasmashell': No such file or directory\n"
    "find: '/usr/sbin/gdm': No such file or directory\n"
    "find: '/usr/bin/sddm': No such file or directory\n"
    "find: '/usr/sbin/lightdm': No such file or directory\n",
)
KDE_DESKTOP = (
    1,
    "/usr/share/xsessions/plasmax11.desktop\n/usr/share/wayland-sessions/plasma.desktop\n"
    "/usr/bin/plasmashell\n/usr/bin/sddm\n",
    "find: '/usr/bin/gnome-shell': No such file or directory\n",
)
GDM_ONLY = '[{"session":"c1","uid":120,"user":"gdm","seat":"seat0","tty":"tty1"}]\n'
GREETER = "Name=gdm\nType=wayland\nClass=greeter\nDesktop=gnome-shell\nRemote=no\nState=online\n"


def _session_list(*sessions: tuple[str, int, str]) -> str:
    items = [
        f'{{"session":"{sid}","uid":{uid},"user":"{user}","seat":"seat0","tty":"tty2"}}'
        for sid, uid, user in sessions
    ]
    return "[" + ",".join(items) + "]\n"


def _show(user: str, kind: str, desktop: str) -> str:
    return f"Name={user}\nType={kind}\nClass=user\nDesktop={desktop}\nRemote=no\nState=active\n"


def _passwd(user: str, uid: int, gecos: str) -> str:
    return f"{user}:x:{uid}:{uid}:{gecos},,,:/home/{user}:/bin/bash\n"


SESSION_KEYS = (
    "org.gnome.desktop.session idle-delay uint32 {idle}\n"
    "org.gnome.desktop.session session-name 'ubuntu'\n"
)
SCREENSAVER_KEYS = (
    "org.gnome.desktop.screensaver color-shading-type 'solid'\n"
    "org.gnome.desktop.screensaver embedded-keyboard-command ''\n"
    "org.gnome.desktop.screensaver embedded-keyboard-enabled false\n"
    "org.gnome.desktop.screensaver idle-activation-enabled true\n"
    "org.gnome.desktop.screensaver lock-delay uint32 {delay}\n"
    "org.gnome.desktop.screensaver lock-enabled {enabled}\n"
    "org.gnome.desktop.screensaver logout-command ''\n"
    "org.gnome.desktop.screensaver logout-delay uint32 7200\n"
    "org.gnome.desktop.screensaver logout-enabled false\n"
    "org.gnome.desktop.screensaver picture-opacity 100\n"
    "org.gnome.desktop.screensaver picture-uri 'file:///usr/share/backgrounds/warty-final-ubuntu.png'\n"
    "org.gnome.desktop.screensaver show-full-name-in-top-bar true\n"
    "org.gnome.desktop.screensaver status-message-enabled true\n"
    "org.gnome.desktop.screensaver user-switch-enabled true\n"
)

DCONF_PROFILE_LOCAL = "user-db:user\nsystem-db:local\n"
CIS_KEYFILE = """# CIS Ubuntu 1.7.4: lock the screen when idle
[org/gnome/desktop/session]
idle-delay=uint32 900

[org/gnome/desktop/screensaver]
lock-enabled=true
lock-delay=uint32 5
"""
CIS_LOCKS = """# CIS Ubuntu 1.7.5: users cannot override
/org/gnome/desktop/session/idle-delay
/org/gnome/desktop/screensaver/lock-enabled
/org/gnome/desktop/screensaver/lock-delay
"""
RUNUSER_NOT_ROOT = (1, "", "runuser: may not be used by non-root users\n")

HANAKO = sl.GraphicalUser(name="hanako", uid=1000, desktop="ubuntu", home="/home/hanako")


def screen_lock(**overrides: Any) -> dict[Command, tuple[int, str, str]]:
    base: dict[Command, tuple[int, str, str]] = {
        sl.FIND_DESKTOP: UBUNTU_DESKTOP,
        sl.SESSIONS: (0, _session_list(("2", 1000, "hanako"), ("c1", 120, "gdm")), ""),
        sl.DCONF_PROFILE: NO_FILE,
        sl.DCONF_FILES: (1, "", "find: '/etc/dconf/db': No such file or directory\n"),
        sl.KDE_SYSTEM: NO_FILE,
        sl.show_session("2"): (0, _show("hanako", "wayland", "ubuntu"), ""),
        sl.show_session("c1"): (0, GREETER, ""),
        sl.passwd_entry("hanako"): (0, _passwd("hanako", 1000, "Hanako Yamada"), ""),
        sl.passwd_entry("gdm"): (
            0,
            "gdm:x:120:120:Gnome Display Manager:/var/lib/gdm3:/bin/false\n",
            "",
        ),
    }
    base.update(overrides.pop("extra", {}))
    return base


def gnome_settings(
    idle: int, delay: int = 0, enabled: str = "true"
) -> dict[Command, tuple[int, str, str]]:
    return {
        sl.gsettings_as(HANAKO, "org.gnome.desktop.session"): (
            0,
            SESSION_KEYS.format(idle=idle),
            "",
        ),
        sl.gsettings_as(HANAKO, "org.gnome.desktop.screensaver"): (
            0,
            SCREENSAVER_KEYS.format(delay=delay, enabled=enabled),
            "",
        ),
    }


def cis_dconf() -> dict[Command, tuple[int, str, str]]:
    return {
        sl.DCONF_PROFILE: (0, DCONF_PROFILE_LOCAL, ""),
        sl.DCONF_FILES: (
            0,
            "1731890000.0000000000 /etc/dconf/db/local.d/00-screensaver\n"
            "1731890000.0000000000 /etc/dconf/db/local.d/locks/screensaver\n"
            "1731890060.0000000000 /etc/dconf/db/local\n"
            "1731880000.0000000000 /etc/dconf/db/gdm.d/01-banner-message\n"
            "1731880060.0000000000 /etc/dconf/db/gdm\n",
            "",
        ),
        ReadFile("/etc/dconf/db/local.d/00-screensaver"): (0, CIS_KEYFILE, ""),
        ReadFile("/etc/dconf/db/local.d/locks/screensaver"): (0, CIS_LOCKS, ""),
    }


def screen_lock_fixtures() -> None:
    write(
        "screen-lock-no-desktop",
        "A server without any desktop (recorded on Debian 12): nothing to lock.",
        {
            sl.FIND_DESKTOP: (1, "", NO_DESKTOP_ERR),
            sl.SESSIONS: (
                1,
                "",
                "System has not been booted with systemd as init system (PID 1). Can't operate.\n"
                "Failed to connect to bus: Host is down\n",
            ),
            sl.DCONF_PROFILE: NO_FILE,
            sl.DCONF_FILES: (1, "", "find: '/etc/dconf/db': No such file or directory\n"),
            sl.KDE_SYSTEM: NO_FILE,
        },
    )
    write(
        "screen-lock-nobody-logged-on",
        "Ubuntu desktop at the GDM login screen: only the greeter session exists.",
        {
            sl.FIND_DESKTOP: UBUNTU_DESKTOP,
            sl.SESSIONS: (0, GDM_ONLY, ""),
            sl.DCONF_PROFILE: NO_FILE,
            sl.DCONF_FILES: (1, "", "find: '/etc/dconf/db': No such file or directory\n"),
            sl.KDE_SYSTEM: NO_FILE,
            sl.show_session("c1"): (0, GREETER, ""),
            sl.passwd_entry("gdm"): (
                0,
                "gdm:x:120:120:Gnome Display Manager:/var/lib/gdm3:/bin/false\n",
                "",
            ),
        },
    )
    write(
        "screen-lock-gnome-idle-300",
        "Ubuntu 24.04 GNOME defaults for hanako: idle-delay 300, lock-enabled, lock-delay 0;\n"
        "no /etc/dconf/profile/user, so nothing is enforced.",
        {**screen_lock(), **gnome_settings(300)},
    )
    write(
        "screen-lock-gnome-idle-0",
        "hanako set 'Screen Blank: Never' (idle-delay 0).",
        {**screen_lock(), **gnome_settings(0)},
    )
    write(
        "screen-lock-gnome-dconf-locked",
        "CIS 1.7.4/1.7.5 applied: system-db local sets idle-delay 900, lock-delay 5 and locks\n"
        "them; hanako's effective settings match.",
        {**screen_lock(), **cis_dconf(), **gnome_settings(900, 5)},
    )
    unlocked = cis_dconf()
    del unlocked[ReadFile("/etc/dconf/db/local.d/locks/screensaver")]
    unlocked[sl.DCONF_FILES] = (
        0,
        "1731890000.0000000000 /etc/dconf/db/local.d/00-screensaver\n"
        "1731890060.0000000000 /etc/dconf/db/local\n",
        "",
    )
    write(
        "screen-lock-gnome-dconf-no-locks",
        "System defaults set (900 / 5) but no lock files, and hanako raised idle-delay to 1800.",
        {**screen_lock(), **unlocked, **gnome_settings(1800, 5)},
    )
    write(
        "screen-lock-gnome-not-root",
        "Probes run as an ordinary user: runuser refuses, and no system lock covers the keys.",
        {
            **screen_lock(),
            sl.gsettings_as(HANAKO, "org.gnome.desktop.session"): RUNUSER_NOT_ROOT,
            sl.gsettings_as(HANAKO, "org.gnome.desktop.screensaver"): RUNUSER_NOT_ROOT,
        },
    )
    write(
        "screen-lock-gnome-not-root-locked",
        "Probes run as an ordinary user, but CIS locks fix every key, so the user's settings\n"
        "are known without reading them.",
        {
            **screen_lock(),
            **cis_dconf(),
            sl.gsettings_as(HANAKO, "org.gnome.desktop.session"): RUNUSER_NOT_ROOT,
            sl.gsettings_as(HANAKO, "org.gnome.desktop.screensaver"): RUNUSER_NOT_ROOT,
        },
    )
    stale = cis_dconf()
    stale[sl.DCONF_FILES] = (
        0,
        "1731890000.0000000000 /etc/dconf/db/local.d/00-screensaver\n"
        "1731990000.0000000000 /etc/dconf/db/local.d/locks/screensaver\n"
        "1731890060.0000000000 /etc/dconf/db/local\n",
        "",
    )
    write(
        "screen-lock-gnome-not-root-stale-db",
        "Probes run as an ordinary user; the lock file was edited after the last `dconf update`,\n"
        "so the locks it lists may not be in force and cannot stand in for the user's settings.",
        {
            **screen_lock(),
            **stale,
            sl.gsettings_as(HANAKO, "org.gnome.desktop.session"): RUNUSER_NOT_ROOT,
            sl.gsettings_as(HANAKO, "org.gnome.desktop.screensaver"): RUNUSER_NOT_ROOT,
        },
    )
    taro = "/home/taro/.config/kscreenlockerrc"
    kde_base = {
        sl.FIND_DESKTOP: KDE_DESKTOP,
        sl.SESSIONS: (0, _session_list(("3", 1001, "taro")), ""),
        sl.DCONF_PROFILE: NO_FILE,
        sl.DCONF_FILES: (1, "", "find: '/etc/dconf/db': No such file or directory\n"),
        sl.KDE_SYSTEM: NO_FILE,
        sl.show_session("3"): (0, _show("taro", "wayland", "KDE"), ""),
        sl.passwd_entry("taro"): (0, _passwd("taro", 1001, "Taro Suzuki"), ""),
    }
    write(
        "screen-lock-kde-user-config",
        "KDE Plasma: taro locks after 10 minutes but allows 30 seconds without a password.",
        {
            **kde_base,
            ReadFile(taro): (0, "[Daemon]\nAutolock=true\nLockGrace=30\nTimeout=10\n", ""),
        },
    )
    write(
        "screen-lock-kde-immutable",
        "KDE Plasma: /etc/xdg/kscreenlockerrc fixes the [Daemon] group with [$i]; taro's own\n"
        "Timeout=60 is ignored.",
        {
            **kde_base,
            sl.KDE_SYSTEM: (
                0,
                "[Daemon][$i]\nAutolock=true\nLockGrace=0\nTimeout=5\n",
                "",
            ),
            ReadFile(taro): (0, "[Daemon]\nTimeout=60\n\n[Greeter]\nTheme=breeze\n", ""),
        },
    )
    write(
        "screen-lock-other-desktop",
        "Xfce session: its screen-lock settings are not read.",
        {
            **screen_lock(),
            sl.show_session("2"): (0, _show("hanako", "x11", "xfce"), ""),
        },
    )


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    firewall_fixtures()
    screen_lock_fixtures()
