"""The Linux firewall collector against recorded outputs, and what the check then says.

The kernel listings in these bundles were recorded in network namespaces with the rulesets
under tests/fixtures/linux/netfilter/ loaded (tests/collectors/record_netfilter.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from endpoint_audit.checkkit.firewall_facts import FirewallProfile
from endpoint_audit.checks.firewall import linux
from endpoint_audit.checks.firewall.check import Firewall
from endpoint_audit.checks.firewall.facts import FirewallFacts
from endpoint_audit.checks.firewall.linux import LinuxFirewall
from endpoint_audit.errors import english
from endpoint_audit.model import i18n
from endpoint_audit.model.commands import CommandResult
from endpoint_audit.model.observed import seen
from endpoint_audit.model.result import Status
from tests.collectors.replay_helper import judge, message, replay
from tests.replay_cases import case_path
from tests.seen import v, why


def collect(fixture: str) -> tuple[FirewallFacts, FirewallProfile, str, Status]:
    fact, transport = replay(LinuxFirewall(), fixture)
    (outcome,) = judge(Firewall(), fact, transport)
    assert fact.require == "kernel"
    (kernel,) = fact.profiles
    assert kernel.name == "netfilter"
    return fact, kernel, message("firewall", outcome), outcome.status


def managers(fact: FirewallFacts) -> dict[str, FirewallProfile]:
    return {p.name: p for p in fact.frontends}


def test_ufw_active_deny_passes_showing_what_it_lets_in() -> None:
    fact, kernel, text, status = collect("firewall/linux-ufw-active")
    assert v(managers(fact)["ufw"].inbound_default) == "deny"
    assert v(kernel.inbound_default) == "deny"
    assert status is Status.PASS
    assert text.startswith(
        "The kernel's firewall rules block new inbound connections from the network to an "
        "arbitrary port (IPv4 deny, IPv6 deny (read iptables-save, ip6tables-save, "
        "nft -j list ruleset); managers: ufw active, default deny (incoming)), and let in only: "
    )
    assert (
        "IPv4: tcp/22 ← any (iptables-nft filter: -A ufw-user-input -p tcp -m tcp "
        "--dport 22 -j ACCEPT)" in kernel.openings
    )
    assert "IPv6: tcp/22 ← any" in text
    # DHCP replies: only from source port 67 to port 68.
    assert any("udp/68 sport 67 ← any" in o for o in kernel.openings)


def test_ufw_saying_deny_while_the_kernel_accepts_fails() -> None:
    """`iptables -P INPUT ACCEPT` behind ufw's back: ufw still prints its configured deny."""
    fact, kernel, text, status = collect("firewall/linux-ufw-policy-accept")
    assert v(managers(fact)["ufw"].inbound_default) == "deny"
    assert v(kernel.inbound_default) == "allow"
    assert kernel.accepted_by == ("IPv4: iptables-nft filter INPUT: policy accept",)
    assert status is Status.FAIL
    assert "managers: ufw active, default deny (incoming)" in text
    assert text.endswith("through: IPv4: iptables-nft filter INPUT: policy accept")


def test_ufw_inactive_and_no_rules_fails() -> None:
    fact, kernel, text, status = collect("firewall/linux-ufw-inactive")
    assert v(managers(fact)["ufw"].enabled) is False
    assert v(kernel.enabled) is False
    assert status is Status.FAIL
    assert text.startswith("No firewall filters inbound connections: no rule or drop policy")
    assert text.endswith("(checked: ufw, firewalld, nftables, iptables).")


def test_not_root_is_unknown_needing_root() -> None:
    fact, kernel, text, status = collect("firewall/linux-ufw-not-root")
    assert managers(fact)["ufw"].needs_privilege == linux.ROOT
    assert v(kernel.enabled) is None
    assert kernel.needs_privilege == linux.ROOT
    assert status is Status.UNKNOWN
    assert text.startswith(
        f"The kernel's firewall rules could not be read without {english(linux.ROOT)}: "
        "iptables-save, ip6tables-save, nft -j list ruleset could not be read: "
        "iptables-save exited 4: iptables-save v1.8.9 (nf_tables): Could not fetch rule set"
    )


def test_firewalld_public_zone_rejects_and_shows_its_services() -> None:
    fact, kernel, text, status = collect("firewall/linux-firewalld-running")
    assert v(managers(fact)["firewalld"].enabled) is True
    assert v(kernel.inbound_default) == "reject"
    assert status is Status.PASS
    assert "IPv4 reject, IPv6 reject" in text
    opened = "; ".join(kernel.openings)
    assert "IPv4+IPv6: tcp/22 ← any" in opened
    assert "IPv4+IPv6: tcp/9090 ← any" in opened
    assert "IPv6: udp/546 ← any" in opened


