"""Windows Firewall profiles with missing values and excluded interfaces, and firewalls
registered with Windows Security Center: the collector and the check."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from endpoint_audit.checkkit.check import EvalContext, FactView
from endpoint_audit.checkkit.windows_firewall import (
    excluded_interfaces,
    parse_products,
    product_from,
)
from endpoint_audit.checkkit.windows_probe import as_int
from endpoint_audit.checks.antivirus.windows import decode_product
from endpoint_audit.checks.firewall.check import Firewall
from endpoint_audit.checks.firewall.facts import FirewallFacts
from endpoint_audit.checks.firewall.windows import WindowsFirewall, parse_profiles
from endpoint_audit.engine.run import message_args
from endpoint_audit.model import i18n
from endpoint_audit.model.commands import CommandResult
from endpoint_audit.model.observed import Unknown, seen
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.model.result import Status
from tests.replay_cases import all_cases
from tests.seen import v, why
from tests.windows.conftest import results_of
from tests.windows.probe_values import fw, products
from tests.windows.test_powershell import windows_probes

WINDOWS = PlatformInfo(family=OsFamily.WINDOWS, transport="replay")


def firewall(name: str) -> FirewallFacts:
    return WindowsFirewall().parse(results_of(name), WINDOWS)


def judge(fact: FirewallFacts, lang: str = "en") -> dict[str | None, tuple[Status, str, str]]:
    check = Firewall()
    ctx = EvalContext(platform=WINDOWS, now=datetime(2024, 11, 20, tzinfo=UTC))
    return {
        o.resource: (
            o.status,
            o.key,
            i18n.t(lang, f"firewall.msg.{o.key}", **message_args(o.args, lang)),
        )
        for o in check.evaluate(FactView({FirewallFacts: fact}), check.Params(), ctx)
    }


def with_products(profiles: list[dict[str, Any]], value: dict[str, Any]) -> FirewallFacts:
    found, unknown = parse_products(value)
    products = Unknown(reason=unknown) if unknown else seen(found)
    return FirewallFacts.model_validate({**dict(parse_profiles(profiles)), "products": products})


# --- missing values stay missing ---------------------------------------------------


@pytest.mark.parametrize("field", ["enabled", "default_inbound", "disabled_interface_aliases"])
def test_a_value_the_probe_could_not_read_is_unknown_never_not_configured(field: str) -> None:
    value = fw()
    value[2][field] = None
    (public,) = [p for p in parse_profiles(value).profiles if p.name == "Public"]
    assert any(
        why(value) for value in (public.enabled, public.inbound_default, public.excluded_interfaces)
    )
    status, key, _ = judge(with_products(value, products()))["Public"]
    assert (status, key) == (Status.UNKNOWN, "profile_unknown")


def test_not_configured_inbound_is_the_default_block() -> None:
    (domain, *_) = parse_profiles(fw(domain=(1, 0))).profiles
    assert v(domain.inbound_default) == "deny" and "NotConfigured (default Block)" in domain.detail


def test_the_probe_sends_null_for_missing_values_not_int_casts() -> None:
    from endpoint_audit.checkkit.windows_firewall import FIREWALL_PROFILES
    from endpoint_audit.checks.disk_encryption.windows import BITLOCKER
    from endpoint_audit.checks.open_ports.windows import FILE_SHARING

    for probe in (FIREWALL_PROFILES, BITLOCKER, FILE_SHARING):
        script = probe.script
        assert "[int]$_." not in script and "[int]$v." not in script, probe.name
        assert "ConvertTo-EANumber" in script
    assert "DisabledInterfaceAliases" in FIREWALL_PROFILES.script


# --- DisabledInterfaceAliases -------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["NotConfigured"], ()),
        ([], ()),
        (["Wi-Fi"], ("Wi-Fi",)),
        (["NotConfigured", "イーサネット 2"], ("イーサネット 2",)),
        ("Wi-Fi", ("Wi-Fi",)),  # a lone string, as ConvertTo-Json prints one-item arrays
        (None, None),
        ([None], None),
    ],
)
def test_excluded_interfaces(value: Any, expected: tuple[str, ...] | None) -> None:
    assert v(excluded_interfaces(value)) == expected


def test_profile_on_with_an_excluded_interface_fails_naming_it() -> None:
    got = judge(firewall("win11-23h2-en-firewall-interface-excluded"))
    assert got["Domain"][:2] == (Status.PASS, "profile_on")
    for name in ("Private", "Public"):
        status, key, message = got[name]
        assert (status, key) == (Status.FAIL, "profile_interfaces_off")
        assert "Wi-Fi" in message


# --- Security Center ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (266240, ("on", True)),  # 0x41000, the value Stack Overflow 4700897 lists first as on
        (0x41010, ("on", False)),  # signatures out of date
        (0x40000, ("off", True)),
        (0x42000, ("snoozed", True)),
        (0x43000, ("expired", True)),
        # Anything not recognised leaves the whole product undecoded, never on.
        (0x44000, (None, None)),  # a state nobody documented
        (0x41020, (None, None)),
        (0x41001, (None, None)),  # a low nibble set
        (0x41200, (None, None)),  # an owner nibble nobody documented
        (0x1041000, (None, None)),  # wider than 24 bits
        (None, (None, None)),
    ],
)
def test_product_state_is_decoded_bitwise(state: int | None, expected: tuple[Any, Any]) -> None:
    product = product_from({"name": "Suite", "product_state": state})
    assert (product.state, product.up_to_date) == expected
    assert product.protecting is (expected == ("on", True))


@settings(max_examples=500, deadline=None)
@given(st.integers(min_value=-(2**40), max_value=2**40))
def test_firewall_and_antivirus_decode_product_state_alike(code: int) -> None:
    # One product must not protect for one check and be unknown for the other.
    product = product_from({"name": "Suite", "product_state": code})
    registered = decode_product("Suite", code)
    assert (product.state, product.up_to_date) == (registered.state, registered.up_to_date)
    if product.protecting:
        assert code & 0xF0FF == 0x1000  # on, signatures up to date, low nibble clear
        assert 0 <= code <= 0xFFFFFF


def test_suite_that_replaces_windows_firewall_passes_naming_it() -> None:
    got = judge(firewall("win10-22h2-ja-third-party-firewall"), "ja")
    assert {r: (s, k) for r, (s, k, _) in got.items()} == dict.fromkeys(
        ("Domain", "Private", "Public"), (Status.PASS, "profile_replaced")
    )
    assert "ノートン 360" in got["Public"][2]


@pytest.mark.parametrize("state", [0x40000, 0x41010, 0x42000])
def test_suite_that_is_off_snoozed_or_out_of_date_does_not_protect(state: int) -> None:
    fact = with_products(fw(public=(0, 4)), products(("Suite", state)))
    status, key, message = judge(fact)["Public"]
    assert (status, key) == (Status.FAIL, "profile_off_products_inactive")
    assert "Suite" in message
    assert judge(fact)["Domain"][:2] == (Status.PASS, "profile_on")


def test_suite_next_to_windows_firewall_changes_nothing() -> None:
    fact = with_products(fw(), products(("Suite", 0x40000)))
    assert {s for s, _, _ in judge(fact).values()} == {Status.PASS}
    fact = with_products(fw(domain=(1, 2)), products(("Suite", 0x41000)))
    assert judge(fact)["Domain"][:2] == (Status.PASS, "profile_replaced")


# --- Security Center entries left by uninstalled or broken suites --------------------


@pytest.mark.parametrize(
    ("liveness", "key"),
    [
        # Uninstalled: Security Center keeps the entry and its last productState.
        (
            {"reporting_exe_exists": False, "product_exe_exists": False, "reporting_running": None},
            "profile_products_stale",
        ),
        ({"product_exe_exists": False}, "profile_products_stale"),
        # Installed, but nothing runs its reporting program (stopped or broken).
        ({"reporting_running": False}, "profile_products_not_running"),
        # Not seen: an older probe, a path that is no file or does not expand.
        ({"reporting_running": None}, "profile_products_unverified"),
        (
            {"reporting_exe_exists": None, "product_exe_exists": None, "reporting_running": None},
            "profile_products_unverified",
        ),
        ({"reporting_exe_exists": "True", "reporting_running": 1}, "profile_products_unverified"),
    ],
)
def test_a_suite_claiming_on_without_live_evidence_never_passes_a_profile(
    liveness: dict[str, Any], key: str
) -> None:
    fact = with_products(fw(public=(0, 4)), products(("ノートン 360", 0x41000), **liveness))
    status, found, message = judge(fact)["Public"]
    assert (status, found) == (Status.UNKNOWN, key)
    assert "ノートン 360" in message
    assert judge(fact)["Domain"][:2] == (Status.PASS, "profile_on")
    status, found, message = judge(fact, "ja")["Public"]
    assert (status, found) == (Status.UNKNOWN, key) and "ノートン 360" in message


def test_a_probe_without_liveness_fields_leaves_a_replaced_profile_unknown() -> None:
    old = {"installation_type": "Client", "products": [{"name": "ESET", "product_state": 266240}]}
    status, key, _ = judge(with_products(fw(public=(0, 4)), old))["Public"]
    assert (status, key) == (Status.UNKNOWN, "profile_products_unverified")


def test_a_ghost_entry_beside_a_live_suite_does_not_hide_it() -> None:
    value = products(("ESET", 0x41000))
    ghost = {"name": "ノートン 360", "product_state": 0x41000, "reporting_exe_exists": False}
    value["products"].insert(0, ghost)
    status, key, message = judge(with_products(fw(public=(0, 4)), value))["Public"]
    assert (status, key) == (Status.PASS, "profile_replaced")
    assert "ESET" in message and "ノートン 360" not in message


def test_a_ghost_suite_that_is_off_still_fails_the_profile() -> None:
    fact = with_products(
        fw(public=(0, 4)), products(("ノートン 360", 0x40000), reporting_exe_exists=False)
    )
    assert judge(fact)["Public"][:2] == (Status.FAIL, "profile_off_products_inactive")


def test_the_recorded_ghost_entry_leaves_every_profile_unknown() -> None:
    case = all_cases()["firewall/win10-22h2-ja-firewall-suite-uninstalled-entry-left"]
    answers = {k: json.loads(c.stdout) for k, c in case.commands.items()}
    fact = with_products(answers["ps:firewall_profiles"], answers["ps:firewall_products"])
    got = judge(fact, "ja")
    assert {r: (s, k) for r, (s, k, _) in got.items()} == dict.fromkeys(
        ("Domain", "Private", "Public"), (Status.UNKNOWN, "profile_products_stale")
    )


def test_the_products_probe_sends_liveness_as_booleans_and_iso_dates() -> None:
    from endpoint_audit.checkkit.windows_firewall import FIREWALL_PRODUCTS

    script = FIREWALL_PRODUCTS.script
    for name in ("pathToSignedProductExe", "pathToSignedReportingExe", "Win32_Service"):
        assert name in script
    for key in ("product_exe_exists", "reporting_exe_exists", "reporting_running", "timestamp"):
        assert f"{key} = " in script


LIVENESS_VALUES = st.one_of(st.booleans(), st.none(), st.sampled_from(["True", 1, 0, "", []]))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "name": st.sampled_from(["ノートン 360", "ESET", ""]),
                "product_state": st.sampled_from([266240, 262144, 266256, None, "266240"]),
            },
            optional={
                "product_exe_exists": LIVENESS_VALUES,
                "reporting_exe_exists": LIVENESS_VALUES,
                "reporting_running": LIVENESS_VALUES,
                "timestamp": st.sampled_from(["2024-11-19T23:05:31Z", "Wed, 15 Dec", None, 3]),
                "reporting_exe": st.sampled_from([r"C:\x.exe", None, 1]),
            },
        ),
        max_size=3,
    )
)
def test_an_off_profile_passes_only_with_literal_live_evidence(entries: list[Any]) -> None:
    value = {"installation_type": "Client", "products": entries, "failure": None}
    status, key, _ = judge(with_products(fw(public=(0, 4)), value))["Public"]
    if status is Status.PASS:
        assert key == "profile_replaced"
        assert any(
            as_int(e.get("product_state")) == 266240  # the tool reads "266240" as a number
            and e.get("reporting_exe_exists") is True
            and e.get("reporting_running") is True
            and e.get("product_exe_exists") is not False
            for e in entries
        )


def test_security_center_unreadable_on_a_client_makes_an_off_profile_unknown() -> None:
    value = {
        "installation_type": "Client",
        "products": None,
        "failure": {"error": "Access denied", "hresult": -2147024891},
    }
    fact = with_products(fw(public=(0, 4)), value)
    assert isinstance(fact.products, Unknown)
    assert "0x80070005" in str(fact.products.reason.args["output"])
    status, key, _ = judge(fact)["Public"]
    assert (status, key) == (Status.UNKNOWN, "profile_products_unknown")


def test_windows_server_has_no_security_center_so_an_off_profile_fails() -> None:
    value = {
        "installation_type": "Server",
        "products": None,
        "failure": {"error": "Invalid namespace", "hresult": -2147217394},
    }
    fact = with_products(fw(public=(0, 4)), value)
    assert fact.products == seen(())
    assert judge(fact)["Public"][:2] == (Status.FAIL, "profile_off")


def test_failed_products_probe_is_unknown_not_an_error() -> None:
    results = dict(results_of("win11-24h2-en-firewall-public-off"))
    results["ps:firewall_products"] = CommandResult(1, stderr="timed out")
    fact = WindowsFirewall().parse(results, WINDOWS)
    assert isinstance(fact.products, Unknown)
    assert fact.products.reason.args["output"] == "timed out"
    assert judge(fact)["Public"][:2] == (Status.UNKNOWN, "profile_products_unknown")


def test_recorded_stock_pc_has_no_registered_firewall() -> None:
    fact = firewall("win11-23h2-en-compliant")
    assert fact.products == seen(())
    recorded = json.loads(results_of("win11-23h2-en-compliant")["ps:firewall_products"].stdout)
    assert recorded["products"] == [] and recorded["installation_type"] == "Client"


# --- a profile reported twice -------------------------------------------------------


@pytest.mark.parametrize("order", ["off_first", "on_first"])
def test_a_profile_reported_twice_is_unknown_whichever_comes_last(order: str) -> None:
    """Get-NetFirewallProfile lists each profile once; an answer that lists Public off
    and on says nothing about which is in force."""
    off = fw(public=(0, 2))[2]
    on = fw()[2]
    value = fw()[:2] + ([off, on] if order == "off_first" else [on, off])
    (public,) = [p for p in parse_profiles(value).profiles if p.name == "Public"]
    assert isinstance(public.enabled, Unknown)
    assert public.enabled.reason.key == "core.reason.profile_reported_twice"
    status, key, _ = judge(with_products(value, products()))["Public"]
    assert status is not Status.PASS, key


def test_a_profile_reported_twice_alike_is_judged() -> None:
    value = [*fw(), fw()[2]]
    status, _, _ = judge(with_products(value, products()))["Public"]
    assert status is Status.PASS


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([(0, 2), (1, 4), (1, 0), (0, 4), (1, 2)]), min_size=1, max_size=4))
def test_public_passes_only_when_every_public_entry_would(states: list[tuple[int, int]]) -> None:
    value = fw()[:2] + [fw(public=s)[2] for s in states]
    status, _, _ = judge(with_products(value, products()))["Public"]
    if status is Status.PASS:
        assert all(en == 1 and inb in (0, 4) for en, inb in states)


def test_the_entry_timestamp_pattern_reads_the_rfc_1123_form_only() -> None:
    import re

    from endpoint_audit.checkkit.security_center import SECURITY_CENTER_ENTRY

    # The pattern the probe matches Security Center's timestamp with (.NET and Python
    # read this one alike): the form public captures print, nothing localized.
    (pattern,) = re.findall(r"-cmatch '(\^\[A-Z\][^']*GMT\$)'", SECURITY_CENTER_ENTRY)
    match = re.match(pattern, "Wed, 15 Dec 2021 12:40:10 GMT")
    assert match is not None and match.groups() == ("15", "Dec", "2021", "12", "40", "10")
    for other in ("2021/12/15 12:40:10", "水, 15 12 2021 12:40:10 GMT", "Wed, 15 Dec 2021"):
        assert re.match(pattern, other) is None, other
    for probe in ("firewall_products", "antivirus_status"):
        (script,) = [p.script for p in windows_probes() if p.name == probe]
        assert script.startswith(SECURITY_CENTER_ENTRY)
        assert "Set-EntryRunning $products" in script
