"""The macOS collectors' pure parsers, on real output formats and on hostile input."""

from __future__ import annotations

import plistlib
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from endpoint_audit.checkkit.macos_plist import parse_plist, plist_dict, plist_missing
from endpoint_audit.checks.disk_encryption.macos import (
    FDESETUP,
    MacosDiskEncryption,
    parse_fdesetup,
)
from endpoint_audit.checks.firewall.macos import (
    GLOBAL_STATE,
    STEALTH_MODE,
    MacosFirewall,
    parse_global_state,
)
from endpoint_audit.checks.open_ports.macos import (
    LSOF_TCP,
    LSOF_UDP,
    NETSTAT_TCP,
    NETSTAT_UDP,
    MacosListeningPorts,
    parse_lsof_fields,
    parse_netstat,
)
from endpoint_audit.checks.patch_level.facts import PatchFacts
from endpoint_audit.checks.patch_level.macos import (
    INDEX_SOURCE,
    INSTALL_HISTORY,
    MANAGED_PREFS,
    PREFS,
    MacosPatches,
    automatic_updates,
    is_major_upgrade,
    last_os_update,
    recommended_updates,
    restart_pending,
)
from endpoint_audit.checks.screen_lock.macos import (
    CONSOLE_OWNER,
    MANAGED_GLOBAL,
    WHOAMI,
    Console,
    MacosScreenLock,
    parse_console_owner,
    parse_sysadminctl,
)
from endpoint_audit.errors import CollectorError, FactUnavailable
from endpoint_audit.model import i18n
from endpoint_audit.model.commands import Argv, CommandResult
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.transport.ssh import SshTransport
from tests.observed_view import reason_text, seen_value
from tests.seen import v, why

# Macs as a scan over SSH reaches them (follow-ups, no native reads).
OVER_SSH = SshTransport.capabilities_on(OsFamily.MACOS)
MAC_ROOT = PlatformInfo(
    family=OsFamily.MACOS, version="15.1", build="24B83", is_admin=True
).with_capabilities(OVER_SSH)
NOW = datetime(2026, 11, 20)
MAC_USER = PlatformInfo(
    family=OsFamily.MACOS, version="15.1", build="24B83", is_admin=False
).with_capabilities(OVER_SSH)
NO_FILE = CommandResult(
    1, stderr="x.plist: file does not exist or is not readable or is not a regular file\n"
)


def ok(stdout: str = "", stderr: str = "") -> CommandResult:
    return CommandResult(0, stdout=stdout, stderr=stderr)


def plist(value: object) -> CommandResult:
    return ok(plistlib.dumps(value, fmt=plistlib.FMT_XML).decode())


# --- FileVault -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "state", "encrypted", "protection", "percent"),
    [
        ("FileVault is On.\n", "encrypted", True, True, None),
        ("FileVault is Off.\n", "decrypted", False, False, None),
        (
            "FileVault is On.\nEncryption in progress: Percent completed = 42.5\n",
            "encrypting",
            False,
            True,
            42.5,
        ),
        ("Encryption in progress: percent completed = 7\n", "encrypting", False, False, 7.0),
        ("FileVault is On.\nEncryption in progress: Pending\n", "encrypting", False, True, None),
        ("Decryption in progress: Percent completed = 12.0\n", "decrypting", False, False, 12.0),
        ("FileVault is On.\nEncryption paused: percent completed = 60", "paused", False, True, 60),
    ],
)  # fmt: skip
def test_fdesetup_states(
    text: str, state: str, encrypted: bool, protection: bool, percent: float | None
) -> None:
    volume = parse_fdesetup(text)
    assert (volume.volume, volume.kind, volume.method) == ("system", "os", "FileVault")
    assert volume.state == state
    assert seen_value(volume.encrypted) is encrypted
    assert volume.protection_on is protection
    assert volume.percent == percent


def test_fdesetup_deferred_enablement_is_off_and_says_so() -> None:
    volume = parse_fdesetup(
        "FileVault is Off.\nDeferred enablement appears to be active for user 'hanako'.\n"
    )
    assert seen_value(volume.encrypted) is False
    assert volume.detail == "FileVault=Off, DeferredEnablement=hanako"
    assert volume.deferred_user == "hanako"


