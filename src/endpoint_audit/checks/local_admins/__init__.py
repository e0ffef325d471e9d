"""local_admins: everyone with administrator rights on the PC is on the allowed list."""

from endpoint_audit.checkkit import CheckPackage
from endpoint_audit.checks.local_admins.check import LocalAdmins
from endpoint_audit.checks.local_admins.linux import LinuxLocalAdmins
from endpoint_audit.checks.local_admins.macos import MacosLocalAdmins
from endpoint_audit.checks.local_admins.windows import WindowsLocalAdmins

PACKAGE = CheckPackage(
    LocalAdmins, collectors=(LinuxLocalAdmins, MacosLocalAdmins, WindowsLocalAdmins)
)
