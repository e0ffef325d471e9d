"""os_support: the operating system is a release its vendor still supports."""

from endpoint_audit.checkkit import CheckPackage
from endpoint_audit.checkkit.data import CheckData
from endpoint_audit.checks.os_support import support_data
from endpoint_audit.checks.os_support.check import OsSupport, OsSupportParams
from endpoint_audit.checks.os_support.linux import LinuxOsSupport
from endpoint_audit.checks.os_support.macos import MacosOsSupport
from endpoint_audit.checks.os_support.windows import WindowsOsSupport

DATA = CheckData(
    name="os-support",
    read=support_data.read_file,
    in_use=support_data.data_in_use,
    installed=support_data.installed_path,
    stale_after_days=OsSupportParams.model_fields["max_data_age_days"].default,
)

PACKAGE = CheckPackage(
    OsSupport,
    collectors=(LinuxOsSupport, MacosOsSupport, WindowsOsSupport),
    data=(DATA,),
)
