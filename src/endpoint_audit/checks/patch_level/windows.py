"""Windows Update on Windows 10/11: OS build, monthly cumulative updates installed, pending
restart, update source and pending updates.

- OS build and UBR from `HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion`; the check
  judges them against the table of monthly releases (model/windows_releases.py).
- Last update: the newest `Win32_QuickFixEngineering` entry (read through CIM, each entry
  on its own) whose KB article is a cumulative update of this build in the release table.
  MSRT, Defender, .NET, servicing stack and driver updates do not count: they are not in
  the table (most are not in Win32_QuickFixEngineering at all). The Windows Update history
  is recorded as evidence only: its KB numbers appear only in the localized titles.
- Pending restart: the markers of servicing (`Component Based Servicing\\RebootPending`)
  and Windows Update (`WindowsUpdate\\Auto Update\\RebootRequired`).
  `PendingFileRenameOperations` is recorded, not counted: installers and antivirus set it.
- A 32-bit PowerShell reads the 64-bit registry view through `reg.exe /reg:64`; where that
  fails, the build and the restart markers are unknown.
- Update source: WSUS (`WUServer` with `UseWUServer`) and Windows Update for Business
  (quality-update deferral or pause) from Group Policy and MDM policy keys. A managed PC
  lists as pending only what its source offers.
- Pending updates: `IUpdateSearcher.Search` against the update list of the last automatic
  scan (`Online = false`: no network, seconds instead of minutes), in a runspace with a
  time budget. If it does not finish, the count is unknown, never zero.

Titles of updates are in the display language; they are kept as evidence only.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from msgspec import Struct

from endpoint_audit.checkkit.collector import Collector, Results, require
from endpoint_audit.checkkit.windows_probe import (
    as_dict,
    as_int,
    as_list,
    as_text,
    check_language_mode,
    listed,
    parse_utc,
    probe_value,
    windows_script,
)
from endpoint_audit.checks.patch_level.facts import PatchFacts
from endpoint_audit.checks.patch_level.releases import (
    ReleaseTable,
    ReleaseTableError,
    release_table,
)
from endpoint_audit.errors import FactUnavailable
from endpoint_audit.model.commands import PowerShell
from endpoint_audit.model.observed import Observed, Reason, Unknown, seen
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.model.result import JsonScalar

# Seconds the pending-update search may take (capped by what is left of the batch).
PENDING_SEARCH_SECONDS = 30
HISTORY_ENTRIES = 200

# CLM-safe: registry, CIM and reg.exe only; the history's COM calls run in FullLanguage.
WINDOWS_UPDATE = PowerShell(
    "windows_update",
    windows_script(__name__, "windows_update").replace("__ENTRIES__", str(HISTORY_ENTRIES)),
    clm_safe=True,
)

WINDOWS_UPDATE_PENDING = PowerShell(
    "windows_update_pending",
    windows_script(__name__, "windows_update_pending").replace(
        "__SECONDS__", str(PENDING_SEARCH_SECONDS)
    ),
)

# Windows Update classification ids (stable GUIDs; the names are localized).
SECURITY_UPDATES = "0fa1201d-4330-4fa8-8ae9-b877473b6441"
CRITICAL_UPDATES = "e6cf1350-c01b-414d-a61f-263d14d133b4"
DEFINITION_UPDATES = "e0789628-ce08-4437-be74-2495b842f43b"
# OperationResultCode of the search: 2 succeeded, 3 succeeded with errors.
SEARCH_OK = (2, 3)
# OperationResultCode orcSucceededWithErrors: "The results might be incomplete" (wuapi.h;
# MS-UAMG 2.2.9 OperationResultCode).
SEARCH_WITH_ERRORS = 3
# The time of the last automatic scan, by the name the Windows Update API gives it.
INDEX_SOURCE = "AutoUpdate.Results.LastSearchSuccessDate"
QFE = "Win32_QuickFixEngineering"
CBS_MARKER = "Component Based Servicing\\RebootPending"
WU_MARKER = "WindowsUpdate\\Auto Update\\RebootRequired"
PFRO = "Session Manager\\PendingFileRenameOperations"
WOW64_VIEW = "reg.exe /reg:64"
_KB_ID = re.compile(r"^KB\d{6,8}$", re.IGNORECASE)
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_FILETIME = re.compile(r"^(?:0x)?([0-9a-f]{16})$", re.IGNORECASE)
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
# Longest policy value (a WSUS URL) carried into findings.
MAX_POLICY_TEXT = 200


def why(name: str, **args: JsonScalar) -> Reason:
    """A reason of this check: `patch_level.reason.<name>` with its arguments."""
    return Reason(key=f"patch_level.reason.{name}", args=dict(args))


def _unknown(name: str, **args: JsonScalar) -> Unknown:
    return Unknown(reason=why(name, **args))


def parse_installed_on(raw: str) -> date:
    """Win32_QuickFixEngineering.InstalledOn: "M/d/yyyy" (what the provider prints whatever
    the display language) or a 16-digit hexadecimal FILETIME (older entries). ValueError
    for anything else: a day and month are never guessed."""
    text = raw.strip()
    us = _US_DATE.match(text)
    if us:
        month, day, year = (int(g) for g in us.groups())
        return date(year, month, day)
    filetime = _FILETIME.match(text)
    if filetime:
        ticks = int(filetime.group(1), 16)
        try:
            return (_FILETIME_EPOCH + timedelta(microseconds=ticks // 10)).date()
        except OverflowError:
            raise ValueError(f"FILETIME out of range: {text[:40]!r}") from None
    raise ValueError(f"not M/d/yyyy or a FILETIME: {text[:40]!r}")


class Hotfix(Struct, frozen=True):
    kb: str
    installed: date | None
    problem: str | None  # why `installed` is None


def read_hotfixes(value: Any) -> list[Hotfix]:
    """Each Win32_QuickFixEngineering entry on its own: a bad one never loses the others."""
    out: list[Hotfix] = []
    for raw in as_list(value):
        if not isinstance(raw, dict):
            continue
        kb = (as_text(raw.get("id")) or "").upper()
        if not _KB_ID.match(kb):
            continue  # "File 1" and other non-KB entries of old installations
        problem = as_text(raw.get("error"))
        installed: date | None = None
        text = as_text(raw.get("installed_on"))
        if problem is None and text is None:
            problem = "InstalledOn is empty"
        elif problem is None and text is not None:
            try:
                installed = parse_installed_on(text)
            except ValueError as exc:
                problem = str(exc)
        out.append(Hotfix(kb, installed, problem))
    return out


def _at_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def last_cumulative_update(
    hotfixes: list[Hotfix], build: int | None, table: ReleaseTable
) -> dict[str, Any]:
    """last_update* and newest_unlisted_update* fields: the newest install of a cumulative
    update of `build` that the release table lists."""
    if build is None:
        return {"last_update": _unknown("build_not_read")}
    if not table.knows(build):
        return {
            "last_update": _unknown(
                "release_table_lacks_build",
                table=table.label,
                as_of=table.as_of.isoformat(),
                build=build,
            )
        }
    best: tuple[date, Hotfix, str] | None = None
    undated: list[tuple[Hotfix, str]] = []
    for fix in hotfixes:
        release = table.by_kb(build, fix.kb)
        if release is None:
            continue
        if fix.installed is None:
            undated.append((fix, release.month))
        elif best is None or fix.installed > best[0]:
            best = (fix.installed, fix, release.month)
    # An update installed after the table's last release for the build, and after the
    # newest cumulative update found, may be a cumulative update newer than the table.
    newest_listed = table.newest(build)
    horizon = newest_listed.date if newest_listed else date.min
    if best is not None:
        horizon = max(horizon, best[0])
    unlisted = [
        f
        for f in hotfixes
        if table.by_kb(build, f.kb) is None and f.installed is not None and f.installed > horizon
    ]
    fields: dict[str, Any] = {}
    if unlisted:
        newest = max(unlisted, key=lambda f: f.installed or date.min)
        fields["newest_unlisted_update"] = _at_midnight(newest.installed or date.min)
        fields["newest_unlisted_update_id"] = newest.kb
    if best is None:
        none = _unknown("cumulative_update_missing", build=build, entries=len(hotfixes))
        if undated:
            fix, _ = undated[0]
            none = _unknown("hotfix_date_unreadable", kb=fix.kb, problem=fix.problem or "?")
        return {**fields, "last_update": none}
    when, fix, month = best
    # A cumulative update installed later whose date cannot be read: the age is unknown.
    later = [f for f, m in undated if m > month]
    if later:
        unread = _unknown("hotfix_date_unreadable", kb=later[0].kb, problem=later[0].problem or "?")
        return {**fields, "last_update": unread}
    return {
        **fields,
        "last_update": seen(_at_midnight(when)),
        "last_update_source": why("source_cumulative_update", kb=fix.kb, month=month, build=build),
    }


def _values(block: Any) -> dict[str, Any]:
    if not isinstance(block, dict):
        return {}
    values = block.get("values")
    return values if isinstance(values, dict) else {}


def _policy_text(value: Any) -> str | None:
    text = as_text(value) if isinstance(value, str) else None
    return text[:MAX_POLICY_TEXT] if text else None


def update_source(data: dict[str, Any]) -> dict[str, Any]:
    """managed_by / managed_detail from the Group Policy and MDM update policies."""
    wu = _values(data.get("wu_policy"))
    au = _values(data.get("au_policy"))
    mdm = _values(data.get("mdm_update"))
    detail: list[str] = []
    managers: list[str] = []
    server = _policy_text(wu.get("WUServer"))
    if as_int(au.get("UseWUServer")) == 1 and server:
        managers.append("WSUS")
        detail += [f"WUServer={server}", "UseWUServer=1"]
    mdm_server = _policy_text(mdm.get("UpdateServiceUrl"))
    if mdm_server and "update.microsoft.com" not in mdm_server.lower():
        if "WSUS" not in managers:
            managers.append("WSUS")
        detail.append(f"MDM UpdateServiceUrl={mdm_server}")
    wufb: list[str] = []
    gpo_days = as_int(wu.get("DeferQualityUpdatesPeriodInDays"))
    if as_int(wu.get("DeferQualityUpdates")) == 1 and gpo_days is not None:
        wufb.append(f"DeferQualityUpdatesPeriodInDays={gpo_days}")
    pause = _policy_text(wu.get("PauseQualityUpdatesStartTime"))
    if pause:
        wufb.append(f"PauseQualityUpdatesStartTime={pause}")
    if as_int(wu.get("TargetReleaseVersion")) == 1:
        target = _policy_text(wu.get("TargetReleaseVersionInfo"))
        wufb.append(f"TargetReleaseVersionInfo={target or '?'}")
    mdm_days = as_int(mdm.get("DeferQualityUpdatesPeriodInDays"))
    if mdm_days:
        wufb.append(f"MDM DeferQualityUpdatesPeriodInDays={mdm_days}")
    if as_int(mdm.get("PauseQualityUpdates")) == 1:
        wufb.append("MDM PauseQualityUpdates=1")
    if wufb:
        managers.append("Windows Update for Business")
        detail += wufb
    if not managers:
        return {}
    return {"managed_by": ", ".join(managers), "managed_detail": ", ".join(detail)}


def _pending(value: Any) -> dict[str, Any]:
    """pending_* fields from the pending-update probe's value."""
    data = as_dict(value, "windows_update_pending")
    search = as_dict(data.get("search"), "windows_update_pending.search")
    # The offline search reads the list of the last automatic scan: without one, an
    # empty list would only mean "never looked".
    last_scan = parse_utc(data.get("last_search_success"))
    if last_scan is None:
        return {"pending_security_updates": _unknown("wu_scan_missing")}
    if search.get("finished") is not True:
        seconds = as_int(search.get("seconds"))
        return {
            "pending_security_updates": _unknown("wu_search_timeout", seconds=seconds or 0),
            "index_refreshed": last_scan,
            "index_source": INDEX_SOURCE,
        }
    result = as_dict(search.get("value"), "windows_update_pending.search.value")
    code = as_int(result.get("result_code"))
    if code not in SEARCH_OK:
        return {
            "pending_security_updates": _unknown("wu_search_result", code=code),
            "index_refreshed": last_scan,
            "index_source": INDEX_SOURCE,
        }
    updates = [
        as_dict(u, "updates[]")
        for u in listed(result, "updates", "windows_update_pending.search.value")
    ]
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
        "pending_incomplete": code == SEARCH_WITH_ERRORS,
        "pending_security_updates": seen(len(security)),
        "pending_security_names": tuple(security),
        "index_refreshed": last_scan,
        "index_source": INDEX_SOURCE,
    }


