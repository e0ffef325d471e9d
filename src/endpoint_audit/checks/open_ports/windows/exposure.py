"""Whether the network can reach Windows file sharing: SMB (445/tcp) and NetBIOS
(137/udp, 138/udp, 139/tcp).

Every Windows PC listens there (System, PID 4, on every address; NetBIOS on each IPv4
address), whatever the sharing settings; turning file sharing off only changes the
firewall. So these ports are judged by what the firewall lets in, from the probe
`file_sharing` and the profile states of `firewall_profiles`:

- the active profiles (`Get-NetFirewallSetting -PolicyStore ActiveStore` ActiveProfile, a
  bitmask: Domain 1, Private 2, Public 4);
- per active profile: Windows Firewall off, inbound allowed by default, or off on a
  connected interface (DisabledInterfaceAliases) lets everything in;
- the enabled inbound rules of the active store that allow (Allow 2, AllowBypass 3) the
  port on an active profile (Profile 0 = any) for the System process: program Any or
  System, no app package, service Any. That covers the File and Printer Sharing group
  (group resource string `@FirewallAPI.dll,-28502`, which some PCs store with a path,
  `@%SystemRoot%\\system32\\firewallapi.dll,-28502`) and any rule an administrator added.
  Rules are never recognised by their display group, which is localized
  (「ファイルとプリンターの共有」 on a Japanese PC). Block rules are not subtracted: an allow
  rule counts as exposure even where a block rule might win (never a false pass).

Enum values: MSFT_NetFirewallRule (learn.microsoft.com, MicrosoftDocs/win32
desktop-src/FWP/wmi/wfascimprov/msft-netfirewallrule.md): Action Allow 2, AllowBypass 3,
Block 4; Profiles Any 0, Domain 1, Private 2, Public 4.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from msgspec import Struct

from endpoint_audit.checkkit.firewall_facts import FirewallProduct, FirewallProfile
from endpoint_audit.checkkit.windows_probe import as_dict, as_int, as_list, as_text
from endpoint_audit.checks.open_ports.facts import Opening, PortExposure
from endpoint_audit.errors import CollectorError
from endpoint_audit.model.observed import Observed, Reason, Seen, Unknown, seen, unknown

FILE_AND_PRINTER_SHARING = "firewallapi.dll,-28502"
PROFILE_BITS = (("Domain", 1), ("Private", 2), ("Public", 4))
ALLOW_ACTIONS = (2, 3)
# Win32_Share.Type: the high bit marks administrative (special) shares: ADMIN$, C$, IPC$.
SPECIAL_SHARE = 0x80000000
NOT_CONFIGURED = "notconfigured"
# The System process, which owns the SMB and NetBIOS listeners, always has PID 4.
SYSTEM_PID = 4


class Target(Struct, frozen=True):
    protocol: Literal["tcp", "udp"]
    port: int
    service: str


TARGETS = (
    Target("tcp", 445, "SMB"),
    Target("tcp", 139, "NetBIOS"),
    Target("udp", 137, "NetBIOS"),
    Target("udp", 138, "NetBIOS"),
)
_PROTOCOLS = {"tcp": ("tcp", "6", "any"), "udp": ("udp", "17", "any")}
_RANGE = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*$")


class Rule(Struct, frozen=True):
    name: str
    display_name: str
    group: str
    action: int | None
    profile: int | None
    protocol: str
    local_ports: tuple[str, ...]
    program: str | None
    package: str | None
    service: str | None
    remote_addresses: tuple[str, ...]

    @property
    def file_and_printer_sharing(self) -> bool:
        return self.group.lower().endswith(FILE_AND_PRINTER_SHARING)

    def covers(self, target: Target) -> bool:
        if self.protocol.lower() not in _PROTOCOLS[target.protocol]:
            return False
        for port in self.local_ports:
            text = port.strip().lower()
            if text == "any" or text == str(target.port):
                return True
            match = _RANGE.match(text)
            if match and int(match[1]) <= target.port <= int(match[2]):
                return True
        return False

    def applies_to_system(self) -> bool | None:
        """Whether the rule can match traffic of the System process (the SMB and NetBIOS
        listeners); None when a condition could not be read."""
        if self.program is None or self.service is None:
            return None
        program = self.program.strip().lower()
        package = (self.package or "").strip().lower()
        service = self.service.strip().lower()
        return (
            program in ("any", "system") and package in ("", "any", "*") and service in ("any", "")
        )

    def on_profile(self, bit: int) -> bool | None:
        if self.profile is None:
            return None
        return self.profile == 0 or bool(self.profile & bit)

    def opening(self, profile: str) -> Opening:
        return Opening(
            kind="rule",
            profile=profile,
            rule=self.name,
            display_name=self.display_name or None,
            file_and_printer_sharing=self.file_and_printer_sharing,
            remote=",".join(self.remote_addresses) or "Any",
        )


def _texts(value: Any) -> tuple[str, ...]:
    return tuple(t for t in (as_text(v) for v in as_list(value)) if t is not None)


def rule_from(entry: dict[str, Any]) -> Rule:
    name = as_text(entry.get("name"))
    if name is None:
        raise CollectorError(
            Reason(key="open_ports.reason.rule_without_name", args={"rule": repr(entry)[:160]})
        )
    program = entry.get("program")
    service = entry.get("service")
    return Rule(
        name=name,
        display_name=as_text(entry.get("display_name")) or "",
        group=as_text(entry.get("group")) or "",
        action=as_int(entry.get("action")),
        profile=as_int(entry.get("profile")),
        protocol=as_text(entry.get("protocol")) or "",
        local_ports=_texts(entry.get("local_ports")),
        program=program if isinstance(program, str) else None,
        package=entry.get("package") if isinstance(entry.get("package"), str) else None,
        service=service if isinstance(service, str) else None,
        remote_addresses=_texts(entry.get("remote_addresses")),
    )


def _failure(value: Any, what: str) -> Unknown:
    """Why the probe's part `what` (shares, active_profile, rules) has no answer."""
    if isinstance(value, dict):
        error = (as_text(value.get("error")) or "?")[:200]
        return unknown(f"open_ports.reason.{what}_failed", output=error)
    return unknown(f"open_ports.reason.{what}_no_answer")


