"""antivirus: Defender, Security Center products (productState decoded), XProtect and the
Linux/macOS agents. Nothing that could not be seen passes: a product off or out of date,
a passive Defender with nothing else, an undecoded productState, Windows Server without
Security Center, a missing tamper state."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from endpoint_audit.checkkit.check import EvalContext, FactView, Outcome
from endpoint_audit.checks.antivirus.agents import (
    CLAMAV_DB,
    CLAMAV_HEADERS,
    CLAMAV_STAT,
    CLAMONACC,
    clamav_status,
    health_fields,
    mdatp_status,
)
from endpoint_audit.checks.antivirus.check import Antivirus, AntivirusParams
from endpoint_audit.checks.antivirus.facts import (
    AgentStatus,
    AntivirusFacts,
    DefenderStatus,
    RegisteredProduct,
    XProtectStatus,
)
from endpoint_audit.checks.antivirus.linux import LinuxAntivirus
from endpoint_audit.checks.antivirus.macos import newest_record
from endpoint_audit.checks.antivirus.windows import decode_product, parse_status
from endpoint_audit.engine.run import gather_facts
from endpoint_audit.errors import CollectorError
from endpoint_audit.model.commands import CommandResult
from endpoint_audit.model.observed import Observed, Seen, seen, unknown
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.model.result import Status
from endpoint_audit.transport.local import LocalTransport

NOW = datetime(2024, 11, 20, 3, 0, tzinfo=UTC)
ACTIVE = DefenderStatus(
    running_mode="Normal",
    service_enabled=True,
    antivirus_enabled=True,
    real_time=True,
    signature_age_days=0,
    signature_updated=NOW - timedelta(hours=4),
    signature_version="1.421.2031.0",
    signatures_out_of_date=False,
    tamper_protected=True,
)
NOT_RUNNING = DefenderStatus(
    running_mode="Not running", service_enabled=False, antivirus_enabled=False, real_time=False
)
DEFENDER_OFF = decode_product("Windows Defender", 0x60100)
# Alive: its reporting program on disk and run by a running service.
LIVE = {"reporting_exe_exists": True, "product_exe_exists": True, "reporting_running": True}
NORTON_ON = decode_product("ノートン 360", 0x41000, **LIVE)


def judge(
    fact: AntivirusFacts, family: OsFamily = OsFamily.WINDOWS, **params: Any
) -> list[Outcome]:
    ctx = EvalContext(platform=PlatformInfo(family=family), now=NOW)
    return list(
        Antivirus().evaluate(
            FactView({AntivirusFacts: fact}), AntivirusParams.model_validate(params), ctx
        )
    )


def windows(
    defender: Observed[DefenderStatus],
    *products: RegisteredProduct,
    security_center: Observed[tuple[RegisteredProduct, ...]] | None = None,
) -> AntivirusFacts:
    return AntivirusFacts(
        defender=defender,
        products=security_center if security_center is not None else seen(products),
        edr_onboarded=unknown("antivirus.reason.edr_key_absent"),
    )


def verdict(fact: AntivirusFacts, **params: Any) -> tuple[Status, str]:
    (outcome,) = judge(fact, **params)
    return outcome.status, outcome.key


# --- productState -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "state", "up_to_date", "microsoft"),
    [
        (397568, "on", True, True),  # 0x61100 Windows Defender on
        (393472, "off", True, True),  # 0x60100 Windows Defender off
        (266240, "on", True, False),  # 0x41000 third party on, up to date
        (266256, "on", False, False),  # 0x41010 third party on, out of date
        (262144, "off", True, False),  # 0x40000 off
        (270336, "snoozed", True, False),  # 0x42000
        (397584, "on", False, True),  # 0x61110
    ],
)
def test_product_states_of_the_public_list_decode(
    code: int, state: str, up_to_date: bool, microsoft: bool
) -> None:
    product = decode_product("x", code)
    assert (product.state, product.up_to_date, product.microsoft) == (state, up_to_date, microsoft)
    assert product.protecting is (state == "on" and up_to_date)


@pytest.mark.parametrize("code", [344064, 0x41001, 0x44000, 0x41020, 0x41200, -1, 0x1000000, None])
def test_states_the_decoding_does_not_explain_stay_undecoded(code: int | None) -> None:
    product = decode_product("x", code)
    assert product.state is None and product.up_to_date is None and not product.protecting


@given(st.integers(min_value=-(2**40), max_value=2**40))
def test_a_protecting_product_has_exactly_the_on_and_current_bits(code: int) -> None:
    product = decode_product("x", code)
    if product.protecting:
        assert 0 <= code <= 0xFFFFFF
        assert (code >> 12) & 0xF == 0x1 and (code >> 4) & 0xF == 0x0 and code & 0xF == 0


# --- Windows verdicts ---------------------------------------------------------------


def test_active_defender_with_fresh_signatures_and_tamper_protection_passes() -> None:
    assert verdict(windows(seen(ACTIVE), decode_product("Windows Defender", 397568))) == (
        Status.PASS,
        "defender_on",
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"signature_age_days": 4}, (Status.FAIL, "defender_signatures_old")),
        # The counter says 0 but the date is 6 days old: the older one counts.
        ({"signature_updated": NOW - timedelta(days=6)}, (Status.FAIL, "defender_signatures_old")),
        ({"signatures_out_of_date": True}, (Status.FAIL, "defender_signatures_flagged")),
        ({"tamper_protected": False}, (Status.FAIL, "defender_tamper_off")),
        ({"tamper_protected": None}, (Status.UNKNOWN, "defender_tamper_unknown")),
        (
            {"signature_age_days": None, "signature_updated": None},
            (Status.UNKNOWN, "defender_signature_age_unknown"),
        ),
        # AMServiceEnabled False: not active, and nothing else is registered.
        ({"service_enabled": False}, (Status.FAIL, "defender_off")),
        ({"running_mode": "Passive Mode"}, (Status.FAIL, "defender_off")),
        ({"running_mode": "EDR Block Mode"}, (Status.FAIL, "defender_off")),
        ({"running_mode": "SxS Passive Mode"}, (Status.FAIL, "defender_off")),
        # AntivirusSignatureAge 65535: signatures never updated.
        ({"signature_age_days": 65535}, (Status.FAIL, "defender_signatures_old")),
        # Real-time protection reported on while the antivirus or its service is off.
        ({"antivirus_enabled": False}, (Status.FAIL, "defender_off")),
        ({"real_time": None}, (Status.UNKNOWN, "defender_incomplete")),
        ({"running_mode": None}, (Status.UNKNOWN, "defender_incomplete")),
    ],
)
def test_defender_problems(change: dict[str, Any], expected: tuple[Status, str]) -> None:
    fact = windows(seen(ACTIVE.model_copy(update=change)), DEFENDER_OFF)
    assert verdict(fact) == expected


def test_tamper_protection_is_not_required_when_the_baseline_says_so() -> None:
    fact = windows(seen(ACTIVE.model_copy(update={"tamper_protected": False})))
    assert verdict(fact, require_tamper_protection=False) == (Status.PASS, "defender_on")


def test_passive_defender_passes_only_with_a_protecting_registered_product() -> None:
    passive = seen(ACTIVE.model_copy(update={"running_mode": "Passive Mode"}))
    assert verdict(windows(passive, DEFENDER_OFF, NORTON_ON)) == (Status.PASS, "third_party_on")
    for state in (0x41010, 0x40000, 0x42000, 0x43000):  # out of date, off, snoozed, expired
        product = decode_product("ノートン 360", state, **LIVE)
        assert verdict(windows(passive, DEFENDER_OFF, product)) == (
            Status.FAIL,
            "third_party_off",
        ), hex(state)
    odd = decode_product("ノートン 360", 344064, **LIVE)
    assert verdict(windows(passive, odd)) == (Status.UNKNOWN, "product_state_unknown")


def test_a_microsoft_product_never_stands_in_for_defender() -> None:
    """Security Center may still list Defender as on while Get-MpComputerStatus says it is
    passive: the Microsoft entry is not a third-party replacement."""
    fact = windows(seen(NOT_RUNNING), decode_product("Windows Defender", 397568))
    assert verdict(fact) == (Status.FAIL, "defender_off")


def test_accepted_products_restrict_the_replacements() -> None:
    fact = windows(seen(NOT_RUNNING), NORTON_ON)
    assert verdict(fact, accepted_products=["Trend Micro"]) == (
        Status.FAIL,
        "product_not_accepted",
    )
    assert verdict(fact, accepted_products=["ノートン"]) == (Status.PASS, "third_party_on")
    assert verdict(fact, accepted_products=["NORTON", "ノートン 360"]) == (
        Status.PASS,
        "third_party_on",
    )


def test_server_without_security_center_is_unknown_unless_defender_protects() -> None:
    no_sc = unknown("antivirus.reason.no_security_center")
    passive = seen(ACTIVE.model_copy(update={"running_mode": "Passive Mode"}))
    assert verdict(windows(passive, security_center=no_sc)) == (
        Status.UNKNOWN,
        "products_unknown",
    )
    assert verdict(windows(seen(ACTIVE), security_center=no_sc)) == (Status.PASS, "defender_on")
    unread = unknown("antivirus.reason.defender_unread", output="0x800106ba")
    assert verdict(windows(unread, security_center=no_sc)) == (Status.UNKNOWN, "nothing_readable")


def test_unreadable_defender_with_nothing_protecting_is_unknown() -> None:
    unread = unknown("antivirus.reason.defender_unread", output="0x800106ba")
    assert verdict(windows(unread, DEFENDER_OFF)) == (Status.UNKNOWN, "defender_unknown")
    assert verdict(windows(unread, NORTON_ON)) == (Status.PASS, "third_party_on")


# --- the probe's JSON ----------------------------------------------------------------


def probe_value(**over: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "installation_type": "Client",
        "defender": {
            "running_mode": "Normal",
            "service_enabled": True,
            "antivirus_enabled": True,
            "real_time": True,
            "signature_age_days": 0,
            "signature_updated": "2024-11-20T07:41:07.0000000+09:00",
            "signature_version": "1.421.2031.0",
            "signatures_out_of_date": False,
            "tamper_protected": True,
        },
        "defender_failure": None,
        "products": [{"name": "Windows Defender", "product_state": 397568}],
        "products_failure": None,
        "edr_onboarding_key": True,
        "edr_onboarding_state": 1,
    }
    value.update(over)
    return value


def test_the_probe_value_parses_with_the_dates_offset() -> None:
    fact = parse_status(probe_value())
    assert isinstance(fact.defender, Seen)
    assert fact.defender.value.signature_updated == datetime(2024, 11, 19, 22, 41, 7, tzinfo=UTC)
    assert fact.edr_onboarded == seen(True)
    assert verdict(fact) == (Status.PASS, "defender_on")


def test_text_where_numbers_belong_is_never_taken_for_them() -> None:
    defender = {
        **probe_value()["defender"],
        "real_time": "True",  # a string, as a localized formatter might print it
        "signature_updated": "2024/11/20 7:41:07",  # regional format: not ISO, not read
        "signature_age_days": "０",
    }
    fact = parse_status(probe_value(defender=defender))
    assert isinstance(fact.defender, Seen)
    assert fact.defender.value.real_time is None
    assert fact.defender.value.signature_updated is None
    assert verdict(fact)[0] is Status.UNKNOWN


def test_server_and_failures_become_reasons() -> None:
    server = parse_status(probe_value(installation_type="Server", products=None))
    assert server.products == unknown("antivirus.reason.no_security_center")
    failed = parse_status(
        probe_value(products=None, products_failure={"error": "Access denied", "hresult": -5})
    )
    assert failed.products is not None and not isinstance(failed.products, Seen)
    assert "Access denied" in str(failed.products.reason.args["output"])
    absent = parse_status(probe_value(edr_onboarding_key=False, edr_onboarding_state=None))
    assert absent.edr_onboarded == unknown("antivirus.reason.edr_key_absent")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)
KEYS = st.sampled_from([*probe_value(), "x"])


@settings(max_examples=300)
@given(
    st.dictionaries(KEYS, JSON),
    st.dictionaries(st.sampled_from(list(DefenderStatus.model_fields)), JSON),
)
def test_hostile_probe_values_never_pass_unless_they_say_so(
    top: dict[str, Any], defender: dict[str, Any]
) -> None:
    value = probe_value(**top)
    if isinstance(value.get("defender"), dict):
        value["defender"] = {**value["defender"], **defender}
    try:
        fact = parse_status(value)
    except CollectorError:
        return
    status, key = verdict(fact)
    if status is Status.PASS:
        if key == "defender_on":
            d = value["defender"]
            assert d["real_time"] is True and d["service_enabled"] is True
            assert d["antivirus_enabled"] is True and d["tamper_protected"] is True
            assert str(d["running_mode"]).strip().lower() == "normal"
        else:
            assert key == "third_party_on"
            assert any(
                isinstance(p, dict)
                and decode_product("x", p.get("product_state")).protecting
                and p.get("reporting_exe_exists") is True
                and p.get("reporting_running") is True
                and p.get("product_exe_exists") is not False
                for p in value["products"]
                if isinstance(p.get("product_state"), int)
            )


# --- macOS --------------------------------------------------------------------------


def xprotect(
    updated: datetime | None, history: str = "5283", bundle: str = "5283"
) -> AntivirusFacts:
    return AntivirusFacts(
        xprotect=seen(
            XProtectStatus(history_version=history, updated=updated, bundle_version=bundle)
        )
    )


def test_xprotect_age() -> None:
    (recent,) = judge(xprotect(NOW - timedelta(days=2)), OsFamily.MACOS)
    assert (recent.status, recent.key) == (Status.PASS, "xprotect_recent")
    (old,) = judge(xprotect(NOW - timedelta(days=45)), OsFamily.MACOS)
    assert (old.status, old.key) == (Status.FAIL, "xprotect_old")
    (elsewhere,) = judge(xprotect(NOW - timedelta(days=45), bundle="5287"), OsFamily.MACOS)
    assert (elsewhere.status, elsewhere.key) == (Status.UNKNOWN, "xprotect_updated_elsewhere")
    (none,) = judge(xprotect(None), OsFamily.MACOS)
    assert (none.status, none.key) == (Status.UNKNOWN, "xprotect_no_record")
    (unread,) = judge(
        AntivirusFacts(xprotect=unknown("antivirus.reason.no_install_history")), OsFamily.MACOS
    )
    assert unread.status is Status.UNKNOWN


# --- agents -------------------------------------------------------------------------

LINUX_CASE = (
    Path(__file__).resolve().parents[2]
    / "src/endpoint_audit/checks/antivirus/cases/linux-ubuntu2004-mdatp-tamper-disabled.yaml"
)


def mdatp_text() -> str:
    import yaml

    data = yaml.safe_load(LINUX_CASE.read_text(encoding="utf-8"))
    text: str = data["commands"]["mdatp health"]["stdout"]
    return text


def test_mdatp_health_fields_are_read_as_json_values() -> None:
    fields = health_fields(mdatp_text())
    assert fields["real_time_protection_enabled"] is True
    assert fields["definitions_updated_minutes_ago"] == 159
    assert fields["tamper_protection"] == "disabled"
    assert "definitions_updated" not in fields  # a date in English words: not read
    status = mdatp_status(CommandResult(0, stdout=mdatp_text()))
    assert isinstance(status, Seen)
    assert status.value.real_time is True and status.value.tamper_protected is False
    managed = health_fields("automatic_definition_update_enabled         : true [managed]\n")
    assert managed == {"automatic_definition_update_enabled": True}


@given(st.text())
def test_hostile_mdatp_output_never_raises_and_never_claims_real_time(text: str) -> None:
    status = mdatp_status(CommandResult(0, stdout=text))
    fields = health_fields(text)
    if isinstance(status, Seen) and status.value.real_time:
        assert fields["real_time_protection_enabled"] is True
        assert fields["passive_mode_enabled"] is False


def agent(**over: Any) -> AntivirusFacts:
    base = AgentStatus(
        installed=True,
        real_time=True,
        signature_age_minutes=60,
        tamper_protected=True,
        has_tamper_protection=True,
    )
    return AntivirusFacts(agents={"mdatp": seen(base.model_copy(update=over))})


@pytest.mark.parametrize(
    ("over", "expected"),
    [
        ({}, (Status.PASS, "agent_on")),
        ({"installed": False}, (Status.FAIL, "agent_missing")),
        ({"real_time": False}, (Status.FAIL, "agent_real_time_off")),
        ({"real_time": None}, (Status.UNKNOWN, "agent_real_time_unknown")),
        ({"signature_age_minutes": 5 * 24 * 60}, (Status.FAIL, "agent_signatures_old")),
        ({"signature_age_minutes": None}, (Status.UNKNOWN, "agent_signature_age_unknown")),
        ({"tamper_protected": False}, (Status.FAIL, "agent_tamper_off")),
        ({"tamper_protected": None}, (Status.UNKNOWN, "agent_tamper_unknown")),
        # ClamAV has no tamper protection to judge.
        ({"tamper_protected": None, "has_tamper_protection": False}, (Status.PASS, "agent_on")),
    ],
)
def test_agent_verdicts(over: dict[str, Any], expected: tuple[Status, str]) -> None:
    (outcome,) = judge(agent(**over), OsFamily.LINUX, agents=["mdatp"])
    assert (outcome.status, outcome.key) == expected


def test_linux_without_required_agents_is_not_applicable_and_unknown_agents_are_unknown() -> None:
    (na,) = judge(AntivirusFacts(), OsFamily.LINUX)
    assert (na.status, na.key) == (Status.NOT_APPLICABLE, "no_agent_required")
    # ClamAV is not looked for on macOS: unknown, never pass.
    outcomes = judge(xprotect(NOW), OsFamily.MACOS, agents=["clamav"])
    assert [(o.status, o.key) for o in outcomes][1] == (Status.UNKNOWN, "agent_not_looked_for")
    with pytest.raises(ValueError):
        AntivirusParams.model_validate({"agents": ["kaspersky"]})


def test_clamav_reads_the_newest_database_time() -> None:
    results = {
        CLAMAV_STAT.key: CommandResult(
            0, stdout="/var/lib/clamav/daily.cld 1732008000\n/var/lib/clamav/daily.cvd 1700000000\n"
        ),
        CLAMONACC.key: CommandResult(0, stdout="active\n"),
        # The .cld carries the newer version (27460, built 2024-11-19T08:00Z).
        CLAMAV_HEADERS[CLAMAV_DB[0]].key: CommandResult(
            0, stdout=REAL_HEADER.replace(":25784:", ":27460:").replace("1587038339", "1732003200")
        ),
        CLAMAV_HEADERS[CLAMAV_DB[1]].key: CommandResult(0, stdout=REAL_HEADER),
    }
    status = clamav_status(results)
    assert isinstance(status, Seen)
    assert status.value.signature_updated == datetime(2024, 11, 19, 8, 0, tzinfo=UTC)
    assert status.value.real_time is True
    hostile = {**results, CLAMAV_STAT.key: CommandResult(0, stdout="/etc/passwd 99999999999\n")}
    assert not isinstance(clamav_status(hostile), Seen)


def test_this_machine_for_real() -> None:
    """The Linux collector through the local transport: each agent is seen (installed or
    not) or unknown with a reason, and the installed state matches the files here."""

    async def run() -> object:
        async with LocalTransport() as transport:
            platform = await transport.detect_platform()
            facts = await gather_facts(transport, platform, [LinuxAntivirus()], 30)
            return facts[AntivirusFacts]

    fact = asyncio.run(run())
    assert isinstance(fact, AntivirusFacts), fact
    assert set(fact.agents) == {"mdatp", "clamav"}
    clam = fact.agents["clamav"]
    databases = any(
        Path(p).exists() for p in ("/var/lib/clamav/daily.cld", "/var/lib/clamav/daily.cvd")
    )
    if isinstance(clam, Seen):
        assert clam.value.installed is databases
    (outcome,) = judge(fact, OsFamily.LINUX)
    assert outcome.status is Status.NOT_APPLICABLE


RECORD = st.fixed_dictionaries(
    {},
    optional={
        "displayName": st.sampled_from(["XProtectPlistConfigData", "XProtectPayloads", "MRT", ""]),
        "displayVersion": st.one_of(st.text(max_size=6), st.integers()),
        "date": st.one_of(
            st.datetimes(timezones=st.just(UTC)), st.datetimes(), st.text(max_size=8)
        ),
    },
)


@given(st.lists(st.one_of(RECORD, st.integers(), st.text(max_size=4)), max_size=8))
def test_hostile_install_history_gives_the_newest_dated_record_or_none(records: list[Any]) -> None:
    version, updated = newest_record(records, "XProtectPlistConfigData")
    dated = [
        r["date"] if r["date"].tzinfo else r["date"].replace(tzinfo=UTC)
        for r in records
        if isinstance(r, dict)
        and r.get("displayName") == "XProtectPlistConfigData"
        and isinstance(r.get("date"), datetime)
    ]
    assert updated == (max(dated) if dated else None)
    if updated is None:
        assert version is None


# --- signature dates after the audit time -----------------------------------------------


@pytest.mark.parametrize("ahead", [timedelta(days=2), timedelta(days=400)])
def test_defender_signatures_dated_after_the_audit_are_unknown_not_fresh(ahead: timedelta) -> None:
    """An age of 0 from a date in the future proves nothing: the host clock is wrong,
    and Defender's own count was made with that clock."""
    future = ACTIVE.model_copy(update={"signature_updated": NOW + ahead})
    assert verdict(windows(seen(future))) == (Status.UNKNOWN, "defender_signature_date_future")
    uncounted = future.model_copy(update={"signature_age_days": None})
    assert verdict(windows(seen(uncounted)))[0] is Status.UNKNOWN
    # Within a day ahead: time zones and clock drift, still judged.
    near = ACTIVE.model_copy(update={"signature_updated": NOW + timedelta(hours=20)})
    assert verdict(windows(seen(near))) == (Status.PASS, "defender_on")


