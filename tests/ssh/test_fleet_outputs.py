"""A fleet run's own folder over real SSH: the run manifest and what --resume may reuse,
host files that cannot be saved (a folder in the way, a full disk), interrupted runs
(Ctrl-C and SIGTERM) and their partial reports in every format, and fleets whose hosts
follow different baselines."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from endpoint_audit.engine.exit_policy import ExitCode
from endpoint_audit.inventory import safe_file_name
from tests.conftest import IN_CI, require_tool
from tests.ssh.lab import USER_HANG, USER_OK, SshLab
from tests.ssh.test_fleet_scan import CLI, baseline_file, scan, write_inventory

pytestmark = [pytest.mark.sshd]


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def inventory(lab: SshLab, path: Path, names: dict[str, str], **extra: Any) -> Path:
    """`names` maps host name -> address; all log in as the lab's ok user."""
    hosts: list[Any] = [{"name": n, "address": a} for n, a in names.items()]
    return write_inventory(
        path, {"vars": {"port": lab.port, "user": lab.user(USER_OK)}, "hosts": hosts, **extra}
    )


def host_file(out: Path, name: str) -> Path:
    return out / "hosts" / f"{safe_file_name(name)}.json"


def manifest(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return data


def test_resume_reuses_only_what_this_runs_manifest_recorded(
    ssh_lab: SshLab, tmp_path: Path
) -> None:
    lab = ssh_lab
    a, b, c, e = lab.start_fleet(4)
    lab.trust([a, b, c, e])
    names = {"pc-a": a, "pc-b": b, "pc-c": c, "pc-d": "127.0.3.4"}
    inv = inventory(lab, tmp_path / "inv.yaml", names)
    out = tmp_path / "out"
    first = scan(lab, "-i", str(inv), "--output-dir", str(out), "-f", "json")
    assert first.returncode == ExitCode.INCOMPLETE, first.stderr  # pc-d is unreachable

    # The manifest: the run, its parameters, and every host file with its digest.
    recorded = manifest(out)
    run_id = recorded["run_id"]
    assert recorded["format"] == "endpoint-audit-run-manifest" and recorded["version"] == 1
    assert recorded["state"] == "complete"
    assert recorded["parameters"]["baseline"] == str(baseline_file(lab))
    assert set(recorded["hosts"]) == set(names)
    for name, entry in recorded["hosts"].items():
        path = host_file(out, name)
        assert entry["path"] == f"hosts/{path.name}"
        assert entry["sha256"] == sha256_of(path)
        assert json.loads(path.read_text(encoding="utf-8"))["run_id"] == run_id
    assert recorded["hosts"]["pc-d"]["status"] == "unreachable"
    assert recorded["outputs"]["fleet.json"]["sha256"] == sha256_of(out / "fleet.json")
    assert json.loads(first.stdout)["run_id"] == run_id

    # pc-b's file is edited; pc-c's is swapped for pc-c's file of another run, with the
    # manifest's digest made to match (so only the run id tells); pc-e was never audited
    # in this run but has a file; pc-d (unreachable last time) runs again.
    edited = host_file(out, "pc-b")
    edited.write_text(edited.read_text(encoding="utf-8").replace('"ok"', '"ok" '))
    other = tmp_path / "other"
    again = scan(lab, "-i", str(inv), "--limit", "pc-c", "--output-dir", str(other))
    assert again.returncode == 0, again.stderr
    shutil.copyfile(host_file(other, "pc-c"), host_file(out, "pc-c"))
    forged = manifest(out)
    forged["hosts"]["pc-c"]["sha256"] = sha256_of(host_file(out, "pc-c"))
    (out / "manifest.json").write_text(json.dumps(forged))
    shutil.copyfile(host_file(out, "pc-a"), host_file(out, "pc-e"))
    before = {n: host_file(out, n).stat().st_mtime_ns for n in ("pc-a", "pc-e")}

    names["pc-e"] = e
    inv = inventory(lab, tmp_path / "inv.yaml", names)
    resumed = scan(lab, "-i", str(inv), "--output-dir", str(out), "--resume", "-f", "json")
    assert resumed.returncode == ExitCode.INCOMPLETE, resumed.stderr
    said = resumed.stderr
    assert f"resuming run {run_id}: 1 host(s) audited earlier in this run are reused" in said
    assert "pc-b: saved report not reused (hosts/pc-b.json changed since it was written" in said
    assert "pc-c: saved report not reused (hosts/pc-c.json belongs to another run)" in said
    assert "pc-e: saved report not reused (not recorded in the run manifest)" in said
    assert "pc-a: saved" not in said and "pc-d: saved" not in said
    report = json.loads(resumed.stdout)
    assert report["run_id"] == run_id
    assert report["reused_hosts"] == ["pc-a"]
    assert [h["target"] for h in report["hosts"]] == ["pc-a", "pc-b", "pc-c", "pc-d", "pc-e"]
    assert host_file(out, "pc-a").stat().st_mtime_ns == before["pc-a"]  # reused as it was
    assert host_file(out, "pc-e").stat().st_mtime_ns != before["pc-e"]  # audited again
    # The manifest now vouches for the new files.
    after = manifest(out)
    assert after["run_id"] == run_id and after["state"] == "complete"
    for name in ("pc-b", "pc-c", "pc-e"):
        assert after["hosts"][name]["sha256"] == sha256_of(host_file(out, name))
        saved = json.loads(host_file(out, name).read_text(encoding="utf-8"))
        assert saved["run_id"] == run_id

    # Another baseline: nothing of this run may be reused.
    other_baseline = tmp_path / "strict.yaml"
    other_baseline.write_text(baseline_file(lab).read_text().replace('"1"', '"2"'))
    changed = subprocess.run(
        [*CLI, "scan", "-b", str(other_baseline), "-i", str(inv), "--output-dir", str(out),
         "--resume", "-f", "json"],
        env=lab.env(), capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert "0 host(s) audited earlier in this run are reused" in changed.stderr, changed.stderr
    assert "pc-a: saved report not reused (judged with another baseline" in changed.stderr
    assert json.loads(changed.stdout)["reused_hosts"] == []


def test_resume_without_a_manifest_audits_everything(ssh_lab: SshLab, tmp_path: Path) -> None:
    lab = ssh_lab
    (a,) = lab.start_fleet(1)
    lab.trust([a])
    inv = inventory(lab, tmp_path / "inv.yaml", {"pc-a": a})
    out = tmp_path / "out"
    (out / "hosts").mkdir(parents=True)
    stray = tmp_path / "stray"
    first = scan(lab, "-i", str(inv), "--output-dir", str(stray))
    assert first.returncode == 0, first.stderr
    shutil.copyfile(host_file(stray, "pc-a"), host_file(out, "pc-a"))  # a file, no manifest
    resumed = scan(lab, "-i", str(inv), "--output-dir", str(out), "--resume", "-f", "json")
    assert resumed.returncode == 0, resumed.stderr
    assert "nothing to resume" in resumed.stderr and "no run manifest" in resumed.stderr
    assert json.loads(resumed.stdout)["reused_hosts"] == []
    assert manifest(out)["run_id"] != manifest(stray)["run_id"]


def test_a_host_file_that_cannot_be_saved_does_not_stop_the_fleet(
    ssh_lab: SshLab, tmp_path: Path
) -> None:
    lab = ssh_lab
    a, b, c = lab.start_fleet(3)
    lab.trust([a, b, c])
    inv = inventory(lab, tmp_path / "inv.yaml", {"pc-a": a, "pc-b": b, "pc-c": c})
    out = tmp_path / "out"
    host_file(out, "pc-b").mkdir(parents=True)  # a folder in the way
    ran = scan(lab, "-i", str(inv), "--output-dir", str(out), "-f", "json")
    assert ran.returncode == ExitCode.OUTPUT, ran.stderr
    errors = [line for line in ran.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and "pc-b.json: cannot write" in errors[0], ran.stderr
    assert "Traceback" not in ran.stderr
    # pc-b's result is in the fleet report, on stdout and in fleet.json.
    report = json.loads(ran.stdout)
    assert [h["target"] for h in report["hosts"]] == ["pc-a", "pc-b", "pc-c"]
    assert all(h["status"] == "ok" for h in report["hosts"])
    fleet = json.loads((out / "fleet.json").read_text(encoding="utf-8"))
    assert fleet["hosts"] == report["hosts"]
    assert set(manifest(out)["hosts"]) == {"pc-a", "pc-c"}  # only what was written


def test_a_full_disk_under_the_output_folder_does_not_stop_the_fleet(
    ssh_lab: SshLab, tmp_path: Path
) -> None:
    require_tool("unshare")
    if os.geteuid() != 0:
        if IN_CI:
            pytest.fail("mounting a tmpfs needs root")
        pytest.skip("mounting a tmpfs needs root")
    lab = ssh_lab
    a, b, c = lab.start_fleet(3)
    lab.trust([a, b, c])
    inv = inventory(lab, tmp_path / "inv.yaml", {"pc-a": a, "pc-b": b, "pc-c": c})
    out = tmp_path / "small"
    out.mkdir()
    command = [*CLI, "scan", "-b", str(baseline_file(lab)), "-i", str(inv),
               "--output-dir", str(out), "-f", "json"]  # fmt: skip
    script = (
        f"mount -t tmpfs -o size=8k tmpfs {shlex.quote(str(out))} || exit 99\n"
        f"{shlex.join(command)}\n"
    )
    ran = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
        env=lab.env(), capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert ran.returncode == ExitCode.OUTPUT, ran.stderr
    assert "No space left on device" in ran.stderr
    assert "Traceback" not in ran.stderr
    errors = [line for line in ran.stderr.splitlines() if "error:" in line]
    assert all(line.count("endpoint-audit:") == 1 for line in errors)
    report = json.loads(ran.stdout)
    assert sorted(h["target"] for h in report["hosts"]) == ["pc-a", "pc-b", "pc-c"]
    assert all(h["status"] == "ok" for h in report["hosts"])


def _hung(lab: SshLab) -> set[int]:
    if not lab.hang_pids.exists():
        return set()
    return {int(pid) for pid in lab.hang_pids.read_text().split() if pid.isdigit()}


@pytest.fixture
def end_hung_commands(ssh_lab: SshLab) -> Iterator[None]:
    """The interrupted scans leave the hung command on the host to its watchdog (100 s);
    end the ones these tests started, by PID, so later tests of the lab see none."""
    before = _hung(ssh_lab)
    yield
    for pid in _hung(ssh_lab) - before:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def start_interruptible(lab: SshLab, tmp_path: Path, out: Path) -> subprocess.Popen[str]:
    a, b, c = lab.start_fleet(3)
    lab.trust([a, b, c])
    inv = write_inventory(
        tmp_path / "inv.yaml",
        {
            "vars": {"port": lab.port, "user": lab.user(USER_OK)},
            "hosts": [
                {"name": "pc-a", "address": a},
                {"name": "pc-b", "address": b},
                {"name": "stuck", "address": c, "user": lab.user(USER_HANG)},
            ],
        },
    )
    formats = ["json:r.json", "html:r.html", "csv:r.csv", "junit:r.xml", "markdown:r.md",
               "terminal:r.txt"]  # fmt: skip
    proc = subprocess.Popen(
        [*CLI, "scan", "-b", str(baseline_file(lab)), "-i", str(inv), "--sudo", "--lang", "en",
         "--timeout", "100", "--output-dir", str(out), *(f"-f{f}" for f in formats)],
        cwd=tmp_path, env=lab.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and len(list((out / "hosts").glob("*.json"))) < 2:
        time.sleep(0.1)
    time.sleep(0.5)
    return proc


@pytest.mark.usefixtures("end_hung_commands")
def test_ctrl_c_marks_every_format_partial_and_replaces_no_file(
    ssh_lab: SshLab, tmp_path: Path
) -> None:
    for name in ("r.json", "r.html"):
        (tmp_path / name).write_text("last month's complete report\n")
    out = tmp_path / "out"
    proc = start_interruptible(ssh_lab, tmp_path, out)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == ExitCode.INTERRUPTED, stderr
    assert "Traceback" not in stderr
    assert "interrupted (Ctrl-C): 2 of 3 host(s) finished" in stderr
    for name in ("r.json", "r.html"):  # kept, and the partial report went beside them
        assert (tmp_path / name).read_text() == "last month's complete report\n"
        assert f"{name} exists and was kept" in stderr
    partial = json.loads((tmp_path / "r.partial.json").read_text(encoding="utf-8"))
    assert partial["partial"] == {"reason": "interrupted", "hosts_planned": 3, "hosts_reported": 2}
    assert sorted(h["target"] for h in partial["hosts"]) == ["pc-a", "pc-b"]
    html = (tmp_path / "r.partial.html").read_text(encoding="utf-8")
    assert 'class="partial-banner"' in html and "PARTIAL REPORT" in html
    assert "PARTIAL REPORT" in (tmp_path / "r.csv").read_text(encoding="utf-8-sig")
    assert 'type="partial"' in (tmp_path / "r.xml").read_text(encoding="utf-8")
    assert "PARTIAL REPORT" in (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "PARTIAL REPORT" in (tmp_path / "r.txt").read_text(encoding="utf-8")
    fleet = json.loads((out / "fleet.json").read_text(encoding="utf-8"))
    assert fleet["partial"]["hosts_reported"] == 2
    assert manifest(out)["state"] == "interrupted"


@pytest.mark.usefixtures("end_hung_commands")
@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, ExitCode.TERMINATED), (signal.SIGHUP, ExitCode.HANGUP)]
)
def test_sigterm_keeps_the_fleet_report_like_ctrl_c(
    ssh_lab: SshLab, tmp_path: Path, signum: int, code: int
) -> None:
    """SIGHUP (the session that started the scan closed) is handled as SIGTERM is."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "fleet.json").write_text("{}\n")  # an earlier report: kept
    proc = start_interruptible(ssh_lab, tmp_path, out)
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code, stderr
    assert "stopped (SIGTERM or SIGHUP): 2 of 3 host(s) finished" in stderr
    assert "Traceback" not in stderr
    assert (out / "fleet.json").read_text() == "{}\n"
    fleet = json.loads((out / "fleet.partial.json").read_text(encoding="utf-8"))
    assert fleet["partial"]["reason"] == "terminated"
    assert sorted(h["target"] for h in fleet["hosts"]) == ["pc-a", "pc-b"]
    assert manifest(out)["outputs"]["fleet.partial.json"]["sha256"] == sha256_of(
        out / "fleet.partial.json"
    )


def test_every_baseline_of_a_fleet_is_named(ssh_lab: SshLab, tmp_path: Path) -> None:
    lab = ssh_lab
    a, b = lab.start_fleet(2)
    lab.trust([a, b])
    strict = tmp_path / "strict.yaml"
    strict.write_text(
        baseline_file(lab)
        .read_text()
        .replace("fleet-test", "strict-test")
        .replace("open_ports: {}", "open_ports: {severity: critical}")
    )
    inv = write_inventory(
        tmp_path / "inv.yaml",
        {
            "vars": {"port": lab.port, "user": lab.user(USER_OK)},
            "hosts": [
                {"name": "pc-a", "address": a},
                {"name": "pc-b", "address": b, "baseline": str(strict)},
            ],
        },
    )
    out = tmp_path / "out"
    page, table = tmp_path / "r.html", tmp_path / "r.txt"
    ran = scan(lab, "-i", str(inv), "--lang", "en", "--output-dir", str(out),
               "-f", "json", "-f", f"html:{page}", "-f", f"terminal:{table}")  # fmt: skip
    assert ran.returncode in (0, 1), ran.stderr
    report = json.loads(ran.stdout)
    ids = [info["id"] for info in report["baselines"]]
    assert ids == ["fleet-test", "strict-test"]  # the run's own (-b) first
    by_id = {info["id"]: info["sha256"] for info in report["baselines"]}
    hosts = {h["target"]: h for h in report["hosts"]}
    assert hosts["pc-a"]["baseline_sha256"] == by_id["fleet-test"]
    assert hosts["pc-b"]["baseline_sha256"] == by_id["strict-test"]
    assert report["baselines"][1]["source"] == str(strict.resolve())
    text = page.read_text(encoding="utf-8")
    assert f'data-baseline="{by_id["fleet-test"]}"' in text
    assert f'data-baseline="{by_id["strict-test"]}"' in text
    terminal = table.read_text(encoding="utf-8")
    assert "(fleet-test 1, sha256" in terminal and "(strict-test 1, sha256" in terminal
    assert "Baseline: Fleet test (fleet-test 1)" in terminal  # each host's own
    saved = json.loads(host_file(out, "pc-b").read_text(encoding="utf-8"))
    assert saved["baseline"]["id"] == "strict-test"  # each host file names its own
