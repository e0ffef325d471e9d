"""`nft -j list ruleset` (libnftables JSON, schema version 1) to a `Ruleset`.

Every table of family ip, ip6 and inet is read; their base chains on the prerouting and
input hooks are what an inbound packet meets (netdev and inet `ingress` chains can only
drop more, and are noted, not judged). Matches the interpreter cannot decide become
`Opaque`, and expressions this module does not know become `Opaque(understood=False)` or
an `Unsure` verdict, so nothing unknown can make a ruleset look closed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from msgspec import Struct, field

from endpoint_audit.checks.firewall.linux.netfilter.rules import (
    Accept,
    BaseChain,
    Chain,
    Condition,
    CtStateIs,
    Drop,
    Effect,
    FamilyIs,
    Fixed,
    Goto,
    Jump,
    MarkIs,
    Next,
    NoTrack,
    OnInterface,
    Opaque,
    Return,
    Rule,
    Ruleset,
    SetMark,
    Unsure,
    Verdict,
    Within,
)
from endpoint_audit.checks.firewall.linux.netfilter.spans import (
    PORTS,
    PROTOCOLS,
    Spans,
    address_range,
    every_address,
    network,
)

FAMILIES = {"ip": frozenset({"ip"}), "ip6": frozenset({"ip6"}), "inet": frozenset({"ip", "ip6"})}
HOOKS = frozenset({"prerouting", "input"})
PROTOCOL_NUMBERS = {
    "icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "dccp": 33, "gre": 47, "esp": 50, "ah": 51,
    "icmpv6": 58, "ipv6-icmp": 58, "sctp": 132, "udplite": 136,
}  # fmt: skip
PORT_HEADERS = {"tcp": 6, "udp": 17, "dccp": 33, "sctp": 132, "udplite": 136}
PORT_PROTOCOLS = Spans.values(PORT_HEADERS.values())
CT_STATES = frozenset({"new", "established", "related", "invalid", "untracked"})
TCP_FLAGS = {"fin": 0x01, "syn": 0x02, "rst": 0x04, "psh": 0x08, "ack": 0x10, "urg": 0x20,
             "ecn": 0x40, "cwr": 0x80}  # fmt: skip
SYN = TCP_FLAGS["syn"]
# Statements with no bearing on whether a packet gets in.
HARMLESS = frozenset({"counter", "log", "comment", "flow", "ct helper", "ct timeout",
                      "ct expectation", "secmark", "dup", "last"})  # fmt: skip
BARE_META = frozenset({"iif", "iifname", "oif", "oifname", "mark"})  # printed without `meta`
NAT = frozenset({"snat", "dnat", "masquerade", "redirect"})
UNDECIDABLE_HEADERS = frozenset({"ether", "vlan", "arp", "icmp", "icmpv6", "igmp", "ah",
                                 "esp", "comp", "gre", "sll", "ip", "ip6"})  # fmt: skip


class NotUnderstood(Exception):
    pass


class Changing(Exception):
    """A named set whose elements change at run time (`dynamic`, timeouts, `add @set`)."""


class Context(Struct):
    family: str  # table family: ip, ip6, inet
    table: str
    sets: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    changing: frozenset[str] = frozenset()


# --- rendering, for findings --------------------------------------------------------------


def render(value: Any) -> str:
    """A compact nft-like text of an expression, so findings show the rule."""
    if isinstance(value, dict) and len(value) == 1:
        key, inner = next(iter(value.items()))
        if key == "match" and isinstance(inner, dict):
            op = inner.get("op", "==")
            op = "" if op in ("==", "in") else f"{op} "
            return f"{render(inner.get('left'))} {op}{render(inner.get('right'))}"
        if key == "payload" and isinstance(inner, dict) and "protocol" in inner:
            return f"{inner.get('protocol')} {inner.get('field')}"
        if key == "meta" and isinstance(inner, dict) and inner.get("key") in BARE_META:
            return str(inner.get("key"))
        if key in ("meta", "ct") and isinstance(inner, dict):
            return f"{key} {inner.get('key')}"
        if key == "fib" and isinstance(inner, dict):
            return f"fib {'.'.join(map(str, inner.get('flags', [])))} {inner.get('result')}"
        if key == "prefix" and isinstance(inner, dict):
            return f"{inner.get('addr')}/{inner.get('len')}"
        if key == "range" and isinstance(inner, list) and len(inner) == 2:
            return f"{render(inner[0])}-{render(inner[1])}"
        if key == "set" and isinstance(inner, list):
            return "{ " + ", ".join(render(v) for v in inner) + " }"
        if key in ("jump", "goto") and isinstance(inner, dict):
            return f"{key} {inner.get('target')}"
        if key in ("accept", "drop", "return", "continue", "notrack") and inner is None:
            return str(key)
        if key == "&" and isinstance(inner, list):
            return " & ".join(render(v) for v in inner)
        if key == "concat" and isinstance(inner, list):
            return " . ".join(render(v) for v in inner)
        if key == "vmap" and isinstance(inner, dict):
            return f"{render(inner.get('key'))} vmap {render(inner.get('data'))}"
        if key == "elem" and isinstance(inner, dict):
            return render(inner.get("val"))
        if key == "counter":
            return "counter"
    if isinstance(value, list):
        if value and all(isinstance(v, list) and len(v) == 2 for v in value):
            return "{ " + ", ".join(f"{render(k)} : {render(v)}" for k, v in value) + " }"
        return ", ".join(render(v) for v in value)
    if isinstance(value, str):
        plain = value.startswith("@") or all(c.isalnum() or c in "-_.:/" for c in value)
        return value if plain and value else json.dumps(value, ensure_ascii=False)
    if value is None:
        return "null"
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= 120 else text[:117] + "..."


def rule_text(ctx: Context, chain: str, exprs: list[Any]) -> str:
    body = " ".join(render(e) for e in exprs if not (isinstance(e, dict) and "counter" in e))
    return f"{ctx.family} {ctx.table} {chain}: {body or '(empty rule)'}"


# --- values -------------------------------------------------------------------------------


def _elements(value: Any, ctx: Context) -> list[Any]:
    """The members of a set-like right-hand side, named sets resolved."""
    if isinstance(value, str) and value.startswith("@"):
        name = value[1:]
        if name in ctx.changing:
            raise Changing(value)
        found = ctx.sets.get(name)
        if found is None:
            raise NotUnderstood(f"set {value} not in the ruleset")
        elems = found.get("elem", [])
        return list(elems) if isinstance(elems, list) else [elems]
    if isinstance(value, dict) and "set" in value:
        inner = value["set"]
        return list(inner) if isinstance(inner, list) else [inner]
    if isinstance(value, list):
        return list(value)
    return [value]


def _unwrap(elem: Any) -> Any:
    while isinstance(elem, dict) and "elem" in elem and isinstance(elem["elem"], dict):
        elem = elem["elem"].get("val")
    return elem


def numbers(value: Any, ctx: Context, kind: str) -> Spans:
    """Ports, protocol numbers or addresses of family `kind` (`ip`, `ip6`)."""
    out = Spans()
    for elem in map(_unwrap, _elements(value, ctx)):
        out = out | _one_number(elem, kind)
    return out


def _one_number(elem: Any, kind: str) -> Spans:
    if isinstance(elem, bool):
        raise NotUnderstood(f"value {elem!r}")
    if isinstance(elem, int):
        return Spans.values([elem])
    if isinstance(elem, dict) and "range" in elem:
        pair = elem["range"]
        if isinstance(pair, list) and len(pair) == 2:
            if kind in ("ip", "ip6"):
                return address_range(str(pair[0]), str(pair[1]), kind)
            lo, hi = _one_number(pair[0], kind), _one_number(pair[1], kind)
            return Spans.of((lo.spans[0][0], hi.spans[0][1]))
    if isinstance(elem, dict) and "prefix" in elem and kind in ("ip", "ip6"):
        prefix = elem["prefix"]
        if isinstance(prefix, dict):
            return network(f"{prefix.get('addr')}/{prefix.get('len')}", kind)
    if isinstance(elem, str):
        if kind in ("ip", "ip6"):
            try:
                return network(elem, kind)
            except ValueError as exc:
                raise NotUnderstood(f"address {elem!r}") from exc
        if kind == "proto" and elem in PROTOCOL_NUMBERS:
            return Spans.values([PROTOCOL_NUMBERS[elem]])
        if elem.isdigit():
            return Spans.values([int(elem)])
    raise NotUnderstood(f"value {render(elem)}")


def strings(value: Any, ctx: Context) -> frozenset[str]:
    out: set[str] = set()
    for elem in map(_unwrap, _elements(value, ctx)):
        if not isinstance(elem, str):
            raise NotUnderstood(f"value {render(elem)}")
        out.add(elem)
    return frozenset(out)


def _compare(op: str, value: Any, domain: Spans, ctx: Context, kind: str) -> Within | None:
    """`<`, `>`, `<=`, `>=` against one number, as the spans they select."""
    bound = numbers(value, ctx, kind)
    if len(bound.spans) != 1 or bound.spans[0][0] != bound.spans[0][1]:
        return None
    n = bound.spans[0][0]
    top = domain.spans[-1][1]
    spans = {"<": (0, n - 1), "<=": (0, n), ">": (n + 1, top), ">=": (n, top)}.get(op)
    return None if spans is None else Within("proto", Spans.of(spans))


# --- matches ------------------------------------------------------------------------------


def _within(field_name: Any, op: str, right: Any, ctx: Context, kind: str) -> Condition:
    domain = {"proto": PROTOCOLS, "port": PORTS}.get(kind) or every_address(kind)
    if op in ("<", ">", "<=", ">="):
        compared = _compare(op, right, domain, ctx, kind)
        if compared is None:
            raise NotUnderstood(f"comparison {op} {render(right)}")
        return Within(field_name, compared.values)
    if op not in ("==", "!=", "in"):
        raise NotUnderstood(f"operator {op}")
    return Within(field_name, numbers(right, ctx, kind), negate=op == "!=")


def _family_of(protocol: str) -> frozenset[str]:
    return frozenset({"ip"}) if protocol == "ip" else frozenset({"ip6"})


def payload(left: dict[str, Any], op: str, right: Any, ctx: Context) -> list[Condition]:
    protocol, name = left.get("protocol"), left.get("field")
    if not isinstance(protocol, str):
        return [Opaque(f"raw payload {render({'payload': left})}", understood=False)]
    if protocol in ("ip", "ip6"):
        fam = _family_of(protocol)
        if name in ("saddr", "daddr"):
            return [FamilyIs(fam), _within(name, op, right, ctx, protocol)]
        if (protocol, name) in (("ip", "protocol"), ("ip6", "nexthdr")):
            return [FamilyIs(fam), _within("proto", op, right, ctx, "proto")]
        return [FamilyIs(fam), Opaque(f"{protocol} {name}")]
    if protocol in PORT_HEADERS or protocol == "th":
        protos = PORT_PROTOCOLS if protocol == "th" else Spans.values([PORT_HEADERS[protocol]])
        if name in ("sport", "dport"):
            return [Within("proto", protos), _within(name, op, right, ctx, "port")]
        if protocol == "tcp" and name == "flags":
            return [Within("proto", protos), Fixed(_flags_hold(op, SYN, right, ctx))]
        return [Within("proto", protos), Opaque(f"{protocol} {name}")]
    if protocol in ("icmp", "icmpv6"):
        fam = frozenset({"ip"}) if protocol == "icmp" else frozenset({"ip6"})
        number = PROTOCOL_NUMBERS[protocol]
        return [
            FamilyIs(fam),
            Within("proto", Spans.values([number])),
            Opaque(f"{protocol} {name}"),
        ]
    if protocol in UNDECIDABLE_HEADERS:
        return [Opaque(f"{protocol} {name}")]
    return [Opaque(f"{protocol} {name}", understood=False)]


def _flag_bits(value: Any, ctx: Context) -> int:
    bits = 0
    for elem in map(_unwrap, _elements(value, ctx)):
        if isinstance(elem, str) and elem in TCP_FLAGS:
            bits |= TCP_FLAGS[elem]
        elif isinstance(elem, int) and not isinstance(elem, bool):
            bits |= elem
        else:
            raise NotUnderstood(f"tcp flags {render(elem)}")
    return bits


def _flags_hold(op: str, flags: int, right: Any, ctx: Context) -> bool:
    """`tcp flags ...` on a SYN: the first packet of a TCP connection."""
    bits = _flag_bits(right, ctx)
    if op == "in":
        return flags & bits != 0
    if op == "==":
        return flags == bits
    if op == "!=":
        return flags != bits
    raise NotUnderstood(f"tcp flags {op}")


def _bitwise(left: list[Any], op: str, right: Any, ctx: Context) -> list[Condition]:
    """`x & mask == value` for marks and TCP flags."""
    if len(left) != 2:
        raise NotUnderstood("bitwise expression")
    target, mask = left
    if isinstance(target, dict) and target.get("payload") == {"protocol": "tcp", "field": "flags"}:
        masked = SYN & _flag_bits(mask, ctx)
        return [Within("proto", Spans.values([6])), Fixed(_flags_hold(op, masked, right, ctx))]
    which = _mark_kind(target)
    if (
        which is not None
        and isinstance(mask, int)
        and isinstance(right, int)
        and op in ("==", "!=")
    ):
        return [MarkIs(which, right, mask, negate=op == "!=")]
    return [Opaque(f"bitwise {render({'&': left})}")]


def _mark_kind(expr: Any) -> Literal["mark", "ctmark"] | None:
    if expr == {"meta": {"key": "mark"}}:
        return "mark"
    if expr == {"ct": {"key": "mark"}}:
        return "ctmark"
    return None


def _interfaces(op: str, right: Any, ctx: Context) -> Condition:
    if op not in ("==", "!=", "in"):
        raise NotUnderstood(f"interface {op}")
    names = strings(right, ctx)
    if any(n.endswith("*") and not n.endswith("\\*") for n in names):
        return Opaque(f"interface name pattern {', '.join(sorted(names))}")
    names = frozenset(n.replace("\\*", "*") for n in names)
    return OnInterface(names, negate=op == "!=")


def _holds(op: str, hit: bool) -> Condition:
    if op not in ("==", "!=", "in"):
        raise NotUnderstood(f"operator {op}")
    return Fixed(hit != (op == "!="))


def meta(key: Any, op: str, right: Any, ctx: Context) -> list[Condition]:
    if key in ("iif", "iifname"):
        return [_interfaces(op, right, ctx)]
    if key in ("oif", "oifname"):
        # Not set before routing decides, and input comes after that decision for
        # local delivery with no output interface: an oif match never holds here.
        return [Fixed(op == "!=")]
    if key == "l4proto":
        return [_within("proto", op, right, ctx, "proto")]
    if key in ("nfproto", "protocol"):
        wanted = strings(right, ctx)
        fams = {f for w in wanted for f in ({"ipv4": "ip", "ip": "ip", "ipv6": "ip6",
                                              "ip6": "ip6"}.get(w, ""),) if f}  # fmt: skip
        if op == "!=":
            return [FamilyIs(frozenset({"ip", "ip6"}) - fams)]
        return [FamilyIs(frozenset(fams))]
    if key == "mark" and isinstance(right, int) and op in ("==", "!="):
        return [MarkIs("mark", right, negate=op == "!=")]
    if key == "pkttype":
        return [_holds(op, "host" in strings(right, ctx))]
    if key == "iiftype":
        if strings(right, ctx) == {"loopback"}:
            return [_holds(op, False)]
        return [Opaque(f"meta iiftype {render(right)}")]
    if key in ("skuid", "skgid"):
        return [Fixed(False)]  # no local socket on the way in: the expression never matches
    if isinstance(key, str):
        return [Opaque(f"meta {key}")]
    raise NotUnderstood("meta")


def conntrack(key: Any, op: str, right: Any, ctx: Context) -> list[Condition]:
    if key == "state":
        states = strings(right, ctx)
        if not states <= CT_STATES:
            raise NotUnderstood(f"ct state {render(right)}")
        if op not in ("==", "!=", "in"):
            raise NotUnderstood(f"ct state {op}")
        return [CtStateIs(states, negate=op == "!=")]
    if key == "direction":
        return [_holds(op, "original" in strings(right, ctx))]
    if key == "mark" and isinstance(right, int) and op in ("==", "!="):
        return [MarkIs("ctmark", right, negate=op == "!=")]
    if isinstance(key, str):
        return [Opaque(f"ct {key}")]
    raise NotUnderstood("ct")


def fib(spec: dict[str, Any], op: str, right: Any, ctx: Context) -> list[Condition]:
    flags = spec.get("flags") or []
    if spec.get("result") == "type" and "daddr" in flags:
        return [_holds(op, "local" in strings(right, ctx))]
    return [Opaque(f"fib {render({'fib': spec})}")]


def conditions(m: dict[str, Any], ctx: Context) -> list[Condition]:
    op, left, right = m.get("op", "=="), m.get("left"), m.get("right")
    if not isinstance(op, str) or not isinstance(left, dict) or len(left) != 1:
        raise NotUnderstood("match")
    kind, inner = next(iter(left.items()))
    try:
        if kind == "payload" and isinstance(inner, dict):
            return payload(inner, op, right, ctx)
        if kind == "meta" and isinstance(inner, dict):
            return meta(inner.get("key"), op, right, ctx)
        if kind == "ct" and isinstance(inner, dict):
            return conntrack(inner.get("key"), op, right, ctx)
        if kind == "fib" and isinstance(inner, dict):
            return fib(inner, op, right, ctx)
        if kind == "&" and isinstance(inner, list):
            return _bitwise(inner, op, right, ctx)
    except Changing as exc:
        return [Opaque(f"{exc} changes at run time")]
    if kind in ("concat", "socket", "osf", "numgen", "jhash", "symhash", "rt", "exthdr",
                "tcp option", "ipsec", "sctp chunk", "dccp option", "ip option"):  # fmt: skip
        return [Opaque(render(left))]
    return [Opaque(render(left), understood=False)]


# --- rules --------------------------------------------------------------------------------


def _verdict(stmt: dict[str, Any]) -> Verdict | None:
    key, inner = next(iter(stmt.items()))
    if key == "accept":
        return Accept()
    if key == "drop":
        return Drop()
    if key == "reject":
        return Drop(reject=True)
    if key == "return":
        return Return()
    if key == "continue":
        return Next()
    if key in ("jump", "goto") and isinstance(inner, dict) and isinstance(inner.get("target"), str):
        target = inner["target"]
        return Jump(target) if key == "jump" else Goto(target)
    if key in NAT:
        return Accept()  # NAT statements end their chain; the packet goes on
    return None


def _effect(stmt: dict[str, Any]) -> Effect | None:
    key, inner = next(iter(stmt.items()))
    if key == "notrack":
        return NoTrack()
    if key == "mangle" and isinstance(inner, dict):
        which = _mark_kind(inner.get("key"))
        if which is not None:
            value = inner.get("value")
            good = isinstance(value, int) and not isinstance(value, bool)
            return SetMark(which, value if good else None)
    return None


def translate(exprs: Any, ctx: Context, chain: str) -> list[Rule]:
    """One rule's expressions; a verdict map becomes one rule per key."""
    if not isinstance(exprs, list):
        exprs = []
    text = rule_text(ctx, chain, exprs)
    conds: list[Condition] = []
    effects: list[Effect] = []
    verdict: Verdict = Next()
    vmap: dict[str, Any] | None = None
    for stmt in exprs:
        if not isinstance(stmt, dict) or len(stmt) != 1:
            conds.append(Opaque(f"expression {render(stmt)}", understood=False))
            verdict = Unsure(f"expression {render(stmt)} not understood")
            continue
        key, inner = next(iter(stmt.items()))
        if key == "match" and isinstance(inner, dict):
            try:
                conds.extend(conditions(inner, ctx))
            except NotUnderstood as exc:
                conds.append(Opaque(f"{render(stmt)} ({exc})", understood=False))
            continue
        if key == "limit":
            inverted = isinstance(inner, dict) and inner.get("inv") is True
            conds.append(Fixed(not inverted))  # one new connection stays under any rate
            continue
        if key == "ct count":
            inverted = isinstance(inner, dict) and inner.get("inv") is True
            conds.append(Fixed(not inverted))  # the first connection is not over any count
            continue
        if key in ("quota", "meter"):
            conds.append(Opaque(render(stmt)))
            continue
        if key == "vmap" and isinstance(inner, dict):
            vmap = inner
            continue
        if key == "xt":
            what = inner.get("name", "?") if isinstance(inner, dict) else "?"
            kind = inner.get("type", "match") if isinstance(inner, dict) else "match"
            if kind == "target" and what not in ("LOG", "NFLOG"):
                verdict = Unsure(f"iptables target {what} not shown by nft")
            elif kind != "target":
                conds.append(Opaque(f"iptables match {what} not shown by nft", understood=False))
            continue
        found = _verdict(stmt)
        if found is not None:
            verdict = found
            break  # a verdict ends the rule
        effect = _effect(stmt)
        if effect is not None:
            effects.append(effect)
            continue
        if key in HARMLESS or key == "mangle" or (key == "set" and isinstance(inner, dict)):
            continue
        if key == "queue":
            verdict = Unsure("queued to a user-space program")
            break
        verdict = Unsure(f"statement {key} not understood")
        conds.append(Opaque(f"statement {key}", understood=False))
    if vmap is None:
        return [Rule(text, tuple(conds), tuple(effects), verdict)]
    return _vmap_rules(text, conds, effects, vmap, ctx)


