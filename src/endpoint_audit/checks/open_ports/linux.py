"""Listening sockets on Linux: psutil on the machine itself, `ss` on hosts reached remotely."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from endpoint_audit.checkkit.collector import (
    Collector,
    Results,
    check_privilege,
    json_output,
    require,
)
from endpoint_audit.checks.open_ports.facts import ListeningPortsFacts, ListeningSocket
from endpoint_audit.errors import CollectorError, FactUnavailable
from endpoint_audit.model.capabilities import Capability
from endpoint_audit.model.commands import Argv, Command, Native
from endpoint_audit.model.observed import Reason
from endpoint_audit.model.platform import OsFamily, PlatformInfo

NATIVE = Native("listening_sockets")
SS = Argv(("ss", "-H", "-tulpn"), privileged=True)

_USERS = re.compile(r'\(\("(?P<name>(?:[^"\\]|\\.)*)",pid=(?P<pid>\d+)')


def sockets_from_native(data: Any) -> ListeningPortsFacts:
    if not isinstance(data, dict) or not isinstance(data.get("sockets"), list):
        raise CollectorError("listening_sockets: unexpected shape")
    complete = bool(data.get("owners_complete", True))
    return ListeningPortsFacts(
        sockets=tuple(ListeningSocket.model_validate(s) for s in data["sockets"]),
        owners_complete=complete,
        owners_note=None if complete else Reason(key="open_ports.reason.owners_need_root"),
    )


def split_host_port(text: str) -> tuple[str, int]:
    """`0.0.0.0:22`, `[::]:22`, `*:5353`, `127.0.0.53%lo:53`, `[fe80::1]%eth0:546`."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(text)
    host = host.strip("[]") if "%" not in host else host.split("%", 1)[0].strip("[]")
    return host or "*", int(port)


def parse_ss(text: str) -> list[ListeningSocket]:
    """Lines of `ss -H -tulpn`: netid state recv-q send-q local peer [process]. With -H
    every line is a socket (no output: none); a line that is not one means the output is
    not ss's, which would otherwise read as "no listener"."""
    out: list[ListeningSocket] = []
    for line in text.splitlines():
        fields = line.split()
        if not fields:
            continue
        if len(fields) < 5 or fields[0] not in ("tcp", "udp"):
            raise CollectorError(f"ss: unexpected output line {line.strip()[:80]!r}")
        netid, state = fields[0], fields[1]
        if netid == "tcp" and state != "LISTEN":
            continue
        if netid == "udp" and state not in ("UNCONN", "LISTEN"):
            continue
        try:
            address, port = split_host_port(fields[4])
        except ValueError:
            raise CollectorError(f"ss: cannot read local address {fields[4]!r}") from None
        rest = " ".join(fields[6:])
        match = _USERS.search(rest)
        out.append(
            ListeningSocket(
                protocol="tcp" if netid == "tcp" else "udp",
                address=address,
                port=port,
                pid=int(match["pid"]) if match else None,
                process=match["name"].replace('\\"', '"') if match else None,
            )
        )
    return out


class LinuxListeningPorts(Collector[ListeningPortsFacts]):
    family = OsFamily.LINUX
    fact_type = ListeningPortsFacts

    def commands(self, platform: PlatformInfo, results: Results) -> Sequence[Command]:
        # psutil reads the sockets of the machine the tool runs on, without a program.
        return [NATIVE] if platform.can(Capability.NATIVE) else [SS]

    def parse(self, results: Results, platform: PlatformInfo) -> ListeningPortsFacts:
        if NATIVE.key in results:
            result = require(results, NATIVE)
            if not result.ok:
                raise CollectorError(f"psutil: {result.excerpt()}")
            return sockets_from_native(json_output(result, "listening_sockets"))
        result = require(results, SS)
        check_privilege(result, "ss -H -tulpn")
        if result.not_found:
            raise FactUnavailable(Reason(key="open_ports.reason.ss_missing"))
        if not result.ok:
            raise CollectorError(f"ss -H -tulpn exited {result.exit_status}: {result.excerpt()}")
        sockets = parse_ss(result.stdout)
        complete = all(s.pid is not None for s in sockets)
        return ListeningPortsFacts(
            sockets=tuple(sockets),
            owners_complete=complete,
            owners_note=None if complete else Reason(key="open_ports.reason.ss_owners_need_root"),
        )
