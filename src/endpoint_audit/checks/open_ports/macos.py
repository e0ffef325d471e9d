"""Listening sockets on macOS: `netstat` for the complete list, `lsof -F` for the owners.

Without root, `lsof` lists only the caller's own sockets, while `netstat -an` lists every
socket without owners. The two are joined on protocol, address and port, so the port list
is complete either way and only the owners may be missing.
"""

from __future__ import annotations

from msgspec import Struct

from endpoint_audit.checkkit.collector import Collector, Results, require
from endpoint_audit.checks.open_ports.facts import ListeningPortsFacts, ListeningSocket
from endpoint_audit.errors import CollectorError, FactUnavailable
from endpoint_audit.model.commands import Argv, CommandResult
from endpoint_audit.model.observed import Reason
from endpoint_audit.model.platform import OsFamily, PlatformInfo

# `+c 0`: full command names (the table output truncates them to 9 characters).
# -F pcLn: p=pid, c=command, L=login name, n=address (lsof adds f=fd on its own).
LSOF_TCP = Argv(("lsof", "+c", "0", "-nP", "-iTCP", "-sTCP:LISTEN", "-FpcLn"), privileged=True)
LSOF_UDP = Argv(("lsof", "+c", "0", "-nP", "-iUDP", "-FpcLn"), privileged=True)
NETSTAT_TCP = Argv(("netstat", "-an", "-p", "tcp"))
NETSTAT_UDP = Argv(("netstat", "-an", "-p", "udp"))

Key = tuple[str, str, int]  # protocol, address, port
# The fields `-FpcLn` asks for, and the file descriptor lsof always adds.
_LSOF_TAGS = frozenset("pcLfn")


class Owner(Struct, frozen=True):
    pid: int | None
    process: str | None
    user: str | None


def _normalise_address(host: str) -> str:
    host = host.strip("[]").split("%", 1)[0]
    return "*" if host in ("", "*") else host


def split_lsof_name(name: str) -> tuple[str, int] | None:
    """`*:5000`, `127.0.0.1:49152`, `[::1]:631`, `[fe80:4::1]:5353`; None if no port."""
    host, sep, port = name.rpartition(":")
    if not sep or not port.isdigit():
        return None
    return _normalise_address(host), int(port)


def parse_lsof_fields(text: str, protocol: str) -> dict[Key, Owner]:
    """`lsof -F pcLn` output: a `p` line starts a process, `c`/`L` describe it, then one
    `f` line per descriptor followed by its `n` (name) line."""
    owners: dict[Key, Owner] = {}
    pid: int | None = None
    command: str | None = None
    login: str | None = None
    for raw in text.splitlines():
        if not raw:
            continue
        tag, value = raw[0], raw[1:]
        if tag not in _LSOF_TAGS:
            # Not lsof's field output: it would otherwise read as "no listener".
            raise CollectorError(f"lsof: unexpected output line {raw[:80]!r}")
        if tag == "p":
            pid = int(value) if value.isdigit() else None
            command = login = None
        elif tag == "c":
            command = value or None
        elif tag == "L":
            login = value or None
        elif tag == "n":
            if "->" in value:
                continue  # a connected UDP socket is a client, not a listener
            where = split_lsof_name(value.split(" ", 1)[0])
            if where is None:
                continue
            owners.setdefault((protocol, *where), Owner(pid, command, login))
    return owners


def split_netstat_address(text: str) -> tuple[str, int] | None:
    """`*.5000`, `127.0.0.1.631`, `::1.631`, `fe80::1%lo0.5353`; None for `*.*`."""
    host, sep, port = text.rpartition(".")
    if not sep or not port.isdigit():
        return None
    return _normalise_address(host), int(port)


def parse_netstat(text: str, protocol: str) -> list[Key]:
    """Rows of `netstat -an -p tcp|udp`: Proto Recv-Q Send-Q Local Foreign (state).
    netstat prints its column header even when there is no socket; output without it is
    not netstat's table, and would otherwise read as "no listener"."""
    lines = text.splitlines()
    if not any(line.split()[:1] == ["Proto"] for line in lines):
        raise CollectorError("netstat: the output has no column header (Proto ...)")
    out: list[Key] = []
    for line in lines:
        fields = line.split()
        if len(fields) < 5 or not fields[0].startswith(protocol):
            continue
        if protocol == "tcp" and (len(fields) < 6 or fields[5] != "LISTEN"):
            continue
        if protocol == "udp" and fields[4] != "*.*":
            continue  # connected UDP socket
        if fields[3] == "*.*":
            continue  # created but not bound to a port yet
        where = split_netstat_address(fields[3])
        if where is None:
            raise CollectorError(f"netstat: cannot read local address {fields[3]!r}")
        key = (protocol, *where)
        if key not in out:
            out.append(key)
    return out


def _lsof_owners(result: CommandResult, protocol: str) -> dict[Key, Owner] | None:
    """Owners from lsof; None when lsof did not run. Exit 1 with no output means no match;
    lsof exits 1 on errors too, saying so on stderr, which is no answer."""
    quiet = not result.stdout.strip() and not result.stderr.strip()
    if result.ok or (result.exit_status == 1 and quiet):
        return parse_lsof_fields(result.stdout, protocol)
    return None


class MacosListeningPorts(Collector[ListeningPortsFacts]):
    family = OsFamily.MACOS
    fact_type = ListeningPortsFacts
    asks = (NETSTAT_TCP, NETSTAT_UDP, LSOF_TCP, LSOF_UDP)

    def parse(self, results: Results, platform: PlatformInfo) -> ListeningPortsFacts:
        owners: dict[Key, Owner] = {}
        lsof_ran = True
        for command, protocol in ((LSOF_TCP, "tcp"), (LSOF_UDP, "udp")):
            got = _lsof_owners(require(results, command), protocol)
            if got is None:
                lsof_ran = False
            else:
                owners.update(got)
        keys: list[Key] = []
        netstat_ok = True
        for command, protocol in ((NETSTAT_TCP, "tcp"), (NETSTAT_UDP, "udp")):
            result = require(results, command)
            if not result.ok:
                netstat_ok = False
                continue
            keys.extend(parse_netstat(result.stdout, protocol))
        if not netstat_ok:
            # lsof alone is complete only as root; otherwise others' sockets are missing.
            if not (lsof_ran and platform.is_admin):
                raise FactUnavailable(
                    Reason(
                        key="open_ports.reason.netstat_failed_lsof_needs_root",
                        args={"output": require(results, NETSTAT_TCP).excerpt(200)},
                    ),
                    needs_privilege="root",
                )
            keys = []
        for key in owners:
            if key not in keys:
                keys.append(key)
        sockets = []
        for protocol, address, port in sorted(keys):
            owner = owners.get((protocol, address, port))
            sockets.append(
                ListeningSocket(
                    protocol="tcp" if protocol == "tcp" else "udp",
                    address=address,
                    port=port,
                    pid=owner.pid if owner else None,
                    process=owner.process if owner else None,
                    user=owner.user if owner else None,
                )
            )
        complete = all(s.process is not None for s in sockets)
        note = None
        if not complete:
            note = Reason(
                key="open_ports.reason.lsof_owners_need_root"
                if lsof_ran
                else "open_ports.reason.lsof_not_run"
            )
        return ListeningPortsFacts(
            sockets=tuple(sockets), owners_complete=complete, owners_note=note
        )
