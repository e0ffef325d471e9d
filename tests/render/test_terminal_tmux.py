"""The terminal report as a person sees it: typed into a real terminal (tmux) 80 and 160
columns wide, and read back from the screen. Ids and resources stay whole, no line runs
past the screen, and the report ends with what to do next and the verdict. The screens
are saved to the test artifacts folder (terminal-*.txt) for people to look at."""

from __future__ import annotations

import secrets
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from endpoint_audit.model import i18n
from endpoint_audit.model.result import RunReport
from tests.conftest import require_tool
from tests.replay_cases import host_path

CASES = [
    host_path("win11-23h2-ja-rdp-listening"),
    host_path("win11-24h2-en-firewall-public-off"),
    host_path("macos14-filevault-off-alf0"),
]
DONE = "__SCREEN_DONE__"


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tmux")
    cases = folder / "cases"
    cases.mkdir()
    for case in CASES:
        shutil.copy(case, cases / case.name)
    out = folder / "report.json"
    exe = [sys.executable, "-m", "endpoint_audit", "scan", "--replay", str(cases)]
    subprocess.run([*exe, "-f", f"json:{out}"], capture_output=True, timeout=300)
    return out


@pytest.fixture
def tmux() -> Iterator[list[str]]:
    exe = require_tool("tmux")
    # A server of our own (its own socket name): never the user's sessions.
    base = [exe, "-L", f"ea-test-{secrets.token_hex(4)}", "-f", "/dev/null"]
    try:
        yield base
    finally:
        subprocess.run([*base, "kill-server"], capture_output=True, timeout=30)


def screen(tmux: list[str], width: int, command: str) -> str:
    """Type `command` into a shell in a terminal `width` columns wide; the whole screen
    (scrollback included) once it has finished."""
    subprocess.run(
        [*tmux, "new-session", "-d", "-s", "t", "-x", str(width), "-y", "50", "sh"],
        check=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp", "TERM": "xterm-256color"},
    )
    subprocess.run([*tmux, "set-option", "-t", "t", "history-limit", "5000"], check=True)
    subprocess.run([*tmux, "send-keys", "-t", "t", f"{command}; echo {DONE}", "Enter"], check=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        shown = subprocess.run(
            [*tmux, "capture-pane", "-p", "-t", "t", "-S", "-", "-E", "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        if f"\n{DONE}" in shown:
            return shown.split(f"\n{DONE}", 1)[0]
        time.sleep(0.3)
    raise AssertionError(f"no end of output within 180 s:\n{shown}")


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("width", [80, 160])
def test_terminal_report_on_a_real_screen(
    tmux: list[str], report_file: Path, artifacts: Path, width: int, lang: str
) -> None:
    exe = shlex.join([sys.executable, "-m", "endpoint_audit"])
    command = f"{exe} report render {shlex.quote(str(report_file))} -f terminal --lang {lang}"
    shown = screen(tmux, width, command)
    (artifacts / f"terminal-{width}-{lang}.txt").write_text(shown, encoding="utf-8")
    lines = shown.splitlines()[1:]  # the typed command is the first line
    report = RunReport.model_validate_json(report_file.read_bytes())
    text = "\n".join(lines)
    # Every check id and every short resource shows whole on one line.
    for host in report.hosts:
        for finding in host.findings:
            assert finding.check_id in text, finding.check_id
            if finding.resource and len(finding.resource) <= 32:
                assert finding.resource in text, finding.resource
    assert i18n.t(lang, "report.next.title") in text
    assert any(line.strip().startswith("endpoint-audit checks show ") for line in lines)
    verdict = [line for line in lines if line.startswith(i18n.t(lang, "report.verdict.label"))]
    assert verdict and i18n.t(lang, "report.verdict.failed") in verdict[0]
    assert "…" not in text
    if width == 80:
        assert "┃" not in text  # the narrow layout: three columns, no heavy grid
    else:
        assert "┃" in text
