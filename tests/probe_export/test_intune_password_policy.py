"""`probe export --intune-compliance` for the password_policy check: for every recorded
Windows answer the rules judge the script's settings as `evaluate` judges the PC, and no
answer, recorded or made up, is compliant in Intune where the check does not pass."""

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
from endpoint_audit.checks.password_policy.check import PasswordPolicy, PasswordPolicyParams
from endpoint_audit.checks.password_policy.facts import PasswordPolicyFacts
from endpoint_audit.checks.password_policy.intune import INTUNE, NEVER_LOCKS
from endpoint_audit.checks.password_policy.windows import parse_probe
from endpoint_audit.errors import CollectorError, FactUnavailable
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
from tests.probe_export.intune_settings_password_policy import password_policy_settings
from tests.probe_export.recorded import recorded_answer
from tests.replay_cases import all_cases, case_path
from tests.windows.clm_lint import clm_violations
from tests.windows.test_powershell import syntax_errors


def mostly(good: Any, *others: Any) -> st.SearchStrategy[Any]:
    return intune_harness.mostly(good, *others, keep=5)


NOW = datetime(2026, 12, 1, tzinfo=UTC)
KEY = "ps:password_policy"
CASES = windows_cases(KEY)


def intune_rules(params: PasswordPolicyParams) -> dict[str, Any]:
    return {"Rules": [r.model_dump(by_alias=True) for r in INTUNE.rules(params, URL)]}


def intune_compliant(answer: Any, params: PasswordPolicyParams) -> bool:
    found = password_policy_settings(answer)
    return compliant(intune_rules(params), json.dumps(found, separators=(",", ":")))


# --- the rules file and the script ----------------------------------------------------


