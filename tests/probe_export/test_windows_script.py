"""The exported PowerShell probe script: valid PowerShell, the same probes and batch body
as the transports run, and the bundle it writes judged as a scan judges the PC."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tree_sitter_powershell
import yaml
from tree_sitter import Language, Node, Parser

from endpoint_audit.baseline.load import DEFAULT_BASELINE, shipped_text
from endpoint_audit.engine.export import ExportOptions, export_script, probe_commands
from endpoint_audit.engine.plan import load_plan_baseline, with_rules
from endpoint_audit.engine.registry import load_registry
from endpoint_audit.model.commands import PowerShell
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.transport.powershell import PLATFORM, batch_body
from endpoint_audit.transport.transcript import load_bundle
from tests.probe_export.bundles import windows_cases, windows_script_bundle
from tests.replay_cases import host_cases, host_spec, judged_ids
from tests.windows.conftest import RECORDED_AT

PARSER = Parser(Language(tree_sitter_powershell.language()))
BUDGET = 600


def syntax_errors(script: str) -> list[str]:
    source = script.encode("utf-8")
    found: list[str] = []

    def walk(node: Node) -> None:
        if node.type == "ERROR" or node.is_missing:
            text = source[node.start_byte : node.end_byte][:60].decode("utf-8", "replace")
            found.append(f"line {node.start_point[0] + 1}: {node.type} {text!r}")
        for child in node.children:
            walk(child)

    walk(PARSER.parse(source).root_node)
    return found


@pytest.fixture(scope="module")
def script() -> str:
    return export_script(load_registry(), OsFamily.WINDOWS, ExportOptions(60, BUDGET))


def live_windows_probes() -> list[PowerShell]:
    """What the local and SSH transports run on a Windows PC: each collector's commands."""
    registry = load_registry()
    probes: list[PowerShell] = []
    for transport in ("local", "ssh"):
        for admin in (True, False):
            pc = PlatformInfo(family=OsFamily.WINDOWS, transport=transport, is_admin=admin)
            for cls in registry.all_collectors():
                collector = cls()
                if collector.applies(pc):
                    probes += [c for c in collector.commands(pc, {}) if isinstance(c, PowerShell)]
    return list({p.key: p for p in probes}.values())


def test_script_parses_without_error_nodes(script: str) -> None:
    assert syntax_errors(script) == []
    assert script.isascii()
    assert "__" not in script.replace("__NAME__", "")  # every placeholder filled in


def test_syntax_check_would_catch_a_broken_script(script: str) -> None:
    assert syntax_errors(script.replace("} catch {", "} catch ", 1)) != []


def test_param_block_comes_first(script: str) -> None:
    code = [line for line in script.splitlines() if line.strip() and not line.startswith("#")]
    assert code[0] == "param([string]$OutputPath = '.')"


def test_default_output_is_a_literal() -> None:
    options = ExportOptions(default_output="\\\\fs01\\audit$\\it's $(x)")
    text = export_script(load_registry(), OsFamily.WINDOWS, options)
    assert "param([string]$OutputPath = '\\\\fs01\\audit$\\it''s $(x)')" in text
    assert syntax_errors(text) == []
    with pytest.raises(ValueError):
        ExportOptions(default_output="C:\\a\nb")


def test_script_holds_every_probe_of_the_windows_collectors(script: str) -> None:
    live = live_windows_probes()
    exported = probe_commands(load_registry(), OsFamily.WINDOWS)
    assert {p.key for p in exported} == {p.key for p in live} | {PLATFORM.key}
    # The same batch body as the transports run: prelude and each probe's block verbatim.
    prelude = batch_body([], BUDGET)
    assert prelude in script
    for probe in [*live, PLATFORM]:
        block = batch_body([probe], BUDGET)[len(prelude) :]
        assert block in script, probe.name
        assert probe.script.strip().splitlines()[0].strip() in script


def test_script_writes_what_the_bundle_loader_reads(script: str) -> None:
    for field in (
        '"format":"endpoint-audit-bundle"',
        '"version":1,',
        '"script_version":1,',
        '"collected_at":"',
        "$EAPlatform = 'null'",
        '"powershell_batch":',
        "ConvertTo-EAAsciiJson -Value $EAOut",
        "[IO.File]::Move($EATemp, $EAPath)",
    ):
        assert field in script, field
    assert "$EAStartedUtc = [datetime]::UtcNow" in script


