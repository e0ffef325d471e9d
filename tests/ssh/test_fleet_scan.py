"""Fleet scans over real SSH: isolation of broken hosts, host keys, hostile values, resume."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml

from tests.ssh.lab import USER_HANG, USER_NOSUDO, USER_OK, SshLab, keygen

pytestmark = [pytest.mark.sshd]

CLI = [sys.executable, "-m", "endpoint_audit"]
# Only the open_ports check: its `ss` probe needs root, so it exercises --sudo, and its
# result on this machine is a plain pass or fail.
BASELINE = """\
id: fleet-test
title: {ja: 一括監査テスト, en: Fleet test}
version: "1"
checks:
  open_ports: {}
"""


def baseline_file(lab: SshLab) -> Path:
    path = lab.root / "fleet-test.yaml"
    if not path.exists():
        path.write_text(BASELINE)
    return path


def scan(lab: SshLab, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "scan", "-b", str(baseline_file(lab)), *args],
        env=lab.env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def write_inventory(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def host_reports(out: Path) -> dict[str, dict[str, Any]]:
    reports = {}
    for file in sorted((out / "hosts").glob("*.json")):
        data = json.loads(file.read_text())
        assert len(data["hosts"]) == 1
        reports[data["hosts"][0]["target"]] = data["hosts"][0]
    return reports


def other_key(tmp_path: Path) -> str:
    return keygen(tmp_path / "impostor_key", "impostor")


def test_fifty_hosts_five_broken_each_with_its_own_reason(ssh_lab: SshLab, tmp_path: Path) -> None:
    lab = ssh_lab
    real = lab.start_fleet(48)
    good, (hang, nosudo, changed) = real[:45], real[45:48]
    silent = lab.silent_server("127.0.2.1")
    closed = "127.0.3.1"  # nothing listens there
    lab.trust([a for a in real if a != changed] + [silent, closed])
    with lab.known_hosts.open("a") as handle:  # the "reinstalled or intercepted" host
        handle.write(f"[{changed}]:{lab.port} {other_key(tmp_path)}\n")
    inventory = write_inventory(
        tmp_path / "fleet.yaml",
        {
            "vars": {"port": lab.port, "user": lab.user(USER_OK)},
            "groups": {
                "ok": {"hosts": [f"pc-{i:02d}" for i in range(45)]},
                "broken": {
                    "hosts": [
                        {"name": "hang", "address": hang, "user": lab.user(USER_HANG)},
                        {"name": "nosudo", "address": nosudo, "user": lab.user(USER_NOSUDO)},
                        {"name": "changed-key", "address": changed},
                        {"name": "closed-port", "address": closed},
                        {"name": "silent", "address": silent},
                    ]
                },
            },
        },
    )
    # pc-NN names resolve through ~/.ssh/config, as an admin's would.
    (lab.client_home / ".ssh" / "config").write_text(
        "".join(f"Host pc-{i:02d}\n  HostName {a}\n" for i, a in enumerate(good))
    )
    out = tmp_path / "out"
    # Interrupted runs of other tests leave their hung command to its own watchdog:
    # judge only the one this scan starts.
    earlier = set(lab.hang_pids.read_text().split())
    started = time.monotonic()
    try:
        result = scan(
            lab,
            "-i", str(inventory),
            "--sudo", "-j", "50",
            "--timeout", "4", "--connect-timeout", "5",
            "--output-dir", str(out),
            "-f", "json:" + str(tmp_path / "fleet-copy.json"),
        )  # fmt: skip
    finally:
        (lab.client_home / ".ssh" / "config").unlink()
    wall = time.monotonic() - started
    assert result.returncode == 3, result.stderr
    reports = host_reports(out)
    assert len(reports) == 50
    fleet = json.loads((out / "fleet.json").read_text())
    assert [h["target"] for h in fleet["hosts"]][:45] == [f"pc-{i:02d}" for i in range(45)]
    assert len(fleet["hosts"]) == 50

    for i in range(45):
        host = reports[f"pc-{i:02d}"]
        assert host["status"] == "ok", host
        assert host["platform"]["transport"] == "ssh"
        statuses = {f["status"] for f in host["findings"]}
        assert statuses and statuses <= {"pass", "fail"}, host["findings"]

    assert reports["changed-key"]["status"] == "unreachable"
    assert "HOST KEY CHANGED" in reports["changed-key"]["reason"]
    assert reports["closed-port"]["status"] == "unreachable"
    assert "connection refused" in reports["closed-port"]["reason"]
    assert reports["silent"]["status"] == "unreachable"
    assert "no SSH login completed" in reports["silent"]["reason"]

    # The hung command was ended on the host by its watchdog, not left running.
    hung = [int(pid) for pid in lab.hang_pids.read_text().split() if pid not in earlier]
    assert hung
    # The kill is asynchronous: allow the host a few seconds to reap it, far below the
    # 120 s the command would otherwise run.
    deadline = time.monotonic() + 10
    while [pid for pid in hung if psutil.pid_exists(pid)] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in hung if psutil.pid_exists(pid)]

    hang_findings = reports["hang"]["findings"]
    assert reports["hang"]["status"] == "ok"
    assert [f["status"] for f in hang_findings] == ["error"]
    assert "timed out" in hang_findings[0]["message"]

    nosudo_findings = reports["nosudo"]["findings"]
    assert reports["nosudo"]["status"] == "ok"
    assert [f["status"] for f in nosudo_findings] == ["unknown"]
    assert nosudo_findings[0]["message_key"] == "core.msg.needs_privilege"
    assert "a password is required" in nosudo_findings[0]["message"]
    # Not a TTY: one line per host on stderr.
    assert result.stderr.count("unreachable:") == 3
    assert wall < 120, f"50 hosts took {wall:.1f} s"


def test_unknown_host_key_is_refused_unless_accept_new(ssh_lab: SshLab, tmp_path: Path) -> None:
    lab = ssh_lab
    address = lab.start_fleet(1)[0]
    lab.known_hosts.write_text("")
    target = f"{lab.user(USER_OK)}@{address}:{lab.port}"
    refused = scan(lab, "--host", target, "--connect-timeout", "5", "-f", "json")
    assert refused.returncode == 3, refused.stderr
    host = json.loads(refused.stdout)["hosts"][0]
    assert host["status"] == "unreachable"
    assert "host key unknown" in host["reason"]
    assert lab.known_hosts.read_text() == ""  # nothing accepted without the opt-in

    accepted = scan(lab, "--host", target, "--accept-new-host-keys", "-f", "json")
    assert json.loads(accepted.stdout)["hosts"][0]["status"] == "ok", accepted.stderr
    assert lab.known_hosts.read_text().split() == lab.known_line(address).split()[:3]

    # A changed key stays refused even with the opt-in, and known_hosts is untouched.
    lab.known_hosts.write_text(f"[{address}]:{lab.port} {other_key(tmp_path)}\n")
    before = lab.known_hosts.read_text()
    changed = scan(lab, "--host", target, "--accept-new-host-keys", "-f", "json")
    host = json.loads(changed.stdout)["hosts"][0]
    assert host["status"] == "unreachable"
    assert "HOST KEY CHANGED" in host["reason"]
    assert lab.known_hosts.read_text() == before


@pytest.mark.parametrize(
    "spec",
    [
        "a;touch /tmp/endpoint-audit-pwned",
        "$(touch /tmp/endpoint-audit-pwned)",
        "`touch /tmp/endpoint-audit-pwned`",
        "-oProxyCommand=touch /tmp/endpoint-audit-pwned",
        "host\nother",
        "$(id)@127.0.0.1",
    ],
)
def test_hostile_host_flags_are_config_errors(ssh_lab: SshLab, spec: str) -> None:
    result = scan(ssh_lab, "--host", spec)
    assert result.returncode == 2
    assert result.stderr.startswith("endpoint-audit: error: --host")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not Path("/tmp/endpoint-audit-pwned").exists()


def test_hostile_values_reach_the_host_as_data(
    ssh_lab: SshLab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lab = ssh_lab
    address = lab.start_fleet(1)[0]
    lab.trust([address])
    marker = lab.marker_dir / "pwned"
    hostile_name = f"a;touch {marker} $(touch {marker}) `touch {marker}`"
    inventory = write_inventory(
        tmp_path / "inv.yaml",
        {"all": {"hosts": {hostile_name: {"ansible_host": address, "ansible_port": lab.port,
                                          "ansible_user": lab.user(USER_OK)}}}},
    )  # fmt: skip
    out = tmp_path / "out"
    result = scan(lab, "-i", str(inventory), "--output-dir", str(out), "-f", "json")
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    assert report["hosts"][0]["target"] == hostile_name  # kept verbatim, as data
    files = list((out / "hosts").iterdir())
    assert len(files) == 1 and ";" not in files[0].name and " " not in files[0].name
    assert not marker.exists()

    # Through the transport itself: arguments and paths arrive byte for byte.
    import asyncio

    from endpoint_audit.model.commands import Argv, ReadFile
    from endpoint_audit.transport.ssh import SshEndpoint, SshOptions, SshTransport

    words = ("a;touch " + str(marker), f"$(touch {marker})", f"`touch {marker}`", "-n", "x\ny")

    monkeypatch.setenv("HOME", str(lab.client_home))  # the client key lives there
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)

    async def probe() -> tuple[str, str]:
        transport = SshTransport(
            "x",
            SshEndpoint(address, lab.port, lab.user(USER_OK)),
            SshOptions(known_hosts=lab.known_hosts),
        )
        async with transport:
            echoed = await transport.run(Argv(("printf", "%s\\0", *words)), timeout=10)
            missing = await transport.run(ReadFile(f"$(touch {marker})"), timeout=10)
        return echoed.stdout, missing.stderr

    echoed, missing = asyncio.run(probe())
    assert echoed.split("\0")[:-1] == list(words)
    assert "No such file" in missing
    assert not marker.exists()


def test_resume_skips_finished_hosts_and_retries_unreachable(
    ssh_lab: SshLab, tmp_path: Path
) -> None:
    lab = ssh_lab
    first, second = lab.start_fleet(2)
    lab.trust([first, second])
    hosts = tmp_path / "hosts.txt"
    user = lab.user(USER_OK)
    hosts.write_text(
        f"# kyoto branch\n{user}@{first}:{lab.port}\n"
        f"{user}@{second}:{lab.port}  # second floor\n{user}@127.0.3.2:{lab.port}\n"
    )
    out = tmp_path / "out"
    initial = scan(lab, "-i", str(hosts), "--output-dir", str(out), "-f", "json:-")
    assert initial.returncode == 3, initial.stderr
    saved = {p.name: p.stat().st_mtime_ns for p in (out / "hosts").iterdir()}
    assert len(saved) == 3

    resumed = scan(lab, "-i", str(hosts), "--output-dir", str(out), "--resume", "-f", "json")
    assert resumed.returncode == 3, resumed.stderr
    assert "2 host(s) audited earlier in this run are reused" in resumed.stderr
    now = {p.name: p.stat().st_mtime_ns for p in (out / "hosts").iterdir()}
    changed = [name for name in saved if saved[name] != now[name]]
    assert len(changed) == 1 and "127.0.3.2" in changed[0]  # only the unreachable one ran
    fleet = json.loads((out / "fleet.json").read_text())
    assert [h["status"] for h in fleet["hosts"]] == ["ok", "ok", "unreachable"]
    assert json.loads(resumed.stdout)["hosts"] == fleet["hosts"]


def test_ctrl_c_keeps_finished_hosts(ssh_lab: SshLab, tmp_path: Path) -> None:
    lab = ssh_lab
    first, second, third = lab.start_fleet(3)
    lab.trust([first, second, third])
    inventory = write_inventory(
        tmp_path / "inv.yaml",
        {
            "vars": {"port": lab.port, "user": lab.user(USER_OK)},
            "hosts": [
                first,
                second,
                {"name": "stuck", "address": third, "user": lab.user(USER_HANG)},
            ],
        },
    )
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [*CLI, "scan", "-b", str(baseline_file(lab)), "-i", str(inventory), "--sudo",
         "--timeout", "100", "--output-dir", str(out), "-f", "json:" + str(tmp_path / "r.json")],
        env=lab.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list((out / "hosts").glob("*.json"))) < 2:
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    fleet = json.loads((out / "fleet.json").read_text())
    assert sorted(h["target"] for h in fleet["hosts"]) == sorted([first, second])
    assert json.loads((tmp_path / "r.json").read_text())["hosts"] == fleet["hosts"]


def test_progress_bar_on_a_terminal(ssh_lab: SshLab, tmp_path: Path) -> None:
    import os
    import pty

    lab = ssh_lab
    first, second = lab.start_fleet(2)
    lab.trust([first, second])
    user = lab.user(USER_OK)
    master, slave = pty.openpty()
    env = {**lab.env(), "COLUMNS": "120", "TERM": "xterm"}
    proc = subprocess.Popen(
        [*CLI, "scan", "-b", str(baseline_file(lab)), "--lang", "en", "-f", "json",
         "--host", f"{user}@{first}:{lab.port}", "--host", f"{user}@127.0.3.3:{lab.port}"],
        env=env, stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(slave)
    screen = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal closed: the scan ended
            break
        if not chunk:
            break
        screen += chunk
    os.close(master)
    stdout, _ = proc.communicate(timeout=30)
    text = screen.decode("utf-8", errors="replace")
    assert proc.returncode == 3
    assert "2/2" in text and "hosts/s" in text and "1 unreachable" in text
    assert "[1/2]" not in text  # the per-host lines are for logs, not terminals
    assert len(json.loads(stdout)["hosts"]) == 2


def test_authentication_failure_is_named(ssh_lab: SshLab) -> None:
    lab = ssh_lab
    address = lab.start_fleet(1)[0]
    lab.trust([address])
    # `nobody` is not among the lab's AllowUsers: the server refuses every key.
    result = scan(lab, "--host", f"nobody@{address}:{lab.port}", "-f", "json")
    assert result.returncode == 3, result.stderr
    host = json.loads(result.stdout)["hosts"][0]
    assert host["status"] == "unreachable"
    assert "authentication failed" in host["reason"]