def _vmap_rules(
    text: str, conds: list[Condition], effects: list[Effect], vmap: dict[str, Any], ctx: Context
) -> list[Rule]:
    key, data = vmap.get("key"), vmap.get("data")
    try:
        entries = _map_entries(data, ctx)
    except Changing as exc:
        return [Rule(text, (*conds, Opaque(f"{exc} changes at run time")), tuple(effects),
                     Unsure("verdict map that changes at run time"))]  # fmt: skip
    except NotUnderstood as exc:
        return [Rule(text, (*conds, Opaque(str(exc), understood=False)), tuple(effects),
                     Unsure("verdict map not understood"))]  # fmt: skip
    rules: list[Rule] = []
    for value, verdict_expr in entries:
        found = (
            _verdict(verdict_expr)
            if isinstance(verdict_expr, dict) and len(verdict_expr) == 1
            else None
        )
        verdict: Verdict = found or Unsure(f"verdict {render(verdict_expr)}")
        try:
            keyed = conditions({"op": "==", "left": key, "right": value}, ctx)
        except NotUnderstood as exc:
            keyed = [Opaque(f"{render(key)} ({exc})", understood=False)]
        rules.append(Rule(f"{text} [{render(value)} : {render(verdict_expr)}]",
                          (*conds, *keyed), tuple(effects), verdict))  # fmt: skip
    return rules


