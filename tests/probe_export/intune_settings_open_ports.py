"""What the discovery script's open_ports snippet (checks/open_ports/compliance/
intune_settings.ps1) writes for the probe answers, step for step in Python: this machine
has no PowerShell, so the tests judge the answers through this reading. `answers` holds
$EAProbes (file_sharing, open_ports_firewall_profiles, firewall_products: an answer
that is not a table is None there, as the script keeps it)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from endpoint_audit.checks.open_ports.check import OpenPortsParams, PortRange
from endpoint_audit.checks.open_ports.intune import process_names

_NON_BLANK = re.compile(
    "[^\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)
_PLAIN = re.compile("[ -~]*")
_NAME_CHAR = "[!-~\u3001-\u303f\u3041-\u309f\u30a0-\u30ff\u4e00-\u9fff\uff66-\uff9f]"
_NAME = re.compile(f"(?:{_NAME_CHAR}(?:(?:{_NAME_CHAR}| )*{_NAME_CHAR})?)?")
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LOWER = str.maketrans(_UPPER, _UPPER.lower())
_TRIM = re.compile("^[ \t\r\n]+|[ \t\r\n]+$")
TARGETS = (("tcp", 445), ("tcp", 139), ("udp", 137), ("udp", 138))


def number(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        # PowerShell's integer types, up to Int64.
        return value if -(2**63) <= value < 2**63 else None
    if isinstance(value, float):
        if -1e18 < value < 1e18 and value == int(value):
            return int(value)
        return None
    if isinstance(value, str):
        match = re.fullmatch("[ \t\r\n]*(-?[0-9]{1,18})[ \t\r\n]*", value)
        return int(match.group(1)) if match else None
    return None


def is_text(value: Any) -> bool:
    return isinstance(value, str) and _NON_BLANK.search(value) is not None


def trimmed(text: str) -> str:
    # PowerShell's ^...\z with -creplace: \z is the very end ($ in Python may stop
    # before a final newline, but [ \t\r\n]+ takes that newline too).
    return _TRIM.sub("", text)


def folded(value: Any) -> str | None:
    if not isinstance(value, str) or _NON_BLANK.search(value) is None:
        return ""
    text = trimmed(value)
    if not _PLAIN.fullmatch(text):
        return None
    return text.translate(_LOWER)


def alias(value: str) -> str | None:
    text = trimmed(value)
    if not _NAME.fullmatch(text):
        return None
    return text.translate(_LOWER)


def ps_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _matches(ranges: Sequence[PortRange], port: int, protocol: str) -> bool:
    return any(r.low <= port <= r.high and (r.protocol or "") in ("", protocol) for r in ranges)


def _covers(rule: dict[str, Any], protocol: str, port: int) -> str:
    proto = folded(rule.get("protocol"))
    if proto is None:
        return "Odd"
    wanted = ("tcp", "6", "any") if protocol == "tcp" else ("udp", "17", "any")
    if proto not in wanted:
        return "No"
    found = "No"
    for item in ps_list(rule.get("local_ports")):
        if not is_text(item):
            continue
        text = folded(item)
        if text is None:
            found = "Odd"
            continue
        if text in ("any", str(port)):
            return "Yes"
        match = re.fullmatch(" *([0-9]+) *- *([0-9]+) *", text)
        if match:
            if len(match.group(1)) > 18 or len(match.group(2)) > 18:
                found = "Odd"
                continue
            if int(match.group(1)) <= port <= int(match.group(2)):
                return "Yes"
    return found


def _system(rule: dict[str, Any]) -> bool | None:
    program, service, package = rule.get("program"), rule.get("service"), rule.get("package")
    if not isinstance(program, str) or not isinstance(service, str):
        return None
    if not isinstance(package, str):
        package = ""
    values = [folded(program), folded(package), folded(service)]
    if any(v is None for v in values):
        return None
    return (
        values[0] in ("any", "system")
        and values[1] in ("", "any", "*")
        and values[2]
        in (
            "any",
            "",
        )
    )


def _profile_closed(entry: Any, connected: list[str] | None, connected_odd: bool) -> bool:
    if not isinstance(entry, dict):
        return False
    if number(entry.get("enabled")) != 1:
        return False
    if number(entry.get("default_inbound")) not in (0, 4):
        return False
    aliases = entry.get("disabled_interface_aliases")
    if aliases is None:
        return False
    for item in ps_list(aliases):
        if not is_text(item):
            return False
        name = alias(item)
        if name is None:
            return False
        if name == "notconfigured":
            continue
        if connected is None or connected_odd or name in connected:
            return False
    return True


def closed_targets(answers: dict[str, Any]) -> list[str]:
    data = answers.get("file_sharing")
    if not isinstance(data, dict):
        return []
    if data.get("shares") is not None:
        for share in ps_list(data["shares"]):
            if not isinstance(share, dict) or number(share.get("type")) is None:
                return []
    mask = number(data.get("active_profiles"))
    if mask is None:
        return []
    active = [bit for bit in (1, 2, 4) if mask & bit]
    if not active:
        return []
    wrapped = answers.get("open_ports_firewall_profiles")
    if not isinstance(wrapped, dict) or wrapped.get("profiles") is None:
        return []
    profiles = ps_list(wrapped["profiles"])
    for entry in profiles:
        if not isinstance(entry, dict):
            return []
        name = entry.get("name")
        if isinstance(name, str) and not _PLAIN.fullmatch(trimmed(name)):
            return []
    connected: list[str] | None = None
    connected_odd = False
    if data.get("connections") is not None:
        connected = []
        for connection in ps_list(data["connections"]):
            if not isinstance(connection, dict):
                return []
            raw = connection.get("alias")
            if not is_text(raw):
                connected.append("")
                continue
            name = alias(raw)
            if name is None:
                connected_odd = True
            else:
                connected.append(name)
    if data.get("rules") is None:
        return []
    rules = ps_list(data["rules"])
    for rule in rules:
        if not isinstance(rule, dict) or not is_text(rule.get("name")):
            return []
    names = {1: "Domain", 2: "Private", 4: "Public"}
    for bit in active:
        matching = [
            c for c in profiles if is_text(c.get("name")) and trimmed(c["name"]) == names[bit]
        ]
        # A profile listed twice: which answer is in force is not known.
        chosen = matching[0] if len(matching) == 1 else None
        if not _profile_closed(chosen, connected, connected_odd):
            return []
    closed: list[str] = []
    for protocol, port in TARGETS:
        opened = False
        for rule in rules:
            action = number(rule.get("action"))
            if action is not None and action not in (2, 3):
                continue
            if _covers(rule, protocol, port) == "No":
                continue
            system = _system(rule)
            bits = number(rule.get("profile"))
            for bit in active:
                on = None if bits is None else (bits == 0 or bits & bit != 0)
                if on is False or system is False:
                    continue
                opened = True
        if not opened:
            closed.append(f"{port}/{protocol}")
    return closed


@dataclass(frozen=True)
class Prelude:
    """The prelude's variables (intune.prelude) for a baseline's parameters."""

    forbidden: list[PortRange]
    allowed: list[PortRange]
    forbidden_processes: list[str]
    allowed_processes: list[str]
    only_allowed: bool
    include_loopback: bool
    judge_exposure: bool
    names: int = field(default=0)

    @classmethod
    def of(cls, params: OpenPortsParams) -> Prelude:
        forbidden = process_names(params.forbidden_processes)
        allowed = process_names(params.allowed_processes)
        if params.forbidden_processes and not forbidden:
            forbidden = ["\x00"]
        if params.allowed_processes and not allowed:
            allowed = ["\x00"]
        return cls(
            forbidden=[PortRange(s) for s in params.forbidden_ports],
            allowed=[PortRange(s) for s in params.allowed_ports],
            forbidden_processes=forbidden,
            allowed_processes=allowed,
            only_allowed=params.only_allowed,
            include_loopback=params.include_loopback,
            judge_exposure=params.judge_exposure,
            names=len(forbidden) + len(allowed),
        )


def open_ports_settings(
    probe: Any, answers: dict[str, Any], params: OpenPortsParams
) -> dict[str, Any]:
    prelude = Prelude.of(params)
    settings: dict[str, Any] = {
        "OpenPortsAnswer": "Unknown",
        "OpenPortsNotAllowed": -1,
        "OpenPortsFileSharing": -1,
        "OpenPortsUnjudged": -1,
    }
    if not isinstance(probe, dict):
        return settings
    answer = "Read"
    sockets = probe.get("sockets")
    processes = probe.get("processes")
    if processes is None:
        processes = {}
    if not isinstance(sockets, list) or not isinstance(processes, dict):
        answer = "Malformed"
    center = answers.get("firewall_products")
    if isinstance(center, dict) and center.get("products") is not None:
        if any(not isinstance(p, dict) for p in ps_list(center["products"])):
            answer = "Malformed"
    not_allowed = unjudged = 0
    shielded: set[str] = set()
    if answer == "Read":
        assert isinstance(sockets, list)
        for entry in sockets:
            if not isinstance(entry, dict):
                answer = "Malformed"
                break
            protocol, address = entry.get("protocol"), entry.get("address")
            port = number(entry.get("port"))
            if protocol not in ("tcp", "udp") or not is_text(address) or port is None:
                answer = "Malformed"
                break
            host = re.sub("%[\\s\\S]*\\Z", "", trimmed(address))
            if not prelude.include_loopback:
                if not _PLAIN.fullmatch(host):
                    unjudged += 1
                    continue
                if host.startswith("127.") or host in ("::1", "localhost"):
                    continue
            process: str | None = ""
            pid = number(entry.get("pid"))
            if pid is not None:
                owner = processes.get(str(pid))
                if isinstance(owner, dict):
                    process = folded(owner.get("name"))
            if process is None:
                if prelude.names > 0:
                    unjudged += 1
                    continue
                process = "?"
            if process and process in prelude.allowed_processes:
                continue
            port_allowed = _matches(prelude.allowed, port, protocol)
            reason = ""
            if process and process in prelude.forbidden_processes:
                reason = "process"
            elif not port_allowed and _matches(prelude.forbidden, port, protocol):
                reason = "port"
            elif prelude.only_allowed and not port_allowed:
                reason = "not_allowed"
            spec = f"{port}/{protocol}"
            if (
                prelude.judge_exposure
                and reason in ("port", "not_allowed")
                and spec in ("445/tcp", "139/tcp", "137/udp", "138/udp")
                and pid == 4
            ):
                shielded.add(spec)
                continue
            if not reason:
                if not process and prelude.forbidden_processes:
                    unjudged += 1
                continue
            not_allowed += 1
    if answer == "Read":
        file_sharing = 0
        if shielded:
            closed = closed_targets(answers)
            file_sharing = sum(1 for spec in shielded if spec not in closed)
        settings["OpenPortsNotAllowed"] = not_allowed
        settings["OpenPortsFileSharing"] = file_sharing
        settings["OpenPortsUnjudged"] = unjudged
    settings["OpenPortsAnswer"] = answer
    return settings