def _registry_problem(data: dict[str, Any]) -> Reason | None:
    """Why the 64-bit registry view was not read, or None when it was."""
    if "wow64" not in data:
        return why("probe_bitness_unrecorded")
    current = data.get("current_version")
    if not isinstance(current, dict) or current.get("found") is not True:
        if data.get("wow64") is True:
            return why("registry_64bit_unread", view=WOW64_VIEW)
        return why("current_version_unread")
    return None


def _reboot(data: dict[str, Any], problem: Reason | None) -> dict[str, Any]:
    renames = as_int(data.get("pending_file_renames"))
    fields: dict[str, Any] = {"pending_file_renames": renames}
    view = f" ({WOW64_VIEW})" if data.get("wow64") is True else ""
    markers = {
        CBS_MARKER: (data.get("cbs_found"), data.get("cbs_reboot_pending")),
        WU_MARKER: (data.get("wu_found"), data.get("wu_reboot_required")),
    }
    present = [name for name, (_, here) in markers.items() if here is True]
    # A marker counts as absent only when its parent key was read: a missing parent means
    # the view was not the real one.
    unread = [
        name
        for name, (parent, here) in markers.items()
        if here is not True and (problem is not None or parent is not True or here is not False)
    ]
    renames_text = f"{PFRO}={renames if renames is not None else '?'}"
    if present:
        detail = ", ".join(present)
        return {**fields, "reboot_required": seen(True), "reboot_detail": f"{detail}{view}"}
    if unread:
        # With the registry view not read, every marker is unread: the view is the reason.
        reason = problem or why("restart_markers_missing", markers=", ".join(unread))
        return {
            **fields,
            "reboot_required": Unknown(reason=reason),
            "reboot_detail": renames_text,
        }
    return {
        **fields,
        "reboot_required": seen(False),
        "reboot_detail": f"{CBS_MARKER}=0, {WU_MARKER}=0, {renames_text}{view}",
    }