def test_xprotect_updated_after_the_audit_is_unknown_not_recent() -> None:
    (future,) = judge(xprotect(NOW + timedelta(days=30)), OsFamily.MACOS)
    assert (future.status, future.key) == (Status.UNKNOWN, "xprotect_date_future")


def test_agent_signatures_dated_after_the_audit_are_unknown_not_fresh() -> None:
    fact = agent(signature_age_minutes=None, signature_updated=NOW + timedelta(days=3))
    (outcome,) = judge(fact, OsFamily.LINUX, agents=["mdatp"])
    assert (outcome.status, outcome.key) == (Status.UNKNOWN, "agent_signature_date_future")


@given(st.integers(-10_000, 10_000))
def test_no_signature_date_passes_unless_it_is_recent_and_not_ahead(hours: int) -> None:
    when = NOW + timedelta(hours=hours)
    status = verdict(windows(seen(ACTIVE.model_copy(update={"signature_updated": when}))))[0]
    if status is Status.PASS:
        assert -3 * 24 - 24 < hours <= 24
    (mac,) = judge(xprotect(when), OsFamily.MACOS)
    if mac.status is Status.PASS:
        assert -31 * 24 < hours <= 24


@pytest.mark.parametrize(
    "when", ["2024-13-19T22:41:07Z", "2024/11/20 7:41:07", "yesterday", "2024-11-20T07:41:07"]
)
def test_a_signature_date_that_cannot_be_read_leaves_the_age_unknown(when: str) -> None:
    """Neither Defender's count nor the date is trusted alone: a date the probe sent but
    that cannot be read (or has no offset) makes the count unproven too."""
    defender = {**probe_value()["defender"], "signature_updated": when, "signature_age_days": 0}
    fact = parse_status(probe_value(defender=defender))
    assert verdict(fact) == (Status.UNKNOWN, "defender_signature_age_unknown")