def _map_entries(data: Any, ctx: Context) -> list[tuple[Any, Any]]:
    if isinstance(data, str) and data.startswith("@"):
        name = data[1:]
        if name in ctx.changing:
            raise Changing(data)
        found = ctx.sets.get(name)
        if found is None:
            raise NotUnderstood(f"map {data} not in the ruleset")
        elems = found.get("elem", [])
    elif isinstance(data, dict) and "set" in data:
        elems = data["set"]
    else:
        raise NotUnderstood(f"verdict map {render(data)}")
    if not isinstance(elems, list):
        raise NotUnderstood("verdict map elements")
    out: list[tuple[Any, Any]] = []
    for pair in elems:
        if not isinstance(pair, list) or len(pair) != 2:
            raise NotUnderstood(f"verdict map element {render(pair)}")
        out.append((_unwrap(pair[0]), pair[1]))
    return out


# --- the ruleset --------------------------------------------------------------------------


def _changing_sets(items: Iterable[dict[str, Any]]) -> dict[tuple[str, str], set[str]]:
    """Per table, the named sets whose elements the packet path or timeouts change."""
    out: dict[tuple[str, str], set[str]] = {}

    def visit(node: Any, where: tuple[str, str]) -> None:
        if isinstance(node, dict):
            for key in ("set", "map"):
                inner = node.get(key)
                if isinstance(inner, dict) and isinstance(
                    inner.get("set") or inner.get("map"), str
                ):
                    ref = inner.get("set") or inner.get("map")
                    if isinstance(ref, str) and ref.startswith("@"):
                        out.setdefault(where, set()).add(ref[1:])
            for value in node.values():
                visit(value, where)
        elif isinstance(node, list):
            for value in node:
                visit(value, where)

    for item in items:
        for key in ("set", "map"):
            body = item.get(key)
            if isinstance(body, dict):
                flags = body.get("flags") or []
                if "dynamic" in flags or "timeout" in flags or "timeout" in body:
                    where = (str(body.get("family")), str(body.get("table")))
                    out.setdefault(where, set()).add(str(body.get("name")))
        rule = item.get("rule")
        if isinstance(rule, dict):
            visit(rule.get("expr"), (str(rule.get("family")), str(rule.get("table"))))
    return out


