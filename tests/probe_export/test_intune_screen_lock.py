"""`probe export --intune-compliance` for the screen_lock check: for every recorded Windows
answer the rules judge the script's settings as `evaluate` judges the PC, and no answer,
recorded or made up, is compliant in Intune where the check does not pass. Stricter only
where docs/deploy-probes.md says."""

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
from endpoint_audit.checks.screen_lock.check import ScreenLock, ScreenLockParams
from endpoint_audit.checks.screen_lock.facts import ScreenLockFacts
from endpoint_audit.checks.screen_lock.intune import INTUNE, UNREAD
from endpoint_audit.checks.screen_lock.windows import parse_screen_lock
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
from tests.probe_export.intune_settings_screen_lock import UNREAD as PY_UNREAD
from tests.probe_export.intune_settings_screen_lock import screen_lock_settings
from tests.probe_export.recorded import recorded_answer
from tests.replay_cases import all_cases
from tests.windows.clm_lint import clm_violations
from tests.windows.test_powershell import syntax_errors


def mostly(good: Any, *others: Any) -> st.SearchStrategy[Any]:
    return intune_harness.mostly(good, *others, keep=23)


NOW = datetime(2024, 11, 20, 3, 0, tzinfo=UTC)
KEY = "ps:screen_lock"
CASES = windows_cases(KEY)
GOOD = "screen_lock/win11-23h2-en-compliant"


def intune_rules(params: ScreenLockParams) -> dict[str, Any]:
    return {"Rules": [r.model_dump(by_alias=True) for r in INTUNE.rules(params, URL)]}


def intune_compliant(answer: Any, params: ScreenLockParams) -> bool:
    found = screen_lock_settings(answer)
    return compliant(intune_rules(params), json.dumps(found, separators=(",", ":")))


def evaluated_compliant(answer: Any, params: ScreenLockParams) -> bool:
    try:
        fact = parse_screen_lock(answer)
    except CollectorError:
        return False
    ctx = EvalContext(platform=PlatformInfo(family=OsFamily.WINDOWS), now=NOW)
    outcomes = ScreenLock().evaluate(FactView({ScreenLockFacts: fact}), params, ctx)
    return all(o.status.value in PASSING for o in outcomes)


# --- the rules file and the script ----------------------------------------------------


@pytest.mark.parametrize("enforced", [True, False])
def test_the_rules_follow_the_baseline_and_validate(
    enforced: bool, cli: Callable[..., Any], tmp_path: Path
) -> None:
    params = {"max_idle_seconds": 600, "max_lock_delay_seconds": 0, "require_enforced": enforced}
    script, rules = export(
        cli, tmp_path / "out", "-b", str(write_baseline(tmp_path, "screen_lock", params))
    )
    jsonschema.validate(rules, SCHEMA)
    by_name = {r["SettingName"]: r for r in rules["Rules"]}
    assert len(by_name) == len(rules["Rules"])  # one rule a setting
    assert ("ScreenLockUsersNotEnforced" in by_name) is enforced
    assert set(by_name) <= set(INTUNE.settings)
    assert by_name["ScreenLockMachineIdleSeconds"]["Operand"] == 600
    assert by_name["ScreenLockIdleSeconds"]["Operand"] == 600
    assert by_name["ScreenLockDelaySeconds"]["Operand"] == 0
    assert "600" in by_name["ScreenLockIdleSeconds"]["RemediationStrings"][0]["Title"]
    for rule in rules["Rules"]:
        assert rule["DataType"] == "Int64" and rule["MoreInfoUrl"] == URL
        en, ja = rule["RemediationStrings"]
        assert (en["Language"], ja["Language"]) == ("en_US", "ja_JP")
        assert re.search(r"[ぁ-んァ-ヶ一-龯]", ja["Title"] + ja["Description"])
        assert "{ActualValue}" in en["Title"] and "{ActualValue}" in ja["Title"]
        assert "{maximum}" not in en["Title"] + ja["Title"] + en["Description"]
    assert script.isascii()
    assert syntax_errors(script) == []
    assert clm_violations(script) == []
    assert "Checks: screen_lock." in script
    assert "InactivityTimeoutSecs" in script  # the probe runs in the script
    # The probe reads $EAFullLanguage (the console user's SID): its runspace is told it.
    assert "if ($EAFullLanguage) {" in INTUNE.probe.script
    assert '.AddScript("`$EAFullLanguage = `$true`n" + $Body.ToString())' in script


def test_no_maximum_reaches_the_unread_value() -> None:
    rules = INTUNE.rules(ScreenLockParams(max_idle_seconds=10**12), URL)
    assert all(isinstance(r.operand, int) and r.operand < UNREAD for r in rules)
    assert UNREAD == PY_UNREAD
    assert f"$EAScreenLockUnread = [int64]{UNREAD}" in INTUNE.settings_script


def test_the_snippet_sets_every_setting_before_it_reads_the_answer() -> None:
    snippet = INTUNE.settings_script
    assert syntax_errors(snippet) == [] and clm_violations(snippet) == []
    head = snippet.split("if ($null -ne $EAProbe)")[0]
    for name in INTUNE.settings:
        assert f"$EASettings['{name}'] = " in head, name
    assert set(screen_lock_settings(None)) == set(INTUNE.settings)
    assert set(screen_lock_settings(None).values()) == {UNREAD, -1}
    assert not intune_compliant(None, ScreenLockParams())


# --- the same verdicts as evaluate ------------------------------------------------------


def case_params(ref: str) -> dict[str, Any]:
    return dict(all_cases()[ref].params)


