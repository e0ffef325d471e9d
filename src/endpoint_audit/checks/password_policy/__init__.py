"""password_policy: new passwords are long and mixed enough, and failed sign-ins lock."""

from endpoint_audit.checkkit.package import CheckPackage, per_os
from endpoint_audit.checks.password_policy.check import PasswordPolicy

PACKAGE = CheckPackage(
    PasswordPolicy,
    collectors=per_os(
        __name__,
        linux="LinuxPasswordPolicy",
        macos="MacosPasswordPolicy",
        windows="WindowsPasswordPolicy",
    ),
)
