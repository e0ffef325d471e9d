"""What the collectors see of the operating system's release, for its support period."""

from datetime import date
from typing import ClassVar

from endpoint_audit.checkkit import Fact
from endpoint_audit.checks.os_support.office import OfficeProduct
from endpoint_audit.model.observed import Observed, unknown


class OsSupportFacts(Fact):
    name: ClassVar[str] = "os_support"

    # windows, macos, or the os-release ID of a Linux distribution (ubuntu, debian, rhel).
    product: Observed[str] = unknown("os_support.reason.not_read")
    # The key of the release in the support data: Windows build, macOS major version,
    # os-release VERSION_ID (RHEL: its major version).
    release: Observed[str] = unknown("os_support.reason.not_read")
    label: str = ""  # the name the OS gives itself (evidence only, never judged)
    # Windows: client (Home, Pro), enterprise (Enterprise, Education) or ltsc, from the
    # numeric OperatingSystemSKU. None on systems without editions.
    edition: Observed[str] | None = None
    sku: int | None = None
    # Windows 10: the Extended Security Updates years (1, 2, 3) whose licence is activated;
    # each year's licence covers only its own year. None where no such licence exists.
    esu_years: Observed[tuple[int, ...]] | None = None
    # An end of support the OS itself states (Fedora's SUPPORT_END in os-release).
    stated_end: date | None = None
    # Windows: the Office products installed (Click-to-Run, MSI Office 2007 to 2016); an empty
    # tuple when there is none. None on other systems (not read there).
    office: Observed[tuple[OfficeProduct, ...]] | None = None