def test_firewalld_zone_accepting_everything_fails_naming_the_path() -> None:
    _, kernel, text, status = collect("firewall/linux-firewalld-trusted")
    assert v(kernel.inbound_default) == "allow"
    assert status is Status.FAIL
    assert kernel.accepted_by[-1] == "IPv4: inet firewalld filter_IN_public_allow: accept"
    assert "inet firewalld filter_INPUT: jump filter_INPUT_ZONES" in text


def test_firewalld_not_running_and_no_rules_fails() -> None:
    fact, kernel, _, status = collect("firewall/linux-firewalld-not-running")
    assert managers(fact)["firewalld"] == FirewallProfile(
        name="firewalld", enabled=seen(False), detail="not running"
    )
    assert v(kernel.enabled) is False
    assert status is Status.FAIL


def test_firewalld_polkit_denied_is_unknown_not_not_running() -> None:
    fact, kernel, _, status = collect("firewall/linux-firewalld-polkit-denied")
    firewalld = managers(fact)["firewalld"]
    assert v(firewalld.enabled) is None
    assert "Authorization failed" in why(firewalld.enabled)
    assert kernel.needs_privilege == linux.ROOT
    assert status is Status.UNKNOWN


def test_nftables_policy_drop_passes_with_ssh_shown() -> None:
    _, kernel, text, status = collect("firewall/linux-nftables-drop")
    assert v(kernel.inbound_default) == "deny"
    assert kernel.openings == ("IPv4+IPv6: tcp/22 ← any (inet filter input: tcp dport 22 accept)",)
    assert status is Status.PASS
    assert text.endswith("let in only: IPv4+IPv6: tcp/22 ← any (inet filter input: "
                         "tcp dport 22 accept)")  # fmt: skip


def test_nftables_policy_accept_fails() -> None:
    _, kernel, text, status = collect("firewall/linux-nftables-accept")
    assert v(kernel.inbound_default) == "allow"
    assert status is Status.FAIL
    assert text.endswith("through: IPv4: inet filter input: policy accept")


def test_policy_drop_with_a_jump_to_accept_all_fails() -> None:
    """The false pass the policy-only check gave."""
    _, kernel, text, status = collect("firewall/linux-nftables-jump-accept-all")
    assert v(kernel.inbound_default) == "allow"
    assert status is Status.FAIL
    assert kernel.accepted_by == (
        "IPv4: inet filter input: jump allow_all",
        "IPv4: inet filter allow_all: accept",
    )
    assert "through: IPv4: inet filter input: jump allow_all -> " in text


def test_iptables_user_chain_accepting_all_fails() -> None:
    _, kernel, _, status = collect("firewall/linux-iptables-user-chain-accept-all")
    assert v(kernel.inbound_default) == "allow"
    assert status is Status.FAIL
    assert kernel.accepted_by == (
        "IPv4: iptables-nft filter: -A INPUT -j services",
        "IPv4: iptables-nft filter: -A services -j ACCEPT",
    )


def test_iptables_legacy_host_without_nft() -> None:
    _, kernel, text, status = collect("firewall/linux-iptables-only")
    assert v(kernel.inbound_default) == "deny"
    assert status is Status.PASS
    assert "(read iptables-save, ip6tables-save)" in text
    assert kernel.openings == (
        "IPv4: tcp/22 ← any (iptables-legacy filter: -A INPUT -p tcp -m state "
        "--state NEW -m tcp --dport 22 -j ACCEPT)",
    )


def test_iptables_ipv6_left_open_fails() -> None:
    _, kernel, text, status = collect("firewall/linux-iptables-ipv6-open")
    assert v(kernel.inbound_default) == "allow"
    assert status is Status.FAIL
    assert "IPv4 deny, IPv6 allow" in text
    assert kernel.accepted_by == ("IPv6: ip6tables-nft filter INPUT: policy accept",)


def test_iptables_legacy_tables_are_read_as_a_follow_up_and_their_drop_is_final() -> None:
    fact, transport = replay(LinuxFirewall(), "firewall/linux-iptables-legacy-tables")
    assert "iptables-legacy-save" in transport.transcript
    assert "ip6tables-legacy-save" not in transport.transcript
    (kernel,) = fact.profiles
    # iptables-nft accepts everything; the legacy table's policy drop still drops it.
    assert v(kernel.inbound_default) == "deny"
    assert "iptables-legacy-save" in kernel.detail


def test_no_firewall_at_all() -> None:
    fact, kernel, text, status = collect("firewall/linux-none")
    assert fact.frontends == ()
    assert v(kernel.enabled) is False
    assert status is Status.FAIL
    assert text.startswith("No firewall filters inbound connections")