@pytest.mark.parametrize("text", ["", "Error: something went wrong\n", "FileVault is maybe."])
def test_fdesetup_unrecognised_output_is_an_error_not_a_state(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_fdesetup(text)


def test_fdesetup_missing_or_failing() -> None:
    collector = MacosDiskEncryption()
    with pytest.raises(FactUnavailable):
        collector.parse({FDESETUP.key: CommandResult(127)}, MAC_ROOT)
    with pytest.raises(CollectorError, match="exited 1"):
        collector.parse({FDESETUP.key: CommandResult(1, stderr="boom")}, MAC_ROOT)


# --- Application Firewall --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("Firewall is disabled. (State = 0)\n", 0),
        ("Firewall is enabled. (State = 1)\n", 1),
        ("Firewall is enabled. (State = 2)\n", 2),
        ("Firewall is blocking all non-essential incoming connections. (State = 2)\n", 2),
        ("Firewall is enabled.\n", 1),
        ("Firewall is disabled.\n", 0),
    ],
)
def test_global_state_wordings(text: str, state: int) -> None:
    assert parse_global_state(text) == state


@pytest.mark.parametrize(
    "text",
    [
        "",
        "State = 1",
        "Firewall is enabled. (State = 7)",
        # Words and number that disagree, or two numbers: neither is believed (the number
        # alone used to make "disabled" an enabled firewall).
        "Firewall is disabled. (State = 1)\n",
        "Firewall is enabled. (State = 0)\n",
        "Firewall is disabled. (State = 0)\nFirewall is enabled. (State = 2)\n",
        "Firewall is enabled. (State = 1)\nFirewall is disabled.\n",
    ],
)
def test_global_state_unknown_is_an_error(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_global_state(text)


def test_firewall_fact_requires_every_profile_and_reads_stealth() -> None:
    results = {
        GLOBAL_STATE.key: ok("Firewall is enabled. (State = 1)\n"),
        STEALTH_MODE.key: ok("Stealth mode enabled\n"),
    }
    fact = MacosFirewall().parse(results, MAC_ROOT)
    assert fact.require == "all"
    (profile,) = fact.profiles
    assert (profile.name, v(profile.enabled), v(profile.inbound_default)) == (
        "Application Firewall",
        True,
        "deny",
    )
    assert "stealth mode on" in profile.detail
    off = MacosFirewall().parse(
        {GLOBAL_STATE.key: ok("Firewall is disabled. (State = 0)\n"), STEALTH_MODE.key: NO_FILE},
        MAC_ROOT,
    )
    assert v(off.profiles[0].enabled) is False


# --- Listening ports -------------------------------------------------------------------

LSOF_TCP_OUT = (
    "p349\nclauncher\nLroot\nf12\nn127.0.0.1:49152\n"
    "p602\ncControlCenter\nLhanako\nf8\nn*:7000\nf9\nn*:7000\nf10\nn[::1]:631\n"
)
LSOF_UDP_OUT = (
    "p431\ncmDNSResponder\nL_mdnsresponder\nf7\nn*:5353\n"
    "p548\ncrapportd\nLhanako\nf12\nn192.168.1.23:61022->17.253.4.125:123\n"
    "p900\ncodd\nLhanako\nf3\nn[fe80:4::1]:5353\n"
)
NETSTAT_TCP_OUT = """Active Internet connections (including servers)
Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)
tcp4       0      0  192.168.1.23.52144     17.57.146.20.5223      ESTABLISHED
tcp46      0      0  *.7000                 *.*                    LISTEN
tcp6       0      0  ::1.631                *.*                    LISTEN
tcp4       0      0  127.0.0.1.49152        *.*                    LISTEN
tcp4       0      0  *.5900                 *.*                    LISTEN
"""
NETSTAT_UDP_OUT = """Active Internet connections (including servers)
Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)
udp4       0      0  *.*                    *.*
udp46      0      0  *.5353                 *.*
udp6       0      0  fe80::1%lo0.5353       *.*
udp4       0      0  192.168.1.23.61022     17.253.4.125.123
"""


def test_lsof_fields_give_full_names_and_skip_connected_udp() -> None:
    tcp = parse_lsof_fields(LSOF_TCP_OUT, "tcp")
    assert tcp[("tcp", "*", 7000)].process == "ControlCenter"  # not truncated to 9 chars
    assert tcp[("tcp", "::1", 631)].user == "hanako"
    assert tcp[("tcp", "127.0.0.1", 49152)].pid == 349
    udp = parse_lsof_fields(LSOF_UDP_OUT, "udp")
    assert set(udp) == {("udp", "*", 5353), ("udp", "fe80:4::1", 5353)}


def test_netstat_lists_listeners_only() -> None:
    assert parse_netstat(NETSTAT_TCP_OUT, "tcp") == [
        ("tcp", "*", 7000),
        ("tcp", "::1", 631),
        ("tcp", "127.0.0.1", 49152),
        ("tcp", "*", 5900),
    ]
    assert parse_netstat(NETSTAT_UDP_OUT, "udp") == [("udp", "*", 5353), ("udp", "fe80::1", 5353)]


def test_netstat_garbled_address_is_an_error() -> None:
    with pytest.raises(CollectorError):
        parse_netstat("tcp4 0 0 garbage *.* LISTEN\n", "tcp")


def _ports(results: dict[str, CommandResult], platform: PlatformInfo) -> object:
    return MacosListeningPorts().parse(results, platform)


def test_sockets_lsof_cannot_see_are_still_listed_without_owner() -> None:
    results = {
        NETSTAT_TCP.key: ok(NETSTAT_TCP_OUT),
        NETSTAT_UDP.key: ok(NETSTAT_UDP_OUT),
        # Not root: lsof shows only the caller's own sockets.
        LSOF_TCP.key: ok("p602\ncControlCenter\nLhanako\nf8\nn*:7000\n"),
        LSOF_UDP.key: CommandResult(1),
    }
    fact = MacosListeningPorts().parse(results, MAC_USER)
    by_port = {(s.protocol, s.port): s for s in fact.sockets}
    assert by_port[("tcp", 5900)].process is None  # Screen Sharing, owned by root: still seen
    assert by_port[("tcp", 7000)].process == "ControlCenter"
    assert fact.owners_complete is False
    assert fact.owners_note is not None and "root" in i18n.t("en", fact.owners_note.key)


def test_without_netstat_only_root_gets_a_complete_list() -> None:
    results = {
        NETSTAT_TCP.key: CommandResult(127, stderr="netstat: command not found"),
        NETSTAT_UDP.key: CommandResult(127),
        LSOF_TCP.key: ok(LSOF_TCP_OUT),
        LSOF_UDP.key: ok(LSOF_UDP_OUT),
    }
    with pytest.raises(FactUnavailable) as caught:
        MacosListeningPorts().parse(results, MAC_USER)
    assert caught.value.needs_privilege == "root"
    fact = MacosListeningPorts().parse(results, MAC_ROOT)
    assert {s.port for s in fact.sockets} == {7000, 631, 49152, 5353}
    assert fact.owners_complete is True


def test_without_netstat_an_lsof_that_failed_is_no_empty_list_even_as_root() -> None:
    # lsof exits 1 both for "no socket matched" (silently) and for errors (said on
    # stderr): with netstat failed too, an error read as "no match" was an empty list.
    failed = CommandResult(1, stderr="lsof: (any complaint)\n")  # not lsof's words: any
    results = {
        NETSTAT_TCP.key: CommandResult(127, stderr="netstat: command not found"),
        NETSTAT_UDP.key: CommandResult(127),
        LSOF_TCP.key: failed,
        LSOF_UDP.key: failed,
    }
    with pytest.raises(FactUnavailable):
        MacosListeningPorts().parse(results, MAC_ROOT)
    silent = {**results, LSOF_TCP.key: CommandResult(1), LSOF_UDP.key: CommandResult(1)}
    assert MacosListeningPorts().parse(silent, MAC_ROOT).sockets == ()


# --- Patches ---------------------------------------------------------------------------


def _history(*entries: tuple[datetime, str, str]) -> list[dict[str, object]]:
    return [
        {"date": when, "displayName": name, "displayVersion": version, "processName": "x"}
        for when, name, version in entries
    ]


def test_background_data_updates_do_not_count_as_os_updates() -> None:
    history = _history(
        (datetime(2026, 1, 5), "macOS Sonoma 14.2.1", "14.2.1"),
        (datetime(2026, 11, 19), "XProtectPlistConfigData", "5283"),
        (datetime(2026, 11, 20), "MRTConfigData", "1.93"),
        (datetime(2026, 11, 21), "Gatekeeper Compatibility Data", "181"),
    )
    got = last_os_update(history)
    assert got is not None
    assert got[0] == datetime(2026, 1, 5, tzinfo=UTC)
    assert "14.2.1" in got[1]
    assert last_os_update(_history((datetime(2026, 1, 5), "XProtectPayloads", "1"))) is None


def test_recommended_updates_need_a_recorded_successful_check() -> None:
    listed = {"RecommendedUpdates": [{"Display Name": "macOS Sequoia 15.1.1"}]}
    assert recommended_updates(listed) is None
    (entry,) = recommended_updates({**listed, "LastSuccessfulDate": datetime(2026, 11, 20)}) or []
    assert (entry.name, entry.version, entry.kind) == ("macOS Sequoia 15.1.1", "15.1.1", None)


def test_automatic_updates_managed_preferences_win() -> None:
    on = {"AutomaticCheckEnabled": True, "AutomaticallyInstallMacOSUpdates": True}
    on["CriticalUpdateInstall"] = True
    assert automatic_updates(on, {}) is True
    assert automatic_updates(on, {"AutomaticallyInstallMacOSUpdates": False}) is False
    assert automatic_updates({}, on) is True
    assert automatic_updates({}, {}) is None  # release defaults are not evidence


@pytest.mark.parametrize(
    ("installed", "running", "expected"),
    [
        ("15.1", "15.1", False),
        ("15.1.1", "15.1", True),
        ("14.5", "14.7.1", None),
        (None, "15.1", None),
    ],
)  # fmt: skip
def test_restart_pending_from_versions(
    installed: str | None, running: str, expected: bool | None
) -> None:
    assert seen_value(restart_pending(installed, running)[0]) is expected


def test_patches_fact_from_local_records() -> None:
    results = {
        INSTALL_HISTORY.key: plist(
            _history((datetime(2026, 11, 12), "macOS Sequoia 15.1", "15.1"))
        ),
        PREFS.key: plist(
            {
                "LastSuccessfulDate": datetime(2026, 11, 20),
                "RecommendedUpdates": [
                    {"Display Name": "macOS Sequoia 15.1.1", "Display Version": "15.1.1"},
                    {"Display Name": "Command Line Tools for Xcode", "Display Version": "16.1"},
                ],
            }
        ),
        MANAGED_PREFS.key: NO_FILE,
    }  # fmt: skip
    fact = MacosPatches().parse(results, MAC_ROOT)
    assert fact.pending_updates == 2
    assert seen_value(fact.pending_security_updates) == 1
    assert fact.pending_security_names == ("macOS Sequoia 15.1.1",)
    assert seen_value(fact.last_update) == datetime(2026, 11, 12, tzinfo=UTC)
    assert seen_value(fact.reboot_required) is False
    assert fact.auto_update_enabled is None
    missing = MacosPatches().parse(
        {INSTALL_HISTORY.key: NO_FILE, PREFS.key: NO_FILE, MANAGED_PREFS.key: NO_FILE}, MAC_ROOT
    )
    assert seen_value(missing.last_update) is None and reason_text(missing.last_update)
    assert missing.pending_updates is None and reason_text(missing.pending_security_updates)
    assert seen_value(missing.reboot_required) is None


def test_plist_entity_declarations_are_refused() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><plist><string>&b;</string></plist>'
    )
    with pytest.raises(CollectorError):
        parse_plist(ok(bomb), "hostile.plist")


