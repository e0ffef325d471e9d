"""The built-in transports, registered through `endpoint_audit.transports.v1`."""

from __future__ import annotations

from endpoint_audit.transport.base import Transport
from endpoint_audit.transport.local import LocalTransport
from endpoint_audit.transport.replay import ReplayTransport
from endpoint_audit.transport.ssh import SshTransport

BUILTIN_TRANSPORTS: tuple[type[Transport], ...] = (LocalTransport, ReplayTransport, SshTransport)
