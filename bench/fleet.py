"""Fleet audits over SSH: `endpoint-audit scan` beside ansible-core's `ansible all -m setup`.

Starts loopback fleets (real sshd, one "host" per 127.0.1.N address, as the tests do),
then times both tools over 10, 50 and 200 hosts at the same concurrency and samples the
resident memory of each tool's whole process tree (the tool plus every child: ssh clients,
forked workers). ansible-core is installed into its own venv under .bench/, never into
the project's.

Usage (as root: it starts sshd and creates test users, removed at the end):
    python bench/fleet.py [--sizes 10,50,200] [-j 50] [--no-ansible]
    python bench/fleet.py --unreachable 10000 [-j 256]   # no sshd, no root needed

`--unreachable N` audits a simulated fleet of N hosts that never answer SSH: most on
loopback addresses where nothing listens (closed ports: refused at once), a tenth on
tarpits that accept the TCP connection and never say a word (each costs the whole
--connect-timeout). All addresses are 127.x.y.z; concurrency and timeouts are bounded.

Both tools gather comparable evidence: ansible's `setup` reads the host's facts; the
scan runs the shipped baseline's checks (with --sudo, as an audit would).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.ssh.lab import (  # noqa: E402
    USER_OK,
    SilentServer,
    SshLab,
    free_port,
    remove_lab_accounts,
    start_lab,
)

BENCH_DIR = ROOT / ".bench"
ANSIBLE_VENV = BENCH_DIR / "ansible-venv"


@dataclass
class Measured:
    hosts: int
    tool: str
    wall: float
    peak_mb: float
    cpu: float  # user + system seconds of the tool's process tree (the client side)
    exit_status: int
    ok_hosts: int


def ansible_bin() -> Path:
    """ansible-core in .bench/ansible-venv, installed on first use."""
    ansible = ANSIBLE_VENV / "bin" / "ansible"
    if not ansible.exists():
        subprocess.run([sys.executable, "-m", "venv", str(ANSIBLE_VENV)], check=True)
        subprocess.run(
            [str(ANSIBLE_VENV / "bin" / "pip"), "install", "-q", "ansible-core"], check=True
        )
    return ansible


def tree_rss(proc: psutil.Process) -> int:
    total = 0
    try:
        members = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for member in members:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            continue
    return total


def measure(
    argv: list[str], env: dict[str, str], cwd: Path, limit: float
) -> tuple[float, int, float, int, str]:
    """Wall seconds, peak RSS of the process tree (bytes), its CPU seconds, exit status,
    stdout."""
    peak = 0
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with open(cwd / "stdout.txt", "wb") as out:
        proc = subprocess.Popen(
            argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL
        )
        watched = psutil.Process(proc.pid)
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, tree_rss(watched))
                stop.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            status = proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            proc.kill()
            status = proc.wait()
        stop.set()
        sampler.join()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, peak, cpu, status, (cwd / "stdout.txt").read_text(errors="replace")


def run_scan(
    lab: SshLab, addresses: list[str], jobs: int, work: Path, extra: tuple[str, ...] = ()
) -> Measured:
    inventory = work / "fleet.txt"
    inventory.write_text("".join(f"{lab.user(USER_OK)}@{a}:{lab.port}\n" for a in addresses))
    out = work / "scan-out"
    argv = [
        str(ROOT / ".venv" / "bin" / "endpoint-audit"), "scan", "-i", str(inventory),
        "--sudo", "-j", str(jobs), "--output-dir", str(out), "-f", "json:" + str(work / "r.json"),
        *extra,
    ]  # fmt: skip
    wall, peak, cpu, status, _ = measure(argv, lab.env(), work, 1800)
    ok = 0
    report = work / "r.json"
    if report.exists():
        ok = sum(h["status"] == "ok" for h in json.loads(report.read_text())["hosts"])
    tool = " ".join(("endpoint-audit scan", *extra))
    return Measured(len(addresses), tool, wall, peak / 2**20, cpu, status, ok)


def run_ansible(lab: SshLab, addresses: list[str], jobs: int, work: Path) -> Measured:
    ansible = ansible_bin()
    inventory = work / "hosts.ini"
    inventory.write_text(
        "[fleet]\n"
        + "".join(
            f"h{i} ansible_host={a} ansible_port={lab.port}\n" for i, a in enumerate(addresses)
        )
        + f"[fleet:vars]\nansible_user={lab.user(USER_OK)}\n"
        + "ansible_python_interpreter=/usr/bin/python3\n"
        # OpenSSH reads ~ from the password database, not $HOME: name the lab's files.
        + f"ansible_ssh_private_key_file={lab.client_key}\n"
        + f"ansible_ssh_common_args='-F /dev/null -o UserKnownHostsFile={lab.known_hosts}'\n"
    )
    env = lab.env()
    env.update(
        ANSIBLE_LOCAL_TEMP=str(work / "ansible-local"),
        ANSIBLE_SSH_CONTROL_PATH_DIR=str(work / "cp"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_CONFIG=str(work / "none.cfg"),  # no stray ansible.cfg from elsewhere
    )
    argv = [str(ansible), "all", "-i", str(inventory), "-m", "setup", "-f", str(jobs)]
    wall, peak, cpu, status, stdout = measure(argv, env, work, 1800)
    ok = sum(1 for line in stdout.splitlines() if "| SUCCESS" in line)
    failures = [
        line for line in stdout.splitlines() if "| UNREACHABLE" in line or "| FAILED" in line
    ]
    if failures:
        print(f"  ansible: {len(failures)} failed, first: {failures[0][:300]}", file=sys.stderr)
    return Measured(len(addresses), "ansible all -m setup", wall, peak / 2**20, cpu, status, ok)


TARPITS = 20  # listeners; each serves many tarpit hosts (one address each)


def unreachable_fleet(count: int, jobs: int, connect_timeout: float) -> int:
    """Closed ports and tarpits only: what a round costs when PCs are off or wedged."""
    port = free_port()
    tarpit_hosts = count // 10
    with tempfile.TemporaryDirectory(prefix="fleet-unreachable-") as tmp:
        work = Path(tmp)
        home = work / "home"
        (home / ".ssh").mkdir(parents=True)
        (home / ".ssh" / "known_hosts").write_text("")
        servers = [SilentServer(f"127.3.0.{i + 1}", port) for i in range(TARPITS)]
        try:
            hosts_spec = []
            for i in range(count):
                if i < tarpit_hosts:
                    address = f"127.3.0.{i % TARPITS + 1}"
                else:  # 127.2.0.1 ... : nothing listens there
                    n = i - tarpit_hosts
                    address = f"127.2.{n // 250}.{n % 250 + 1}"
                # Named hosts: several tarpit hosts share one listener's address.
                hosts_spec.append({"name": f"pc-{i:05d}", "address": address})
            inventory = work / "fleet.json"
            inventory.write_text(
                json.dumps({"vars": {"user": "audit", "port": port}, "hosts": hosts_spec})
            )
            report = work / "r.json"
            argv = [
                str(ROOT / ".venv" / "bin" / "endpoint-audit"), "scan", "-i", str(inventory),
                "-j", str(jobs), "--connect-timeout", str(connect_timeout),
                "-f", "json:" + str(report),
            ]  # fmt: skip
            env = {k: v for k, v in os.environ.items() if k != "SSH_AUTH_SOCK"}
            env["HOME"] = str(home)
            limit = 60 + count * connect_timeout / jobs * 4
            wall, peak, cpu, status, _ = measure(argv, env, work, limit)
            hosts = json.loads(report.read_text())["hosts"] if report.exists() else []
        finally:
            for server in servers:
                server.close()
    reasons: dict[str, int] = {}
    for host in hosts:
        text = host.get("reason") or "-"
        # The reason after the target's own name: "connection refused", "the port ...".
        reason = re.sub(r"\d+(\.\d+)? s", "N s", text.split(": ", 1)[-1])[:70]
        reasons[reason] = reasons.get(reason, 0) + 1
    load = os.getloadavg()
    print(f"simulated unreachable fleet: {count} hosts ({tarpit_hosts} tarpits on {TARPITS} "
          f"listeners, {count - tarpit_hosts} closed ports), -j {jobs}, "
          f"--connect-timeout {connect_timeout:g} s; load average before/after "
          f"{LOAD_BEFORE[0]:.1f}/{load[0]:.1f}")  # fmt: skip
    columns = "hosts | wall s | peak MB | KB/host | client CPU s | CPU ms/host | exit | reported"
    print(f"| {columns} |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(
        f"| {count} | {wall:.1f} | {peak / 2**20:.0f} | {peak / 2**10 / count:.1f} | {cpu:.1f} | "
        f"{cpu * 1000 / count:.2f} | {status} | {len(hosts)} |"
    )
    print("reasons: " + ", ".join(f"{k}: {v}" for k, v in sorted(reasons.items())))
    return 0 if len(hosts) == count and all(h["status"] == "unreachable" for h in hosts) else 1


LOAD_BEFORE = os.getloadavg()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10,50,200")
    parser.add_argument("-j", "--jobs", type=int, default=50, help="concurrency for both tools")
    parser.add_argument("--no-ansible", action="store_true")
    parser.add_argument(
        "--image-apt",
        action="store_true",
        help="leave apt as this image has it (no package cache: each `apt list` rebuilds it, "
        "~1 CPU-s per host); by default the lab's hosts get a package cache, as a real PC has",
    )
    parser.add_argument(
        "--without-patches",
        action="store_true",
        help="also time the scan without patch_level: on images whose apt keeps no package "
        "cache, every `apt list` rebuilds it (~1 CPU-s per host, all on this machine's cores)",
    )
    parser.add_argument(
        "--unreachable",
        type=int,
        metavar="N",
        help="instead: a simulated fleet of N hosts on closed ports and tarpits (127.x.y.z)",
    )
    parser.add_argument("--connect-timeout", type=float, default=3.0)
    args = parser.parse_args()
    if args.unreachable:
        jobs = args.jobs if args.jobs != 50 else 256
        return unreachable_fleet(min(args.unreachable, 60_000), jobs, args.connect_timeout)
    if os.geteuid() != 0:
        print("bench/fleet.py needs root (it starts sshd and creates test users)", file=sys.stderr)
        return 2
    sizes = [int(s) for s in args.sizes.split(",")]
    if not args.no_ansible:
        ansible_bin()
    results: list[Measured] = []
    with tempfile.TemporaryDirectory(prefix="fleet-bench-") as tmp:
        lab = start_lab(Path(tmp) / "lab")
        try:
            if not args.image_apt:
                lab.use_apt_package_cache()
            addresses = lab.start_fleet(max(sizes))
            lab.trust(addresses)
            for size in sizes:
                jobs = min(args.jobs, size)
                tools = ["scan", "scan-nopatch", "ansible"]
                if not args.without_patches:
                    tools.remove("scan-nopatch")
                if args.no_ansible:
                    tools.remove("ansible")
                for tool in tools:
                    work = Path(tmp) / f"{tool}-{size}"
                    work.mkdir()
                    if tool == "ansible":
                        measured = run_ansible(lab, addresses[:size], jobs, work)
                    elif tool == "scan":
                        measured = run_scan(lab, addresses[:size], jobs, work)
                    else:
                        extra = ("--skip", "patch_level")
                        measured = run_scan(lab, addresses[:size], jobs, work, extra)
                    results.append(measured)
                    print(
                        f"  {measured.tool} over {size} hosts: {measured.wall:.1f} s, "
                        f"{measured.ok_hosts}/{size} hosts ok",
                        file=sys.stderr,
                    )
        finally:
            lab.stop()
            remove_lab_accounts(lab)
    load = os.getloadavg()
    print(f"concurrency: {args.jobs} (or the fleet size if smaller); 2 cores shared with sshd; "
          f"load average before/after {LOAD_BEFORE[0]:.1f}/{load[0]:.1f}")  # fmt: skip
    print(f"apt package cache on the hosts: {'no (as this image)' if args.image_apt else 'yes'}")
    print(
        "| hosts | tool | wall s | peak MB | MB/host | client CPU s | CPU ms/host | hosts/hour "
        "| hosts ok |"
    )
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for m in results:
        print(
            f"| {m.hosts} | {m.tool} | {m.wall:.1f} | {m.peak_mb:.0f} | "
            f"{m.peak_mb / m.hosts:.2f} | {m.cpu:.1f} | {m.cpu * 1000 / m.hosts:.0f} | "
            f"{m.hosts / m.wall * 3600:.0f} | {m.ok_hosts}/{m.hosts} |"
        )
    # The loopback hosts' own work (sshd, the probes) runs on the same cores, so the
    # wall-clock rate is a floor; the client's CPU per host bounds what the workstation
    # alone could do with every core busy.
    cores = os.cpu_count() or 1
    for m in results:
        if m.tool == "endpoint-audit scan" and m.hosts == max(r.hosts for r in results):
            per_host = m.cpu / max(1, m.hosts)
            ceiling = cores * 3600 / per_host if per_host else float("inf")
            print(
                f"one workstation: {m.hosts / m.wall * 3600:.0f} hosts/hour measured here "
                f"(the hosts ran on the same {cores} cores); the client's own CPU, "
                f"{per_host * 1000:.0f} ms/host, would allow about {ceiling:.0f} hosts/hour on "
                f"{cores} cores: the bound is -j times the hosts' answer time, not the client"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
