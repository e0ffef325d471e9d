"""open_ports: no remote-access or file-sharing service listens where the network can reach it."""

from endpoint_audit.checkkit.package import CheckPackage, per_os
from endpoint_audit.checks.open_ports.check import OpenPorts

PACKAGE = CheckPackage(
    OpenPorts,
    collectors=per_os(
        __name__,
        linux="LinuxListeningPorts",
        macos="MacosListeningPorts",
        windows="WindowsListeningPorts",
    ),
)
