"""Windows Update on Windows 10/11: last installed update, OS build, pending reboot and
pending updates.

- Last update: Windows Update history from the `Microsoft.Update.Session` COM API
  (`QueryHistory`; ResultCode 2 = succeeded, Operation 1 = installation), dates as UTC.
  Defender definition updates (classification "Definition Updates", KB2267602) and
  drivers arrive daily and say nothing about OS patches, so they are left out.
  `Win32_QuickFixEngineering` (what `Get-HotFix` reads) adds updates installed outside
  Windows Update (.msu files, WSUS offline); its InstalledOn is a date only.
- OS build and UBR from the registry (`HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion`).
- Pending reboot from the registry markers Windows Update and servicing leave behind.
- Pending updates: `IUpdateSearcher.Search` against the update list of the last automatic
  scan (`Online = false`: no network, seconds instead of minutes), in a runspace with a
  time budget. If it does not finish, the count is unknown, never zero.

Titles of updates are in the display language; they are kept as evidence only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from endpoint_audit.collectors.base import Collector, Results, require
from endpoint_audit.collectors.windows_probe import (
    as_dict,
    as_int,
    as_list,
    as_text,
    check_language_mode,
    parse_utc,
    probe_value,
    windows_script,
)
from endpoint_audit.errors import CollectorError, FactUnavailable
from endpoint_audit.model.commands import Command, PowerShell
from endpoint_audit.model.facts import PatchFacts
from endpoint_audit.model.platform import OsFamily, PlatformInfo

# Seconds the pending-update search may take (capped by what is left of the batch).
PENDING_SEARCH_SECONDS = 30
HISTORY_ENTRIES = 200

WINDOWS_UPDATE = PowerShell(
    "windows_update",
    windows_script("windows_update").replace("__ENTRIES__", str(HISTORY_ENTRIES)),
)

WINDOWS_UPDATE_PENDING = PowerShell(
    "windows_update_pending",
    windows_script("windows_update_pending").replace("__SECONDS__", str(PENDING_SEARCH_SECONDS)),
)

# Windows Update classification ids (stable GUIDs; the names are localized).
SECURITY_UPDATES = "0fa1201d-4330-4fa8-8ae9-b877473b6441"
CRITICAL_UPDATES = "e6cf1350-c01b-414d-a61f-263d14d133b4"
DEFINITION_UPDATES = "e0789628-ce08-4437-be74-2495b842f43b"
DRIVERS = "ebfc1fc5-71a4-4f7b-9aca-3b9a503104a0"
NOT_OS_PATCHES = {DEFINITION_UPDATES, DRIVERS}
# Defender security intelligence and platform updates, by KB number (never localized).
DEFENDER_KBS = {"KB2267602", "KB2461484", "KB4052623", "KB915597"}
SUCCEEDED = 2
INSTALLATION = 1
_KB = re.compile(r"\bKB\d{6,8}\b", re.IGNORECASE)
# OperationResultCode of the search: 2 succeeded, 3 succeeded with errors.
SEARCH_OK = (2, 3)
INDEX_SOURCE = "last automatic Windows Update scan (AutoUpdate.Results.LastSearchSuccessDate)"


def _kbs(title: str) -> set[str]:
    return {m.upper() for m in _KB.findall(title)}


def is_os_patch(entry: dict[str, Any]) -> bool:
    """An installed update that patches Windows: not a definition or driver update."""
    categories = {str(c).lower() for c in as_list(entry.get("categories"))}
    if categories & NOT_OS_PATCHES:
        return False
    return not (_kbs(as_text(entry.get("title")) or "") & DEFENDER_KBS)


def last_from_history(history: Any) -> tuple[datetime | None, str | None]:
    """Newest successful OS-patch installation in Windows Update history."""
    best: tuple[datetime, str] | None = None
    for raw in as_list(as_dict(history, "history").get("entries")):
        entry = as_dict(raw, "history.entries[]")
        if as_int(entry.get("result_code")) != SUCCEEDED:
            continue
        if as_int(entry.get("operation")) != INSTALLATION or not is_os_patch(entry):
            continue
        when = parse_utc(entry.get("date"))
        if when is not None and (best is None or when > best[0]):
            best = (when, as_text(entry.get("title")) or "?")
    return (best[0], best[1]) if best else (None, None)


def last_from_hotfixes(hotfixes: Any) -> tuple[datetime | None, str | None]:
    best: tuple[datetime, str] | None = None
    for raw in as_list(hotfixes):
        if not isinstance(raw, dict):
            continue
        text = as_text(raw.get("installed_on"))
        if text is None:
            continue
        try:
            when = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            raise CollectorError(f"Get-HotFix: not a yyyy-MM-dd date: {text[:40]!r}") from None
        if best is None or when > best[0]:
            best = (when, as_text(raw.get("id")) or "?")
    return (best[0], best[1]) if best else (None, None)


def _pending(value: Any) -> dict[str, Any]:
    """pending_* fields from the pending-update probe's value."""
    data = as_dict(value, "windows_update_pending")
    search = as_dict(data.get("search"), "windows_update_pending.search")
    # The offline search reads the list of the last automatic scan: without one, an
    # empty list would only mean "never looked".
    last_scan = parse_utc(data.get("last_search_success"))
    if last_scan is None:
        return {"pending_unknown_reason": "Windows Update has no successful scan on record"}
    if search.get("finished") is not True:
        seconds = as_int(search.get("seconds"))
        return {
            "pending_unknown_reason": "the Windows Update search did not finish within "
            f"{seconds if seconds else 0} s",
            "index_refreshed": last_scan,
            "index_source": INDEX_SOURCE,
        }
    result = as_dict(search.get("value"), "windows_update_pending.search.value")
    code = as_int(result.get("result_code"))
    if code not in SEARCH_OK:
        return {
            "pending_unknown_reason": f"the Windows Update search ended with code {code}",
            "index_refreshed": last_scan,
            "index_source": INDEX_SOURCE,
        }
    updates = [as_dict(u, "updates[]") for u in as_list(result.get("updates"))]
    security: list[str] = []
    for update in updates:
        categories = {str(c).lower() for c in as_list(update.get("categories"))}
        if DEFINITION_UPDATES in categories:
            continue
        if as_text(update.get("msrc_severity")) or categories & {
            SECURITY_UPDATES,
            CRITICAL_UPDATES,
        }:
            kbs = [f"KB{k}" for k in as_list(update.get("kb")) if str(k).isdigit()]
            security.append(" ".join(kbs) or (as_text(update.get("title")) or "?")[:120])
    return {
        "pending_updates": len(updates),
        "pending_security_updates": len(security),
        "pending_security_names": tuple(security),
        "pending_unknown_reason": None,
        "index_refreshed": last_scan,
        "index_source": INDEX_SOURCE,
    }


