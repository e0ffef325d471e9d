"""Files written by the release before check packages (bundle format 1, report schema 1)
still evaluate, replay and render as they did: tests/fixtures/frozen/expected.yaml holds
what that release made of each (findings and exit code). Users keep years of these on
shares; the frozen files are never regenerated."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

FROZEN = Path(__file__).resolve().parent.parent / "fixtures" / "frozen"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load(
    (FROZEN / "expected.yaml").read_text(encoding="utf-8")
)
BUNDLES = sorted(n for n in EXPECTED if not n.startswith("report-"))
REPORTS = sorted(n for n in EXPECTED if n.startswith("report-"))


def findings(report: dict[str, Any]) -> list[list[Any]]:
    return [
        [f["check_id"], f["resource"], f["status"], f["message_key"]]
        for host in report["hosts"]
        for f in host["findings"]
    ]


def test_the_frozen_set() -> None:
    assert sorted(p.name for p in FROZEN.iterdir() if p.name != "expected.yaml") == sorted(EXPECTED)
    kinds = " ".join(BUNDLES)
    for kind in ("windows-", "macos-", "linux-", "probe-script", "recording"):
        assert kind in kinds, kind
    assert REPORTS


@pytest.mark.parametrize("name", BUNDLES)
@pytest.mark.parametrize("how", [("evaluate",), ("scan", "--replay")])
def test_a_frozen_bundle_is_judged_as_before(
    name: str, how: tuple[str, ...], cli: Callable[..., Any]
) -> None:
    # The checks that release ran: checks added since are judged in the test below.
    then = ",".join(sorted({f[0] for f in EXPECTED[name]["findings"]}))
    result = cli(*how, str(FROZEN / name), "-f", "json", "--only", then)
    report = json.loads(result.stdout)
    assert [h["target"] for h in report["hosts"]] == EXPECTED[name]["hosts"]
    assert findings(report) == EXPECTED[name]["findings"]
    assert result.exit_code == EXPECTED[name]["exit_code"]


@pytest.mark.parametrize("name", BUNDLES)
def test_a_check_added_since_is_never_a_pass_on_a_recording_it_lacks(
    name: str, cli: Callable[..., Any]
) -> None:
    """Checks newer than the bundle: where they need a command it lacks, unknown or error
    naming it; a pass only from what the bundle holds (the platform it recorded)."""
    result = cli("evaluate", str(FROZEN / name), "-f", "json")
    report = json.loads(result.stdout)
    then = {f[0] for f in EXPECTED[name]["findings"]}
    for host in report["hosts"]:
        for f in host["findings"]:
            if f["check_id"] in then or f["message_key"] != "core.msg.replay_miss":
                continue
            assert f["status"] in ("unknown", "error") and "no recorded output" in f["message"]
        # Rules of other OS families are not applicable; a standard user's audit does not
        # run auditpol or secedit, which needs no recording to be unknown.
        added = [
            f
            for f in host["findings"]
            if f["check_id"] not in then
            and f["message_key"] != "core.msg.not_applicable"
            and "administrator" not in f["message"]
        ]
        needs_commands = host["platform"]["family"] == "windows"
        for f in added:
            if f["message_key"] == "core.msg.not_applicable":
                continue  # a check of other systems only (a Linux or macOS rule)
            if needs_commands:
                assert f["status"] in ("unknown", "error"), f
                assert "no recorded output" in f["message"], f


def test_a_missing_recording_is_unknown_or_error_naming_it(cli: Callable[..., Any]) -> None:
    """The oldest Linux bundle lacks the commands today's firewall check reads."""
    result = cli("evaluate", str(FROZEN / "linux-firewall-old-bundle.yaml"), "-f", "json")
    (host,) = json.loads(result.stdout)["hosts"]
    firewall = [f for f in host["findings"] if f["check_id"] == "firewall"]
    assert firewall and all(f["status"] in ("unknown", "error") for f in firewall)
    assert all("no recorded output" in f["message"] for f in firewall)
    # Checks that judge only the platform the bundle recorded (the OS release) may pass.
    recorded_platform_only = {"os_support"}
    assert not [
        f
        for f in host["findings"]
        if f["status"] == "pass" and f["check_id"] not in recorded_platform_only
    ]


@pytest.mark.parametrize("name", REPORTS)
def test_a_frozen_report_renders(name: str, cli: Callable[..., Any], tmp_path: Path) -> None:
    report = json.loads((FROZEN / name).read_text(encoding="utf-8"))
    assert report["schema_version"] == EXPECTED[name]["schema_version"]
    assert findings(report) == EXPECTED[name]["findings"]
    again = cli("report", "render", str(FROZEN / name), "-f", "json")
    assert again.exit_code == 0
    assert findings(json.loads(again.stdout)) == EXPECTED[name]["findings"]
    for fmt in ("html", "markdown", "csv", "junit", "terminal", "frameworks"):
        out = tmp_path / f"r.{fmt}"
        done = cli("report", "render", str(FROZEN / name), "-f", f"{fmt}:{out}")
        assert done.exit_code == 0, (fmt, done.stdout)
        text = out.read_text(encoding="utf-8").replace("\\", "")  # Markdown escapes
        for host in EXPECTED[name]["hosts"]:
            assert host in text, (fmt, host)
        if fmt in ("html", "csv", "junit"):  # these list every finding
            for check_id in {f[0] for f in EXPECTED[name]["findings"]}:
                assert check_id in text, (fmt, check_id)
