"""The batch shell script, run by the local /bin/sh: framing, exit codes, isolation."""

from __future__ import annotations

import subprocess
import time

from endpoint_audit.transport.posix_batch import (
    EXIT_NO_RESULT,
    BatchItem,
    build_script,
    new_marker,
    parse_output,
)
from endpoint_audit.transport.ssh import posix_command_line


def run_batch(items: list[BatchItem]) -> tuple[list, float]:
    marker = new_marker()
    script = build_script(items, marker)
    started = time.monotonic()
    done = subprocess.run(["sh", "-c", script], capture_output=True, timeout=60, check=False)
    wall = time.monotonic() - started
    out = done.stdout.decode("utf-8", errors="replace")
    return parse_output(out, items, marker, wall), wall


def item(*argv: str, timeout: float = 10) -> BatchItem:
    return BatchItem(posix_command_line(argv, (("LC_ALL", "C"),)), timeout)


def test_outputs_and_exit_codes_are_kept_apart() -> None:
    results, _ = run_batch(
        [
            item("printf", "%s", "no newline"),
            item("sh", "-c", "echo out; echo err >&2; exit 3"),
            item("cat", "--", "/nonexistent/file"),
            item("printf", "a\n\nb\n\n"),
            item("definitely-not-a-command-xyz"),
        ]
    )
    assert (results[0].exit_status, results[0].stdout) == (0, "no newline")
    assert (results[1].exit_status, results[1].stdout, results[1].stderr) == (3, "out\n", "err\n")
    assert results[2].exit_status == 1 and "No such file" in results[2].stderr
    assert results[3].stdout == "a\n\nb\n\n"
    assert results[4].exit_status == 127


def test_hostile_output_cannot_forge_frames() -> None:
    # A host that prints marker-like lines only fools itself: the real marker is random.
    fake = "\nEA" + "0" * 32 + " S 1 0 -\n"
    results, _ = run_batch([item("printf", "%s", fake), item("sh", "-c", "exit 4")])
    assert results[0].stdout == fake
    assert results[1].exit_status == 4


def test_a_hung_command_times_out_alone() -> None:
    results, wall = run_batch(
        [item("sleep", "30", timeout=1), item("echo", "fine"), item("sh", "-c", "exit 2")]
    )
    assert results[0].timed_out and results[0].exit_status == 124
    assert (results[1].exit_status, results[1].stdout) == (0, "fine\n")
    assert results[2].exit_status == 2
    assert wall < 10


def test_missing_frames_are_errors_not_successes() -> None:
    items = [item("true"), item("true")]
    results = parse_output("garbage", items, new_marker(), 0.1)
    assert [r.exit_status for r in results] == [EXIT_NO_RESULT, EXIT_NO_RESULT]


def test_quoting_survives_the_extra_shell() -> None:
    words = ["a;touch /tmp/x", "$(id)", "`id`", "'\"", "x\ny", "-n"]
    results, _ = run_batch([item("printf", "%s\\0", *words)])
    assert results[0].stdout.split("\0")[:-1] == words
