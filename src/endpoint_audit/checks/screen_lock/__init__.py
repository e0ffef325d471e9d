"""screen_lock: the screen of every console user locks soon after the PC is left idle."""

from endpoint_audit.checkkit.package import CheckPackage, per_os
from endpoint_audit.checks.screen_lock.check import ScreenLock

PACKAGE = CheckPackage(
    ScreenLock,
    collectors=per_os(
        __name__, linux="LinuxScreenLock", macos="MacosScreenLock", windows="WindowsScreenLock"
    ),
)
