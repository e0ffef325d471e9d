"""Running the CLI on hostile input: in-process (fast, for many generated cases) and as a
real subprocess (what a user runs), and the one assertion every hostile case shares."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from endpoint_audit.cli.app import app
from endpoint_audit.engine.exit_policy import ExitCode

CMD = [sys.executable, "-m", "endpoint_audit"]
# An internal error (70) is documented, but on hostile input it is a crash like a traceback.
DOCUMENTED_EXITS = {int(code) for code in ExitCode} - {int(ExitCode.INTERNAL)}
# Every control character a terminal acts on, and the bidirectional controls.
RAW_CONTROLS = [chr(c) for c in (*range(0, 9), *range(11, 32), 127, *range(0x80, 0xA0))] + [
    "\u061c",
    "\u200e",
    "\u200f",
    *(chr(c) for c in range(0x202A, 0x202F)),
    *(chr(c) for c in range(0x2066, 0x206A)),
    "\u2028",
    "\u2029",
]


def english_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, LANG="C.UTF-8", ENDPOINT_AUDIT_LANG="en")
    env.pop("LC_ALL", None)
    env.update(extra)
    return env


def run_cli(
    *args: str | Path,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it, in its own process (bounded in time)."""
    return subprocess.run(
        [*CMD, *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=timeout,
        env=env or english_env(),
        cwd=cwd,
        check=False,
    )


@dataclass(frozen=True)
class Ran:
    code: int
    stdout: str
    stderr: str
    exception: BaseException | None


def invoke(*args: str | Path, env: dict[str, str] | None = None) -> Ran:
    """The CLI in this process. An exception that escapes the command is kept (it would
    be a traceback for the user), not raised, so that tests can say which input did it."""
    result = CliRunner().invoke(
        app,
        [str(a) for a in args],
        env=env or {"ENDPOINT_AUDIT_LANG": "en", "LANG": "C.UTF-8"},
        catch_exceptions=True,
    )
    exception = result.exception
    if isinstance(exception, SystemExit):
        exception = None
    return Ran(result.exit_code, result.stdout, result.stderr, exception)


def assert_clean(code: int, stderr: str, exception: BaseException | None = None) -> None:
    """No traceback, a documented exit code, and a configuration error in exactly one
    line that starts as every error of the tool does."""
    assert exception is None, f"{type(exception).__name__}: {exception}"
    assert "Traceback" not in stderr, stderr
    assert code in DOCUMENTED_EXITS, (code, stderr)
    if code == ExitCode.CONFIG:
        lines = stderr.strip().splitlines()
        errors = [line for line in lines if line.startswith("endpoint-audit: error: ")]
        assert len(errors) == 1, stderr


def assert_ran_clean(ran: Ran) -> None:
    assert_clean(ran.code, ran.stderr, ran.exception)


def assert_no_raw_controls(text: str) -> None:
    """Terminal text shows control characters as escapes, never raw (newlines aside)."""
    found = sorted({f"U+{ord(c):04X}" for c in RAW_CONTROLS if c in text})
    assert not found, (found, text[:2000])
