"""The built-in collectors, registered through `endpoint_audit.collectors.v1`."""

from __future__ import annotations

from typing import Any

from endpoint_audit.collectors.base import Collector
from endpoint_audit.collectors.disk_encryption.linux import LinuxDiskEncryption
from endpoint_audit.collectors.disk_encryption.macos import MacosDiskEncryption
from endpoint_audit.collectors.disk_encryption.windows import WindowsBitLocker
from endpoint_audit.collectors.firewall.linux import LinuxFirewall
from endpoint_audit.collectors.firewall.macos import MacosFirewall
from endpoint_audit.collectors.firewall.windows import WindowsFirewall
from endpoint_audit.collectors.listening_ports.linux import LinuxListeningPorts
from endpoint_audit.collectors.listening_ports.macos import MacosListeningPorts
from endpoint_audit.collectors.listening_ports.windows import WindowsListeningPorts
from endpoint_audit.collectors.patches.linux import LinuxPatches
from endpoint_audit.collectors.patches.macos import MacosPatches
from endpoint_audit.collectors.patches.windows import WindowsPatches
from endpoint_audit.collectors.screen_lock.linux import LinuxScreenLock
from endpoint_audit.collectors.screen_lock.macos import MacosScreenLock
from endpoint_audit.collectors.screen_lock.windows import WindowsScreenLock

BUILTIN_COLLECTORS: tuple[type[Collector[Any]], ...] = (
    LinuxDiskEncryption,
    LinuxFirewall,
    LinuxListeningPorts,
    LinuxPatches,
    LinuxScreenLock,
    MacosDiskEncryption,
    MacosFirewall,
    MacosListeningPorts,
    MacosPatches,
    MacosScreenLock,
    WindowsBitLocker,
    WindowsFirewall,
    WindowsListeningPorts,
    WindowsPatches,
    WindowsScreenLock,
)
