"""The question the firewall check asks of a ruleset, per address family: would a new
inbound connection from the network (not loopback) to an arbitrary port be accepted?

"Arbitrary port" and "from the network" are read this way:
- a protocol (TCP or UDP) is open to an arbitrary port from a source when more than half
  of its ports are accepted from that source (`tcp dport 1024-65535 accept` lets any
  unprivileged service in; `tcp dport 22 accept` opens one service: an opening, shown);
- the source port does not narrow anything: the peer chooses it (`udp sport 53 accept`
  lets anyone in who sends from port 53);
- the sources such ports are open to count as "the network" when they are more than half
  of all addresses, or a whole block that home, hotel and public networks use
  (10/8, 172.16/12, 192.168/16, 100.64/10, 169.254/16, fc00::/7, fe80::/10);
- interfaces of containers and virtual machines (docker0, virbr0, veth*) are not the
  network; any other interface is.
"""

from __future__ import annotations

import itertools
import re

import msgspec.structs
from msgspec import Struct

from endpoint_audit.checks.firewall.linux.netfilter.packets import Names, Packet, first_packet
from endpoint_audit.checks.firewall.linux.netfilter.rules import Ruleset
from endpoint_audit.checks.firewall.linux.netfilter.spans import (
    PORTS,
    PROTOCOLS,
    Spans,
    describe_addresses,
    describe_numbers,
    network,
)
from endpoint_audit.checks.firewall.linux.netfilter.walk import Budget, TooComplex, passage

TCP, UDP = 6, 17
ICMP = Spans.values((1, 58))
PORT_PROTOCOLS = Spans.values((6, 17, 33, 132, 136))  # tcp, udp, dccp, sctp, udplite
PROTOCOL_NAMES = {1: "icmp", 6: "tcp", 17: "udp", 33: "dccp", 58: "icmpv6", 132: "sctp",
                  136: "udplite"}  # fmt: skip
LOCAL_NETWORKS = {
    "ip": ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"),
    "ip6": ("fc00::/7", "fe80::/10"),
}
FAMILY_NAMES = {"ip": "IPv4", "ip6": "IPv6"}
VIRTUAL_IFACE = re.compile(r"^(?:lo|docker\d*|br-[0-9a-f]+|virbr\d+(?:-nic)?|veth\w*|cni\w*)$")
MAX_LISTED = 8


class FamilyVerdict(Struct, frozen=True):
    family: str
    verdict: str | None  # deny, reject, allow; None when it could not be decided
    accepted_by: tuple[str, ...] = ()  # the path of a class that gets through
    openings: tuple[str, ...] = ()  # what gets through that is not an arbitrary port
    undecided: tuple[str, ...] = ()  # what the verdict would depend on
    blocked_by: tuple[str, ...] = ()  # the rules that drop the arbitrary connection

    @property
    def name(self) -> str:
        return FAMILY_NAMES.get(self.family, self.family)


def faces_network(packet: Packet) -> bool:
    if not packet.iif.listed:
        return True
    return any(not VIRTUAL_IFACE.match(name) for name in packet.iif.names)


def _arbitrary_sources(sources: Spans, family: str, everything: Spans) -> bool:
    if sources.size() * 2 > everything.size():
        return True
    return any(not (network(block, family) - sources) for block in LOCAL_NETWORKS[family])


def wide_open(packets: list[Packet], family: str, everything: Spans) -> Packet | None:
    """A class through which some protocol is open to an arbitrary port from the
    network, or None. Classes are combined: two rules opening half the ports each open
    them all."""
    for proto in (TCP, UDP):
        candidates = [p for p in packets if proto in p.proto and faces_network(p)]
        if not candidates:
            continue
        cuts = sorted(set().union(*(p.saddr.bounds() for p in candidates)))
        open_sources: list[tuple[int, int]] = []
        for lo, nxt in itertools.pairwise(cuts):
            inside = [p for p in candidates if lo in p.saddr]
            ports = Spans()
            for p in inside:
                ports = ports | p.dport
            if ports.size() * 2 > PORTS.size():
                open_sources.append((lo, nxt - 1))
        if open_sources and _arbitrary_sources(Spans.of(*open_sources), family, everything):
            sources = Spans.of(*open_sources)
            return max(candidates, key=lambda p: (p.saddr & sources).size() * p.dport.size())
    return None


