"""Linux host firewalls: ufw, firewalld, nftables and iptables, each judged on its own.

Several managers can be installed at once and they all end up as netfilter rules, so the
fact lists one profile per firewall found (`require="any"`): the host is protected when
one of them is active and drops or rejects inbound connections by default.

What "inbound default" means per firewall:
- ufw: the `Default: ... (incoming)` policy it reports.
- firewalld: the target of the default zone (and of other active zones bound to real
  interfaces): `default` and `%%REJECT%%` reject, `DROP` drops, `ACCEPT` allows.
- nftables / iptables: the policy of the base chains on the input hook, or a final
  unconditional drop/reject rule (firewalld's own chain ends that way). Netfilter drops
  a packet if any input chain drops it, so one denying chain per address family is
  enough. IPv6 must be denied too unless the host has no IPv6 address besides loopback.

Without root most of these cannot be read; those profiles have `enabled=None` and say so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from endpoint_audit.collectors.base import Collector, Results, json_output, require
from endpoint_audit.errors import CollectorError
from endpoint_audit.model.commands import Argv, Command, CommandResult, ReadFile
from endpoint_audit.model.facts import FirewallFacts, FirewallProfile
from endpoint_audit.model.facts.firewall import InboundPolicy
from endpoint_audit.model.platform import OsFamily, PlatformInfo

ROOT = "root (run with sudo, or --sudo over SSH)"

# Firewall tools live in sbin, which is not on an ordinary user's PATH on Debian.
SBIN_ENV = (
    ("LC_ALL", "C"),
    ("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
)

UFW = Argv(("ufw", "status", "verbose"), privileged=True, env=SBIN_ENV)
FIREWALLD_STATE = Argv(("firewall-cmd", "--state"), env=SBIN_ENV)
FIREWALLD_ZONES = Argv(("firewall-cmd", "--list-all-zones"), privileged=True, env=SBIN_ENV)
NFT = Argv(("nft", "-j", "list", "ruleset"), privileged=True, env=SBIN_ENV)
IPTABLES = Argv(("iptables", "-S", "INPUT"), privileged=True, env=SBIN_ENV)
IP6TABLES = Argv(("ip6tables", "-S", "INPUT"), privileged=True, env=SBIN_ENV)
# Asked only when iptables-nft warns that legacy tables exist: listing them then loads no
# kernel module, so the audit changes nothing on the host.
IPTABLES_LEGACY = Argv(("iptables-legacy", "-S", "INPUT"), privileged=True, env=SBIN_ENV)
IP6TABLES_LEGACY = Argv(("ip6tables-legacy", "-S", "INPUT"), privileged=True, env=SBIN_ENV)
LEGACY_NOTE = "tables-legacy tables present"
IF_INET6 = ReadFile("/proc/net/if_inet6")

CHECKED = ("ufw", "firewalld", "nftables", "iptables")

# firewall-cmd exit statuses (firewall/errors.py): not running, not authorized.
FIREWALLD_NOT_RUNNING = 252
FIREWALLD_NOT_AUTHORIZED = 253
FIREWALLD_RUNNING_BUT_FAILED = 251

_DENIED = re.compile(
    r"you need to be root|must be root|permission denied|operation not permitted"
    r"|authorization failed|not authorized|access denied",
    re.IGNORECASE,
)
_UFW_INCOMING = re.compile(r"^Default:.*?\b(deny|reject|allow)\s+\(incoming\)", re.MULTILINE)
_ZONE_HEADER = re.compile(r"^(?P<name>\S+)(?:\s+\((?P<flags>[^)]*)\))?\s*$")
# Bridges and virtual links of containers and VMs: a zone bound only to these does not
# face the network the PC is on (Docker puts docker0 in an ACCEPT zone on its own).
_VIRTUAL_IFACE = re.compile(r"^(?:lo|docker\d*|br-[0-9a-f]+|virbr\d+(?:-nic)?|veth\w*|cni\w*)$")

Verdict = InboundPolicy  # deny, reject or allow


def _denied(result: CommandResult) -> bool:
    return result.exit_status == 126 or bool(_DENIED.search(result.stderr + result.stdout))


def _needs_root(name: str, result: CommandResult, what: str) -> FirewallProfile:
    return FirewallProfile(
        name=name,
        unknown_reason=f"{what}: {result.excerpt(200)}",
        needs_privilege=ROOT,
    )


def _failed(name: str, result: CommandResult, what: str) -> FirewallProfile:
    if _denied(result):
        return _needs_root(name, result, what)
    return FirewallProfile(
        name=name,
        unknown_reason=f"{what} exited {result.exit_status}: {result.excerpt(200)}",
    )


def _weakest(verdicts: Iterable[Verdict]) -> Verdict:
    """allow beats reject beats deny: the default is as weak as its weakest part."""
    found = set(verdicts)
    for verdict in ("allow", "reject", "deny"):
        if verdict in found:
            return verdict
    raise ValueError("no verdicts")


def _per_family(
    v4: Verdict | None, v6: Verdict | None, ipv6_in_use: bool | None
) -> tuple[Verdict | None, str]:
    """One inbound default from the IPv4 and IPv6 defaults.

    None with a reason when a needed family could not be judged. IPv6 counts unless the
    host has no IPv6 address besides loopback (None, not seen, counts as in use).
    """
    ipv6_counts = ipv6_in_use is not False
    if v4 == "allow" or (ipv6_counts and v6 == "allow"):
        return "allow", ""
    if v4 is None:
        return None, "IPv4 inbound default not seen"
    if not ipv6_counts:
        return v4, ""
    if v6 is None:
        return None, "IPv6 inbound default not seen"
    return _weakest((v4, v6)), ""


def _family_text(v4: Verdict | None, v6: Verdict | None, ipv6_in_use: bool | None) -> str:
    six = "not in use" if ipv6_in_use is False else (v6 or "?")
    return f"IPv4 {v4 or '?'}, IPv6 {six}"


# --- ufw -------------------------------------------------------------------------------


def ufw_profile(result: CommandResult) -> FirewallProfile | None:
    """`ufw status verbose`; None when ufw is not installed."""
    if result.not_found:
        return None
    text = result.stdout
    if "Status: inactive" in text:
        return FirewallProfile(name="ufw", enabled=False, detail="Status: inactive")
    if "Status: active" in text:
        match = _UFW_INCOMING.search(text)
        if match is None:
            return FirewallProfile(
                name="ufw",
                enabled=True,
                unknown_reason="ufw is active but printed no 'Default: ... (incoming)' line",
            )
        verdict: Verdict = match.group(1)  # type: ignore[assignment]
        return FirewallProfile(
            name="ufw",
            enabled=True,
            inbound_default=verdict,
            detail=f"active, default {verdict} (incoming)",
        )
    return _failed("ufw", result, "ufw status verbose")


def ufw_in_kernel(
    profile: FirewallProfile | None, iptables: CommandResult | None
) -> FirewallProfile | None:
    """ufw prints the default policy from its configuration, not from the kernel: after
    `iptables -P INPUT ACCEPT` it still says `deny (incoming)`. ufw implements deny and
    reject with an INPUT policy of DROP, so a readable INPUT chain that accepts by default
    overrides what ufw says."""
    if profile is None or profile.inbound_default not in ("deny", "reject"):
        return profile
    if iptables is None or not iptables.ok:
        return profile
    try:
        chain = parse_input_chain(iptables.stdout)
    except CollectorError:
        return profile  # judged on its own as the iptables profile
    if chain.verdict != "allow":
        return profile
    return profile.model_copy(
        update={
            "inbound_default": "allow",
            "detail": f"{profile.detail}, but the kernel's INPUT policy is {chain.policy}",
        }
    )


# --- firewalld -------------------------------------------------------------------------


@dataclass(frozen=True)
class Zone:
    name: str
    target: str
    default: bool
    active: bool
    interfaces: tuple[str, ...]
    sources: tuple[str, ...]


def parse_zones(text: str) -> list[Zone]:
    """`firewall-cmd --list-all-zones`: a header line per zone, indented `key: value`."""
    zones: list[Zone] = []
    header: re.Match[str] | None = None
    props: dict[str, str] = {}

    def flush() -> None:
        if header is None:
            return
        flags = {f.strip() for f in (header["flags"] or "").split(",")}
        zones.append(
            Zone(
                name=header["name"],
                target=props.get("target", "default"),
                default="default" in flags,
                active="active" in flags,
                interfaces=tuple(props.get("interfaces", "").split()),
                sources=tuple(props.get("sources", "").split()),
            )
        )

    for line in text.splitlines():
        if not line.strip():
            continue
        if line[0].isspace():
            key, sep, value = line.strip().partition(":")
            if sep:
                props[key.strip()] = value.strip()
            continue
        flush()
        header, props = _ZONE_HEADER.match(line.strip()), {}
    flush()
    return zones


def zone_verdict(target: str) -> Verdict:
    upper = target.strip().upper()
    if upper == "ACCEPT":
        return "allow"
    if upper == "DROP":
        return "deny"
    # "default", "%%REJECT%%" and "REJECT" all reject what the zone does not allow.
    return "reject"


def _faces_network(zone: Zone) -> bool:
    if zone.sources:
        return True
    return any(not _VIRTUAL_IFACE.match(i) for i in zone.interfaces)


def firewalld_profile(state: CommandResult, zones: CommandResult | None) -> FirewallProfile | None:
    if state.not_found:
        return None
    if state.exit_status == FIREWALLD_NOT_AUTHORIZED or (
        _denied(state) and state.stdout.strip() != "running"
    ):
        return _needs_root("firewalld", state, "firewall-cmd --state")
    if state.exit_status == FIREWALLD_NOT_RUNNING or state.stdout.strip() == "not running":
        return FirewallProfile(name="firewalld", enabled=False, detail="not running")
    if state.exit_status == FIREWALLD_RUNNING_BUT_FAILED:
        return FirewallProfile(
            name="firewalld",
            unknown_reason="firewalld is running but failed to apply its configuration "
            f"(exit 251): {state.excerpt(200)}",
        )
    if not state.ok or state.stdout.strip() != "running":
        return _failed("firewalld", state, "firewall-cmd --state")
    if zones is None:
        return FirewallProfile(name="firewalld", enabled=True, unknown_reason="zones not read")
    if not zones.ok:
        failed = _failed("firewalld", zones, "firewall-cmd --list-all-zones")
        return failed.model_copy(update={"enabled": True})
    parsed = parse_zones(zones.stdout)
    default = next((z for z in parsed if z.default), None)
    if default is None:
        return FirewallProfile(
            name="firewalld",
            enabled=True,
            unknown_reason="firewall-cmd --list-all-zones shows no default zone",
        )
    judged = [default, *(z for z in parsed if z.active and z is not default and _faces_network(z))]
    verdict = _weakest(zone_verdict(z.target) for z in judged)
    detail = "running; " + ", ".join(
        f"zone {z.name}{' (default)' if z.default else ''} target {z.target}" for z in judged
    )
    return FirewallProfile(name="firewalld", enabled=True, inbound_default=verdict, detail=detail)


# --- nftables --------------------------------------------------------------------------

_UNCONDITIONAL = frozenset({"counter", "log"})
_BRANCHES = frozenset({"jump", "goto"})


def _unconditional(expr: Any) -> str | None:
    """accept, drop or reject when a rule is nothing but (counter, log and) that verdict."""
    if not isinstance(expr, list) or not expr:
        return None
    *before, last = expr
    if not isinstance(last, dict) or not all(
        isinstance(e, dict) and set(e) <= _UNCONDITIONAL for e in before
    ):
        return None
    for verdict in ("accept", "drop", "reject"):
        if verdict in last:
            return verdict
    return None


def _branches(expr: Any) -> bool:
    return isinstance(expr, list) and any(isinstance(e, dict) and set(e) & _BRANCHES for e in expr)


def chain_verdict(policy: str, rules: Sequence[Any]) -> Verdict:
    """What a base chain does with a packet no rule picks out.

    An unconditional accept in the chain itself accepts everything that reaches it. A
    final unconditional drop/reject counts as the default only when no earlier rule jumps
    elsewhere: the target chain could accept everything (firewalld's zone dispatch ends
    with a reject even when the zone in use is `trusted`), and that cannot be told here.
    """
    branched = False
    for expr in rules:
        verdict = _unconditional(expr)
        if verdict == "accept":
            return "allow"
        if verdict in ("drop", "reject"):
            if branched:
                break
            return "deny" if verdict == "drop" else "reject"
        branched = branched or _branches(expr)
    return "deny" if policy == "drop" else "allow"


def nft_input_chains(data: Any) -> list[tuple[str, str, str, Verdict]]:
    """(family, table, chain, inbound verdict) of every filter chain on the input hook."""
    if not isinstance(data, dict) or not isinstance(data.get("nftables"), list):
        raise CollectorError("nft -j list ruleset: no 'nftables' list")
    chains: dict[tuple[str, str, str], str] = {}
    rules: dict[tuple[str, str, str], list[Any]] = {}
    for item in data["nftables"]:
        if not isinstance(item, dict):
            continue
        chain = item.get("chain")
        if isinstance(chain, dict) and chain.get("hook") == "input":
            family = str(chain.get("family", ""))
            if family in ("ip", "ip6", "inet") and chain.get("type", "filter") == "filter":
                key = (family, str(chain.get("table", "")), str(chain.get("name", "")))
                chains[key] = str(chain.get("policy", "accept"))
        rule = item.get("rule")
        if isinstance(rule, dict):
            key = (str(rule.get("family")), str(rule.get("table")), str(rule.get("chain")))
            rules.setdefault(key, []).append(rule.get("expr"))
    return [(*key, chain_verdict(policy, rules.get(key, []))) for key, policy in chains.items()]


def _family_verdict(verdicts: list[Verdict]) -> Verdict:
    """Any denying chain denies for the whole family (netfilter drops are final)."""
    denying = [v for v in verdicts if v != "allow"]
    if not denying:
        return "allow"
    return "deny" if "deny" in denying else "reject"


def nft_profile(result: CommandResult, ipv6_in_use: bool | None) -> FirewallProfile | None:
    if result.not_found:
        return None
    if not result.ok:
        return _failed("nftables", result, "nft -j list ruleset")
    chains = nft_input_chains(json_output(result, "nft -j list ruleset"))
    if not chains:
        return FirewallProfile(
            name="nftables", enabled=False, detail="no filter chain on the input hook"
        )
    v4 = _family_verdict([v for f, _, _, v in chains if f in ("ip", "inet")])
    v6 = _family_verdict([v for f, _, _, v in chains if f in ("ip6", "inet")])
    verdict, _ = _per_family(v4, v6, ipv6_in_use)
    names = ", ".join(f"{f} {t} {c}: {v}" for f, t, c, v in chains)
    return FirewallProfile(
        name="nftables",
        enabled=True,
        inbound_default=verdict,
        detail=f"{_family_text(v4, v6, ipv6_in_use)}; input chains: {names}",
    )


# --- iptables --------------------------------------------------------------------------


_BUILTIN_TARGETS = ("ACCEPT", "DROP", "REJECT", "LOG", "RETURN", "NFLOG", "AUDIT")


@dataclass(frozen=True)
class InputChain:
    policy: str
    rules: tuple[str, ...]

    @property
    def verdict(self) -> Verdict:
        """Like `chain_verdict`: `-A INPUT -j ACCEPT` accepts everything; a final bare
        `-j DROP`/`-j REJECT` is the default unless an earlier rule jumps to a user chain."""
        branched = False
        for rule in self.rules:
            args = rule.split()[2:]  # after "-A INPUT"
            jump = args.index("-j") if "-j" in args[:-1] else None
            target = args[jump + 1] if jump is not None else None
            unconditional = jump == 0
            if unconditional and target == "ACCEPT":
                return "allow"
            if unconditional and target in ("DROP", "REJECT"):
                if branched:
                    break
                return "deny" if target == "DROP" else "reject"
            branched = branched or "-g" in args or target not in (None, *_BUILTIN_TARGETS)
        return "deny" if self.policy == "DROP" else "allow"

    @property
    def filtering(self) -> bool:
        return self.policy != "ACCEPT" or bool(self.rules)


def parse_input_chain(text: str) -> InputChain:
    """`iptables -S INPUT`: `-P INPUT DROP` and `-A INPUT ...` lines (`#` lines are notes)."""
    policy = None
    rules: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("-P INPUT "):
            policy = line.split()[2]
        elif line.startswith("-A INPUT"):
            rules.append(line)
    if policy is None:
        raise CollectorError(f"iptables -S INPUT: no policy line in {text.strip()[:200]!r}")
    return InputChain(policy=policy, rules=tuple(rules))


@dataclass(frozen=True)
class FamilyChains:
    """The INPUT chains of one address family: the default iptables variant's, plus the
    legacy one's when iptables-nft warns that legacy tables exist (both hooks apply)."""

    chains: tuple[InputChain, ...]
    unread: tuple[tuple[str, CommandResult], ...]  # commands whose output was not usable

    @property
    def verdict(self) -> Verdict | None:
        if self.unread or not self.chains:
            return None
        return _family_verdict([c.verdict for c in self.chains])


