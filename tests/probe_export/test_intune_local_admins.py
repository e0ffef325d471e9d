"""`probe export --intune-compliance` for the local_admins check: for every recorded
Windows answer the rules judge the script's settings as `evaluate` judges the PC, the
allowed patterns are matched as fnmatchcase matches them, and no answer, recorded or made
up, is compliant in Intune where the check does not pass. Stricter only where
docs/deploy-probes.md says: a text of the answer outside printable ASCII and Japanese kana
and kanji."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from endpoint_audit.checkkit.check import EvalContext, FactView
from endpoint_audit.checks.local_admins.check import LocalAdmins, LocalAdminsParams
from endpoint_audit.checks.local_admins.facts import LocalAdminsFacts
from endpoint_audit.checks.local_admins.intune import INTUNE, allowed_regex, pattern_regex
from endpoint_audit.checks.local_admins.windows import WindowsLocalAdmins
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
from tests.probe_export.intune_settings_local_admins import local_admins_settings
from tests.probe_export.recorded import recorded_answer
from tests.replay_cases import all_cases, case_path
from tests.windows.clm_lint import clm_violations
from tests.windows.test_powershell import syntax_errors


def mostly(good: Any, *others: Any) -> st.SearchStrategy[Any]:
    return intune_harness.mostly(good, *others, keep=4)


NOW = datetime(2026, 12, 1, tzinfo=UTC)
KEY = "ps:local_admins"
CASES = windows_cases(KEY)
# The characters the snippet compares ($EALocalAdminsChar), and a space inside.
SAFE = "[!-~\u3001-\u303f\u3041-\u309f\u30a0-\u30ff\u4e00-\u9fff\uff66-\uff9f]"
SAFE_TEXT = f"{SAFE}(?:(?:{SAFE}| )*{SAFE})?"
PC = "S-1-5-21-9526073513-1762370368-3942940353"
DOMAIN = "S-1-5-21-2202743274-2568467625-1232712444"


def intune_rules(params: LocalAdminsParams) -> dict[str, Any]:
    return {"Rules": [r.model_dump(by_alias=True) for r in INTUNE.rules(params, URL)]}


def intune_compliant(answer: Any, params: LocalAdminsParams) -> bool:
    found = local_admins_settings(
        answer, allowed_regex(params), params.allow_enabled_builtin_administrator
    )
    return compliant(intune_rules(params), json.dumps(found, separators=(",", ":")))


# --- the rules file and the script ----------------------------------------------------


def test_the_rules_validate_and_the_patterns_reach_the_script_as_data(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    odd = ["S-1-5-21-*-512", "CORP\\IT-Admins", "'; exit 0; '", "総務課\\管理*", "$(exit)"]
    params = {"allowed": odd, "allow_enabled_builtin_administrator": True}
    script, rules = export(
        cli, tmp_path / "o", "-b", str(write_baseline(tmp_path, "local_admins", params))
    )
    jsonschema.validate(rules, SCHEMA)
    assert [r["SettingName"] for r in rules["Rules"]] == list(INTUNE.settings)
    for rule in rules["Rules"]:
        en, ja = rule["RemediationStrings"]
        assert (en["Language"], ja["Language"]) == ("en_US", "ja_JP")
        assert re.search(r"[ぁ-んァ-ヶ一-龯]", ja["Title"] + ja["Description"])
        assert "{ActualValue}" in en["Title"] and "{ActualValue}" in ja["Title"]
    assert script.isascii() and syntax_errors(script) == [] and clm_violations(script) == []
    assert "Checks: local_admins." in script
    assert "# --- local_admins: probe local_admins (FullLanguage only)" in script
    (line,) = [x for x in script.splitlines() if x.startswith("$EALocalAdminsAllowed = ")]
    assert "$EALocalAdminsBuiltinAllowed = $true" in script
    # Every pattern is one regular expression of escapes: no quote, no $( of the baseline.
    for regex in allowed_regex(LocalAdminsParams(allowed=odd)):
        assert regex.isascii() and "'" not in regex and "$" not in regex[:-1]
        assert f"'{regex}'" in line
    # Nothing outside the quoted strings: the baseline's quotes and $( are escapes there.
    assert re.fullmatch(r"\$EALocalAdminsAllowed = @\('[^']*'(?:, '[^']*')*\)", line)
    assert syntax_errors(line) == []


def test_the_default_pattern_is_the_checks_domain_admins() -> None:
    (regex,) = allowed_regex(LocalAdminsParams())
    assert re.search(regex, f"{DOMAIN}-512".lower())
    assert not re.search(regex, f"{DOMAIN}-513".lower())
    assert not re.search(regex, f"{DOMAIN}-512x".lower())
    assert not re.search(regex, f"x{DOMAIN}-512".lower())


def test_kana_and_kanji_have_no_case_and_ascii_folds_as_casefold() -> None:
    for low, high in ((0x3001, 0x303F), (0x3041, 0x309F), (0x30A0, 0x30FF), (0x4E00, 0x9FFF),
                      (0xFF66, 0xFF9F)):  # fmt: skip
        assert all(chr(u).casefold() == chr(u) for u in range(low, high + 1))
    printable = "".join(chr(u) for u in range(0x21, 0x7F))
    assert printable.casefold() == printable.lower()


def test_the_snippet_writes_the_vocabulary_of_the_rules_and_the_python_reading() -> None:
    snippet = INTUNE.settings_script
    assert syntax_errors(snippet) == [] and clm_violations(snippet) == []
    head = snippet.split("if ($null -ne $EAProbe)")[0]
    assert "$EASettings['LocalAdminsAnswer'] = 'Unknown'" in head
    assert "$EASettings['LocalAdminsUnexpected'] = [int64]-1" in head
    assert "$EASettings['LocalAdminsUnjudged'] = [int64]-1" in head
    assert set(local_admins_settings(None)) == set(INTUNE.settings)
    answers = set(re.findall(r"\$EAAnswer = '(\w+)'", snippet))
    assert answers == {"Read", "NoList", "Unread", "WithoutSid", "Unrecognised", "NoMembers"}
    # No culture-dependent case change, no localized name: SIDs, paths and numbers only.
    assert ".ToLower()" not in snippet and ".ToUpper()" not in snippet
    assert "-eq '" not in snippet and " -like " not in snippet and " -match " not in snippet
    assert "Administrator'" not in snippet


# --- the patterns: as fnmatchcase reads them ---------------------------------------------

pattern_chars = st.sampled_from([*"*?[]!-\\^a-zA-Z09 ._総務課ｶ", "\u017f", "\u212a", "ß"])
safe_chars = st.from_regex(f"\\A{SAFE}\\Z")


@settings(max_examples=400, deadline=None)
@given(st.text(pattern_chars, max_size=8), st.lists(safe_chars | st.just(" "), max_size=8))
def test_a_pattern_matches_what_fnmatchcase_matches(pattern: str, chars: list[str]) -> None:
    name = "".join(chars)
    folded = pattern.casefold()
    regex = pattern_regex(folded)
    assert regex.isascii()
    assert bool(re.search(regex, name.casefold())) is fnmatchcase(name.casefold(), folded), (
        pattern, name, regex,
    )  # fmt: skip


def test_brackets_as_fnmatch_reads_them() -> None:
    cases = {"[a-c]x": ("bx", "dx"), "[!a]": ("b", "a"), "[]]": ("]", "a"),
             "[": ("[", "a"), "a[!]b": ("a[!]b", "ab"), "[z-a]": (None, "z"),
             "総務*": ("総務課\\x", "総"), "\U0001f600": (None, "?")}  # fmt: skip
    for pattern, (good, bad) in cases.items():
        regex = pattern_regex(pattern)
        if good is not None:
            assert re.search(regex, good) and fnmatchcase(good, pattern), pattern
        assert not re.search(regex, bad) and not fnmatchcase(bad, pattern), pattern


# --- the same verdicts as evaluate ------------------------------------------------------


def case_params(ref: str) -> dict[str, Any]:
    return all_cases()[ref].params if ref.startswith("local_admins/") else {}


@pytest.mark.parametrize("ref", CASES)
def test_every_recorded_windows_answer_gets_the_verdict_evaluate_gives(
    ref: str, cli: Callable[..., Any], tmp_path: Path
) -> None:
    baseline = write_baseline(tmp_path, "local_admins", case_params(ref))
    result = cli("evaluate", str(case_path(ref)), "-b", str(baseline), "-f", "json")
    (host,) = json.loads(result.stdout)["hosts"]
    findings = [f for f in host["findings"] if f["check_id"] == "local_admins"]
    assert findings
    evaluated = host["status"] == "ok" and all(f["status"] in PASSING for f in findings)
    params = LocalAdminsParams.model_validate(case_params(ref))
    assert intune_compliant(recorded_answer(ref, KEY), params) is evaluated
    assert evaluated_compliant(recorded_answer(ref, KEY), params) is evaluated


def test_the_recorded_cases_cover_both_verdicts() -> None:
    verdicts = {intune_compliant(recorded_answer(r, KEY), LocalAdminsParams()) for r in CASES}
    assert verdicts == {True, False}


def test_unreadable_evidence_is_never_compliant_and_parameters_count() -> None:
    params = LocalAdminsParams()
    good = recorded_answer("local_admins/win11-domain-admins-only", KEY)
    assert intune_compliant(good, params)
    assert not intune_compliant(None, params)
    assert not intune_compliant({}, params)
    assert not intune_compliant({**good, "members_error": "-2147023580"}, params)
    assert not intune_compliant({**good, "members": []}, params)
    assert not intune_compliant({**good, "members": None}, params)
    members = good["members"]
    no_sid = [{**members[0], "sid": " "}, members[1]]
    assert not intune_compliant({**good, "members": no_sid}, params)
    # The built-in Administrator: enabled fails unless allowed; its state unread is unjudged.
    enabled = {**good, "builtin": {**good["builtin"], "disabled": False}}
    assert local_admins_settings(enabled, allowed_regex(params))["LocalAdminsUnexpected"] == 1
    assert not intune_compliant(enabled, params)
    allow = LocalAdminsParams(allow_enabled_builtin_administrator=True)
    assert intune_compliant(enabled, allow)
    for builtin in (None, {"sid": f"{PC}-500"}, {"sid": f"{PC}-501", "disabled": True}):
        unread = {**good, "builtin": builtin}
        assert local_admins_settings(unread, allowed_regex(params))["LocalAdminsUnjudged"] == 1
        assert not intune_compliant(unread, params)
        assert not evaluated_compliant(unread, params)
    # A name allowed by pattern, without case; a SID pattern the baseline adds.
    admins = {"class": "Group", "path": "WinNT://CORP/IT-Admins", "sid": f"{DOMAIN}-4001"}
    more = {**good, "members": [*members, admins]}
    assert not intune_compliant(more, params)
    assert intune_compliant(more, LocalAdminsParams(allowed=[*params.allowed, "corp\\it-*"]))
    assert intune_compliant(more, LocalAdminsParams(allowed=[*params.allowed, "*-4001"]))
    # An allowed pattern never allows the built-in Administrator itself.
    # ("*" fails to load from a baseline; built without validation, it shows the script.)
    assert not intune_compliant(enabled, LocalAdminsParams.model_construct(allowed=["*"]))
    # A path in other characters is judged by its SID only.
    german = {**admins, "path": "WinNT://CORP/Domänen-Admins"}
    odd = {**good, "members": [*members, german]}
    assert local_admins_settings(odd, allowed_regex(params))["LocalAdminsUnjudged"] == 1
    assert intune_compliant(odd, LocalAdminsParams(allowed=[*params.allowed, "*-4001"]))


# --- made-up answers ----------------------------------------------------------------------


def member(path: str, sid: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "class": mostly("User", "Group", None, 3),
            "path": mostly(
                path,
                path.lower(),
                path.upper(),
                " " + path,
                path + "\u3000",
                "\u3000" + path,
                path.replace("/", "//"),
                path.replace("WinNT://", "LDAP://"),
                "WinNT://" + sid,
                "WinNT://CORP/PC/Administrator",
                "WinNT://CORP/Domänen-Admins",
                "WinNT://企画課/ＰＣ/x",
                "",
                None,
                7,
            ),
            "sid": mostly(sid, sid.lower(), " " + sid, "", None, sid + "\x0b", f"{PC}-500", 5),
        }
    ).map(drop_missing)


members_ = st.lists(
    st.one_of(
        member("WinNT://CORP/TW-PC/Administrator", f"{PC}-500"),
        member("WinNT://CORP/Domain Admins", f"{DOMAIN}-512"),
        member("WinNT://CORP/Workstation Admins", f"{DOMAIN}-3846"),
        member("WinNT://S-1-12-1-31-12-31-88", "S-1-12-1-31-12-31-88"),
        member("WinNT://総務課/PC01/職員", f"{PC}-1001"),
        st.sampled_from([None, "x", [], 1]),
    ),
    max_size=4,
)
answers = st.fixed_dictionaries(
    {
        "members": st.one_of(members_, st.sampled_from([MISSING, None, "x"])),
        "members_error": mostly(None, "-2147023580", "", " ", "\x0b", 5),
        "builtin": st.one_of(
            st.fixed_dictionaries(
                {
                    "sid": mostly(f"{PC}-500", f"{PC}-501", " " + f"{PC}-500", None, 3),
                    "disabled": mostly(True, False, None, "True", 1),
                }
            ).map(drop_missing),
            st.sampled_from([None, MISSING, "x"]),
        ),
        "builtin_error": mostly(None, "-2147217405"),
    }
).map(drop_missing)
# Built without validation: patterns a baseline may not load ('*', 'S-1-12-1-*', matching
# everyone) still exercise how the script matches against the check.
baselines = st.builds(
    LocalAdminsParams.model_construct,
    allowed=st.lists(
        st.sampled_from(
            ["S-1-5-21-*-512", "s-1-5-21-*-512", "*", "*-500", "CORP\\Domain Admins",
             "corp\\workstation ?dmins", "S-1-12-1-*", "[!s]*", "總務課\\*", "総務課\\pc01\\*",
             "*-1001", "*\\職員", "*Admins", "[a-z]*\\*"]
        ),
        max_size=3,
    ),
    allow_enabled_builtin_administrator=st.booleans(),
)  # fmt: skip


def evaluated_compliant(answer: Any, params: LocalAdminsParams) -> bool:
    try:
        fact = WindowsLocalAdmins().parse_value(answer)
    except (CollectorError, FactUnavailable):
        return False
    ctx = EvalContext(platform=PlatformInfo(family=OsFamily.WINDOWS), now=NOW)
    outcomes = list(LocalAdmins().evaluate(FactView({LocalAdminsFacts: fact}), params, ctx))
    return bool(outcomes) and all(o.status.value in PASSING for o in outcomes)


def odd_text(answer: dict[str, Any]) -> bool:
    """A text of the answer outside what the snippet compares (docs/deploy-probes.md)."""
    texts = [answer.get("members_error")]
    builtin = answer.get("builtin")
    if isinstance(builtin, dict):
        texts.append(builtin.get("sid"))
    raw = answer.get("members")
    for entry in raw if isinstance(raw, list) else [raw]:
        if isinstance(entry, dict):
            texts += [entry.get("path"), entry.get("sid")]
    pattern = f"[ \t\r\n]*(?:{SAFE_TEXT})?[ \t\r\n]*"
    return any(isinstance(t, str) and not re.fullmatch(pattern, t) for t in texts)


@settings(max_examples=1000, deadline=None)
@given(answers, baselines)
def test_made_up_answers_get_the_checks_verdict_or_a_documented_stricter_one(
    answer: dict[str, Any], params: LocalAdminsParams
) -> None:
    verdict = intune_compliant(answer, params)
    evaluated = evaluated_compliant(answer, params)
    if verdict:
        assert evaluated, answer
    elif evaluated:
        assert odd_text(answer), answer