def active_profile_names(mask: int) -> tuple[str, ...]:
    return tuple(name for name, bit in PROFILE_BITS if mask & bit)


def shares_from(value: Any) -> tuple[str, ...]:
    """Shared folders and printers, without the administrative ones (ADMIN$, C$, IPC$):
    those are told by the Type's special bit, never by their name."""
    names: list[str] = []
    for raw in as_list(value):
        entry = as_dict(raw, "file_sharing.shares[]")
        share_type = as_int(entry.get("type"))
        name = as_text(entry.get("name")) or "?"
        if share_type is None:
            raise CollectorError(
                Reason(key="open_ports.reason.share_without_type", args={"share": name})
            )
        if not share_type & SPECIAL_SHARE:
            names.append(name)
    return tuple(sorted(names))


class Exposure(Struct, frozen=True):
    active: tuple[str, ...]
    ports: tuple[PortExposure, ...]
    shares: Observed[tuple[str, ...]]


def unknown_ports(why: Unknown) -> tuple[PortExposure, ...]:
    return tuple(
        PortExposure(
            protocol=t.protocol, port=t.port, service=t.service, pid=SYSTEM_PID, reachable=why
        )
        for t in TARGETS
    )


def _unless_protected(
    opened: Opening, products: Sequence[FirewallProduct], products_unknown: Reason | None
) -> Unknown | None:
    """Why an opening of the whole profile may not let the network in: another firewall
    filters instead (its rules cannot be read here), or Security Center was not read."""
    where = {"profile": opened.profile, "interfaces": ", ".join(opened.interfaces)}
    active = [p.name for p in products if p.protecting]
    if active:
        return unknown(
            f"open_ports.reason.{opened.kind}_replaced", products=", ".join(active), **where
        )
    if products_unknown:
        output = products_unknown.args.get("output", "")
        return unknown(f"open_ports.reason.{opened.kind}_products_unread", output=output, **where)
    return None


