"""Judging a rule's conditions on the values read. Pure.

Three-valued (Kleene) logic: a condition passes, fails, or is unknown when its value
could not be read or cannot be compared. `all` fails when one part fails, passes only
when every part passes; `any` passes when one part passes, fails only when every part
fails; `none` passes only when every part fails. So a rule passes only when the values
that were read prove it, whatever the unread ones hold: it never passes by default.

A per-user read (HKU\\*\\...) holds only when it holds for every loaded user hive;
with none loaded it is unknown.

A value the host says is absent (no such key, value, file, unit) is known, not unknown:
`absent: true` passes on it, `present: true` fails; any other comparison of an absent
value is unknown, naming it, because the rule has not said what absence means. One
exception: a user right missing from secedit's export is held by no one (Windows writes
only the rights someone holds), so the set operators take it as the empty set.

Set operators (contains_all, contains_none, subset_of, equals_set) compare a list's
members, or a text's between commas, without regard to order, duplicates, spaces, a
secedit `*` or the case of a SID (model/members.py). For a user right, or when the rule
names SIDs, a member that is a name (an account secedit could not write as a SID) is
never compared: the verdict is unknown naming it, unless the SIDs read fail the rule
anyway.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

from msgspec import Struct

from endpoint_audit.model.members import (
    SET_OPERATORS,
    is_sid,
    member_key,
    members_of,
    set_verdict,
    split_members,
)
from endpoint_audit.model.observed import Reason
from endpoint_audit.model.rule import (
    AllOf,
    AnyOf,
    Compare,
    Condition,
    Conditions,
    Expect,
    ExpectAll,
    ExpectAny,
    ExpectNone,
    NoneOf,
    RegistryRead,
    SecpolRead,
)
from endpoint_audit.rules import versions
from endpoint_audit.rules.facts import ReadValue


class Truth(Enum):
    """Whether a condition holds: a truth value of the rule's logic, not a finding's
    status (build.py turns the rule's into pass, fail or unknown)."""

    HOLDS = "holds"
    FAILS = "fails"
    UNKNOWN = "unknown"


HOLDS, FAILS, UNKNOWN = Truth.HOLDS, Truth.FAILS, Truth.UNKNOWN
# A date this far ahead of the run's clock has no age (the checks allow the same).
CLOCK_SLACK = timedelta(days=1)
AGE_OPERATORS = ("age_days_le", "age_days_ge")


class LeafVerdict(Struct, frozen=True):
    """One condition judged: its status, the value read, and why it is unknown."""

    condition: Condition
    read: ReadValue
    status: Truth
    reason: Reason | None = None


class RuleVerdict(Struct, frozen=True):
    status: Truth
    leaves: tuple[LeafVerdict, ...]

    @property
    def deciding(self) -> LeafVerdict:
        """The condition a message names: the first with the rule's own status."""
        return next((leaf for leaf in self.leaves if leaf.status is self.status), self.leaves[0])


def combine(kind: str, statuses: Sequence[Truth]) -> Truth:
    """Kleene's all / any / none over pass, fail and unknown."""
    if kind == "all":
        if FAILS in statuses:
            return FAILS
        return UNKNOWN if UNKNOWN in statuses else HOLDS
    if kind == "any":
        if HOLDS in statuses:
            return HOLDS
        return UNKNOWN if UNKNOWN in statuses else FAILS
    if HOLDS in statuses:  # none
        return FAILS
    return UNKNOWN if UNKNOWN in statuses else HOLDS


def judge_rule(tree: Conditions, reads: Sequence[ReadValue], now: datetime) -> RuleVerdict:
    """The rule's verdict on `reads` (one per condition, in the rule's order)."""
    leaves: list[LeafVerdict] = []
    values = iter(reads)
    status = _judge_tree(tree, values, now, leaves)
    return RuleVerdict(status=status, leaves=tuple(leaves))


def _judge_tree(
    tree: Conditions, values: Iterator[ReadValue], now: datetime, out: list[LeafVerdict]
) -> Truth:
    if isinstance(tree, Condition):
        read = next(values)
        status, reason = judge_leaf(tree, read, now)
        out.append(LeafVerdict(tree, read, status, reason))
        return status
    if isinstance(tree, AllOf):
        return combine("all", [_judge_tree(t, values, now, out) for t in tree.all])
    if isinstance(tree, AnyOf):
        return combine("any", [_judge_tree(t, values, now, out) for t in tree.any])
    assert isinstance(tree, NoneOf)  # noqa: S101 - the union has four members
    return combine("none", [_judge_tree(t, values, now, out) for t in tree.none])


def judge_leaf(condition: Condition, read: ReadValue, now: datetime) -> tuple[Truth, Reason | None]:
    """One condition on its value; a value per user (HKU\\*) must meet it for every
    user, and with no user hive loaded nothing proves it."""
    if read.state != "each":
        return judge_expect(condition.expect, read, condition, now)
    if not read.each:
        return UNKNOWN, _why("no_user_hive", condition)
    judged = [judge_expect(condition.expect, one, condition, now) for one in read.each]
    status = combine("all", [s for s, _ in judged])
    reason = next((r for s, r in judged if s is UNKNOWN and r is not None), None)
    return status, reason if status is UNKNOWN else None


def judge_expect(
    expect: Expect, read: ReadValue, condition: Condition, now: datetime
) -> tuple[Truth, Reason | None]:
    if isinstance(expect, Compare):
        return judge_compare(expect, read, condition, now)
    if isinstance(expect, ExpectAll):
        kind, parts = "all", expect.all
    elif isinstance(expect, ExpectAny):
        kind, parts = "any", expect.any
    else:
        assert isinstance(expect, ExpectNone)  # noqa: S101 - the union has four members
        kind, parts = "none", expect.none
    judged = [judge_expect(p, read, condition, now) for p in parts]
    status = combine(kind, [s for s, _ in judged])
    reason = next((r for s, r in judged if s is UNKNOWN and r is not None), None)
    return status, reason if status is UNKNOWN else None


def _why(key: str, condition: Condition, **args: Any) -> Reason:
    return Reason(key=f"rule.reason.{key}", args={"read": condition.read.label(), **args})


def judge_compare(
    cmp: Compare, read: ReadValue, condition: Condition, now: datetime
) -> tuple[Truth, Reason | None]:
    operator = cmp.operator
    if read.state == "unknown":
        return UNKNOWN, read.reason or _why("not_read", condition)
    if read.state == "absent" and operator in SET_OPERATORS and _is_right(condition):
        # Not in the export: nobody holds the right.
        return _judge_set(cmp, [], condition)
    if read.state == "absent":
        if operator == "absent":
            return HOLDS, None
        if operator == "present":
            return FAILS, None
        return UNKNOWN, _why(
            f"absent_not_covered_{read.absent or 'value'}", condition, expected=cmp.describe()
        )
    if operator == "present":
        return HOLDS, None
    if operator == "absent":
        return FAILS, None
    declared = condition.read
    if isinstance(declared, RegistryRead) and declared.type and read.host_type:
        if read.host_type != f"REG_{declared.type.upper()}":
            return UNKNOWN, _why(
                "type_differs",
                condition,
                declared=f"REG_{declared.type.upper()}",
                host_type=read.host_type,
            )
    if operator in SET_OPERATORS:
        value = read.value
        if isinstance(value, bool) or not isinstance(value, str | list):
            return UNKNOWN, _why(
                "not_a_list", condition, value=show(value), expected=cmp.describe()
            )
        return _judge_set(cmp, split_members(value), condition)
    when = _date(read.value) if operator in AGE_OPERATORS else None
    if when is not None and when - now > CLOCK_SLACK:
        # Its age would be 0 or less, and pass any `age_days_le`: the clock that wrote
        # it was wrong, so how old the thing really is stays unknown.
        return UNKNOWN, _why("date_future", condition, value=show(read.value))
    result = _compare(operator, cmp.operand, read, now)
    if result is None:
        return UNKNOWN, _why(
            "cannot_compare",
            condition,
            value=show(read.value),
            kind=read.host_type or read.kind or "",
            expected=cmp.describe(),
        )
    return (HOLDS if result else FAILS), None


def _is_right(condition: Condition) -> bool:
    return isinstance(condition.read, SecpolRead) and condition.read.rights


def _judge_set(cmp: Compare, items: list[str], condition: Condition) -> tuple[Truth, Reason | None]:
    expected: list[str] = cmp.operand
    # Members are accounts for a user right, and wherever the rule names SIDs.
    accounts = _is_right(condition) or any(is_sid(m) for m in expected)
    value = members_of(items, accounts)
    result = set_verdict(cmp.operator, value, frozenset(member_key(m) for m in expected))
    if result is None:
        return UNKNOWN, _why(
            "member_not_sid",
            condition,
            member=repr(value.names[0]),
            count=len(value.names),
            expected=cmp.describe(),
        )
    return (HOLDS if result else FAILS), None


def _is_number(value: Any) -> bool:
    """An int or a finite float: NaN and infinities (which json.loads and plistlib read)
    are no setting's value, and NaN != 0 or inf >= 900 must not hold."""
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, int) and not isinstance(value, bool)


