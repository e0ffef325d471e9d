"""The Linux firewall collector against recorded outputs, and what the check then says."""

from __future__ import annotations

import pytest

from endpoint_audit.checks.builtin.firewall import Firewall
from endpoint_audit.collectors.firewall import linux
from endpoint_audit.collectors.firewall.linux import LinuxFirewall
from endpoint_audit.model.commands import CommandResult
from endpoint_audit.model.facts import FirewallFacts, FirewallProfile
from endpoint_audit.model.result import Status
from tests.collectors.replay_helper import judge, message, replay


def collect(fixture: str) -> tuple[FirewallFacts, dict[str, FirewallProfile], str, Status]:
    fact, transport = replay(LinuxFirewall(), fixture)
    (outcome,) = judge(Firewall(), fact, transport)
    profiles = {p.name: p for p in fact.profiles}
    return fact, profiles, message("firewall", outcome), outcome.status


def test_ufw_active_deny_passes_naming_ufw() -> None:
    fact, profiles, text, status = collect("firewall-ufw-active")
    assert fact.require == "any"
    assert fact.checked == ("ufw", "firewalld", "nftables", "iptables")
    assert profiles["ufw"].enabled is True
    assert profiles["ufw"].inbound_default == "deny"
    assert "firewalld" not in profiles  # not installed
    assert profiles["iptables"].inbound_default == "deny"
    assert status is Status.PASS
    assert text.startswith(
        "Inbound connections are blocked by default by ufw (active, default deny"
    )


def test_ufw_inactive_and_nothing_else_fails() -> None:
    _, profiles, text, status = collect("firewall-ufw-inactive")
    assert profiles["ufw"].enabled is False
    assert profiles["nftables"].enabled is False
    assert profiles["iptables"].enabled is False
    assert status is Status.FAIL
    assert text == "No active host firewall (checked: ufw, firewalld, nftables, iptables)."


def test_ufw_as_non_root_is_unknown_needing_root() -> None:
    _, profiles, text, status = collect("firewall-ufw-not-root")
    for name in ("ufw", "nftables", "iptables"):
        assert profiles[name].enabled is None, name
        assert profiles[name].needs_privilege == linux.ROOT
    assert "You need to be root" in (profiles["ufw"].unknown_reason or "")
    assert status is Status.UNKNOWN
    assert text.startswith(
        "No active firewall that blocks inbound was found, and ufw, nftables, iptables "
        "could not be read without root (run with sudo, or --sudo over SSH): ufw: "
    )


def test_firewalld_running_default_zone_rejects() -> None:
    _, profiles, text, status = collect("firewall-firewalld-running")
    firewalld = profiles["firewalld"]
    assert firewalld.enabled is True
    assert firewalld.inbound_default == "reject"
    # Docker's ACCEPT zone holds only docker0, which does not face the network.
    assert "docker" not in firewalld.detail
    assert "zone public (default) target default" in firewalld.detail
    # firewalld's own nftables chain accepts by policy and ends with a reject rule after
    # jumping to the zone chains, which may accept everything: on its own it proves nothing.
    assert profiles["nftables"].inbound_default == "allow"
    assert status is Status.PASS
    assert text == (
        "Inbound connections are blocked by default by firewalld "
        "(running; zone public (default) target default)."
    )


def test_firewalld_default_zone_trusted_allows() -> None:
    _, profiles, text, status = collect("firewall-firewalld-trusted")
    assert profiles["firewalld"].inbound_default == "allow"
    # The final reject of firewalld's chain is never reached for the trusted zone: it must
    # not make nftables look like it denies.
    assert profiles["nftables"].inbound_default == "allow"
    assert status is Status.FAIL
    assert text.startswith(
        "The active firewall allows inbound connections by default: firewalld "
        "(running; zone trusted (default) target ACCEPT), nftables (IPv4 allow"
    )


