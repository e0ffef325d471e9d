"""A rule's applicability (`applies_when`): false is not applicable naming the condition
and the value read, unreadable is unknown naming why (never a pass, never a silent not
applicable), true judges the conditions as before. Its reads are validated like the
conditions' and travel in the rule's own probe."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from endpoint_audit.checkkit.cases import ReplayCase
from endpoint_audit.checkkit.check import EvalContext, FactView, Outcome
from endpoint_audit.model.observed import Reason
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.model.result import Status
from endpoint_audit.model.rule import COMMAND_NOT_LOCAL, RuleEntry, command_rules
from endpoint_audit.rules.build import build_rule
from endpoint_audit.rules.evaluate import Truth, judge_rule
from endpoint_audit.rules.facts import ReadValue, absent_value, seen_value, unknown_value
from tests.baselines.helpers import run, write_yaml
from tests.rules.test_rule_cases import CASES, judge
from tests.rules.test_rule_logic import UNREAD, known_reads, leaf_count, trees

NOW = datetime(2026, 12, 1, tzinfo=UTC)
WINDOWS = PlatformInfo(family=OsFamily.WINDOWS, transport="replay")
OFFICE = {
    "read": {
        "registry": "HKLM\\SOFTWARE\\Microsoft\\Office\\ClickToRun\\Configuration",
        "value": "ProductReleaseIds",
    },
    "expect": {"present": True},
}
POLICY = {
    "read": {"registry": "HKLM\\SOFTWARE\\Policies\\T", "value": "v", "type": "dword"},
    "expect": {"eq": 1},
}


def rule(applies: Any, platforms: Any = None, **context: Any) -> RuleEntry:
    return RuleEntry.model_validate(
        {
            "type": "rule",
            "severity": "high",
            "title": {"ja": "t", "en": "t"},
            "remediation": {"ja": "t", "en": "t"},
            "platforms": platforms or {"windows": POLICY},
            "applies_when": applies,
        },
        context=context or None,
    )


def outcome(entry: RuleEntry, reads: list[ReadValue]) -> Outcome:
    parts = build_rule("t.applies", entry)
    fact = parts.fact(reads=tuple(reads), sources=("ps:rule.t.applies",))
    check = parts.check()
    (got,) = check.evaluate(FactView({parts.fact: fact}), None, EvalContext(WINDOWS, NOW))
    return got


PRESENT = seen_value("text", "O365ProPlusRetail", "ps:rule.t.applies", "REG_SZ")
GONE = absent_value("key", "ps:rule.t.applies")
ONE = seen_value("number", 1, "ps:rule.t.applies", "REG_DWORD")
ZERO = seen_value("number", 0, "ps:rule.t.applies", "REG_DWORD")
DENIED = unknown_value("ps:rule.t.applies", "denied", read="office")


# --- judging ---------------------------------------------------------------------------


def test_false_is_not_applicable_naming_the_condition_and_the_value() -> None:
    got = outcome(rule({"windows": OFFICE}), [GONE, ONE])
    assert got.status is Status.NOT_APPLICABLE
    assert got.key == "rule.msg.not_applicable"
    observed = got.args["observed"]
    assert isinstance(observed, Reason) and observed.key == "rule.observed.absent_key"
    assert "ProductReleaseIds" in str(observed.args["read"])
    assert 'ProductReleaseIds {"present":true}' in str(got.args["condition"])
    # The evidence names the applicability read, marked, with its source.
    assert got.evidence[0].excerpt.startswith("applies_when: HKLM\\SOFTWARE\\Microsoft\\Office")
    assert got.evidence[0].source == "ps:rule.t.applies"
    assert got.actual[0]["part"] == "applies_when"


def test_unreadable_is_unknown_naming_why_whatever_the_conditions_read() -> None:
    for conditions in (ONE, ZERO, GONE):
        got = outcome(rule({"windows": OFFICE}), [DENIED, conditions])
        assert got.status is Status.UNKNOWN
        assert got.key == "rule.msg.applies_unknown"
        reason = got.args["reason"]
        assert isinstance(reason, Reason) and reason.key == "rule.reason.denied"


def test_true_judges_the_conditions_as_without_it() -> None:
    plain = RuleEntry.model_validate(
        {
            "type": "rule",
            "severity": "high",
            "title": {"ja": "t", "en": "t"},
            "remediation": {"ja": "t", "en": "t"},
            "platforms": {"windows": POLICY},
        }
    )
    for value, status in ((ONE, Status.PASS), (ZERO, Status.FAIL), (DENIED, Status.UNKNOWN)):
        got = outcome(rule({"windows": OFFICE}), [PRESENT, value])
        alone = outcome(plain, [value])
        assert got.status is status is alone.status
        assert got.key == alone.key
        # The applicability's read comes first in the evidence, then the conditions'.
        assert [e.excerpt.startswith("applies_when: ") for e in got.evidence] == [True, False]


def test_another_family_without_applicability_is_judged_as_before() -> None:
    entry = rule(
        {"windows": OFFICE},
        {"windows": POLICY, "linux": {"read": {"sysctl": "kernel.x"}, "expect": {"eq": 1}}},
    )
    assert entry.applies_tree(OsFamily.LINUX) is None
    assert [leaf.read.label() for leaf in entry.read_leaves(OsFamily.LINUX)] == ["sysctl kernel.x"]
    assert len(entry.read_leaves(OsFamily.WINDOWS)) == 2


def guard_of(data: dict[str, Any]) -> RuleEntry:
    return rule({"windows": data})


def _status_of(entry: RuleEntry, guard_reads: list[ReadValue], own: ReadValue) -> Status:
    return outcome(entry, [*guard_reads, own]).status


@settings(max_examples=300, deadline=None)
@given(data=trees, reads=st.data())
def test_an_unread_applicability_value_never_decides_pass_or_not_applicable(
    data: dict[str, Any], reads: Any
) -> None:
    """Whatever the applicability tree and whichever of its values were not read: a pass
    or a not applicable stays the same for every value the unread ones could have held.
    So neither is ever decided by what was not read."""
    entry = guard_of(data)
    tree = entry.applies_tree(OsFamily.WINDOWS)
    assert tree is not None
    n = leaf_count(tree)
    got = reads.draw(st.lists(st.one_of(known_reads, st.just(UNREAD)), min_size=n, max_size=n))
    own = reads.draw(st.one_of(st.just(ONE), st.just(ZERO), st.just(UNREAD)))
    status = _status_of(entry, got, own)
    guard_truth = judge_rule(tree, got, NOW).status
    if guard_truth is Truth.UNKNOWN:
        assert status is Status.UNKNOWN
    if status not in (Status.PASS, Status.NOT_APPLICABLE):
        return
    for _ in range(5):
        filled = [reads.draw(known_reads) if r.state == "unknown" else r for r in got]
        assert _status_of(entry, filled, own) is status


@settings(max_examples=200, deadline=None)
@given(data=trees)
def test_nothing_read_about_applicability_is_unknown(data: dict[str, Any]) -> None:
    entry = guard_of(data)
    tree = entry.applies_tree(OsFamily.WINDOWS)
    assert tree is not None
    for own in (ONE, ZERO):
        assert _status_of(entry, [UNREAD] * leaf_count(tree), own) is Status.UNKNOWN


# --- validation --------------------------------------------------------------------------


def _error(applies: Any, platforms: Any = None, **context: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        rule(applies, platforms, **context)
    return str(caught.value)


def test_applies_when_of_a_family_the_rule_does_not_judge_is_refused() -> None:
    linux = {"read": {"sysctl": "kernel.x"}, "expect": {"eq": 1}}
    assert "applies_when names linux, which the rule has no conditions" in _error({"linux": linux})


def test_applies_when_reads_are_checked_like_conditions() -> None:
    assert "is read on windows, not under linux" in _error(
        {"linux": OFFICE}, {"linux": {"read": {"sysctl": "kernel.x"}, "expect": {"eq": 1}}}
    )
    bad = {"read": {"registry": "HKCU\\Software\\X", "value": "v"}, "expect": {"present": True}}
    assert "unknown hive 'HKCU'" in _error({"windows": bad})
    assert "at least 1 item" in _error({})


def test_a_command_in_applies_when_needs_a_local_baseline() -> None:
    command = {
        "read": {"command": ["/usr/bin/true"], "property": "exit_status"},
        "expect": {"eq": 0},
    }
    macos = {"macos": {"read": {"plist": "com.apple.x", "key": "k"}, "expect": {"eq": True}}}
    assert COMMAND_NOT_LOCAL in _error({"macos": command}, macos)
    allowed = rule({"macos": command}, macos, command_allowed=True)
    # A command run only to tell applicability still makes the rule one that runs a program.
    assert command_rules({"t.applies": allowed}) == ["t.applies"]


# --- the shipped rule: jp.office_macros_blocked --------------------------------------------

RULE_ID = "jp.office_macros_blocked"
PROBE = f"ps:rule.{RULE_ID}"
OFFICE_READS = 5  # Click-to-Run and four MSI Office 2016 Uninstall keys


def _with_office_reads(case: ReplayCase, office: list[dict[str, Any]]) -> ReplayCase:
    command = case.commands[PROBE]
    reads = json.loads(command.stdout)["reads"]
    stdout = json.dumps({"reads": office + reads[OFFICE_READS:]})
    commands = {**case.commands, PROBE: command.model_copy(update={"stdout": stdout})}
    return case.model_copy(update={"commands": commands})


ABSENT = {"state": "absent", "absent": "key"}
CLICK_TO_RUN = {"state": "value", "kind": "String", "value": "O365ProPlusRetail"}


def test_the_shipped_rule_has_the_four_outcomes() -> None:
    statuses = {CASES[ref].expect[0].status.value for ref in CASES if ref.startswith(f"{RULE_ID}/")}
    assert statuses == {"pass", "fail", "unknown", "not_applicable"}


def test_removing_office_from_a_passing_case_makes_it_not_applicable(tmp_path: Path) -> None:
    case = CASES[f"{RULE_ID}/win11-23h2-en-macros-blocked"]
    assert judge(RULE_ID, case, tmp_path)["findings"][0]["status"] == "pass"
    bare = _with_office_reads(case, [ABSENT] * OFFICE_READS)
    (finding,) = judge(RULE_ID, bare, tmp_path)["findings"]
    assert finding["status"] == "not_applicable", finding["message"]
    assert "ProductReleaseIds: the registry key does not exist" in finding["message"]


def test_installing_office_on_a_not_applicable_case_judges_it(tmp_path: Path) -> None:
    case = CASES[f"{RULE_ID}/win11-24h2-ja-no-office"]
    assert judge(RULE_ID, case, tmp_path)["findings"][0]["status"] == "not_applicable"
    for office in (
        [CLICK_TO_RUN, *[ABSENT] * 4],
        [*[ABSENT] * 3, {"state": "value", "kind": "String", "value": "Office 2016"}, ABSENT],
    ):
        (finding,) = judge(RULE_ID, _with_office_reads(case, office), tmp_path)["findings"]
        # Judged: the user's hive has no macro policy.
        assert finding["status"] == "fail", finding["message"]


def test_one_unreadable_office_read_with_none_found_is_unknown(tmp_path: Path) -> None:
    case = CASES[f"{RULE_ID}/win11-24h2-ja-no-office"]
    office = [{"state": "denied"}, *[ABSENT] * 4]
    (finding,) = judge(RULE_ID, _with_office_reads(case, office), tmp_path)["findings"]
    assert finding["status"] == "unknown"
    assert finding["message_key"] == "rule.msg.applies_unknown"
    assert "access denied" in finding["message"]


def test_a_bundle_recorded_before_applies_when_is_never_judged(tmp_path: Path) -> None:
    """The probe's answer without the Office reads (three reads, not eight)."""
    case = CASES[f"{RULE_ID}/win11-23h2-en-macros-blocked"]
    (finding,) = judge(RULE_ID, _with_office_reads(case, []), tmp_path)["findings"]
    assert finding["status"] in ("error", "unknown")