def _legacy_present(result: CommandResult | None) -> bool:
    return result is not None and LEGACY_NOTE in result.stdout + result.stderr


def read_family(
    pairs: Iterable[tuple[Argv, CommandResult | None]],
) -> FamilyChains:
    chains: list[InputChain] = []
    unread: list[tuple[str, CommandResult]] = []
    for command, result in pairs:
        if result is None:
            continue
        if result.ok:
            chains.append(parse_input_chain(result.stdout))
        else:
            unread.append((command.key, result))
    return FamilyChains(chains=tuple(chains), unread=tuple(unread))


def iptables_profile(results: Results, ipv6_in_use: bool | None) -> FirewallProfile | None:
    main4 = require(results, IPTABLES)
    if main4.not_found:
        return None
    if not main4.ok:
        return _failed("iptables", main4, "iptables -S INPUT")
    fam4 = read_family(((IPTABLES, main4), (IPTABLES_LEGACY, results.get(IPTABLES_LEGACY.key))))
    fam6 = read_family(
        (
            (IP6TABLES, results.get(IP6TABLES.key)),
            (IP6TABLES_LEGACY, results.get(IP6TABLES_LEGACY.key)),
        )
    )
    chains = fam4.chains + fam6.chains
    unread = fam4.unread + fam6.unread
    filtering = any(c.filtering for c in chains)
    legacy = "; iptables-legacy too" if LEGACY_NOTE in main4.stdout + main4.stderr else ""
    if not filtering and not unread:
        return FirewallProfile(
            name="iptables",
            enabled=False,
            detail=f"INPUT policy ACCEPT with no rules{legacy}",
        )
    verdict, missing = _per_family(fam4.verdict, fam6.verdict, ipv6_in_use)
    reason = privilege = None
    if verdict is None or not filtering:
        problems = unread or ((IP6TABLES.key, CommandResult(1, stderr="not run")),)
        reason = "; ".join(f"{key}: {result.excerpt(200)}" for key, result in problems)
        reason = f"{missing or 'INPUT chain not seen'}: {reason}"
        if any(_denied(result) for _, result in unread):
            privilege = ROOT
    policies = ", ".join(c.policy for c in fam4.chains) or "?"
    return FirewallProfile(
        name="iptables",
        enabled=True if filtering else None,
        inbound_default=verdict if filtering else None,
        detail=f"{_family_text(fam4.verdict, fam6.verdict, ipv6_in_use)}; "
        f"IPv4 INPUT policy {policies}, {sum(len(c.rules) for c in chains)} rules{legacy}",
        unknown_reason=reason,
        needs_privilege=privilege,
    )


