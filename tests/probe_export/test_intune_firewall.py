"""`probe export --intune-compliance` for the firewall check: for every recorded Windows
answer the rules judge the script's settings as `evaluate` judges the PC, except where
a suite registered with Security Center protects a profile (Intune is stricter there, as
docs/deploy-probes.md says); no answer, recorded or made up, is compliant in Intune where
the check does not pass."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from endpoint_audit.checkkit.check import EvalContext, FactView
from endpoint_audit.checkkit.windows_firewall import parse_products, security_center_unread
from endpoint_audit.checks.firewall.check import Firewall, FirewallParams
from endpoint_audit.checks.firewall.facts import FirewallFacts
from endpoint_audit.checks.firewall.intune import INTUNE
from endpoint_audit.checks.firewall.windows import parse_profiles
from endpoint_audit.errors import CollectorError
from endpoint_audit.model.observed import Unknown, seen
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from tests.packages.test_replay_cases import run_case
from tests.probe_export import intune_harness
from tests.probe_export.intune_harness import (
    MISSING,
    PASSING,
    SCHEMA,
    URL,
    drop_missing,
    export,
    windows_cases,
)
from tests.probe_export.intune_operators import compliant
from tests.probe_export.intune_settings import firewall_settings
from tests.replay_cases import all_cases
from tests.windows.clm_lint import clm_violations
from tests.windows.test_powershell import syntax_errors


def mostly(good: Any, *others: Any) -> st.SearchStrategy[Any]:
    return intune_harness.mostly(good, *others, keep=11)


NOW = datetime(2026, 12, 1, tzinfo=UTC)
PROFILES_KEY, PRODUCTS_KEY = "ps:firewall_profiles", "ps:firewall_products"
CASES = windows_cases(PROFILES_KEY, "firewall")
# The one verdict where Intune is stricter than the check: a registered suite protects.
REPLACED = "firewall.msg.profile_replaced"


def firewall_baseline(folder: Path, require_inbound_deny: bool) -> Path:
    path = folder / "fw.yaml"
    flag = "true" if require_inbound_deny else "false"
    path.write_text(
        "id: fw\ntitle: {ja: 防火壁, en: Firewall}\nversion: '1'\n"
        f"checks: {{firewall: {{params: {{require_inbound_deny: {flag}}}}}}}\n",
        encoding="utf-8",
    )
    return path


def intune_rules(params: FirewallParams) -> dict[str, Any]:
    return {"Rules": [r.model_dump(by_alias=True) for r in INTUNE.rules(params, URL)]}


def intune_compliant(answer: Any, params: FirewallParams) -> bool:
    output = json.dumps(firewall_settings(answer), separators=(",", ":"))
    return compliant(intune_rules(params), output)


# --- the rules file and the script ----------------------------------------------------


@pytest.mark.parametrize("require", [True, False])
def test_the_rules_follow_the_baseline_and_validate(
    require: bool, cli: Callable[..., Any], tmp_path: Path
) -> None:
    script, rules = export(cli, tmp_path / "out", "-b", str(firewall_baseline(tmp_path, require)))
    jsonschema.validate(rules, SCHEMA)
    names = [r["SettingName"] for r in rules["Rules"]]
    inbound = [n for n in names if n.endswith("Inbound")]
    assert inbound == (
        ["FirewallDomainInbound", "FirewallPrivateInbound", "FirewallPublicInbound"]
        if require
        else []
    )
    assert {"FirewallPublicEnabled", "FirewallPublicInterfaces", "FirewallOtherProfiles",
            "FirewallSecurityCenterAnswer"} <= set(names)  # fmt: skip
    assert set(names) <= set(INTUNE.settings)
    for rule in rules["Rules"]:
        assert rule["Operator"] == "IsEquals" and rule["MoreInfoUrl"] == URL
        en, ja = rule["RemediationStrings"]
        assert (en["Language"], ja["Language"]) == ("en_US", "ja_JP")
        assert re.search(r"[ぁ-んァ-ヶ一-龯]", ja["Title"] + ja["Description"])
        assert "{ActualValue}" in en["Title"] and "{ActualValue}" in ja["Title"]
        assert "{profile}" not in en["Title"] + ja["Title"]
    assert script.isascii()
    assert syntax_errors(script) == []
    assert clm_violations(script) == []
    # Both probes run in the script; the firewall alone is exported by this baseline.
    assert "Get-NetFirewallProfile -PolicyStore ActiveStore" in script
    assert "root/SecurityCenter2" in script
    assert "Checks: firewall." in script


def test_the_snippet_writes_the_vocabulary_of_the_rules_and_the_python_reading() -> None:
    snippet = INTUNE.settings_script
    assert syntax_errors(snippet) == [] and clm_violations(snippet) == []
    values = set(re.findall(r"\$EASettings\[[^\]]+\] = '(\w+)'", snippet))
    assert values == {"Unknown", "On", "Off", "Block", "Allow", "AllFiltered", "Excluded",
                      "Usable", "Malformed"}  # fmt: skip
    # Every setting is given its unread value before the answer is looked at.
    head = snippet.split("if ($null -ne $EAProbe)")[0]
    for part in ("Enabled", "Inbound", "Interfaces"):
        assert f"$EASettings[\"Firewall${{EAName}}{part}\"] = 'Unknown'" in head
    assert "$EASettings['FirewallOtherProfiles'] = [int64]-1" in head
    assert "$EASettings['FirewallSecurityCenterAnswer'] = 'Unknown'" in head
    assert set(firewall_settings(None)) == set(INTUNE.settings)
    assert set(firewall_settings(None).values()) == {"Unknown", -1}


# --- the same verdicts as evaluate ------------------------------------------------------


def recorded_answer(ref: str) -> dict[str, Any]:
    """The two probes' answers as the script's one body gives them: a probe that failed
    leaves its part out (live, the whole body would fail: every setting Unknown)."""
    answer: dict[str, Any] = {}
    for key, part in ((PROFILES_KEY, "profiles"), (PRODUCTS_KEY, "products")):
        command = all_cases()[ref].commands.get(key)
        if command is None or command.exit_status != 0 or command.timed_out:
            continue
        try:
            answer[part] = json.loads(command.stdout)
        except ValueError:
            answer[part] = "unparsed output"  # the check refuses it: so does the snippet
    return answer


@pytest.mark.parametrize("ref", CASES)
def test_every_recorded_windows_answer_gets_the_verdict_evaluate_gives(
    ref: str, cli: Callable[..., Any], tmp_path: Path
) -> None:
    case = all_cases()[ref]
    _, report = run_case(cli, ref, tmp_path)
    (host,) = report["hosts"]
    findings = [f for f in host["findings"] if f["check_id"] == "firewall"]
    assert findings
    evaluated = host["status"] == "ok" and all(f["status"] in PASSING for f in findings)
    params = FirewallParams.model_validate(case.params)
    verdict = intune_compliant(recorded_answer(ref), params)
    if any(f["message_key"] == REPLACED for f in findings):
        assert evaluated and not verdict  # stricter, as documented
    else:
        assert verdict is evaluated


def test_the_recorded_cases_cover_both_verdicts_and_the_stricter_one() -> None:
    verdicts = {intune_compliant(recorded_answer(r), FirewallParams()) for r in CASES}
    assert verdicts == {True, False}
    assert "firewall/win10-22h2-ja-third-party-firewall" in CASES


def test_no_answer_is_compliant() -> None:
    assert not intune_compliant(None, FirewallParams())
    assert not intune_compliant({}, FirewallParams())
    assert not intune_compliant({"profiles": []}, FirewallParams(require_inbound_deny=False))
    good = recorded_answer("firewall/win11-23h2-en-compliant")
    assert intune_compliant(good, FirewallParams())
    assert not intune_compliant({**good, "products": None}, FirewallParams())
    assert not intune_compliant({**good, "profiles": [*good["profiles"], 3]}, FirewallParams())


# --- made-up answers ----------------------------------------------------------------------


def profile(name: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "name": mostly(name, " " + name, name.lower(), "Other", "", None, 1),
            "enabled": mostly(1, 0, 2, None, "1", " 1 ", True, 1.0, -1),
            "default_inbound": mostly(4, 0, 2, None, "4", "0x4", 3, False),
            "disabled_interface_aliases": mostly(
                ["NotConfigured"],
                [],
                "NotConfigured",
                ["Wi-Fi"],
                ["notconfigured"],
                [" NotConfigured "],
                [None],
                ["NotConfigured", "Ethernet"],
                None,
                [""],
                [1],
            ),
        }
    ).map(drop_missing)


product = st.fixed_dictionaries(
    {
        "name": st.sampled_from(["ノートン 360", "ESET", ""]),
        "product_state": mostly(266240, 262144, 266256, 0x41001, None, -1, "266240"),
        # Whether the entry's suite is alive (Security Center keeps stale entries).
        "reporting_exe_exists": mostly(True, False, None, "True", MISSING),
        "reporting_running": mostly(True, False, None, 1, MISSING),
        "product_exe_exists": mostly(True, False, None, MISSING),
    }
).map(drop_missing)
usable_center = st.fixed_dictionaries(
    {
        "installation_type": mostly("Client", "Server", None),
        "products": mostly([], None),
        "failure": mostly(None, {"error": "Invalid namespace", "hresult": -2147217394}),
    }
).map(drop_missing)
broken_center = st.one_of(
    st.builds(
        lambda products: {"installation_type": "Client", "products": products, "failure": None},
        st.one_of(st.lists(product, max_size=2), product, st.just([None]), st.just("x")),
    ),
    st.sampled_from([None, [], "unparsed output", MISSING]),
)
center = st.integers(0, 3).flatmap(lambda i: usable_center if i else broken_center)
three = st.tuples(profile("Domain"), profile("Private"), profile("Public")).map(list)
other_lists = st.one_of(
    st.lists(st.one_of(profile("Domain"), profile("Public"), st.just(None)), max_size=4),
    st.sampled_from([None, "unparsed output", MISSING]),
    profile("Public"),
)
profile_lists = st.integers(0, 3).flatmap(lambda i: three if i else other_lists)
answers = st.fixed_dictionaries({"profiles": profile_lists, "products": center}).map(drop_missing)


def evaluated_compliant(answer: dict[str, Any], params: FirewallParams) -> bool:
    """The verdict of WindowsFirewall.parse and the check on the same two answers."""
    if "profiles" not in answer:
        return False  # the profiles probe failed: the check is an error
    try:
        fact = parse_profiles(answer["profiles"])
        if "products" in answer:
            products, unread = parse_products(answer["products"])
        else:
            products, unread = (), security_center_unread("no answer")
    except CollectorError:
        return False
    found = Unknown(reason=unread) if unread else seen(products)
    fact = FirewallFacts.model_validate({**dict(fact), "products": found})
    ctx = EvalContext(platform=PlatformInfo(family=OsFamily.WINDOWS), now=NOW)
    outcomes = list(Firewall().evaluate(FactView({FirewallFacts: fact}), params, ctx))
    return all(o.status.value in PASSING for o in outcomes)


@settings(max_examples=600, deadline=None)
@given(answers, st.booleans())
def test_made_up_answers_never_pass_in_intune_where_the_check_does_not(
    answer: dict[str, Any], require: bool
) -> None:
    params = FirewallParams(require_inbound_deny=require)
    if intune_compliant(answer, params):
        assert evaluated_compliant(answer, params), answer


@settings(max_examples=300, deadline=None)
@given(answers, st.booleans())
def test_without_registered_suites_the_verdicts_are_the_same(
    answer: dict[str, Any], require: bool
) -> None:
    """Stricter only where documented: a well-formed answer with integer codes, the
    three profiles' names and no registered suite gets the check's verdict."""
    answer = {
        **answer,
        "products": {"installation_type": "Client", "products": [], "failure": None},
    }
    listed = answer.get("profiles")
    codes_are_integers = isinstance(listed, list) and all(
        isinstance(p, dict)
        and all(type(p.get(k)) is int for k in ("enabled", "default_inbound"))
        and p.get("name") in ("Domain", "Private", "Public")  # a fourth one: stricter
        and not any(
            isinstance(a, str) and a.strip().lower() == "notconfigured" and a != "NotConfigured"
            for a in (p.get("disabled_interface_aliases") or [])
            if isinstance(p.get("disabled_interface_aliases"), list)
        )
        for p in listed
    )
    params = FirewallParams(require_inbound_deny=require)
    if codes_are_integers:
        assert intune_compliant(answer, params) is evaluated_compliant(answer, params), answer
