"""os_support on Windows: build and edition from Win32_OperatingSystem, on Windows 10
the Extended Security Updates licence from SoftwareLicensingProduct by activation ID, and
the Office products from the registry (office.py).

The edition is the numeric OperatingSystemSKU (the PRODUCT_* values of GetProductInfo in
winnt.h), never the localized Caption. An SKU outside the known classes is judged by the
earliest end date of its build, which is never later than its real one.
"""

from __future__ import annotations

from typing import Any, ClassVar

from endpoint_audit.checkkit.windows_probe import (
    OneProbeCollector,
    as_dict,
    as_int,
    as_list,
    as_text,
    windows_script,
)
from endpoint_audit.checks.os_support.facts import OsSupportFacts
from endpoint_audit.checks.os_support.office import office_products
from endpoint_audit.errors import CollectorError
from endpoint_audit.model.commands import PowerShell
from endpoint_audit.model.observed import Observed, seen, unknown

OS_EDITION = PowerShell("os_edition", windows_script(__name__, "os_edition"), clm_safe=True)

# PRODUCT_* values (winnt.h; MicrosoftDocs sdk-api sysinfoapi GetProductInfo).
ENTERPRISE_SKUS = frozenset({4, 27, 70, 72, 84, 121, 122, 188})  # Enterprise, Education, IoT
LTSC_SKUS = frozenset({125, 126, 129, 130, 191})  # EnterpriseS (LTSC), IoT EnterpriseS
CLIENT_SKUS = frozenset({48, 49, 98, 99, 100, 101, 161, 162, 164, 165})  # Home, Pro
WORKSTATION = 1  # Win32_OperatingSystem.ProductType: 2 domain controller, 3 server
LICENSED = 1  # SoftwareLicensingProduct.LicenseStatus
# The activation IDs of the commercial ESU licences, by year of coverage.
ESU_YEARS = {
    "f520e45e-7413-4a34-a497-d2765967d094": 1,
    "1043add5-23b1-4afb-9a0f-64343c8f3f8d": 2,
    "83d49986-add3-41d7-ba33-87c7bfb5c0fb": 3,
}


def edition_of(sku: int | None, product_type: int | None) -> Observed[str]:
    if product_type is not None and product_type != WORKSTATION:
        return seen("server")
    if sku in ENTERPRISE_SKUS:
        return seen("enterprise")
    if sku in LTSC_SKUS:
        return seen("ltsc")
    if sku in CLIENT_SKUS:
        return seen("client")
    return unknown("os_support.reason.unknown_sku", sku=sku)


def esu_years(data: dict[str, Any]) -> Observed[tuple[int, ...]] | None:
    if "esu" not in data:
        raise CollectorError("PowerShell probe 'os_edition': no esu entry in its answer")
    error = as_text(data.get("esu_error"))
    if error is not None:
        return unknown("os_support.reason.esu_unreadable", hresult=error)
    if data["esu"] is None:
        return None  # Windows 11: no such licence
    entries = [entry for entry in as_list(data["esu"]) if isinstance(entry, dict)]
    years = {
        ESU_YEARS[str(entry.get("id", "")).lower()]
        for entry in entries
        if as_int(entry.get("license_status")) == LICENSED
        and str(entry.get("id", "")).lower() in ESU_YEARS
    }
    return seen(tuple(sorted(years)))


class WindowsOsSupport(OneProbeCollector[OsSupportFacts]):
    fact_type = OsSupportFacts
    probe: ClassVar[PowerShell] = OS_EDITION

    def parse_value(self, value: Any) -> OsSupportFacts:
        data = as_dict(value, "PowerShell probe 'os_edition'")
        build = as_text(data.get("build"))
        sku = as_int(data.get("sku"))
        return OsSupportFacts(
            product=seen("windows"),
            release=seen(build)
            if build and build.isdigit()
            else unknown("os_support.reason.no_build"),
            label=as_text(data.get("caption")) or "",
            edition=edition_of(sku, as_int(data.get("product_type"))),
            sku=sku,
            esu_years=esu_years(data),
            # An answer without the entry comes from a probe older than Office support
            # (a bundle of an exported script): Office is then unknown, never absent.
            office=office_products(data.get("office")),
            sources=(OS_EDITION.key,),
        )
