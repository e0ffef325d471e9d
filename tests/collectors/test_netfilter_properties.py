"""Property tests of the netfilter interpreter against a model-based oracle.

Hypothesis builds random nftables rulesets (tables of family ip and inet, base chains on
prerouting and input with random priorities and policies, user chains reached by jump and
goto, return, matches on conntrack state, interfaces, protocol, ports, source prefixes, and
expressions nobody understands). The oracle runs concrete packets through the same
ruleset with a plain netfilter simulation written here. The interpreter must never say
deny (or reject) when the oracle lets a packet from an arbitrary source to an arbitrary
port in, under either reading of the expressions nobody understands; must say allow only
when some concrete packet gets in; and must never raise on any input.

The mentioned ports and prefixes are few and small, so a packet to port 31337 from
203.0.113.9 stands for more than half of all ports and sources.
"""

from __future__ import annotations

import ipaddress
import itertools
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from endpoint_audit.checks.firewall.linux.netfilter import iptables_save, nft_json
from endpoint_audit.checks.firewall.linux.netfilter.judge import judge

PORTS = (22, 53, 80, 443, 8080)
PREFIXES = (("192.0.2.0", 24), ("198.51.100.0", 24), ("10.0.0.0", 8), ("192.168.1.0", 24))
IFACES = ("lo", "eth0", "docker0")
GENERIC_SOURCE, GENERIC_PORT = "203.0.113.9", 31337
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass(frozen=True)
class Match:
    kind: str  # ct, iif, dport, sport, saddr, proto, garbage
    value: Any = None
    negate: bool = False


@dataclass(frozen=True)
class Rule:
    matches: tuple[Match, ...]
    verdict: tuple[str, str]  # (accept|drop|reject|jump|goto|return|none|garbage, target)


@dataclass
class Chain:
    name: str
    rules: list[Rule]
    hook: str | None = None
    prio: int = 0
    policy: str = "accept"


@dataclass
class Table:
    family: str
    name: str
    chains: list[Chain] = field(default_factory=list)


@dataclass(frozen=True)
class Probe:
    proto: str
    saddr: str
    sport: int
    dport: int
    iif: str


# --- generation ---------------------------------------------------------------------------


def matches() -> st.SearchStrategy[Match]:
    return st.one_of(
        st.builds(
            Match,
            st.just("ct"),
            st.frozensets(
                st.sampled_from(["new", "established", "related", "invalid"]), min_size=1
            ),
            st.booleans(),
        ),
        st.builds(Match, st.just("iif"), st.sampled_from(IFACES), st.booleans()),
        st.builds(
            Match,
            st.sampled_from(["dport", "sport"]),
            st.tuples(
                st.sampled_from(["tcp", "udp"]),
                st.frozensets(st.sampled_from(PORTS), min_size=1, max_size=3),
            ),
            st.booleans(),
        ),
        st.builds(Match, st.just("saddr"), st.sampled_from(PREFIXES), st.booleans()),
        st.builds(Match, st.just("proto"), st.sampled_from(["tcp", "udp", "icmp"]), st.booleans()),
        st.builds(Match, st.just("garbage")),
    )


@st.composite
def tables(draw: st.DrawFn) -> list[Table]:
    out: list[Table] = []
    for t in range(draw(st.integers(1, 3))):
        table = Table(draw(st.sampled_from(["ip", "inet"])), f"t{t}")
        count = draw(st.integers(1, 4))
        names = [f"c{i}" for i in range(count)]
        for i, name in enumerate(names):
            later = names[i + 1 :]  # jumps only forward: no loops
            verdicts = [st.sampled_from(["accept", "drop", "reject", "return", "none", "garbage"])]
            if later:
                verdicts.append(st.sampled_from(["jump", "goto"]))
            rules = []
            for _ in range(draw(st.integers(0, 4))):
                verdict = draw(st.one_of(*verdicts))
                target = draw(st.sampled_from(later)) if verdict in ("jump", "goto") else ""
                conds = tuple(draw(st.lists(matches(), max_size=3)))
                rules.append(Rule(conds, (verdict, target)))
            chain = Chain(name, rules)
            if i == 0 or draw(st.booleans()):
                chain.hook = draw(st.sampled_from(["input", "input", "prerouting"]))
                chain.prio = draw(st.integers(-300, 300))
                chain.policy = draw(st.sampled_from(["accept", "drop"]))
            table.chains.append(chain)
        out.append(table)
    return out


