"""`evaluate --max-age DAYS`: a PC that stopped reporting keeps its last file on the
share, and each file is judged as of its own collection time, so a PC whose probe broke
months ago stayed compliant in every fleet report (a false pass). Results collected
longer ago than DAYS (default 14 for a folder), dated more than a day ahead, or undated
are unknown on every check, the file's own findings kept as evidence; exit 3."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from endpoint_audit.engine.freshness import mark_stale, staleness
from endpoint_audit.model import i18n
from endpoint_audit.model.result import HostReport, Severity, Status, WaiverRef
from tests.probe_export.bundles import windows_cases, windows_script_bundle
from tests.render.corpus import finding

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
# Checks whose verdict does not depend on the day they are judged (no update ages).
ONLY = ("--only", "firewall,disk_encryption")


def test_fresh_results_stand() -> None:
    assert staleness(NOW - timedelta(days=14), "a.json", 14, NOW) is None
    assert staleness(NOW - timedelta(hours=1), "a.json", 14, NOW) is None
    # A PC's clock a few hours ahead is within the day's grace.
    assert staleness(NOW + timedelta(hours=20), "a.json", 14, NOW) is None


@given(
    st.integers(-10 * 24 * 60, 400 * 24 * 60),  # minutes before now (negative: ahead)
    st.integers(1, 365),
)
def test_results_stand_exactly_within_the_window(minutes_ago: int, days: int) -> None:
    # A time the PC wrote (any clock) is fresh only from a day ahead to `days` before.
    age = timedelta(minutes=minutes_ago)
    got = staleness(NOW - age, "pc.json", days, NOW)
    assert (got is None) is (-timedelta(days=1) <= age <= timedelta(days=days))


def test_old_future_and_undated_results_do_not() -> None:
    old = staleness(NOW - timedelta(days=15, minutes=1), "pc.json", 14, NOW)
    assert old is not None and old.key == "core.msg.stale_results"
    assert old.args == {
        "file": "pc.json", "max_age": 14, "collected": "2026-11-18 11:59 UTC", "days": 15
    }  # fmt: skip
    ahead = staleness(NOW + timedelta(days=1, minutes=1), "pc.json", 14, NOW)
    assert ahead is not None and ahead.key == "core.msg.future_results"
    undated = staleness(None, "pc.json", 14, NOW)
    assert undated is not None and undated.key == "core.msg.undated_results"


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_finding_becomes_unknown_and_keeps_what_the_file_said(lang: str) -> None:
    waiver = WaiverRef(justification="j", approver="a", expires="2099-12-31")
    host = HostReport(
        target="PC-1",
        findings=[
            finding("firewall", Status.PASS),
            finding("disk_encryption", Status.FAIL, waiver=waiver),
            finding("open_ports", Status.NOT_APPLICABLE),
        ],
    )
    stale = staleness(NOW - timedelta(days=90), "share/PC-1.json", 14, NOW)
    assert stale is not None
    got = mark_stale(host, stale, lang)
    assert [f.status for f in got.findings] == [Status.UNKNOWN] * 3
    # A waiver accepts a risk; it does not vouch for results nobody checked since.
    assert all(f.waiver is None for f in got.findings)
    for before, after in zip(host.findings, got.findings, strict=True):
        assert "share/PC-1.json" in after.message and "90" in after.message
        assert after.evidence[0].source == "share/PC-1.json"
        assert before.message in after.evidence[0].excerpt
        assert i18n.t(lang, f"report.status.{before.status.value}") in after.message
        assert after.severity is before.severity and after.check_id == before.check_id
    # An unreachable host (a file that could not be read) stays as it was.
    gone = HostReport(target="x.json", status="unreachable", reason="truncated")
    assert mark_stale(gone, stale, lang) == gone


def _write(folder: Path, case: str, pc: str, collected: datetime | None) -> Path:
    bundle = windows_script_bundle(windows_cases()[case], target=pc)
    if collected is None:
        bundle["hosts"][0].pop("collected_at", None)
    else:
        bundle["hosts"][0]["collected_at"] = collected.strftime("%Y-%m-%dT%H:%M:%SZ")
    stamp = (collected or datetime(2026, 1, 1, tzinfo=UTC)).strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"endpoint-audit-{pc}-{stamp}.json"
    path.write_text(json.dumps(bundle))
    return path


def _hosts(stdout: str) -> dict[str, dict[str, Any]]:
    return {h["target"]: h for h in json.loads(stdout)["hosts"]}


def test_a_pc_that_stopped_reporting_is_unknown_not_compliant(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    _write(tmp_path, "win11-23h2-en-compliant", "PC-FRESH", now - timedelta(days=2))
    old = _write(tmp_path, "win11-23h2-en-compliant", "PC-SILENT", now - timedelta(days=120))
    result = cli("evaluate", str(tmp_path), *ONLY, "-f", "json")
    assert result.exit_code == 3, result.stderr  # it was 0: the silent PC was "compliant"
    hosts = _hosts(result.stdout)
    assert {f["status"] for f in hosts["PC-FRESH"]["findings"]} == {"pass"}
    silent = hosts["PC-SILENT"]["findings"]
    assert silent and {f["status"] for f in silent} == {"unknown"}
    assert all(f["message_key"] == "core.msg.stale_results" for f in silent)
    assert all(str(old) in f["message"] and "120 days ago" in f["message"] for f in silent)
    assert all(f["evidence"][0]["excerpt"].startswith("PASS: ") for f in silent)
    assert "PC-SILENT" in result.stderr and "--max-age 14" in result.stderr
    # The age limit is a choice: a wider one, or none, judges the file as it was.
    assert cli("evaluate", str(tmp_path), *ONLY, "--max-age", "200").exit_code == 0
    assert cli("evaluate", str(tmp_path), *ONLY, "--max-age", "0").exit_code == 0


def test_an_old_failure_is_unknown_too(cli: Callable[..., Any], tmp_path: Path) -> None:
    old = datetime.now(UTC) - timedelta(days=60)
    _write(tmp_path, "win10-22h2-en-bitlocker-off", "PC-OLD", old)
    result = cli("evaluate", str(tmp_path), *ONLY, "-f", "json")
    assert result.exit_code == 3
    findings = _hosts(result.stdout)["PC-OLD"]["findings"]
    assert {f["status"] for f in findings} == {"unknown"}
    assert any(f["evidence"][0]["excerpt"].startswith("FAIL: ") for f in findings)
    # Severity is kept, so a reader still sees what was at stake.
    assert {f["severity"] for f in findings} <= {s.value for s in Severity}


def test_a_file_dated_ahead_is_unknown(cli: Callable[..., Any], tmp_path: Path) -> None:
    ahead = datetime.now(UTC) + timedelta(days=3)
    _write(tmp_path, "win11-23h2-en-compliant", "PC-AHEAD", ahead)
    result = cli("evaluate", str(tmp_path), *ONLY, "-f", "json")
    assert result.exit_code == 3
    findings = _hosts(result.stdout)["PC-AHEAD"]["findings"]
    assert {f["message_key"] for f in findings} == {"core.msg.future_results"}


def test_one_file_has_no_limit_unless_asked(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = _write(
        tmp_path, "win11-23h2-en-compliant", "PC-1", datetime.now(UTC) - timedelta(days=90)
    )
    assert cli("evaluate", str(path), *ONLY).exit_code == 0  # judged as it was collected
    asked = cli("evaluate", str(path), *ONLY, "--max-age", "14", "-f", "json")
    assert asked.exit_code == 3
    assert {f["status"] for f in _hosts(asked.stdout)["PC-1"]["findings"]} == {"unknown"}


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_report_says_why_in_the_report_language(
    lang: str, cli: Callable[..., Any], tmp_path: Path
) -> None:
    _write(tmp_path, "win11-23h2-en-compliant", "PC-1", datetime.now(UTC) - timedelta(days=30))
    result = cli("evaluate", str(tmp_path), *ONLY, "--lang", lang)
    assert result.exit_code == 3
    assert i18n.t(lang, "report.verdict.incomplete") in " ".join(result.stdout.split())
    data = cli("evaluate", str(tmp_path), *ONLY, "--lang", lang, "-f", "json").stdout
    expected = {
        "en": "30 days ago, older than --max-age 14",
        "ja": "（30 日前）で、--max-age 14 日より古い",
    }
    messages = [f["message"] for f in _hosts(data)["PC-1"]["findings"]]
    assert messages and all(expected[lang] in m for m in messages)
    # The other language is rendered from the catalog key and its arguments.
    other = "ja" if lang == "en" else "en"
    saved, sheet = tmp_path / "report.json", tmp_path / "report.csv"
    saved.write_text(data, encoding="utf-8")
    shown = cli("report", "render", str(saved), "--lang", other, "-f", f"csv:{sheet}")
    assert shown.exit_code in (0, 3), shown.stderr
    assert expected[other] in sheet.read_text(encoding="utf-8-sig")


@pytest.mark.parametrize("command", [("evaluate",), ("scan", "--replay")])
def test_an_old_file_judged_without_a_limit_says_its_age(
    command: tuple[str, ...], cli: Callable[..., Any], tmp_path: Path
) -> None:
    # One file or a recording has no age limit by default (judged as it was collected),
    # but months-old results passed with no word that they were months old.
    path = _write(
        tmp_path, "win11-23h2-en-compliant", "PC-1", datetime.now(UTC) - timedelta(days=90)
    )
    result = cli(*command, str(path), *ONLY)
    assert result.exit_code == 0, result.stderr
    (line,) = [line for line in result.stderr.splitlines() if str(path) in line]
    assert "90 days ago" in line and "no age limit" in line and "--max-age" in line
    # Asked for a limit, it is applied, the same on both paths.
    limited = cli(*command, str(path), *ONLY, "--max-age", "14", "-f", "json")
    assert limited.exit_code == 3
    statuses = {f["status"] for h in json.loads(limited.stdout)["hosts"] for f in h["findings"]}
    assert statuses == {"unknown"}
    # --max-age 0 asks for no limit: nothing to say.
    archived = cli(*command, str(path), *ONLY, "--max-age", "0")
    assert archived.exit_code == 0 and str(path) not in archived.stderr
    # A recent file is not worth a line.
    fresh = _write(tmp_path, "win11-23h2-en-compliant", "PC-2", datetime.now(UTC))
    assert str(fresh) not in cli(*command, str(fresh), *ONLY).stderr


def test_an_undated_file_judged_without_a_limit_says_so(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    path = _write(tmp_path, "win11-23h2-en-compliant", "PC-1", None)
    result = cli("evaluate", str(path), *ONLY)
    assert result.exit_code == 0
    (line,) = [line for line in result.stderr.splitlines() if str(path) in line]
    assert "no collection time" in line and "no age limit" in line


def test_scan_max_age_needs_replay(cli: Callable[..., Any]) -> None:
    result = cli("scan", "--max-age", "14", "-b", "minimal")
    assert result.exit_code == 2
    assert "--max-age" in result.stderr and "--replay" in result.stderr


def test_the_report_keeps_each_recorded_host_s_collection_time(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    # What `report merge` orders a PC's results by: when its evidence was taken, not
    # when `evaluate` judged it.
    collected = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    path = _write(tmp_path, "win11-23h2-en-compliant", "PC-1", collected)
    (host,) = json.loads(cli("evaluate", str(path), *ONLY, "-f", "json").stdout)["hosts"]
    assert datetime.fromisoformat(host["collected_at"]) == collected
    assert datetime.fromisoformat(host["started_at"]) > collected
