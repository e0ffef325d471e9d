"""Every replay case of every check package, through the replay transport and the real
engine (`evaluate` of the case alone, with the case's parameters): each finding of the
check, in order, is the one the case expects."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from endpoint_audit.checkkit.cases import ReplayCase
from endpoint_audit.checks import builtin_packages
from tests.replay_cases import all_cases, case_path, package_cases

CASES = all_cases()
# The checks' own cases (the rules' are judged in tests/rules).
PACKAGE_REFS = sorted(package_cases())
# What a recorded output's source must look like: a repository path, an issue, a URL, a
# section of the shared reference, a standard, or the words that no capture exists.
SOURCE = re.compile(
    r"[\w.-]+/[\w.-]+ |https?://|platform-facts\.md|NO CAPTURE|NOT CAPTURED|no capture|"
    r"not from a capture|POSIX|[Dd]ocument|Stack Overflow|[Ii]ssue \d+|#\d+"
)


def baseline_for(check_id: str, case: ReplayCase, folder: Path) -> Path:
    path = folder / "case-baseline.yaml"
    data = {
        "id": "replay-case",
        "title": {"ja": "再生ケース", "en": "Replay case"},
        "version": "1",
        "checks": {check_id: {"params": case.params} if case.params else {}},
    }
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def run_case(
    cli: Callable[..., Any], ref: str, folder: Path, *extra: str
) -> tuple[int, dict[str, Any]]:
    check_id = ref.split("/", 1)[0]
    baseline = baseline_for(check_id, CASES[ref], folder)
    result = cli("evaluate", str(case_path(ref)), "-b", str(baseline), "-f", "json", *extra)
    return result.exit_code, json.loads(result.stdout)


def test_every_package_has_cases_for_each_of_its_platforms() -> None:
    for package in builtin_packages():
        families = {c.platform.family for r, c in CASES.items() if r.startswith(f"{package.id}/")}
        assert families == package.check.meta.platforms, package.id


@pytest.mark.parametrize("ref", PACKAGE_REFS)
def test_case(ref: str, cli: Callable[..., Any], tmp_path: Path) -> None:
    case = CASES[ref]
    _, report = run_case(cli, ref, tmp_path)
    (host,) = report["hosts"]
    got = [
        {"resource": f["resource"], "status": f["status"], "key": f["message_key"]}
        for f in host["findings"]
    ]
    assert got == [e.model_dump(mode="json") for e in case.expect]
    for finding in host["findings"]:
        assert finding["message"] and finding["message"] != finding["message_key"]


@pytest.mark.parametrize("ref", PACKAGE_REFS)
def test_recorded_output_names_its_source(ref: str) -> None:
    case = CASES[ref]
    assert case.commands or case.expect, ref
    for key in case.commands:
        sources = case.command_sources(key)
        if case.platform.family.value in ("windows", "macos"):
            assert sources, f"{ref}: {key} has no source"
            assert all(SOURCE.search(s) for s in sources), f"{ref}: {key}: {sources}"


def test_a_case_missing_a_command_is_never_a_pass(cli: Callable[..., Any], tmp_path: Path) -> None:
    """Replaying a case without one of its commands is unknown or error, naming it."""
    for ref in ("disk_encryption/win11-23h2-ja-compliant", "firewall/macos15-compliant"):
        case = CASES[ref]
        assert all(e.status == "pass" for e in case.expect)
        key = sorted(case.commands)[0]
        shorter = case.model_copy(
            update={"commands": {k: v for k, v in case.commands.items() if k != key}}
        )
        CASES[ref + "-short"] = shorter
        try:
            _, report = run_case(cli, ref + "-short", tmp_path)
        finally:
            del CASES[ref + "-short"]
        findings = report["hosts"][0]["findings"]
        assert findings and all(f["status"] in ("unknown", "error") for f in findings), ref
        assert any(key in f["message"] for f in findings), (ref, key)
