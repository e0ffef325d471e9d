"""disk_encryption: every fixed volume that holds data is encrypted, with protection on."""

from endpoint_audit.checkkit.package import CheckPackage
from endpoint_audit.checks.disk_encryption.check import DiskEncryption
from endpoint_audit.checks.disk_encryption.linux import LinuxDiskEncryption
from endpoint_audit.checks.disk_encryption.macos import MacosDiskEncryption
from endpoint_audit.checks.disk_encryption.windows import WindowsBitLocker

PACKAGE = CheckPackage(
    DiskEncryption, collectors=(LinuxDiskEncryption, MacosDiskEncryption, WindowsBitLocker)
)
