"""`collect` over real SSH: one bundle per host, judged later as a scan would have judged
the hosts, and an interrupted collection that keeps every host it finished."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.ssh.lab import USER_HANG, USER_OK, SshLab
from tests.ssh.test_fleet_scan import CLI, baseline_file, scan, write_inventory

pytestmark = [pytest.mark.sshd]


def collect(lab: SshLab, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "collect", "-b", str(baseline_file(lab)), "--lang", "en", *args],
        env=lab.env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def findings_of(host: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(f["check_id"], f["resource"], f["status"]) for f in host["findings"]]


def test_collect_over_ssh_writes_a_bundle_per_host_that_evaluates_as_a_scan(
    ssh_lab: SshLab, tmp_path: Path
) -> None:
    lab = ssh_lab
    (up,) = lab.start_fleet(1)
    down = "127.0.3.4"  # nothing listens there
    lab.trust([up, down])
    inventory = write_inventory(
        tmp_path / "inv.yaml",
        {
            "vars": {"port": lab.port, "user": lab.user(USER_OK)},
            "hosts": [{"name": "pc-up", "address": up}, {"name": "pc-down", "address": down}],
        },
    )
    bundles = tmp_path / "bundles"
    everything = tmp_path / "all.json"
    got = collect(
        lab, "-i", str(inventory), "--sudo", "--connect-timeout", "5",
        "--bundle-dir", str(bundles), "-o", str(everything),
    )  # fmt: skip
    assert got.returncode == 3, got.stderr  # one host not reached
    assert "not collected: pc-down:" in got.stderr
    assert sorted(p.name for p in bundles.iterdir()) == ["pc-down.json", "pc-up.json"]

    one = json.loads((bundles / "pc-up.json").read_text())
    (host,) = one["hosts"]
    assert host["target"] == "pc-up"
    assert host["platform"]["family"] == "linux" and host["platform"]["transport"] == "ssh"
    assert host["commands"]["ss -H -tulpn"]["exit_status"] == 0  # run as root through --sudo
    assert "error" not in host["facts"]["listening_ports"]
    (gone,) = json.loads((bundles / "pc-down.json").read_text())["hosts"]
    assert gone["platform"] is None and gone["commands"] == {} and gone["unreachable"]
    assert [h["target"] for h in json.loads(everything.read_text())["hosts"]] == [
        "pc-up",
        "pc-down",
    ]

    judged = subprocess.run(
        [*CLI, "evaluate", str(bundles), "-b", str(baseline_file(lab)), "-f", "json"],
        env=lab.env(), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert judged.returncode == 3, judged.stderr
    hosts = {h["target"]: h for h in json.loads(judged.stdout)["hosts"]}
    assert hosts["pc-down"]["status"] == "unreachable"
    assert hosts["pc-down"]["reason"] == gone["unreachable"]
    scanned = scan(lab, "-i", str(inventory), "--sudo", "--limit", "pc-up", "-f", "json")
    assert scanned.returncode in (0, 1), scanned.stderr
    (direct,) = json.loads(scanned.stdout)["hosts"]
    assert hosts["pc-up"]["status"] == "ok"
    assert findings_of(hosts["pc-up"]) == findings_of(direct)
    assert findings_of(direct)  # the check ran: a pass or a fail, never nothing
    # The host key the connection verified, and the evidence each verdict came from.
    assert direct["ssh_host_key"].startswith("SHA256:"), direct
    assert len(direct["transcript_sha256"]) == 64
    assert len(hosts["pc-up"]["transcript_sha256"]) == 64


def test_collect_of_this_pc_rejects_ssh_only_options_with_a_warning(
    ssh_lab: SshLab, tmp_path: Path
) -> None:
    got = collect(ssh_lab, "--sudo", "-o", str(tmp_path / "me.json"))
    assert got.returncode == 0, got.stderr
    assert "--sudo" in got.stderr
    (host,) = json.loads((tmp_path / "me.json").read_text())["hosts"]
    assert host["platform"]["transport"] == "local"


def test_sigterm_keeps_every_host_collected(ssh_lab: SshLab, tmp_path: Path) -> None:
    """The one interrupt path of every command: the hosts finished are written (each
    bundle as it finished, the `-o` bundle of all of them at the end), exit 143."""
    lab = ssh_lab
    first, second, third = lab.start_fleet(3)
    lab.trust([first, second, third])
    inventory = write_inventory(
        tmp_path / "inv.yaml",
        {
            "vars": {"port": lab.port, "user": lab.user(USER_OK)},
            "hosts": [
                {"name": "pc-1", "address": first},
                {"name": "pc-2", "address": second},
                {"name": "stuck", "address": third, "user": lab.user(USER_HANG)},
            ],
        },
    )
    bundles = tmp_path / "bundles"
    everything = tmp_path / "all.json"
    proc = subprocess.Popen(
        [*CLI, "collect", "-b", str(baseline_file(lab)), "--lang", "en", "-i", str(inventory),
         "--sudo", "--timeout", "100", "--bundle-dir", str(bundles), "-o", str(everything)],
        env=lab.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(bundles.glob("*.json"))) < 2:
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 143, stderr
    assert "stopped (SIGTERM or SIGHUP): 2 of 3 host(s) collected" in stderr
    assert "Traceback" not in stderr
    assert sorted(p.name for p in bundles.iterdir()) == ["pc-1.json", "pc-2.json"]
    kept = json.loads(everything.read_text())["hosts"]
    assert [h["target"] for h in kept] == ["pc-1", "pc-2"]
    assert all(h["platform"]["family"] == "linux" for h in kept)


def test_a_redacted_collection_names_no_host_anywhere(ssh_lab: SshLab, tmp_path: Path) -> None:
    """`--redact`: neither the folder's listing nor any file shows the names or addresses
    the hosts were reached by, and `evaluate DIR` judges every host."""
    lab = ssh_lab
    (address,) = lab.start_fleet(1)
    lab.trust([address])
    # One PC under two names: by a name (its address in `address`) and by its address.
    # The lab's sshd listens on other loopback addresses too, which name no host here.
    inventory = write_inventory(
        tmp_path / "inv.yaml",
        {
            "vars": {"port": lab.port, "user": lab.user(USER_OK)},
            "hosts": [{"name": "pc-sato-0042", "address": address}, {"name": address}],
        },
    )
    out = tmp_path / "out"
    got = collect(
        lab, "-i", str(inventory), "--sudo", "--redact",
        "--bundle-dir", str(out / "bundles"), "-o", str(out / "all.json"),
    )  # fmt: skip
    assert got.returncode == 0, got.stderr
    hidden = re.compile(rf"pc-sato-0042|{re.escape(address)}(?!\d)|{lab.user(USER_OK)}")
    for path in sorted(out.rglob("*")):
        text = path.read_text() if path.is_file() else ""
        assert not hidden.search(str(path.relative_to(out))), path
        assert not hidden.search(text), (path, hidden.search(text))
    files = sorted((out / "bundles").glob("*.json"))
    assert len(files) == 2  # a file for each name, neither replaced by the other
    # Where the address was: the sshd listening on it, now on the loopback every PC has
    # (a loopback listener stays one, as open_ports judges it).
    (host,) = json.loads(files[0].read_text())["hosts"]
    assert "127.0.0.1:" in host["commands"]["ss -H -tulpn"]["stdout"]
    # Not vacuous: collected without --redact, the bundles show the address and names.
    plain = tmp_path / "plain"
    again = collect(lab, "-i", str(inventory), "--sudo", "--bundle-dir", str(plain))
    assert again.returncode == 0, again.stderr
    shown = {m.group(0) for p in plain.iterdir() for m in hidden.finditer(p.read_text())}
    assert {address, "pc-sato-0042"} <= shown
    judged = subprocess.run(
        [*CLI, "evaluate", str(out / "bundles"), "-b", str(baseline_file(lab)), "-f", "json"],
        env=lab.env(), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    hosts = json.loads(judged.stdout)["hosts"]
    assert sorted(h["target"] for h in hosts) == sorted(p.stem for p in files), judged.stderr
    assert all(h["status"] == "ok" and findings_of(h) for h in hosts)
    assert "named for" not in judged.stderr