@pytest.mark.parametrize("ref", CASES)
def test_every_recorded_windows_answer_gets_the_verdict_evaluate_gives(
    ref: str, cli: Callable[..., Any], tmp_path: Path
) -> None:
    _, report = run_case(cli, ref, tmp_path)
    (host,) = report["hosts"]
    findings = [f for f in host["findings"] if f["check_id"] == "screen_lock"]
    assert findings
    evaluated = host["status"] == "ok" and all(f["status"] in PASSING for f in findings)
    params = ScreenLockParams.model_validate(case_params(ref))
    assert intune_compliant(recorded_answer(ref, KEY), params) is evaluated


def test_the_recorded_cases_cover_both_verdicts() -> None:
    verdicts = {intune_compliant(recorded_answer(r, KEY), ScreenLockParams()) for r in CASES}
    assert verdicts == {True, False}
    assert "screen_lock/win11-24h2-en-no-user" in CASES
    assert not intune_compliant(
        recorded_answer("screen_lock/win11-24h2-en-no-user", KEY), ScreenLockParams()
    )


def test_no_answer_is_compliant() -> None:
    good = recorded_answer(GOOD, KEY)
    params = ScreenLockParams()
    assert intune_compliant(good, params)
    assert not intune_compliant({}, params)
    assert not intune_compliant({**good, "users": []}, params)
    assert not intune_compliant({**good, "users": [*good["users"], "x"]}, params)
    assert not intune_compliant({**good, "inactivity_timeout_secs": None}, params)
    assert not intune_compliant({**good, "inactivity_timeout_secs": 0}, params)
    assert not intune_compliant({**good, "inactivity_timeout_secs": -1}, params)  # stricter
    assert not intune_compliant({**good, "grace_period_redirected": True}, params)
    assert not intune_compliant(good, ScreenLockParams(max_idle_seconds=1))


# --- made-up answers ----------------------------------------------------------------------


values = st.fixed_dictionaries(
    {
        "ScreenSaveActive": mostly("1", "0", " 1", 1, True, None),
        "ScreenSaverIsSecure": mostly("1", "0", "1 ", 1, None),
        "ScreenSaveTimeOut": mostly("600", "0", "900", "901", "-5", " 300 ", "x", "", 600, 600.0,
                                    "99999999999999999999", None),
        "SCRNSAVE.EXE": mostly("C:\\Windows\\system32\\scrnsave.scr", "", " ", "\x1c", "画面",
                               "\u3000", None),
    }
).map(drop_missing)  # fmt: skip
user = st.fixed_dictionaries(
    {
        "sid": mostly("S-1-5-21-1-2-3-1001", None),
        "user": mostly("CONTOSO\\alice", None, ""),
        "console": mostly(True, False),
        "hive_loaded": mostly(True, False, None, "True", 1),
        "read_error": mostly(None, "Access is denied", "", " ", 5),
        "user_values": mostly(values, {}, None, "x"),
        "policy_values": mostly(values, {}, None, "x"),
    }
).map(drop_missing)
users = st.one_of(
    st.lists(user, min_size=1, max_size=3),
    user,
    st.sampled_from([[], None, "x", [None], MISSING]),
)
answers = st.fixed_dictionaries(
    {
        "inactivity_timeout_secs": mostly(900, 600, 0, 901, -1, None, "900", " 900", "x", True,
                                          900.0, MISSING),
        "grace_period": mostly(None, "5", "0", "6", "-1", "x", 5, True),
        "grace_period_redirected": mostly(False, True, None, "True", 1),
        "users": users,
    }
).map(drop_missing)  # fmt: skip
param_sets = st.builds(
    ScreenLockParams,
    max_idle_seconds=st.sampled_from([600, 900]),
    max_lock_delay_seconds=st.sampled_from([5, 5, 0]),
    require_enforced=st.booleans(),
)


@settings(max_examples=600, deadline=None)
@given(answers, param_sets)
def test_made_up_answers_never_pass_in_intune_where_the_check_does_not(
    answer: dict[str, Any], params: ScreenLockParams
) -> None:
    if intune_compliant(answer, params):
        assert evaluated_compliant(answer, params), answer


def _plain(value: Any) -> bool:
    """A registry value as the live probe writes it: a text, or absent."""
    return value is None or isinstance(value, str)


def written_by_the_probe(answer: dict[str, Any]) -> bool:
    """Values of the types the live probe writes: [int64] or null, [string], [bool]."""
    machine = answer.get("inactivity_timeout_secs")
    if machine is not None and (type(machine) is not int or machine < 0):
        return False
    listed = answer.get("users")
    entries = listed if isinstance(listed, list) else [listed]
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        if not isinstance(entry.get("read_error"), str | None) or entry.get("read_error") == " ":
            return False
        for part in ("user_values", "policy_values"):
            block = entry.get(part)
            if isinstance(block, dict) and not all(_plain(v) for v in block.values()):
                return False
            program = block.get("SCRNSAVE.EXE") if isinstance(block, dict) else None
            if isinstance(program, str) and program.strip() and not re.search("[!-~]", program):
                return False  # a name without ASCII: not a screen saver chosen (stricter)
    return _plain(answer.get("grace_period"))


@settings(max_examples=400, deadline=None)
@given(answers, param_sets)
def test_answers_the_probe_can_write_get_the_checks_verdict(
    answer: dict[str, Any], params: ScreenLockParams
) -> None:
    """Stricter only where documented: with the value types the probe writes, the same
    verdict."""
    if written_by_the_probe(answer):
        assert intune_compliant(answer, params) is evaluated_compliant(answer, params), answer


def test_the_deployment_guide_lists_every_setting() -> None:
    guide = (Path(__file__).parents[2] / "docs" / "deploy-probes.md").read_text(encoding="utf-8")
    for name in INTUNE.settings:
        assert f"| `{name}` |" in guide, name
    assert f"**{INTUNE.check_id}**（" in guide  # the Japanese part names the check