# --- Screen lock -----------------------------------------------------------------------

STAMP = "2026-11-20 09:00:01.234 sysadminctl[2345:6789]"


@pytest.mark.parametrize(
    ("stderr", "expected"),
    [
        (f"{STAMP} screenLock delay is immediate", (True, 0)),
        (f"{STAMP} screenLock delay is 300 seconds", (True, 300)),
        (f"{STAMP} screenLock delay is -1.000000 seconds", (False, None)),
        (f"{STAMP} screenLock is off", (False, None)),
        ("", None),
    ],
)  # fmt: skip
def test_sysadminctl(stderr: str, expected: tuple[bool, int | None] | None) -> None:
    assert parse_sysadminctl(stderr) == expected


@pytest.mark.parametrize("text", ["501 ../../etc", "501 -u", "x hanako", "501", "501 a b"])
def test_hostile_console_owner_is_refused(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_console_owner(text)


def _round_one(owner: str, whoami: str) -> dict[str, CommandResult]:
    return {
        CONSOLE_OWNER.key: ok(owner + "\n"),
        WHOAMI.key: ok(whoami + "\n"),
        MANAGED_GLOBAL.key: NO_FILE,
    }


@pytest.mark.parametrize("owner", ["0 root", "88 loginwindow", "248 _mbsetupuser"])
def test_nobody_logged_on(owner: str) -> None:
    collector = MacosScreenLock()
    results = _round_one(owner, "root")
    assert len(collector.commands(MAC_ROOT, results)) == 3  # no per-user probe of root
    fact = collector.parse(results, MAC_ROOT)
    assert v(fact.users) is None and why(fact.users)


def test_root_reads_the_console_user_through_launchctl_asuser() -> None:
    collector = MacosScreenLock()
    cmds = collector.commands(MAC_ROOT, _round_one("501 hanako", "root"))
    keys = [c.key for c in cmds]
    assert (
        "launchctl asuser 501 sudo -n -u hanako defaults -currentHost read "
        "com.apple.screensaver idleTime"
    ) in keys
    managed = "/Library/Managed Preferences/hanako/com.apple.screensaver.plist"
    assert f"plutil -convert xml1 -o - '{managed}'" in keys


def test_the_console_user_itself_runs_the_probes_directly() -> None:
    cmds = MacosScreenLock().commands(MAC_USER, _round_one("501 hanako", "hanako"))
    assert Argv(("sysadminctl", "-screenLock", "status")).key in [c.key for c in cmds]


def _user_results(
    whoami: str, idle: CommandResult, sysadminctl: CommandResult, managed: CommandResult
) -> dict[str, CommandResult]:
    results = _round_one("501 hanako", whoami)
    cmds = MacosScreenLock()._user_commands(Console("501", "hanako"), whoami)
    missing = CommandResult(1, stderr="The domain/default pair of (x, y) does not exist")
    results[cmds["idle"].key] = idle
    results[cmds["ask"].key] = missing
    results[cmds["sysadminctl"].key] = sysadminctl
    results[cmds["managed_user"].key] = managed
    return results


def test_profile_wins_over_the_user_setting() -> None:
    results = _user_results(
        "root",
        ok("1800\n"),
        ok("", "2026-11-20 sysadminctl[1:2] screenLock delay is 300 seconds\n"),
        plist({"idleTime": 600, "askForPassword": 1, "askForPasswordDelay": 5}),
    )
    (user,) = v(MacosScreenLock().parse(results, MAC_ROOT).users)
    assert (user.user, v(user.idle_seconds), v(user.lock_delay_seconds)) == ("hanako", 600, 5)
    assert (
        v(user.enforced_by_policy) is True
        and why(user.lock_enabled) == why(user.lock_delay_seconds) == ""
    )


def test_user_settings_without_profile() -> None:
    results = _user_results(
        "root", ok("0\n"), ok("", "2026-11-20 sysadminctl[1:2] screenLock is off\n"), NO_FILE
    )
    (user,) = v(MacosScreenLock().parse(results, MAC_ROOT).users)
    assert (v(user.idle_seconds), v(user.lock_enabled), v(user.enforced_by_policy)) == (
        0,
        False,
        False,
    )
    assert why(user.idle_seconds) == why(user.lock_enabled) == ""


def test_refused_sudo_is_unknown_not_a_setting() -> None:
    denied = CommandResult(1, stderr="sudo: a password is required\n")
    results = _user_results("auditor", denied, denied, NO_FILE)
    (user,) = v(MacosScreenLock().parse(results, MAC_USER).users)
    assert v(user.idle_seconds) is None and v(user.lock_enabled) is None
    assert "root" in why(user.idle_seconds)


def test_unset_idle_time_is_unknown() -> None:
    missing = CommandResult(1, stderr="The domain/default pair of (x, idleTime) does not exist")
    results = _user_results(
        "root", missing, ok("", "x sysadminctl[1:2] screenLock delay is immediate\n"), NO_FILE
    )
    (user,) = v(MacosScreenLock().parse(results, MAC_ROOT).users)
    assert v(user.lock_enabled) is True and v(user.idle_seconds) is None
    assert "idleTime" in why(user.idle_seconds)


def test_profile_without_delay_takes_the_users_delay() -> None:
    results = _user_results(
        "root",
        ok("600\n"),
        ok("", f"{STAMP} screenLock delay is 300 seconds\n"),
        plist({"askForPassword": True}),
    )
    (user,) = v(MacosScreenLock().parse(results, MAC_ROOT).users)
    assert (v(user.lock_enabled), v(user.lock_delay_seconds), v(user.enforced_by_policy)) == (
        True,
        300,
        False,
    )


def test_profile_without_delay_and_no_sysadminctl_is_unknown() -> None:
    results = _user_results("root", ok("600\n"), ok("", ""), plist({"askForPassword": 1}))
    (user,) = v(MacosScreenLock().parse(results, MAC_ROOT).users)
    assert v(user.lock_enabled) is True and v(user.lock_delay_seconds) is None
    assert "delay" in why(user.lock_delay_seconds)


def test_legacy_user_keys_are_never_taken_as_the_setting() -> None:
    results = _user_results("root", ok("600\n"), ok("", ""), NO_FILE)
    ask = MacosScreenLock()._user_commands(Console("501", "hanako"), "root")["ask"]
    results[ask.key] = ok("1\n")
    (user,) = v(MacosScreenLock().parse(results, MAC_ROOT).users)
    assert v(user.lock_enabled) is None
    assert "legacy askForPassword 1" in user.detail
    assert "sysadminctl" in why(user.lock_enabled)


# --- FileVault qualifiers and exit statuses --------------------------------------------

KEYCHAIN = "FileVault master keychain appears to be installed.\n"


@pytest.mark.parametrize(
    ("text", "state", "encrypted"),
    [
        ("FileVault is On, but needs to be restarted to finish.\n", "restart_pending", False),
        ("FileVault is Off, but will be enabled after the next restart.\n", "decrypted", False),
        ("FileVault is Off, but needs to be restarted to finish.\n", "decrypted", False),
        ("FileVault is On, but conversion is in progress.\n", None, None),
        ("FileVault is On, but something new.\n", None, None),
        (f"{KEYCHAIN}FileVault is On.\n", "encrypted", True),
        ("FileVault is Off.\nDecryption in progress: Percent complete = 35\n", "decrypting", False),
        ("Deferred enablement appears to be active.\n", "decrypted", False),
        ("FileVault is On.\nDeferred enablement appears to be active for user 'a'.\n", None, None),
    ],
)  # fmt: skip
def test_fdesetup_qualified_states_are_never_encrypted(
    text: str, state: str | None, encrypted: bool | None
) -> None:
    volume = parse_fdesetup(text)
    assert (volume.state, seen_value(volume.encrypted)) == (state, encrypted)
    if encrypted is None:
        assert reason_text(volume.encrypted)
    if state == "restart_pending":
        assert "NeedsRestart" in volume.detail


def test_fdesetup_detail_is_the_state_line_not_the_keychain_line() -> None:
    volume = parse_fdesetup(
        "FileVault master keychain appears to be installed.\nFileVault is On.\n"
    )
    assert volume.detail == "FileVault=On"


def test_fdesetup_exit_statuses() -> None:
    collector = MacosDiskEncryption()
    off = collector.parse({FDESETUP.key: CommandResult(1, stdout="FileVault is Off.\n")}, MAC_ROOT)
    assert seen_value(off.volumes[0].encrypted) is False
    # fdesetup(8): 2 = "FileVault appears to be On but Busy": not verified.
    busy = collector.parse({FDESETUP.key: CommandResult(2, stdout="FileVault is On.\n")}, MAC_ROOT)
    assert seen_value(busy.volumes[0].encrypted) is None and "busy" in (
        reason_text(busy.volumes[0].encrypted) or ""
    )
    with pytest.raises(CollectorError, match="exited 1"):
        collector.parse({FDESETUP.key: CommandResult(1, stdout="FileVault is On.\n")}, MAC_ROOT)
    with pytest.raises(CollectorError, match="exited 11"):
        collector.parse({FDESETUP.key: CommandResult(11, stdout="FileVault is On.\n")}, MAC_ROOT)


@settings(max_examples=300, deadline=None)
@given(
    qualifier=st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"),
        min_size=1,
        max_size=60,
    ).filter(lambda q: q.strip(" .,")),
    rest=st.text(max_size=200),
)
def test_fdesetup_any_qualifier_is_never_verified_encryption(qualifier: str, rest: str) -> None:
    text = f"FileVault is On, {qualifier}\n{rest}"
    try:
        volume = parse_fdesetup(text)
    except CollectorError:
        return
    assert seen_value(volume.encrypted) is not True
    assert volume.state != "encrypted"