def _same_kind(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    if _is_number(a) or _is_number(b):
        return _is_number(a) and _is_number(b)
    return isinstance(a, str) and isinstance(b, str)


def _compare(operator: str, operand: Any, read: ReadValue, now: datetime) -> bool | None:
    """True or False when the value can be compared; None when it cannot (unknown)."""
    value = read.value
    if operator in ("eq", "ne"):
        if not _same_kind(value, operand):
            return None
        return bool(value == operand) == (operator == "eq")
    if operator == "in":
        if not all(_same_kind(value, o) for o in operand):
            return None
        return bool(value in operand)
    if operator in ("lt", "le", "gt", "ge"):
        if not _is_number(value):
            return None
        return _ordered(operator, value, operand)
    if operator.startswith("version_") and read.host_type in ("dpkg", "rpm"):
        # A package's version, compared as its package manager compares them.
        if not isinstance(value, str):
            return None
        order = versions.compare(read.host_type, value, operand)  # type: ignore[arg-type]
        return None if order is None else _ordered(operator.removeprefix("version_"), order, 0)
    if operator.startswith("version_"):
        mine, theirs = _version(value), _version(operand)
        if mine is None or theirs is None:
            return None
        width = max(len(mine), len(theirs))
        padded = (mine + (0,) * width)[:width], (theirs + (0,) * width)[:width]
        return _ordered(operator.removeprefix("version_"), *padded)
    if operator == "regex":
        pattern = re.compile(operand, re.MULTILINE)
        if isinstance(value, str):
            return pattern.search(value) is not None
        if isinstance(value, list):
            return any(pattern.search(v) is not None for v in value)
        return None
    if operator in AGE_OPERATORS:
        when = _date(value)
        if when is None:
            return None
        age = (now - when).total_seconds() / 86400
        return bool(age <= operand) if operator == "age_days_le" else bool(age >= operand)
    return None


def _ordered(operator: str, a: Any, b: Any) -> bool:
    if operator == "lt":
        return bool(a < b)
    if operator == "le":
        return bool(a <= b)
    if operator == "gt":
        return bool(a > b)
    return bool(a >= b)


_VERSION_TEXT = re.compile(r"^\s*v?(\d+(?:\.\d+)*)")


def _version(value: Any) -> tuple[int, ...] | None:
    if not isinstance(value, str):
        return None
    match = _VERSION_TEXT.match(value)
    return tuple(int(p) for p in match.group(1).split(".")) if match else None


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def show(value: Any) -> str:
    """A value as evidence shows it: text quoted, numbers as written, lists bracketed."""
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, int) and value > 9:
        return f"{value} (0x{value:x})"  # both forms: hex vs decimal is a classic mistake
    return str(value)
