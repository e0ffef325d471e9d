"""Ctrl-C, SIGTERM, SIGHUP and a closed stdout, sent to real processes.

An interrupt at any moment after the program starts (while it is still importing its
modules, loading the baseline, or auditing) ends with one line on stderr, exit 130
(SIGINT) or 143 (SIGTERM), no traceback, and no report file replaced. A reader that goes
away ends the run with 141, as a program killed by SIGPIPE would, not with 1.

The moment is taken from the process itself: with `-X importtime` Python prints a line
as each module finishes importing, so the signal can be sent right after a given module
(the first one the entry point imports, typer, pydantic, the command modules) and then
after fixed delays. What runs before the entry point's first line (Python's own start-up,
and the launcher script pip writes) is Python's, not this program's, and is not tested.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from endpoint_audit.cli import interrupts
from endpoint_audit.engine.exit_policy import ExitCode
from tests.baselines.helpers import COMPLIANT

CLI = [sys.executable, "-X", "importtime", "-m", "endpoint_audit"]
ENV = {**os.environ, "ENDPOINT_AUDIT_LANG": "en", "PYTHONUNBUFFERED": "1"}
# Module lines of -X importtime, in the order the entry point reaches them. FIRST is the
# first module imported once main() runs: whatever comes right after our package.
FIRST = "(the first import inside main)"
SYNC_POINTS = (FIRST, "typer", "pydantic", "endpoint_audit.cli.app")
DELAYS = (0.0, 0.05, 0.15, 0.3, 0.5)


class Child:
    """A CLI process whose stderr is read line by line as it comes."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [*CLI, *args], cwd=cwd, env=ENV, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for_import(self, module: str, timeout: float = 180) -> bool:
        """True once `module` finished importing; False if the process ended first."""
        if module == FIRST:
            return self.wait_for_import("endpoint_audit.cli", timeout) and self._next_import()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                return False
            self.seen.append(line)
            if line.startswith("import time:") and line.split("|")[-1].strip() == module:
                return True
        raise AssertionError(f"{module} was not imported within {timeout} s")

    def _next_import(self) -> bool:
        while True:
            line = self.lines.get(timeout=180)
            if line is None:
                return False
            self.seen.append(line)
            if line.startswith("import time:"):
                return True

    def finish(self, timeout: float = 300) -> tuple[int, list[str]]:
        code = self.proc.wait(timeout=timeout)
        while True:
            line = self.lines.get(timeout=timeout)
            if line is None:
                break
            self.seen.append(line)
        said = [line for line in self.seen if not line.startswith("import time:")]
        return code, said

    def stop(self) -> None:
        """A test that failed midway leaves no child behind (this test's own, by PID)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=60)


KEPT = '{"kept": true}\n'


def interrupt_at(
    tmp_path: Path, module: str, delay: float, signum: int
) -> tuple[int, list[str], Path, float]:
    """The exit code and stderr of a scan sent `signum` `delay` s after `module` was
    imported, its report file, and a time by which the signal was sent (time.time())."""
    keep = tmp_path / "keep.json"
    keep.write_text(KEPT, encoding="utf-8")
    (tmp_path / "keep.partial.json").unlink(missing_ok=True)
    child = Child(["scan", "-b", "minimal", "-f", f"json:{keep}", "-f", "terminal"], tmp_path)
    try:
        started = child.wait_for_import(module)
        assert started, "the process ended before the signal"
        time.sleep(delay)
        child.proc.send_signal(signum)
        # Read after sending: this process may lose the CPU between the two steps, and a
        # report the child wrote in that gap came before the signal.
        sent = time.time()
        code, said = child.finish()
    finally:
        child.stop()
    return code, said, keep, sent


def finished_first(code: int, keep: Path, sent: float, signal_code: int) -> bool:
    """The scan had written its whole report before the signal was sent: the signal came
    too late to matter (a loaded machine passes the import line on late, or the child
    runs ahead of the test). Judged by the file's own time, not by how long anything
    took: a report written after the signal is never excused. The run then ends as it
    would have (its verdict), or as the signal says when it came before the exit."""
    if keep.read_text(encoding="utf-8") == KEPT:
        return False
    written_before = keep.stat().st_mtime <= sent
    if written_before:
        assert code in (0, 1, 3, signal_code), f"exit {code} after the report was written"
    return written_before


@pytest.mark.parametrize("module", SYNC_POINTS)
def test_ctrl_c_while_starting_is_one_line_and_exit_130(tmp_path: Path, module: str) -> None:
    for delay in DELAYS:
        code, said, keep, sent = interrupt_at(tmp_path, module, delay, signal.SIGINT)
        where = f"SIGINT {delay} s after {module}"
        if finished_first(code, keep, sent, ExitCode.INTERRUPTED):
            continue
        assert code == ExitCode.INTERRUPTED, f"{where}: exit {code}\n{''.join(said)}"
        assert not any("Traceback" in line for line in said), (where, said)
        assert said and all(line.startswith("endpoint-audit: ") for line in said), (where, said)
        assert len(said) <= 2, (where, said)
        # Nothing finished, so nothing was written: the old report is untouched.
        assert keep.read_text(encoding="utf-8") == KEPT, where
        assert not (tmp_path / "keep.partial.json").exists(), where


@pytest.mark.parametrize("module", SYNC_POINTS[::3])
def test_sigterm_is_handled_like_ctrl_c_with_exit_143(tmp_path: Path, module: str) -> None:
    for delay in DELAYS[::2]:
        code, said, keep, sent = interrupt_at(tmp_path, module, delay, signal.SIGTERM)
        where = f"SIGTERM {delay} s after {module}"
        if finished_first(code, keep, sent, ExitCode.TERMINATED):
            continue
        assert code == ExitCode.TERMINATED, (where, said)
        assert not any("Traceback" in line for line in said), (where, said)
        assert said and all(line.startswith("endpoint-audit: ") for line in said), (where, said)
        assert keep.read_text(encoding="utf-8") == KEPT, where


@pytest.mark.parametrize("module", SYNC_POINTS[::3])
def test_sighup_is_handled_like_sigterm_with_exit_129(tmp_path: Path, module: str) -> None:
    """The terminal or SSH session that started the scan went away."""
    for delay in DELAYS[::2]:
        code, said, keep, sent = interrupt_at(tmp_path, module, delay, signal.SIGHUP)
        where = f"SIGHUP {delay} s after {module}"
        if finished_first(code, keep, sent, ExitCode.HANGUP):
            continue
        assert code == ExitCode.HANGUP, (where, said)
        assert not any("Traceback" in line for line in said), (where, said)
        assert said and all(line.startswith("endpoint-audit: ") for line in said), (where, said)
        assert keep.read_text(encoding="utf-8") == KEPT, where


def test_interrupt_during_the_audit_writes_nothing_without_results(tmp_path: Path) -> None:
    """A local scan interrupted in the middle of its probes has no host finished."""
    keep = tmp_path / "keep.json"
    keep.write_text("{}\n", encoding="utf-8")
    child = Child(["scan", "-f", f"json:{keep}", "--lang", "en"], tmp_path)
    assert child.wait_for_import("endpoint_audit.transport.local")
    time.sleep(0.3)
    child.proc.send_signal(signal.SIGINT)
    code, said = child.finish()
    if code == ExitCode.INTERRUPTED:
        assert keep.read_text(encoding="utf-8") == "{}\n"
        assert not (tmp_path / "keep.partial.json").exists()
        assert not any("Traceback" in line for line in said), said


def test_exit_codes_agree() -> None:
    assert interrupts.EXIT_INTERRUPTED == ExitCode.INTERRUPTED == 130
    assert interrupts.EXIT_TERMINATED == ExitCode.TERMINATED == 143
    assert interrupts.EXIT_HANGUP == ExitCode.HANGUP == 129
    assert interrupts.EXIT_STDOUT_CLOSED == ExitCode.STDOUT_CLOSED == 141


def closed_stdout(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """Run with a stdout pipe whose reader has already gone (as `| head -1` ends)."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(
            [sys.executable, "-m", "endpoint_audit", *args],
            cwd=cwd, env=ENV, stdout=write, stderr=subprocess.PIPE, timeout=120, check=False,
        )  # fmt: skip
    finally:
        os.close(write)


