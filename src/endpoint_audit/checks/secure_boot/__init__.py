"""secure_boot: UEFI Secure Boot on, a TPM present and ready, and on Windows the 2023
Secure Boot certificates in place before the 2011 ones expire (June to October 2026)."""

from endpoint_audit.checkkit import CheckPackage
from endpoint_audit.checks.secure_boot.check import SecureBoot
from endpoint_audit.checks.secure_boot.linux import LinuxSecureBoot
from endpoint_audit.checks.secure_boot.macos import MacosSecureBoot
from endpoint_audit.checks.secure_boot.windows import WindowsSecureBoot

PACKAGE = CheckPackage(SecureBoot, collectors=(LinuxSecureBoot, MacosSecureBoot, WindowsSecureBoot))