def test_the_rules_validate_and_take_the_baselines_parameters(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    params = {"min_length": 12, "max_failed_attempts": 7, "min_char_classes": 3,
              "min_pin_length": 6}  # fmt: skip
    script, rules = export(
        cli, tmp_path / "o", "-b", str(write_baseline(tmp_path, "password_policy", params))
    )
    jsonschema.validate(rules, SCHEMA)
    assert [r["SettingName"] for r in rules["Rules"]] == list(INTUNE.settings)
    by_name = {r["SettingName"]: r for r in rules["Rules"]}
    assert by_name["PasswordMinimumLength"]["Operand"] == 12
    assert by_name["PasswordLockoutThreshold"]["Operator"] == "LessEquals"
    assert by_name["PasswordLockoutThreshold"]["Operand"] == 7
    assert by_name["PasswordCharClasses"]["Operand"] == 3
    assert by_name["PasswordPinMinimumLength"]["Operand"] == 6
    for rule in rules["Rules"]:
        en, ja = rule["RemediationStrings"]
        assert (en["Language"], ja["Language"]) == ("en_US", "ja_JP")
        assert re.search(r"[ぁ-んァ-ヶ一-龯]", ja["Title"] + ja["Description"])
        assert "{ActualValue}" in en["Title"] and "{ActualValue}" in ja["Title"]
        assert "{" not in en["Description"] + ja["Description"]
    assert "New passwords must have at least 12 characters" in by_name[
        "PasswordMinimumLength"]["RemediationStrings"][0]["Title"]  # fmt: skip
    assert script.isascii() and syntax_errors(script) == [] and clm_violations(script) == []
    assert "Checks: password_policy." in script
    assert "# --- password_policy: probe password_policy (FullLanguage only)" in script
    assert "secedit.exe /export" in script


def test_rules_left_out_by_the_parameters() -> None:
    names = [r.setting_name for r in INTUNE.rules(PasswordPolicyParams(min_char_classes=0), URL)]
    assert names == ["PasswordPolicyAnswer", "PasswordMinimumLength", "PasswordLockoutThreshold"]
    # A baseline allowing more failed sign-ins than the sentinel still refuses "never".
    (lockout,) = [
        r
        # (A baseline may not load it; built without validation, the sentinel holds.)
        for r in INTUNE.rules(PasswordPolicyParams.model_construct(max_failed_attempts=10**6), URL)
        if r.setting_name == "PasswordLockoutThreshold"
    ]
    assert lockout.operand == NEVER_LOCKS - 1


def test_the_snippet_writes_the_vocabulary_of_the_rules_and_the_python_reading() -> None:
    snippet = INTUNE.settings_script
    assert syntax_errors(snippet) == [] and clm_violations(snippet) == []
    head = snippet.split("if ($null -ne $EAProbe)")[0]
    defaults = dict(re.findall(r"\$EASettings\['(\w+)'\] = (?:\[int64\])?'?(-?\w+)'?\n", head))
    assert set(defaults) == set(INTUNE.settings)
    assert {k: str(v) for k, v in password_policy_settings(None).items()} == defaults
    answers = set(re.findall(r"\$EASettings\['PasswordPolicyAnswer'\] = '(\w+)'", snippet))
    assert answers == {"Unknown", "NeedsAdmin", "SeceditFailed", "Read"}
    # No localized text: only numbers of the answer are read, keys matched exactly.
    assert "-eq '" not in snippet and "-match" not in snippet.replace("-cmatch", "")
    assert "net accounts" not in snippet and "net.exe" not in snippet


# --- the same verdicts as evaluate ------------------------------------------------------


def case_params(ref: str) -> dict[str, Any]:
    return all_cases()[ref].params if ref.startswith("password_policy/") else {}


@pytest.mark.parametrize("ref", CASES)
def test_every_recorded_windows_answer_gets_the_verdict_evaluate_gives(
    ref: str, cli: Callable[..., Any], tmp_path: Path
) -> None:
    baseline = write_baseline(tmp_path, "password_policy", case_params(ref))
    result = cli("evaluate", str(case_path(ref)), "-b", str(baseline), "-f", "json")
    (host,) = json.loads(result.stdout)["hosts"]
    findings = [f for f in host["findings"] if f["check_id"] == "password_policy"]
    assert findings
    evaluated = host["status"] == "ok" and all(f["status"] in PASSING for f in findings)
    params = PasswordPolicyParams.model_validate(case_params(ref))
    assert intune_compliant(recorded_answer(ref, KEY), params) is evaluated
    assert evaluated_compliant(recorded_answer(ref, KEY), params) is evaluated


def test_the_recorded_cases_cover_both_verdicts() -> None:
    params = PasswordPolicyParams(min_pin_length=6)
    verdicts = {intune_compliant(recorded_answer(r, KEY), params) for r in CASES}
    assert verdicts == {True, False}


def test_unreadable_evidence_is_never_compliant() -> None:
    params = PasswordPolicyParams()
    good = recorded_answer("password_policy/win11-23h2-cis-policy", KEY)
    assert intune_compliant(good, params)
    assert not intune_compliant(None, params)
    assert not intune_compliant({}, params)
    assert not intune_compliant({**good, "is_admin": False}, params)
    assert not intune_compliant({**good, "is_admin": "True"}, params)
    assert not intune_compliant({**good, "system_access": None, "secedit_exit": 1}, params)
    access = good["system_access"]
    for name in ("MinimumPasswordLength", "LockoutBadCount", "PasswordComplexity"):
        left = {k: v for k, v in access.items() if k != name}
        assert not intune_compliant({**good, "system_access": left}, params), name
        # A key spelled otherwise is not the value secedit writes.
        renamed = {**left, name.lower(): access[name]}
        assert not intune_compliant({**good, "system_access": renamed}, params), name
    never = {**access, "LockoutBadCount": 0}
    assert not intune_compliant({**good, "system_access": never}, params)
    assert password_policy_settings({**good, "system_access": never})[
        "PasswordLockoutThreshold"] == NEVER_LOCKS  # fmt: skip
    # With a PIN rule, an invalid PIN policy leaves the default of 4 in force.
    pin = PasswordPolicyParams(min_pin_length=6)
    assert not intune_compliant(good, pin)
    assert intune_compliant({**good, "pin_complexity": {"MinimumPINLength": 6}}, pin)
    bad_pin = {"MinimumPINLength": 8, "MaximumPINLength": 6}
    assert not intune_compliant({**good, "pin_complexity": bad_pin}, pin)


# --- made-up answers ----------------------------------------------------------------------


numbers = (None, True, False, "14", " 5 ", "x", "", 14.0, 5.5, -1, 0, 1, 2, 4, 6, 8, 10,
           99999, 100000, [14], {"v": 14}, "9" * 20, 10**16, 1e300)  # fmt: skip
access = st.fixed_dictionaries(
    {
        "MinimumPasswordLength": mostly(14, *numbers),
        "LockoutBadCount": mostly(5, *numbers),
        "PasswordComplexity": mostly(1, *numbers),
        "MaximumPasswordAge": mostly(42, None),
        "minimumpasswordlength": st.just(MISSING) | st.just(20),
    }
).map(drop_missing)
pin_policy = st.fixed_dictionaries(
    {
        "MinimumPINLength": mostly(6, *numbers, 3, 127, 128),
        "MaximumPINLength": mostly(127, *numbers, 5, 6),
    }
).map(drop_missing)
answers = st.fixed_dictionaries(
    {
        "is_admin": mostly(True, False, None, "True", 1),
        "part_of_domain": mostly(False, True, None),
        "secedit_exit": mostly(0, 1, None, "0"),
        "secedit_error": mostly(None, "-2147024891", 5),
        "system_access": st.one_of(access, st.sampled_from([None, [], "x", 0])),
        "pin_complexity": st.one_of(pin_policy, st.sampled_from([None, [], "x"])),
    }
).map(drop_missing)
# Built without validation: limits a baseline may not load (99999) still test the sentinel.
baselines = st.builds(
    PasswordPolicyParams.model_construct,
    min_length=st.sampled_from([1, 8, 14, 15]),
    max_failed_attempts=st.sampled_from([1, 5, 10, 99999, 10**6]),
    min_char_classes=st.sampled_from([0, 1, 3, 4]),
    min_pin_length=st.sampled_from([None, 4, 6, 8]),
)


def evaluated_compliant(answer: Any, params: PasswordPolicyParams) -> bool:
    try:
        fact = parse_probe(answer)
    except (CollectorError, FactUnavailable):
        return False
    ctx = EvalContext(platform=PlatformInfo(family=OsFamily.WINDOWS), now=NOW)
    outcomes = PasswordPolicy().evaluate(FactView({PasswordPolicyFacts: fact}), params, ctx)
    return all(o.status.value in PASSING for o in outcomes)


def stricter_documented(answer: dict[str, Any], params: PasswordPolicyParams) -> bool:
    """Where docs/deploy-probes.md says Intune is stricter: numbers beyond 10^15, and a
    lockout threshold of 99999 or more that the baseline allows."""
    table = answer.get("system_access")
    values = [*table.values()] if isinstance(table, dict) else []
    policy = answer.get("pin_complexity")
    values += [*policy.values()] if isinstance(policy, dict) else []
    huge = any(
        (isinstance(v, int | float) and not isinstance(v, bool) and abs(v) > 1e15)
        or (isinstance(v, str) and len(v.strip().lstrip("-")) > 15)
        for v in values
    )
    lockout = table.get("LockoutBadCount") if isinstance(table, dict) else None
    high = isinstance(lockout, int) and not isinstance(lockout, bool) and lockout >= NEVER_LOCKS
    return huge or (high and params.max_failed_attempts >= NEVER_LOCKS)


@settings(max_examples=800, deadline=None)
@given(answers, baselines)
def test_made_up_answers_get_the_checks_verdict_or_a_documented_stricter_one(
    answer: dict[str, Any], params: PasswordPolicyParams
) -> None:
    verdict = intune_compliant(answer, params)
    evaluated = evaluated_compliant(answer, params)
    if verdict:
        assert evaluated, answer
    elif evaluated:
        assert stricter_documented(answer, params), answer
