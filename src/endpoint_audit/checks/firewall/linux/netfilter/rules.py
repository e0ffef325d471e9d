"""What a netfilter ruleset says, whichever tool printed it (`nft -j`, `iptables-save`).

Both parsers turn their input into these types; the interpreter (`walk`) knows nothing of
either format. A rule is a conjunction of conditions on one packet, statements that change
the packet's marks or tracking, and a verdict.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from msgspec import Struct, field

from endpoint_audit.checks.firewall.linux.netfilter.spans import Spans

Field = Literal["saddr", "daddr", "proto", "sport", "dport"]
Hook = Literal["prerouting", "input"]
HOOK_ORDER: dict[str, int] = {"prerouting": 0, "input": 1}

# --- conditions -------------------------------------------------------------------------


class Within(Struct, frozen=True):
    """A header field (address, protocol number, port) is in `values`."""

    field: Field
    values: Spans
    negate: bool = False


class OnInterface(Struct, frozen=True):
    """The input interface is one of `names` (`iif`, `iifname`, `-i`)."""

    names: frozenset[str]
    negate: bool = False


class FamilyIs(Struct, frozen=True):
    """The packet is IPv4 (`ip`) or IPv6 (`ip6`): `meta nfproto`, and every `ip ...` or
    `ip6 ...` match in an inet table, which implies it."""

    families: frozenset[str]


class CtStateIs(Struct, frozen=True):
    states: frozenset[str]  # new, established, related, invalid, untracked
    negate: bool = False


class MarkIs(Struct, frozen=True):
    """`(mark & mask) == value` on the packet mark or the connection's mark."""

    which: Literal["mark", "ctmark"]
    value: int
    mask: int = 0xFFFFFFFF
    negate: bool = False


class Fixed(Struct, frozen=True):
    """A match whose outcome for the first packet of a new connection from the network is
    known: `fib daddr type local` (true), `pkttype broadcast` (false), `limit rate`
    (true: one connection stays under any rate)."""

    value: bool


class Opaque(Struct, frozen=True):
    """A match that may or may not hold: both outcomes are followed, and what only the
    matching side reaches is marked as depending on it. `understood=False` for matches
    the parser does not know at all."""

    what: str
    understood: bool = True


Condition = Within | OnInterface | FamilyIs | CtStateIs | MarkIs | Fixed | Opaque

# --- statements and verdicts -------------------------------------------------------------


class SetMark(Struct, frozen=True):
    which: Literal["mark", "ctmark"]
    value: int | None  # None: set from something the evaluator does not follow


class NoTrack(Struct, frozen=True):
    """`notrack` / `-j CT --notrack`: the packet's conntrack state becomes untracked."""


Effect = SetMark | NoTrack


class Accept(Struct, frozen=True):
    pass


class Drop(Struct, frozen=True):
    reject: bool = False


class Jump(Struct, frozen=True):
    target: str


class Goto(Struct, frozen=True):
    target: str


class Return(Struct, frozen=True):
    pass


class Next(Struct, frozen=True):
    """No verdict: the packet goes on to the next rule (counter, log, mark)."""


class Unsure(Struct, frozen=True):
    """A verdict the evaluator does not follow (`queue`, an unknown target): the packet
    may be accepted, and may go on."""

    what: str


Verdict = Accept | Drop | Jump | Goto | Return | Next | Unsure


class Rule(Struct, frozen=True):
    text: str  # how the rule is shown in findings
    conditions: tuple[Condition, ...] = ()
    effects: tuple[Effect, ...] = ()
    verdict: Verdict = Next()


class Chain(Struct, frozen=True):
    name: str
    rules: tuple[Rule, ...] = ()


class BaseChain(Struct, frozen=True):
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


class Ruleset(Struct, frozen=True):
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