def describe(packet: Packet, everything: Spans) -> str:
    """`tcp/22 ← any (via ...)`: what one class that gets through is, in netfilter's own
    terms (`all`, `sport`, `iif`), so reports in any language show it as it is."""
    if packet.proto == PROTOCOLS:
        what = "all"
    else:
        names = [PROTOCOL_NAMES.get(lo, str(lo)) if lo == hi else f"{lo}-{hi}"
                 for lo, hi in packet.proto]  # fmt: skip
        what = "/".join(names[:4]) + (" ..." if len(names) > 4 else "")
    if not (packet.proto - PORT_PROTOCOLS) and packet.dport != PORTS:
        what += f"/{describe_numbers(packet.dport)}"
    if packet.sport != PORTS:
        what += f" sport {describe_numbers(packet.sport)}"
    source = (
        "any" if packet.saddr == everything else describe_addresses(packet.saddr, packet.family)
    )
    what += f" ← {source}"
    if packet.iif.listed:
        what += f" iif {', '.join(sorted(packet.iif.names))}"
    return f"{what} ({_step(packet)})"


def _listed(items: list[str]) -> tuple[str, ...]:
    unique = list(dict.fromkeys(items))
    if len(unique) > MAX_LISTED:
        return (*unique[:MAX_LISTED], f"+{len(unique) - MAX_LISTED} more")
    return tuple(unique)


def _step(packet: Packet) -> str:
    """The rule that let a class in: the last step of its path that is not a policy."""
    step = next((s for s in reversed(packet.via) if not s.endswith("policy accept")), None)
    return step or (packet.via[-1] if packet.via else "?")


def openings(packets: list[Packet], everything: Spans) -> list[str]:
    """What gets through, one line per accepting rule and kind of traffic: the sources
    and interfaces of its classes joined (no interface named when any counts)."""
    groups: dict[tuple[object, ...], list[Packet]] = {}
    for p in packets:
        groups.setdefault((p.proto, p.dport, p.sport, _step(p)), []).append(p)
    out: list[str] = []
    for members in groups.values():
        anywhere = any(not p.iif.listed for p in members)
        names: frozenset[str] = frozenset().union(*(p.iif.names for p in members))
        iif = Names(frozenset({"lo"}), False) if anywhere else Names(names, True)
        sources = Spans()
        for p in members:
            sources = sources | p.saddr
        joined = msgspec.structs.replace(members[0], iif=iif, saddr=sources)
        out.append(describe(joined, everything))
    return out


def path(packet: Packet) -> tuple[str, ...]:
    steps = tuple(s for s in packet.via if not s.endswith("policy accept"))
    return steps or packet.via or ("no chain on the prerouting or input hook",)


def judge(ruleset: Ruleset, family: str) -> FamilyVerdict:
    start = first_packet(family)
    try:
        result = passage(ruleset, start, Budget())
    except TooComplex as exc:
        return FamilyVerdict(family, None, undecided=(f"ruleset too complex to judge: {exc}",))
    everything = start.saddr
    passed = [p for p in result.passed if faces_network(p)]
    settled = [p for p in passed if not p.depends]
    through = wide_open(settled, family, everything)
    if through is not None:
        return FamilyVerdict(family, "allow", accepted_by=path(through))
    maybe = wide_open(passed, family, everything)
    opened = _listed(openings(settled, everything))
    if maybe is not None:
        unsure = sorted({d for p in passed if p.depends for d in p.depends})
        return FamilyVerdict(
            family, None, openings=opened, undecided=_listed(unsure), accepted_by=path(maybe)
        )
    closing = [
        d
        for d in result.dropped
        if TCP in d.packet.proto and faces_network(d.packet) and not d.packet.depends
    ]
    verdict = "reject" if closing and all(d.reject for d in closing) else "deny"
    # Classes that get in only if an undecided match holds; ICMP alone is left out.
    conditional = [
        f"{describe(p, everything)} if {', '.join(sorted(p.depends))}"
        for p in passed
        if p.depends and (p.proto - ICMP)
    ]
    return FamilyVerdict(
        family,
        verdict,
        openings=opened + _listed(conditional),
        blocked_by=_listed([d.why for d in closing]),
    )