# --- nft JSON, as `nft -j list ruleset` prints it ------------------------------------------


def _match_json(m: Match) -> dict[str, Any]:
    op = "!=" if m.negate else "=="
    if m.kind == "ct":
        return {
            "match": {
                "op": "!=" if m.negate else "in",
                "left": {"ct": {"key": "state"}},
                "right": sorted(m.value),
            }
        }
    if m.kind == "iif":
        return {"match": {"op": op, "left": {"meta": {"key": "iifname"}}, "right": m.value}}
    if m.kind in ("dport", "sport"):
        proto, ports = m.value
        right: Any = {"set": sorted(ports)} if len(ports) > 1 else next(iter(ports))
        return {
            "match": {
                "op": op,
                "left": {"payload": {"protocol": proto, "field": m.kind}},
                "right": right,
            }
        }
    if m.kind == "saddr":
        addr, length = m.value
        return {
            "match": {
                "op": op,
                "left": {"payload": {"protocol": "ip", "field": "saddr"}},
                "right": {"prefix": {"addr": addr, "len": length}},
            }
        }
    if m.kind == "proto":
        return {"match": {"op": op, "left": {"meta": {"key": "l4proto"}}, "right": m.value}}
    return {"match": {"op": "==", "left": {"frobnicate": {"key": "x"}}, "right": 1}}


def _verdict_json(verdict: tuple[str, str]) -> list[dict[str, Any]]:
    kind, target = verdict
    if kind in ("accept", "drop", "return"):
        return [{kind: None}]
    if kind == "reject":
        return [{"reject": {"type": "icmpx", "expr": "admin-prohibited"}}]
    if kind in ("jump", "goto"):
        return [{kind: {"target": target}}]
    if kind == "garbage":
        return [{"frobnicate": {"hard": True}}]
    return [{"counter": {"packets": 0, "bytes": 0}}]


def to_json(ruleset: list[Table]) -> dict[str, Any]:
    items: list[dict[str, Any]] = [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}}]
    for table in ruleset:
        items.append({"table": {"family": table.family, "name": table.name, "handle": 1}})
        for chain in table.chains:
            body: dict[str, Any] = {
                "family": table.family,
                "table": table.name,
                "name": chain.name,
                "handle": 1,
            }
            if chain.hook:
                body.update(type="filter", hook=chain.hook, prio=chain.prio, policy=chain.policy)
            items.append({"chain": body})
        for chain in table.chains:
            for n, rule in enumerate(chain.rules):
                expr = [_match_json(m) for m in rule.matches] + _verdict_json(rule.verdict)
                items.append(
                    {
                        "rule": {
                            "family": table.family,
                            "table": table.name,
                            "chain": chain.name,
                            "handle": n,
                            "expr": expr,
                        }
                    }
                )
    return {"nftables": items}


# --- the oracle: concrete packets through a plain simulation -------------------------------


def _in_prefix(addr: str, prefix: tuple[str, int]) -> bool:
    return ipaddress.ip_address(addr) in ipaddress.ip_network(f"{prefix[0]}/{prefix[1]}")


def _holds(m: Match, p: Probe, garbage: bool) -> bool:
    if m.kind == "garbage":
        return garbage
    if m.kind == "ct":
        hit = "new" in m.value
    elif m.kind == "iif":
        hit = p.iif == m.value
    elif m.kind in ("dport", "sport"):
        proto, ports = m.value
        if p.proto != proto:
            return False  # the protocol is a dependency of the port match, even negated
        hit = (p.dport if m.kind == "dport" else p.sport) in ports
    elif m.kind == "saddr":
        hit = _in_prefix(p.saddr, m.value)
    else:
        hit = p.proto == m.value
    return hit != m.negate


def _run(table: Table, chain: Chain, p: Probe, garbage: bool, depth: int = 0) -> str:
    """accept, drop or return (fell off the end / returned)."""
    by_name = {c.name: c for c in table.chains}
    for rule in chain.rules:
        if not all(_holds(m, p, garbage) for m in rule.matches):
            continue
        kind, target = rule.verdict
        if kind == "garbage":
            if garbage:
                return "accept"  # one reading: the unknown statement accepts
            continue
        if kind in ("accept", "drop"):
            return kind
        if kind == "reject":
            return "drop"
        if kind == "return":
            return "return"
        if kind == "jump":
            result = _run(table, by_name[target], p, garbage, depth + 1)
            if result != "return":
                return result
        if kind == "goto":
            return _run(table, by_name[target], p, garbage, depth + 1)
    return "return"


