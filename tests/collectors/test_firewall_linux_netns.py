"""The firewall check against a real nftables ruleset, inside a private network namespace.

`unshare --net` gives the scan its own netfilter tables, so loading a ruleset there never
touches the machine's own firewall. Needs root (CI runs as root), `nft` and `unshare`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI, require_tool

RULESET = """table inet filter {{
  chain input {{
    type filter hook input priority filter; policy {policy};
    ct state established,related accept
    iif "lo" accept
    tcp dport 22 accept
  }}
}}
"""

# Load the ruleset, then scan, in the same fresh namespace. The paths arrive as positional
# parameters, so nothing is spliced into the script.
SCRIPT = 'nft -f "$1" && exec "$2" -m endpoint_audit scan -b minimal --only firewall -f json'


def scan_in_namespace(tmp_path: Path, policy: str) -> tuple[int, dict[str, Any]]:
    if os.geteuid() != 0:
        message = "loading an nftables ruleset in a network namespace needs root"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    unshare = require_tool("unshare", "/usr/bin/unshare")
    require_tool("nft", "/usr/sbin/nft")
    rules = tmp_path / f"input-{policy}.nft"
    rules.write_text(RULESET.format(policy=policy), encoding="utf-8")
    env = {**os.environ, "PATH": f"/usr/sbin:/sbin:{os.environ.get('PATH', '/usr/bin:/bin')}"}
    proc = subprocess.run(
        [unshare, "--net", "--", "sh", "-c", SCRIPT, "sh", str(rules), sys.executable],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert proc.stdout.strip(), f"no report; stderr: {proc.stderr[-2000:]}"
    return proc.returncode, json.loads(proc.stdout)


def firewall_finding(report: dict[str, Any]) -> dict[str, Any]:
    (host,) = report["hosts"]
    (finding,) = [f for f in host["findings"] if f["check_id"] == "firewall"]
    return finding


def test_input_policy_drop_passes_naming_nftables(tmp_path: Path) -> None:
    code, report = scan_in_namespace(tmp_path, "drop")
    finding = firewall_finding(report)
    assert finding["status"] == "pass", finding
    assert finding["message"].startswith(
        "Inbound connections are blocked by default by nftables ("
    ), finding["message"]
    assert "inet filter input: deny" in finding["message"]
    assert code == 0


def test_input_policy_accept_fails_naming_nftables(tmp_path: Path) -> None:
    code, report = scan_in_namespace(tmp_path, "accept")
    finding = firewall_finding(report)
    assert finding["status"] == "fail", finding
    assert finding["message"].startswith(
        "The active firewall allows inbound connections by default: nftables ("
    ), finding["message"]
    assert finding["actual"]["nftables"]["inbound_default"] == "allow"
    assert code == 1
