"""Progress of a local audit on stderr: only after a second, only on a terminal unless
asked for, and a line naming each report written to a file."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from endpoint_audit.cli import progress
from endpoint_audit.cli.progress import audit_progress, wants_progress
from tests.replay_cases import host_path


def test_progress_only_on_a_terminal_unless_asked() -> None:
    assert wants_progress({}, tty=True) == "spinner"
    assert wants_progress({}, tty=False) is None  # a pipe, a CI log
    assert wants_progress({"ENDPOINT_AUDIT_PROGRESS": "1"}, tty=False) == "plain"
    assert wants_progress({"ENDPOINT_AUDIT_PROGRESS": "0"}, tty=True) is None


def test_quick_runs_show_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    with audit_progress("this PC", "en", mode="plain"):
        pass
    assert capsys.readouterr().err == ""


def test_slow_runs_say_they_are_working(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress, "DELAY", 0.05)
    monkeypatch.setattr(progress, "PLAIN_EVERY", 0.1)
    with audit_progress("この PC", "ja", mode="plain"):
        time.sleep(0.4)
    err = capsys.readouterr().err
    assert err.startswith("endpoint-audit: この PCを監査しています… 0 秒\n")
    assert 2 <= err.count("監査しています") <= 8
    time.sleep(0.3)
    assert capsys.readouterr().err == ""  # the worker stopped with the block


def test_written_reports_are_named(tmp_path: Path) -> None:
    case = host_path("macos15-compliant")
    out = tmp_path / "r.html"
    exe = [sys.executable, "-m", "endpoint_audit", "scan", "--replay", str(case)]
    done = subprocess.run(
        [*exe, "--lang", "en", "-f", f"html:{out}", "-f", "terminal"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert f"endpoint-audit: wrote the html report to {out}\n" in done.stderr
    assert "terminal report" not in done.stderr  # stdout is not a file
    assert out.stat().st_size > 1000
