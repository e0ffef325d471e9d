"""What a netfilter ruleset says, whichever tool printed it (`nft -j`, `iptables-save`).

Both parsers turn their input into these types; the interpreter (`walk`) knows nothing of
either format. A rule is a conjunction of conditions on one packet, statements that change
the packet's marks or tracking, and a verdict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from endpoint_audit.checks.firewall.linux.netfilter.spans import Spans

Field = Literal["saddr", "daddr", "proto", "sport", "dport"]
Hook = Literal["prerouting", "input"]
HOOK_ORDER: dict[str, int] = {"prerouting": 0, "input": 1}

# --- conditions -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Within:
    """A header field (address, protocol number, port) is in `values`."""

    field: Field
    values: Spans
    negate: bool = False


@dataclass(frozen=True, slots=True)
class OnInterface:
    """The input interface is one of `names` (`iif`, `iifname`, `-i`)."""

    names: frozenset[str]
    negate: bool = False


@dataclass(frozen=True, slots=True)
class FamilyIs:
    """The packet is IPv4 (`ip`) or IPv6 (`ip6`): `meta nfproto`, and every `ip ...` or
    `ip6 ...` match in an inet table, which implies it."""

    families: frozenset[str]


@dataclass(frozen=True, slots=True)
class CtStateIs:
    states: frozenset[str]  # new, established, related, invalid, untracked
    negate: bool = False


@dataclass(frozen=True, slots=True)
class MarkIs:
    """`(mark & mask) == value` on the packet mark or the connection's mark."""

    which: Literal["mark", "ctmark"]
    value: int
    mask: int = 0xFFFFFFFF
    negate: bool = False


@dataclass(frozen=True, slots=True)
class Fixed:
    """A match whose outcome for the first packet of a new connection from the network is
    known: `fib daddr type local` (true), `pkttype broadcast` (false), `limit rate`
    (true: one connection stays under any rate)."""

    value: bool


@dataclass(frozen=True, slots=True)
class Opaque:
    """A match that may or may not hold: both outcomes are followed, and what only the
    matching side reaches is marked as depending on it. `understood=False` for matches
    the parser does not know at all."""

    what: str
    understood: bool = True


Condition = Within | OnInterface | FamilyIs | CtStateIs | MarkIs | Fixed | Opaque

# --- statements and verdicts -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SetMark:
    which: Literal["mark", "ctmark"]
    value: int | None  # None: set from something the evaluator does not follow


@dataclass(frozen=True, slots=True)
class NoTrack:
    """`notrack` / `-j CT --notrack`: the packet's conntrack state becomes untracked."""


Effect = SetMark | NoTrack


@dataclass(frozen=True, slots=True)
class Accept:
    pass


@dataclass(frozen=True, slots=True)
class Drop:
    reject: bool = False


@dataclass(frozen=True, slots=True)
class Jump:
    target: str


@dataclass(frozen=True, slots=True)
class Goto:
    target: str


@dataclass(frozen=True, slots=True)
class Return:
    pass


@dataclass(frozen=True, slots=True)
class Next:
    """No verdict: the packet goes on to the next rule (counter, log, mark)."""


@dataclass(frozen=True, slots=True)
class Unsure:
    """A verdict the evaluator does not follow (`queue`, an unknown target): the packet
    may be accepted, and may go on."""

    what: str


Verdict = Accept | Drop | Jump | Goto | Return | Next | Unsure


@dataclass(frozen=True, slots=True)
class Rule:
    text: str  # how the rule is shown in findings
    conditions: tuple[Condition, ...] = ()
    effects: tuple[Effect, ...] = ()
    verdict: Verdict = Next()


@dataclass(frozen=True, slots=True)
class Chain:
    name: str
    rules: tuple[Rule, ...] = ()


@dataclass(frozen=True, slots=True)
class BaseChain:
    """A chain the kernel calls on a hook. `label` names it in findings
    (`inet filter input`, `iptables filter INPUT`)."""

    label: str
    table: str  # key of the table its jumps resolve in
    chain: str
    families: frozenset[str]  # ip, ip6 (inet: both)
    hook: Hook
    priority: int
    policy: Literal["accept", "drop"]

    @property
    def order(self) -> tuple[int, int]:
        return (HOOK_ORDER[self.hook], self.priority)


@dataclass(frozen=True)
class Ruleset:
    """Base chains from every source that was read, and every chain by (table key, name).
    `notes` name the chains seen but not judged (netdev ingress chains): data, which the
    summary's text calls not judged in the report's language."""

    base: tuple[BaseChain, ...] = ()
    chains: Mapping[tuple[str, str], Chain] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def __add__(self, other: Ruleset) -> Ruleset:
        return Ruleset(
            base=self.base + other.base,
            chains={**self.chains, **other.chains},
            notes=self.notes + other.notes,
        )

    def filters(self) -> bool:
        """Whether any base chain on the path of an inbound packet does anything at all."""
        for base in self.base:
            chain = self.chains.get((base.table, base.chain))
            if base.policy != "accept" or (chain is not None and chain.rules):
                return True
        return False
