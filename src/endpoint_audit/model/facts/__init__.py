"""Fact families: typed, serialisable views of a host that collectors produce and checks read.

Every field that a probe may fail to see is Optional: None means "not seen", never "false".
"""

from endpoint_audit.model.facts.base import Fact
from endpoint_audit.model.facts.disk_encryption import DiskEncryptionFacts, VolumeEncryption
from endpoint_audit.model.facts.firewall import FirewallFacts, FirewallProduct, FirewallProfile
from endpoint_audit.model.facts.listening_ports import (
    ListeningPortsFacts,
    ListeningSocket,
    Opening,
    PortExposure,
)
from endpoint_audit.model.facts.patches import PatchFacts
from endpoint_audit.model.facts.screen_lock import ScreenLockFacts, UserScreenLock

__all__ = [
    "DiskEncryptionFacts",
    "Fact",
    "FirewallFacts",
    "FirewallProduct",
    "FirewallProfile",
    "ListeningPortsFacts",
    "ListeningSocket",
    "Opening",
    "PatchFacts",
    "PortExposure",
    "ScreenLockFacts",
    "UserScreenLock",
    "VolumeEncryption",
]