# --- Recommended updates: major upgrades, RSRs, stale lists -----------------------------


def _rec(name: str, version: str | None = None, key: str | None = None) -> dict[str, object]:
    item: dict[str, object] = {"Display Name": name}
    if version:
        item["Display Version"] = version
    if key:
        item["Identifier"] = item["Product Key"] = key
    return item


MAJOR_1 = "MSU_UPDATE_23G93_patch_14.6.1_major"
MINOR_1 = "MSU_UPDATE_22G830_patch_13.6.9_minor"
RSR_1 = "MSU_UPDATE_22F770820d_patch_13.4.1_rsr"


@pytest.mark.parametrize(
    ("item", "running", "upgrade"),
    [
        (_rec("macOS Sonoma 14.6.1", "14.6.1", MAJOR_1), "13.6.9", True),
        (_rec("macOS Ventura 13.6.9", "13.6.9", MINOR_1), "13.6.7", False),
        (_rec("macOS Ventura 13.4.1 (a)", "13.4.1 (a)", RSR_1), "13.4.1", False),
        (_rec("macOS Monterey 12.6", "12.6", "MSU_UPDATE_21G115_patch_12.6"), "12.5.1", False),
        (_rec("macOS Tahoe 26.1", "26.1", "MSU_UPDATE_25B78_patch_26.1"), "15.7.1", True),
        (_rec("macOS 26.1"), "15.7.1", True),
        (_rec("macOS Sequoia 15.7.2", "15.7.2"), "15.7.1", False),
        (_rec("macOS Sonoma 14.0", "14.0"), "13.6", True),
        (_rec("macOS Big Sur 11.2.1", "11.2.1"), "10.15.7", True),
        (_rec("macOS Catalina Security Update 2021-001", "10.15.7"), "10.15.7", False),
        (_rec("Safari", "16.0", "Safari16.0MontereyAuto"), "12.5", False),
    ],
)
def test_major_upgrades_are_told_from_updates(
    item: dict[str, object], running: str, upgrade: bool
) -> None:
    (entry,) = recommended_updates({"RecommendedUpdates": [item], "LastSuccessfulDate": NOW}) or []
    assert is_major_upgrade(entry, running) is upgrade


