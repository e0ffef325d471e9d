"""What the discovery script's patch_level snippet (checks/patch_level/compliance/
intune_settings.ps1) writes for the answers of windows_update.ps1 and
windows_update_pending.ps1, step for step in Python: this machine has no PowerShell, so
the tests judge the answers through this reading."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from endpoint_audit.checks.patch_level.intune import TableData

UNREAD = 99999
_BLANKS = "[ \t\r\n]*"


def _number(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        match = re.fullmatch(f"{_BLANKS}(-?[0-9]{{1,18}}){_BLANKS}", value)
        return int(match.group(1)) if match else None
    return None


def _text(value: Any) -> str | None:
    """A non-blank text, trimmed of ASCII blanks; anything else None."""
    if not isinstance(value, str):
        return None
    trimmed = re.sub(r"^[ \t\r\n]+|[ \t\r\n]+\Z", "", value)
    return trimmed or None


def _scan_seconds(value: Any) -> int | None:
    """yyyy-MM-ddTHH:mm:ssZ (what the probe writes) as seconds since 0001-01-01; else None."""
    text = _text(value)
    pattern = r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])Z"
    match = re.fullmatch(pattern, text or "")
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups())
    try:
        days = date(year, month, day).toordinal() - 1
    except ValueError:
        return None
    return days * 86400 + hour * 3600 + minute * 60 + second


def _items(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _values(block: Any) -> dict[str, Any]:
    if not isinstance(block, dict):
        return {}
    values = block.get("values")
    return values if isinstance(values, dict) else {}


def _installed_day(value: Any) -> int | None:
    text = _text(value)
    if text is None:
        return None
    match = re.fullmatch(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})", text)
    if not match:
        return None  # a FILETIME too: stricter than the check
    month, day, year = (int(g) for g in match.groups())
    try:
        return date(year, month, day).toordinal() - 1
    except ValueError:
        return None


def _pending(answer: Any, now: datetime) -> int:
    if not isinstance(answer, dict):
        return UNREAD
    scan = _scan_seconds(answer.get("last_search_success"))
    search = answer.get("search")
    if scan is None or not isinstance(search, dict) or search.get("finished") is not True:
        return UNREAD
    # Whole seconds of the PC's clock: a scan 7 days old or more, or more than a day ahead.
    now_seconds = (now.date().toordinal() - 1) * 86400 + now.hour * 3600 + now.minute * 60
    age = now_seconds + now.second - scan
    if age >= 7 * 86400 or -age > 86400:
        return UNREAD
    value = search.get("value")
    if not isinstance(value, dict) or _number(value.get("result_code")) != 2:
        return UNREAD
    updates = value.get("updates")
    if not isinstance(updates, list):
        return UNREAD
    count = 0
    for update in updates:
        if not isinstance(update, dict):
            return UNREAD
        categories = {str(c).lower() for c in _items(update.get("categories"))}
        if "e0789628-ce08-4437-be74-2495b842f43b" in categories:
            continue
        if _text(update.get("msrc_severity")) or categories & {
            "0fa1201d-4330-4fa8-8ae9-b877473b6441",
            "e6cf1350-c01b-414d-a61f-263d14d133b4",
        }:
            count += 1
    return count


def patch_level_settings(
    probe: Any, pending: Any, table: TableData | None, grace: int, now: datetime
) -> dict[str, Any]:
    today = now.date().toordinal() - 1
    settings: dict[str, Any] = {
        "PatchPendingSecurityUpdates": UNREAD,
        "PatchDaysSinceUpdate": UNREAD,
        "PatchRebootPending": -1,
        "PatchMonthlyUpdate": "Unknown",
    }
    if not isinstance(probe, dict):
        return settings
    settings["PatchPendingSecurityUpdates"] = _pending(pending, now)
    current = probe.get("current_version")
    if "wow64" not in probe or not isinstance(current, dict) or current.get("found") is not True:
        return settings
    # Restart markers: a marker counts as absent only when its parent key was read.
    markers = [
        (probe.get("cbs_found"), probe.get("cbs_reboot_pending")),
        (probe.get("wu_found"), probe.get("wu_reboot_required")),
    ]
    if any(here is True for _, here in markers):
        settings["PatchRebootPending"] = 1
    elif all(parent is True and here is False for parent, here in markers):
        settings["PatchRebootPending"] = 0
    values = _values(current)
    build_text = values.get("CurrentBuildNumber")
    build = None
    if isinstance(build_text, str) and re.fullmatch("[0-9]{1,9}", build_text):
        build = int(build_text)
    ubr = _number(values.get("UBR"))
    if table is None or build is None:
        return settings
    entry = table.builds.get(build)
    if entry is None:
        settings["PatchMonthlyUpdate"] = "NotInTable"
        return settings
    # Days since the newest cumulative update of the build that was installed.
    if _text(probe.get("hotfix_error")) is None:
        best: tuple[int, int] | None = None
        undated: list[int] = []
        odd = False
        for raw in _items(probe.get("hotfixes")):
            if not isinstance(raw, dict):
                continue
            kb = _text(raw.get("id"))
            if kb is None or not re.fullmatch(r"[Kk][Bb][0-9]{6,8}", kb):
                # An ID the tool might read differently (other blanks): never judged.
                odd = odd or (kb is not None and re.search("[Kk][Bb][0-9]", kb) is not None)
                continue
            month = entry.kbs.get("KB" + kb[2:])
            if month is None:
                continue
            day = None if _text(raw.get("error")) else _installed_day(raw.get("installed_on"))
            if day is None:
                undated.append(month)
            elif best is None or day > best[0]:
                best = (day, month)
        later = best is None or any(m > best[1] for m in undated)
        # Installed ahead of the PC's clock by more than a day: not believed.
        if not odd and not later and best is not None and best[0] - today <= 1:
            settings["PatchDaysSinceUpdate"] = max(0, today - best[0])
    kind = _text(values.get("InstallationType"))
    if ubr is None or ubr < 0 or kind is None:
        return settings
    if not re.fullmatch("[Cc][Ll][Ii][Ee][Nn][Tt]", kind):
        settings["PatchMonthlyUpdate"] = "Server"
        return settings
    settings["PatchMonthlyUpdate"] = monthly_state(entry.monthly, table, ubr, today - grace)
    return settings


def monthly_state(
    monthly: tuple[tuple[int, int, int], ...], table: TableData, ubr: int, cutoff: int
) -> str:
    required: tuple[int, int, int] | None = None
    level: tuple[int, int, int] | None = None
    for day, release_ubr, month in monthly:
        if day <= cutoff and (
            required is None
            or day > required[0]
            or (day == required[0] and release_ubr < required[1])
        ):
            required = (day, release_ubr, month)
        if ubr >= release_ubr and (level is None or day > level[0]):
            level = (day, release_ubr, month)
    if required is None:
        return "TooNew"
    if level is None or level[0] < required[0]:
        return "Behind"
    newest = None
    for day, month in table.monthly_days:
        if day <= cutoff:
            newest = month
    if newest is not None and required[2] < newest:
        return "NotServiced"
    if table.as_of < cutoff:
        return "TableStale"
    return "Current"
