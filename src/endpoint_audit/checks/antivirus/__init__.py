"""antivirus: real-time protection on, signatures recent, tamper protection on."""

from endpoint_audit.checkkit import CheckPackage
from endpoint_audit.checks.antivirus.check import Antivirus
from endpoint_audit.checks.antivirus.linux import LinuxAntivirus
from endpoint_audit.checks.antivirus.macos import MacosAntivirus
from endpoint_audit.checks.antivirus.windows import WindowsAntivirus

PACKAGE = CheckPackage(Antivirus, collectors=(LinuxAntivirus, MacosAntivirus, WindowsAntivirus))