@pytest.mark.parametrize("name", sorted(windows_cases()))
def test_bundle_of_recorded_pc_judged_like_its_scan(
    name: str, tmp_path: Path, cli: Callable[..., Any]
) -> None:
    host = windows_cases()[name]
    folder = tmp_path / "share"
    folder.mkdir()
    bundle = folder / f"endpoint-audit-{name}-20241120T030000Z.json"
    bundle.write_text(json.dumps(windows_script_bundle(host)))
    (loaded,) = load_bundle(bundle)
    assert loaded.platform is None and loaded.script_version == 1
    assert loaded.collected_at == RECORDED_AT
    # The capture keeps its 2024 collection time: --max-age 0, as this compares the
    # verdicts with the recorded scan's (tests/probe_export/test_max_age.py: old files).
    result = cli("evaluate", str(folder), "-f", "json", "--max-age", "0")
    report = json.loads(result.stdout)
    (judged,) = report["hosts"]
    assert judged["platform"]["family"] == "windows"
    assert judged["platform"]["transport"] == "probe-script"
    assert judged["platform"]["build"] == host.platform.build if host.platform else True
    findings = judged["findings"]
    cases = host_cases(name)
    assert judged_ids(findings) == {ref.split("/")[0] for ref, _ in cases}
    for ref, case in cases:  # what the recorded scan of that PC gives, check by check
        got = [
            {"resource": f["resource"], "status": f["status"], "key": f["message_key"]}
            for f in findings
            if f["check_id"] == ref.split("/")[0]
        ]
        assert got == [e.model_dump(mode="json") for e in case.expect], ref
    assert result.exit_code == host_spec(name)["exit_code"]


def test_probe_names_for_the_time_budget_fallback(script: str) -> None:
    names = ", ".join(f"'{p.name}'" for p in probe_commands(load_registry(), OsFamily.WINDOWS))
    assert f"foreach ($EAName in @({names}))" in script
    assert (
        '$EAPlatform = \'{"family":"windows","distro":"windows","transport":"probe-script"}\''
        in (script)
    )


def test_bundle_of_a_run_out_of_time_is_judged_error(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    """What the script writes when its probes did not finish in time: every probe failed
    with the reason, and the platform known only as Windows. Never a pass."""
    reason = "the probes did not finish within the time budget of 600 s"
    registry = with_rules(load_registry(), load_plan_baseline(DEFAULT_BASELINE, load_registry()))
    names = [p.name for p in probe_commands(registry, OsFamily.WINDOWS)]
    assert "rule-auditpol" in names and "rule.jp.guest_account_disabled" in names
    bundle = {
        "format": "endpoint-audit-bundle",
        "version": 1,
        "script_version": 1,
        "tool_version": "0.1.0",
        "hosts": [
            {
                "target": "PC-SLOW",
                "collected_at": "2024-11-20T03:00:00Z",
                "platform": {"family": "windows", "distro": "windows", "transport": "probe-script"},
                "probe": {"os": "windows", "total_seconds": 600},
                "commands": {},
                "powershell_batch": {n: {"ok": False, "error": reason} for n in names},
            }
        ],
    }
    (tmp_path / "endpoint-audit-PC-SLOW-20241120T030000Z.json").write_text(json.dumps(bundle))
    result = cli("evaluate", str(tmp_path), "-f", "json", "--max-age", "0")  # dated 2024
    (host,) = json.loads(result.stdout)["hosts"]
    statuses = {f["check_id"]: f["status"] for f in host["findings"]}
    default = yaml.safe_load(shipped_text(DEFAULT_BASELINE) or "")
    assert set(statuses) == set(default["checks"])
    # Every check that runs on Windows: error or unknown (the Linux and macOS rules do not).
    windows = {
        f["check_id"]: f["status"]
        for f in host["findings"]
        if f["message_key"] != "core.msg.not_applicable"
    }
    assert set(windows.values()) <= {"error", "unknown"}
    assert len(windows) >= 10
    assert any(reason in f["message"] for f in host["findings"])
    assert result.exit_code == 3


def test_the_exported_rule_probe_carries_its_applies_when_reads() -> None:
    """jp.office_macros_blocked reads whether Office is installed in its own probe: the
    exported script asks it with the policy reads, applicability first."""
    registry = with_rules(load_registry(), load_plan_baseline(DEFAULT_BASELINE, load_registry()))
    script = export_script(registry, OsFamily.WINDOWS, ExportOptions(60, BUDGET))
    assert syntax_errors(script) == []
    (probe,) = [
        p
        for p in probe_commands(registry, OsFamily.WINDOWS)
        if p.name == "rule.jp.office_macros_blocked"
    ]
    # The reads travel as one JSON literal, in the script as in the live batch.
    (reads,) = [line.strip() for line in probe.script.splitlines() if "ConvertFrom-Json" in line]
    assert reads in script
    office = reads.index("ClickToRun\\\\Configuration")
    msi = reads.index("90160000-0011-0000-1000-0000000FF1CE")
    policy = reads.index("blockcontentexecutionfrominternet")
    assert office < msi < policy
