"""os_support: the operating system is a release its vendor still supports."""

from endpoint_audit.checkkit.data import CheckData
from endpoint_audit.checkkit.package import CheckPackage, per_os
from endpoint_audit.checks.os_support import support_data
from endpoint_audit.checks.os_support.check import OsSupport, OsSupportParams

DATA = CheckData(
    name="os-support",
    read=support_data.read_file,
    in_use=support_data.data_in_use,
    installed=support_data.installed_path,
    stale_after_days=OsSupportParams.model_fields["max_data_age_days"].default,
)

PACKAGE = CheckPackage(
    OsSupport,
    collectors=per_os(
        __name__, linux="LinuxOsSupport", macos="MacosOsSupport", windows="WindowsOsSupport"
    ),
    data=(DATA,),
)
