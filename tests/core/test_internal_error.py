"""A failure of the tool itself exits 70 with one line, never 1 ("not compliant"): a
script that reads the exit code must not take a broken install for a verdict."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from endpoint_audit.cli import EXIT_INTERNAL
from endpoint_audit.engine.exit_policy import ExitCode

# A broken install as one really happened: a dependency the result model needs is missing
# or broken. The shadowing module raises on import, with a terminal escape in its message.
BROKEN = 'raise ImportError("msgspec is broken \\x1b[31mred\\x1b[0m")\n'


def _run(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    shadow = tmp_path / "shadow"
    shadow.mkdir(exist_ok=True)
    (shadow / "msgspec.py").write_text(BROKEN, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(shadow), XDG_CACHE_HOME=str(tmp_path / "cache"))
    env.pop("ENDPOINT_AUDIT_TRACEBACK", None)
    env.update(extra)
    return subprocess.run(
        [sys.executable, "-m", "endpoint_audit", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_the_exit_code_is_the_documented_one() -> None:
    assert EXIT_INTERNAL == ExitCode.INTERNAL == 70


def test_a_broken_install_exits_70_with_one_line(tmp_path: Path) -> None:
    done = _run(tmp_path, "scan", "-f", "json")
    assert done.returncode == ExitCode.INTERNAL, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "internal error, not a verdict" in lines[0]
    assert "ImportError: msgspec is broken" in lines[0]
    assert "\x1b" not in done.stderr  # the message's escape never reaches the terminal
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    crash = tmp_path / "cache" / "endpoint-audit" / "last-crash.txt"
    assert str(crash) in lines[0]
    kept = crash.read_text(encoding="utf-8")
    assert kept.startswith("Traceback (most recent call last)")
    assert "msgspec.py" in kept


def test_the_traceback_on_stderr_when_asked(tmp_path: Path) -> None:
    done = _run(tmp_path, "scan", "-f", "json", ENDPOINT_AUDIT_TRACEBACK="1")
    assert done.returncode == 1  # Python's own exit for an uncaught exception
    assert "Traceback (most recent call last)" in done.stderr
    assert not (tmp_path / "cache" / "endpoint-audit" / "last-crash.txt").exists()


def test_an_unwritable_cache_puts_the_traceback_on_stderr(tmp_path: Path) -> None:
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the cache folder would be", encoding="utf-8")
    done = _run(tmp_path, "scan", "-f", "json")
    assert done.returncode == ExitCode.INTERNAL, done.stderr
    assert "Traceback (most recent call last)" in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("endpoint-audit: internal error")
    assert "its traceback is above" in done.stderr


def test_quick_commands_do_not_need_what_broke(tmp_path: Path) -> None:
    # --version and --help load none of the model: a broken dependency does not stop them.
    assert _run(tmp_path, "--version").returncode == 0