def test_an_old_bundle_without_iptables_save_is_never_a_pass(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    out = tmp_path / "r.json"
    result = cli(
        "evaluate", str(case_path("firewall/linux-old-bundle")), "-b", "minimal",
        "--only", "firewall", "-f", f"json:{out}",
    )  # fmt: skip
    report = json.loads(out.read_text(encoding="utf-8"))
    (finding,) = report["hosts"][0]["findings"]
    assert finding["status"] in ("error", "unknown"), finding
    assert "no recorded output for 'ip" in finding["message"], finding["message"]
    assert "tables-save'" in finding["message"]
    assert result.exit_code == 3


# --- parsers on their own ---------------------------------------------------------------


def ok(stdout: str) -> CommandResult:
    return CommandResult(0, stdout=stdout)


def test_ipv6_only_counts_when_a_real_interface_has_an_address() -> None:
    assert linux.ipv6_in_use(ok("00000000000000000000000000000001 01 80 10 80       lo\n")) is False
    assert linux.ipv6_in_use(ok("fe800000000000000000000000000001 02 40 20 80     eth0\n"))
    missing = CommandResult(1, stderr="/proc/net/if_inet6: No such file or directory")
    assert linux.ipv6_in_use(missing) is False


def _results(**outputs: CommandResult) -> dict[str, CommandResult]:
    base = {
        linux.UFW.key: CommandResult(127),
        linux.FIREWALLD_STATE.key: CommandResult(127),
        linux.NFT.key: CommandResult(127),
        linux.IPTABLES_SAVE.key: ok(""),
        linux.IP6TABLES_SAVE.key: ok(""),
        linux.IF_INET6.key: ok(""),
    }
    base.update({getattr(linux, k).key: v for k, v in outputs.items()})
    return base


V4_DROP = "*filter\n:INPUT DROP [0:0]\nCOMMIT\n"
V6_OPEN = "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n"


def test_ipv6_disabled_in_the_kernel_does_not_count() -> None:
    results = _results(
        IPTABLES_SAVE=ok(V4_DROP),
        IP6TABLES_SAVE=ok(V6_OPEN),
        IF_INET6=CommandResult(1, stderr="cat: /proc/net/if_inet6: No such file or directory"),
    )
    (kernel,) = LinuxFirewall().parse(results, platform=None).profiles  # type: ignore[arg-type]
    assert v(kernel.inbound_default) == "deny"
    assert kernel.detail.startswith("IPv4 deny (iptables-save")


def test_unreadable_nft_json_is_unknown_unless_another_view_drops() -> None:
    broken = _results(NFT=ok("not json"))
    (kernel,) = LinuxFirewall().parse(broken, platform=None).profiles  # type: ignore[arg-type]
    assert v(kernel.inbound_default) is None
    assert "not JSON" in why(kernel.inbound_default)
    # A drop in the views that were read is final whatever the unread one says.
    dropping = _results(NFT=ok("not json"), IPTABLES_SAVE=ok(V4_DROP), IP6TABLES_SAVE=ok(V4_DROP))
    (kernel,) = LinuxFirewall().parse(dropping, platform=None).profiles  # type: ignore[arg-type]
    assert v(kernel.inbound_default) == "deny"


def test_a_rule_not_understood_on_the_accepting_path_is_unknown_naming_it() -> None:
    rules = "*filter\n:INPUT DROP [0:0]\n-A INPUT -m frobnicate --level 3 -j ACCEPT\nCOMMIT\n"
    results = _results(IPTABLES_SAVE=ok(rules), IP6TABLES_SAVE=ok(V4_DROP))
    fact = LinuxFirewall().parse(results, platform=None)  # type: ignore[arg-type]
    (kernel,) = fact.profiles
    assert v(kernel.enabled) is True and v(kernel.inbound_default) is None
    assert "-A INPUT -m frobnicate --level 3 -j ACCEPT" in why(kernel.inbound_default)
    assert "-m frobnicate" in "; ".join(kernel.unjudged)


def test_ufw_without_a_default_line_is_unknown() -> None:
    profile = linux.ufw_profile(ok("Status: active\n"))
    assert profile is not None and v(profile.enabled) is True and v(profile.inbound_default) is None


def test_a_netdev_ingress_chain_is_named_as_not_judged_in_the_reports_language() -> None:
    ruleset = {
        "nftables": [
            {"chain": {"family": "inet", "table": "filter", "name": "input", "type": "filter",
                       "hook": "input", "prio": 0, "policy": "drop"}},
            {"chain": {"family": "netdev", "table": "edge", "name": "in", "type": "filter",
                       "hook": "ingress", "dev": "eth0", "prio": 0, "policy": "accept"}},
        ]
    }  # fmt: skip
    results = _results(NFT=ok(json.dumps(ruleset)))
    (kernel,) = LinuxFirewall().parse(results, platform=None).profiles  # type: ignore[arg-type]
    assert v(kernel.inbound_default) == "deny"
    assert kernel.summary is not None and kernel.summary.key.endswith("_notes")
    assert "netdev edge in (hook ingress)" in kernel.detail
    en = i18n.t("en", kernel.summary.key, **kernel.summary.args)
    ja = i18n.t("ja", kernel.summary.key, **kernel.summary.args)
    assert "not judged: netdev edge in (hook ingress)" in en
    assert "判定していないもの: netdev edge in (hook ingress)" in ja
    assert "judged" not in ja