def _profile_openings(
    profile: FirewallProfile | None,
    name: str,
    connected: set[str] | None,
    products: Sequence[FirewallProduct],
    products_unknown: Reason | None,
) -> tuple[list[Opening], Unknown | None]:
    """What lets everything in on this active profile, and why that could not be told."""
    if profile is None or not isinstance(profile.enabled, Seen):
        return [], unknown("open_ports.reason.profile_state_unread", profile=name)
    opened: list[Opening] = []
    if profile.enabled.value is False:
        opened.append(Opening(kind="profile_off", profile=name))
    elif not isinstance(profile.inbound_default, Seen):
        return [], unknown("open_ports.reason.inbound_unread", profile=name)
    elif profile.inbound_default.value == "allow":
        opened.append(Opening(kind="inbound_allowed", profile=name))
    if profile.enabled.value is True:
        if not isinstance(profile.excluded_interfaces, Seen):
            return [], unknown("open_ports.reason.excluded_unread", profile=name)
        excluded = profile.excluded_interfaces.value
        if excluded:
            if connected is None:
                return [], unknown(
                    "open_ports.reason.connected_unread",
                    profile=name,
                    interfaces=", ".join(excluded),
                )
            hit = tuple(i for i in excluded if i.lower() in connected)
            if hit:
                opened.append(Opening(kind="interface_off", profile=name, interfaces=hit))
    if opened:
        why = _unless_protected(opened[0], products, products_unknown)
        if why:
            return [], why
    return opened, None


def judge_exposure(
    value: Any,
    profiles: Iterable[FirewallProfile] | None,
    products: Sequence[FirewallProduct] = (),
    products_unknown: Reason | None = None,
    profiles_unknown: Unknown | None = None,
) -> Exposure:
    """The reachability of SMB and NetBIOS from the probe `file_sharing` and the firewall
    profiles (None when that probe failed; `profiles_unknown` says why)."""
    data = as_dict(value, "file_sharing")
    shares: Observed[tuple[str, ...]]
    if data.get("shares") is None:
        shares = _failure(data.get("shares_failure"), "shares")
    else:
        shares = seen(shares_from(data.get("shares")))
    mask = as_int(data.get("active_profiles"))
    if mask is None:
        why = _failure(data.get("active_profiles_failure"), "active_profile")
        return Exposure((), unknown_ports(why), shares)
    active = active_profile_names(mask)
    if not active:
        why = unknown("open_ports.reason.no_active_profile", mask=mask)
        return Exposure((), unknown_ports(why), shares)
    if profiles is None:
        why = profiles_unknown or unknown("open_ports.reason.profiles_not_read")
        return Exposure(active, unknown_ports(why), shares)
    by_name = {p.name: p for p in profiles}
    connected: set[str] | None = None
    if data.get("connections") is not None:
        connected = {
            (as_text(as_dict(c, "file_sharing.connections[]").get("alias")) or "").lower()
            for c in as_list(data.get("connections"))
        }
    raw_rules = data.get("rules")
    rules = (
        None
        if raw_rules is None
        else [rule_from(as_dict(r, "file_sharing.rules[]")) for r in as_list(raw_rules)]
    )
    rules_unknown = _failure(data.get("rules_failure"), "rules")

    everywhere: list[Opening] = []
    unseen: Unknown | None = None
    for name in active:
        opened, unclear = _profile_openings(
            by_name.get(name), name, connected, products, products_unknown
        )
        everywhere += opened
        unseen = unseen or unclear
    ports = tuple(
        _judge_port(target, active, everywhere, unseen, rules, rules_unknown) for target in TARGETS
    )
    return Exposure(active, ports, shares)


def _judge_port(
    target: Target,
    active: tuple[str, ...],
    everywhere: list[Opening],
    unseen: Unknown | None,
    rules: list[Rule] | None,
    rules_unknown: Unknown,
) -> PortExposure:
    openings = list(everywhere)
    if rules is None:
        unseen = unseen or rules_unknown
    else:
        for name, bit in PROFILE_BITS:
            if name not in active:
                continue
            for rule in rules:
                # An action not read may be Allow: like a condition not read, unknown.
                if rule.action is not None and rule.action not in ALLOW_ACTIONS:
                    continue
                if not rule.covers(target):
                    continue
                on, system = rule.on_profile(bit), rule.applies_to_system()
                if on is False or system is False:
                    continue
                if on is None or system is None or rule.action is None:
                    unseen = unseen or unknown(
                        "open_ports.reason.rule_conditions_unread", rule=rule.name
                    )
                    continue
                openings.append(rule.opening(name))
    # One opening is enough to say reachable; otherwise unknown wins over "not reachable".
    reachable: Observed[bool] = seen(True) if openings else unseen or seen(False)
    return PortExposure(
        protocol=target.protocol,
        port=target.port,
        service=target.service,
        pid=SYSTEM_PID,
        reachable=reachable,
        openings=tuple(openings),
    )
