"""`endpoint-audit scan --replay` of recorded Windows hosts: what particular findings say.
(Every host's findings and exit code: tests/packages/test_hosts.py.)"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from tests.replay_cases import host_spec
from tests.windows.conftest import case_path


def scan(cli: Callable[..., Any], name: str, *extra: str) -> tuple[int, dict[str, Any]]:
    result = cli("scan", "--replay", str(case_path(name)), "-f", "json", *extra)
    return result.exit_code, json.loads(result.stdout)


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
    assert code == host_spec(name)["exit_code"]
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
    assert {c for c, _ in passed} == {
        "antivirus",
        "firewall",
        "screen_lock",
        "patch_level",
        "os_support",
        "secure_boot",
        # Rules reading CIM and auditpol run under CLM; registry reads are refused.
        "jp.guest_account_disabled",
        "jp.logon_events_audited",
    }
    registry_rules = [f for f in findings if f["check_id"] == "jp.autologon_disabled"]
    assert [f["status"] for f in registry_rules] == ["unknown"]
    assert "ConstrainedLanguage" in registry_rules[0]["message"]
    assert ("patch_level", "monthly_update") in passed


def test_a_32bit_host_never_assumes_the_default_grace_period(
    cli: Callable[..., Any], recorded_clock: datetime
) -> None:
    _, report = scan(cli, "win11-24h2-en-32bit-host")
    (user,) = [f for f in report["hosts"][0]["findings"] if f["resource"] == "CONTOSO\\bob"]
    assert "32-bit PowerShell host" in user["message"]
    assert user["actual"]["lock_delay_seconds"] is None
