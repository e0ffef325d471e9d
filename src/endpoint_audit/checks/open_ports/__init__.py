"""open_ports: no remote-access or file-sharing service listens where the network can reach it."""

from endpoint_audit.checkkit.package import CheckPackage
from endpoint_audit.checks.open_ports.check import OpenPorts
from endpoint_audit.checks.open_ports.linux import LinuxListeningPorts
from endpoint_audit.checks.open_ports.macos import MacosListeningPorts
from endpoint_audit.checks.open_ports.windows import WindowsListeningPorts

PACKAGE = CheckPackage(
    OpenPorts, collectors=(LinuxListeningPorts, MacosListeningPorts, WindowsListeningPorts)
)
