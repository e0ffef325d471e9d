"""A host whose platform cannot be told is an error for every check, never "not
applicable": judged from recordings here (replay, bundles, `evaluate`); over real SSH in
tests/ssh/test_identity_ssh.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from endpoint_audit.baseline.load import DEFAULT_BASELINE
from endpoint_audit.checks import builtin_packages
from endpoint_audit.engine.exit_policy import ExitCode
from endpoint_audit.engine.plan import load_plan_baseline
from endpoint_audit.engine.registry import load_registry
from tests.baselines.helpers import COMPLIANT, run

# Every check of the default baseline: the packages' and its rules.
CHECKS = {p.id for p in builtin_packages()} | set(
    load_plan_baseline(DEFAULT_BASELINE, load_registry()).rules
)
NOLOGIN = "This account is currently not available.\n"


def bundle(tmp_path: Path, name: str, host: dict[str, Any]) -> Path:
    path = tmp_path / name
    data = {"format": "endpoint-audit-bundle", "version": 1, "hosts": [host]}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def uname(exit_status: int, stdout: str = "", stderr: str = "", **extra: Any) -> dict[str, Any]:
    return {"exit_status": exit_status, "stdout": stdout, "stderr": stderr, **extra}


CASES = {
    # sshd runs the command through the account's shell; nologin answers instead.
    "nologin": ({"uname -snm": uname(1, NOLOGIN)}, "This account is currently not available"),
    "uname-fails": ({"uname -snm": uname(2, stderr="uname: cannot stat\n")}, "exited 2"),
    "uname-hung": (
        {"uname -snm": uname(124, stderr="uname: timed out after 30 s", timed_out=True)},
        "timed out",
    ),
    "unknown-kernel": ({"uname -snm": uname(0, "FreeBSD pc-01 amd64\n")}, "'FreeBSD'"),
    "garbage": ({"uname -snm": uname(0, "\x1b[2J\x07hello\n")}, "unsupported output"),
    "nothing-recorded": ({}, "neither the platform nor the output of `uname -snm`"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_undetected_platform_is_an_error_for_every_check(tmp_path: Path, case: str) -> None:
    commands, reason = CASES[case]
    path = bundle(tmp_path, f"{case}.yaml", {"target": case, "commands": commands})
    for command in ("evaluate", "scan --replay"):
        result = run(*command.split(), path, "-f", "json")
        assert result.code == ExitCode.INCOMPLETE, (command, result.stdout, result.stderr)
        (host,) = result.json()["hosts"]
        assert host["status"] == "ok"
        assert host["platform"]["family"] == "unknown"
        assert reason in host["platform"]["detection_error"]
        assert {f["check_id"] for f in host["findings"]} == CHECKS
        for finding in host["findings"]:
            assert finding["status"] == "error"
            assert finding["message_key"] == "core.msg.platform_undetected"
            assert reason in finding["message"]
            assert "\x1b" not in finding["message"] and "\x07" not in finding["message"]


def test_a_bundle_that_records_an_unknown_platform_is_an_error(tmp_path: Path) -> None:
    platform = {"family": "unknown", "detection_error": "uname said nothing useful"}
    path = bundle(tmp_path, "pc.yaml", {"target": "pc", "platform": platform, "commands": {}})
    result = run("evaluate", path, "-f", "json", "--lang", "ja")
    assert result.code == ExitCode.INCOMPLETE
    (host,) = result.json()["hosts"]
    statuses = {f["status"] for f in host["findings"]}
    assert statuses == {"error"}
    assert all("OS を判別できなかった" in f["message"] for f in host["findings"])
    assert all("uname said nothing useful" in f["message"] for f in host["findings"])


def test_an_undetected_host_next_to_a_compliant_one_keeps_the_run_incomplete(
    tmp_path: Path,
) -> None:
    compliant = COMPLIANT
    folder = tmp_path / "share"
    folder.mkdir()
    (folder / "tw-pc-001.yaml").write_text(compliant.read_text(encoding="utf-8"))
    bundle(folder, "nologin.yaml", {"target": "nologin", "commands": CASES["nologin"][0]})
    assert run("evaluate", folder / "tw-pc-001.yaml").code == ExitCode.OK
    # Neither file is current (2024, and undated): --max-age 0, so that the error
    # findings are the undetected platform's, not the age limit's unknowns.
    result = run("evaluate", folder, "-f", "json", "--max-age", "0")
    assert result.code == ExitCode.INCOMPLETE, result.stderr
    by_target = {h["target"]: h for h in json.loads(result.stdout)["hosts"]}
    assert {f["status"] for f in by_target["nologin"]["findings"]} == {"error"}
