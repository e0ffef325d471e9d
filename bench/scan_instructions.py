"""Count the instructions the tool's own process executes for `scan`, `--version` and
`python3 -c pass` (valgrind's callgrind, the process only: its child commands are not
counted). Unlike CPU seconds on a shared machine, the count barely moves from run to run
(hash randomisation is fixed, PYTHONHASHSEED=0), so a change of a few milliseconds of
start-up or judging shows. About 4.5e9 instructions make a second of this machine's CPU.

The tool runs as an installed wheel has it: bytecode compiled once into a private cache
(PYTHONPYCACHEPREFIX), a private cache folder (XDG_CACHE_HOME), and one untimed run of
each command first, so what is counted is a start that finds its caches warm.

Usage: python bench/scan_instructions.py [--runs 1] [--only scan|version|pass]
Needs valgrind.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

COMMANDS = {
    "pass": ["-c", "pass"],
    "version": [
        "-c",
        "import sys; sys.argv = ['endpoint-audit', '--version']; "
        "from endpoint_audit.cli import main; main()",
    ],
    "scan": [
        "-c",
        "import sys; sys.argv = ['endpoint-audit', 'scan', '-f', 'json', '-o', "
        f"{os.devnull!r}]; from endpoint_audit.cli import main; main()",
    ],
}
# A scan that judged the machine exits 0, 1 or 3; anything else stopped early.
JUDGED = {0, 1, 3}


def instructions(valgrind: str, argv: list[str], env: dict[str, str], tmp: Path) -> int:
    out = tmp / "callgrind.out"
    done = subprocess.run(
        [
            valgrind,
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            "--dump-instr=no",
            "--compress-strings=no",
            "--compress-pos=no",
            *argv,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        timeout=1800,
    )
    if done.returncode not in JUDGED:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        sys.exit(f"scan_instructions: {' '.join(argv[:3])} exited {done.returncode}: {tail}")
    found = re.search(r"^(?:summary|totals): (\d+)", out.read_text(encoding="utf-8"), re.M)
    out.unlink()
    if found is None:
        sys.exit("scan_instructions: callgrind wrote no total")
    return int(found.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--only", choices=sorted(COMMANDS))
    args = parser.parse_args()
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        sys.exit("scan_instructions: needs valgrind (apt-get install valgrind)")
    with tempfile.TemporaryDirectory(prefix="bench-ir-") as folder:
        tmp = Path(folder)
        env = dict(os.environ, LANG="C.UTF-8", PYTHONHASHSEED="0")
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(tmp / "pyc")
        env["XDG_CACHE_HOME"] = str(tmp / "cache")
        print(f"{'command'.ljust(26)} {'instructions':>15}")
        for name, tail in COMMANDS.items():
            if args.only and name != args.only:
                continue
            argv = [sys.executable, *tail]
            subprocess.run(argv, capture_output=True, env=env, timeout=900)  # warm, untimed
            counts = [instructions(valgrind, argv, env, tmp) for _ in range(args.runs)]
            label = {
                "pass": "python3 -c pass",
                "version": "endpoint-audit --version",
                "scan": "endpoint-audit scan",
            }[name]
            print(f"{label.ljust(26)} {statistics.median(counts):>15,.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
