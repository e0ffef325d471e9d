"""`collect` on this machine, then `evaluate`, gives what `scan` gives; `--record` writes
redacted transcripts that `scan --replay` judges the same way; bad bundles are one-line
errors with exit 2."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from endpoint_audit.baseline.load import DEFAULT_BASELINE, shipped_text
from endpoint_audit.engine.plan import load_plan_baseline
from endpoint_audit.engine.registry import load_registry
from endpoint_audit.model.platform import OsFamily

Finding = tuple[str, str | None, str, str]


def _findings(report: dict[str, Any], field: str = "message") -> list[Finding]:
    (host,) = report["hosts"]
    return [(f["check_id"], f["resource"], f["status"], f[field]) for f in host["findings"]]


def _json(cli: Callable[..., Any], *args: str) -> tuple[int, dict[str, Any]]:
    result = cli(*args, "-f", "json")
    return result.exit_code, json.loads(result.stdout)


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("collect")
    facts = folder / "facts.json"
    result = subprocess.run(
        [sys.executable, "-m", "endpoint_audit", "collect", "-o", str(facts)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return facts


def test_collect_then_evaluate_gives_the_scan_findings(
    collected: Path, cli: Callable[..., Any]
) -> None:
    eval_code, evaluated = _json(cli, "evaluate", str(collected))
    scan_code, scanned = _json(cli, "scan")
    assert _findings(evaluated) == _findings(scanned)
    assert eval_code == scan_code
    default = yaml.safe_load(shipped_text(DEFAULT_BASELINE) or "")
    assert {f[0] for f in _findings(evaluated)} == set(default["checks"])
    # The same in Japanese: messages are rendered again from the message keys.
    _, evaluated_ja = _json(cli, "evaluate", str(collected), "--lang", "ja")
    _, scanned_ja = _json(cli, "scan", "--lang", "ja")
    assert _findings(evaluated_ja) == _findings(scanned_ja)


def test_the_bundle_holds_platform_transcript_and_facts(collected: Path) -> None:
    data = json.loads(collected.read_text(encoding="utf-8"))
    assert data["format"] == "endpoint-audit-bundle" and data["version"] == 1
    (host,) = data["hosts"]
    # The PC by its real name, as a probe script names it, never "localhost".
    assert host["target"] == socket.gethostname()
    assert host["platform"]["family"] == "linux"
    machine_id = Path("/etc/machine-id").read_text().strip()
    assert host["platform"]["machine_id"] == machine_id
    assert host["commands"]["file:/etc/machine-id"]["stdout"].strip() == machine_id
    assert host["collected_at"]
    assert host["commands"], "the transcript is the evidence"
    for result in host["commands"].values():
        assert isinstance(result["exit_status"], int)
    assert {"listening_ports", "disk_encryption", "patches", "firewall"} <= set(host["facts"])


def test_evaluate_with_another_baseline_and_selection(
    collected: Path, cli: Callable[..., Any]
) -> None:
    code, report = _json(cli, "evaluate", str(collected), "-b", "minimal", "--only", "firewall")
    assert {f[0] for f in _findings(report)} == {"firewall"}
    assert report["baseline"]["id"] == "minimal"
    assert code in (0, 1, 3)


def test_facts_not_collected_are_errors_never_passes(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    only_ports = tmp_path / "ports.yaml"
    only_ports.write_text(
        yaml.safe_dump(
            {"id": "ports", "title": {"ja": "ポート", "en": "Ports"}, "version": "1",
             "checks": {"open_ports": {}}},
        ),
        encoding="utf-8",
    )  # fmt: skip
    facts = tmp_path / "ports-facts.yaml"
    assert cli("collect", "-b", str(only_ports), "-o", str(facts)).exit_code == 0
    assert set(yaml.safe_load(facts.read_text(encoding="utf-8"))["hosts"][0]["facts"]) == {
        "listening_ports"
    }
    code, report = _json(cli, "evaluate", str(facts), "-b", "minimal")
    by_check = {f[0]: f for f in _findings(report, "message_key")}
    assert by_check["disk_encryption"][2] == "error"
    assert by_check["disk_encryption"][3] == "core.msg.replay_miss"
    assert code in (1, 3)  # never 0: the disk was not looked at


def test_all_facts_collects_every_family_this_platform_has(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    out = tmp_path / "all.yaml"
    assert cli("collect", "--all-facts", "-o", str(out)).exit_code == 0
    (host,) = yaml.safe_load(out.read_text(encoding="utf-8"))["hosts"]
    registry = load_registry()
    linux = {c.fact_type.name for c in registry.all_collectors() if OsFamily.LINUX in c.platforms}
    # And the reads of the default baseline's Linux rules.
    rules = load_plan_baseline(DEFAULT_BASELINE, registry).rules
    linux |= {f"rule.{rid}" for rid, rule in rules.items() if OsFamily.LINUX in rule.platforms}
    assert set(host["facts"]) == linux


def test_record_then_replay_round_trip(
    tmp_path: Path, collected: Path, cli: Callable[..., Any]
) -> None:
    folder = tmp_path / "recorded"
    result = cli("collect", "--record", str(folder))
    assert result.exit_code == 0
    (recorded,) = sorted(folder.iterdir())
    text = recorded.read_text(encoding="utf-8")
    (host,) = yaml.safe_load(text)["hosts"]
    assert host["platform"]["hostname"] != socket.gethostname()
    assert host["collected_at"]
    # The machine id is gone everywhere; its stand-in names the PC and its file, the same
    # on every run (a new recording of this PC replaces its last one, another PC's never).
    machine_id = Path("/etc/machine-id").read_text().strip()
    assert machine_id not in text
    pseudonym = host["platform"]["machine_id"].removeprefix("redacted-")
    assert len(pseudonym) == 12 and pseudonym in recorded.name
    assert host["target"] == f"host-{pseudonym}" == recorded.stem
    assert cli("collect", "--record", str(folder)).exit_code == 0
    assert sorted(folder.iterdir()) == [recorded]
    code, replayed = _json(cli, "scan", "--replay", str(folder))
    eval_code, evaluated = _json(cli, "evaluate", str(collected))
    assert _findings(replayed, "message_key") == _findings(evaluated, "message_key")
    assert code == eval_code


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LANG": "C.UTF-8"}
    return subprocess.run(
        [sys.executable, "-m", "endpoint_audit", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("garbage.yaml", "hosts: [unclosed\n"),
        ("other.json", '{"format": "something-else"}'),
        ("future.yaml", "format: endpoint-audit-bundle\nversion: 99\nhosts: []\n"),
        ("noexit.yaml", "format: endpoint-audit-bundle\nversion: 1\nhosts:\n- target: a\n"
                        "  commands: {'fdesetup status': {stdout: 'FileVault is On.'}}\n"),
        ("badtime.yaml", "format: endpoint-audit-bundle\nversion: 1\nhosts:\n- target: a\n"
                         "  collected_at: yesterday\n"),
        # One host twice: both were judged, and the run folder kept one host file, the
        # one written last (a pass as often as the failure).
        ("twice.yaml", "format: endpoint-audit-bundle\nversion: 1\nhosts:\n"
                       "- {target: pc-1, commands: {}}\n- {target: pc-1, commands: {}}\n"),
    ],
)  # fmt: skip
def test_a_bad_bundle_is_one_line_and_exit_2(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result = _run("evaluate", str(path))
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and "Traceback" not in result.stderr


def test_a_missing_bundle_is_exit_2(tmp_path: Path) -> None:
    result = _run("evaluate", str(tmp_path / "nope.json"))
    assert result.returncode == 2
    assert "nope.json" in result.stderr