def test_a_missing_signature_date_still_uses_defenders_count() -> None:
    defender = {**probe_value()["defender"], "signature_updated": None}
    assert verdict(parse_status(probe_value(defender=defender))) == (Status.PASS, "defender_on")


# --- Security Center entries left by uninstalled or broken products --------------------

PASSIVE_DEFENDER = {
    **ACTIVE.model_dump(mode="json"),
    "running_mode": "Passive Mode",
    "real_time": False,
}
# Paths as public Get-CimInstance AntiVirusProduct captures print them (Bitdefender
# Antivirus: pathToSignedReportingExe C:\Program Files\Bitdefender\Bitdefender
# Security\bdservicehost.exe, timestamp "Wed, 15 Dec 2021 12:40:10 GMT").
BITDEFENDER_EXE = r"C:\Program Files\Bitdefender\Bitdefender Security\bdservicehost.exe"


def third_party(**over: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": "Bitdefender Antivirus",
        "product_state": 266240,  # 0x41000: on, up to date
        "timestamp": "2021-12-15T12:40:10Z",
        "reporting_exe": BITDEFENDER_EXE,
        "product_exe_exists": True,
        "reporting_exe_exists": True,
        "reporting_running": True,
    }
    entry.update(over)
    return entry


def passive_with(*entries: dict[str, Any]) -> AntivirusFacts:
    return parse_status(
        probe_value(
            defender=PASSIVE_DEFENDER,
            products=[{"name": "Windows Defender", "product_state": 393472}, *entries],
        )
    )


