"""Native probes: facts the local transport reads with psutil instead of a program.

Each returns plain data that is serialised to JSON, so a native answer can be recorded
in a transcript and replayed like any command output.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import psutil


def listening_sockets() -> dict[str, Any]:
    """Listening TCP sockets and bound UDP sockets with owner process and user."""
    complete = True
    sockets: list[dict[str, Any]] = []
    # AccessDenied (the table itself refused) propagates: an empty list here would read
    # as "nothing listens"; the probe fails instead, naming the error.
    conns = psutil.net_connections(kind="inet")
    owners: dict[int, tuple[str | None, str | None]] = {}
    for conn in conns:
        if conn.type == socket.SOCK_STREAM and conn.status != psutil.CONN_LISTEN:
            continue
        if conn.type == socket.SOCK_DGRAM and conn.raddr:
            continue  # a connected UDP socket is a client, not a listener
        if not conn.laddr:
            continue
        name: str | None = None
        user: str | None = None
        if conn.pid is None:
            complete = False
        else:
            if conn.pid not in owners:
                try:
                    proc = psutil.Process(conn.pid)
                    owners[conn.pid] = (proc.name(), proc.username())
                except (psutil.NoSuchProcess, psutil.AccessDenied, KeyError):
                    owners[conn.pid] = (None, None)
            name, user = owners[conn.pid]
        sockets.append(
            {
                "protocol": "tcp" if conn.type == socket.SOCK_STREAM else "udp",
                "address": conn.laddr.ip,
                "port": conn.laddr.port,
                "pid": conn.pid,
                "process": name,
                "user": user,
            }
        )
    sockets.sort(key=lambda s: (s["protocol"], s["port"], s["address"]))
    return {"sockets": sockets, "owners_complete": complete}


def logged_in_users() -> list[dict[str, Any]]:
    """Login sessions (utmp): user name, terminal and host."""
    return [
        {"name": u.name, "terminal": u.terminal, "host": u.host, "started": u.started}
        for u in psutil.users()
    ]


NATIVE_PROBES: dict[str, Callable[[], Any]] = {
    "listening_sockets": listening_sockets,
    "logged_in_users": logged_in_users,
}
