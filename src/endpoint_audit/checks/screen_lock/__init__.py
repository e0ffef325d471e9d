"""screen_lock: the screen of every console user locks soon after the PC is left idle."""

from endpoint_audit.checkkit.package import CheckPackage
from endpoint_audit.checks.screen_lock.check import ScreenLock
from endpoint_audit.checks.screen_lock.linux import LinuxScreenLock
from endpoint_audit.checks.screen_lock.macos import MacosScreenLock
from endpoint_audit.checks.screen_lock.windows import WindowsScreenLock

PACKAGE = CheckPackage(ScreenLock, collectors=(LinuxScreenLock, MacosScreenLock, WindowsScreenLock))