def table_key(family: str, table: str) -> str:
    return f"nft {family} {table}"


def parse(data: Any, skip: frozenset[tuple[str, str]] = frozenset()) -> Ruleset:
    """The ruleset of `nft -j list ruleset`, leaving out the (family, table) pairs in
    `skip` (tables read from another tool's output instead)."""
    if not isinstance(data, dict) or not isinstance(data.get("nftables"), list):
        raise ValueError("no 'nftables' list")
    items = [i for i in data["nftables"] if isinstance(i, dict)]
    sets: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    chains: dict[tuple[str, str, str], dict[str, Any]] = {}
    rules: dict[tuple[str, str, str], list[Any]] = {}
    notes: list[str] = []
    for item in items:
        for key in ("set", "map"):
            body = item.get(key)
            if isinstance(body, dict):
                where = (str(body.get("family")), str(body.get("table")))
                sets.setdefault(where, {})[str(body.get("name"))] = body
        chain = item.get("chain")
        if isinstance(chain, dict):
            path = (str(chain.get("family")), str(chain.get("table")), str(chain.get("name")))
            chains[path] = chain
        rule = item.get("rule")
        if isinstance(rule, dict):
            owner = (str(rule.get("family")), str(rule.get("table")), str(rule.get("chain")))
            rules.setdefault(owner, []).append(rule.get("expr"))
    changing = _changing_sets(items)
    base: list[BaseChain] = []
    out: dict[tuple[str, str], Chain] = {}
    for (family, table, name), chain in chains.items():
        if (family, table) in skip:
            continue
        hook = chain.get("hook")
        if family not in FAMILIES:
            if hook in ("ingress", "prerouting", "input"):
                notes.append(f"{family} {table} {name} (hook {hook})")
            continue
        ctx = Context(family, table, sets.get((family, table), {}),
                      frozenset(changing.get((family, table), set())))  # fmt: skip
        translated: list[Rule] = []
        for exprs in rules.get((family, table, name), []):
            translated.extend(translate(exprs, ctx, name))
        key = table_key(family, table)
        out[(key, name)] = Chain(name, tuple(translated))
        if hook == "ingress":
            notes.append(f"{family} {table} {name} (hook ingress)")
        if hook not in HOOKS:
            continue
        policy = chain.get("policy", "accept")
        prio = chain.get("prio", 0)
        base.append(
            BaseChain(
                label=f"{family} {table} {name}",
                table=key,
                chain=name,
                families=FAMILIES[family],
                hook=hook,
                priority=prio if isinstance(prio, int) and not isinstance(prio, bool) else 0,
                policy="drop" if policy == "drop" else "accept",
            )
        )
    return Ruleset(base=tuple(base), chains=out, notes=tuple(notes))
