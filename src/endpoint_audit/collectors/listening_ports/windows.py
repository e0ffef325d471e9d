"""Listening sockets on Windows: `Get-NetTCPConnection -State Listen` and
`Get-NetUDPEndpoint`, with the owning process's name from `Get-Process`.

The same probe runs locally and over SSH, so both produce the same facts. Process names
come from the image name (`svchost`, `System`), which is never localized; user names are
asked for only with administrator rights (`Get-Process -IncludeUserName` needs them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from endpoint_audit.collectors.base import Collector, Results
from endpoint_audit.collectors.windows_probe import (
    as_dict,
    as_int,
    as_list,
    as_text,
    probe_value,
    windows_script,
)
from endpoint_audit.errors import CollectorError
from endpoint_audit.model.commands import Command, PowerShell
from endpoint_audit.model.facts import ListeningPortsFacts, ListeningSocket
from endpoint_audit.model.platform import OsFamily, PlatformInfo

# "No matching objects" is an ObjectNotFound error, not a failure: no listener at all.
LISTENING_SOCKETS = PowerShell(
    "listening_sockets",
    windows_script("listening_sockets"),
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
    for raw in as_list(data.get("sockets")):
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
        owners_note=None if complete else "some owning processes ended before they were named",
    )


class WindowsListeningPorts(Collector[ListeningPortsFacts]):
    id = "windows.listening_ports"
    fact_type = ListeningPortsFacts
    platforms = frozenset({OsFamily.WINDOWS})
    reads = "`Get-NetTCPConnection -State Listen`, `Get-NetUDPEndpoint`, `Get-Process`"
    privilege = "none (administrator adds the owning user)"

    def commands(self, platform: PlatformInfo, results: Results) -> Sequence[Command]:
        return [LISTENING_SOCKETS]

    def parse(self, results: Results, platform: PlatformInfo) -> ListeningPortsFacts:
        return parse_sockets(probe_value(results, LISTENING_SOCKETS))