def test_a_live_registered_product_passes_in_place_of_a_passive_defender() -> None:
    assert verdict(passive_with(third_party())) == (Status.PASS, "third_party_on")


@pytest.mark.parametrize(
    ("over", "key"),
    [
        # Uninstalled: Security Center keeps the entry and its last productState.
        ({"reporting_exe_exists": False, "reporting_running": False}, "third_party_stale"),
        ({"product_exe_exists": False}, "third_party_stale"),
        # Installed but its program does not run (broken, stopped service).
        ({"reporting_running": False}, "third_party_not_running"),
        # Liveness not seen (an older probe, a path the probe could not resolve).
        ({"reporting_running": None}, "third_party_unverified"),
        ({"reporting_exe_exists": None, "reporting_running": None}, "third_party_unverified"),
        (
            {
                "reporting_exe_exists": None,
                "product_exe_exists": None,
                "reporting_running": None,
                "timestamp": None,
                "reporting_exe": None,
            },
            "third_party_unverified",
        ),
    ],
)
def test_a_registered_product_without_live_evidence_never_passes(
    over: dict[str, Any], key: str
) -> None:
    status, found = verdict(passive_with(third_party(**over)))
    assert (status, found) == (Status.UNKNOWN, key)


def test_a_stale_entry_beside_a_live_product_does_not_hide_it() -> None:
    stale = third_party(
        name="ノートン 360",
        reporting_exe_exists=False,
        product_exe_exists=False,
        reporting_running=False,
    )
    assert verdict(passive_with(stale, third_party())) == (Status.PASS, "third_party_on")
    off = third_party(name="ESET", product_state=0x40000)
    assert verdict(passive_with(off, third_party())) == (Status.PASS, "third_party_on")
    # One product off, the other claiming on without live evidence: not a pass.
    status, _ = verdict(passive_with(off, third_party(reporting_running=None)))
    assert status is Status.UNKNOWN


