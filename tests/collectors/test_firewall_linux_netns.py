"""Ground truth for the Linux firewall check: real rulesets, real connections.

Each scenario creates two network namespaces (`ip netns add`, unique names) joined by a
veth pair, loads a ruleset into the audited one (`nft -f`, or iptables-nft-restore), starts
a TCP listener there on a random port (and on port 22), and tries to connect from the
peer. Then it runs `endpoint-audit scan --only firewall` inside the audited namespace. A
`pass` while the peer connects to the random port is a failure whatever the scenario
expects. Needs root, `ip`, `nft` (and iptables-nft-restore for the iptables scenario);
under CI=true a missing one fails the test.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import IN_CI, require_tool

SBIN_PATH = f"/usr/sbin:/sbin:{os.environ.get('PATH', '/usr/bin:/bin')}"
LISTENER = """
import socket, sys, time
socks = []
for port in map(int, sys.argv[1:]):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port)); s.listen(8); s.settimeout(0.2); socks.append(s)
print("ready", flush=True)
end = time.monotonic() + 120
while time.monotonic() < end:
    for s in socks:
        try:
            c, _ = s.accept(); c.close()
        except OSError:
            pass
"""
CONNECT = """
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2).close()
except OSError:
    sys.exit(1)
"""


def _need_root() -> None:
    if os.geteuid() != 0:
        message = "network namespaces and firewall rules need root"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def _run(
    *argv: str, stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": SBIN_PATH}
    return subprocess.run(
        list(argv), input=stdin, capture_output=True, text=True, timeout=timeout, env=env,
        check=False,
    )  # fmt: skip


@dataclass
class Pair:
    audited: str
    peer: str
    address: str  # the audited namespace's address, as the peer sees it

    def in_audited(self, *argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return _run("ip", "netns", "exec", self.audited, *argv, stdin=stdin)

    def connects(self, port: int) -> bool:
        done = _run("ip", "netns", "exec", self.peer, sys.executable, "-c", CONNECT,
                    self.address, str(port), timeout=30)  # fmt: skip
        return done.returncode == 0


@pytest.fixture
def pair() -> Iterator[Pair]:
    _need_root()
    require_tool("ip", "/usr/sbin/ip", "/sbin/ip")
    require_tool("nft", "/usr/sbin/nft")
    tag = secrets.token_hex(4)
    audited, peer = f"ea-fw-{tag}", f"ea-peer-{tag}"
    veth_a, veth_b = f"eaa{tag}", f"eab{tag}"
    octet = 1 + secrets.randbelow(250)
    created: list[str] = []
    try:
        for name in (audited, peer):
            done = _run("ip", "netns", "add", name)
            assert done.returncode == 0, done.stderr
            created.append(name)
        steps = [
            ("ip", "link", "add", veth_a, "type", "veth", "peer", "name", veth_b),
            ("ip", "link", "set", veth_a, "netns", audited),
            ("ip", "link", "set", veth_b, "netns", peer),
            ("ip", "-n", audited, "addr", "add", f"10.213.{octet}.1/30", "dev", veth_a),
            ("ip", "-n", peer, "addr", "add", f"10.213.{octet}.2/30", "dev", veth_b),
            ("ip", "-n", audited, "link", "set", veth_a, "up"),
            ("ip", "-n", peer, "link", "set", veth_b, "up"),
            ("ip", "-n", audited, "link", "set", "lo", "up"),
            ("ip", "-n", peer, "link", "set", "lo", "up"),
        ]
        for step in steps:
            done = _run(*step)
            assert done.returncode == 0, f"{step}: {done.stderr}"
        yield Pair(audited, peer, f"10.213.{octet}.1")
    finally:
        for name in created:  # deleting a namespace deletes its end of the veth pair too
            _run("ip", "netns", "delete", name)


@dataclass
class Observed:
    random_port: bool
    port_22: bool
    status: str
    message: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port if port != 22 else 2222


def observe(
    pair: Pair, *, nft: str | None = None, iptables: str | None = None, ip6tables: str | None = None
) -> Observed:
    if nft is not None:
        done = pair.in_audited("nft", "-f", "-", stdin=nft)
        assert done.returncode == 0, done.stderr
    if iptables is not None:
        restore = require_tool("iptables-nft-restore", "/usr/sbin/iptables-nft-restore")
        done = pair.in_audited(restore, stdin=iptables)
        assert done.returncode == 0, done.stderr
    if ip6tables is not None:
        restore = require_tool("ip6tables-nft-restore", "/usr/sbin/ip6tables-nft-restore")
        done = pair.in_audited(restore, stdin=ip6tables)
        assert done.returncode == 0, done.stderr
    port = _free_port()
    listener = subprocess.Popen(
        ["ip", "netns", "exec", pair.audited, sys.executable, "-c", LISTENER, str(port), "22"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PATH": SBIN_PATH},
    )  # fmt: skip
    try:
        assert listener.stdout is not None
        assert listener.stdout.readline().strip() == "ready", listener.stderr
        time.sleep(0.1)
        random_port, port_22 = pair.connects(port), pair.connects(22)
    finally:
        listener.kill()
        listener.wait(timeout=30)
    scan = pair.in_audited(
        sys.executable, "-m", "endpoint_audit", "scan", "-b", "minimal",
        "--only", "firewall", "-f", "json",
    )  # fmt: skip
    assert scan.stdout.strip(), f"no report; stderr: {scan.stderr[-2000:]}"
    report: dict[str, Any] = json.loads(scan.stdout)
    (host,) = report["hosts"]
    (finding,) = [f for f in host["findings"] if f["check_id"] == "firewall"]
    seen = Observed(random_port, port_22, finding["status"], finding["message"])
    print(f"\n{seen}")  # the scenario's ground truth and verdict, for `pytest -s`
    # The property every scenario holds: a pass never stands while the peer gets in.
    assert not (random_port and seen.status == "pass"), seen
    return seen


INET = """table inet t {{
  {chains}
  chain input {{
    type filter hook input priority 0; policy {policy};
    ct state established,related accept
    iif "lo" accept
    {rules}
  }}
}}
"""


def test_policy_drop_alone_blocks(pair: Pair) -> None:
    seen = observe(pair, nft=INET.format(chains="", policy="drop", rules=""))
    assert (seen.random_port, seen.status) == (False, "pass")


def test_policy_accept_lets_in_and_fails(pair: Pair) -> None:
    seen = observe(pair, nft=INET.format(chains="", policy="accept", rules=""))
    assert (seen.random_port, seen.status) == (True, "fail")


def test_policy_drop_with_a_jump_to_accept_all(pair: Pair) -> None:
    seen = observe(
        pair, nft=INET.format(chains="chain open { accept; }", policy="drop", rules="jump open")
    )
    assert (seen.random_port, seen.status) == (True, "fail")
    assert "jump open" in seen.message


def test_policy_drop_with_a_goto_to_accept_all(pair: Pair) -> None:
    seen = observe(
        pair, nft=INET.format(chains="chain open { accept; }", policy="drop", rules="goto open")
    )
    assert (seen.random_port, seen.status) == (True, "fail")
    assert "goto open" in seen.message


def test_a_chain_that_returns_before_its_accept(pair: Pair) -> None:
    chains = "chain maybe { return; accept; }"
    seen = observe(pair, nft=INET.format(chains=chains, policy="drop", rules="jump maybe"))
    assert (seen.random_port, seen.status) == (False, "pass")


def test_two_base_chains_one_accepting_all_one_dropping(pair: Pair) -> None:
    ruleset = """table inet first {
  chain input { type filter hook input priority -10; policy accept; accept; }
}
table inet second {
  chain input { type filter hook input priority 10; policy drop; iif "lo" accept; }
}
"""
    seen = observe(pair, nft=ruleset)
    assert (seen.random_port, seen.status) == (False, "pass")


def test_ip_table_drops_while_inet_table_accepts(pair: Pair) -> None:
    """IPv4 is dropped by the ip table whatever the inet table accepts. The namespace has
    IPv6 (the veth's link-local address), which the inet table lets in: that fails."""
    ruleset = """table ip v4 {
  chain input { type filter hook input priority 0; policy drop; iif "lo" accept; }
}
table inet both {
  chain input { type filter hook input priority 0; policy accept; }
}
"""
    seen = observe(pair, nft=ruleset)
    assert (seen.random_port, seen.status) == (False, "fail")
    assert "IPv4 deny, IPv6 allow" in seen.message
    assert seen.message.endswith("through: IPv6: inet both input: policy accept")


def test_only_ip6_drops_while_ip_accepts(pair: Pair) -> None:
    ruleset = """table ip6 v6 {
  chain input { type filter hook input priority 0; policy drop; }
}
table ip v4 {
  chain input { type filter hook input priority 0; policy accept; }
}
"""
    seen = observe(pair, nft=ruleset)
    assert (seen.random_port, seen.status) == (True, "fail")
    assert "IPv4 allow" in seen.message


def test_only_ssh_accepted_is_blocked_by_default_with_ssh_shown(pair: Pair) -> None:
    """The question is "an arbitrary port": one open service is not that, so the check
    passes, and the finding names what the rules let in."""
    seen = observe(pair, nft=INET.format(chains="", policy="drop", rules="tcp dport 22 accept"))
    assert (seen.random_port, seen.port_22) == (False, True)
    assert seen.status == "pass"
    assert seen.message.endswith(
        "let in only: IPv4+IPv6: tcp/22 ← any (inet t input: tcp dport 22 accept)"
    )


def test_iptables_user_chain_reached_from_input_accepts_all(pair: Pair) -> None:
    rules = """*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:services - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -j services
-A services -p tcp -m tcp --dport 22 -j ACCEPT
-A services -j ACCEPT
COMMIT
"""
    seen = observe(pair, iptables=rules)
    assert (seen.random_port, seen.status) == (True, "fail")
    assert "-A services -j ACCEPT" in seen.message


def test_iptables_policy_drop_with_ssh_only(pair: Pair) -> None:
    rules = """*filter
:INPUT DROP [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -j ACCEPT
COMMIT
"""
    seen = observe(pair, iptables=rules)
    # ip6tables was left empty: IPv6 (link-local on the veth) is open.
    assert (seen.random_port, seen.port_22, seen.status) == (False, True, "fail")
    assert "through: IPv6: no chain on the prerouting or input hook" in seen.message


def test_iptables_and_ip6tables_policy_drop_with_ssh_only(pair: Pair) -> None:
    rules = """*filter
:INPUT DROP [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -j ACCEPT
COMMIT
"""
    seen = observe(pair, iptables=rules, ip6tables=rules)
    assert (seen.random_port, seen.port_22, seen.status) == (False, True, "pass")
    assert "let in only: IPv4: tcp/22 ← any (iptables-nft filter: " in seen.message
    assert "IPv6: tcp/22 ← any (ip6tables-nft filter: " in seen.message
