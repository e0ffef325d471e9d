"""`probe export --intune-compliance` for the patch_level check: the release table in use is
embedded in the script, and for every recorded Windows answer the rules judge the script's
settings (the PC's clock at the time it was collected) as `evaluate` judges the PC; no
answer, recorded or made up, is compliant in Intune where the check does not pass.
Stricter only where docs/deploy-probes.md says."""

from __future__ import annotations

import copy
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
from endpoint_audit.checks.patch_level.check import PatchLevel, PatchLevelParams
from endpoint_audit.checks.patch_level.facts import PatchFacts
from endpoint_audit.checks.patch_level.intune import INTUNE, UNREAD, ps_rows, table_for_export
from endpoint_audit.checks.patch_level.windows import parse_windows_update, why
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
    write_baseline,
)
from tests.probe_export.intune_operators import compliant
from tests.probe_export.intune_settings_patch_level import UNREAD as PY_UNREAD
from tests.probe_export.intune_settings_patch_level import patch_level_settings
from tests.probe_export.recorded import recorded_answer
from tests.replay_cases import all_cases
from tests.windows.clm_lint import clm_violations
from tests.windows.test_powershell import syntax_errors


def mostly(good: Any, *others: Any) -> st.SearchStrategy[Any]:
    return intune_harness.mostly(good, *others, keep=23)


KEY = "ps:windows_update"
PENDING = "ps:windows_update_pending"
CASES = sorted(
    ref
    for ref, case in all_cases().items()
    if ref.startswith("patch_level/") and case.platform.family is OsFamily.WINDOWS
)
GOOD = "patch_level/win11-23h2-en-compliant"


def intune_compliant(main: Any, pending: Any, params: PatchLevelParams, now: datetime) -> bool:
    found = patch_level_settings(
        main, pending, table_for_export(), params.monthly_update_grace_days, now
    )
    rules = {"Rules": [r.model_dump(by_alias=True) for r in INTUNE.rules(params, URL)]}
    return compliant(rules, json.dumps(found, separators=(",", ":")))


def evaluated_compliant(main: Any, pending: Any, params: PatchLevelParams, now: datetime) -> bool:
    if main is None:
        return False
    error = None if pending is not None else why("wu_search_failed", output="-")
    try:
        fact = parse_windows_update(main, pending, error)
    except CollectorError:
        return False
    ctx = EvalContext(platform=PlatformInfo(family=OsFamily.WINDOWS), now=now)
    outcomes = PatchLevel().evaluate(FactView({PatchFacts: fact}), params, ctx)
    return all(o.status.value in PASSING for o in outcomes)


def answers(ref: str) -> tuple[Any, Any, datetime]:
    case = all_cases()[ref]
    pending = recorded_answer(ref, PENDING) if PENDING in case.commands else None
    return recorded_answer(ref, KEY), pending, case.collected_at.astimezone(UTC)


# --- the rules file and the script ----------------------------------------------------


