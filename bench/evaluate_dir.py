"""Evaluate a share of probe-script bundles: time and peak memory of `evaluate DIR`.

    .venv/bin/python bench/evaluate_dir.py [--hosts 500] [--corrupt 5] [--copies-of FILE]
        [--one-file]

By default the folder holds bundles the PowerShell probe script would write on the
recorded Windows PCs (tests/hosts/, composed from the checks' replay cases), under
distinct names, plus broken files (truncated, not JSON, unknown version, other format,
empty). `--copies-of` fills it with copies of one real bundle instead (e.g. what the sh
script wrote on this machine, which is far larger), to show that memory does not grow
with the files' size. `--one-file` puts every good host in one bundle file instead (what
a merged `collect` bundle looks like), which shows whether each host costs a parse of
the whole file.

`evaluate` runs as a child process (as people run it); its peak RSS comes from the
kernel (getrusage of children) and the time is wall-clock. The JSON and HTML fleet
reports are written, as a share's evaluation would.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.probe_export.bundles import fleet_folder  # noqa: E402


def copies_folder(folder: Path, source: Path, hosts: int) -> None:
    data = json.loads(source.read_text())
    for i in range(hosts):
        data["hosts"][0]["target"] = f"PC-{i:04d}"
        (folder / f"endpoint-audit-PC-{i:04d}.json").write_text(json.dumps(data))


def one_file_folder(folder: Path, hosts: int) -> None:
    """Every host of a `fleet_folder` in one bundle file."""
    parts = folder / "parts"
    fleet_folder(parts, hosts=hosts, corrupt=0)
    merged: dict[str, object] | None = None
    all_hosts: list[object] = []
    for file in sorted(parts.iterdir()):
        data = json.loads(file.read_text())
        merged = merged or data
        all_hosts.extend(data["hosts"])
        file.unlink()
    parts.rmdir()
    assert merged is not None
    merged["hosts"] = all_hosts
    (folder / "fleet-bundle.json").write_text(json.dumps(merged))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=500)
    parser.add_argument("--corrupt", type=int, default=5)
    parser.add_argument("--copies-of", type=Path, default=None)
    parser.add_argument("--one-file", action="store_true")
    args = parser.parse_args()
    exe = Path(sys.executable).parent / "endpoint-audit"
    with tempfile.TemporaryDirectory(prefix="evaluate-dir-") as tmp:
        share = Path(tmp) / "share"
        share.mkdir()
        if args.copies_of is not None:
            copies_folder(share, args.copies_of, args.hosts)
        elif args.one_file:
            one_file_folder(share, args.hosts)
        else:
            fleet_folder(share, hosts=args.hosts, corrupt=args.corrupt)
        size = sum(p.stat().st_size for p in share.iterdir())
        report = Path(tmp) / "fleet.json"
        html = Path(tmp) / "fleet.html"
        argv = [str(exe), "evaluate", str(share), "-f", f"json:{report}", "-f", f"html:{html}"]
        start = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        hosts = json.loads(report.read_text())["hosts"]
        unreachable = sum(1 for h in hosts if h["status"] == "unreachable")
        skipped = sum(1 for line in done.stderr.splitlines() if "skipped" in line)
        print(f"files:        {len(list(share.iterdir()))} ({size / 1e6:.1f} MB)")
        print(f"hosts:        {len(hosts)} in the report, {unreachable} unreadable files")
        print(f"stderr lines: {skipped} (one per unreadable file)")
        print(f"exit code:    {done.returncode}")
        print(f"wall time:    {elapsed:.2f} s ({elapsed / max(1, len(hosts)) * 1000:.1f} ms/host)")
        print(f"peak RSS:     {peak_mib:.0f} MiB")
        print(f"reports:      JSON {report.stat().st_size / 1e6:.1f} MB, "
              f"HTML {html.stat().st_size / 1e6:.1f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
