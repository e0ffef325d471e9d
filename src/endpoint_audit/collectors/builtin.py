"""The built-in collectors, registered through `endpoint_audit.collectors.v1`."""

from __future__ import annotations

from typing import Any

from endpoint_audit.collectors.base import Collector
from endpoint_audit.collectors.listening_ports.linux import LinuxListeningPorts

BUILTIN_COLLECTORS: tuple[type[Collector[Any]], ...] = (LinuxListeningPorts,)
