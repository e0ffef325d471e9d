"""Only model/verdict.py decides whether a waiver is in force and how findings roll up.

Every other module under src/ asks it. This test reads their syntax trees for the ways
the decision used to be made again elsewhere (more than ten places did, and two of them
disagreed about a check with no finding), so a new renderer or command that re-derives a
verdict fails here instead of disagreeing with the others in front of a user.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "endpoint_audit"
POLICY = SRC / "model" / "verdict.py"

# The recorded flags a waiver carries; what they mean together is the policy's to say.
WAIVER_FLAGS = {"expired", "pending", "in_force"}
# Roll-up helpers only the policy may apply to statuses (STATUS_ORDER may be listed in
# order for display; ranking or picking the worst by it is a roll-up).
RANKS = {"STATUS_RANK", "STATUS_ORDER"}
# Sets of statuses whose meaning is policy: what a waiver covers, what did not see.
POLICY_SETS = {"WAIVABLE", "INCONCLUSIVE", "NEEDS_ATTENTION", "WAIVED_PASS"}
STATE_WORDS = {"in_force", "expired", "pending", "lapsed"}


@dataclass(frozen=True)
class Hit:
    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def _status_members(node: ast.AST) -> set[str]:
    """`Status.FAIL`-like attributes anywhere below `node`."""
    return {
        n.attr
        for n in ast.walk(node)
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "Status"
    }


def _mentions_waiver(node: ast.AST) -> bool:
    return any(
        (isinstance(n, ast.Attribute) and n.attr == "waiver")
        or (isinstance(n, ast.Name) and n.id == "waiver")
        for n in ast.walk(node)
    )


def _is_sort(call: ast.Call) -> bool:
    """sorted()/.sort(): ordering findings for display is not a roll-up."""
    func = call.func
    return (isinstance(func, ast.Name) and func.id == "sorted") or (
        isinstance(func, ast.Attribute) and func.attr == "sort"
    )


def violations(tree: ast.AST, path: str) -> list[Hit]:
    hits: list[Hit] = []

    def hit(node: ast.AST, what: str) -> None:
        hits.append(Hit(path, getattr(node, "lineno", 0), what))

    sort_args: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _is_sort(node):
            sort_args.update(id(n) for n in ast.walk(node))
    for node in ast.walk(tree):
        # `finding.waiver.expired`, `w.pending`, `ref.in_force`: reading the raw flags.
        if isinstance(node, ast.Attribute) and node.attr in WAIVER_FLAGS:
            hit(node, f"reads the waiver flag .{node.attr} (ask model.verdict)")
        # `f.counts_as_failure` as a property of the finding (the old way).
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "counts_as_failure"
            and not (isinstance(node.value, ast.Name) and node.value.id == "verdict")
        ):
            hit(node, "counts_as_failure as an attribute")
        # `min(states, key=STATUS_RANK...)`, `STATUS_RANK[a] < STATUS_RANK[b]`: a roll-up.
        if isinstance(node, ast.Name) and node.id == "STATUS_RANK" and id(node) not in sort_args:
            hit(node, "uses STATUS_RANK outside a sort (roll up with model.verdict.worst)")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("min", "max")
            and any(isinstance(n, ast.Name) and n.id in RANKS for n in ast.walk(node))
        ):
            hit(node, f"picks the {node.func.id} status (roll up with model.verdict.worst)")
        # `WAIVABLE = frozenset({...})` and friends defined again.
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id in POLICY_SETS:
                    hit(node, f"defines {target.id} (model.verdict has it)")
        # A literal set of statuses that is the policy: (FAIL, UNKNOWN), (UNKNOWN, ERROR).
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            members = _status_members(node)
            if {"FAIL", "UNKNOWN"} <= members or {"UNKNOWN", "ERROR"} <= members:
                if len(members) < 5:  # all five statuses is an ordering, not a policy set
                    hit(node, f"a literal policy set of statuses {sorted(members)}")
        # `f.status is Status.FAIL and not f.waiver...`: waiver in force re-derived.
        if isinstance(node, ast.BoolOp) and _mentions_waiver(node) and _status_members(node):
            hit(node, "combines a status with the waiver (ask model.verdict)")
        # `state == "in_force"`, `w.state in ("expired", ...)`: comparing waiver states.
        if isinstance(node, ast.Compare):
            words = {
                n.value
                for n in ast.walk(node)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)
            }
            if words & STATE_WORDS:
                hit(node, f"compares waiver states {sorted(words & STATE_WORDS)}")
    return hits


def _sources() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if p != POLICY)


def test_no_module_outside_the_policy_re_derives_a_verdict() -> None:
    hits = []
    for path in _sources():
        tree = ast.parse(path.read_text("utf-8"), str(path))
        hits += violations(tree, str(path.relative_to(SRC)))
    assert not hits, "verdict re-derived outside model/verdict.py:\n" + "\n".join(map(str, hits))


# The ways it was done before the policy module existed (from the code it replaced): the
# test must catch each of them.
OLD_WAYS = [
    "ok = finding.waiver is not None and finding.waiver.in_force",
    "waived = now is not None and now.waiver is not None and not now.waiver.expired",
    "failing = finding.counts_as_failure",
    "worst = min(states, key=STATUS_RANK.__getitem__)",
    "if STATUS_RANK[a] < STATUS_RANK[b]: pass",
    "state = max(states, key=STATUS_ORDER.index)",
    "WAIVABLE = frozenset({Status.FAIL, Status.UNKNOWN})",
    "WAIVED_PASS = (Status.FAIL, Status.UNKNOWN)",
    "INCONCLUSIVE = (Status.UNKNOWN, Status.ERROR)",
    "attention = [f for f in fs if f.status in (Status.FAIL, Status.ERROR, Status.UNKNOWN)]",
    "counted = finding.status is Status.FAIL and state != 'in_force'",
    "hit = f.waiver and f.waiver.state == 'expired'",
    "if state == 'expired' or (state == 'in_force' and left < 0): pass",
    "counted = f.status is Status.FAIL and f.waiver is None",
]


@pytest.mark.parametrize("code", OLD_WAYS)
def test_each_old_way_is_caught(code: str) -> None:
    assert violations(ast.parse(code), "example.py"), code


def test_display_order_and_plain_reads_are_not_flagged() -> None:
    allowed = """
findings = sorted(host.findings, key=lambda f: (STATUS_RANK[f.status], -f.severity.rank))
label = waiver.justification + waiver.expires
style = {Status.FAIL: "red", Status.UNKNOWN: "yellow"}
counts = [totals[s.value] for s in STATUS_ORDER]
order = (Status.FAIL, Status.ERROR, Status.UNKNOWN, Status.PASS, Status.NOT_APPLICABLE)
if finding.waiver is not None:
    note = waiver_note(finding.waiver, lang)
"""
    assert violations(ast.parse(allowed), "example.py") == []