def _prefs(*items: dict[str, object], checked: datetime | None = None) -> CommandResult:
    return plist({"LastSuccessfulDate": checked or NOW, "RecommendedUpdates": list(items)})


def _patches(prefs: CommandResult, platform: PlatformInfo = MAC_ROOT) -> PatchFacts:
    results = {
        INSTALL_HISTORY.key: plist(
            _history((datetime(2026, 11, 12), "macOS Sequoia 15.1", "15.1"))
        ),
        PREFS.key: prefs,
        MANAGED_PREFS.key: NO_FILE,
    }
    return MacosPatches().parse(results, platform)


def test_a_major_upgrade_offered_to_a_patched_mac_is_not_pending() -> None:
    fact = _patches(
        _prefs(
            _rec("macOS Tahoe 26.1", "26.1", "MSU_UPDATE_25B78_patch_26.1_major"),
            _rec("Safari", "26.1", "Safari26.1SequoiaAuto"),
        )
    )
    assert seen_value(fact.pending_security_updates) == 0
    assert fact.pending_updates == 1
    assert fact.pending_upgrades == ("macOS Tahoe 26.1",)


def test_a_minor_update_and_an_rsr_are_pending_security_updates() -> None:
    fact = _patches(
        _prefs(
            _rec("macOS Sequoia 15.1.1", "15.1.1", "MSU_UPDATE_24B91_patch_15.1.1_minor"),
            _rec("macOS Sequoia 15.1 (a)", "15.1 (a)", "MSU_UPDATE_24B83a_patch_15.1_rsr"),
            _rec("macOS Tahoe 26.1", "26.1", "MSU_UPDATE_25B78_patch_26.1_major"),
        )
    )
    assert fact.pending_security_names == ("macOS Sequoia 15.1.1", "macOS Sequoia 15.1 (a)")
    assert fact.pending_upgrades == ("macOS Tahoe 26.1",)


