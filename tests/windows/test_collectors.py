"""parse() of each Windows collector on the recorded cases, English and Japanese."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from endpoint_audit.checks.disk_encryption.facts import DiskEncryptionFacts
from endpoint_audit.checks.disk_encryption.windows import (
    BITLOCKER,
    WindowsBitLocker,
    parse_bitlocker,
)
from endpoint_audit.checks.firewall.facts import FirewallFacts
from endpoint_audit.checks.firewall.windows import WindowsFirewall, parse_profiles
from endpoint_audit.checks.open_ports.facts import ListeningPortsFacts
from endpoint_audit.checks.open_ports.windows import WindowsListeningPorts
from endpoint_audit.checks.patch_level.facts import PatchFacts
from endpoint_audit.checks.patch_level.windows import (
    WINDOWS_UPDATE,
    WINDOWS_UPDATE_PENDING,
    WindowsPatches,
    parse_installed_on,
    parse_windows_update,
    read_hotfixes,
)
from endpoint_audit.checks.screen_lock.facts import ScreenLockFacts
from endpoint_audit.checks.screen_lock.windows import WindowsScreenLock, parse_screen_lock
from endpoint_audit.errors import CollectorError, FactUnavailable, english
from endpoint_audit.model import i18n
from endpoint_audit.model.commands import CommandResult
from endpoint_audit.model.observed import Reason
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from tests.observed_view import detail_text, reason_text, seen_value
from tests.seen import v, why
from tests.windows.conftest import CASES, load_case, results_of, value_of

WINDOWS = PlatformInfo(family=OsFamily.WINDOWS, transport="replay")
NOT_RUN = Reason(key="patch_level.reason.wu_search_not_run")


def bitlocker(name: str) -> DiskEncryptionFacts:
    return WindowsBitLocker().parse(results_of(name), WINDOWS)


def firewall(name: str) -> FirewallFacts:
    return WindowsFirewall().parse(results_of(name), WINDOWS)


def ports(name: str) -> ListeningPortsFacts:
    return WindowsListeningPorts().parse(results_of(name), WINDOWS)


def patches(name: str) -> PatchFacts:
    return WindowsPatches().parse(results_of(name), WINDOWS)


def screen(name: str) -> ScreenLockFacts:
    return WindowsScreenLock().parse(results_of(name), WINDOWS)


PARSERS = {"bitlocker": bitlocker, "firewall": firewall, "ports": ports, "patches": patches}
PARSERS["screen"] = screen
EXPECTED_FAILURES = {
    ("win11-23h2-ja-not-admin", "bitlocker"): FactUnavailable,
    ("win11-23h2-en-probe-error", "firewall"): CollectorError,
    # Constrained Language Mode refused these probes: unknown, never a parse error. (The
    # patch probe runs under CLM; only its pending search is refused.)
    **{
        (case, fact): FactUnavailable
        for case in ("win11-23h2-en-clm", "win11-24h2-ja-clm")
        for fact in ("bitlocker", "ports")
    },
}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("fact", sorted(PARSERS))
def test_every_case_parses(name: str, fact: str) -> None:
    expected = EXPECTED_FAILURES.get((name, fact))
    if expected is not None:
        with pytest.raises(expected):
            PARSERS[fact](name)
        return
    got = PARSERS[fact](name)
    # Facts are data: they survive a JSON round trip (bundles, `evaluate`).
    assert type(got).model_validate_json(got.model_dump_json()) == got


# --- BitLocker ------------------------------------------------------------------------


def test_bitlocker_on() -> None:
    facts = bitlocker("win11-23h2-en-compliant")
    c, d = facts.volumes
    assert (c.volume, c.kind, c.state, seen_value(c.encrypted), c.protection_on) == (
        "C:",
        "os",
        "encrypted",
        True,
        True,
    )
    assert c.method == "XTS-AES 128" and c.percent == 100.0
    assert "KeyProtectors=Tpm,RecoveryPassword" in c.detail
    assert (d.volume, d.kind, seen_value(d.encrypted), d.protection_on) == (
        "D:",
        "data",
        True,
        True,
    )


def test_bitlocker_off() -> None:
    (c,) = bitlocker("win10-22h2-en-bitlocker-off").volumes
    assert (c.state, seen_value(c.encrypted), c.protection_on, c.method) == (
        "decrypted",
        False,
        False,
        None,
    )


def test_bitlocker_suspended_is_not_protected() -> None:
    (c,) = bitlocker("win11-24h2-ja-bitlocker-suspended").volumes
    assert (c.state, seen_value(c.encrypted), c.protection_on) == ("suspended", True, False)
    assert c.method == "XTS-AES 256"


def test_bitlocker_encrypting_is_not_encrypted() -> None:
    (c,) = bitlocker("win11-23h2-en-bitlocker-encrypting").volumes
    assert (c.state, seen_value(c.encrypted), c.percent) == ("encrypting", False, 43.7)


def test_unencrypted_data_drive_and_removable_drive() -> None:
    volumes = {v.volume: v for v in bitlocker("win10-22h2-ja-data-drive-unencrypted").volumes}
    assert set(volumes) == {"C:", "D:"}  # E: is a removable drive
    assert volumes["D:"].kind == "data" and seen_value(volumes["D:"].encrypted) is False


def test_data_volume_that_is_not_a_fixed_disk_is_not_judged() -> None:
    value = value_of("win10-22h2-ja-data-drive-unencrypted", "bitlocker")
    value["volumes"][2]["volume_type"] = 1  # the USB stick E:, as BitLocker may call it
    assert {v.volume for v in parse_bitlocker(value).volumes} == {"C:", "D:"}
    value["fixed_drives"] = []  # drive types unknown: judge every volume BitLocker lists
    # (and say that a fixed drive it does not list would go unseen)
    assert {v.volume for v in parse_bitlocker(value).volumes} == {
        "C:", "D:", "E:", "fixed drives",
    }  # fmt: skip


def test_wmi_fallback() -> None:
    (c,) = bitlocker("win10-22h2-en-wmi-fallback").volumes
    assert (seen_value(c.encrypted), c.protection_on, c.method) == (True, True, "XTS-AES 256")
    assert "TpmPin" in c.detail


def test_bitlocker_without_elevation_needs_administrator() -> None:
    with pytest.raises(FactUnavailable) as caught:
        bitlocker("win11-23h2-ja-not-admin")
    assert caught.value.needs_privilege == "administrator"
    # The Japanese error text is not what decided it.
    assert "アクセス" not in english(caught.value.reason)
    # The reason is a key: a Japanese report says it in Japanese.
    assert isinstance(caught.value.reason, Reason)
    assert i18n.t("ja", caught.value.reason.key) == (
        "BitLocker の状態は管理者として昇格したトークンでのみ読み取れます"
    )


def test_fixed_drive_bitlocker_did_not_list_is_unknown() -> None:
    value = value_of("win11-23h2-en-compliant", "bitlocker")
    value["fixed_drives"] = ["C:", "D:", "F:"]
    facts = parse_bitlocker(value)
    (f,) = [v for v in facts.volumes if v.volume == "F:"]
    assert seen_value(f.encrypted) is None and reason_text(f.encrypted)


def test_elevated_but_no_interface_is_unknown_not_pass() -> None:
    value = {"is_admin": True, "source": None, "volumes": [], "fixed_drives": ["C:"]}
    value["failures"] = [{"source": "Win32_EncryptableVolume", "error": "x", "hresult": -1}]
    with pytest.raises(FactUnavailable) as caught:
        parse_bitlocker(value)
    assert caught.value.needs_privilege is None
    assert "0xFFFFFFFF" in english(caught.value.reason)


def test_unknown_volume_status_is_not_encrypted() -> None:
    value = value_of("win11-23h2-en-compliant", "bitlocker")
    value["volumes"][0]["volume_status"] = 9
    value["volumes"][0]["volume_status_name"] = None
    c = parse_bitlocker(value).volumes[0]
    assert seen_value(c.encrypted) is None and c.state is None and reason_text(c.encrypted)


def test_failed_bitlocker_probe_is_an_error() -> None:
    results = dict(results_of("win11-23h2-en-compliant"))
    results[BITLOCKER.key] = CommandResult(124, stderr="timed out", timed_out=True)
    with pytest.raises(CollectorError):
        WindowsBitLocker().parse(results, WINDOWS)


# --- firewall -------------------------------------------------------------------------


def test_firewall_all_profiles_on() -> None:
    facts = firewall("win11-23h2-ja-compliant")
    assert facts.require == "all"
    assert [(p.name, v(p.enabled), v(p.inbound_default)) for p in facts.profiles] == [
        ("Domain", True, "deny"),  # NotConfigured: the default, Block
        ("Private", True, "deny"),
        ("Public", True, "deny"),
    ]


def test_firewall_profile_off_and_inbound_allow() -> None:
    off = {p.name: p for p in firewall("win11-24h2-en-firewall-public-off").profiles}
    assert v(off["Public"].enabled) is False
    allow = {p.name: p for p in firewall("win10-22h2-ja-firewall-inbound-allow").profiles}
    assert v(allow["Domain"].enabled) is True and v(allow["Domain"].inbound_default) == "allow"
    assert "DefaultInboundAction=Allow" in allow["Domain"].detail


def test_firewall_missing_profile_and_not_configured_enabled_are_unknown() -> None:
    value = value_of("win11-23h2-en-compliant", "firewall_profiles")
    value = [p for p in value if p["name"] != "Private"]
    value[0]["enabled"] = 2
    profiles = {p.name: p for p in parse_profiles(value).profiles}
    assert v(profiles["Private"].enabled) is None and why(profiles["Private"].enabled)
    assert v(profiles["Domain"].enabled) is None and why(profiles["Domain"].enabled)


def test_firewall_lone_profile_object_is_accepted() -> None:
    # ConvertTo-Json prints a one-element array as the element alone.
    value = value_of("win11-23h2-en-compliant", "firewall_profiles")[2]
    facts = parse_profiles(value)
    assert [p.name for p in facts.profiles if v(p.enabled)] == ["Public"]


# --- listening sockets ----------------------------------------------------------------


def test_rdp_listener_and_owner() -> None:
    facts = ports("win11-23h2-ja-rdp-listening")
    rdp = [s for s in facts.sockets if s.port == 3389]
    assert {(s.protocol, s.address) for s in rdp} == {
        ("tcp", "0.0.0.0"),
        ("tcp", "::"),
        ("udp", "0.0.0.0"),
        ("udp", "::"),
    }
    assert {s.process for s in rdp} == {"svchost"}
    assert {s.user for s in rdp} == {"NT AUTHORITY\\NETWORK SERVICE"}
    assert facts.owners_complete


def test_japanese_process_name_and_scope_ids() -> None:
    facts = ports("win11-23h2-ja-compliant")
    (accounting,) = [s for s in facts.sockets if s.port == 50001]
    assert accounting.process == "会計連携サービス" and accounting.loopback
    assert any(s.address == "fe80::1c1:6b45:9b7e:293a" for s in facts.sockets)


def test_ports_without_elevation_have_no_users() -> None:
    facts = ports("win11-23h2-ja-not-admin")
    assert facts.sockets and all(s.user is None for s in facts.sockets)
    assert all(s.process for s in facts.sockets)


def test_ended_process_makes_owners_incomplete() -> None:
    value = value_of("win11-23h2-en-compliant", "listening_sockets")
    del value["processes"]["1112"]
    from endpoint_audit.checks.open_ports.windows import parse_sockets

    facts = parse_sockets(value)
    assert not facts.owners_complete
    assert any(s.port == 135 and s.process is None for s in facts.sockets)


# --- Windows Update -------------------------------------------------------------------


def test_recent_update_and_build() -> None:
    facts = patches("win11-23h2-ja-compliant")
    assert facts.manager == "windows_update"
    assert seen_value(facts.os_build) == "22631.4460" and facts.os_installation_type == "Client"
    # The November cumulative update from Win32_QuickFixEngineering (a date only), not the
    # .NET update installed the same day nor the newer Defender definition updates.
    assert seen_value(facts.last_update) == datetime(2024, 11, 13, tzinfo=UTC)
    assert "KB5046633" in (detail_text(facts.last_update_source) or "")
    assert "KB5046633（ビルド 22631 の 2024-11 の累積更新プログラム）" in (
        detail_text(facts.last_update_source, "ja") or ""
    )
    assert seen_value(facts.pending_security_updates) == 0 and facts.pending_updates == 0
    assert facts.index_refreshed == datetime(2024, 11, 19, 21, 5, 33, tzinfo=UTC)
    assert seen_value(facts.reboot_required) is False and facts.managed_by is None


def test_ninety_day_old_update_with_net_and_defender_since() -> None:
    facts = patches("win10-22h2-en-updates-90-days")
    # KB5045933 (.NET, 2024-11-13) is in Win32_QuickFixEngineering but is no OS update.
    assert seen_value(facts.last_update) == datetime(2024, 8, 21, tzinfo=UTC)
    assert "KB5041580" in (detail_text(facts.last_update_source) or "")
    assert facts.newest_unlisted_update is None  # the table knows November's update
    assert seen_value(facts.os_build) == "19045.4780"
    assert facts.pending_updates == 4
    assert seen_value(facts.pending_security_updates) == 2
    assert facts.pending_security_names == ("KB5046613", "KB5046542")


def test_msrt_only_pc_counts_the_august_update() -> None:
    facts = patches("win11-23h2-en-msrt-only-old-build")
    assert seen_value(facts.os_build) == "22631.4037"
    assert seen_value(facts.last_update) == datetime(2024, 8, 14, tzinfo=UTC)


def test_reboot_markers() -> None:
    facts = patches("win11-24h2-ja-bitlocker-suspended")
    assert seen_value(facts.reboot_required) is True
    assert facts.reboot_detail is not None and "Component Based Servicing" in facts.reboot_detail


def test_pending_file_renames_alone_are_no_pending_restart() -> None:
    facts = patches("win11-23h2-en-pending-file-renames")
    assert seen_value(facts.reboot_required) is False and facts.pending_file_renames == 6


def test_wsus_pc_is_managed() -> None:
    facts = patches("win11-24h2-ja-wsus-stale-search")
    assert facts.managed_by == "WSUS"
    assert facts.managed_detail == "WUServer=https://wsus.example.lg.jp:8531, UseWUServer=1"
    assert seen_value(facts.pending_security_updates) == 0
    assert facts.index_refreshed == datetime(2024, 11, 4, 23, 48, 10, tzinfo=UTC)


def test_wufb_deferral_and_mdm_server_are_managed() -> None:
    value = value_of("win11-23h2-en-compliant", "windows_update")
    value["wu_policy"] = {
        "found": True,
        "values": {"DeferQualityUpdates": 1, "DeferQualityUpdatesPeriodInDays": 7},
    }
    facts = parse_windows_update(value, None, NOT_RUN)
    assert facts.managed_by == "Windows Update for Business"
    assert facts.managed_detail == "DeferQualityUpdatesPeriodInDays=7"
    value["mdm_update"] = {"found": True, "values": {"UpdateServiceUrl": "https://wsus.local"}}
    facts = parse_windows_update(value, None, NOT_RUN)
    assert facts.managed_by == "WSUS, Windows Update for Business"
    # WUServer without UseWUServer=1 is not used by Windows Update.
    value["wu_policy"] = {"found": True, "values": {"WUServer": "https://old"}}
    value["mdm_update"] = {"found": False, "values": {}}
    assert parse_windows_update(value, None, NOT_RUN).managed_by is None


def test_32_bit_host_without_the_64_bit_view_is_unknown() -> None:
    facts = patches("win11-23h2-en-32bit-host")
    assert seen_value(facts.os_build) is None and reason_text(facts.os_build)
    assert "32-bit" in reason_text(facts.os_build)
    assert seen_value(facts.reboot_required) is None
    assert reason_text(facts.reboot_required) is not None and "32-bit" in reason_text(
        facts.reboot_required
    )
    assert seen_value(facts.last_update) is None


def test_32_bit_host_reading_through_reg_exe_is_judged() -> None:
    value = value_of("win11-23h2-en-compliant", "windows_update")
    value["wow64"] = True
    value["registry_view"] = "reg.exe /reg:64"
    value["cbs_reboot_pending"] = True
    facts = parse_windows_update(value, None, NOT_RUN)
    assert seen_value(facts.os_build) == "22631.4460"
    assert seen_value(facts.reboot_required) is True
    assert facts.reboot_detail is not None and "reg.exe /reg:64" in facts.reboot_detail


def test_a_marker_whose_parent_key_was_not_read_is_unknown() -> None:
    value = value_of("win11-23h2-en-compliant", "windows_update")
    value["wu_found"] = None  # reg.exe could not say
    facts = parse_windows_update(value, None, NOT_RUN)
    assert seen_value(facts.reboot_required) is None and reason_text(facts.reboot_required)


def test_recording_without_the_bitness_is_unknown_not_pass() -> None:
    value = value_of("win11-23h2-en-compliant", "windows_update")
    del value["wow64"]
    facts = parse_windows_update(value, None, NOT_RUN)
    assert seen_value(facts.reboot_required) is None and seen_value(facts.os_build) is None


def test_one_bad_hotfix_date_loses_nothing_else() -> None:
    value = value_of("win11-23h2-en-compliant", "windows_update")
    value["hotfixes"] = [
        {"id": "KB5044285", "installed_on": "10/9/2024", "description": "Security Update"},
        {"id": "KB5045935", "installed_on": "2024年11月13日", "description": "Update"},
        {"id": "File 1", "installed_on": "", "description": ""},
        {"id": "KB5046633", "installed_on": None, "error": "property getter threw"},
    ]
    facts = parse_windows_update(value, None, NOT_RUN)
    # November's entry has no date: the age cannot be told from October's.
    assert seen_value(facts.last_update) is None
    assert reason_text(facts.last_update) is not None
    assert "KB5046633" in reason_text(facts.last_update)
    value["hotfixes"].pop()
    facts = parse_windows_update(value, None, NOT_RUN)
    assert seen_value(facts.last_update) == datetime(2024, 10, 9, tzinfo=UTC)


def test_hotfix_dates_in_filetime_hex() -> None:
    value = value_of("win11-23h2-en-compliant", "windows_update")
    # 2024-11-13 00:00 UTC as a FILETIME: (unix 1731456000 + 11644473600) * 10**7.
    ticks = (1731456000 + 11644473600) * 10**7
    value["hotfixes"] = [{"id": "KB5046633", "installed_on": f"{ticks:016x}"}]
    facts = parse_windows_update(value, None, NOT_RUN)
    assert seen_value(facts.last_update) == datetime(2024, 11, 13, tzinfo=UTC)


def test_hotfix_listing_failed_is_unknown() -> None:
    value = value_of("win11-23h2-en-compliant", "windows_update")
    value["hotfixes"] = []
    value["hotfix_error"] = "Invalid class"
    facts = parse_windows_update(value, None, NOT_RUN)
    assert seen_value(facts.last_update) is None
    assert reason_text(facts.last_update) == "Win32_QuickFixEngineering: Invalid class"


def test_no_cumulative_update_listed_is_unknown() -> None:
    value = value_of("win11-23h2-en-compliant", "windows_update")
    value["hotfixes"] = [{"id": "KB5045935", "installed_on": "11/13/2024"}]  # .NET only
    facts = parse_windows_update(value, None, NOT_RUN)
    assert seen_value(facts.last_update) is None and reason_text(facts.last_update)


def test_update_newer_than_the_table_is_noted() -> None:
    value = value_of("win11-23h2-en-compliant", "windows_update")
    value["hotfixes"] = [
        {"id": "KB5063875", "installed_on": "8/13/2026"},  # August 2026 (in the table)
        {"id": "KB5199999", "installed_on": "12/9/2026"},  # not in the table
    ]
    value["current_version"]["values"]["UBR"] = 9999
    facts = parse_windows_update(value, None, NOT_RUN)
    assert facts.newest_unlisted_update == datetime(2026, 12, 9, tzinfo=UTC)
    assert facts.newest_unlisted_update_id == "KB5199999"


def test_build_the_table_does_not_know_leaves_the_age_unknown() -> None:
    value = value_of("win11-23h2-en-compliant", "windows_update")
    value["current_version"]["values"]["CurrentBuildNumber"] = "22635"
    facts = parse_windows_update(value, None, NOT_RUN)
    assert seen_value(facts.os_build) == "22635.4460"
    assert seen_value(facts.last_update) is None
    assert reason_text(facts.last_update) is not None
    assert "does not list build 22635" in reason_text(facts.last_update)


def test_titles_are_never_read() -> None:
    # Garbage (or Japanese) in every title changes nothing.
    value = value_of("win11-23h2-ja-compliant", "windows_update")
    before = parse_windows_update(value, None, NOT_RUN)
    for entry in value["history"]["entries"]:
        entry["title"] = "KB5999999 (KB890830) 累積更新プログラム"
    assert parse_windows_update(value, None, NOT_RUN) == before


def test_search_out_of_time_is_unknown_not_zero() -> None:
    facts = patches("win11-24h2-ja-no-screensaver-search-timeout")
    assert seen_value(facts.pending_security_updates) is None and facts.pending_updates is None
    assert reason_text(facts.pending_security_updates) is not None and "30 s" in reason_text(
        facts.pending_security_updates
    )


def test_never_scanned_is_unknown() -> None:
    pending: dict[str, Any] = value_of("win11-23h2-en-compliant", "windows_update_pending")
    pending["last_search_success"] = None
    facts = parse_windows_update(
        value_of("win11-23h2-en-compliant", "windows_update"), pending, None
    )
    assert seen_value(facts.pending_security_updates) is None and reason_text(
        facts.pending_security_updates
    )


def test_failed_pending_probe_is_unknown() -> None:
    results = dict(results_of("win11-23h2-en-compliant"))
    results[WINDOWS_UPDATE_PENDING.key] = CommandResult(1, stderr="COM error 0x8024402C")
    facts = WindowsPatches().parse(results, WINDOWS)
    assert seen_value(facts.pending_security_updates) is None
    assert reason_text(facts.pending_security_updates) is not None and "0x8024402C" in reason_text(
        facts.pending_security_updates
    )
    assert seen_value(facts.last_update) is not None


def test_history_unreadable_changes_nothing() -> None:
    value = value_of("win11-23h2-en-compliant", "windows_update")
    before = parse_windows_update(value, None, NOT_RUN)
    value["history"] = None
    value["history_error"] = "Exception from HRESULT: 0x80070005"
    assert parse_windows_update(value, None, NOT_RUN) == before


def test_failed_main_probe_is_unknown() -> None:
    results = dict(results_of("win11-23h2-en-compliant"))
    results[WINDOWS_UPDATE.key] = CommandResult(1, stderr="Access denied")
    with pytest.raises(FactUnavailable):
        WindowsPatches().parse(results, WINDOWS)


@given(st.text(max_size=40))
def test_installed_on_is_a_date_or_a_value_error(raw: str) -> None:
    try:
        got = parse_installed_on(raw)
    except ValueError:
        return
    assert 1601 <= got.year <= 9999


@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["id", "installed_on", "description", "error"]),
            st.one_of(st.none(), st.text(max_size=20), st.integers(), st.booleans()),
        ),
        max_size=6,
    )
)
def test_any_hotfix_list_is_read_entry_by_entry(entries: list[dict[str, Any]]) -> None:
    for fix in read_hotfixes(entries):
        assert fix.kb.startswith("KB")
        assert (fix.installed is None) == (fix.problem is not None)


# --- screen lock ----------------------------------------------------------------------


def test_screen_lock_by_policy() -> None:
    facts = screen("win11-23h2-ja-compliant")
    (user,) = v(facts.users)
    assert user.user == "LGWAN\\山田太郎"
    assert (v(user.lock_enabled), v(user.idle_seconds), v(user.lock_delay_seconds)) == (
        True,
        600,
        5,
    )
    assert v(user.enforced_by_policy) is True
    assert facts.machine_idle_seconds == 900 and v(facts.users) is not None


def test_nobody_signed_in() -> None:
    facts = screen("win11-24h2-en-no-user")
    assert v(facts.users) is None and why(facts.users)
    assert facts.machine_idle_seconds == 900


def test_screen_saver_none_selected_is_no_lock() -> None:
    facts = screen("win11-24h2-ja-no-screensaver-search-timeout")
    (user,) = v(facts.users)
    assert v(user.lock_enabled) is False and v(user.enforced_by_policy) is False
    assert "SCRNSAVE.EXE" in user.detail
    assert facts.machine_idle_seconds is None


def test_user_value_used_when_no_policy_and_grace_period_read() -> None:
    value = value_of("win11-23h2-en-compliant", "screen_lock")
    entry = value["users"][0]
    entry["policy_values"] = {}
    entry["user_values"] = {
        "ScreenSaveActive": "1",
        "ScreenSaverIsSecure": "1",
        "ScreenSaveTimeOut": "300",
        "SCRNSAVE.EXE": "C:\\Windows\\system32\\Bubbles.scr",
    }
    value["grace_period"] = "0"
    (user,) = v(parse_screen_lock(value).users)
    assert (v(user.lock_enabled), v(user.idle_seconds), v(user.lock_delay_seconds)) == (
        True,
        300,
        0,
    )
    assert v(user.enforced_by_policy) is False


def test_policy_beats_user_value() -> None:
    value = value_of("win11-23h2-en-compliant", "screen_lock")
    value["users"][0]["policy_values"] = {"ScreenSaverIsSecure": "0"}
    value["users"][0]["user_values"] = {
        "ScreenSaveActive": "1",
        "ScreenSaverIsSecure": "1",
        "ScreenSaveTimeOut": "300",
        "SCRNSAVE.EXE": "scrnsave.scr",
    }
    (user,) = v(parse_screen_lock(value).users)
    assert v(user.lock_enabled) is False and v(user.enforced_by_policy) is True


def test_unreadable_hive_is_unknown() -> None:
    value = value_of("win11-23h2-en-compliant", "screen_lock")
    value["users"][0]["read_error"] = "要求されたレジストリ アクセスは許可されていません。"
    (user,) = v(parse_screen_lock(value).users)
    assert v(user.lock_enabled) is None and why(user.lock_enabled)


def test_fixture_platforms_cover_windows_10_and_11_in_both_languages() -> None:
    builds = {load_case(n).platform.build for n in CASES}  # type: ignore[union-attr]
    assert {"19045.5131", "22631.4460", "26100.2314"} <= builds
    assert any("-ja-" in n for n in CASES) and any("-en-" in n for n in CASES)
    japanese = load_case("win11-23h2-ja-compliant").commands["ps:windows_update"].stdout
    assert "累積更新プログラム" in json.loads(japanese)["history"]["entries"][2]["title"]


def test_installed_on_formats() -> None:
    assert parse_installed_on("11/13/2024") == date(2024, 11, 13)
    assert parse_installed_on(" 1/2/2025 ") == date(2025, 1, 2)
    for bad in ("13/11/2024", "2024/11/13", "2024-11-13", "ffffffffffffffff", "11/31/2024"):
        with pytest.raises(ValueError):
            parse_installed_on(bad)


def test_patch_level_under_constrained_language_mode() -> None:
    facts = patches("win11-23h2-en-clm")
    # Registry and CIM are allowed: the build, hotfixes and restart markers are read.
    assert seen_value(facts.os_build) == "22631.4460" and seen_value(facts.last_update) is not None
    assert seen_value(facts.reboot_required) is False
    # The pending search needs COM: unknown, naming the mode.
    assert seen_value(facts.pending_security_updates) is None
    assert reason_text(facts.pending_security_updates) is not None
    assert "ConstrainedLanguage" in reason_text(facts.pending_security_updates)
