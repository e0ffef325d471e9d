"""Office products on Windows, from the Click-to-Run configuration and the MSI product
codes of Office 2007 to 2016, for os_support.

Click-to-Run names what is installed in `ProductReleaseIds` (comma-separated product
IDs of the Office Deployment Tool: O365ProPlusRetail, ProPlus2021Volume, ...), and the
year in an ID is the product's: 2019, 2021, 2024; Volume IDs of 2021 and 2024 are the
LTSC editions; O365* are Microsoft 365 Apps, updated by channel; an ID without a year
is Office 2016. MSI Office 2016 (Professional Plus, Standard) is told by its product code
({90160000-0011-...} / {90160000-0012-...}), the name of its Uninstall key; MSI Office
2007, 2010 and 2013 by the major version in any of their product codes. Nothing localized
is read.
"""

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from endpoint_audit.checkkit.windows_probe import as_dict, as_list, as_text
from endpoint_audit.model.observed import Observed, seen, unknown


class OfficeProduct(BaseModel):
    """One Office product installed on the PC."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    product_id: str  # the Click-to-Run product ID, or the MSI product code
    install: Literal["c2r", "msi"]
    # The key of the release in the support data's `office` table ("2016", "2021-ltsc",
    # "365"), or None for an ID the check does not know.
    release: str | None
    version: str | None = None  # VersionToReport (Click-to-Run)
    channel: str | None = None  # the update channel's name, from its CDN URL
    channel_url: str | None = None  # CDNBaseUrl / UpdateChannel as read
    # Why the release cannot be told from the ID (an ID both a subscription and a
    # perpetual product use).
    ambiguous: bool = False


# Update channels by the GUID of their CDN URL (HKLM\...\ClickToRun\Configuration
# CDNBaseUrl or UpdateChannel: http://officecdn.microsoft.com/pr/<GUID>): the first four as
# MicrosoftDocs (SCCM docs, "Manage Office 365 ProPlus updates": Current, Deferred = Semi-
# Annual, and their First Release = Preview channels) lists them; Monthly Enterprise, Beta
# and the perpetual volume-licensed channels of Office 2019 and LTSC 2021/2024 as public
# channel-switch and inventory scripts name them. Any other URL is kept, unnamed.
CHANNELS = {
    "492350f6-3a01-4f97-b9c0-c7c6ddf67d60": "current",
    "64256afe-f5d9-4f86-8936-8840a6a4f5be": "current_preview",
    "55336b82-a18d-4dd6-b5f6-9e5095c314a6": "monthly_enterprise",
    "7ffbc6bf-bc32-4f92-8982-f9dd17fd3114": "semi_annual",
    "b8f9b850-328d-4355-9145-c59439a0c4cf": "semi_annual_preview",
    "5440fd1f-7ecb-4221-8110-145efaa6372f": "beta",
    "f2e724c1-748f-4b47-8fb8-8e0d210e9208": "perpetual_vl_2019",
    "5030841d-c919-4594-8d2d-84ae4f96e58e": "perpetual_vl_2021",
    "7983bac0-e531-40cf-be00-fd24fe66619c": "perpetual_vl_2024",
}
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)

# Office 2016 Click-to-Run product IDs, which carry no year (MicrosoftDocs
# OfficeDocs-Support product-ids-supported-office-deployment-click-to-run.md).
OFFICE_2016_IDS = frozenset(
    {
        "accessretail", "excelretail", "homebusinessretail", "homestudentretail",
        "onenoteretail", "outlookretail", "personalretail", "powerpointretail",
        "professionalretail", "proplusretail", "proplusvolume", "projectproxvolume",
        "projectstdretail", "projectstdxvolume", "publisherretail", "standardretail",
        "standardvolume", "visioproxvolume", "visiostdretail", "visiostdxvolume", "wordretail",
    }
)  # fmt: skip
# Both a Microsoft 365 plan (Visio Plan 2, Project Online Desktop Client) and the 2016
# retail product install under these IDs: their support cannot be told from the ID.
AMBIGUOUS_IDS = frozenset({"visioproretail", "projectproretail"})
# Not products with a support period of their own: languages and proofing tools follow
# the product they extend.
NOT_PRODUCTS = frozenset({"languagepack", "proofingtools"})
_YEAR = re.compile(r"(2019|2021|2024)(retail|volume)$", re.IGNORECASE)
MSI_2016 = re.compile(r"^\{90160000-001[12]-0000-[01]000-0000000FF1CE\}$", re.IGNORECASE)
# {BRMMmmmm-PPPP-LLLL-p000-D000000FF1CE} (Microsoft: "Description of the numbering scheme
# for product code GUIDs in Office 2013"; KB928516 for 2007): B the release version (9 RTM,
# then service packs), MM the major version, PPPP the product, LLLL 0000 for the
# language-neutral product (a language part has its LCID), D 0 for shipped code. Every
# Office-family product of versions 12, 14 and 15 is out of support; version 16 MSI codes
# also name Click-to-Run components, so only its suites (MSI_2016) count.
MSI_OLD = re.compile(
    r"^\{[9A-F][0-9A-F](?P<major>1[245])0000-[0-9A-F]{4}-0000-[01]000-0000000FF1CE\}$",
    re.IGNORECASE,
)
MSI_RELEASES = {"12": "2007", "14": "2010", "15": "2013"}


def release_of(product_id: str) -> tuple[str | None, bool]:
    """(the support data key of a Click-to-Run product ID or None, whether ambiguous)."""
    folded = product_id.lower()
    if folded.startswith("o365"):
        return "365", False
    year = _YEAR.search(product_id)
    if year is not None:
        ltsc = year.group(2).lower() == "volume" and year.group(1) != "2019"
        return f"{year.group(1)}-ltsc" if ltsc else year.group(1), False
    if folded in AMBIGUOUS_IDS:
        return None, True
    if folded in OFFICE_2016_IDS:
        return "2016", False
    return None, False


def channel_of(url: str | None) -> str | None:
    found = _GUID.search(url or "")
    return CHANNELS.get(found.group(0).lower()) if found else None


def office_products(value: Any) -> Observed[tuple[OfficeProduct, ...]]:
    """The products in the probe's `office` answer; unknown when it could not be read."""
    if value is None:
        return unknown("os_support.reason.office_not_collected")
    data = as_dict(value, "PowerShell probe 'os_edition' office")
    error = as_text(data.get("error"))
    if error == "registry_view":
        return unknown("os_support.reason.office_registry_view")
    if error is not None:
        return unknown("os_support.reason.office_unreadable", hresult=error)
    products: list[OfficeProduct] = []
    c2r = data.get("c2r")
    if c2r is not None:
        config = as_dict(c2r, "PowerShell probe 'os_edition' office.c2r")
        url = as_text(config.get("UpdateChannel")) or as_text(config.get("CDNBaseUrl"))
        ids = [part.strip() for part in str(config.get("ProductReleaseIds") or "").split(",")]
        for product_id in dict.fromkeys(i for i in ids if i):
            if product_id.lower() in NOT_PRODUCTS:
                continue
            release, ambiguous = release_of(product_id)
            products.append(
                OfficeProduct(
                    product_id=product_id,
                    install="c2r",
                    release=release,
                    version=as_text(config.get("VersionToReport")),
                    channel=channel_of(url),
                    channel_url=url,
                    ambiguous=ambiguous,
                )
            )
    codes = {str(code).upper() for code in as_list(data.get("msi")) if isinstance(code, str)}
    for code in sorted(codes):
        old = MSI_OLD.match(code)
        if MSI_2016.match(code):
            products.append(OfficeProduct(product_id=code, install="msi", release="2016"))
        elif old is not None:
            release = MSI_RELEASES[old.group("major")]
            products.append(OfficeProduct(product_id=code, install="msi", release=release))
    return seen(tuple(products))