def test_liveness_fields_are_read_strictly() -> None:
    fact = passive_with(
        third_party(reporting_exe_exists="True", reporting_running=1, timestamp="Wed, 15 Dec")
    )
    assert isinstance(fact.products, Seen)
    product = fact.products.value[1]
    assert product.reporting_exe_exists is None and product.reporting_running is None
    assert product.timestamp is None
    assert verdict(fact)[0] is Status.UNKNOWN
    live = passive_with(third_party())
    assert isinstance(live.products, Seen)
    assert live.products.value[1].timestamp == datetime(2021, 12, 15, 12, 40, 10, tzinfo=UTC)


PRODUCT_ENTRY = st.fixed_dictionaries(
    {},
    optional={
        "name": st.one_of(st.text(max_size=6), JSON),
        "product_state": st.one_of(st.sampled_from([266240, 266256, 262144, 397568]), JSON),
        "timestamp": st.one_of(st.just("2021-12-15T12:40:10Z"), JSON),
        "reporting_exe": st.one_of(st.just(BITDEFENDER_EXE), JSON),
        "product_exe_exists": JSON,
        "reporting_exe_exists": JSON,
        "reporting_running": JSON,
    },
)


@settings(max_examples=300)
@given(st.lists(st.one_of(PRODUCT_ENTRY, JSON), max_size=4))
def test_hostile_product_entries_pass_only_with_literal_live_evidence(entries: list[Any]) -> None:
    try:
        fact = parse_status(probe_value(defender=PASSIVE_DEFENDER, products=entries))
    except CollectorError:
        return
    status, key = verdict(fact)
    if status is Status.PASS:
        assert key == "third_party_on"
        assert any(
            isinstance(e, dict)
            and isinstance(e.get("product_state"), int)
            and not isinstance(e.get("product_state"), bool)
            and decode_product("x", e["product_state"]).protecting
            and decode_product("x", e["product_state"]).microsoft is False
            and e.get("reporting_exe_exists") is True
            and e.get("reporting_running") is True
            and e.get("product_exe_exists") is not False
            for e in entries
        )


