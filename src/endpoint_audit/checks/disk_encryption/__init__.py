"""disk_encryption: every fixed volume that holds data is encrypted, with protection on."""

from endpoint_audit.checkkit.package import CheckPackage, per_os
from endpoint_audit.checks.disk_encryption.check import DiskEncryption

PACKAGE = CheckPackage(
    DiskEncryption,
    collectors=per_os(
        __name__,
        linux="LinuxDiskEncryption",
        macos="MacosDiskEncryption",
        windows="WindowsBitLocker",
    ),
)
