"""The rule logic never passes on what it did not read: property tests over random
condition trees and random reads (values, absent, unknown)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from endpoint_audit.model.result import Status
from endpoint_audit.model.rule import Condition, Conditions, RuleEntry, condition_leaves
from endpoint_audit.rules.evaluate import Truth, combine, judge_rule
from endpoint_audit.rules.facts import ReadValue, absent_value, seen_value, unknown_value

NOW = datetime(2026, 12, 1, tzinfo=UTC)

compares = st.sampled_from(
    [
        {"eq": 1},
        {"ne": 0},
        {"in": [0, 1]},
        {"ge": 1},
        {"lt": 5},
        {"absent": True},
        {"present": True},
    ]
)
expects: st.SearchStrategy[dict[str, Any]] = st.recursive(
    compares,
    lambda inner: st.one_of(
        st.builds(lambda xs: {"all": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda xs: {"any": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda xs: {"none": xs}, st.lists(inner, min_size=1, max_size=3)),
    ),
    max_leaves=4,
)
leaves = st.builds(
    lambda e, n: {"read": {"registry": f"HKLM\\SOFTWARE\\T\\{n}", "value": "v"}, "expect": e},
    expects,
    st.integers(0, 9),
)
trees: st.SearchStrategy[dict[str, Any]] = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.builds(lambda xs: {"all": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda xs: {"any": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda xs: {"none": xs}, st.lists(inner, min_size=1, max_size=3)),
    ),
    max_leaves=6,
)
known_reads = st.one_of(
    st.integers(-2, 6).map(lambda v: seen_value("number", v, "ps:rule.t", "REG_DWORD")),
    st.just(absent_value("value", "ps:rule.t")),
    st.just(absent_value("key", "ps:rule.t")),
    st.sampled_from(["0", "1", "x"]).map(lambda v: seen_value("text", v, "ps:rule.t", "REG_SZ")),
)
UNREAD = unknown_value("ps:rule.t", "denied", read="t")


def tree_of(data: dict[str, Any]) -> Conditions:
    rule = RuleEntry.model_validate(
        {
            "type": "rule",
            "severity": "low",
            "title": {"ja": "t", "en": "t"},
            "remediation": {"ja": "t", "en": "t"},
            "platforms": {"windows": data},
        }
    )
    return next(iter(rule.platforms.values()))


def leaf_count(tree: Conditions) -> int:
    return len(condition_leaves(tree))


@settings(max_examples=300)
@given(data=trees, reads=st.data())
def test_a_pass_holds_whatever_the_unread_values_are(data: dict[str, Any], reads: Any) -> None:
    """Replace every unread value by any value at all: a pass stays a pass. So a pass is
    proved by what was read, never by what was not."""
    tree = tree_of(data)
    n = leaf_count(tree)
    got = reads.draw(st.lists(st.one_of(known_reads, st.just(UNREAD)), min_size=n, max_size=n))
    verdict = judge_rule(tree, got, NOW)
    if verdict.status is not Truth.HOLDS:
        return
    for _ in range(5):
        filled = [reads.draw(known_reads) if r.state == "unknown" else r for r in got]
        assert judge_rule(tree, filled, NOW).status is Truth.HOLDS


@settings(max_examples=300)
@given(data=trees)
def test_nothing_read_is_never_a_pass(data: dict[str, Any]) -> None:
    tree = tree_of(data)
    verdict = judge_rule(tree, [UNREAD] * leaf_count(tree), NOW)
    assert verdict.status is Truth.UNKNOWN


@settings(max_examples=200)
@given(data=trees, reads=st.data())
def test_unknown_is_between_pass_and_fail(data: dict[str, Any], reads: Any) -> None:
    """An unknown verdict is one that some values of the unread reads would make a pass
    and others a fail, or one a comparison could not settle; a pass or fail is settled."""
    tree = tree_of(data)
    n = leaf_count(tree)
    got = reads.draw(st.lists(st.one_of(known_reads, st.just(UNREAD)), min_size=n, max_size=n))
    verdict = judge_rule(tree, got, NOW)
    assert len(verdict.leaves) == n
    if verdict.status is Truth.UNKNOWN:
        assert any(leaf.status is Truth.UNKNOWN for leaf in verdict.leaves)


def _c(expect: dict[str, Any]) -> Condition:
    tree = tree_of({"read": {"registry": "HKLM\\SOFTWARE\\T", "value": "v"}, "expect": expect})
    assert isinstance(tree, Condition)
    return tree


def judge(expect: dict[str, Any], read: ReadValue) -> Truth:
    return judge_rule(_c(expect), [read], NOW).status


def test_absent_is_explicit() -> None:
    gone = absent_value("value", "ps:rule.t")
    assert judge({"absent": True}, gone) is Truth.HOLDS
    assert judge({"present": True}, gone) is Truth.FAILS
    # A comparison the rule writes without saying what absence means: unknown, naming it.
    verdict = judge_rule(_c({"eq": 0}), [gone], NOW)
    assert verdict.status is Truth.UNKNOWN
    assert verdict.leaves[0].reason is not None
    assert verdict.leaves[0].reason.key == "rule.reason.absent_not_covered_value"
    assert judge({"any": [{"absent": True}, {"eq": 0}]}, gone) is Truth.HOLDS
    assert judge({"all": [{"present": True}, {"eq": 0}]}, gone) is Truth.FAILS


def test_types_are_never_coerced() -> None:
    one_text = seen_value("text", "1", "ps:rule.t", "REG_SZ")
    one = seen_value("number", 1, "ps:rule.t", "REG_DWORD")
    assert judge({"eq": 1}, one) is Truth.HOLDS
    assert judge({"eq": 1}, one_text) is Truth.UNKNOWN  # "1" is not 1, nor is it not
    assert judge({"ne": 1}, one_text) is Truth.UNKNOWN
    assert judge({"eq": "1"}, one) is Truth.UNKNOWN
    assert judge({"eq": True}, one) is Truth.UNKNOWN
    assert judge({"ge": 1}, one_text) is Truth.UNKNOWN


def test_hex_and_decimal_are_one_number() -> None:
    # YAML reads 0x311 as 785; the probe sends the DWORD as a number whatever its notation.
    rule = tree_of(
        {
            "read": {"registry": "HKLM\\SOFTWARE\\T", "value": "v", "type": "dword"},
            "expect": {"eq": 0x311},
        }
    )
    assert judge_rule(rule, [seen_value("number", 785, "k", "REG_DWORD")], NOW).status is (
        Truth.HOLDS
    )
    assert judge_rule(rule, [seen_value("number", 311, "k", "REG_DWORD")], NOW).status is (
        Truth.FAILS
    )


def test_a_declared_type_the_host_does_not_hold_is_unknown() -> None:
    rule = tree_of(
        {
            "read": {"registry": "HKLM\\SOFTWARE\\T", "value": "v", "type": "sz"},
            "expect": {"eq": "1"},
        }
    )
    verdict = judge_rule(rule, [seen_value("text", "1", "k", "REG_EXPAND_SZ")], NOW)
    assert verdict.status is Truth.UNKNOWN
    assert verdict.leaves[0].reason is not None
    assert verdict.leaves[0].reason.key == "rule.reason.type_differs"


def test_versions_regex_and_ages() -> None:
    text = seen_value("text", "10.0.22631.4460", "k")
    assert judge({"version_ge": "10.0.22000"}, text) is Truth.HOLDS
    assert judge({"version_lt": "10.0.22000"}, text) is Truth.FAILS
    assert judge({"version_ge": "10"}, seen_value("text", "n/a", "k")) is Truth.UNKNOWN
    assert judge({"regex": "^10\\.0\\."}, text) is Truth.HOLDS
    assert judge({"regex": "^11"}, text) is Truth.FAILS


def test_kleene_tables() -> None:
    h, f, u = Truth.HOLDS, Truth.FAILS, Truth.UNKNOWN
    assert combine("all", [h, u]) is u and combine("all", [f, u]) is f
    assert combine("any", [h, u]) is h and combine("any", [f, u]) is u
    assert combine("none", [f, f]) is h and combine("none", [f, u]) is u
    assert combine("none", [h, u]) is f


def test_status_mapping_is_the_three_statuses() -> None:
    from endpoint_audit.rules.build import _STATUS

    assert set(_STATUS.values()) == {Status.PASS, Status.FAIL, Status.UNKNOWN}


def test_a_date_after_the_audit_time_has_no_age() -> None:
    """A date ahead of the run's clock would be 0 (or fewer) days old: never a pass."""
    ahead = seen_value("text", "2027-06-01T00:00:00+00:00", "k")
    verdict = judge_rule(_c({"age_days_le": 30}), [ahead], NOW)
    assert verdict.status is Truth.UNKNOWN
    assert verdict.leaves[0].reason is not None
    assert verdict.leaves[0].reason.key == "rule.reason.date_future"
    assert judge({"age_days_ge": 1}, ahead) is Truth.UNKNOWN
    # Within a day ahead (time zones, drift): still an age.
    near = seen_value("text", "2026-12-01T20:00:00+00:00", "k")
    assert judge({"age_days_le": 30}, near) is Truth.HOLDS
    old = seen_value("text", "2026-10-01T00:00:00+00:00", "k")
    assert judge({"age_days_le": 30}, old) is Truth.FAILS


@given(st.sampled_from([float("nan"), float("inf"), float("-inf")]), compares)
def test_a_number_that_is_not_finite_is_never_compared(
    value: float, expect: dict[str, Any]
) -> None:
    """NaN and infinities (json.loads and plistlib read them) are no setting's value:
    `ne 0` must not hold on NaN, nor `ge 1` on infinity."""
    read = seen_value("number", value, "k")
    status = judge(expect, read)
    if "absent" in expect:
        assert status is Truth.FAILS
    elif "present" in expect:
        assert status is Truth.HOLDS
    else:
        assert status is Truth.UNKNOWN


@settings(max_examples=200)
@given(st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 5))
def test_a_float_read_holds_only_as_its_finite_number_would(value: float, bound: int) -> None:
    import math

    status = judge({"le": bound}, seen_value("number", value, "k"))
    if status is Truth.HOLDS:
        assert math.isfinite(value) and value <= bound