def parse_windows_update(value: Any, pending: Any | None, pending_error: str | None) -> PatchFacts:
    data = as_dict(value, "windows_update")
    build = as_text(data.get("current_build"))
    ubr = as_int(data.get("ubr"))
    os_build = f"{build}.{ubr}" if build and ubr is not None else build
    # Last update: the newest of Windows Update history and installed hotfixes.
    reasons: list[str] = []
    history_when: datetime | None = None
    history_title: str | None = None
    if data.get("history") is not None:
        history_when, history_title = last_from_history(data["history"])
    else:
        reasons.append(
            f"Windows Update history: {as_text(data.get('history_error')) or 'not read'}"
        )
    hotfix_when, hotfix_id = last_from_hotfixes(data.get("hotfixes"))
    if as_text(data.get("hotfix_error")):
        reasons.append(f"Get-HotFix: {as_text(data.get('hotfix_error'))}")
    last_update: datetime | None = None
    source: str | None = None
    if history_when is not None and (hotfix_when is None or history_when >= hotfix_when):
        last_update, source = history_when, f"Windows Update history: {history_title}"
    elif hotfix_when is not None:
        last_update, source = hotfix_when, f"Get-HotFix: {hotfix_id}"
    last_reason = None
    if last_update is None:
        last_reason = "; ".join(reasons) or "no successful update installation is recorded"
    markers = [str(m) for m in as_list(data.get("reboot_markers"))]
    no_auto = as_int(data.get("no_auto_update"))
    au_options = as_int(data.get("au_options"))
    auto_update: bool | None = None
    if no_auto == 1 or au_options == 1:
        auto_update = False
    elif au_options in (2, 3, 4, 5, 7):
        auto_update = True
    fields: dict[str, Any] = {
        "pending_unknown_reason": pending_error or "the pending-update search was not run"
    }
    if pending is not None:
        fields = _pending(pending)
    return PatchFacts(
        manager="windows_update",
        last_update=last_update,
        last_update_source=source,
        last_update_unknown_reason=last_reason,
        reboot_required=bool(markers),
        reboot_detail=", ".join(markers) if markers else "no pending-reboot marker in the registry",
        os_build=os_build,
        auto_update_enabled=auto_update,
        **fields,
    )


class WindowsPatches(Collector[PatchFacts]):
    id = "windows.patches"
    fact_type = PatchFacts
    platforms = frozenset({OsFamily.WINDOWS})
    reads = (
        "Windows Update history (`Microsoft.Update.Session` QueryHistory), `Get-HotFix`, "
        "registry CurrentVersion (build, UBR) and pending-reboot markers, and a bounded "
        "offline `IUpdateSearcher.Search` for pending updates"
    )
    privilege = "none (some PCs restrict the Windows Update API to administrators)"

    def commands(self, platform: PlatformInfo, results: Results) -> Sequence[Command]:
        return [WINDOWS_UPDATE, WINDOWS_UPDATE_PENDING]

    def parse(self, results: Results, platform: PlatformInfo) -> PatchFacts:
        main = require(results, WINDOWS_UPDATE)
        check_language_mode(main, "Windows Update state")
        if not main.ok:
            raise FactUnavailable(f"Windows Update state could not be read: {main.excerpt()}")
        value = probe_value(results, WINDOWS_UPDATE)
        pending_result = require(results, WINDOWS_UPDATE_PENDING)
        pending = probe_value(results, WINDOWS_UPDATE_PENDING) if pending_result.ok else None
        error = (
            None
            if pending_result.ok
            else f"the pending-update search failed: {pending_result.excerpt(200)}"
        )
        return parse_windows_update(value, pending, error)
