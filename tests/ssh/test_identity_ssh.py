"""Host identity over real SSH: a host whose platform cannot be told is an error for every
check (never "not applicable", never exit 0), and waivers follow the name the auditor
typed, never the name the host reports about itself."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.ssh.lab import FAKE_UNAME, USER_NOLOGIN, USER_NOSUDO, SshLab
from tests.ssh.test_fleet_scan import host_reports, scan, write_inventory

pytestmark = [pytest.mark.sshd]

# What each account's detection says (a part of the reason every finding gives).
REASONS = {
    USER_NOLOGIN: "This account is currently not available",
    "unamefail": "uname: cannot get system name",
    "unamehang": "timed out",
    "unamebsd": "'FreeBSD'",
    "unamejunk": "unsupported output",
}


def test_undetected_platforms_are_errors_and_the_run_is_incomplete(
    ssh_lab: SshLab, tmp_path: Path
) -> None:
    lab = ssh_lab
    (address,) = lab.start_fleet(1)
    lab.trust([address])
    assert set(REASONS) == {USER_NOLOGIN, *FAKE_UNAME}
    inventory = write_inventory(
        tmp_path / "fleet.yaml",
        {
            "vars": {"port": lab.port},
            "hosts": [
                {"name": role, "address": address, "user": lab.user(role)} for role in REASONS
            ],
        },
    )
    out = tmp_path / "out"
    result = scan(
        lab, "-i", str(inventory), "--timeout", "3", "--connect-timeout", "5",
        "--output-dir", str(out),
    )  # fmt: skip
    assert result.returncode == 3, result.stderr  # incomplete, never "nothing needs attention"
    reports = host_reports(out)
    assert set(reports) == set(REASONS)
    for role, reason in REASONS.items():
        host = reports[role]
        assert host["status"] == "ok", host
        assert host["platform"]["family"] == "unknown"
        assert reason in host["platform"]["detection_error"], (role, host["platform"])
        findings = host["findings"]
        assert [f["check_id"] for f in findings] == ["open_ports"]
        assert [f["status"] for f in findings] == ["error"], (role, findings)
        assert findings[0]["message_key"] == "core.msg.platform_undetected"
        assert reason in findings[0]["message"]
        assert "\x1b" not in findings[0]["message"]
    # The hung `uname` was given the run's --timeout (3 s), not 30 s.
    assert reports["unamehang"]["duration_seconds"] < 20
    for line in lab.hang_pids.read_text().split():
        if psutil.pid_exists(int(line)):
            psutil.Process(int(line)).kill()


def _open_ports(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["check_id"] == "open_ports"]


def test_waivers_match_the_inventory_name_not_the_host_s_own(
    ssh_lab: SshLab, tmp_path: Path
) -> None:
    """The lab's hosts report this machine's name (`uname -n`). A waiver for that name
    must not cover a host the auditor calls pc-soumu-001; one for pc-soumu-001 does."""
    lab = ssh_lab
    (address,) = lab.start_fleet(1)
    lab.trust([address])
    inventory = write_inventory(
        tmp_path / "fleet.yaml",
        {
            "vars": {"port": lab.port},
            "hosts": [{"name": "pc-soumu-001", "address": address, "user": lab.user(USER_NOSUDO)}],
        },
    )
    reported = socket.gethostname()

    def scan_with(hosts: list[str]) -> tuple[int, dict[str, Any]]:
        waivers = tmp_path / "waivers.yaml"
        waivers.write_text(
            json.dumps(
                {
                    "waivers": [
                        {
                            "check": "open_ports",
                            "hosts": hosts,
                            "justification": "sudo is not granted on this PC",
                            "approver": "IT",
                            "expires": "2099-12-31",
                        }
                    ]
                }
            )
        )
        out = tmp_path / f"out-{hosts[0]}"
        done = scan(
            lab, "-i", str(inventory), "--sudo", "--timeout", "10", "--waivers", str(waivers),
            "--output-dir", str(out),
        )  # fmt: skip
        return done.returncode, host_reports(out)["pc-soumu-001"]

    code, host = scan_with([reported])
    assert host["platform"]["hostname"] == reported
    findings = _open_ports(host)
    assert [f["status"] for f in findings] == ["unknown"]  # no sudo rights: cannot see
    assert all(f["waiver"] is None for f in findings)
    assert code == 3
    code, host = scan_with(["pc-soumu-*"])
    assert all(f["waiver"] is not None for f in _open_ports(host))
    assert code == 0