# --- XProtect: the bundle XProtect uses ---------------------------------------------------


def test_a_recent_record_without_the_bundle_it_installed_is_not_a_pass() -> None:
    """The install history says an update was installed; if XProtect.bundle is gone (or
    unread) nothing shows that XProtect has those signatures now."""
    (missing,) = judge(xprotect(NOW - timedelta(days=2), bundle=None), OsFamily.MACOS)  # type: ignore[arg-type]
    assert (missing.status, missing.key) == (Status.UNKNOWN, "xprotect_bundle_missing")


def test_a_recorded_update_older_than_the_bundle_in_use_is_not_a_pass() -> None:
    (older,) = judge(xprotect(NOW - timedelta(days=2), bundle="5270"), OsFamily.MACOS)
    assert (older.status, older.key) == (Status.UNKNOWN, "xprotect_update_not_in_use")
    (odd,) = judge(xprotect(NOW - timedelta(days=2), bundle="5283a"), OsFamily.MACOS)
    assert odd.status is Status.UNKNOWN
    (newer,) = judge(xprotect(NOW - timedelta(days=2), bundle="5287"), OsFamily.MACOS)
    assert (newer.status, newer.key) == (Status.PASS, "xprotect_recent")


def sequoia(protected: str | None, bundle: str = "5283") -> AntivirusFacts:
    return AntivirusFacts(
        xprotect=seen(
            XProtectStatus(
                history_version="5283",
                updated=NOW - timedelta(days=2),
                bundle_version=bundle,
                protected_version=protected,
                uses_protected=protected is not None,
            )
        )
    )


