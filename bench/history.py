"""A year of weekly rounds of 500 PCs into the history store: import time per round, store
size, `history diff`, `history host`, `history stale` and the weekly report.

    .venv/bin/python bench/history.py [--hosts 500] [--rounds 52] [--reports DIR] [--keep DIR]

The reports come from bench/history_gen.py (generated into a temporary folder unless
--reports names one made earlier). Each round is imported as `history import` does it
(read the file, parse and check it, one transaction). The commands are then timed twice:
in-process (the work itself) and as whole `endpoint-audit` processes (what a user waits
for, start-up included). Aims: a 500-host round imports in under 2 s, the weekly report
takes under 2 s, and the store of a year stays under 50 MB.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from history_gen import START, WEEK, generate

from endpoint_audit.history.ingest import parse_report
from endpoint_audit.history.queries import (
    diff_rounds,
    host_timeline,
    resolve_round,
    round_before,
    stale_hosts,
)
from endpoint_audit.history.store import HistoryStore
from endpoint_audit.history.weekly import WeeklyOptions, weekly_report
from endpoint_audit.render.weekly_html import WeeklyHtmlRenderer
from endpoint_audit.render.weekly_text import (
    WeeklyCsvRenderer,
    WeeklyMarkdownRenderer,
)

EXE = Path(sys.executable).with_name("endpoint-audit")


def timed(label: str, action: object) -> object:
    """Wall and CPU time: on a shared machine the CPU time is the figure to compare."""
    assert callable(action)
    began, cpu = time.perf_counter(), time.process_time()
    result = action()
    wall, used = time.perf_counter() - began, time.process_time() - cpu
    print(f"  {label:<44} {wall:7.3f} s wall {used:7.3f} s CPU")
    return result


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def process(label: str, *args: str) -> float:
    began, cpu = time.perf_counter(), children_cpu()
    done = subprocess.run([str(EXE), *args], capture_output=True, timeout=300, check=False)
    wall, used = time.perf_counter() - began, children_cpu() - cpu
    if done.returncode not in (0, 1):
        raise SystemExit(f"{label}: exit {done.returncode}: {done.stderr.decode()[-400:]}")
    print(f"  {label:<44} {wall:7.3f} s wall {used:7.3f} s CPU (exit {done.returncode})")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=52)
    parser.add_argument("--reports", type=Path, help="reports from bench/history_gen.py")
    parser.add_argument("--keep", type=Path, help="write the store and the weekly files here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ea-history-bench-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        if args.reports:
            paths = sorted(args.reports.glob("audit-*/fleet.json"))
        else:
            began = time.perf_counter()
            paths = generate(Path(tmp) / "reports", args.hosts, args.rounds)
            print(f"generated {len(paths)} rounds in {time.perf_counter() - began:.1f} s")
        json_bytes = sum(p.stat().st_size for p in paths)
        store_path = work / "history.sqlite3"
        store_path.unlink(missing_ok=True)
        store = HistoryStore.open(store_path)

        print(f"import: {len(paths)} rounds, {json_bytes / 1e6:.1f} MB of JSON")
        per_round: list[float] = []
        per_round_cpu: list[float] = []
        for path in paths:
            began, cpu = time.perf_counter(), time.process_time()
            store.add(parse_report(path.read_bytes()), str(path))
            per_round.append(time.perf_counter() - began)
            per_round_cpu.append(time.process_time() - cpu)
        print(
            f"  per round: median {statistics.median(per_round):.3f} s wall "
            f"({statistics.median(per_round_cpu):.3f} s CPU), max {max(per_round):.3f} s wall "
            f"({max(per_round_cpu):.3f} s CPU), total {sum(per_round):.1f} s"
        )
        began = time.perf_counter()
        again = store.add(parse_report(paths[-1].read_bytes()), str(paths[-1]))
        print(
            f"  the last round again: {time.perf_counter() - began:.3f} s, "
            f"added={again.added} (idempotent)"
        )
        store.close()
        size = store_path.stat().st_size
        per = size / len(paths) / 1e3
        print(f"store: {size / 1e6:.1f} MB for {len(paths)} rounds ({per:.0f} kB per round)")

        store = HistoryStore.open(store_path, create=False)
        as_of = START + (len(paths) - 1) * WEEK + timedelta(days=2)
        print("in-process:")
        b = resolve_round(store.conn, None)
        a = round_before(store.conn, b)
        assert a is not None
        diff = timed("history diff (latest vs previous)", lambda: diff_rounds(store, a, b, "ja"))
        counts = getattr(diff, "counts", {})
        timed(
            "history host pc-honcho-0000",
            lambda: host_timeline(store, "pc-honcho-0000", "ja", as_of),
        )
        stale = timed("history stale --days 14", lambda: stale_hosts(store, 14, as_of))
        options = WeeklyOptions(as_of=as_of)
        report = timed("report weekly: build", lambda: weekly_report(store, "ja", options))
        html = timed("report weekly: render html", lambda: WeeklyHtmlRenderer().render(report))  # type: ignore[arg-type]
        timed("report weekly: render markdown", lambda: WeeklyMarkdownRenderer().render(report))  # type: ignore[arg-type]
        timed("report weekly: render csv", lambda: WeeklyCsvRenderer().render(report))  # type: ignore[arg-type]
        store.close()
        assert isinstance(html, str)
        (work / "weekly.html").write_text(html, encoding="utf-8")
        print(
            f"  diff: {counts}; not seen: {len(getattr(stale, 'hosts', []))}; "
            f"weekly.html {len(html.encode()) / 1e3:.0f} kB"
        )

        print("whole processes (start-up included):")
        when = as_of.strftime("%Y-%m-%dT%H:%M:%S")
        process(
            "endpoint-audit history import (one round)",
            "history",
            "import",
            str(paths[0]),
            "--store",
            str(work / "one-round.sqlite3"),
        )
        process(
            "endpoint-audit history diff",
            "history",
            "diff",
            "--store",
            str(store_path),
            "-o",
            str(work / "diff.txt"),
        )
        process(
            "endpoint-audit report weekly -f html",
            "report",
            "weekly",
            "--store",
            str(store_path),
            "--lang",
            "ja",
            "--as-of",
            when,
            "-o",
            str(work / "weekly-cli.html"),
        )
        process(
            "endpoint-audit report weekly -f html,csv,md",
            "report",
            "weekly",
            "--store",
            str(store_path),
            "--as-of",
            when,
            "-f",
            f"html:{work / 'w.html'}",
            "-f",
            f"csv:{work / 'w.csv'}",
            "-f",
            f"markdown:{work / 'w.md'}",
        )
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {sys.version.split()[0]}, "
            f"{os.cpu_count()} CPUs, load average {load}"
        )


if __name__ == "__main__":
    main()
