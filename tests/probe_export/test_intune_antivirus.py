"""`probe export --intune-compliance` for the antivirus check: for every recorded Windows
answer the rules judge the script's settings as `evaluate` judges the PC (the PC's clock
at the time it was collected), and no answer, recorded or made up, is compliant in Intune
where the check does not pass. Stricter only where docs/deploy-probes.md says."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from endpoint_audit.checkkit.check import EvalContext, FactView
from endpoint_audit.checks.antivirus.check import Antivirus, AntivirusParams
from endpoint_audit.checks.antivirus.facts import AntivirusFacts
from endpoint_audit.checks.antivirus.intune import INTUNE, UNREAD_AGE, accepted_names
from endpoint_audit.checks.antivirus.windows import parse_status
from endpoint_audit.errors import CollectorError
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from tests.probe_export import intune_harness
from tests.probe_export.intune_harness import (
    MISSING,
    PASSING,
    SCHEMA,
    URL,
    drop_missing,
    export,
    windows_cases,
    write_baseline,
)
from tests.probe_export.intune_operators import compliant
from tests.probe_export.intune_settings_antivirus import UNREAD, antivirus_settings
from tests.probe_export.recorded import recorded_answer
from tests.replay_cases import all_cases, case_path
from tests.windows.clm_lint import clm_violations
from tests.windows.test_powershell import syntax_errors


def mostly(good: Any, *others: Any) -> st.SearchStrategy[Any]:
    return intune_harness.mostly(good, *others, keep=7)


NOW = datetime(2024, 11, 20, 3, 0, tzinfo=UTC)
KEY = "ps:antivirus_status"
CASES = windows_cases(KEY)


def intune_rules(params: AntivirusParams) -> dict[str, Any]:
    return {"Rules": [r.model_dump(by_alias=True) for r in INTUNE.rules(params, URL)]}


def intune_compliant(answer: Any, params: AntivirusParams, now: datetime) -> bool:
    found = antivirus_settings(answer, accepted_names(params), now)
    return compliant(intune_rules(params), json.dumps(found, separators=(",", ":")))


def evaluated_compliant(answer: Any, params: AntivirusParams, now: datetime) -> bool:
    try:
        fact = parse_status(answer)
    except CollectorError:
        return False
    ctx = EvalContext(platform=PlatformInfo(family=OsFamily.WINDOWS), now=now)
    outcomes = Antivirus().evaluate(FactView({AntivirusFacts: fact}), params, ctx)
    return all(o.status.value in PASSING for o in outcomes)


# --- the rules file and the script ----------------------------------------------------


@pytest.mark.parametrize("tamper", [True, False])
def test_the_rules_follow_the_baseline_and_the_script_keeps_to_the_limits(
    tamper: bool, cli: Callable[..., Any], tmp_path: Path
) -> None:
    params = {
        "max_signature_age_days": 5,
        "require_tamper_protection": tamper,
        "accepted_products": ["ノートン", "Trend Micro 'Apex' One", "STRASSE"],
    }
    script, rules = export(
        cli, tmp_path / "o", "-b", str(write_baseline(tmp_path, "antivirus", params))
    )
    jsonschema.validate(rules, SCHEMA)
    by_name = {r["SettingName"]: r for r in rules["Rules"]}
    assert set(by_name) == {
        "AntivirusProtection",
        "AntivirusSignatureAgeDays",
        "AntivirusSignatures",
    } | ({"AntivirusTamperProtection"} if tamper else set())
    assert by_name["AntivirusSignatureAgeDays"]["Operand"] == 5
    assert "5" in by_name["AntivirusSignatureAgeDays"]["RemediationStrings"][0]["Title"]
    for rule in rules["Rules"]:
        en, ja = rule["RemediationStrings"]
        assert (en["Language"], ja["Language"]) == ("en_US", "ja_JP")
        assert re.search(r"[ぁ-んァ-ヶ一-龯]", ja["Title"] + ja["Description"])
        assert "{ActualValue}" in en["Title"] and "{ActualValue}" in ja["Title"]
    assert script.isascii() and syntax_errors(script) == [] and clm_violations(script) == []
    assert "Checks: antivirus." in script and "Get-MpComputerStatus" in script
    # The accepted names, folded as the check folds them, spelled in ASCII.
    assert accepted_names(AntivirusParams.model_validate(params)) == [
        "ノートン",
        "trend micro 'apex' one",
        "strasse",
    ]
    assert "$EAAntivirusAccepted = @(([string][char]0x30CE + " in script
    assert "'trend micro ' + [string][char]0x0027 + 'apex' + [string][char]0x0027" in script


def test_the_snippet_writes_the_vocabulary_of_the_rules_and_the_python_reading() -> None:
    snippet = INTUNE.settings_script
    assert syntax_errors(snippet) == [] and clm_violations(snippet) == []
    values = set(re.findall(r"\$EASettings\['AntivirusProtection'\] = '(\w+)'", snippet))
    assert values == {"Unknown", "On", "Off", "NotAccepted", "Malformed", "Unrecognised"}
    head = snippet.split("if ($null -ne $EAProbe)")[0]
    for name in INTUNE.settings:
        assert f"$EASettings['{name}'] = " in head
    assert "$EAAntivirusUnread = [int64]99999" in head and UNREAD == UNREAD_AGE
    none = antivirus_settings(None, [], NOW)
    assert set(none) == set(INTUNE.settings)
    assert ".ToLower()" not in snippet and "-eq '" not in snippet
    # The age the rules never accept when unread, whatever the baseline allows.
    assert UNREAD_AGE > AntivirusParams.model_fields["max_signature_age_days"].default * 1000


# --- the same verdicts as evaluate ------------------------------------------------------


def case_params(ref: str) -> dict[str, Any]:
    return all_cases()[ref].params if ref.startswith("antivirus/") else {}


@pytest.mark.parametrize("ref", CASES)
def test_every_recorded_windows_answer_gets_the_verdict_evaluate_gives(
    ref: str, cli: Callable[..., Any], tmp_path: Path
) -> None:
    baseline = write_baseline(tmp_path, "antivirus", case_params(ref))
    result = cli("evaluate", str(case_path(ref)), "-b", str(baseline), "-f", "json")
    (host,) = json.loads(result.stdout)["hosts"]
    findings = [f for f in host["findings"] if f["check_id"] == "antivirus"]
    assert findings
    evaluated = host["status"] == "ok" and all(f["status"] in PASSING for f in findings)
    params = AntivirusParams.model_validate(case_params(ref))
    now = all_cases()[ref].collected_at  # evaluate judges ages as of then
    assert intune_compliant(recorded_answer(ref, KEY), params, now) is evaluated


def test_the_recorded_cases_cover_both_verdicts_and_both_protectors() -> None:
    found = {
        (
            intune_compliant(
                recorded_answer(r, KEY), AntivirusParams(), all_cases()[r].collected_at
            ),
            antivirus_settings(recorded_answer(r, KEY), [], all_cases()[r].collected_at)[
                "AntivirusProtectedBy"
            ],
        )
        for r in CASES
    }
    assert {(True, "Defender"), (True, "Product"), (False, "None")} <= found


def test_no_answer_is_compliant_and_the_age_counts() -> None:
    params = AntivirusParams()
    assert not intune_compliant(None, params, NOW)
    assert not intune_compliant({}, params, NOW)
    ref = "antivirus/win11-23h2-defender-on"
    good, when = recorded_answer(ref, KEY), all_cases()[ref].collected_at
    assert intune_compliant(good, params, when)
    later = when + timedelta(days=30)
    assert not intune_compliant(good, params, later)
    assert intune_compliant(good, AntivirusParams(max_signature_age_days=30), later)
    defender = good["defender"]
    for change in (
        {"signature_updated": "2024-11-19 22:41:07Z"},
        {"signature_age_days": 10**12},
        {"tamper_protected": None},
        {"running_mode": "Normal\u3000"},
        {"signatures_out_of_date": True},
    ):
        assert not intune_compliant({**good, "defender": {**defender, **change}}, params, when)
    assert not intune_compliant({**good, "products": [*good["products"], 1]}, params, when)


# --- made-up answers ----------------------------------------------------------------------


defender = st.fixed_dictionaries(
    {
        "running_mode": mostly(
            "Normal",
            "normal ",
            "Passive Mode",
            "Not running",
            "",
            None,
            "Norma\u0130",
            "\u3000Normal",
            1,
        ),
        "service_enabled": mostly(True, False, None, "True", 1),
        "antivirus_enabled": mostly(True, False, None),
        "real_time": mostly(True, False, None, 1),
        "signature_age_days": mostly(0, 1, 3, 4, 9, -1, None, "2", 2.0, True, 10**12),
        "signature_updated": mostly(
            "2024-11-19T22:41:07.0000000Z",
            "2024-11-16T05:00:00+09:00",
            "2024-11-19T22:41:07Z",
            "2024-11-01T00:00:00.0000000Z",
            "2024-11-19 22:41:07Z",
            "2024-11-19T22:41:07",
            "2024-13-19T22:41:07Z",
            "2024-11-20T02:59:59.9999999Z",
            "",
            None,
            5,
        ),
        "signature_version": st.just("1.421.1"),
        "signatures_out_of_date": mostly(False, True, None, "False"),
        "tamper_protected": mostly(True, False, None, "True"),
    }
).map(drop_missing)
product = st.fixed_dictionaries(
    {
        "name": st.sampled_from(
            [
                "ノートン 360",
                "Norton 360",
                "ESET Endpoint",
                "Windows Defender",
                "ＮＯＲＴＯＮ",
                " norton",
                "",
                None,
                7,
                "Trend\u3000Micro",
            ]
        ),
        "product_state": mostly(
            266240,
            397568,
            393472,
            266256,
            344064,
            0x41001,
            None,
            -1,
            "266240",
            266240.0,
            0x1000000,
            True,
        ),
        # Whether the entry's product is alive (Security Center keeps stale entries).
        "reporting_exe_exists": mostly(True, False, None, "True", 1, MISSING),
        "reporting_running": mostly(True, False, None, "True", MISSING),
        "product_exe_exists": mostly(True, None, False, 0, MISSING),
    }
).map(drop_missing)
answers = st.fixed_dictionaries(
    {
        "installation_type": mostly("Client", "Server", None),
        "defender": st.one_of(defender, st.sampled_from([None, "x", [], MISSING])),
        "defender_failure": st.just(None),
        "products": st.one_of(
            st.lists(product, max_size=3), product, st.sampled_from([None, [None], "x", MISSING])
        ),
        "products_failure": st.just(None),
        "edr_onboarding_state": mostly(1, 0, None),
        "edr_onboarding_key": mostly(True, False, None),
    }
).map(drop_missing)
parameters = st.builds(
    AntivirusParams,
    max_signature_age_days=st.sampled_from([0, 3, 7]),
    require_tamper_protection=st.booleans(),
    accepted_products=st.sampled_from([[], ["Norton"], ["ノートン"], ["eset", "trend"], ["ton"]]),
)


@settings(max_examples=1000, deadline=None)
@given(answers, parameters, st.sampled_from([NOW, NOW + timedelta(days=5)]))
def test_made_up_answers_never_pass_in_intune_where_the_check_does_not(
    answer: dict[str, Any], params: AntivirusParams, now: datetime
) -> None:
    if intune_compliant(answer, params, now):
        assert evaluated_compliant(answer, params, now), answer


@settings(max_examples=500, deadline=None)
@given(answers, parameters)
def test_with_plain_texts_and_dates_the_verdicts_are_the_same(
    answer: dict[str, Any], params: AntivirusParams
) -> None:
    """Stricter only where documented: with texts Intune reads and dates in the probe's
    form (whole seconds, so that no fraction is dropped), the check's verdict."""
    found = antivirus_settings(answer, accepted_names(params), NOW)
    if found["AntivirusProtection"] == "Unrecognised":
        return
    d = answer.get("defender")
    if isinstance(d, dict):
        when = d.get("signature_updated")
        if isinstance(when, str) and not re.fullmatch(
            r"[0-9-]{10}T[0-9:]{8}(\.0+)?(Z|\+09:00)", when
        ):
            return
        count = d.get("signature_age_days")
        if isinstance(count, int) and not isinstance(count, bool) and count > 10**9:
            return
    assert intune_compliant(answer, params, NOW) is evaluated_compliant(answer, params, NOW), answer
