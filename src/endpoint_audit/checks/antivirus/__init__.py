"""antivirus: real-time protection on, signatures recent, tamper protection on."""

from endpoint_audit.checkkit.package import CheckPackage, per_os
from endpoint_audit.checks.antivirus.check import Antivirus

PACKAGE = CheckPackage(
    Antivirus,
    collectors=per_os(
        __name__, linux="LinuxAntivirus", macos="MacosAntivirus", windows="WindowsAntivirus"
    ),
)