def test_baseline_show_displays_applies_when() -> None:
    ran = run("baseline", "show", "jp-municipal-telework")
    assert ran.code == 0, ran.stderr
    shown = yaml.safe_load(ran.stdout)["checks"][RULE_ID]
    guard = shown["applies_when"]["windows"]["any"]
    assert guard[0]["read"]["value"] == "ProductReleaseIds"
    assert guard[0]["expect"] == {"present": True}


def test_the_docs_example_is_the_shipped_rule_s_applicability() -> None:
    """docs/rules.md shows applies_when in its Japanese and English parts: the same reads
    as the shipped rule."""
    from endpoint_audit.engine.plan import load_plan_baseline
    from endpoint_audit.engine.registry import load_registry

    text = (Path(__file__).parents[2] / "docs" / "rules.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in text.split("```yaml\n")[1:]]
    blocks = [b for b in blocks if "applies_when" in b]
    assert len(blocks) == 2  # ja and en
    shipped = load_plan_baseline("jp-municipal-telework", load_registry()).rules[RULE_ID]
    guard = shipped.model_dump(mode="json", exclude_none=True)["applies_when"]["windows"]["any"]
    for block in blocks:
        example = yaml.safe_load(block)[RULE_ID]["applies_when"]["windows"]["any"]
        assert example and all(part in guard for part in example)


def test_baseline_diff_names_a_new_applicability(tmp_path: Path) -> None:
    plain = {
        "id": "a",
        "title": {"ja": "a", "en": "a"},
        "version": "1",
        "checks": {
            "t.rule": {
                "type": "rule",
                "severity": "high",
                "title": {"ja": "t", "en": "t"},
                "remediation": {"ja": "t", "en": "t"},
                "platforms": {"windows": POLICY},
            }
        },
    }
    before = write_yaml(tmp_path / "a.yaml", plain)
    plain["checks"]["t.rule"]["applies_when"] = {"windows": OFFICE}  # type: ignore[index]
    after = write_yaml(tmp_path / "b.yaml", plain)
    ran = run("baseline", "diff", before, after)
    assert ran.code == 0, ran.stderr
    assert "t.rule.params.applies_when [windows]: null ->" in ran.stdout
    assert "ProductReleaseIds" in ran.stdout
