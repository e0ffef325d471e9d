"""`probe export --intune-compliance` for the os_support check: the support data in use is
embedded in the script, and for every recorded Windows answer the rules judge the script's
settings (the PC's clock at the time it was collected) as `evaluate` judges the PC; no
answer, recorded or made up, is compliant in Intune where the check does not pass.
Stricter only where docs/deploy-probes.md says."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from endpoint_audit.checkkit.check import EvalContext, FactView
from endpoint_audit.checks.os_support.check import OsSupport, OsSupportParams
from endpoint_audit.checks.os_support.facts import OsSupportFacts
from endpoint_audit.checks.os_support.intune import (
    INTUNE,
    UNREAD,
    data_for_export,
    day_number,
    prelude,
)
from endpoint_audit.checks.os_support.support_data import support_data
from endpoint_audit.checks.os_support.windows import ESU_YEARS, WindowsOsSupport
from endpoint_audit.errors import CollectorError
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
    write_baseline,
)
from tests.probe_export.intune_operators import compliant
from tests.probe_export.intune_settings_os_support import UNREAD as PY_UNREAD
from tests.probe_export.intune_settings_os_support import os_support_settings
from tests.probe_export.recorded import recorded_answer
from tests.replay_cases import all_cases
from tests.windows.clm_lint import clm_violations
from tests.windows.test_powershell import syntax_errors


def mostly(good: Any, *others: Any) -> st.SearchStrategy[Any]:
    return intune_harness.mostly(good, *others, keep=11)


KEY = "ps:os_edition"
CASES = windows_cases(KEY, "os_support")
GOOD = "os_support/win11-24h2-ja-pro-supported"


def intune_rules(params: OsSupportParams) -> dict[str, Any]:
    return {"Rules": [r.model_dump(by_alias=True) for r in INTUNE.rules(params, URL)]}


def intune_compliant(answer: Any, params: OsSupportParams, today: date) -> bool:
    found = os_support_settings(answer, data_for_export(), today)
    return compliant(intune_rules(params), json.dumps(found, separators=(",", ":")))


def evaluated_compliant(answer: Any, params: OsSupportParams, now: datetime) -> bool:
    try:
        fact = WindowsOsSupport().parse_value(answer)
    except CollectorError:
        return False
    ctx = EvalContext(platform=PlatformInfo(family=OsFamily.WINDOWS), now=now)
    outcomes = OsSupport().evaluate(FactView({OsSupportFacts: fact}), params, ctx)
    return all(o.status.value in PASSING for o in outcomes)


# --- the rules file and the script ----------------------------------------------------


def test_the_rules_follow_the_baseline_and_validate(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    params = {"warn_days": 30, "max_data_age_days": 120}
    script, rules = export(
        cli, tmp_path / "out", "-b", str(write_baseline(tmp_path, "os_support", params))
    )
    jsonschema.validate(rules, SCHEMA)
    by_name = {r["SettingName"]: r for r in rules["Rules"]}
    assert list(by_name) == list(INTUNE.settings)
    assert by_name["OsSupportState"] | {"RemediationStrings": None} == {
        "SettingName": "OsSupportState", "Operator": "IsEquals", "DataType": "String",
        "Operand": "Dated", "MoreInfoUrl": URL, "RemediationStrings": None,
    }  # fmt: skip
    assert by_name["OsSupportDataAgeDays"]["Operand"] == 120
    assert "120" in by_name["OsSupportDataAgeDays"]["RemediationStrings"][1]["Title"]
    # Ending soon is a pass in the check: warn_days gives no rule.
    assert by_name["OsSupportDaysLeft"]["Operand"] == 0
    assert by_name["OfficeSupportDaysLeft"]["Operand"] == 0
    for rule in rules["Rules"]:
        en, ja = rule["RemediationStrings"]
        assert (en["Language"], ja["Language"]) == ("en_US", "ja_JP")
        assert re.search(r"[ぁ-んァ-ヶ一-龯]", ja["Title"] + ja["Description"])
        assert "{ActualValue}" in en["Title"] and "{ActualValue}" in ja["Title"]
    assert script.isascii()
    assert syntax_errors(script) == []
    assert clm_violations(script) == []
    assert "Checks: os_support." in script
    data = support_data()
    assert f"$EAOsSupportDated = [int64]{day_number(data.dated)}" in script
    for build, rel in data.windows.items():
        if rel.client is not None:
            assert f"'{build}' = @{{ client = [int64]{day_number(rel.client)};" in script
    assert "'2021-ltsc' = [int64]" in script


def test_days_are_counted_as_the_pc_counts_them() -> None:
    # [datetime]::new(2026, 8, 22).Ticks / 864000000000 (ticks from 0001-01-01).
    ticks = int((datetime(2026, 8, 22) - datetime(1, 1, 1)).total_seconds()) * 10**7
    assert day_number(date(2026, 8, 22)) == ticks // 864000000000
    assert UNREAD == PY_UNREAD
    assert f"$EAOsSupportUnread = [int64]{UNREAD}" in INTUNE.settings_script
    rules = INTUNE.rules(OsSupportParams(max_data_age_days=10**6), URL)
    assert all(r.operand != UNREAD for r in rules)
    assert {r.operand for r in rules if r.setting_name == "OsSupportDataAgeDays"} == {UNREAD - 1}


def test_the_snippet_sets_every_setting_before_it_reads_the_answer() -> None:
    snippet = INTUNE.settings_for(OsSupportParams())
    assert syntax_errors(snippet) == [] and clm_violations(snippet) == []
    head = snippet.split("if ($null -ne $EAProbe)")[0]
    for name in INTUNE.settings:
        assert f"$EASettings['{name}'] = " in head, name
    settings_ = os_support_settings(None, data_for_export(), date(2026, 1, 1))
    assert set(settings_) == set(INTUNE.settings)
    values = set(re.findall(r"\$EASettings\['OsSupportState'\] = '(\w+)'", snippet))
    values |= set(re.findall(r"\$EAState = '(\w+)'", snippet))
    assert values == {"Unknown", "Server", "NotInData", "OnlyLtsc", "EditionNotInData",
                      "EditionUnknown", "Dated", "EsuUnknown"}  # fmt: skip


def test_unusable_data_is_never_compliant(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("format = 1\n", encoding="utf-8")
    monkeypatch.setenv("ENDPOINT_AUDIT_OS_SUPPORT_DATA", str(broken))
    assert data_for_export() is None
    head = prelude(OsSupportParams())
    assert "$EAOsSupportDated = [int64]-1" in head and syntax_errors(head) == []
    found = os_support_settings(recorded_answer(GOOD, KEY), None, date(2026, 3, 1))
    assert found["OsSupportState"] == "Unknown" and found["OsSupportDataAgeDays"] == UNREAD
    assert not compliant(intune_rules(OsSupportParams()), json.dumps(found))


# --- the same verdicts as evaluate ------------------------------------------------------


@pytest.mark.parametrize("ref", CASES)
def test_every_recorded_windows_answer_gets_the_verdict_evaluate_gives(
    ref: str, cli: Callable[..., Any], tmp_path: Path
) -> None:
    _, report = run_case(cli, ref, tmp_path)
    (host,) = report["hosts"]
    findings = [f for f in host["findings"] if f["check_id"] == "os_support"]
    assert findings
    evaluated = host["status"] == "ok" and all(f["status"] in PASSING for f in findings)
    params = OsSupportParams.model_validate(dict(all_cases()[ref].params))
    today = all_cases()[ref].collected_at.date()  # evaluate judges dates as of then
    assert intune_compliant(recorded_answer(ref, KEY), params, today) is evaluated


def test_the_recorded_cases_cover_both_verdicts_and_office() -> None:
    def verdict(ref: str) -> bool:
        when = all_cases()[ref].collected_at.date()
        return intune_compliant(recorded_answer(ref, KEY), OsSupportParams(), when)

    assert {verdict(r) for r in CASES} == {True, False}
    assert verdict("os_support/win11-24h2-ltsc2021-ending-soon")  # ending soon passes
    assert not verdict("os_support/win11-24h2-m365-apps-unknown")
    assert not verdict("os_support/win11-24h2-ja-msi-office2016-ended")


def test_no_answer_is_compliant() -> None:
    good, today = recorded_answer(GOOD, KEY), all_cases()[GOOD].collected_at.date()
    params = OsSupportParams()
    assert intune_compliant(good, params, today)
    assert not intune_compliant(None, params, today)
    assert not intune_compliant({}, params, today)
    assert not intune_compliant({k: v for k, v in good.items() if k != "esu"}, params, today)
    assert not intune_compliant({**good, "office": None}, params, today)
    assert not intune_compliant({**good, "office": "x"}, params, today)
    assert not intune_compliant({**good, "build": None}, params, today)
    assert not intune_compliant({**good, "product_type": 3}, params, today)
    # The data ages on the PC's clock: stale data is not compliant.
    assert not intune_compliant(good, params, support_data().dated + timedelta(days=181))


# --- made-up answers ----------------------------------------------------------------------


ESU_1 = "f520e45e-7413-4a34-a497-d2765967d094"
licence = st.fixed_dictionaries(
    {
        "id": mostly(ESU_1, ESU_1.upper(), "1043add5-23b1-4afb-9a0f-64343c8f3f8d", "x", None, 1),
        "license_status": mostly(1, 0, "1", " 1", True, None, 5),
    }
).map(drop_missing)
c2r = st.fixed_dictionaries(
    {
        "ProductReleaseIds": mostly(
            "ProPlus2024Volume", "O365ProPlusRetail", "ProPlus2021Volume,LanguagePack",
            "Standard2019Volume", "ProPlusRetail", "VisioProRetail", "proplus2024volume ",
            "ProPlus2024Volume,\u00a0LanguagePack", "Ｐro2024Retail", "", ",", 5, None,
        ),
        "VersionToReport": mostly("16.0.17928.20114", None),
    }
).map(drop_missing)  # fmt: skip
office = st.fixed_dictionaries(
    {
        "c2r": st.one_of(st.none(), c2r, st.sampled_from(["x", MISSING])),
        "msi": mostly(
            [], ["{90160000-0011-0000-1000-0000000FF1CE}"],
            ["{90160000-0011-0000-1000-0000000ff1ce}\n"],
            "{90160000-0012-0000-0000-0000000FF1CE}", ["{90160000-0011-0000-0000-0000000ﬀ1CE}"],
            ["{90150000-0011-0000-1000-0000000FF1CE}"], ["{91140000-001b-0000-0000-0000000ff1ce}"],
            [None], None, [3],
        ),
        "error": mostly(None, "registry_view", "-2147024891", "", " ", 5),
    }
).map(drop_missing)  # fmt: skip
answers = st.fixed_dictionaries(
    {
        "build": mostly("26100", "19045", "22631", "22621", "19044", "17763", "26200", "10240",
                        "99999", " 26100", "26100\n", "", None, 26100, "２６１００"),
        "sku": mostly(48, 4, 125, 188, 7, 0, None, "48", True, 48.0),
        "product_type": mostly(1, 3, 2, None, "1", True),
        "caption": mostly("Microsoft Windows 11 Pro", None),
        "esu": mostly(None, [], st.lists(licence, max_size=2), licence, "x", [None]),
        "esu_error": mostly(None, "-2147217405", "", 5),
        "office": mostly(office, None, "x", []),
    }
).map(drop_missing)  # fmt: skip
days = st.dates(date(2024, 1, 1), date(2029, 12, 31))
param_sets = st.builds(
    OsSupportParams,
    warn_days=st.sampled_from([0, 90]),
    max_data_age_days=st.sampled_from([180, 2000]),
)


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, tzinfo=UTC)


@settings(max_examples=800, deadline=None)
@given(answers, param_sets, days)
def test_made_up_answers_never_pass_in_intune_where_the_check_does_not(
    answer: dict[str, Any], params: OsSupportParams, today: date
) -> None:
    if intune_compliant(answer, params, today):
        assert evaluated_compliant(answer, params, _at(today)), answer


def _ascii(value: Any) -> bool:
    if isinstance(value, str):
        return (value.isascii() and value == value.strip(" \t\r\n")) or value.strip() == ""
    if isinstance(value, list):
        return all(_ascii(v) for v in value)
    if isinstance(value, dict):
        return all(_ascii(v) for v in value.values())
    return True


def written_by_the_probe(answer: dict[str, Any]) -> bool:
    """Texts the probe writes (ASCII, no stray blanks inside lists), numbers as [int64],
    errors as texts or null."""
    if not all(_ascii(answer.get(k)) for k in ("build", "esu", "office")):
        return False
    if any(not isinstance(answer.get(k), int | None) or isinstance(answer.get(k), bool)
           for k in ("sku", "product_type")):  # fmt: skip
        return False
    config = answer.get("office", {}).get("c2r") if isinstance(answer.get("office"), dict) else None
    ids = config.get("ProductReleaseIds") if isinstance(config, dict) else None
    if ids is not None and not isinstance(ids, str):
        return False
    error = answer.get("esu_error")
    office_error = (
        answer.get("office", {}).get("error") if isinstance(answer.get("office"), dict) else None
    )
    return all(e is None or (isinstance(e, str) and e.strip() == e) for e in (error, office_error))


@settings(max_examples=500, deadline=None)
@given(answers, param_sets, days)
def test_answers_the_probe_can_write_get_the_checks_verdict(
    answer: dict[str, Any], params: OsSupportParams, today: date
) -> None:
    if written_by_the_probe(answer):
        verdict = intune_compliant(answer, params, today)
        assert verdict is evaluated_compliant(answer, params, _at(today)), answer


def test_the_deployment_guide_lists_every_setting() -> None:
    guide = (Path(__file__).parents[2] / "docs" / "deploy-probes.md").read_text(encoding="utf-8")
    for name in INTUNE.settings:
        assert f"| `{name}` |" in guide, name
    assert f"**{INTUNE.check_id}**（" in guide  # the Japanese part names the check


def test_an_esu_licence_of_a_later_year_alone_is_not_compliant_today() -> None:
    ids = {year: licence for licence, year in ESU_YEARS.items()}
    answer = {
        "build": "19045",
        "caption": "Microsoft Windows 10 Pro",
        "sku": 48,
        "product_type": 1,
        "esu": [{"id": ids[3], "license_status": 1}],
        "esu_error": None,
        "office": {"c2r": None, "error": None, "msi": []},
    }
    params, today = OsSupportParams(), date(2026, 12, 1)  # in ESU year 2
    assert not intune_compliant(answer, params, today)
    assert not evaluated_compliant(answer, params, _at(today))
    answer["esu"] = [{"id": ids[2], "license_status": 1}, {"id": ids[3], "license_status": 1}]
    assert intune_compliant(answer, params, today)
    assert evaluated_compliant(answer, params, _at(today))


def test_an_unknown_edition_of_a_build_dated_only_for_ltsc_is_not_compliant() -> None:
    answer = {
        "build": "19044",
        "caption": "Microsoft Windows 10 Enterprise multi-session",
        "sku": 175,
        "product_type": 1,
        "esu": None,
        "esu_error": None,
        "office": {"c2r": None, "error": None, "msi": []},
    }
    params, today = OsSupportParams(), date(2026, 9, 1)
    assert not intune_compliant(answer, params, today)
    assert not evaluated_compliant(answer, params, _at(today))
    assert intune_compliant({**answer, "sku": 125}, params, today)
