"""open_ports on the machine itself (psutil): a socket table that could not be read is
an error, never an empty table (which would read as "nothing listens")."""

from __future__ import annotations

import asyncio

import psutil
import pytest

from endpoint_audit.checks.open_ports.linux import NATIVE, LinuxListeningPorts
from endpoint_audit.errors import CollectorError
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.transport.local import LocalTransport

LINUX = PlatformInfo(family=OsFamily.LINUX, transport="local")


def test_a_socket_table_refused_by_the_os_is_an_error_not_no_listener(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def denied(kind: str = "inet") -> list[object]:
        raise psutil.AccessDenied()

    monkeypatch.setattr(psutil, "net_connections", denied)
    result = asyncio.run(LocalTransport().run(NATIVE))
    assert not result.ok and "AccessDenied" in result.stderr
    with pytest.raises(CollectorError, match="psutil"):
        LinuxListeningPorts().parse({NATIVE.key: result}, LINUX)


def test_this_machine_s_sockets_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    result = asyncio.run(LocalTransport().run(NATIVE))
    assert result.ok
    facts = LinuxListeningPorts().parse({NATIVE.key: result}, LINUX)
    assert all(0 < s.port <= 65535 for s in facts.sockets)
