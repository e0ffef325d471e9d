"""The firewall check on facts built by hand: every branch, for each OS's shape of evidence."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from endpoint_audit.checkkit.check import EvalContext, FactView
from endpoint_audit.checkkit.firewall_facts import FirewallProfile
from endpoint_audit.checks.firewall.check import Firewall
from endpoint_audit.checks.firewall.facts import FirewallFacts
from endpoint_audit.engine.run import message_args
from endpoint_audit.model import i18n
from endpoint_audit.model.observed import Reason, Unknown, seen
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.model.result import Status

ROOT = "root (run with sudo, or --sudo over SSH)"
NEEDS_ROOT = Reason(key="firewall.reason.root")


def said(output: str) -> Reason:
    """A reason whose English text ends with `output`."""
    return Reason(key="firewall.reason.not_understood", args={"output": output})


def unread(output: str) -> Unknown:
    return Unknown(reason=said(output))


CHECKED = ("ufw", "firewalld", "nftables", "iptables")


def run(
    fact: FirewallFacts, family: OsFamily = OsFamily.LINUX, lang: str = "en", **params: Any
) -> list[tuple[Status, str, str | None]]:
    check = Firewall()
    ctx = EvalContext(platform=PlatformInfo(family=family), now=datetime(2026, 11, 20, tzinfo=UTC))
    outcomes = check.evaluate(FactView({FirewallFacts: fact}), check.Params(**params), ctx)
    return [
        (o.status, i18n.t(lang, f"firewall.msg.{o.key}", **message_args(o.args, lang)), o.resource)
        for o in outcomes
    ]


def windows(*profiles: FirewallProfile) -> FirewallFacts:
    return FirewallFacts(require="all", profiles=profiles, checked=("Domain", "Private", "Public"))


def on(name: str, inbound: str = "deny", detail: str = "") -> FirewallProfile:
    return FirewallProfile(
        name=name, enabled=seen(True), inbound_default=seen(inbound), detail=detail
    )  # type: ignore[arg-type]


# --- require == "all": Windows profiles, macOS application firewall ----------------------


def test_windows_all_profiles_on_and_blocking() -> None:
    fact = windows(on("Domain"), on("Private"), on("Public"))
    assert run(fact, OsFamily.WINDOWS) == [
        (
            Status.PASS,
            f"Firewall profile {name} is on and blocks inbound connections by default (deny).",
            name,
        )
        for name in ("Domain", "Private", "Public")
    ]


def test_windows_one_profile_off_one_allowing() -> None:
    fact = windows(
        FirewallProfile(name="Domain", enabled=seen(False), inbound_default=seen("deny")),
        on("Private", "allow"),
        on("Public"),
    )
    assert run(fact, OsFamily.WINDOWS) == [
        (Status.FAIL, "Firewall profile Domain is turned off.", "Domain"),
        (
            Status.FAIL,
            "Firewall profile Private is on but allows inbound connections by default (allow).",
            "Private",
        ),
        (
            Status.PASS,
            "Firewall profile Public is on and blocks inbound connections by default (deny).",
            "Public",
        ),
    ]


def test_windows_unknown_profile_with_and_without_privilege() -> None:
    fact = windows(
        FirewallProfile(name="Domain", enabled=unread("probe failed: RPC server unavailable")),
        FirewallProfile(
            name="Private", enabled=unread("access denied"), needs_privilege=NEEDS_ROOT
        ),
        FirewallProfile(
            name="Public", enabled=seen(True), inbound_default=unread("inbound action not read")
        ),
    )
    assert run(fact, OsFamily.WINDOWS) == [
        (
            Status.UNKNOWN,
            "The state of firewall profile Domain could not be read: the output was not "
            "understood: probe failed: RPC server unavailable",
            "Domain",
        ),
        (
            Status.UNKNOWN,
            f"The state of firewall profile Private could not be read without {ROOT}: "
            "the output was not understood: access denied",
            "Private",
        ),
        (
            Status.UNKNOWN,
            "The state of firewall profile Public could not be read: the output was not "
            "understood: inbound action not read",
            "Public",
        ),
    ]


def test_windows_on_but_inbound_unknown_passes_when_inbound_not_required() -> None:
    fact = windows(FirewallProfile(name="Public", enabled=seen(True)))
    assert run(fact, OsFamily.WINDOWS, require_inbound_deny=False) == [
        (
            Status.PASS,
            "Firewall profile Public is on (inbound default: ?; not required to block).",
            "Public",
        )
    ]
    assert run(fact, OsFamily.WINDOWS)[0][0] is Status.UNKNOWN
    allowing = windows(on("Public", "allow"))
    assert run(allowing, OsFamily.WINDOWS, require_inbound_deny=False) == [
        (
            Status.PASS,
            "Firewall profile Public is on (inbound default: allow; not required to block).",
            "Public",
        )
    ]


def test_macos_application_firewall() -> None:
    blocking = FirewallFacts(
        require="all", profiles=(on("Application Firewall", "deny", "State = 2"),)
    )
    off = FirewallFacts(
        require="all",
        profiles=(
            FirewallProfile(name="Application Firewall", enabled=seen(False), detail="State = 0"),
        ),
    )
    assert run(blocking, OsFamily.MACOS)[0][0] is Status.PASS
    assert run(off, OsFamily.MACOS) == [
        (
            Status.FAIL,
            "Firewall profile Application Firewall is turned off.",
            "Application Firewall",
        )
    ]


def test_all_without_any_profile_is_unknown_never_pass() -> None:
    assert run(windows(), OsFamily.WINDOWS) == [
        (
            Status.UNKNOWN,
            "No firewall profile was found (looked for: Domain, Private, Public).",
            None,
        )
    ]


# --- require == "any": Linux managers ----------------------------------------------------


def linux(*profiles: FirewallProfile) -> FirewallFacts:
    return FirewallFacts(require="any", profiles=profiles, checked=CHECKED)


def test_linux_one_denying_firewall_is_enough() -> None:
    fact = linux(
        FirewallProfile(name="ufw", enabled=seen(False), detail="Status: inactive"),
        on("nftables", "deny", "IPv4 deny, IPv6 deny"),
        on("iptables", "allow", "IPv4 allow"),
    )
    assert run(fact) == [
        (
            Status.PASS,
            "Inbound connections are blocked by default by nftables (IPv4 deny, IPv6 deny).",
            "nftables",
        )
    ]


def test_linux_active_but_allowing_fails_naming_it() -> None:
    fact = linux(
        on("nftables", "allow", "IPv4 allow, IPv6 allow"),
        FirewallProfile(name="ufw", enabled=unread("x"), needs_privilege=NEEDS_ROOT),
    )
    assert run(fact) == [
        (
            Status.FAIL,
            "The active firewall allows inbound connections by default: nftables (IPv4 allow, "
            "IPv6 allow).",
            "nftables",
        )
    ]


def test_linux_nothing_active_and_something_unreadable_is_unknown() -> None:
    fact = linux(
        FirewallProfile(
            name="ufw",
            enabled=unread("ERROR: You need to be root"),
            needs_privilege=NEEDS_ROOT,
        ),
        FirewallProfile(name="iptables", enabled=seen(False), detail="INPUT policy ACCEPT"),
    )
    assert run(fact) == [
        (
            Status.UNKNOWN,
            f"No active firewall that blocks inbound was found, and ufw could not be read "
            f"without {ROOT}: the output was not understood: ERROR: You need to be root",
            None,
        )
    ]


def test_linux_unreadable_without_privilege_hint() -> None:
    fact = linux(FirewallProfile(name="firewalld", enabled=unread("exit 251: failed")))
    assert run(fact) == [
        (
            Status.UNKNOWN,
            "No active firewall that blocks inbound was found, and firewalld could not be read: "
            "the output was not understood: exit 251: failed",
            None,
        )
    ]


def test_linux_none_active() -> None:
    fact = linux(
        FirewallProfile(name="ufw", enabled=seen(False)),
        FirewallProfile(name="nftables", enabled=seen(False)),
    )
    assert run(fact) == [
        (
            Status.FAIL,
            "No active host firewall (checked: ufw, firewalld, nftables, iptables).",
            None,
        )
    ]


def test_linux_active_with_inbound_not_required() -> None:
    fact = linux(on("nftables", "allow", "IPv4 allow"))
    assert run(fact, require_inbound_deny=False) == [
        (Status.PASS, "A host firewall is active: nftables (IPv4 allow).", "nftables")
    ]


def test_japanese_messages() -> None:
    fact = linux(FirewallProfile(name="ufw", enabled=seen(False)))
    assert run(fact, lang="ja") == [
        (
            Status.FAIL,
            "有効なホストファイアウォールがありません"
            "（確認対象: ufw, firewalld, nftables, iptables）。",
            None,
        )
    ]


def test_params_reject_unknown_keys() -> None:
    with pytest.raises(ValidationError):
        Firewall.Params(require_inbound=True)  # type: ignore[call-arg]


# --- require == "kernel": Linux netfilter ---------------------------------------------------


def kernel(profile: FirewallProfile, *frontends: FirewallProfile) -> FirewallFacts:
    return FirewallFacts(
        require="kernel", profiles=(profile,), frontends=frontends, checked=CHECKED
    )


def test_kernel_denying_with_openings_passes_and_names_them_in_japanese_too() -> None:
    fact = kernel(
        FirewallProfile(
            name="netfilter",
            enabled=seen(True),
            inbound_default=seen("deny"),
            detail="IPv4 deny",
            openings=("IPv4: tcp/22 ← any (r)",),
        ),
    )
    assert run(fact) == [
        (
            Status.PASS,
            "The kernel's firewall rules block new inbound connections from the network to an "
            "arbitrary port (IPv4 deny), and let in only: IPv4: tcp/22 ← any (r)",
            "netfilter",
        )
    ]
    ((status, text, _),) = run(fact, lang="ja")
    assert status is Status.PASS and "通すのは次のみです: IPv4: tcp/22 ← any (r)" in text


def test_kernel_allowing_fails_with_the_path_and_undecided_is_unknown() -> None:
    allowing = kernel(
        FirewallProfile(
            name="netfilter",
            enabled=seen(True),
            inbound_default=seen("allow"),
            detail="IPv4 allow",
            accepted_by=("IPv4: a: jump b", "IPv4: b: accept"),
        ),
        on("ufw", "deny", "active, default deny (incoming)"),
    )
    ((status, text, _),) = run(allowing)
    assert status is Status.FAIL
    assert text.endswith("through: IPv4: a: jump b -> IPv4: b: accept")
    undecided = kernel(
        FirewallProfile(
            name="netfilter",
            enabled=seen(True),
            detail="IPv4 ?",
            inbound_default=unread("-A INPUT -m frob -j ACCEPT (not understood)"),
        ),
    )
    ((status, text, _),) = run(undecided)
    assert status is Status.UNKNOWN
    assert text.endswith(": -A INPUT -m frob -j ACCEPT (not understood)")
    # A firewall that is on is enough when blocking by default is not required; an
    # undecided verdict still never counts as blocking.
    assert run(undecided, require_inbound_deny=False)[0][0] is Status.PASS


def test_kernel_unread_without_root_is_unknown_naming_root() -> None:
    fact = kernel(
        FirewallProfile(name="netfilter", enabled=unread("nft: denied"), needs_privilege=NEEDS_ROOT)
    )
    assert run(fact) == [
        (
            Status.UNKNOWN,
            f"The kernel's firewall rules could not be read without {ROOT}: the output was not "
            "understood: nft: denied",
            "netfilter",
        )
    ]
