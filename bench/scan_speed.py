"""Time `endpoint-audit scan`, `--version`, `--help` and `checks list` as whole processes
beside Lynis and `python3 -c pass`, in the same run, and print medians and ratios.

A scan's CPU is split: the tool's own (user + sys of its process, RUSAGE_SELF) and its
child commands' (RUSAGE_CHILDREN), read at the tool's exit by a wrapper that runs the
console entry point in the same process. The aims: a scan under 1.0 s wall with apt's
cache kept, the tool's own CPU under 0.4 s. The machine's load average is printed before
and after: on a shared machine every figure is read beside it.

Usage: python bench/scan_speed.py [--runs 7] [--lynis-runs 1] [--no-lynis] [--start-only]
                                 [--as-is-bytecode]

An installed wheel comes with its bytecode compiled; a source checkout with
PYTHONDONTWRITEBYTECODE=1 (this machine's environment) compiles every module of the tool
on every start, about 0.3 s of CPU no user pays. So the tool runs with a private
PYTHONPYCACHEPREFIX (a temporary folder, warmed by one untimed run of each command) and
PYTHONDONTWRITEBYTECODE unset: nothing is written into the source tree.
`--as-is-bytecode` keeps the environment as it is (the figures before this option).

`--start-only` times the start-up commands only (no scan, no Lynis). The aim for
`--help` and `checks list` is under 150 ms; the machine's load shows in `python3 -c pass`.

Lynis runs with a profile that skips its network tests and upgrade check, inside a
private mount namespace whose resolv.conf points at 127.0.0.1, so it sends nothing off
this machine (it needs root and `unshare`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LYNIS_PROFILE = """\
skip-upgrade-test=yes
refresh-repositories=no
skip-test=NETW-2704
skip-test=NETW-2705
quick=yes
"""


def timed(
    argv: list[str], runs: int, env: dict[str, str] | None = None, check: bool = True
) -> list[float]:
    """Wall seconds of each run; with `check`, a run that exits non-zero stops the bench
    (a command that failed at start would pass for a fast one)."""
    times: list[float] = []
    if env is not None and env.get("PYTHONPYCACHEPREFIX"):  # warm the bytecode: untimed
        subprocess.run(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, timeout=900
        )
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, timeout=900
        )
        times.append(time.perf_counter() - start)
        if check and done.returncode != 0:
            err = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
            sys.exit(f"scan_speed: {' '.join(argv[:3])} exited {done.returncode}: {err}")
    return times


# Runs the console entry point in this process and writes, at exit, the CPU seconds of
# the process itself and of the commands it ran (argv[1] is the file to write).
CPU_WRAPPER = """\
import atexit, resource, sys
out = sys.argv[1]
def _report():
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out, "w", encoding="utf-8") as handle:
        handle.write(f"{me.ru_utime + me.ru_stime} {kids.ru_utime + kids.ru_stime}")
