"""patch_level: no pending security updates, a recent update, and no reboot left pending."""

from endpoint_audit.checkkit.package import CheckPackage
from endpoint_audit.checks.patch_level.check import PatchLevel
from endpoint_audit.checks.patch_level.linux import LinuxPatches
from endpoint_audit.checks.patch_level.macos import MacosPatches
from endpoint_audit.checks.patch_level.windows import WindowsPatches

PACKAGE = CheckPackage(PatchLevel, collectors=(LinuxPatches, MacosPatches, WindowsPatches))
