"""os_support: the operating system is a release its vendor still supports."""

from endpoint_audit.checkkit import CheckPackage
from endpoint_audit.checks.os_support.check import OsSupport
from endpoint_audit.checks.os_support.linux import LinuxOsSupport
from endpoint_audit.checks.os_support.macos import MacosOsSupport
from endpoint_audit.checks.os_support.windows import WindowsOsSupport

PACKAGE = CheckPackage(OsSupport, collectors=(LinuxOsSupport, MacosOsSupport, WindowsOsSupport))