def _auto_update(data: dict[str, Any]) -> bool | None:
    au = _values(data.get("au_policy"))
    no_auto = as_int(au.get("NoAutoUpdate"))
    options = as_int(au.get("AUOptions"))
    if no_auto == 1 or options == 1:
        return False
    if options in (2, 3, 4, 5, 7):
        return True
    return None


def parse_windows_update(
    value: Any,
    pending: Any | None,
    pending_error: Reason | None,
    table: ReleaseTable | ReleaseTableError | None = None,
) -> PatchFacts:
    data = as_dict(value, "windows_update")
    if table is None:
        try:
            table = release_table()
        except ReleaseTableError as exc:
            table = exc
    problem = _registry_problem(data)
    current = _values(data.get("current_version"))
    build_text = as_text(str(current.get("CurrentBuildNumber") or ""))
    build = int(build_text) if build_text and build_text.isdigit() else None
    ubr = as_int(current.get("UBR"))
    os_build: Observed[str] = (
        Unknown(reason=problem) if problem is not None else _unknown("build_values_missing")
    )
    if problem is None and build is not None and ubr is not None:
        os_build = seen(f"{build}.{ubr}")
    installation = as_text(current.get("InstallationType")) if problem is None else None
    # Last update: monthly cumulative updates only, told apart with the release table.
    hotfix_error = as_text(data.get("hotfix_error"))
    last: dict[str, Any]
    if hotfix_error:
        last = {"last_update": _unknown("hotfixes_unread", error=hotfix_error)}
    elif isinstance(table, ReleaseTableError):
        last = {"last_update": _unknown("release_table_unreadable", error=str(table))}
    else:
        last = last_cumulative_update(
            read_hotfixes(data.get("hotfixes")), build if problem is None else None, table
        )
        if problem is not None:
            # The build is what tells cumulative updates apart; why it is not known.
            last = {"last_update": Unknown(reason=problem)}
    fields: dict[str, Any] = {
        "pending_security_updates": Unknown(reason=pending_error or why("wu_search_not_run"))
    }
    if pending is not None:
        fields = _pending(pending)
    return PatchFacts(
        manager="windows_update",
        os_build=os_build,
        os_installation_type=installation,
        auto_update_enabled=_auto_update(data),
        **last,
        **_reboot(data, problem),
        **update_source(data),
        **fields,
    )


class WindowsPatches(Collector[PatchFacts]):
    family = OsFamily.WINDOWS
    fact_type = PatchFacts
    asks = (WINDOWS_UPDATE, WINDOWS_UPDATE_PENDING)

    def parse(self, results: Results, platform: PlatformInfo) -> PatchFacts:
        main = require(results, WINDOWS_UPDATE)
        check_language_mode(main, "Windows Update state")
        if not main.ok:
            raise FactUnavailable(f"Windows Update state could not be read: {main.excerpt()}")
        value = probe_value(results, WINDOWS_UPDATE)
        pending_result = require(results, WINDOWS_UPDATE_PENDING)
        pending = probe_value(results, WINDOWS_UPDATE_PENDING) if pending_result.ok else None
        error: Reason | None = None
        mode = pending_result.refused_language_mode
        if mode is not None:
            error = why("wu_search_language_mode", mode=mode)
        elif not pending_result.ok:
            error = why("wu_search_failed", output=pending_result.excerpt(200))
        return parse_windows_update(value, pending, error)
