"""Without --format, `-o FILE` writes the format FILE's extension names."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from endpoint_audit.cli.outputs import format_for, parse_outputs


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("report.json", "json"),
        ("Report.HTML", "html"),
        ("r.htm", "html"),
        ("out/r.csv", "csv"),
        ("r.md", "markdown"),
        ("junit.xml", "junit"),
        ("r.txt", "terminal"),
        ("report", "terminal"),
        ("-", "terminal"),
        (None, "terminal"),
    ],
)
def test_the_extension_names_the_format(path: str | None, expected: str) -> None:
    assert format_for(path) == expected


def test_an_explicit_format_wins_over_the_extension(tmp_path: Path) -> None:
    (spec,) = parse_outputs(["terminal"], str(tmp_path / "r.json"))
    assert spec.format == "terminal"
    (spec,) = parse_outputs(None, str(tmp_path / "r.json"))
    assert spec.format == "json"


def test_scan_dash_o_report_json_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "endpoint_audit", "scan", "--only", "firewall", "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode in (0, 1, 3), done.stderr
    assert "wrote the json report" in done.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["hosts"]