atexit.register(_report)
sys.argv = ["endpoint-audit", *sys.argv[2:]]
from endpoint_audit.cli import main
main()
"""

Scan = tuple[float, float, float]  # wall, the tool's own CPU, its commands' CPU (s)


def scan_runs(exe: str, runs: int, env: dict[str, str] | None = None) -> list[Scan]:
    """Each run of `scan -f json` with its wall time and CPU split."""
    python = str(Path(exe).resolve().parent / "python")
    got: list[Scan] = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cpu"
        argv = [python, "-c", CPU_WRAPPER, str(out), "scan", "-f", "json", "-o", os.devnull]
        run_env = env if env is not None else dict(os.environ)
        if run_env.get("PYTHONPYCACHEPREFIX"):  # warm the bytecode: untimed
            subprocess.run(
                argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=run_env,
                timeout=900,
            )  # fmt: skip
        for _ in range(runs):
            start = time.perf_counter()
            done = subprocess.run(
                argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, timeout=900
            )
            wall = time.perf_counter() - start
            _judged_or_exit(done)
            own, kids = (float(x) for x in out.read_text(encoding="utf-8").split())
            got.append((wall, own, kids))
    return got


# A scan that judged the machine exits 0 (compliant), 1 (not) or 3 (incomplete); any
# other code, a traceback among them (1 too), means it stopped early, and its time
# would pass for a fast scan.
JUDGED = {0, 1, 3}


def _judged_or_exit(done: subprocess.CompletedProcess[bytes]) -> None:
    err = done.stderr.decode("utf-8", "replace")
    if done.returncode in JUDGED and "Traceback (most recent call last)" not in err:
        return
    tail = err.strip().splitlines()[-3:]
    sys.exit(f"scan_speed: a scan exited {done.returncode} without judging: {' | '.join(tail)}")


def medians(scans: list[Scan]) -> Scan:
    wall, own, kids = (statistics.median(column) for column in zip(*scans, strict=True))
    return wall, own, kids


def cached_scan(exe: str, runs: int, env: dict[str, str]) -> Scan | None:
    unshare = shutil.which("unshare")
    clean = Path("/etc/apt/apt.conf.d/docker-clean")
    if not unshare or os.geteuid() != 0 or not clean.exists() or not shutil.which("apt"):
        return None
    inner = (
        f"mount --bind /dev/null {clean} && mount -t tmpfs tmpfs /var/cache/apt && "
        "mkdir -p /var/cache/apt/archives/partial && apt list --upgradable >/dev/null 2>&1; "
        f"exec {sys.executable} {Path(__file__).resolve()} --inner-scan-runs {runs} --exe {exe}"
    )
    done = subprocess.run(
        [unshare, "--mount", "--propagation", "private", "--", "sh", "-c", inner],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    try:
        wall, own, kids = (float(x) for x in done.stdout.strip().splitlines()[-1].split())
        return wall, own, kids
    except (ValueError, IndexError):
        sys.exit(f"scan_speed: the run with apt's cache kept failed: {done.stderr.strip()}")


def lynis_argv(tmp: Path) -> list[str] | None:
    lynis = shutil.which("lynis")
    unshare = shutil.which("unshare")
    if not lynis or not unshare or os.geteuid() != 0:
        return None
    profile = tmp / "bench.prf"
    profile.write_text(LYNIS_PROFILE, encoding="utf-8")
    resolv = tmp / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.1\n", encoding="utf-8")
    inner = (
        f"mount --bind {resolv} /etc/resolv.conf && exec {lynis} audit system --quick "
        f"--no-colors --profile {profile} --logfile {tmp / 'lynis.log'} "
        f"--report-file {tmp / 'lynis-report.dat'}"
    )
    return [unshare, "--mount", "--propagation", "private", "--", "sh", "-c", inner]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--lynis-runs", type=int, default=1)
    parser.add_argument("--no-lynis", action="store_true")
    parser.add_argument("--start-only", action="store_true")
    parser.add_argument("--as-is-bytecode", action="store_true")
    parser.add_argument("--inner-scan-runs", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--exe", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner_scan_runs:
        print(" ".join(str(x) for x in medians(scan_runs(args.exe, args.inner_scan_runs))))
        return 0

    exe = shutil.which("endpoint-audit") or str(Path(sys.executable).parent / "endpoint-audit")
    env = dict(os.environ, LANG="C.UTF-8")
    pycache = None if args.as_is_bytecode else tempfile.TemporaryDirectory(prefix="bench-pyc-")
    if pycache is not None:
        env["PYTHONPYCACHEPREFIX"] = pycache.name
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        print(f"bytecode: compiled once into {pycache.name} (as an installed wheel has it)")
    else:
        dont = os.environ.get("PYTHONDONTWRITEBYTECODE")
        print(f"bytecode: environment as is (PYTHONDONTWRITEBYTECODE={dont or 'unset'})")
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    rows: list[tuple[str, float]] = []
    rows.append(
        ("python3 -c pass", statistics.median(timed([sys.executable, "-c", "pass"], args.runs)))
    )
    rows.append(
        ("endpoint-audit --version", statistics.median(timed([exe, "--version"], args.runs, env)))
    )
    for label, argv in (
        ("endpoint-audit --help", [exe, "--help"]),
        ("endpoint-audit checks list", [exe, "checks", "list"]),
        ("endpoint-audit scan --help", [exe, "scan", "--help"]),
    ):
        rows.append((label, statistics.median(timed(argv, args.runs, env))))
    if args.start_only:
        _print(rows, None)
        print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        return 0
    scans: list[tuple[str, Scan]] = []
    each = scan_runs(exe, args.runs, env)
    listed = [tuple(round(x, 3) for x in r) for r in each]
    print("scan runs (wall, own CPU, commands' CPU):", listed)
    scans.append(("endpoint-audit scan", medians(each)))
    rows.append(("endpoint-audit scan", scans[-1][1][0]))
    # This machine's image turns apt's package cache off (apt.conf.d/docker-clean), so
    # every `apt list --upgradable` rebuilds it (~0.7 s). Stock Debian/Ubuntu PCs keep the
    # cache. Measure that case too: in a private mount namespace, hide docker-clean and
    # give apt an empty tmpfs cache (warmed once). Nothing on the machine changes.
    cached = cached_scan(exe, args.runs, env)
    if cached is not None:
        scans.append(("endpoint-audit scan (apt cache kept)", cached))
        rows.append(("endpoint-audit scan (apt cache kept)", cached[0]))
    lynis_median: float | None = None
    if not args.no_lynis:
        with tempfile.TemporaryDirectory() as tmp:
            lynis = lynis_argv(Path(tmp))
            if lynis is None:
                print("lynis: not run (needs root, lynis and unshare)", file=sys.stderr)
            else:
                lynis_median = statistics.median(timed(lynis, args.lynis_runs, check=False))
                rows.append(("lynis audit system --quick", lynis_median))

    _print(rows, lynis_median)
    if scans:
        print()
        print("scan CPU (medians)                    wall s  own CPU s  commands' CPU s")
        for name, (wall, own, kids) in scans:
            print(f"{name.ljust(36)}  {wall:6.3f}  {own:9.3f}  {kids:15.3f}")
        kept = dict(scans).get("endpoint-audit scan (apt cache kept)")
        if kept:
            wall_ok = "under" if kept[0] < 1.0 else "OVER"
            cpu_ok = "under" if kept[1] < 0.4 else "OVER"
            print(f"apt cache kept: {kept[0]:.2f} s wall ({wall_ok} the 1.0 s aim), "
                  f"{kept[1]:.2f} s own CPU ({cpu_ok} the 0.4 s aim)")  # fmt: skip
    print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return 0


def _print(rows: list[tuple[str, float]], lynis_median: float | None) -> int:
    width = max(len(name) for name, _ in rows)
    print(f"{'command'.ljust(width)}  median s")
    for name, seconds in rows:
        print(f"{name.ljust(width)}  {seconds:8.3f}")
    times = dict(rows)
    base = times["python3 -c pass"]
    print()
    print(f"--version / python3 -c pass = {times['endpoint-audit --version'] / base:.2f}x")
    for label in ("endpoint-audit --help", "endpoint-audit checks list"):
        ms = times[label] * 1000
        verdict = "under" if ms < 150 else "OVER"
        print(f"{label}: {ms:.0f} ms ({verdict} the 150 ms aim), {times[label] / base:.1f}x pass")
    scan = times.get("endpoint-audit scan")
    if lynis_median and scan:
        print(f"scan / lynis = 1/{lynis_median / scan:.0f} (aim: under 1/50)")
        kept = dict(rows).get("endpoint-audit scan (apt cache kept)")
        if kept:
            print(f"scan with apt's cache kept / lynis = 1/{lynis_median / kept:.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
