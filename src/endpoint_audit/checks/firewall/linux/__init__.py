"""Linux host firewalls: what the kernel's netfilter rules let in, and the managers on top.

ufw and firewalld are front-ends: they print what they were configured to do, while the
kernel's rules decide. When those rules can be read (`nft -j list ruleset`, and
`iptables-save` / `ip6tables-save` for the iptables tables, legacy ones too when
iptables-nft says they exist), an interpreter answers the check's question from them:
would a new inbound connection from the network to an arbitrary port be accepted? The
managers are reported beside that verdict (`FirewallFacts.frontends`), never instead of
it. Without root none of this can be read, and the verdict is unknown naming root.

Tables of iptables-nft are nftables tables too: they are judged from `iptables-save`,
which shows their matches (nft prints them as opaque `xt` expressions), and left out of
the nft view. Legacy tables are separate hooks and are judged on their own. A packet must
get through every base chain of every view, so a drop in any is final.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from msgspec import Struct

from endpoint_audit.checkkit.collector import Collector, Results, json_output, require
from endpoint_audit.checkkit.firewall_facts import FirewallProfile, InboundPolicy
from endpoint_audit.checks.firewall.facts import FirewallFacts
from endpoint_audit.checks.firewall.linux.netfilter import iptables_save, nft_json
from endpoint_audit.checks.firewall.linux.netfilter.judge import FamilyVerdict, judge
from endpoint_audit.checks.firewall.linux.netfilter.rules import Ruleset
from endpoint_audit.errors import CollectorError, english
from endpoint_audit.model.commands import Argv, Command, CommandResult, ReadFile
from endpoint_audit.model.observed import Reason, Unknown, seen, unknown
from endpoint_audit.model.platform import OsFamily, PlatformInfo

ROOT = Reason(key="firewall.reason.root")
KERNEL = "netfilter"

# Firewall tools live in sbin, which is not on an ordinary user's PATH on Debian.
SBIN_ENV = (
    ("LC_ALL", "C"),
    ("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
)

UFW = Argv(("ufw", "status", "verbose"), privileged=True, env=SBIN_ENV)
FIREWALLD_STATE = Argv(("firewall-cmd", "--state"), env=SBIN_ENV)
NFT = Argv(("nft", "-j", "list", "ruleset"), privileged=True, env=SBIN_ENV)
IPTABLES_SAVE = Argv(("iptables-save",), privileged=True, env=SBIN_ENV)
IP6TABLES_SAVE = Argv(("ip6tables-save",), privileged=True, env=SBIN_ENV)
# Asked only when iptables-nft warns that legacy tables exist. Listing them reads the
# names of the tables that exist, so it loads no kernel module: the audit changes nothing.
IPTABLES_LEGACY_SAVE = Argv(("iptables-legacy-save",), privileged=True, env=SBIN_ENV)
IP6TABLES_LEGACY_SAVE = Argv(("ip6tables-legacy-save",), privileged=True, env=SBIN_ENV)
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


def _denied(result: CommandResult) -> bool:
    return result.exit_status == 126 or bool(_DENIED.search(result.stderr + result.stdout))


def _needs_root(name: str, result: CommandResult, what: str) -> FirewallProfile:
    return FirewallProfile(
        name=name,
        enabled=unknown("firewall.reason.refused", command=what, output=result.excerpt(200)),
        needs_privilege=ROOT,
    )


def _failed(name: str, result: CommandResult, what: str) -> FirewallProfile:
    if _denied(result):
        return _needs_root(name, result, what)
    return FirewallProfile(
        name=name,
        enabled=unknown(
            "firewall.reason.exited",
            command=what,
            status=result.exit_status,
            output=result.excerpt(200),
        ),
    )


# --- the managers ----------------------------------------------------------------------


def ufw_profile(result: CommandResult) -> FirewallProfile | None:
    """`ufw status verbose`: whether ufw is on and the default it was configured with;
    None when ufw is not installed. What the kernel does is judged from its rules."""
    if result.not_found:
        return None
    text = result.stdout
    if "Status: inactive" in text:
        return FirewallProfile(name="ufw", enabled=seen(False), detail="Status: inactive")
    if "Status: active" in text:
        match = _UFW_INCOMING.search(text)
        if match is None:
            return FirewallProfile(
                name="ufw",
                enabled=seen(True),
                inbound_default=unknown("firewall.reason.ufw_no_default"),
            )
        verdict: InboundPolicy = match.group(1)  # type: ignore[assignment]
        return FirewallProfile(
            name="ufw",
            enabled=seen(True),
            inbound_default=seen(verdict),
            detail=f"active, default {verdict} (incoming)",
        )
    return _failed("ufw", result, "ufw status verbose")


def firewalld_profile(state: CommandResult) -> FirewallProfile | None:
    """`firewall-cmd --state`; None when firewalld is not installed. Its zones are not
    read: the rules it loads into the kernel are what the verdict comes from."""
    if state.not_found:
        return None
    if state.exit_status == FIREWALLD_NOT_AUTHORIZED or (
        _denied(state) and state.stdout.strip() != "running"
    ):
        return _needs_root("firewalld", state, "firewall-cmd --state")
    if state.exit_status == FIREWALLD_NOT_RUNNING or state.stdout.strip() == "not running":
        return FirewallProfile(name="firewalld", enabled=seen(False), detail="not running")
    if state.exit_status == FIREWALLD_RUNNING_BUT_FAILED:
        return FirewallProfile(
            name="firewalld",
            enabled=seen(True),
            inbound_default=unknown("firewall.reason.firewalld_failed", output=state.excerpt(200)),
        )
    if not state.ok or state.stdout.strip() != "running":
        return _failed("firewalld", state, "firewall-cmd --state")
    return FirewallProfile(name="firewalld", enabled=seen(True), detail="running")


# --- the kernel's rules ----------------------------------------------------------------


class Views(Struct):
    """The rule sources read, and those that could not be."""

    ruleset: Ruleset
    read: list[str]
    unread: list[tuple[str, CommandResult | None, str]]  # command, result, why

    @property
    def refused(self) -> bool:
        return any(r is not None and _denied(r) for _, r, _ in self.unread)


_SAVES = (
    (IPTABLES_SAVE, "ip", "iptables"),
    (IP6TABLES_SAVE, "ip6", "ip6tables"),
    (IPTABLES_LEGACY_SAVE, "ip", "iptables-legacy"),
    (IP6TABLES_LEGACY_SAVE, "ip6", "ip6tables-legacy"),
)


def _legacy_present(result: CommandResult | None) -> bool:
    return result is not None and LEGACY_NOTE in result.stdout + result.stderr


def read_views(results: Results) -> Views:
    ruleset = Ruleset()
    read: list[str] = []
    unread: list[tuple[str, CommandResult | None, str]] = []
    covered: set[tuple[str, str]] = set()  # iptables-nft tables, read from iptables-save
    for command, family, tool in _SAVES:
        result = results.get(command.key)
        if command in (IPTABLES_LEGACY_SAVE, IP6TABLES_LEGACY_SAVE):
            main = IPTABLES_SAVE if family == "ip" else IP6TABLES_SAVE
            if not _legacy_present(results.get(main.key)):
                continue
            if result is None:
                unread.append((command.key, None, "legacy tables exist but were not listed"))
                continue
        if result is None or result.not_found:
            continue
        if not result.ok:
            unread.append((command.key, result, f"exited {result.exit_status}"))
            continue
        nft_variant = not tool.endswith("legacy") and iptables_save.from_nft(result.stdout)
        source = tool if tool.endswith("legacy") else f"{tool}-{'nft' if nft_variant else 'legacy'}"
        saved = iptables_save.parse(result.stdout, family, source)
        if nft_variant:
            covered.update((family, t) for t in saved.tables)
        ruleset = ruleset + saved.ruleset
        read.append(command.key)
    nft = require(results, NFT)
    if not nft.not_found:
        if not nft.ok:
            unread.append((NFT.key, nft, f"exited {nft.exit_status}"))
        else:
            try:
                ruleset = ruleset + nft_json.parse(
                    json_output(nft, NFT.key), skip=frozenset(covered)
                )
                read.append(NFT.key)
            except (CollectorError, ValueError) as exc:
                unread.append((NFT.key, nft, f"not understood: {exc}"))
    return Views(ruleset, read, unread)


def _families(ipv6_in_use: bool | None) -> tuple[str, ...]:
    """IPv6 counts unless the host has no IPv6 address besides loopback (None, not seen,
    counts as in use)."""
    return ("ip",) if ipv6_in_use is False else ("ip", "ip6")


def _combined(verdicts: Sequence[FamilyVerdict]) -> InboundPolicy | None:
    found = [v.verdict for v in verdicts]
    if "allow" in found:
        return "allow"
    if None in found:
        return None
    return "reject" if all(v == "reject" for v in found) else "deny"


def _by_family(
    verdicts: Sequence[FamilyVerdict], items: Callable[[FamilyVerdict], tuple[str, ...]]
) -> tuple[str, ...]:
    seen: dict[str, list[str]] = {}
    for verdict in verdicts:
        for item in items(verdict):
            seen.setdefault(item, []).append(verdict.name)
    return tuple(f"{'+'.join(names)}: {item}" for item, names in seen.items())


def kernel_profile(results: Results, ipv6_in_use: bool | None, managers: str) -> FirewallProfile:
    """The verdict of the kernel's rules for a new inbound connection to an arbitrary
    port, from every view that could be read."""
    views = read_views(results)
    why_unread = "; ".join(
        f"{key} {why}" + (f": {result.excerpt(200)}" if result is not None else "")
        for key, result, why in views.unread
    )
    unread = (
        Reason(
            key="firewall.reason.views_unread",
            args={"views": ", ".join(key for key, _, _ in views.unread), "output": why_unread},
        )
        if views.unread
        else None
    )
    privilege = ROOT if views.refused else None
    if not views.read:
        return FirewallProfile(
            name=KERNEL,
            enabled=Unknown(reason=unread or Reason(key="firewall.reason.no_rule_tools")),
            needs_privilege=privilege,
        )
    read = ", ".join(views.read)
    notes = "".join(f"; {n}" for n in views.ruleset.notes)
    shown = {"read": read, "managers": managers, "notes": notes.lstrip("; ")}
    variant = ("_managers" if managers else "") + ("_notes" if notes else "")
    if not views.ruleset.filters() and not views.unread:
        return FirewallProfile(
            name=KERNEL,
            enabled=seen(False),
            inbound_default=seen("allow"),
            # In netfilter's terms; `summary` says it for people in their language.
            detail=f"input: policy accept, rules: 0 ({read}){_listed(managers)}",
            summary=Reason(key=f"firewall.reason.summary_unfiltered{variant}", args=shown),
        )
    verdicts = [judge(views.ruleset, family) for family in _families(ipv6_in_use)]
    verdict: InboundPolicy | None = _combined(verdicts)
    families = ", ".join(f"{v.name} {v.verdict or '?'}" for v in verdicts)
    detail = f"{families} ({read}){_listed(managers)}{notes}"
    summary = Reason(key=f"firewall.reason.summary{variant}", args={"families": families, **shown})
    reason: Reason | None = None
    if verdict is None:
        undecided = "; ".join(d for v in verdicts for d in v.undecided)
        reason = Reason(key="firewall.reason.undecided", args={"what": undecided or "-"})
    if unread and verdict != "deny" and verdict != "reject":
        # A view that could not be read may drop what the others let in.
        reason = unread
        verdict = None
    allowing = next((v for v in verdicts if v.verdict == "allow"), None)
    return FirewallProfile(
        name=KERNEL,
        enabled=seen(True),
        inbound_default=seen(verdict)
        if verdict is not None
        else Unknown(reason=reason or Reason(key="firewall.reason.undecided", args={"what": "-"})),
        detail=detail,
        summary=summary,
        needs_privilege=privilege if verdict is None else None,
        openings=_by_family(verdicts, lambda v: v.openings),
        accepted_by=()
        if allowing is None
        else tuple(f"{allowing.name}: {s}" for s in allowing.accepted_by),
        unjudged=_by_family(verdicts, lambda v: v.undecided),
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
    """Output that cannot be understood makes that part unknown, not the fact an error."""
    try:
        return build()
    except CollectorError as exc:
        why = exc.reason
        if isinstance(why, str):
            why = Reason(key="firewall.reason.not_understood", args={"output": why})
        return FirewallProfile(name=name, enabled=Unknown(reason=why))


def _managers(frontends: Sequence[FirewallProfile]) -> str:
    """`ufw Status: inactive, firewalld running`: the managers as their output shows them."""
    parts = []
    for p in frontends:
        state = p.detail or (english(p.enabled.reason) if isinstance(p.enabled, Unknown) else "?")
        parts.append(f"{p.name} {state}")
    return ", ".join(parts)


def _listed(managers: str) -> str:
    # Data, the same in every language: the managers' names and their own state words.
    return f"; {managers}" if managers else ""


class LinuxFirewall(Collector[FirewallFacts]):
    family = OsFamily.LINUX
    fact_type = FirewallFacts

    def commands(self, platform: PlatformInfo, results: Results) -> Sequence[Command]:
        wanted: list[Command] = [UFW, FIREWALLD_STATE, NFT, IPTABLES_SAVE, IP6TABLES_SAVE, IF_INET6]
        if _legacy_present(results.get(IPTABLES_SAVE.key)):
            wanted.append(IPTABLES_LEGACY_SAVE)
        if _legacy_present(results.get(IP6TABLES_SAVE.key)):
            wanted.append(IP6TABLES_LEGACY_SAVE)
        return wanted

    def probe_commands(self, platform: PlatformInfo) -> Sequence[Command]:
        # The legacy listings are constant follow-ups: a probe script runs them all, and
        # the rounds at evaluation pick those the first round's output calls for.
        return [UFW, FIREWALLD_STATE, NFT, IPTABLES_SAVE, IP6TABLES_SAVE, IF_INET6,
                IPTABLES_LEGACY_SAVE, IP6TABLES_LEGACY_SAVE]  # fmt: skip

    def parse(self, results: Results, platform: PlatformInfo) -> FirewallFacts:
        ipv6 = ipv6_in_use(results.get(IF_INET6.key))
        frontends = [
            p
            for p in (
                _guarded("ufw", lambda: ufw_profile(require(results, UFW))),
                _guarded("firewalld", lambda: firewalld_profile(require(results, FIREWALLD_STATE))),
            )
            if p is not None
        ]
        kernel = kernel_profile(results, ipv6, _managers(frontends))
        return FirewallFacts(
            require="kernel",
            profiles=(kernel,),
            frontends=tuple(frontends),
            checked=CHECKED,
        )
