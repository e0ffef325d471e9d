"""`endpoint-audit scan --replay <case>` for every recorded macOS host case: each check's
status and message key, the exit code, and the same findings from `evaluate`.

The cases record when they were collected, so patch ages are judged as of that day and
these expectations do not change with the date the tests run."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from endpoint_audit.model import i18n

MACOS_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "macos"
CASES = sorted(p.stem for p in MACOS_FIXTURES.glob("*.yaml"))
CHECKS = {"disk_encryption", "firewall", "open_ports", "patch_level", "screen_lock"}

# Findings that are not `pass`, as (check, resource, status, key); every other finding
# must pass. None as resource: a host-level finding.
NOT_PASSING: dict[str, set[tuple[str, str | None, str, str]]] = {
    "macos15-compliant": set(),
    "macos14-user-managed-profile": set(),
    "macos14-filevault-off-alf0": {
        ("disk_encryption", "system", "fail", "not_encrypted"),
        ("firewall", "Application Firewall", "fail", "profile_off"),
        ("open_ports", "*:445/tcp", "fail", "forbidden_port"),
        ("open_ports", "*:5900/tcp", "fail", "forbidden_port"),
        ("open_ports", "*:137/udp", "fail", "forbidden_port"),
        ("open_ports", "*:138/udp", "fail", "forbidden_port"),
        ("patch_level", "pending_security_updates", "fail", "pending_fail"),
        ("patch_level", "days_since_update", "fail", "age_fail"),
        ("screen_lock", "taro", "fail", "lock_disabled"),
    },
    "macos14-nobody-logged-on-alf2": {
        ("disk_encryption", "system", "fail", "not_encrypted"),
        ("patch_level", "pending_security_updates", "fail", "pending_fail"),
        ("patch_level", "days_since_update", "fail", "age_fail"),
        ("screen_lock", None, "unknown", "no_user"),
    },
    "macos15-encrypting-alf2-blocking": {
        ("disk_encryption", "system", "fail", "state_encrypting"),
        ("screen_lock", "jiro", "fail", "idle_too_long_delay_too_long"),
    },
    "macos14-stale-update-list": {
        ("patch_level", "pending_security_updates", "unknown", "index_stale"),
    },
    "macos15-filevault-restart-pending": {
        ("disk_encryption", "system", "fail", "restart_pending"),
    },
    "macos14-major-upgrade-offered": set(),
    "macos15-decrypting-not-root": {
        ("disk_encryption", "system", "fail", "state_decrypting"),
        ("patch_level", "pending_security_updates", "unknown", "pending_unknown"),
        ("screen_lock", "ichiro", "unknown", "user_unknown"),
    },
}
EXIT = {
    name: 1 if any(f[2] == "fail" for f in bad) else 3 if bad else 0
    for name, bad in NOT_PASSING.items()
}


def _run(cli: Callable[..., Any], *args: str) -> tuple[int, dict[str, Any]]:
    result = cli(*args, "-f", "json")
    return result.exit_code, json.loads(result.stdout)


def _findings(report: dict[str, Any]) -> list[tuple[str, str | None, str, str]]:
    (host,) = report["hosts"]
    return [
        (f["check_id"], f["resource"], f["status"], f["message_key"].rsplit(".", 1)[-1])
        for f in host["findings"]
    ]


def test_every_case_has_expectations() -> None:
    assert sorted(NOT_PASSING) == CASES
    assert len(CASES) >= 9


@pytest.mark.parametrize("name", CASES)
def test_scan_replay_case(name: str, cli: Callable[..., Any]) -> None:
    code, report = _run(cli, "scan", "--replay", str(MACOS_FIXTURES / f"{name}.yaml"))
    (host,) = report["hosts"]
    assert host["platform"]["family"] == "macos"
    findings = _findings(report)
    assert {f[0] for f in findings} == CHECKS
    not_passing = {f for f in findings if f[2] != "pass"}
    assert not_passing == NOT_PASSING[name]
    assert code == EXIT[name]
    for finding in host["findings"]:
        # Every message was rendered from the catalog, not left as its key.
        assert i18n.has(finding["message_key"]), finding["message_key"]
        assert finding["message"] and finding["message"] != finding["message_key"]


@pytest.mark.parametrize("name", CASES)
def test_evaluate_gives_the_same_findings_as_scan_replay(
    name: str, cli: Callable[..., Any]
) -> None:
    path = str(MACOS_FIXTURES / f"{name}.yaml")
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
    _, report = _run(cli, "scan", "--replay", str(MACOS_FIXTURES / "macos15-compliant.yaml"))
    messages = {
        (f["check_id"], f["resource"]): f["message"] for f in report["hosts"][0]["findings"]
    }
    assert "FileVault is On" in messages[("disk_encryption", "system")]
    assert "600 seconds" in messages[("screen_lock", "hanako")]
    age = messages[("patch_level", "days_since_update")]
    assert "2026-11-12" in age and re.search(r"\b7\b", age), age

    _, report = _run(
        cli, "scan", "--replay", str(MACOS_FIXTURES / "macos14-nobody-logged-on-alf2.yaml")
    )
    messages = {
        (f["check_id"], f["resource"]): f["message"] for f in report["hosts"][0]["findings"]
    }
    assert "nobody is logged on" in messages[("screen_lock", None)]
    assert "macOS Sonoma 14.7.1" in messages[("patch_level", "pending_security_updates")]

    _, report = _run(
        cli, "scan", "--replay", str(MACOS_FIXTURES / "macos15-decrypting-not-root.yaml")
    )
    messages = {
        (f["check_id"], f["resource"]): f["message"] for f in report["hosts"][0]["findings"]
    }
    assert "root" in messages[("screen_lock", "ichiro")]


def test_state_two_firewall_wordings_both_pass(cli: Callable[..., Any]) -> None:
    for name in ("macos14-nobody-logged-on-alf2", "macos15-encrypting-alf2-blocking"):
        _, report = _run(cli, "scan", "--replay", str(MACOS_FIXTURES / f"{name}.yaml"))
        (firewall,) = [f for f in report["hosts"][0]["findings"] if f["check_id"] == "firewall"]
        assert firewall["status"] == "pass"
        assert "State = 2" in json.dumps(firewall["actual"]) + json.dumps(firewall["evidence"])


def test_a_missing_record_is_an_error_never_a_pass(cli: Callable[..., Any], tmp_path: Path) -> None:
    text = (MACOS_FIXTURES / "macos15-compliant.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "no-fdesetup.yaml"
    broken.write_text(text.replace("    fdesetup status:\n", "    fdesetup statuz:\n"), "utf-8")
    code, report = _run(cli, "scan", "--replay", str(broken))
    (finding,) = [f for f in report["hosts"][0]["findings"] if f["check_id"] == "disk_encryption"]
    assert finding["status"] == "error"
    assert "fdesetup status" in finding["message"]
    assert code == 3


def _finding(cli: Callable[..., Any], name: str, check: str, *args: str) -> dict[str, Any]:
    _, report = _run(cli, "scan", "--replay", str(MACOS_FIXTURES / f"{name}.yaml"), *args)
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
    assert "needs to be restarted to finish" in finding["message"]
    assert finding["actual"]["encrypted"] is False


def test_every_probe_of_every_fixture_names_its_source() -> None:
    """Each command a fixture records belongs to a probe whose source is in its header."""
    from tests.macos.make_fixtures import PROBE_SOURCES, probe_of, probes_recorded

    for name in CASES:
        text = (MACOS_FIXTURES / f"{name}.yaml").read_text(encoding="utf-8")
        header = {
            line.split(":", 1)[0].removeprefix("# source "): line.split(":", 1)[1].strip()
            for line in text.splitlines()
            if line.startswith("# source ")
        }
        (host,) = yaml.safe_load(text)["hosts"]
        needed = probes_recorded(host["commands"])
        assert {probe_of(key) for key in host["commands"]} <= set(needed)
        for probe in needed:
            assert header.get(probe) == PROBE_SOURCES[probe], (name, probe)
            # A source is a repository path, an issue, a URL or a reference section, or
            # it says that no capture was found.
            assert re.search(
                r"[\w.-]+/[\w.-]+ |https?://|platform-facts\.md|NO CAPTURE|NOT CAPTURED|"
                r"POSIX",
                header[probe],
            ), (name, probe)
