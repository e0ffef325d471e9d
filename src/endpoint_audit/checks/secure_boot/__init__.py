"""secure_boot: UEFI Secure Boot on, a TPM present and ready, and on Windows the 2023
Secure Boot certificates in place before the 2011 ones expire (June to October 2026)."""

from endpoint_audit.checkkit.package import CheckPackage, per_os
from endpoint_audit.checks.secure_boot.check import SecureBoot

PACKAGE = CheckPackage(
    SecureBoot,
    collectors=per_os(
        __name__, linux="LinuxSecureBoot", macos="MacosSecureBoot", windows="WindowsSecureBoot"
    ),
)
