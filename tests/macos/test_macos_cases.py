"""`endpoint-audit scan --replay` of the recorded macOS hosts (tests/hosts/, composed from
the checks' replay cases): what particular findings say, and the same findings from
`evaluate`. (Every host's findings and exit code: tests/packages/test_hosts.py.)

The cases record when they were collected, so patch ages are judged as of that day and
these expectations do not change with the date the tests run."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.replay_cases import host_bundle, host_names, host_path, write_bundle

CASES = host_names("macos")


def _run(cli: Callable[..., Any], *args: str) -> tuple[int, dict[str, Any]]:
    result = cli(*args, "-f", "json")
    return result.exit_code, json.loads(result.stdout)


def _findings(report: dict[str, Any]) -> list[tuple[str, str | None, str, str]]:
    (host,) = report["hosts"]
    return [
        (f["check_id"], f["resource"], f["status"], f["message_key"].rsplit(".", 1)[-1])
        for f in host["findings"]
    ]


@pytest.mark.parametrize("name", CASES)
def test_evaluate_gives_the_same_findings_as_scan_replay(
    name: str, cli: Callable[..., Any]
) -> None:
    path = str(host_path(name))
    scan_code, scanned = _run(cli, "scan", "--replay", path, "--lang", "ja")
    eval_code, evaluated = _run(cli, "evaluate", path, "--lang", "ja")
    assert eval_code == scan_code
    assert [
        (f["check_id"], f["resource"], f["status"], f["message"])
        for f in evaluated["hosts"][0]["findings"]
    ] == [
        (f["check_id"], f["resource"], f["status"], f["message"])
        for f in scanned["hosts"][0]["findings"]
    ]


def test_key_messages(cli: Callable[..., Any]) -> None:
    """What a municipal IT officer reads for the cases that matter most."""
    _, report = _run(cli, "scan", "--replay", str(host_path("macos15-compliant")))
    messages = {
        (f["check_id"], f["resource"]): f["message"] for f in report["hosts"][0]["findings"]
    }
    assert "FileVault=On" in messages[("disk_encryption", "system")]
    assert "600 seconds" in messages[("screen_lock", "hanako")]
    age = messages[("patch_level", "days_since_update")]
    assert "2026-11-12" in age and re.search(r"\b7\b", age), age

    _, report = _run(cli, "scan", "--replay", str(host_path("macos14-nobody-logged-on-alf2")))
    messages = {
        (f["check_id"], f["resource"]): f["message"] for f in report["hosts"][0]["findings"]
    }
    assert "nobody is logged on" in messages[("screen_lock", None)]
    assert "macOS Sonoma 14.7.1" in messages[("patch_level", "pending_security_updates")]

    _, report = _run(cli, "scan", "--replay", str(host_path("macos15-decrypting-not-root")))
    messages = {
        (f["check_id"], f["resource"]): f["message"] for f in report["hosts"][0]["findings"]
    }
    assert "root" in messages[("screen_lock", "ichiro")]


def test_state_two_firewall_wordings_both_pass(cli: Callable[..., Any]) -> None:
    for name in ("macos14-nobody-logged-on-alf2", "macos15-encrypting-alf2-blocking"):
        _, report = _run(cli, "scan", "--replay", str(host_path(name)))
        (firewall,) = [f for f in report["hosts"][0]["findings"] if f["check_id"] == "firewall"]
        assert firewall["status"] == "pass"
        assert "State = 2" in json.dumps(firewall["actual"]) + json.dumps(firewall["evidence"])


def test_a_missing_record_is_an_error_never_a_pass(cli: Callable[..., Any], tmp_path: Path) -> None:
    bundle = host_bundle("macos15-compliant")
    commands = bundle["hosts"][0]["commands"]
    commands["fdesetup statuz"] = commands.pop("fdesetup status")
    broken = write_bundle(bundle, tmp_path / "no-fdesetup.json")
    code, report = _run(cli, "scan", "--replay", str(broken))
    (finding,) = [f for f in report["hosts"][0]["findings"] if f["check_id"] == "disk_encryption"]
    assert finding["status"] == "error"
    assert "fdesetup status" in finding["message"]
    assert code == 3


def _finding(cli: Callable[..., Any], name: str, check: str, *args: str) -> dict[str, Any]:
    _, report = _run(cli, "scan", "--replay", str(host_path(name)), *args)
    (found,) = [
        f
        for f in report["hosts"][0]["findings"]
        if f["check_id"] == check and f["resource"] in ("system", "pending_security_updates")
    ]
    return found


def test_a_stale_update_list_names_its_date(cli: Callable[..., Any]) -> None:
    finding = _finding(cli, "macos14-stale-update-list", "patch_level")
    assert finding["status"] == "unknown"
    assert "2026-09-02" in finding["message"] and "79 days" in finding["message"]
    assert "LastSuccessfulDate" in finding["message"]
    assert finding["actual"]["index_refreshed"].startswith("2026-09-02T05:41:07")
    ja = _finding(cli, "macos14-stale-update-list", "patch_level", "--lang", "ja")
    assert "2026-09-02" in ja["message"] and "79 日前" in ja["message"]


def test_a_major_upgrade_offered_is_reported_but_not_pending(cli: Callable[..., Any]) -> None:
    finding = _finding(cli, "macos14-major-upgrade-offered", "patch_level")
    assert finding["status"] == "pass"
    assert finding["actual"]["pending_security_updates"] == 0
    assert finding["actual"]["upgrades_offered"] == ["macOS Sequoia 15.1"]


def test_filevault_waiting_for_a_restart_is_not_encrypted(cli: Callable[..., Any]) -> None:
    finding = _finding(cli, "macos15-filevault-restart-pending", "disk_encryption")
    assert finding["status"] == "fail"
    assert "takes effect only after a restart (FileVault=On, NeedsRestart)" in finding["message"]
    assert finding["actual"]["encrypted"] is False
