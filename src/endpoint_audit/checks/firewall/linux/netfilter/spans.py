"""Sets of integers (addresses, ports, protocol numbers) as sorted, disjoint spans.

Firewall matches are prefixes, ranges and lists, so a handful of spans describes what a
chain of rules lets through even for a blocklist of thousands of prefixes. Adjacent spans
are merged, which no general interval library does for integers.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator

from msgspec import Struct

Span = tuple[int, int]  # inclusive


def _normal(spans: Iterable[Span]) -> tuple[Span, ...]:
    out: list[Span] = []
    for lo, hi in sorted(s for s in spans if s[0] <= s[1]):
        if out and lo <= out[-1][1] + 1:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return tuple(out)


class Spans(Struct, frozen=True):
    spans: tuple[Span, ...] = ()

    @staticmethod
    def of(*spans: Span) -> Spans:
        return Spans(_normal(spans))

    @staticmethod
    def values(values: Iterable[int]) -> Spans:
        return Spans(_normal((v, v) for v in values))

    def __bool__(self) -> bool:
        return bool(self.spans)

    def __iter__(self) -> Iterator[Span]:
        return iter(self.spans)

    def __contains__(self, value: int) -> bool:
        return any(lo <= value <= hi for lo, hi in self.spans)

    def __or__(self, other: Spans) -> Spans:
        return Spans(_normal((*self.spans, *other.spans)))

    def __and__(self, other: Spans) -> Spans:
        out: list[Span] = []
        i = j = 0
        a, b = self.spans, other.spans
        while i < len(a) and j < len(b):
            lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
            if lo <= hi:
                out.append((lo, hi))
            if a[i][1] < b[j][1]:
                i += 1
            else:
                j += 1
        return Spans(tuple(out))

    def __sub__(self, other: Spans) -> Spans:
        out: list[Span] = []
        b = other.spans
        j = 0
        for lo, hi in self.spans:
            cur = lo
            while j < len(b) and b[j][1] < cur:
                j += 1
            k = j
            while k < len(b) and b[k][0] <= hi:
                if b[k][0] > cur:
                    out.append((cur, b[k][0] - 1))
                cur = max(cur, b[k][1] + 1)
                k += 1
            if cur <= hi:
                out.append((cur, hi))
        return Spans(tuple(out))

    def size(self) -> int:
        return sum(hi - lo + 1 for lo, hi in self.spans)

    def bounds(self) -> set[int]:
        """Where membership can change: each span's first value and the one after it."""
        return {v for lo, hi in self.spans for v in (lo, hi + 1)}


PORTS = Spans.of((0, 65535))
PROTOCOLS = Spans.of((0, 255))
ADDRESS_BITS = {"ip": 32, "ip6": 128}


def every_address(family: str) -> Spans:
    return Spans.of((0, (1 << ADDRESS_BITS[family]) - 1))


def network(text: str, family: str) -> Spans:
    """`10.0.0.0/8`, `192.0.2.1`, `::1/128`, or a netmask form `10.0.0.0/255.0.0.0`.
    Raises ValueError for anything else, or an address of the other family."""
    net = ipaddress.ip_network(text.strip(), strict=False)
    if (net.version == 4) != (family == "ip"):
        raise ValueError(f"{text!r} is not an {'IPv4' if family == 'ip' else 'IPv6'} address")
    return Spans.of((int(net.network_address), int(net.broadcast_address)))


def address_range(first: str, last: str, family: str) -> Spans:
    lo, hi = network(first, family), network(last, family)
    return Spans.of((lo.spans[0][0], hi.spans[0][1]))


def describe_addresses(spans: Spans, family: str, limit: int = 4) -> str:
    """`10.0.0.0/8, 192.0.2.1` (at most `limit` prefixes, then a count)."""
    make = ipaddress.IPv4Address if family == "ip" else ipaddress.IPv6Address
    names: list[str] = []
    total = 0
    for lo, hi in spans:
        for net in ipaddress.summarize_address_range(make(lo), make(hi)):
            total += 1
            if len(names) < limit:
                single = net.num_addresses == 1
                names.append(str(net.network_address) if single else str(net))
    more = f" (+{total - limit} more)" if total > limit else ""
    return ", ".join(names) + more


def describe_numbers(spans: Spans, limit: int = 6) -> str:
    parts = [str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in spans]
    more = f" (+{len(parts) - limit} more)" if len(parts) > limit else ""
    return ",".join(parts[:limit]) + more
