"""`endpoint-audit scan --replay <case> -f json` for every recorded Windows host case:
each check's status and message key, and the exit code."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from tests.windows.conftest import CASES, case_path

# The ports every Windows PC listens on and open_ports judges by reachability.
SHARING_PORTS = ("445/tcp", "139/tcp", "137/udp", "138/udp")
# Findings that are not `pass`, as (check, resource, status, key); every other finding
# must pass. None as resource: a host-level finding.
NOT_PASSING: dict[str, set[tuple[str, str | None, str, str]]] = {
    "win11-23h2-en-compliant": set(),
    "win11-23h2-ja-compliant": set(),
    "win10-22h2-en-wmi-fallback": set(),
    "win10-22h2-en-bitlocker-off": {("disk_encryption", "C:", "fail", "not_encrypted")},
    "win11-24h2-ja-bitlocker-suspended": {
        ("disk_encryption", "C:", "fail", "suspended"),
        ("patch_level", "reboot_required", "fail", "reboot_fail"),
    },
    "win11-23h2-en-bitlocker-encrypting": {
        ("disk_encryption", "C:", "fail", "state_encrypting"),
    },
    "win10-22h2-ja-data-drive-unencrypted": {
        ("disk_encryption", "D:", "fail", "not_encrypted"),
    },
    # The Public profile is the active one: with its firewall off, SMB and NetBIOS are open.
    "win11-24h2-en-firewall-public-off": {
        ("firewall", "Public", "fail", "profile_off"),
        *{("open_ports", p, "fail", "exposed_profile_off") for p in SHARING_PORTS},
    },
    "win10-22h2-ja-firewall-inbound-allow": {
        ("firewall", "Domain", "fail", "profile_inbound_allowed"),
    },
    "win11-23h2-ja-rdp-listening": {
        ("open_ports", "0.0.0.0:3389/tcp", "fail", "forbidden_port"),
        ("open_ports", "[::]:3389/tcp", "fail", "forbidden_port"),
        ("open_ports", "0.0.0.0:3389/udp", "fail", "forbidden_port"),
        ("open_ports", "[::]:3389/udp", "fail", "forbidden_port"),
    },
    "win11-24h2-en-no-user": {("screen_lock", None, "unknown", "no_user")},
    "win10-22h2-en-updates-90-days": {
        ("patch_level", "pending_security_updates", "fail", "pending_fail"),
        ("patch_level", "days_since_update", "fail", "age_fail"),
        ("patch_level", "monthly_update", "fail", "build_fail"),
    },
    "win11-23h2-en-msrt-only-old-build": {
        ("patch_level", "pending_security_updates", "fail", "pending_fail"),
        ("patch_level", "days_since_update", "fail", "age_fail"),
        ("patch_level", "monthly_update", "fail", "build_fail"),
    },
    "win11-24h2-ja-wsus-stale-search": {
        ("patch_level", "pending_security_updates", "unknown", "index_stale_managed"),
    },
    "win11-23h2-en-pending-file-renames": set(),
    "win11-23h2-en-32bit-host": {
        ("screen_lock", "CONTOSO\\alice", "unknown", "user_unknown"),
        ("patch_level", "days_since_update", "unknown", "age_unknown"),
        ("patch_level", "reboot_required", "unknown", "reboot_unknown"),
        ("patch_level", "monthly_update", "unknown", "build_unknown"),
    },
    "win11-23h2-ja-not-admin": {("disk_encryption", None, "unknown", "needs_privilege")},
    "win11-24h2-ja-no-screensaver-search-timeout": {
        ("patch_level", "pending_security_updates", "unknown", "pending_unknown"),
        ("screen_lock", "machine", "fail", "machine_not_set"),
        ("screen_lock", "LGWAN\\佐藤花子", "fail", "lock_disabled"),
    },
    "win11-23h2-en-probe-error": {
        ("firewall", None, "error", "fact_error"),
        *{("open_ports", p, "unknown", "exposure_unknown") for p in SHARING_PORTS},
    },
    # Listening but not reachable: SMB allowed by GPO on the Domain profile only, inactive.
    "win11-24h2-ja-smb-domain-only": set(),
    "win11-23h2-en-smb-public-allowed": {
        ("open_ports", p, "fail", "exposed_rule") for p in SHARING_PORTS
    },
    "win10-22h2-ja-smb-rule-public": {("open_ports", "445/tcp", "fail", "exposed_rule")},
    "win11-23h2-en-firewall-interface-excluded": {
        ("firewall", "Private", "fail", "profile_interfaces_off"),
        ("firewall", "Public", "fail", "profile_interfaces_off"),
        *{("open_ports", p, "fail", "exposed_interface_off") for p in SHARING_PORTS},
    },
    # The suite's firewall protects, but its rules cannot be read: SMB reachability unknown.
    "win10-22h2-ja-third-party-firewall": {
        ("open_ports", p, "unknown", "exposure_unknown") for p in SHARING_PORTS
    },
    "win11-24h2-en-bitlocker-locked-data": set(),
    # A 32-bit host: the grace period is in a redirected key, so the lock delay is unseen.
    "win11-24h2-en-32bit-host": {("screen_lock", "CONTOSO\\bob", "unknown", "user_unknown")},
    "win10-22h2-ja-32bit-host": {("screen_lock", "LGWAN\\鈴木一郎", "unknown", "user_unknown")},
    # Constrained Language Mode: what needs .NET or COM is unknown, naming the mode (the
    # patch level is judged from the registry and hotfixes; the pending search needs COM).
    "win11-23h2-en-clm": {
        ("disk_encryption", None, "unknown", "language_mode"),
        ("open_ports", None, "unknown", "language_mode"),
        ("patch_level", "pending_security_updates", "unknown", "pending_unknown"),
    },
    "win11-24h2-ja-clm": {
        ("disk_encryption", None, "unknown", "language_mode"),
        ("open_ports", None, "unknown", "language_mode"),
        ("patch_level", "pending_security_updates", "unknown", "pending_unknown"),
    },
}
EXIT = {name: 0 if not bad else 1 for name, bad in NOT_PASSING.items()}
EXIT.update(
    {
        "win11-24h2-en-no-user": 3,
        "win11-23h2-ja-not-admin": 3,
        "win11-23h2-en-probe-error": 3,
        "win11-24h2-en-32bit-host": 3,
        "win10-22h2-ja-32bit-host": 3,
        "win11-23h2-en-clm": 3,
        "win11-24h2-ja-clm": 3,
        "win10-22h2-ja-third-party-firewall": 3,
        "win11-24h2-ja-wsus-stale-search": 3,
        "win11-23h2-en-32bit-host": 3,
    }
)
CHECKS = {"disk_encryption", "firewall", "open_ports", "patch_level", "screen_lock"}


def scan(cli: Callable[..., Any], name: str, *extra: str) -> tuple[int, dict[str, Any]]:
    result = cli("scan", "--replay", str(case_path(name)), "-f", "json", *extra)
    return result.exit_code, json.loads(result.stdout)


def test_every_case_has_expectations() -> None:
    assert sorted(NOT_PASSING) == CASES
    assert len(CASES) >= 12


@pytest.mark.parametrize("name", CASES)
def test_scan_case(name: str, cli: Callable[..., Any], recorded_clock: datetime) -> None:
    code, report = scan(cli, name)
    (host,) = report["hosts"]
    assert host["platform"]["family"] == "windows"
    findings = host["findings"]
    assert {f["check_id"] for f in findings} == CHECKS
    not_passing = {
        (f["check_id"], f["resource"], f["status"], f["message_key"].split(".msg.")[-1])
        for f in findings
        if f["status"] != "pass"
    }
    assert not_passing == NOT_PASSING[name]
    # The Windows firewall is judged per profile, always all three.
    firewall = [f for f in findings if f["check_id"] == "firewall"]
    if name != "win11-23h2-en-probe-error":
        assert sorted(f["resource"] for f in firewall) == ["Domain", "Private", "Public"]
    for finding in findings:
        assert finding["message"] and "{" not in finding["message"]
    assert code == EXIT[name], findings


def test_days_since_update_ignores_daily_defender_updates(
    cli: Callable[..., Any], recorded_clock: datetime
) -> None:
    _, report = scan(cli, "win10-22h2-en-updates-90-days")
    (age,) = [f for f in report["hosts"][0]["findings"] if f["resource"] == "days_since_update"]
    # 2024-08-21 -> 2024-11-20, although .NET (2024-11-13) and Defender definitions (the day
    # before) were installed since.
    assert "91" in age["message"]
    assert "2024-08-21" in age["message"]


def test_msrt_and_defender_do_not_make_an_old_build_current(
    cli: Callable[..., Any], recorded_clock: datetime
) -> None:
    _, report = scan(cli, "win11-23h2-en-msrt-only-old-build")
    findings = {f["resource"]: f for f in report["hosts"][0]["findings"]}
    build = findings["monthly_update"]
    assert build["status"] == "fail"
    assert "22631.4037" in build["message"] and "2024-08" in build["message"]
    assert "windows-monthly-releases.yaml" in build["message"] and "2026-08-12" in build["message"]
    assert "2024-08-14" in findings["days_since_update"]["message"]


def test_wsus_pc_says_managed_offer_only_in_both_languages(
    cli: Callable[..., Any], recorded_clock: datetime
) -> None:
    for lang, words in (("en", "managed offer only"), ("ja", "管理された配信分のみ")):
        _, report = scan(cli, "win11-24h2-ja-wsus-stale-search", "--lang", lang)
        (pending,) = [
            f for f in report["hosts"][0]["findings"] if f["resource"] == "pending_security_updates"
        ]
        assert pending["status"] == "unknown"
        assert (
            words in pending["message"] and "https://wsus.example.lg.jp:8531" in pending["message"]
        )


@pytest.mark.parametrize(
    "name",
    [
        "win11-23h2-ja-compliant",
        "win11-24h2-ja-no-screensaver-search-timeout",
        "win11-24h2-ja-clm",
        "win10-22h2-ja-32bit-host",
    ],
)
def test_japanese_report_of_japanese_pc(
    name: str, cli: Callable[..., Any], recorded_clock: datetime
) -> None:
    code, report = scan(cli, name, "--lang", "ja")
    assert code == EXIT[name]
    messages = [f["message"] for f in report["hosts"][0]["findings"]]
    # Catalog texts, not keys: every message has Japanese in it.
    assert all(any("\u3040" <= ch <= "\u9fff" for ch in m) for m in messages), messages
    assert report["hosts"][0]["platform"]["hostname"] in (
        "総務課-PC01",
        "会計課-PC21",
        "財政課-NB11",
        "子育て支援課-PC05",
    )


@pytest.mark.parametrize("name", ["win11-23h2-en-clm", "win11-24h2-ja-clm"])
def test_under_clm_nothing_refused_passes_and_the_reason_names_the_mode(
    name: str, cli: Callable[..., Any], recorded_clock: datetime
) -> None:
    _, report = scan(cli, name)
    findings = report["hosts"][0]["findings"]
    refused = [
        f
        for f in findings
        if f["check_id"] in {"disk_encryption", "open_ports"}
        or f["resource"] == "pending_security_updates"
    ]
    assert refused and all(f["status"] == "unknown" for f in refused)
    assert all("ConstrainedLanguage" in f["message"] for f in refused)
    # What CLM allows still gives verdicts (the patch level from registry and hotfixes).
    passed = {(f["check_id"], f["resource"]) for f in findings if f["status"] == "pass"}
    assert {c for c, _ in passed} == {"firewall", "screen_lock", "patch_level"}
    assert ("patch_level", "monthly_update") in passed


def test_a_32bit_host_never_assumes_the_default_grace_period(
    cli: Callable[..., Any], recorded_clock: datetime
) -> None:
    _, report = scan(cli, "win11-24h2-en-32bit-host")
    (user,) = [f for f in report["hosts"][0]["findings"] if f["resource"] == "CONTOSO\\bob"]
    assert "32-bit PowerShell host" in user["message"]
    assert user["actual"]["lock_delay_seconds"] is None