@pytest.mark.parametrize(
    "args",
    [
        ["report", "schema"],
        ["checks", "list"],
        ["checks", "show", "firewall", "--lang", "ja"],
        ["baseline", "show", "jp-municipal-telework", "--effective"],
        ["--version"],
    ],
)
def test_a_closed_stdout_exits_141_quietly(tmp_path: Path, args: list[str]) -> None:
    ran = closed_stdout(args, tmp_path)
    assert ran.returncode == ExitCode.STDOUT_CLOSED, ran.stderr
    assert ran.stderr == b""


def test_a_closed_stdout_still_writes_the_report_files(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    ran = closed_stdout(
        ["scan", "--replay", str(COMPLIANT), "-f", "terminal", "-f", f"json:{out}"], tmp_path
    )
    assert ran.returncode == ExitCode.STDOUT_CLOSED, ran.stderr
    assert b"Traceback" not in ran.stderr
    assert out.stat().st_size > 1000  # the file output did not depend on the pipe


def test_head_reads_the_first_line_and_the_scan_ends_quietly(tmp_path: Path) -> None:
    """The shell way: `endpoint-audit report render fleet.json -f json | head -c 1`."""
    one = tmp_path / "one.json"
    made = subprocess.run(
        [sys.executable, "-m", "endpoint_audit", "scan", "--replay", str(COMPLIANT),
         "-f", f"json:{one}"],
        env=ENV, capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    # Far more than a pipe holds, so the writer meets the closed pipe.
    data = json.loads(one.read_text(encoding="utf-8"))
    data["hosts"] = data["hosts"] * 200
    fleet = tmp_path / "fleet.json"
    fleet.write_text(json.dumps(data), encoding="utf-8")
    script = (
        f"{shlex.quote(sys.executable)} -m endpoint_audit report render "
        f"{shlex.quote(str(fleet))} -f json | head -c 1 >/dev/null; echo ${{PIPESTATUS[0]}} >&2"
    )
    ran = subprocess.run(
        ["bash", "-c", script], env=ENV, capture_output=True, timeout=120, check=False
    )
    assert ran.stderr.decode().strip().splitlines() == ["141"], ran.stderr


def test_every_exit_code_is_documented() -> None:
    root = Path(__file__).resolve().parents[2]
    for doc in ("README.md", "docs/fleet.md"):
        text = (root / doc).read_text(encoding="utf-8")
        table = {int(m) for m in re.findall(r"^\| (\d+) \|", text, flags=re.MULTILINE)}
        assert table == {int(code) for code in ExitCode}, doc


UNRAISABLE = """
import sys, time, weakref
from endpoint_audit.cli import interrupts
interrupts.install()

class Thing:
    pass

def callback(_ref):
    # as _on_sigint does when the signal lands inside a weakref callback
    interrupts._interrupts.append(2)
    raise {error}

thing = Thing()
ref = weakref.ref(thing, callback)
try:
    del thing
    for _ in range(200):  # at most 2 s for the interrupt to come back
        time.sleep(0.01)
    print("carried on")
except KeyboardInterrupt:
    print("interrupted")
"""


@pytest.mark.parametrize(
    ("error", "out", "printed"),
    [("KeyboardInterrupt", "interrupted", False), ("ValueError('x')", "carried on", True)],
)
def test_an_interrupt_inside_a_callback_is_delivered_again_without_a_traceback(
    error: str, out: str, printed: bool
) -> None:
    # Seen under load: SIGTERM during start-up landed in importlib's module-lock callback,
    # and Python printed "Exception ignored in ... Traceback" before exit 143.
    done = subprocess.run(
        [sys.executable, "-c", UNRAISABLE.format(error=error)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.stdout.strip() == out, done.stderr
    assert ("Traceback" in done.stderr) is printed, done.stderr
