"""What the discovery script's os_support snippet (checks/os_support/compliance/
intune_settings.ps1) writes for a probe answer, step for step in Python: this machine has
no PowerShell, so the tests judge the answers through this reading. `today` stands for
the PC's clock ([datetime]::UtcNow.Date) and `data` for the support data embedded at
export (None: no usable data)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from endpoint_audit.checks.os_support.office import AMBIGUOUS_IDS, NOT_PRODUCTS, OFFICE_2016_IDS
from endpoint_audit.checks.os_support.support_data import SupportData
from endpoint_audit.checks.os_support.windows import (
    CLIENT_SKUS,
    ENTERPRISE_SKUS,
    ESU_YEARS,
    LTSC_SKUS,
)

UNREAD = 99999
_BLANKS = "[ \t\r\n]*"
_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_MSI = re.compile(r"^\{90160000-001[12]-0000-[01]000-0000000[Ff][Ff]1[Cc][Ee]\}$")
_MSI_OLD = re.compile(
    r"^\{[9A-Fa-f][0-9A-Fa-f]1([245])0000-[0-9A-Fa-f]{4}-0000-[01]000-0000000[Ff][Ff]1[Cc][Ee]\}$"
)
_MSI_RELEASES = {"2": "2007", "4": "2010", "5": "2013"}


def _number(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        match = re.fullmatch(f"{_BLANKS}(-?[0-9]{{1,18}}){_BLANKS}", value)
        return int(match.group(1)) if match else None
    return None


def _day(day: date | None) -> int | None:
    return None if day is None else day.toordinal() - 1


def _office_release(product_id: str) -> str | None:
    low = product_id.translate(_FOLD)
    if low.startswith("o365"):
        return "365"
    match = re.search(r"(2019|2021|2024)(retail|volume)$", low)
    if match:
        if match[2] == "volume" and match[1] != "2019":
            return f"{match[1]}-ltsc"
        return match[1]
    if low in AMBIGUOUS_IDS:
        return None
    if low in OFFICE_2016_IDS:
        return "2016"
    return None


def _edition(sku: int | None, product_type: int | None) -> str | None:
    if product_type is not None and product_type != 1:
        return "server"
    for name, skus in (("enterprise", ENTERPRISE_SKUS), ("ltsc", LTSC_SKUS),
                       ("client", CLIENT_SKUS)):  # fmt: skip
        if sku is not None and sku in skus:
            return name
    return None


def _windows(probe: dict[str, Any], data: SupportData, today: int, malformed: bool) -> Any:
    """(OsSupportState, OsSupportDaysLeft)."""
    build = probe.get("build")
    match = re.fullmatch(f"{_BLANKS}([0-9]+){_BLANKS}", build) if isinstance(build, str) else None
    release = match.group(1) if match else None
    edition = _edition(_number(probe.get("sku")), _number(probe.get("product_type")))
    windows = {k: r for k, r in data.windows.items() if k.isascii() and k.isdigit()}
    if malformed or release is None:
        return "Unknown", -UNREAD
    if edition == "server":
        return "Server", -UNREAD
    if release not in windows:
        return "NotInData", -UNREAD
    rel = windows[release]
    dates = {"client": _day(rel.client), "enterprise": _day(rel.enterprise),
             "ltsc": _day(rel.ltsc)}  # fmt: skip
    if edition is not None:
        end = dates[edition]
    else:
        known = [d for d in dates.values() if d is not None]
        general = dates["client"] is not None and dates["enterprise"] is not None
        end = min(known) if known and general else None
    if end is None:
        if dates["ltsc"] is not None and edition in ("client", "enterprise"):
            return "OnlyLtsc", -UNREAD
        return "EditionNotInData", -UNREAD
    if edition is None and end < today:
        return "EditionUnknown", -UNREAD
    esu = {y: _day(d) for y, d in rel.esu.items() if y.isascii() and y.isdigit()}
    if end < today and esu and edition != "ltsc":
        error = probe.get("esu_error")
        if isinstance(error, str) and error != "":
            return "EsuUnknown", -UNREAD
        if probe.get("esu") is not None:
            raw = probe["esu"]
            held: set[str] = set()
            for entry in raw if isinstance(raw, list) else [raw]:
                if not isinstance(entry, dict):
                    continue
                licence = entry.get("id")
                if not isinstance(licence, str) or not re.fullmatch("[0-9A-Fa-f-]+", licence):
                    continue
                year = ESU_YEARS.get(licence.translate(_FOLD))
                if year is None or _number(entry.get("license_status")) != 1:
                    continue
                held.add(str(year))
            running: int | None = None
            before: int | None = None
            for key in esu:
                if key not in held:
                    continue
                year_end = esu[key]
                start = end
                for other in esu.values():
                    if other < year_end and other > start:
                        start = other
                if start < today <= year_end:
                    if running is None or year_end > running:
                        running = year_end
                elif year_end < today and (before is None or year_end > before):
                    before = year_end
            if running is not None:
                growing = True
                while growing:
                    growing = False
                    following: int | None = None
                    for other in esu.values():
                        if other > running and (following is None or other < following):
                            following = other
                    if following is not None:
                        for key in esu:
                            if key in held and esu[key] == following:
                                growing = True
                        if growing:
                            running = following
                end = running
            elif before is not None:
                end = before
    return "Dated", end - today


def _office(office: dict[str, Any], data: SupportData | None, today: int) -> int:
    error = office.get("error")
    if isinstance(error, str) and error != "":
        return -UNREAD
    releases: list[str] = []
    config = office.get("c2r")
    if config is not None:
        ids = config.get("ProductReleaseIds")
        if ids is not None and not isinstance(ids, str):
            return -UNREAD
        for part in (ids or "").split(",") if ids is not None else []:
            product_id = part.strip(" \t\r\n")
            if not product_id:
                continue
            if not re.fullmatch("[!-~]+", product_id):
                return -UNREAD
            if product_id.translate(_FOLD) in NOT_PRODUCTS:
                continue
            release = _office_release(product_id)
            if release is None:
                return -UNREAD
            releases.append(release)
    codes = office.get("msi")
    for code in codes if isinstance(codes, list) else ([] if codes is None else [codes]):
        if not isinstance(code, str):
            continue
        if not code.isascii():
            return -UNREAD
        if _MSI.match(code):
            releases.append("2016")
        elif old := _MSI_OLD.match(code):
            releases.append(_MSI_RELEASES[old.group(1)])
    table = {
        k: _day(r.eol)
        for k, r in (data.office if data else {}).items()
        if r.eol and k.isascii() and k == k.lower()
    }
    left = UNREAD
    for release in releases:
        end = table.get(release)
        if end is None:
            return -UNREAD
        left = min(left, end - today)
    return left


def os_support_settings(probe: Any, data: SupportData | None, today: date) -> dict[str, Any]:
    day = today.toordinal() - 1
    settings: dict[str, Any] = {
        "OsSupportState": "Unknown",
        "OsSupportDaysLeft": -UNREAD,
        "OsSupportDataAgeDays": UNREAD,
        "OfficeSupportDaysLeft": -UNREAD,
    }
    if data is not None:
        settings["OsSupportDataAgeDays"] = day - (data.dated.toordinal() - 1)
    if not isinstance(probe, dict):
        return settings
    office = probe.get("office")
    malformed = "esu" not in probe
    if office is not None and not isinstance(office, dict):
        malformed = True
    if isinstance(office, dict) and office.get("c2r") is not None:
        malformed = malformed or not isinstance(office["c2r"], dict)
    if data is None:
        state, left = "Unknown", -UNREAD
    else:
        state, left = _windows(probe, data, day, malformed)
    settings["OsSupportState"] = state
    settings["OsSupportDaysLeft"] = left
    if not malformed and isinstance(office, dict):
        settings["OfficeSupportDaysLeft"] = _office(office, data, day)
    return settings