def test_firewalld_not_running_exit_252() -> None:
    _, profiles, text, status = collect("firewall-firewalld-not-running")
    assert profiles["firewalld"] == FirewallProfile(
        name="firewalld", enabled=False, detail="not running"
    )
    assert status is Status.FAIL
    assert text == "No active host firewall (checked: ufw, firewalld, nftables, iptables)."


def test_firewalld_polkit_denied_is_not_not_running() -> None:
    _, profiles, text, status = collect("firewall-firewalld-polkit-denied")
    firewalld = profiles["firewalld"]
    assert firewalld.enabled is None
    assert firewalld.needs_privilege == linux.ROOT
    assert "Authorization failed" in (firewalld.unknown_reason or "")
    assert status is Status.UNKNOWN
    assert "firewalld, nftables, iptables could not be read without root" in text


def test_firewalld_running_but_zones_denied() -> None:
    _, profiles, _, status = collect("firewall-firewalld-zones-denied")
    firewalld = profiles["firewalld"]
    assert firewalld.enabled is True
    assert firewalld.inbound_default is None
    assert firewalld.needs_privilege == linux.ROOT
    assert status is Status.UNKNOWN


def test_nftables_policy_drop_passes() -> None:
    _, profiles, text, status = collect("firewall-nftables-drop")
    nft = profiles["nftables"]
    assert nft.enabled is True
    assert nft.inbound_default == "deny"
    assert "inet filter input: deny" in nft.detail
    assert status is Status.PASS
    assert text.startswith("Inbound connections are blocked by default by nftables (IPv4 deny")


def test_nftables_policy_accept_fails_naming_it() -> None:
    _, profiles, text, status = collect("firewall-nftables-accept")
    assert profiles["nftables"].enabled is True
    assert profiles["nftables"].inbound_default == "allow"
    assert status is Status.FAIL
    assert text.startswith(
        "The active firewall allows inbound connections by default: nftables (IPv4 allow"
    )


def test_iptables_only() -> None:
    _, profiles, text, status = collect("firewall-iptables-only")
    assert "nftables" not in profiles
    assert profiles["iptables"].inbound_default == "deny"
    assert status is Status.PASS
    assert "iptables (IPv4 deny, IPv6 deny; IPv4 INPUT policy DROP, 3 rules)" in text


def test_iptables_ipv6_left_open_fails() -> None:
    _, profiles, text, status = collect("firewall-iptables-ipv6-open")
    assert profiles["iptables"].inbound_default == "allow"
    assert status is Status.FAIL
    assert "IPv4 deny, IPv6 allow" in text


def test_iptables_legacy_tables_are_read_as_a_follow_up() -> None:
    fact, transport = replay(LinuxFirewall(), "firewall-iptables-legacy-tables")
    assert "iptables-legacy -S INPUT" in transport.transcript
    (iptables,) = [p for p in fact.profiles if p.name == "iptables"]
    assert iptables.inbound_default == "deny"
    assert iptables.detail.endswith("; iptables-legacy too")


def test_no_firewall_at_all() -> None:
    _, profiles, text, status = collect("firewall-none")
    assert set(profiles) == {"nftables", "iptables"}
    assert status is Status.FAIL
    assert text == "No active host firewall (checked: ufw, firewalld, nftables, iptables)."


# --- parsers on their own ---------------------------------------------------------------


def ok(stdout: str) -> CommandResult:
    return CommandResult(0, stdout=stdout)


@pytest.mark.parametrize(
    ("if_inet6", "expected"),
    [
        ("00000000000000000000000000000001 01 80 10 80       lo\n", False),
        ("fe800000000000000000000000000001 02 40 20 80     eth0\n", True),
    ],
)
def test_ipv6_only_counts_when_a_real_interface_has_an_address(
    if_inet6: str, expected: bool
) -> None:
    assert linux.ipv6_in_use(ok(if_inet6)) is expected


def test_ipv6_disabled_in_the_kernel() -> None:
    missing = CommandResult(1, stderr="/proc/net/if_inet6: No such file or directory")
    assert linux.ipv6_in_use(missing) is False
    profile = linux.iptables_profile(
        {
            linux.IPTABLES.key: ok("-P INPUT DROP\n"),
            linux.IP6TABLES.key: ok("-P INPUT ACCEPT\n"),
        },
        ipv6_in_use=False,
    )
    assert profile is not None and profile.inbound_default == "deny"


