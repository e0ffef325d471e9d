"""A rule of a baseline as a check: its metadata, its fact family, its collectors and a
pure evaluate(), made when a plan is made (engine.plan), so the engine runs it like any
built-in check: the same rounds, batch, transcript, evidence and verdict policy."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from msgspec import Struct
from pydantic import ConfigDict

from endpoint_audit.checkkit.check import Check, CheckMeta, EvalContext, FactView, Outcome
from endpoint_audit.checkkit.collector import Collector, Results
from endpoint_audit.errors import FactUnavailable
from endpoint_audit.model.commands import Command, PowerShell
from endpoint_audit.model.observed import Reason
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.model.result import Evidence, Status
from endpoint_audit.model.rule import (
    AllOf,
    AnyOf,
    AuditpolRead,
    Condition,
    Conditions,
    RuleEntry,
    SecpolRead,
    condition_leaves,
)
from endpoint_audit.rules.evaluate import LeafVerdict, RuleVerdict, Truth, judge_rule, show
from endpoint_audit.rules.facts import ReadValue, RuleFacts, unknown_value

# Each OS's reads are imported by its collector when used: a scan reads one OS's.
if TYPE_CHECKING:
    from endpoint_audit.rules import linux, macos


class RuleParts(Struct, frozen=True):
    check: type[Check]
    fact: type[RuleFacts]
    collectors: tuple[type[Collector[Any]], ...]


def rule_meta(rule_id: str, rule: RuleEntry) -> CheckMeta:
    title = rule.title.model_dump()
    families = frozenset(rule.platforms)
    return CheckMeta(
        id=rule_id,
        title=title,
        description=title,
        rationale=rule.rationale.model_dump() if rule.rationale else {},
        severity=rule.severity,
        platforms=families,
        remediation={f: rule.remediation.model_dump() for f in families},
        references=tuple(rule.references),
        reads={f: _reads_text(rule.read_leaves(f)) for f in families},
    )


def _reads_text(leaves: Sequence[Condition]) -> dict[str, str]:
    text = "; ".join(leaf.read.label() for leaf in leaves)
    return {"en": text, "ja": text}


class RuleCollector(Collector[RuleFacts]):
    """Reads every value of one rule on one OS family."""

    rule_id: ClassVar[str]
    leaves: ClassVar[tuple[Condition, ...]]

    def commands(self, platform: PlatformInfo, results: Results) -> Sequence[Command]:
        return self.rule_commands(platform)

    def rule_commands(self, platform: PlatformInfo | None = None) -> list[Command]:
        raise NotImplementedError

    def parse(self, results: Results, platform: PlatformInfo) -> RuleFacts:
        reads = self.parse_reads(results, platform)
        sources = tuple(dict.fromkeys(c.key for c in self.rule_commands(platform)))
        fact = self.fact_type.model_validate({"reads": reads, "sources": sources})
        assert isinstance(fact, RuleFacts)  # noqa: S101 - build_rule sets a RuleFacts family
        return fact

    def parse_reads(self, results: Results, platform: PlatformInfo) -> list[ReadValue]:
        raise NotImplementedError


class WindowsRuleCollector(RuleCollector):
    """The rule's own probe (registry, CIM, services, features) and the shared secedit
    and auditpol probes, each asked for only when a read needs it: all in one batch."""

    def _of(self, kind: type[Any] | Any) -> list[Any]:
        return [leaf.read for leaf in self.leaves if isinstance(leaf.read, kind)]

    def probe(self) -> PowerShell:
        from endpoint_audit.rules import windows

        return windows.rule_probe(self.rule_id, self._of(windows.ProbeRead))

    def rule_commands(self, platform: PlatformInfo | None = None) -> list[Command]:
        from endpoint_audit.rules import windows, windows_policy

        commands: list[Command] = []
        if self._of(windows.ProbeRead):
            commands.append(self.probe())
        # secedit and auditpol need an administrator: not run for a known standard user
        # (their reads are unknown then, named), run when the rights are not known.
        admin = platform is None or platform.is_admin is not False
        if self._of(SecpolRead) and admin:
            commands.append(windows_policy.SECPOL)
        if self._of(AuditpolRead) and admin:
            commands.append(windows_policy.AUDITPOL)
        return commands

    def parse_reads(self, results: Results, platform: PlatformInfo) -> list[ReadValue]:
        from endpoint_audit.rules import windows, windows_policy

        own = iter(self._parse_own(results) if self._of(windows.ProbeRead) else [])
        secpol = iter(windows_policy.parse_secpol(results, platform, self._of(SecpolRead)))
        audit = iter(windows_policy.parse_auditpol(results, platform, self._of(AuditpolRead)))
        out: list[ReadValue] = []
        for leaf in self.leaves:
            if isinstance(leaf.read, SecpolRead):
                out.append(next(secpol))
            elif isinstance(leaf.read, AuditpolRead):
                out.append(next(audit))
            elif isinstance(leaf.read, windows.ProbeRead):
                out.append(next(own))
            else:  # another family's read cannot be under windows (model/rule.py)
                out.append(unknown_value("", "read_unsupported", read=leaf.read.label()))
        return out

    def _parse_own(self, results: Results) -> list[ReadValue]:
        from endpoint_audit.rules import windows

        try:
            return windows.parse_rule_probe(results, self.probe(), self._of(windows.ProbeRead))
        except FactUnavailable as exc:
            if exc.language_mode:  # an older probe the batch refused under CLM
                raise FactUnavailable(
                    Reason(
                        key="rule.reason.needs_full_language", args={"probe": self.probe().name}
                    ),
                    language_mode=exc.language_mode,
                ) from None
            raise


class LinuxRuleCollector(RuleCollector):
    def _reads(self) -> list[linux.LinuxRead]:
        from endpoint_audit.rules import linux

        return [leaf.read for leaf in self.leaves if isinstance(leaf.read, linux.LinuxRead)]

    def rule_commands(self, platform: PlatformInfo | None = None) -> list[Command]:
        from endpoint_audit.rules import linux

        return linux.all_commands(self._reads(), platform)

    def parse_reads(self, results: Results, platform: PlatformInfo) -> list[ReadValue]:
        from endpoint_audit.rules import linux

        return [linux.parse_read(read, results, platform) for read in self._reads()]


class MacosRuleCollector(RuleCollector):
    def _reads(self) -> list[macos.MacosRead]:
        from endpoint_audit.rules import macos

        return [leaf.read for leaf in self.leaves if isinstance(leaf.read, macos.MacosRead)]

    def rule_commands(self, platform: PlatformInfo | None = None) -> list[Command]:
        from endpoint_audit.rules import macos

        return macos.all_commands(self._reads())

    def parse_reads(self, results: Results, platform: PlatformInfo) -> list[ReadValue]:
        from endpoint_audit.rules import macos

        return [macos.parse_read(read, results) for read in self._reads()]


_COLLECTORS: dict[OsFamily, type[RuleCollector]] = {
    OsFamily.WINDOWS: WindowsRuleCollector,
    OsFamily.LINUX: LinuxRuleCollector,
    OsFamily.MACOS: MacosRuleCollector,
}


_STATUS = {Truth.HOLDS: Status.PASS, Truth.FAILS: Status.FAIL, Truth.UNKNOWN: Status.UNKNOWN}


class RuleCheck(Check):
    rule: ClassVar[RuleEntry]

    def evaluate(self, facts: FactView, params: Any, ctx: EvalContext) -> Iterable[Outcome]:
        tree = self.rule.platforms.get(ctx.platform.family)
        if tree is None:  # engine/run.py makes other families not applicable first
            return
        got = facts.get(self.requires[0])
        assert isinstance(got, RuleFacts)  # noqa: S101 - the engine gives the declared fact
        reads = got.reads
        guard = self.rule.applies_tree(ctx.platform.family)
        applies: RuleVerdict | None = None
        if guard is not None:
            # The collector reads applicability first (RuleEntry.read_leaves).
            count = len(condition_leaves(guard))
            applies, reads = judge_rule(guard, reads[:count], ctx.now), reads[count:]
            if applies.status is not Truth.HOLDS:
                yield _not_judged(applies, guard)
                return
        verdict = judge_rule(tree, reads, ctx.now)
        yield _outcome(
            _STATUS[verdict.status],
            verdict.deciding,
            verdict.leaves,
            applies.leaves if applies else (),
        )


def _observed(leaf: LeafVerdict) -> Reason:
    read = leaf.read
    label = leaf.condition.read.label()
    if read.state == "each":
        if not read.each:
            return Reason(key="rule.observed.no_user", args={"read": label})
        return Reason(key="rule.observed.each", args={"read": label, "value": _seen(read)})
    if read.state == "absent":
        return Reason(key=f"rule.observed.absent_{read.absent or 'value'}", args={"read": label})
    if read.state == "unknown":
        return Reason(key="rule.observed.unread", args={"read": label})
    kind = f" ({read.host_type})" if read.host_type else ""
    return Reason(key="rule.observed.value", args={"read": label, "value": _shown(read) + kind})


# A value as a message or evidence shows it: a file's content or a command's output may be
# long (the finding's `actual` keeps it whole).
SHOWN_LIMIT = 300


def _shown(read: ReadValue) -> str:
    text = show(read.value)
    return text if len(text) <= SHOWN_LIMIT else text[: SHOWN_LIMIT - 1] + "…"


def _seen(read: ReadValue) -> str:
    """The value read as evidence shows it (language-neutral)."""
    if read.state == "each":
        parts = [f"{one.who}: {_seen(one)}" for one in read.each or ()]
        return "; ".join(parts) if parts else "no user hive loaded"
    if read.state == "value":
        return _shown(read) + (f" ({read.host_type})" if read.host_type else "")
    if read.state == "absent":
        return f"absent ({read.absent})"
    return "not read"


def _leaf_text(leaf: LeafVerdict) -> str:
    seen = _seen(leaf.read)
    return (
        f"{leaf.condition.read.label()}: read {seen}; expected "
        f"{_expect_text(leaf.condition)}: {leaf.status.value}"
    )


def _expect_text(condition: Condition) -> str:
    return condition.expect.model_dump_json(by_alias=True, exclude_none=True)


APPLIES_WHEN = "applies_when"


def _tree_text(tree: Conditions) -> str:
    """The applicability as the rule writes it, in one line (language-neutral)."""
    if isinstance(tree, Condition):
        return f"{tree.read.label()} {_expect_text(tree)}"
    if isinstance(tree, AllOf):
        kind, parts = "all", tree.all
    elif isinstance(tree, AnyOf):
        kind, parts = "any", tree.any
    else:
        kind, parts = "none", tree.none
    return f"{kind} of [" + "; ".join(_tree_text(part) for part in parts) + "]"


def _not_judged(applies: RuleVerdict, guard: Conditions) -> Outcome:
    """The rule on a host where its applicability is false (not applicable, naming the
    condition and the value read) or could not be told (unknown, naming why: never a
    pass, never a silent not applicable)."""
    deciding = applies.deciding
    evidence, observed, expected = _records((), applies.leaves)
    args: dict[str, Any] = {
        "observed": _observed(deciding),
        "condition": _tree_text(guard),
    }
    if applies.status is Truth.FAILS:
        status, key = Status.NOT_APPLICABLE, "rule.msg.not_applicable"
    else:
        status, key = Status.UNKNOWN, "rule.msg.applies_unknown"
        args["reason"] = deciding.reason or Reason(
            key="rule.reason.not_read", args={"read": deciding.condition.read.label()}
        )
    return Outcome(
        status=status, key=key, args=args, expected=expected, actual=observed, evidence=evidence
    )


def _records(
    leaves: Sequence[LeafVerdict], applies: Sequence[LeafVerdict]
) -> tuple[tuple[Evidence, ...], list[dict[str, Any]], list[dict[str, Any]]]:
    """Evidence, `actual` and `expected` of the leaves judged, the applicability's first
    (marked `applies_when`)."""
    marked = [(leaf, True) for leaf in applies] + [(leaf, False) for leaf in leaves]
    evidence = tuple(
        Evidence(
            source=leaf.read.source,
            excerpt=(f"{APPLIES_WHEN}: " if guard else "") + _leaf_text(leaf),
        )
        for leaf, guard in marked
    )
    part = {True: {"part": APPLIES_WHEN}, False: {}}
    observed = [
        {
            "read": leaf.condition.read.label(),
            **part[guard],
            **_neutral(leaf.read.model_dump(mode="json", exclude_none=True)),
        }
        for leaf, guard in marked
    ]
    expected = [
        {"read": leaf.condition.read.label(), **part[guard], "expect": _expect_text(leaf.condition)}
        for leaf, guard in marked
    ]
    return evidence, observed, expected


def _outcome(
    status: Status,
    deciding: LeafVerdict,
    leaves: Sequence[LeafVerdict],
    applies: Sequence[LeafVerdict] = (),
) -> Outcome:
    evidence, observed, expected = _records(leaves, applies)
    args: dict[str, Any] = {
        "observed": _observed(deciding),
        "expected": _expect_text(deciding.condition),
    }
    key = f"rule.msg.{status.value}"
    if status is Status.PASS and len(leaves) > 1:
        # A pass names one value; say it was not the only one read, so a reader of the
        # message alone does not take the rule for a check of that value only.
        key, args["count"] = "rule.msg.pass_of_several", len(leaves)
    if status is Status.UNKNOWN:
        args["reason"] = deciding.reason or Reason(
            key="rule.reason.not_read", args={"read": deciding.condition.read.label()}
        )
    return Outcome(
        status=status,
        key=key,
        args=args,
        expected=expected,
        actual=observed,
        evidence=evidence,
    )


def _neutral(dumped: dict[str, Any]) -> dict[str, Any]:
    """A read as `actual` records it: its reason by key only. The reason's sentence, with
    the host's own text, is in the message, in the report's language."""
    out = dict(dumped)
    if isinstance(out.get("reason"), dict):
        out["reason"] = out["reason"].get("key")
    if isinstance(out.get("each"), list):
        out["each"] = [_neutral(e) if isinstance(e, dict) else e for e in out["each"]]
    return out


def build_rule(rule_id: str, rule: RuleEntry) -> RuleParts:
    """The check, fact family and collectors of one rule."""
    suffix = rule_id.replace(".", "__")
    # Its validator is built when a host of one of the rule's platforms is first read:
    # a scan of one PC reads the rules of its own OS only.
    fact = type(
        f"RuleFacts_{suffix}",
        (RuleFacts,),
        {
            "name": f"rule.{rule_id}",
            "__module__": __name__,
            "model_config": ConfigDict(defer_build=True),
        },
    )
    collectors: list[type[Collector[Any]]] = []
    for family in rule.platforms:
        base = _COLLECTORS.get(family)
        if base is None:
            continue  # no reads of this family yet: the check says not applicable
        collectors.append(
            type(
                f"{base.__name__}_{suffix}",
                (base,),
                {
                    "id": f"{family.value}.rule.{rule_id}",
                    "fact_type": fact,
                    "platforms": frozenset({family}),
                    "rule_id": rule_id,
                    # The applicability reads first: the same probe and batch carry them.
                    "leaves": tuple(rule.read_leaves(family)),
                    "__module__": __name__,
                },
            )
        )
    check = type(
        f"RuleCheck_{suffix}",
        (RuleCheck,),
        {
            "meta": rule_meta(rule_id, rule),
            "rule": rule,
            "requires": (fact,),
            "__module__": __name__,
        },
    )
    return RuleParts(check=check, fact=fact, collectors=tuple(collectors))
