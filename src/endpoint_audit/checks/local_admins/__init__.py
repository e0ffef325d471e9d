"""local_admins: everyone with administrator rights on the PC is on the allowed list."""

from endpoint_audit.checkkit.package import CheckPackage, per_os
from endpoint_audit.checks.local_admins.check import LocalAdmins

PACKAGE = CheckPackage(
    LocalAdmins,
    collectors=per_os(
        __name__, linux="LinuxLocalAdmins", macos="MacosLocalAdmins", windows="WindowsLocalAdmins"
    ),
)
