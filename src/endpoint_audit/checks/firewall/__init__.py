"""firewall: a host firewall is on and denies inbound connections by default."""

from endpoint_audit.checkkit.package import CheckPackage, per_os
from endpoint_audit.checks.firewall.check import Firewall

PACKAGE = CheckPackage(
    Firewall,
    collectors=per_os(
        __name__, linux="LinuxFirewall", macos="MacosFirewall", windows="WindowsFirewall"
    ),
)