def test_sequoia_judges_the_bundle_in_var_protected() -> None:
    """macOS 15 uses /var/protected/xprotect/XProtect.bundle; Software Update still writes
    the old location (and the history), and that copy is not always moved over
    (eclecticlight.co, 2024-10-10 and 2025-09): a recent record of an update that never
    reached the bundle in use is not a pass."""
    (behind,) = judge(sequoia("5279"), OsFamily.MACOS)
    assert (behind.status, behind.key) == (Status.UNKNOWN, "xprotect_update_not_in_use")
    (same,) = judge(sequoia("5283"), OsFamily.MACOS)
    assert (same.status, same.key) == (Status.PASS, "xprotect_recent")
    # The old bundle alone counts only where the new location holds none.
    (legacy,) = judge(sequoia(None, bundle="5283"), OsFamily.MACOS)
    assert legacy.status is Status.PASS


# --- mdatp: real-time protection that is enabled but cannot run; an unhealthy agent -------


def test_mdatp_real_time_enabled_but_not_available_is_not_on() -> None:
    """Microsoft: `mdatp health` "reports if real-time protection is enabled but not
    available" when its kernel or system extension is not approved (mac-support-kext.md;
    MicrosoftDocs/microsoft-365-docs issue 9727 shows enabled true, available false)."""
    text = mdatp_text().replace(
        "real_time_protection_available              : true",
        "real_time_protection_available              : false",
    )
    assert "real_time_protection_available              : false" in text
    status = mdatp_status(CommandResult(0, stdout=text))
    assert isinstance(status, Seen) and status.value.real_time is False
    fact = AntivirusFacts(agents={"mdatp": status})
    (outcome,) = judge(fact, OsFamily.LINUX, agents=["mdatp"], require_tamper_protection=False)
    assert (outcome.status, outcome.key) == (Status.FAIL, "agent_real_time_off")
    missing = "\n".join(
        line for line in mdatp_text().splitlines() if "real_time_protection_available" not in line
    )
    unseen = mdatp_status(CommandResult(0, stdout=missing))
    assert isinstance(unseen, Seen) and unseen.value.real_time is None


@pytest.mark.parametrize("healthy", ["false", '"yes"', None])
def test_an_mdatp_that_does_not_report_itself_healthy_never_passes(healthy: str | None) -> None:
    """Microsoft: `mdatp health --field healthy` "true" denotes that the product is
    functioning as expected (linux-install-manually.md, PR 13361)."""
    lines = mdatp_text().splitlines()
    if healthy is None:
        lines = [line for line in lines if not line.startswith("healthy ")]
    else:
        lines = [
            f"healthy                                     : {healthy}"
            if line.startswith("healthy ")
            else line.replace(
                "health_issues                               : []",
                'health_issues                               : ["no active event provider"]',
            )
            for line in lines
        ]
    fact = AntivirusFacts(agents={"mdatp": mdatp_status(CommandResult(0, stdout="\n".join(lines)))})
    (outcome,) = judge(fact, OsFamily.LINUX, agents=["mdatp"], require_tamper_protection=False)
    assert (outcome.status, outcome.key) == (Status.UNKNOWN, "agent_unhealthy")


# --- ClamAV: the age inside the database, not the time it was copied ----------------------

