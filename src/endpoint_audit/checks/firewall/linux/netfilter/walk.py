"""The interpreter: which packets of a class every base chain on the way in lets through.

Netfilter semantics, as the kernel applies them:
- the base chains of one hook run in priority order, whatever their table or tool
  (nftables, iptables-nft, iptables-legacy); `accept` ends only the chain it is in, so a
  packet must be accepted by every one of them, and a drop in any is final;
- prerouting runs before input;
- `jump` returns to the next rule when the called chain ends or says `return`; `goto`
  returns to the caller of the chain that went; the end of a base chain is its policy.

The evaluator is sound for "blocked": whatever it cannot decide it follows both ways, so
a class it says is dropped is dropped. What it lets through may include packets that
only pass if an undecided match goes their way; those carry the reason in `depends`.
"""

from __future__ import annotations

from collections import defaultdict

import msgspec.structs
from msgspec import Struct, field

from endpoint_audit.checks.firewall.linux.netfilter.packets import Packet, apply, match
from endpoint_audit.checks.firewall.linux.netfilter.rules import (
    Accept,
    BaseChain,
    Drop,
    Field,
    Goto,
    Jump,
    Next,
    Return,
    Rule,
    Ruleset,
    Unsure,
)
from endpoint_audit.checks.firewall.linux.netfilter.spans import Spans

MAX_DEPTH = 32  # nftables allows 16 nested jumps; loops are refused by both tools
MAX_STEPS = 200_000  # packet classes times rules: far beyond any real host's ruleset
MAX_CLASSES = 4_000
_MERGE_FIELDS: tuple[Field, ...] = ("dport", "sport", "saddr", "daddr", "proto")


class TooComplex(Exception):
    """The ruleset splits packets into more classes than the evaluator follows."""


class Budget(Struct):
    steps: int = 0

    def spend(self, count: int = 1) -> None:
        self.steps += count
        if self.steps > MAX_STEPS:
            raise TooComplex(f"more than {MAX_STEPS} rule evaluations")


class Dropped(Struct, frozen=True):
    packet: Packet
    why: str  # the rule, or the policy
    reject: bool


class Flow(Struct):
    accepted: list[Packet] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    returned: list[Packet] = field(default_factory=list)

    def take(self, other: Flow) -> None:
        self.accepted.extend(other.accepted)
        self.dropped.extend(other.dropped)


class Passage(Struct):
    """What one address family's first packets meet on the way in."""

    passed: list[Packet]
    dropped: list[Dropped]


def merge(packets: list[Packet]) -> list[Packet]:
    """Join classes that differ in one field only, so splits that led nowhere (a counter,
    a log rule, a port that was not accepted) do not multiply."""
    if len(packets) < 2:
        return packets
    for name in _MERGE_FIELDS:
        groups: dict[Packet, list[Packet]] = defaultdict(list)
        for packet in packets:
            groups[packet.with_field(name, Spans())].append(packet)
        if len(groups) == len(packets):
            continue
        joined: list[Packet] = []
        for members in groups.values():
            value = members[0].get(name)
            for other in members[1:]:
                value = value | other.get(name)
            joined.append(members[0].with_field(name, value))
        packets = joined
    return packets


def _run_rule(
    ruleset: Ruleset,
    table: str,
    chain: str,
    rule: Rule,
    packet: Packet,
    flow: Flow,
    going: list[Packet],
    depth: int,
    budget: Budget,
) -> None:
    budget.spend()
    hit, rest = match(packet, rule.conditions)
    going.extend(rest)
    if hit is None:
        return
    hit = apply(hit, rule.effects)
    step = rule.text
    verdict = rule.verdict
    if isinstance(verdict, Accept):
        flow.accepted.append(hit.through(step))
    elif isinstance(verdict, Drop):
        flow.dropped.append(Dropped(hit, step, verdict.reject))
    elif isinstance(verdict, Next):
        going.append(hit)
    elif isinstance(verdict, Return):
        flow.returned.append(hit)
    elif isinstance(verdict, Jump | Goto):
        called = run_chain(ruleset, table, verdict.target, [hit.through(step)], depth + 1, budget)
        flow.take(called)
        # What comes back did not get anywhere through the call: the path shown for a
        # class that gets in names only the jumps that led it there.
        back = [msgspec.structs.replace(p, via=hit.via) for p in called.returned]
        if isinstance(verdict, Jump):
            going.extend(back)
        else:
            flow.returned.extend(back)
    elif isinstance(verdict, Unsure):
        unsure = f"{step} ({verdict.what})"
        flow.accepted.append(hit.depending(unsure).through(step))
        going.append(hit.unsettled())
    else:  # pragma: no cover - every verdict type is handled above
        raise AssertionError(verdict)


def run_chain(
    ruleset: Ruleset,
    table: str,
    name: str,
    packets: list[Packet],
    depth: int,
    budget: Budget,
) -> Flow:
    flow = Flow()
    chain = ruleset.chains.get((table, name))
    if chain is None or depth > MAX_DEPTH:
        why = f"chain {name} not found" if chain is None else f"more than {MAX_DEPTH} jumps"
        for packet in packets:
            flow.accepted.append(packet.depending(why).through(f"{name}: {why}"))
            flow.returned.append(packet.unsettled())
        return flow
    live = packets
    for rule in chain.rules:
        if not live:
            break
        going: list[Packet] = []
        for packet in live:
            _run_rule(ruleset, table, name, rule, packet, flow, going, depth, budget)
        live = merge(going)
        if len(live) > MAX_CLASSES:
            raise TooComplex(f"more than {MAX_CLASSES} classes of packets in chain {name}")
    flow.returned.extend(live)
    return flow


def run_base(ruleset: Ruleset, base: BaseChain, packets: list[Packet], budget: Budget) -> Flow:
    """One base chain: what it accepts, and what falls to its policy."""
    flow = run_chain(ruleset, base.table, base.chain, packets, 0, budget)
    ended = flow.returned
    flow.returned = []
    if base.policy == "accept":
        flow.accepted.extend(p.through(f"{base.label}: policy accept") for p in ended)
    else:
        flow.dropped.extend(Dropped(p, f"{base.label}: policy drop", False) for p in ended)
    return flow


def passage(ruleset: Ruleset, start: Packet, budget: Budget | None = None) -> Passage:
    """Run `start` through every base chain of its family, prerouting then input, each
    hook's chains in priority order; what one accepts is all the next one sees."""
    budget = budget or Budget()
    live = [start]
    dropped: list[Dropped] = []
    chains = sorted((b for b in ruleset.base if start.family in b.families), key=lambda b: b.order)
    for base in chains:
        if not live:
            break
        flow = run_base(ruleset, base, live, budget)
        dropped.extend(flow.dropped)
        live = merge(flow.accepted)
    return Passage(passed=live, dropped=dropped)


def families(ruleset: Ruleset) -> set[str]:
    return {f for b in ruleset.base for f in b.families}