# --- IPv6 ------------------------------------------------------------------------------


def ipv6_in_use(result: CommandResult | None) -> bool | None:
    """From /proc/net/if_inet6: False when absent (IPv6 off) or only loopback has an
    address; None when it could not be read."""
    if result is None:
        return None
    if not result.ok:
        return False if "No such file" in result.stderr else None
    interfaces = {line.split()[-1] for line in result.stdout.splitlines() if line.split()}
    return bool(interfaces - {"lo"})


def _guarded(name: str, build: Callable[[], FirewallProfile | None]) -> FirewallProfile | None:
    """One firewall's output that cannot be understood makes that firewall unknown, not
    the whole fact an error: the others may still show that the host is protected."""
    try:
        return build()
    except CollectorError as exc:
        return FirewallProfile(name=name, unknown_reason=str(exc))


class LinuxFirewall(Collector[FirewallFacts]):
    id = "linux.firewall"
    fact_type = FirewallFacts
    platforms = frozenset({OsFamily.LINUX})
    reads = (
        "`ufw status verbose`, `firewall-cmd --state` and `--list-all-zones`, "
        "`nft -j list ruleset`, `iptables -S INPUT`, `ip6tables -S INPUT`, /proc/net/if_inet6"
    )
    privilege = "root to read ufw, firewalld zones, nftables and iptables"

    def commands(self, platform: PlatformInfo, results: Results) -> Sequence[Command]:
        wanted: list[Command] = [UFW, FIREWALLD_STATE, NFT, IPTABLES, IP6TABLES, IF_INET6]
        state = results.get(FIREWALLD_STATE.key)
        if state is not None and state.ok and state.stdout.strip() == "running":
            wanted.append(FIREWALLD_ZONES)
        if _legacy_present(results.get(IPTABLES.key)):
            wanted.append(IPTABLES_LEGACY)
        if _legacy_present(results.get(IP6TABLES.key)):
            wanted.append(IP6TABLES_LEGACY)
        return wanted

    def probe_commands(self, platform: PlatformInfo) -> Sequence[Command]:
        # The follow-ups are constant: a probe script runs them all, and the rounds at
        # evaluation pick those the first round's output calls for.
        return [UFW, FIREWALLD_STATE, NFT, IPTABLES, IP6TABLES, IF_INET6, FIREWALLD_ZONES,
                IPTABLES_LEGACY, IP6TABLES_LEGACY]  # fmt: skip

    def parse(self, results: Results, platform: PlatformInfo) -> FirewallFacts:
        ipv6 = ipv6_in_use(results.get(IF_INET6.key))
        profiles = [
            _guarded(
                "ufw",
                lambda: ufw_in_kernel(
                    ufw_profile(require(results, UFW)), results.get(IPTABLES.key)
                ),
            ),
            _guarded(
                "firewalld",
                lambda: firewalld_profile(
                    require(results, FIREWALLD_STATE), results.get(FIREWALLD_ZONES.key)
                ),
            ),
            _guarded("nftables", lambda: nft_profile(require(results, NFT), ipv6)),
            _guarded("iptables", lambda: iptables_profile(results, ipv6)),
        ]
        return FirewallFacts(
            require="any",
            profiles=tuple(p for p in profiles if p is not None),
            checked=CHECKED,
        )