# A daily.cvd header as published (python-clamav-tools' test data, a real daily.cvd
# 25784): build time, version, signatures, f-level, md5, digital signature, builder, stime.
REAL_HEADER = (
    "ClamAV-VDB:16 Apr 2020 07-58 -0400:25784:2267600:63:92baacd59fd26e6bcf03077add78d209:"
    "4Jp9JtGJY6nUk8JHDQQpQeBwlfXqskvhXL+vesDNqAeWCmjbudU+Hy/Nj4/BH2vl70c/R5B/VYY+eqqCQo6o7VGL"
    "qLJr/E+19gejqMp/iRcuHrtnLw6V/x3UjO3/qYVSlcJvAjtMI7FK32wjB+Sp8kaS/ZbfaFQp6trRQhisjqf:"
    "raynman:1587038339"
).ljust(512)


def clamav_results(mtime: int, header: str | None, path: str = CLAMAV_DB[0]) -> dict[str, Any]:
    results: dict[str, Any] = {
        CLAMAV_STAT.key: CommandResult(1, stdout=f"{path} {mtime}\n"),
        CLAMONACC.key: CommandResult(0, stdout="active\n"),
    }
    for name, command in CLAMAV_HEADERS.items():
        if name == path and header is not None:
            results[command.key] = CommandResult(0, stdout=header)
        else:
            results[command.key] = CommandResult(
                1, stderr=f"head: cannot open '{name}' for reading: No such file or directory\n"
            )
    return results


def clamav_verdict(results: dict[str, Any]) -> tuple[Status, str]:
    fact = AntivirusFacts(agents={"clamav": clamav_status(results)})
    (outcome,) = judge(fact, OsFamily.LINUX, agents=["clamav"])
    return outcome.status, outcome.key


def test_a_database_copied_yesterday_with_old_signatures_is_old() -> None:
    """The file's time is when it was written: a database copied or packaged (a container
    image built with databases preloaded) is new on disk and old inside."""
    yesterday = int((NOW - timedelta(days=1)).timestamp())
    assert clamav_verdict(clamav_results(yesterday, REAL_HEADER)) == (
        Status.FAIL,
        "agent_signatures_old",
    )
    fresh = REAL_HEADER.replace("1587038339", str(yesterday - 3600))
    assert clamav_verdict(clamav_results(yesterday, fresh)) == (Status.PASS, "agent_on")
    # No header that can be read: the age is not known.
    for odd in (None, "garbage", REAL_HEADER.replace("1587038339", "1587O38339")):
        assert clamav_verdict(clamav_results(yesterday, odd)) == (
            Status.UNKNOWN,
            "agent_signature_age_unknown",
        ), odd


@given(st.text(max_size=600), st.integers(0, 2**40))
def test_hostile_headers_give_an_age_no_younger_than_the_header_and_the_file(
    header: str, mtime: int
) -> None:
    status = clamav_status(clamav_results(mtime, header))
    assert isinstance(status, Seen)
    updated = status.value.signature_updated
    if updated is not None:
        assert header.startswith("ClamAV-VDB:")
        assert updated.timestamp() <= mtime
        assert updated.timestamp() == min(mtime, int(header.split(":")[8].strip(" \x00\r\n\t")))


def test_the_bundle_in_use_is_read_on_macos_15_only_and_unread_is_unknown() -> None:
    from endpoint_audit.checks.antivirus.macos import (
        INSTALL_HISTORY,
        PROTECTED_BUNDLE,
        XPROTECT_BUNDLE,
        parse_xprotect,
    )

    def plist(body: str) -> CommandResult:
        return CommandResult(
            0,
            stdout=f'<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">{body}</plist>\n',
        )

    history = plist(
        "<array><dict><key>date</key><date>2024-11-18T03:12:40Z</date><key>displayName</key>"
        "<string>XProtectPlistConfigData</string><key>displayVersion</key><string>5283</string>"
        "</dict></array>"
    )
    bundle = plist("<dict><key>CFBundleShortVersionString</key><string>5283</string></dict>")
    behind = plist("<dict><key>CFBundleShortVersionString</key><string>5279</string></dict>")
    denied = CommandResult(
        1,
        stdout="/var/protected/xprotect/XProtect.bundle/Contents/Info.plist: file does not exist "
        "or is not readable or is not a regular file (Error Domain=NSCocoaErrorDomain Code=257)\n",
    )
    results = {INSTALL_HISTORY.key: history, XPROTECT_BUNDLE.key: bundle}
    sonoma = PlatformInfo(family=OsFamily.MACOS, version="14.5")
    sequoia_host = PlatformInfo(family=OsFamily.MACOS, version="15.1")
    # macOS 14 does not use /var/protected: whatever is there is not read.
    seen_14 = parse_xprotect({**results, PROTECTED_BUNDLE.key: behind}, sonoma)
    assert isinstance(seen_14, Seen) and seen_14.value.in_use == "5283"
    seen_15 = parse_xprotect({**results, PROTECTED_BUNDLE.key: behind}, sequoia_host)
    assert isinstance(seen_15, Seen) and seen_15.value.in_use == "5279"
    unread = parse_xprotect({**results, PROTECTED_BUNDLE.key: denied}, sequoia_host)
    assert not isinstance(unread, Seen)
    no_version = parse_xprotect(results, PlatformInfo(family=OsFamily.MACOS))
    assert not isinstance(no_version, Seen)
