"""The built-in checks, registered through the `endpoint_audit.checks.v1` entry point."""

from __future__ import annotations

from endpoint_audit.checks.base import Check
from endpoint_audit.checks.builtin.disk_encryption import DiskEncryption
from endpoint_audit.checks.builtin.firewall import Firewall
from endpoint_audit.checks.builtin.open_ports import OpenPorts
from endpoint_audit.checks.builtin.patch_level import PatchLevel
from endpoint_audit.checks.builtin.screen_lock import ScreenLock

BUILTIN_CHECKS: tuple[type[Check], ...] = (
    DiskEncryption,
    Firewall,
    OpenPorts,
    PatchLevel,
    ScreenLock,
)
