"""firewall: a host firewall is on and denies inbound connections by default."""

from endpoint_audit.checkkit.package import CheckPackage
from endpoint_audit.checks.firewall.check import Firewall
from endpoint_audit.checks.firewall.linux import LinuxFirewall
from endpoint_audit.checks.firewall.macos import MacosFirewall
from endpoint_audit.checks.firewall.windows import WindowsFirewall

PACKAGE = CheckPackage(Firewall, collectors=(LinuxFirewall, MacosFirewall, WindowsFirewall))
