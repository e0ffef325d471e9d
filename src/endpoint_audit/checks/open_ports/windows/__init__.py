"""Listening sockets on Windows: `Get-NetTCPConnection -State Listen` and
`Get-NetUDPEndpoint`, with the owning process's name from `Get-Process`; and whether the
network can reach SMB and NetBIOS, which every Windows PC listens on
(windows_exposure.py: firewall rules, profiles and shares).

The same probes run locally and over SSH, so both produce the same facts. Process names
come from the image name (`svchost`, `System`), which is never localized; user names are
asked for only with administrator rights (`Get-Process -IncludeUserName` needs them).
"""

from __future__ import annotations

from typing import Any

from endpoint_audit.checkkit.collector import Collector, Results, require
from endpoint_audit.checkkit.windows_firewall import (
    FIREWALL_PRODUCTS,
    FIREWALL_PROFILES,
    parse_profile_list,
    products_outcome,
)
from endpoint_audit.checkkit.windows_probe import (
    as_dict,
    as_int,
    as_text,
    listed,
    probe_value,
    windows_script,
)
from endpoint_audit.checks.open_ports.facts import ListeningPortsFacts, ListeningSocket
from endpoint_audit.checks.open_ports.windows.exposure import (
    Exposure,
    judge_exposure,
    unknown_ports,
)
from endpoint_audit.errors import CollectorError
from endpoint_audit.model.commands import PowerShell
from endpoint_audit.model.observed import Reason, Unknown, unknown
from endpoint_audit.model.platform import OsFamily, PlatformInfo

# "No matching objects" is an ObjectNotFound error, not a failure: no listener at all.
LISTENING_SOCKETS = PowerShell(
    "listening_sockets",
    windows_script(__name__, "listening_sockets"),
)
FILE_SHARING = PowerShell(
    "file_sharing",
    windows_script(__name__, "file_sharing"),
    clm_safe=True,  # cmdlets, casts and hashtables only (tests/windows/test_clm.py)
)


def _address(text: str) -> str:
    # Get-NetTCPConnection prints IPv6 scope ids as "fe80::1%12"; the fact keeps the
    # address only, as the Linux collector does.
    return text.split("%", 1)[0] or "*"


def parse_sockets(value: Any) -> ListeningPortsFacts:
    data = as_dict(value, "listening_sockets")
    processes = data.get("processes") or {}
    if not isinstance(processes, dict):
        raise CollectorError("listening_sockets: 'processes' is not an object")
    sockets: list[ListeningSocket] = []
    seen: set[tuple[str, str, int, int | None]] = set()
    for raw in listed(data, "sockets", "listening_sockets"):
        entry = as_dict(raw, "listening_sockets.sockets[]")
        protocol = entry.get("protocol")
        address = as_text(entry.get("address"))
        port = as_int(entry.get("port"))
        if protocol not in ("tcp", "udp") or address is None or port is None:
            raise CollectorError(f"listening_sockets: unexpected socket {entry!r}"[:200])
        pid = as_int(entry.get("pid"))
        key = (protocol, _address(address), port, pid)
        if key in seen:
            continue
        seen.add(key)
        owner = processes.get(str(pid)) if pid is not None else None
        name = as_text(owner.get("name")) if isinstance(owner, dict) else None
        user = as_text(owner.get("user")) if isinstance(owner, dict) else None
        sockets.append(
            ListeningSocket(
                protocol="tcp" if protocol == "tcp" else "udp",
                address=_address(address),
                port=port,
                pid=pid,
                process=name,
                user=user,
            )
        )
    sockets.sort(key=lambda s: (s.protocol, s.port, s.address))
    # Processes that ended between the socket listing and Get-Process have no name.
    complete = all(s.process is not None for s in sockets)
    return ListeningPortsFacts(
        sockets=tuple(sockets),
        owners_complete=complete,
        owners_note=None if complete else Reason(key="open_ports.reason.owners_ended"),
    )


def with_exposure(facts: ListeningPortsFacts, results: Results) -> ListeningPortsFacts:
    """The facts with SMB and NetBIOS reachability; a probe that failed leaves those
    ports unknown (never reachable or not), the other sockets are unaffected."""
    sharing = require(results, FILE_SHARING)
    if not sharing.ok:
        failed = {"error": f"file_sharing: {sharing.excerpt(200)}"}
        value: object = {"active_profiles_failure": failed, "shares_failure": failed}
    else:
        value = probe_value(results, FILE_SHARING)
    profiles_result = require(results, FIREWALL_PROFILES)
    profiles = None
    profiles_unknown: Unknown | None = None
    if profiles_result.ok:
        try:
            profiles = parse_profile_list(probe_value(results, FIREWALL_PROFILES))
        except CollectorError as exc:
            profiles_unknown = _not_understood(exc)
    else:
        profiles_unknown = unknown(
            "open_ports.reason.profiles_unread", output=profiles_result.excerpt(200)
        )
    products, products_unknown = products_outcome(results)
    try:
        exposure = judge_exposure(value, profiles, products, products_unknown, profiles_unknown)
    except CollectorError as exc:
        # Output not understood: those ports are unknown, the sockets still count.
        why = _not_understood(exc)
        exposure = Exposure((), unknown_ports(why), why)
    # Validated, not copied: the Seen value takes the field's own type.
    return ListeningPortsFacts.model_validate(
        {
            **dict(facts),
            "exposure": exposure.ports,
            "active_profiles": exposure.active,
            "shares": exposure.shares,
        }
    )


def _not_understood(exc: CollectorError) -> Unknown:
    if isinstance(exc.reason, Reason):
        return Unknown(reason=exc.reason)
    return unknown("open_ports.reason.not_understood", output=exc.reason)


class WindowsListeningPorts(Collector[ListeningPortsFacts]):
    family = OsFamily.WINDOWS
    fact_type = ListeningPortsFacts
    asks = (LISTENING_SOCKETS, FILE_SHARING, FIREWALL_PROFILES, FIREWALL_PRODUCTS)

    def parse(self, results: Results, platform: PlatformInfo) -> ListeningPortsFacts:
        facts = parse_sockets(probe_value(results, LISTENING_SOCKETS))
        return with_exposure(facts, results)