def test_without_the_running_version_a_macos_entry_is_unknown() -> None:
    unknown = PlatformInfo(family=OsFamily.MACOS, version=None, is_admin=True)
    fact = _patches(_prefs(_rec("macOS Sequoia 15.1.1", "15.1.1")), unknown)
    assert seen_value(fact.pending_security_updates) is None
    assert "macOS Sequoia 15.1.1" in (reason_text(fact.pending_security_updates) or "")
    # A product key that says minor needs no version to compare with.
    keyed = _patches(
        _prefs(_rec("macOS Sequoia 15.1.1", "15.1.1", "MSU_UPDATE_24B91_patch_15.1.1_minor")),
        unknown,
    )
    assert seen_value(keyed.pending_security_updates) == 1


def test_the_list_date_is_passed_on_as_the_index_refresh_time() -> None:
    checked = datetime(2026, 9, 2, 5, 41, 7)
    fact = _patches(_prefs(checked=checked))
    assert seen_value(fact.pending_security_updates) == 0
    assert fact.index_refreshed == checked.replace(tzinfo=UTC)
    assert fact.index_source == INDEX_SOURCE
    assert "LastSuccessfulDate" in INDEX_SOURCE


# --- plutil: a missing file is not an unreadable one ----------------------------------

_MISSING_260 = (
    "/x/y.plist: file does not exist or is not readable or is not a regular file (Error "
    'Domain=NSCocoaErrorDomain Code=260 "The file “y.plist” couldn’t be opened because there '
    'is no such file." UserInfo={NSFilePath=/x/y.plist})\n'
)
_DENIED_257 = (
    "/x/y.plist: file does not exist or is not readable or is not a regular file (Error "
    'Domain=NSCocoaErrorDomain Code=257 "The file “y.plist” couldn’t be opened because you '
    'don’t have permission to view it." UserInfo={NSFilePath=/x/y.plist})\n'
)