def test_the_rules_follow_the_baseline_and_validate(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    params = {"max_pending_security_updates": 2, "max_days_since_update": 45}
    baseline = write_baseline(tmp_path, "patch_level", params)
    script, rules = export(cli, tmp_path / "out", "-b", str(baseline))
    jsonschema.validate(rules, SCHEMA)
    by_name = {r["SettingName"]: r for r in rules["Rules"]}
    assert list(by_name) == list(INTUNE.settings)
    assert by_name["PatchPendingSecurityUpdates"]["Operand"] == 2
    assert by_name["PatchDaysSinceUpdate"]["Operand"] == 45
    assert "45" in by_name["PatchDaysSinceUpdate"]["RemediationStrings"][1]["Title"]
    reboot = by_name["PatchRebootPending"]
    assert (reboot["Operator"], reboot["Operand"]) == ("IsEquals", 0)
    assert by_name["PatchMonthlyUpdate"]["Operand"] == "Current"
    for rule in rules["Rules"]:
        en, ja = rule["RemediationStrings"]
        assert (en["Language"], ja["Language"]) == ("en_US", "ja_JP")
        assert re.search(r"[ぁ-んァ-ヶ一-龯]", ja["Title"] + ja["Description"])
        assert "{ActualValue}" in en["Title"] and "{ActualValue}" in ja["Title"]
    assert script.isascii()
    assert syntax_errors(script) == []
    assert clm_violations(script) == []
    assert "Checks: patch_level." in script
    assert "probe windows_update_pending (FullLanguage only)" in script
    data = table_for_export()
    assert data is not None
    assert f"$EAPatchAsOf = [int64]{data.as_of}" in script
    assert "'KB5046613' = 202411" in script


def test_allowing_a_pending_restart_accepts_one_but_not_an_unread_one() -> None:
    rules = INTUNE.rules(PatchLevelParams(allow_reboot_pending=True), URL)
    (reboot,) = [r for r in rules if r.setting_name == "PatchRebootPending"]
    assert (reboot.operator, reboot.operand) == ("GreaterEquals", 0)
    # (A baseline may not load 10**6 days; built without validation, the sentinel holds.)
    huge_params = PatchLevelParams.model_construct(
        max_pending_security_updates=10**6, max_days_since_update=10**6
    )
    huge = INTUNE.rules(huge_params, URL)
    assert all(r.operand != UNREAD for r in huge)
    assert UNREAD == PY_UNREAD
    assert f"$EAPatchUnread = [int64]{UNREAD}" in INTUNE.settings_script


def test_the_snippet_sets_every_setting_before_it_reads_the_answer() -> None:
    snippet = INTUNE.settings_script
    first_read = snippet.index("$EAPending = ")
    for name in INTUNE.settings:
        assert snippet.index(f"$EASettings['{name}'] = ") < first_read, name


def case_params(ref: str) -> dict[str, Any]:
    return all_cases()[ref].params


@pytest.mark.parametrize("ref", CASES)
def test_every_recorded_windows_answer_gets_the_verdict_evaluate_gives(
    ref: str, cli: Callable[..., Any], tmp_path: Path
) -> None:
    _, report = run_case(cli, ref, tmp_path)
    (host,) = report["hosts"]
    findings = [f for f in host["findings"] if f["check_id"] == "patch_level"]
    assert findings
    evaluated = host["status"] == "ok" and all(f["status"] in PASSING for f in findings)
    params = PatchLevelParams.model_validate(case_params(ref))
    main, pending, now = answers(ref)
    assert intune_compliant(main, pending, params, now) is evaluated


def test_the_recorded_cases_cover_both_verdicts() -> None:
    verdicts = {intune_compliant(*answers(r)[:2], PatchLevelParams(), answers(r)[2]) for r in CASES}
    assert verdicts == {True, False}


def test_no_answer_is_compliant() -> None:
    main, pending, now = answers(GOOD)
    params = PatchLevelParams()
    assert intune_compliant(main, pending, params, now)
    assert not intune_compliant(None, pending, params, now)
    assert not intune_compliant(main, None, params, now)  # CLM: no search
    assert not intune_compliant({}, pending, params, now)
    assert not intune_compliant(main, pending, params, now + timedelta(days=8))  # stale scan
    assert not intune_compliant(main, {**pending, "search": {"finished": False}}, params, now)
    no_wow = {k: v for k, v in main.items() if k != "wow64"}
    assert not intune_compliant(no_wow, pending, params, now)
    reboot = {**main, "wu_reboot_required": True}
    assert not intune_compliant(reboot, pending, params, now)
    assert intune_compliant(reboot, pending, PatchLevelParams(allow_reboot_pending=True), now)
    allowed = PatchLevelParams(allow_reboot_pending=True)
    unread = {**main, "wu_found": False, "wu_reboot_required": None}
    assert not intune_compliant(unread, pending, allowed, now)
    assert not intune_compliant({**main, "hotfixes": []}, pending, params, now)
    assert not intune_compliant({**main, "hotfix_error": "Access denied"}, pending, params, now)
    assert not intune_compliant(main, pending, PatchLevelParams(max_days_since_update=0),
                                now + timedelta(days=2))  # fmt: skip


# --- made-up answers ----------------------------------------------------------------------

GOOD_MAIN, GOOD_PENDING, GOOD_NOW = answers(GOOD)


_CV = GOOD_MAIN["current_version"]["values"]
current_values = st.fixed_dictionaries(
    {
        "CurrentBuildNumber": mostly(_CV["CurrentBuildNumber"], "22621", "19045", "26100",
                                     " 22631", "22631 ", 22631, "99999", "", None),
        "UBR": mostly(_CV["UBR"], 4460, 4751, 4169, 0, -1, "4460", 99999, None, True),
        "InstallationType": mostly("Client", "Server", "client", " Client", "Client\u3000",
                                   "", None, 1),
    }
).map(drop_missing)  # fmt: skip
hotfix = st.fixed_dictionaries(
    {
        "id": mostly(st.sampled_from([h["id"] for h in GOOD_MAIN["hotfixes"]]), "KB5046613",
                     "kb5046613", " KB5046613", "\u3000KB5046613", "KB890830", "File 1", None, 5),
        "installed_on": mostly(st.sampled_from([h["installed_on"] for h in GOOD_MAIN["hotfixes"]]),
                               "11/13/2024", "13/13/2024", "2/30/2024", "01d93a0c6e1b2000",
                               "12/31/2099", "", None, 5),
        "error": mostly(None, "Access denied", "", " ", "\u3000"),
        "description": st.just("Update"),
    }
).map(drop_missing)  # fmt: skip
main_answers = st.fixed_dictionaries(
    {
        "wow64": mostly(False, True, None, "False"),
        "current_version": mostly(
            st.fixed_dictionaries({"found": mostly(True, False, None), "values": current_values}),
            None, "x", {}),
        "cbs_found": mostly(True, False, None),
        "cbs_reboot_pending": mostly(False, True, None, "False", 0),
        "wu_found": mostly(True, False, None),
        "wu_reboot_required": mostly(False, True, None, "False", 0),
        "pending_file_renames": mostly(0, 3, None),
        "hotfixes": mostly(st.lists(hotfix, max_size=4), hotfix, None, "x", [None]),
        "hotfix_error": mostly(None, "Access denied", "", " "),
    }
).map(drop_missing)  # fmt: skip
update = st.fixed_dictionaries(
    {
        "categories": mostly(st.sampled_from([["28bc880e-0592-4cbf-8f95-c79b17911d5f"],
                                              ["e0789628-ce08-4437-be74-2495b842f43b"]]),
                             ["0fa1201d-4330-4fa8-8ae9-b877473b6441"],
                             ["0FA1201D-4330-4FA8-8AE9-B877473B6441"],
                             ["e6cf1350-c01b-414d-a61f-263d14d133b4"], "x", None, []),
        "msrc_severity": mostly("", "Critical", " ", "\u3000", None, 1),
        "kb": st.just(["890830"]),
        "title": st.just("x"),
    }
).map(drop_missing)  # fmt: skip
pending_answers = st.fixed_dictionaries(
    {
        "last_search_success": mostly(GOOD_PENDING["last_search_success"],
                                      "2024-11-01T00:00:00Z", "2099-01-01T00:00:00Z",
                                      "2024-11-19T21:05:33+00:00", "x", "", None),
        "search": mostly(
            st.fixed_dictionaries({
                "finished": mostly(True, False, None, "True"),
                "seconds": st.just(30),
                "value": mostly(st.fixed_dictionaries({
                    "result_code": mostly(2, 3, 4, "2", None),
                    "updates": mostly(st.lists(update, max_size=3), update, None, "x", [None]),
                }), None, "x"),
            }),
            None, "x"),
    }
).map(drop_missing)  # fmt: skip
param_sets = st.builds(
    PatchLevelParams,
    max_pending_security_updates=st.sampled_from([0, 0, 1]),
    max_days_since_update=st.sampled_from([30, 30, 5, 0]),
    allow_reboot_pending=st.booleans(),
    monthly_update_grace_days=st.sampled_from([30, 30, 10, 60]),
)
clocks = st.sampled_from([0, 0, 0, 1, -1, 7, 9, 40, 400]).map(
    lambda d: GOOD_NOW + timedelta(days=d)
)


@settings(max_examples=600, deadline=None)
@given(mostly(main_answers, None, "x"), mostly(pending_answers, None, "x"), param_sets, clocks)
def test_made_up_answers_never_pass_in_intune_where_the_check_does_not(
    main: Any, pending: Any, params: PatchLevelParams, now: datetime
) -> None:
    if main is MISSING:
        main = None
    if pending is MISSING:
        pending = None
    if intune_compliant(main, pending, params, now):
        assert evaluated_compliant(main, pending, params, now), (main, pending)


def test_a_made_up_copy_of_a_good_answer_passes_both() -> None:
    # The generators above reach a compliant answer (else the property is vacuous).
    assert intune_compliant(copy.deepcopy(GOOD_MAIN), GOOD_PENDING, PatchLevelParams(), GOOD_NOW)
    assert evaluated_compliant(GOOD_MAIN, GOOD_PENDING, PatchLevelParams(), GOOD_NOW)


def test_the_deployment_guide_lists_every_setting() -> None:
    guide = (Path(__file__).parents[2] / "docs" / "deploy-probes.md").read_text(encoding="utf-8")
    for name in INTUNE.settings:
        assert f"| `{name}` |" in guide, name
    assert f"**{INTUNE.check_id}**（" in guide  # the Japanese part names the check


def test_a_build_with_one_monthly_release_stays_an_array_of_rows() -> None:
    assert ps_rows([(1, 2, 3)]) == "@(, @(1, 2, 3))"
    assert ps_rows([(1, 2), (3, 4)]) == "@(@(1, 2), @(3, 4))"
    assert ps_rows([]) == "@()"


def _ascii_text(value: Any) -> bool:
    """A text as the live probe writes it, without blanks the check would trim and the
    snippet would not."""
    return value is None or (
        isinstance(value, str) and value.isascii() and value == value.strip(" \t\r\n")
    )


def written_by_the_probe(main: Any, pending: Any) -> bool:
    """Values of the types and forms the live probe writes (no FILETIME, a scan time
    in its own form): elsewhere Intune is stricter, as documented."""
    if not isinstance(main, dict):
        return True
    values = main.get("current_version")
    values = values.get("values", {}) if isinstance(values, dict) else {}
    if not isinstance(values.get("UBR"), int | None) or isinstance(values.get("UBR"), bool):
        return False
    if not all(_ascii_text(values.get(k)) for k in ("CurrentBuildNumber", "InstallationType")):
        return False
    if not _ascii_text(main.get("hotfix_error")):
        return False
    fixes = main.get("hotfixes")
    for fix in fixes if isinstance(fixes, list) else [fixes]:
        if isinstance(fix, dict):
            parts = (fix.get("id"), fix.get("installed_on"), fix.get("error"))
            if not all(_ascii_text(p) for p in parts) or "/" not in str(fix.get("installed_on")):
                return False
    scan = pending.get("last_search_success") if isinstance(pending, dict) else None
    if isinstance(scan, str) and scan and not re.fullmatch(r"[0-9-]{10}T[0-9:]{8}Z", scan):
        return False  # the probe writes yyyy-MM-ddTHH:mm:ssZ; another form is stricter
    search = pending.get("search") if isinstance(pending, dict) else None
    value = search.get("value") if isinstance(search, dict) else None
    updates = value.get("updates") if isinstance(value, dict) else None
    for entry in updates if isinstance(updates, list) else []:
        if isinstance(entry, dict) and not _ascii_text(entry.get("msrc_severity")):
            return False
    return True


@settings(max_examples=400, deadline=None)
@given(main_answers, pending_answers, param_sets, clocks)
def test_answers_the_probe_can_write_get_the_checks_verdict(
    main: Any, pending: Any, params: PatchLevelParams, now: datetime
) -> None:
    """Stricter only where documented: with the values the probe writes, the same verdict."""
    if written_by_the_probe(main, pending):
        verdict = evaluated_compliant(main, pending, params, now)
        assert intune_compliant(main, pending, params, now) is verdict, (main, pending)
