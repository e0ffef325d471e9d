"""Run the hostile-input property suite for longer than CI does, and say what it found.

    .venv/bin/python bench/fuzz_inputs.py [--scale 25] [-k EXPR] [--seed N]

CI runs each property of tests/hostile/test_properties.py on a small, fixed set of
generated cases (about a minute in all). This runs `--scale` times as many per property,
with fresh random draws (or those of `--seed`), and prints per property: the cases that
ran, those that failed (a failure is a finding: the falsifying case is printed above the
table), time, and the outcomes the cases recorded (exit codes, refused or loaded).
Exit status: 0 when nothing was found, 1 otherwise. Do not run it beside the full suite
on a shared machine; it keeps one core busy.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUITE = "tests/hostile/test_properties.py"
# Lines of `--hypothesis-show-statistics`.
_TEST = re.compile(r"^(?:\S+::)?(test_\w+):\s*$")
_COUNTS = re.compile(r"^\s+- (\d+) passing, (\d+) failing, and (\d+) invalid")
_EVENT = re.compile(r"^\s+\* ([\d.]+)%, (.+)$")
# Hypothesis's own notes about retried draws: not outcomes of the cases.
_NOISE = ("Draw for", "Retried draw", "Aborted test because")
_TIME = re.compile(r"^\s+- Typical runtimes: (.+)$")


@dataclass
class PropertyStats:
    passing: int = 0
    failing: int = 0
    invalid: int = 0
    time: str = ""
    events: list[str] = field(default_factory=list)


def parse_statistics(output: str) -> dict[str, PropertyStats]:
    found: dict[str, PropertyStats] = {}
    current: PropertyStats | None = None
    for line in output.splitlines():
        if match := _TEST.match(line):
            current = found.setdefault(match.group(1), PropertyStats())
        elif current is None:
            continue
        elif match := _COUNTS.match(line):
            current.passing += int(match.group(1))
            current.failing += int(match.group(2))
            current.invalid += int(match.group(3))
        elif match := _TIME.match(line):
            current.time = match.group(1)
        elif (match := _EVENT.match(line)) and not match.group(2).startswith(_NOISE):
            current.events.append(f"{match.group(2)} {match.group(1)}%")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=25.0, help="times the CI case count")
    parser.add_argument("-k", default=None, help="only properties matching (pytest -k)")
    parser.add_argument("--seed", type=int, default=None, help="repeat a run's random draws")
    args = parser.parse_args()
    env = dict(os.environ, ENDPOINT_AUDIT_FUZZ_SCALE=str(max(args.scale, 1.0001)))
    command = [
        sys.executable, "-m", "pytest", SUITE, "-q", "-p", "no:cacheprovider",
        "--hypothesis-show-statistics", "-o", "timeout=0",
    ]  # fmt: skip
    if args.k:
        command += ["-k", args.k]
    if args.seed is not None:
        command += [f"--hypothesis-seed={args.seed}"]
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    stats = parse_statistics(done.stdout)
    failures = [line for line in done.stdout.splitlines() if line.startswith("FAILED ")]
    if failures:
        # The falsifying cases, as Hypothesis printed them (the FAILURES section).
        section = done.stdout.split("= FAILURES =", 1)[-1].split("Hypothesis Statistics", 1)[0]
        print(section[-40000:])
    print(f"{'property':58} {'cases':>7} {'failed':>6}  typical time")
    total = 0
    for name, row in stats.items():
        cases = row.passing + row.failing
        total += cases
        print(f"{name:58} {cases:7d} {row.failing:6d}  {row.time}")
        for item in row.events:
            print(f"{'':60}{item}")
    print(
        f"\n{total} cases in {seconds:.0f} s; {len(failures)} propert(y/ies) found a failing case"
    )
    for line in failures:
        print(line)
    if done.returncode not in (0, 1):
        print(done.stdout[-3000:], done.stderr[-3000:], sep="\n")
    return 0 if done.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