def test_plutil_missing_and_unreadable_files() -> None:
    assert plist_missing(CommandResult(1, stdout=_MISSING_260))
    assert plist_missing(NO_FILE)
    assert not plist_missing(CommandResult(1, stdout=_DENIED_257))
    assert not plist_missing(CommandResult(0, stdout=_MISSING_260))
    # An unreadable managed profile is an error, never "no profile".
    with pytest.raises(CollectorError, match="exited 1"):
        plist_dict(CommandResult(1, stdout=_DENIED_257), "/x/y.plist")


@settings(max_examples=200)
@given(
    st.lists(
        st.sampled_from(
            [
                "Firewall is enabled.",
                "Firewall is disabled.",
                "(State = 0)",
                "(State = 1)",
                "(State = 2)",
                "Stealth mode enabled",
            ]
        ),
        max_size=4,
    )
)
def test_global_state_is_never_on_against_a_disabled_word(parts: list[str]) -> None:
    text = "\n".join(parts)
    try:
        state = parse_global_state(text)
    except CollectorError:
        return
    if state:
        assert "disabled" not in text and "(State = 0)" not in text
    else:
        assert "enabled." not in text and "(State = 1)" not in text and "(State = 2)" not in text


_PLIST_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20)


_JUNK = st.one_of(st.integers(-(2**63), 2**63 - 1), _PLIST_TEXT, st.booleans())


@given(st.lists(_JUNK, min_size=1))
def test_an_entry_that_is_no_update_record_leaves_the_pending_updates_unknown(
    junk: list[object],
) -> None:
    # It was dropped, so a list of one security update and junk counted fewer updates.
    update = _rec("macOS Sequoia 15.1.1", "15.1.1", "MSU_UPDATE_24B91_patch_15.1.1_minor")
    fact = _patches(_prefs(update, *junk))  # type: ignore[arg-type]
    assert fact.pending_updates is None
    assert "RecommendedUpdates" in reason_text(fact.pending_security_updates)
