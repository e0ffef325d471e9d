"""Classes of packets: the first packet of new connections, described field by field.

The interpreter follows sets of packets, not one packet: the class every new inbound
connection from the network starts in is split by each match into the part that matches
and the part that does not. Each field is a set (spans of numbers, or interface names), so
a class is a product of sets and a conjunction of matches splits it exactly.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec.structs
from msgspec import Struct

from endpoint_audit.checks.firewall.linux.netfilter.rules import (
    Condition,
    CtStateIs,
    Effect,
    FamilyIs,
    Field,
    Fixed,
    MarkIs,
    NoTrack,
    OnInterface,
    Opaque,
    SetMark,
    Within,
)
from endpoint_audit.checks.firewall.linux.netfilter.spans import (
    PORTS,
    PROTOCOLS,
    Spans,
    every_address,
    network,
)

LOOPBACK = {"ip": "127.0.0.0/8", "ip6": "::1/128"}
# Multicast and broadcast destinations never carry a new TCP connection to this host.
NOT_UNICAST = {"ip": ("224.0.0.0/3",), "ip6": ("ff00::/8",)}


class Names(Struct, frozen=True):
    """Interface names: one of `names` (`listed`), or any name except `names`."""

    names: frozenset[str]
    listed: bool

    def split(self, names: frozenset[str]) -> tuple[Names, Names]:
        if self.listed:
            return Names(self.names & names, True), Names(self.names - names, True)
        return Names(names - self.names, True), Names(self.names | names, False)

    def __bool__(self) -> bool:
        return bool(self.names) or not self.listed


UNSET = "?"  # a mark or conntrack state changed by a rule the evaluator does not follow


class Packet(Struct, frozen=True):
    family: str
    iif: Names
    saddr: Spans
    daddr: Spans
    proto: Spans
    sport: Spans
    dport: Spans
    ct: str = "new"
    mark: int | None = 0
    ctmark: int | None = 0
    # What this class's fate depends on that the evaluator could not decide.
    depends: frozenset[str] = frozenset()
    via: tuple[str, ...] = ()  # the rules that led it where it is

    def get(self, name: Field) -> Spans:
        value: Spans = getattr(self, name)
        return value

    def with_field(self, name: Field, value: Spans) -> Packet:
        return msgspec.structs.replace(self, **{name: value})

    def empty(self) -> bool:
        return not (
            self.iif and self.saddr and self.daddr and self.proto and self.sport and self.dport
        )

    def through(self, step: str) -> Packet:
        return msgspec.structs.replace(self, via=(*self.via, step))

    def depending(self, what: str) -> Packet:
        return msgspec.structs.replace(self, depends=self.depends | {what})

    def unsettled(self) -> Packet:
        """After a rule the evaluator does not follow: its marks and state are unknown."""
        return msgspec.structs.replace(self, mark=None, ctmark=None, ct=UNSET)


def first_packet(family: str) -> Packet:
    """Every new connection from the network: any source but loopback, to any unicast
    address of this host, any protocol and port, on any interface but `lo`."""
    space = every_address(family)
    loopback = network(LOOPBACK[family], family)
    not_unicast = Spans()
    for prefix in NOT_UNICAST[family]:
        not_unicast = not_unicast | network(prefix, family)
    return Packet(
        family=family,
        iif=Names(frozenset({"lo"}), listed=False),
        saddr=space - loopback - not_unicast,
        daddr=space - loopback - not_unicast,
        proto=PROTOCOLS,
        sport=PORTS,
        dport=PORTS,
    )


def _mark(packet: Packet, cond: MarkIs) -> int | None:
    return packet.mark if cond.which == "mark" else packet.ctmark


def split(packet: Packet, cond: Condition) -> tuple[Packet | None, Packet | None, bool]:
    """(the part of `packet` that matches, the part that does not, whether both are the
    whole packet because the outcome cannot be told); None where a part is empty."""
    match cond:
        case Within(field=name, values=values, negate=negate):
            have = packet.get(name)
            yes, no = have & values, have - values
            if negate:
                yes, no = no, yes
            return _some(packet.with_field(name, yes)), _some(packet.with_field(name, no)), False
        case OnInterface(names=names, negate=negate):
            inside, outside = packet.iif.split(names)
            if negate:
                inside, outside = outside, inside
            return (
                _some(msgspec.structs.replace(packet, iif=inside)),
                _some(msgspec.structs.replace(packet, iif=outside)),
                False,
            )
        case FamilyIs(families=families):
            return _either(packet.family in families, packet)
        case CtStateIs(states=states, negate=negate):
            if packet.ct == UNSET:
                return packet.depending("conntrack state after an unfollowed rule"), packet, True
            return _either((packet.ct in states) != negate, packet)
        case MarkIs():
            value = _mark(packet, cond)
            if value is None:
                return packet.depending(f"{cond.which} set by an unfollowed rule"), packet, True
            return _either(((value & cond.mask) == cond.value) != cond.negate, packet)
        case Fixed(value=value):
            return _either(value, packet)
        case Opaque(what=what):
            return packet.depending(what), packet, True
    raise AssertionError(cond)


def _either(hit: bool, packet: Packet) -> tuple[Packet | None, Packet | None, bool]:
    return (packet, None, False) if hit else (None, packet, False)


def _some(packet: Packet) -> Packet | None:
    return None if packet.empty() else packet


def match(packet: Packet, conditions: Iterable[Condition]) -> tuple[Packet | None, list[Packet]]:
    """Split by a conjunction: (what matches every condition, the rest). After a
    condition whose outcome cannot be told, the whole packet goes on unmatched, so the
    later conditions add nothing to the rest."""
    rest: list[Packet] = []
    current: Packet | None = packet
    settled = True
    for cond in conditions:
        if current is None:
            break
        yes, no, both = split(current, cond)
        if no is not None and settled:
            rest.append(no)
        settled = settled and not both
        current = yes
    return current, rest


def apply(packet: Packet, effects: Iterable[Effect]) -> Packet:
    for effect in effects:
        match effect:
            case SetMark(which="mark", value=value):
                packet = msgspec.structs.replace(packet, mark=value)
            case SetMark(which="ctmark", value=value):
                packet = msgspec.structs.replace(packet, ctmark=value)
            case NoTrack():
                packet = msgspec.structs.replace(packet, ct="untracked")
    return packet