def accepted(ruleset: list[Table], p: Probe, garbage: bool) -> bool:
    order = {"prerouting": 0, "input": 1}
    bases = sorted(
        ((order[c.hook], c.prio, t, c) for t in ruleset for c in t.chains if c.hook),
        key=lambda x: (x[0], x[1]),
    )
    for _, _, table, chain in bases:
        result = _run(table, chain, p, garbage)
        if result == "drop" or (result == "return" and chain.policy == "drop"):
            return False
    return True


def generic_probes() -> list[Probe]:
    return [
        Probe(proto, GENERIC_SOURCE, sport, GENERIC_PORT, "eth0")
        for proto, sport in itertools.product(("tcp", "udp"), (*PORTS, 40000))
    ]


def any_probes() -> list[Probe]:
    return [
        Probe(proto, saddr, sport, GENERIC_PORT, iif)
        for proto, saddr, sport, iif in itertools.product(
            ("tcp", "udp"), (GENERIC_SOURCE, "10.200.1.1"), (*PORTS, 40000), ("eth0", "wlan0")
        )
    ]


def has_garbage(ruleset: list[Table]) -> bool:
    return any(
        r.verdict[0] == "garbage" or any(m.kind == "garbage" for m in r.matches)
        for t in ruleset
        for c in t.chains
        for r in c.rules
    )


@SETTINGS
@given(tables())
def test_never_deny_while_an_arbitrary_connection_gets_in(ruleset: list[Table]) -> None:
    verdict = judge(nft_json.parse(to_json(ruleset)), "ip")
    for garbage in (False, True):
        opened = [p for p in generic_probes() if accepted(ruleset, p, garbage)]
        if opened:
            assert verdict.verdict not in ("deny", "reject"), (opened[0], verdict, ruleset)


@SETTINGS
@given(tables())
def test_allow_only_when_a_connection_gets_in(ruleset: list[Table]) -> None:
    verdict = judge(nft_json.parse(to_json(ruleset)), "ip")
    if verdict.verdict == "allow" and not has_garbage(ruleset):
        assert any(accepted(ruleset, p, False) for p in any_probes()), (verdict, ruleset)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@SETTINGS
@given(tables(), st.lists(JSON, max_size=4), st.lists(JSON, max_size=3))
def test_hostile_json_never_crashes(
    ruleset: list[Table], exprs: list[Any], items: list[Any]
) -> None:
    data = to_json(ruleset)
    rules = [i for i in data["nftables"] if "rule" in i]
    for rule, junk in zip(rules, exprs, strict=False):
        rule["rule"]["expr"] = [*rule["rule"]["expr"][:-1], junk, *rule["rule"]["expr"][-1:]]
    data["nftables"].extend(items)
    for family in ("ip", "ip6"):
        verdict = judge(nft_json.parse(data), family)
        assert verdict.verdict in ("deny", "reject", "allow", None)


SAVE_TOKENS = st.sampled_from(
    [
        "-A",
        "INPUT",
        "-j",
        "ACCEPT",
        "DROP",
        "-p",
        "tcp",
        "--dport",
        "22",
        "!",
        "-m",
        "conntrack",
        "--ctstate",
        "NEW",
        "-s",
        "10.0.0.0/8",
        "-g",
        "x",
        ":x",
        "-",
        "*filter",
        "COMMIT",
        "-i",
        "lo",
        "--frob",
        "RETURN",
        "1:",
        "/",
        '"',
    ]
)


@SETTINGS
@given(st.lists(st.lists(SAVE_TOKENS, max_size=8).map(" ".join), max_size=12))
def test_hostile_iptables_save_never_crashes(lines: list[str]) -> None:
    text = "*filter\n:INPUT DROP [0:0]\n:x - [0:0]\n" + "\n".join(lines) + "\nCOMMIT\n"
    saved = iptables_save.parse(text, "ip", "iptables-nft")
    assert judge(saved.ruleset, "ip").verdict in ("deny", "reject", "allow", None)
