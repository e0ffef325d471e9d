"""SMB and NetBIOS judged by what the firewall lets in (collectors/listening_ports/
windows_exposure.py), and the open_ports check on those judgements."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from endpoint_audit.checkkit.check import EvalContext, FactView
from endpoint_audit.checkkit.firewall_facts import FirewallProduct
from endpoint_audit.checkkit.windows_firewall import parse_profile_list, security_center_unread
from endpoint_audit.checks.open_ports.check import OpenPorts
from endpoint_audit.checks.open_ports.facts import (
    ListeningPortsFacts,
    ListeningSocket,
    PortExposure,
)
from endpoint_audit.checks.open_ports.windows import WindowsListeningPorts
from endpoint_audit.checks.open_ports.windows.exposure import (
    TARGETS,
    judge_exposure,
    shares_from,
)
from endpoint_audit.engine.run import message_args
from endpoint_audit.errors import CollectorError
from endpoint_audit.model import i18n
from endpoint_audit.model.commands import CommandResult
from endpoint_audit.model.observed import unknown
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.model.result import Status
from tests.seen import v
from tests.seen import why as text_of
from tests.windows.conftest import results_of, value_of
from tests.windows.probe_values import (
    DOMAIN,
    FPS_RULES,
    PRIVATE,
    PUBLIC,
    fps_rule,
    fw,
    sharing,
)

WINDOWS = PlatformInfo(family=OsFamily.WINDOWS, transport="replay")
SPECS = ("445/tcp", "139/tcp", "137/udp", "138/udp")
ON = parse_profile_list(fw())
SUITE_ON = FirewallProduct(name="Suite", state="on", up_to_date=True, product_state=0x41000)


def reach(value: dict[str, Any], profiles: Any = ON, **kw: Any) -> dict[str, PortExposure]:
    return {p.spec: p for p in judge_exposure(value, profiles, **kw).ports}


def reachable(value: dict[str, Any], profiles: Any = ON, **kw: Any) -> dict[str, bool | None]:
    return {spec: v(p.reachable) for spec, p in reach(value, profiles, **kw).items()}


def rule(**over: Any) -> dict[str, Any]:
    base = fps_rule("FPS-SMB-In-TCP", PRIVATE | PUBLIC)
    base.update(over)
    return base


NOTHING = dict.fromkeys(SPECS, False)
ONLY_SMB = {**NOTHING, "445/tcp": True}


# --- the rules ----------------------------------------------------------------------


def test_stock_pc_listens_but_nothing_lets_the_network_in() -> None:
    got = reach(sharing(active=PUBLIC))
    assert {s: v(p.reachable) for s, p in got.items()} == NOTHING
    assert all(p.openings == () and text_of(p.reachable) == "" for p in got.values())


def test_file_and_printer_sharing_on_the_active_profile_opens_each_port() -> None:
    rules = [fps_rule(name, PRIVATE | PUBLIC) for name in FPS_RULES]
    got = reach(sharing(active=PUBLIC, rules=rules))
    assert {s: v(p.reachable) for s, p in got.items()} == dict.fromkeys(SPECS, True)
    (opening,) = got["445/tcp"].openings
    assert (opening.kind, opening.rule, opening.profile, opening.remote) == (
        "rule",
        "FPS-SMB-In-TCP",
        "Public",
        "LocalSubnet",
    )
    assert opening.file_and_printer_sharing
    assert {o.rule for o in got["137/udp"].openings} == {"FPS-NB_Name-In-UDP"}


def test_rules_of_an_inactive_profile_do_not_count() -> None:
    rules = [fps_rule(f"{n}-NoScope", DOMAIN, scope="Any") for n in FPS_RULES]
    assert reachable(sharing(active=PRIVATE, rules=rules)) == NOTHING
    assert reachable(sharing(active=DOMAIN | PRIVATE, rules=rules)) == dict.fromkeys(SPECS, True)


@pytest.mark.parametrize(
    ("over", "expected"),
    [
        ({"profile": 0}, ONLY_SMB),  # Profile Any
        ({"action": 3}, ONLY_SMB),  # AllowBypass still allows
        ({"action": 4}, NOTHING),  # a block rule opens nothing
        # An action not read may be Allow: the port is not known to be closed.
        ({"action": None}, {**NOTHING, "445/tcp": None}),
        ({"action": "Allow"}, {**NOTHING, "445/tcp": None}),
        ({"local_ports": ["Any"]}, {**NOTHING, "445/tcp": True, "139/tcp": True}),  # TCP only
        ({"protocol": "Any", "local_ports": ["Any"]}, dict.fromkeys(SPECS, True)),
        (
            {"protocol": "6", "local_ports": ["1-1024"]},
            {**NOTHING, "445/tcp": True, "139/tcp": True},
        ),
        ({"local_ports": ["446-500"]}, NOTHING),
        ({"protocol": "UDP"}, NOTHING),  # 445/udp is not SMB
        ({"program": "%SystemRoot%\\system32\\svchost.exe"}, NOTHING),  # not the System process
        ({"program": "SYSTEM"}, ONLY_SMB),  # case does not matter
        ({"package": "S-1-15-2-1"}, NOTHING),  # a Store app's rule
        ({"service": "LanmanServer"}, NOTHING),  # a service's rule: not the kernel listener
        ({"remote_addresses": ["192.168.10.5"]}, ONLY_SMB),  # restricted, but still reachable
        ({"group": "", "name": "{8CE6B97D-5C1D-4347-A7FD-1792FEB42355}"}, ONLY_SMB),  # own rule
    ],
)
def test_rule_conditions(over: dict[str, Any], expected: dict[str, bool]) -> None:
    assert reachable(sharing(active=PUBLIC, rules=[rule(**over)])) == expected


def test_group_is_recognised_by_resource_string_even_with_a_path_never_by_display_name() -> None:
    with_path = rule(group="@%SystemRoot%\\system32\\firewallapi.dll,-28502")
    (opening,) = reach(sharing(rules=[with_path]))["445/tcp"].openings
    assert opening.file_and_printer_sharing
    # The display name is the PC's language; only the resource string says the group.
    localized = rule(group="", display_name="ファイルとプリンターの共有 (SMB 受信)")
    (opening,) = reach(sharing(rules=[localized]))["445/tcp"].openings
    assert not opening.file_and_printer_sharing


@pytest.mark.parametrize(
    ("over", "why"),
    [
        ({"program": None}, "conditions of rule FPS-SMB-In-TCP"),
        ({"service": None}, "conditions of rule FPS-SMB-In-TCP"),
        ({"profile": None}, "conditions of rule FPS-SMB-In-TCP"),
    ],
)
def test_a_rule_condition_that_could_not_be_read_is_unknown_not_closed(
    over: dict[str, Any], why: str
) -> None:
    got = reach(sharing(rules=[rule(**over)]))["445/tcp"]
    assert v(got.reachable) is None and why in text_of(got.reachable)


def test_one_opening_is_enough_even_when_another_rule_is_unreadable() -> None:
    got = reach(sharing(rules=[rule(program=None), rule(name="SMB-custom", group="")]))
    assert v(got["445/tcp"].reachable) is True


def test_rule_without_a_name_is_bad_output() -> None:
    with pytest.raises(CollectorError):
        judge_exposure(sharing(rules=[rule(name=None)]), ON)


# --- the profiles -------------------------------------------------------------------


def test_firewall_off_on_the_active_profile_opens_everything() -> None:
    off_public = parse_profile_list(fw(public=(0, 4)))
    got = reach(sharing(active=PUBLIC), off_public)
    assert all(v(p.reachable) is True for p in got.values())
    assert [o.kind for o in got["445/tcp"].openings] == ["profile_off"]
    # The same profile off while another one is active opens nothing.
    assert (
        reachable(sharing(active=PRIVATE, connections=[("Wi-Fi", "Private")]), off_public)
        == NOTHING
    )


def test_inbound_allowed_by_default_on_the_active_profile() -> None:
    got = reach(sharing(active=PUBLIC), parse_profile_list(fw(public=(1, 2))))
    assert [o.kind for o in got["139/tcp"].openings] == ["inbound_allowed"]


def test_excluded_interface_counts_only_when_it_is_connected() -> None:
    profiles = parse_profile_list(fw(excluded={"Public": ["WI-FI"]}))
    got = reach(sharing(active=PUBLIC, connections=[("Wi-Fi", "Public")]), profiles)
    assert [(o.kind, o.interfaces) for o in got["445/tcp"].openings] == [
        ("interface_off", ("WI-FI",))
    ]
    assert reachable(sharing(connections=[("Ethernet", "Public")]), profiles) == NOTHING


def test_excluded_interfaces_unreadable_or_connections_unreadable_is_unknown() -> None:
    value = fw()
    value[2]["disabled_interface_aliases"] = None  # Public
    got = reach(sharing(active=PUBLIC), parse_profile_list(value))
    assert v(got["445/tcp"].reachable) is None
    excluded = parse_profile_list(fw(excluded={"Public": ["Wi-Fi"]}))
    probe = sharing(active=PUBLIC)
    probe["connections"] = None
    assert v(reach(probe, excluded)["445/tcp"].reachable) is None


def test_profile_state_missing_is_unknown_never_closed() -> None:
    value = fw()
    value[2]["enabled"] = None  # [int]$null used to read as 0 here
    assert all(
        v is None for v in reachable(sharing(active=PUBLIC), parse_profile_list(value)).values()
    )
    value = fw()
    value[2]["default_inbound"] = None
    assert all(
        v is None for v in reachable(sharing(active=PUBLIC), parse_profile_list(value)).values()
    )


def test_another_firewall_instead_of_windows_firewall_makes_it_unknown() -> None:
    off = parse_profile_list(fw(public=(0, 4)))
    got = reach(sharing(active=PUBLIC), off, products=(SUITE_ON,))
    assert v(got["445/tcp"].reachable) is None and "Suite" in text_of(got["445/tcp"].reachable)
    denied = security_center_unread("access denied")
    got = reach(sharing(active=PUBLIC), off, products_unknown=denied)
    assert v(got["445/tcp"].reachable) is None
    # With Windows Firewall on, its rules decide whatever else is installed.
    assert reachable(sharing(active=PUBLIC), ON, products=(SUITE_ON,)) == NOTHING


@pytest.mark.parametrize(
    "over",
    [
        {"active_profiles": None, "active_profiles_failure": {"error": "RPC server unavailable"}},
        {"active_profiles": 0},
        {"rules": None, "rules_failure": {"error": "Access is denied."}},
    ],
)
def test_what_could_not_be_read_is_unknown(over: dict[str, Any]) -> None:
    value = {**sharing(), **over}
    assert set(reachable(value).values()) == {None}
    assert all(text_of(p.reachable) for p in reach(value).values())


def test_profiles_not_read_is_unknown() -> None:
    why = unknown("open_ports.reason.profiles_unread", output="x")
    got = reach(sharing(), None, profiles_unknown=why)
    assert all(
        v(p.reachable) is None and "could not be read" in text_of(p.reachable) for p in got.values()
    )


# --- shares -------------------------------------------------------------------------


def test_special_shares_are_told_by_their_type_never_by_name() -> None:
    shares = [
        {"name": "ADMIN$", "type": 2147483648},
        {"name": "IPC$", "type": 2147483651},
        {"name": "print$", "type": 0},  # a shared printer's driver share: a real share
        {"name": "Data$", "type": 0},  # hidden by its $, but not special
        {"name": "C$", "type": 0},  # named like one, but shared by hand
        {"name": "HP LaserJet", "type": 1},
    ]
    assert shares_from(shares) == ("C$", "Data$", "HP LaserJet", "print$")
    with pytest.raises(CollectorError):
        shares_from([{"name": "x", "type": None}])


# --- the collector on recorded hosts --------------------------------------------------


def ports(name: str) -> ListeningPortsFacts:
    return WindowsListeningPorts().parse(results_of(name), WINDOWS)


def test_recorded_stock_pcs_listen_on_smb_and_netbios_unreachable() -> None:
    for name in ("win10-22h2-en-bitlocker-off", "win11-23h2-en-compliant"):
        facts = ports(name)
        listening = {(s.protocol, s.port, s.address, s.process) for s in facts.sockets}
        assert ("tcp", 445, "0.0.0.0", "System") in listening
        assert ("tcp", 445, "::", "System") in listening
        assert {(p, n) for p, n, a, proc in listening if proc == "System"} >= {
            ("tcp", 139),
            ("udp", 137),
            ("udp", 138),
        }
        assert {e.spec: v(e.reachable) for e in facts.exposure} == NOTHING
        assert facts.active_profiles == ("Public",) and v(facts.shares) == ()


def test_recorded_domain_only_sharing_at_home_keeps_the_share_unreachable() -> None:
    facts = ports("win11-24h2-ja-smb-domain-only")
    assert facts.active_profiles == ("Private",)
    assert v(facts.shares) == ("スキャン",)
    assert all(v(e.reachable) is False for e in facts.exposure)


def test_failed_sharing_probe_leaves_the_sockets_and_makes_the_ports_unknown() -> None:
    results = dict(results_of("win11-23h2-en-compliant"))
    results["ps:file_sharing"] = CommandResult(1, stderr="Invalid class [0x80041010]")
    facts = WindowsListeningPorts().parse(results, WINDOWS)
    assert facts.sockets == ports("win11-23h2-en-compliant").sockets
    assert all(
        v(e.reachable) is None and "0x80041010" in text_of(e.reachable) for e in facts.exposure
    )
    assert v(facts.shares) is None and text_of(facts.shares)


def test_unreadable_sharing_output_makes_the_ports_unknown_not_the_check_an_error() -> None:
    results = dict(results_of("win11-23h2-en-compliant"))
    value = value_of("win11-23h2-en-compliant", "file_sharing")
    value["rules"] = [{"display_name": "no name"}]
    results["ps:file_sharing"] = CommandResult(0, stdout=__import__("json").dumps(value))
    facts = WindowsListeningPorts().parse(results, WINDOWS)
    assert facts.sockets and all(v(e.reachable) is None for e in facts.exposure)


# --- the check -----------------------------------------------------------------------


def check(
    facts: ListeningPortsFacts, lang: str = "en", **params: Any
) -> list[tuple[Status, str | None, str, str]]:
    c = OpenPorts()
    ctx = EvalContext(platform=WINDOWS, now=datetime(2024, 11, 20, tzinfo=UTC))
    base = {"allowed_ports": ["135"]}
    outcomes = c.evaluate(
        FactView({ListeningPortsFacts: facts}), c.Params(**{**base, **params}), ctx
    )
    return [
        (
            o.status,
            o.resource,
            o.key,
            i18n.t(lang, f"open_ports.msg.{o.key}", **message_args(o.args, lang)),
        )
        for o in outcomes
    ]


def test_check_passes_a_stock_pc_and_says_what_listens_behind_the_firewall() -> None:
    ((status, resource, key, message),) = check(ports("win11-24h2-ja-smb-domain-only"), "ja")
    assert (status, resource, key) == (Status.PASS, None, "none_reachable")
    assert "445/tcp" in message and "Private" in message and "スキャン" in message


def test_check_fails_each_reachable_port_once_naming_the_rule() -> None:
    got = check(ports("win11-23h2-en-smb-public-allowed"))
    assert [(s, r, k) for s, r, k, _ in got] == [
        (Status.FAIL, spec, "exposed_rule") for spec in ("139/tcp", "445/tcp", "137/udp", "138/udp")
    ]
    smb = next(m for _, r, _, m in got if r == "445/tcp")
    assert "FPS-SMB-In-TCP" in smb and "Public" in smb and "Projects" in smb
    assert "0.0.0.0:445/tcp" in smb and "[::]:445/tcp" in smb


def test_check_japanese_messages_are_japanese() -> None:
    got = check(ports("win10-22h2-ja-smb-rule-public"), "ja")
    ((status, resource, _, message),) = got
    assert (status, resource) == (Status.FAIL, "445/tcp")
    assert "到達できます" in message and "ファイルとプリンターの共有 (SMB 受信)" in message


def test_check_without_judge_exposure_judges_by_listening() -> None:
    got = check(ports("win11-23h2-en-compliant"), judge_exposure=False)
    assert {r for s, r, k, _ in got if s is Status.FAIL} >= {
        "0.0.0.0:445/tcp",
        "[::]:445/tcp",
        "10.33.51.143:139/tcp",
        "10.33.51.143:137/udp",
    }


def test_check_allowed_port_is_not_judged_by_exposure() -> None:
    got = check(ports("win11-23h2-en-smb-public-allowed"), allowed_ports=["135", "137-139", "445"])
    assert [s for s, *_ in got] == [Status.PASS]


def test_check_unknown_exposure_never_passes_and_does_not_hide_failures() -> None:
    facts = ports("win11-23h2-ja-rdp-listening")
    why = unknown("open_ports.reason.not_understood", output="x")
    unclear = tuple(e.model_copy(update={"reachable": why}) for e in facts.exposure)
    got = check(facts.model_copy(update={"exposure": unclear}))
    assert {s for s, *_ in got} == {Status.FAIL, Status.UNKNOWN}
    assert {r for s, r, *_ in got if s is Status.UNKNOWN} == set(SPECS)
    assert {r for s, r, *_ in got if s is Status.FAIL} == {
        "0.0.0.0:3389/tcp",
        "[::]:3389/tcp",
        "0.0.0.0:3389/udp",
        "[::]:3389/udp",
    }


def test_remote_desktop_stays_judged_by_listening() -> None:
    facts = ports("win11-23h2-ja-rdp-listening")
    assert all(v(e.reachable) is False for e in facts.exposure)
    assert {r for s, r, *_ in check(facts) if s is Status.FAIL} == {
        "0.0.0.0:3389/tcp",
        "[::]:3389/tcp",
        "0.0.0.0:3389/udp",
        "[::]:3389/udp",
    }


# --- properties -----------------------------------------------------------------------

PROFILE_BITS = st.sampled_from([0, DOMAIN, PRIVATE, PUBLIC, DOMAIN | PRIVATE, PRIVATE | PUBLIC, 7])
TEXT = st.text(max_size=12)
RULES = st.lists(
    st.fixed_dictionaries(
        {
            "name": st.text(min_size=1, max_size=12).filter(str.strip),
            "display_name": TEXT,
            "group": st.sampled_from(["", "@FirewallAPI.dll,-28502", "@{App}", "@x.dll,-1"]),
            "action": st.sampled_from([2, 3, 4, None]),
            "profile": st.one_of(PROFILE_BITS, st.none()),
            "protocol": st.sampled_from(["TCP", "UDP", "Any", "6", "17", "ICMPv4"]),
            "local_ports": st.lists(
                st.sampled_from(["Any", "445", "139", "137", "138", "80", "1-1000", "RPC"]),
                max_size=3,
            ),
            "program": st.one_of(st.sampled_from(["Any", "System", "C:\\a.exe"]), st.none()),
            "package": st.sampled_from(["", "S-1-15-2-9"]),
            "service": st.one_of(st.sampled_from(["Any", "Spooler"]), st.none()),
            "remote_addresses": st.lists(
                st.sampled_from(["Any", "LocalSubnet", "10.0.0.1"]), max_size=2
            ),
        }
    ),
    max_size=6,
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(rules=RULES, active=st.sampled_from([DOMAIN, PRIVATE, PUBLIC, DOMAIN | PUBLIC]))
def test_adding_an_allow_rule_never_makes_a_port_less_reachable(
    rules: list[dict[str, Any]], active: int
) -> None:
    before = reachable(sharing(active=active, rules=rules))
    opener = fps_rule("FPS-SMB-In-TCP", 0)
    after = reachable(sharing(active=active, rules=[*rules, opener]))
    assert after["445/tcp"] is True
    for spec in SPECS:
        if before[spec] is True:
            assert after[spec] is True


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(rules=RULES, names=st.lists(st.text(max_size=20), min_size=6, max_size=6))
def test_display_names_never_change_the_judgement(
    rules: list[dict[str, Any]], names: list[str]
) -> None:
    value = sharing(rules=rules)
    renamed = copy.deepcopy(value)
    for entry, text in zip(renamed["rules"], names, strict=False):
        entry["display_name"] = text
    assert reachable(value) == reachable(renamed)


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(rules=RULES)
def test_reachable_always_comes_with_an_opening_and_unknown_with_a_reason(
    rules: list[dict[str, Any]],
) -> None:
    for exposure in judge_exposure(sharing(rules=rules), ON).ports:
        assert (v(exposure.reachable) is True) == bool(exposure.openings)
        assert (v(exposure.reachable) is None) == (text_of(exposure.reachable) != "")


def test_targets_are_smb_and_netbios_only() -> None:
    assert {(t.protocol, t.port, t.service) for t in TARGETS} == {
        ("tcp", 445, "SMB"),
        ("tcp", 139, "NetBIOS"),
        ("udp", 137, "NetBIOS"),
        ("udp", 138, "NetBIOS"),
    }


def test_another_process_on_a_file_sharing_port_is_judged_as_any_listener() -> None:
    # The firewall judgement is for System's listeners (its rules: program System or
    # Any). With NetBIOS over TCP/IP off, 139/tcp is free, and a program listening there
    # is let in by its own rules, which that judgement never read.
    facts = ports("win11-24h2-ja-smb-domain-only")
    other = ListeningSocket(protocol="tcp", address="0.0.0.0", port=139, pid=6612, process="nc")
    forged = facts.model_copy(update={"sockets": (*facts.sockets, other)})
    got = check(forged)
    assert (Status.FAIL, "0.0.0.0:139/tcp", "forbidden_port") in [(s, r, k) for s, r, k, _ in got]
    assert check(facts)[0][:3] == (Status.PASS, None, "none_reachable")


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(rules=RULES, active=st.sampled_from([DOMAIN, PRIVATE, PUBLIC, DOMAIN | PUBLIC]))
def test_a_rule_whose_action_is_not_read_never_closes_a_port_it_would_open_as_allow(
    rules: list[dict[str, Any]], active: int
) -> None:
    unread = [{**r, "action": None} for r in rules]
    allowed = reachable(sharing(active=active, rules=[{**r, "action": 2} for r in rules]))
    got = reachable(sharing(active=active, rules=unread))
    for spec, value in allowed.items():
        if value is not False:
            assert got[spec] is not False, (spec, unread)
