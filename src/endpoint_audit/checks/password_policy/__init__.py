"""password_policy: new passwords are long and mixed enough, and failed sign-ins lock."""

from endpoint_audit.checkkit import CheckPackage
from endpoint_audit.checks.password_policy.check import PasswordPolicy
from endpoint_audit.checks.password_policy.linux import LinuxPasswordPolicy
from endpoint_audit.checks.password_policy.macos import MacosPasswordPolicy
from endpoint_audit.checks.password_policy.windows import WindowsPasswordPolicy

PACKAGE = CheckPackage(
    PasswordPolicy,
    collectors=(LinuxPasswordPolicy, MacosPasswordPolicy, WindowsPasswordPolicy),
)