def test_iptables_trailing_reject_rule_counts_as_the_default() -> None:
    chain = linux.parse_input_chain(
        "-P INPUT ACCEPT\n-A INPUT -i lo -j ACCEPT\n"
        "-A INPUT -j REJECT --reject-with icmp-host-prohibited\n"
    )
    assert chain.verdict == "reject"
    conditional = linux.parse_input_chain("-P INPUT ACCEPT\n-A INPUT -p tcp -j DROP\n")
    assert conditional.verdict == "allow"


def test_iptables_accept_all_or_a_jump_before_the_final_drop_is_not_deny() -> None:
    accept_all = linux.parse_input_chain("-P INPUT DROP\n-A INPUT -j ACCEPT\n")
    assert accept_all.verdict == "allow"
    jumped = linux.parse_input_chain("-P INPUT ACCEPT\n-A INPUT -j my-zones\n-A INPUT -j DROP\n")
    assert jumped.verdict == "allow"


def test_nft_chain_verdicts() -> None:
    accept = [{"accept": None}]
    drop = [{"counter": {"packets": 0, "bytes": 0}}, {"drop": None}]
    jump = [{"jump": {"target": "zones"}}]
    assert linux.chain_verdict("accept", [drop]) == "deny"
    assert linux.chain_verdict("accept", [jump, drop]) == "allow"
    assert linux.chain_verdict("drop", [accept]) == "allow"
    assert linux.chain_verdict("drop", [jump]) == "deny"


def test_ufw_without_a_default_line_is_unknown() -> None:
    profile = linux.ufw_profile(ok("Status: active\n"))
    assert profile is not None and profile.enabled is True and profile.inbound_default is None


def test_unreadable_nft_json_makes_only_nftables_unknown() -> None:
    results = {
        linux.UFW.key: ok("Status: active\nDefault: reject (incoming), allow (outgoing)\n"),
        linux.FIREWALLD_STATE.key: CommandResult(127),
        linux.NFT.key: ok("not json"),
        linux.IPTABLES.key: ok("-P INPUT DROP\n"),
        linux.IP6TABLES.key: ok("-P INPUT DROP\n"),
        linux.IF_INET6.key: ok(""),
    }
    fact = LinuxFirewall().parse(results, platform=None)  # type: ignore[arg-type]
    profiles = {p.name: p for p in fact.profiles}
    assert profiles["nftables"].enabled is None
    assert "not JSON" in (profiles["nftables"].unknown_reason or "")
    assert profiles["ufw"].inbound_default == "reject"


def test_zone_targets() -> None:
    assert linux.zone_verdict("default") == "reject"
    assert linux.zone_verdict("%%REJECT%%") == "reject"
    assert linux.zone_verdict("DROP") == "deny"
    assert linux.zone_verdict("ACCEPT") == "allow"


def test_ufw_saying_deny_while_the_kernel_accepts_is_allow() -> None:
    """`iptables -P INPUT ACCEPT` behind ufw's back: ufw still prints its configured deny."""
    results = {
        linux.UFW.key: ok("Status: active\nDefault: deny (incoming), allow (outgoing)\n"),
        linux.FIREWALLD_STATE.key: CommandResult(127),
        linux.NFT.key: CommandResult(127),
        linux.IPTABLES.key: ok("-P INPUT ACCEPT\n-A INPUT -j ufw-before-input\n"),
        linux.IP6TABLES.key: ok("-P INPUT DROP\n"),
        linux.IF_INET6.key: ok(""),
    }
    fact = LinuxFirewall().parse(results, platform=None)  # type: ignore[arg-type]
    (ufw,) = [p for p in fact.profiles if p.name == "ufw"]
    assert ufw.inbound_default == "allow"
    assert ufw.detail.endswith("but the kernel's INPUT policy is ACCEPT")
