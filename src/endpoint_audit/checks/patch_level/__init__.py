"""patch_level: no pending security updates, a recent update, and no reboot left pending."""

from endpoint_audit.checkkit.package import CheckPackage, per_os
from endpoint_audit.checks.patch_level.check import PatchLevel

PACKAGE = CheckPackage(
    PatchLevel,
    collectors=per_os(
        __name__, linux="LinuxPatches", macos="MacosPatches", windows="WindowsPatches"
    ),
)
