"""The local transport's command starts: a program the PATH cannot hold is answered
"not found" without a fork, exactly as a failed exec is; every other start still execs."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from endpoint_audit.model.commands import EXIT_DENIED, EXIT_NOT_FOUND
from endpoint_audit.transport import local
from endpoint_audit.transport.local import run_argv

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX PATH search")


def _env(path: str) -> dict[str, str]:
    return {**os.environ, "PATH": path}


def _no_fork(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    started: list[tuple[Any, ...]] = []
    real = asyncio.create_subprocess_exec

    async def spy(*argv: Any, **kwargs: Any) -> Any:
        started.append(argv)
        return await real(*argv, **kwargs)

    monkeypatch.setattr(local.asyncio, "create_subprocess_exec", spy)
    return started


def test_missing_program_is_not_found_without_a_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = _no_fork(monkeypatch)
    got = asyncio.run(run_argv(("no-such-tool",), _env(str(tmp_path)), 5))
    assert (got.exit_status, got.stderr) == (EXIT_NOT_FOUND, "no-such-tool: command not found")
    missing = tmp_path / "absent" / "tool"
    got = asyncio.run(run_argv((str(missing),), _env(str(tmp_path)), 5))
    assert (got.exit_status, got.stderr) == (EXIT_NOT_FOUND, f"{missing}: command not found")
    assert started == []


def test_the_answer_is_the_one_a_failed_exec_gives(tmp_path: Path) -> None:
    """The same result as before the shortcut: exec's own FileNotFoundError path."""
    env = _env(str(tmp_path))
    short = asyncio.run(run_argv(("no-such-tool",), env, 5))
    # A broken link is a name on the PATH: exec is asked, and fails "not found" itself.
    (tmp_path / "no-such-tool").symlink_to(tmp_path / "nowhere")
    execd = asyncio.run(run_argv(("no-such-tool",), env, 5))
    assert (short.exit_status, short.stderr) == (execd.exit_status, execd.stderr)


def test_a_name_on_the_path_still_goes_to_exec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Something of that name is there (a folder: exec refuses it, even for root): exec is
    asked, and its answer (permission denied) is what the command gets."""
    (tmp_path / "tool").mkdir()
    started = _no_fork(monkeypatch)
    got = asyncio.run(run_argv(("tool",), _env(str(tmp_path)), 5))
    assert got.exit_status == EXIT_DENIED
    assert len(started) == 1


def test_a_program_found_later_on_the_path_runs(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    tool = second / "tool"
    tool.write_text("#!/bin/sh\necho ran\n", encoding="utf-8")
    tool.chmod(0o755)
    got = asyncio.run(run_argv(("tool",), _env(f"{first}{os.pathsep}{second}"), 5))
    assert (got.exit_status, got.stdout) == (0, "ran\n")
