"""macOS updates from local records only: the install history and the SoftwareUpdate
preferences. Never `softwareupdate -l`, which contacts Apple's servers.

- Last update: the newest macOS update in /Library/Receipts/InstallHistory.plist. Silent
  background data updates (XProtect, MRT, Gatekeeper data) are not OS updates and do not
  count, so a Mac that never installs OS updates does not look freshly patched.
- Pending updates: `RecommendedUpdates` as left by the last background check, known only
  when that check succeeded (`LastSuccessfulDate`).
- Automatic updates: managed preferences (MDM) win over the local ones.
- Reboot required: macOS keeps no local flag that can be read reliably, so it is unknown.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from endpoint_audit.collectors.base import Collector, Results, require
from endpoint_audit.collectors.macos_plist import (
    as_bool,
    parse_plist,
    plist_dict,
    plist_missing,
    plutil_xml,
)
from endpoint_audit.errors import CollectorError
from endpoint_audit.model.commands import Command
from endpoint_audit.model.facts import PatchFacts
from endpoint_audit.model.platform import OsFamily, PlatformInfo

INSTALL_HISTORY_PATH = "/Library/Receipts/InstallHistory.plist"
PREFS_PATH = "/Library/Preferences/com.apple.SoftwareUpdate.plist"
MANAGED_PREFS_PATH = "/Library/Managed Preferences/com.apple.SoftwareUpdate.plist"
INSTALL_HISTORY = plutil_xml(INSTALL_HISTORY_PATH)
PREFS = plutil_xml(PREFS_PATH)
MANAGED_PREFS = plutil_xml(MANAGED_PREFS_PATH)

# Install-history names of OS updates: "macOS Sonoma 14.4.1", "macOS 15.1",
# "macOS Ventura 13.4.1 (a)" (Rapid Security Response), "Security Update 2023-003".
_OS_UPDATE = re.compile(r"^(macOS\b|Security Update\b|Background Security)", re.IGNORECASE)
_SECURITY = re.compile(r"^macOS\b|security", re.IGNORECASE)
REBOOT_UNKNOWN = "macOS keeps no local record of a pending restart that can be read reliably"


def _utc(value: datetime) -> datetime:
    # plistlib returns naive datetimes that are UTC (plist dates are always UTC).
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def last_os_update(history: Any) -> tuple[datetime, str] | None:
    """The newest OS update in InstallHistory.plist (an array of install records)."""
    if not isinstance(history, list):
        raise CollectorError("InstallHistory.plist: expected an array of install records")
    newest: tuple[datetime, str] | None = None
    for entry in history:
        if not isinstance(entry, dict):
            continue
        name = entry.get("displayName")
        when = entry.get("date")
        if not isinstance(name, str) or not isinstance(when, datetime):
            continue
        if not _OS_UPDATE.search(name.strip()):
            continue
        version = entry.get("displayVersion")
        label = f"{name.strip()} ({version})" if isinstance(version, str) and version else name
        stamp = _utc(when)
        if newest is None or stamp > newest[0]:
            newest = (stamp, label.strip())
    return newest


def recommended_updates(prefs: dict[str, Any]) -> list[str] | None:
    """Names of the updates the last successful background check recommended."""
    items = prefs.get("RecommendedUpdates")
    if not isinstance(items, list) or not isinstance(prefs.get("LastSuccessfulDate"), datetime):
        return None
    names: list[str] = []
    for item in items:
        if isinstance(item, dict):
            name = item.get("Display Name") or item.get("Identifier") or item.get("Product Key")
            version = item.get("Display Version")
            text = str(name or "?")
            if isinstance(version, str) and version and version not in text:
                text = f"{text} {version}"
            names.append(text)
    return names


def automatic_updates(prefs: dict[str, Any], managed: dict[str, Any]) -> bool | None:
    """True when macOS checks for updates and installs macOS and security updates itself.

    False if any of those is switched off; None when the keys are absent (the defaults of
    the release apply and cannot be told from the files)."""
    keys = ("AutomaticCheckEnabled", "AutomaticallyInstallMacOSUpdates", "CriticalUpdateInstall")
    values = [as_bool(managed[k]) if k in managed else as_bool(prefs.get(k)) for k in keys]
    if any(v is False for v in values):
        return False
    if all(v is True for v in values):
        return True
    return None


class MacosPatches(Collector[PatchFacts]):
    id = "macos.patches"
    fact_type = PatchFacts
    platforms = frozenset({OsFamily.MACOS})
    reads = f"`plutil` on {INSTALL_HISTORY_PATH}, {PREFS_PATH} and {MANAGED_PREFS_PATH}"
    privilege = "none"

    def commands(self, platform: PlatformInfo, results: Results) -> Sequence[Command]:
        return [INSTALL_HISTORY, PREFS, MANAGED_PREFS]

    def parse(self, results: Results, platform: PlatformInfo) -> PatchFacts:
        history_result = require(results, INSTALL_HISTORY)
        last: tuple[datetime, str] | None = None
        last_reason: str | None = None
        if plist_missing(history_result):
            last_reason = f"{INSTALL_HISTORY_PATH} does not exist"
        elif not history_result.ok:
            last_reason = f"{INSTALL_HISTORY_PATH}: {history_result.excerpt(200)}"
        else:
            last = last_os_update(parse_plist(history_result, INSTALL_HISTORY_PATH))
            if last is None:
                last_reason = f"{INSTALL_HISTORY_PATH} records no macOS update"
        prefs = plist_dict(require(results, PREFS), PREFS_PATH) or {}
        managed = plist_dict(require(results, MANAGED_PREFS), MANAGED_PREFS_PATH) or {}
        pending = recommended_updates(prefs)
        security = [n for n in pending or [] if _SECURITY.search(n)]
        return PatchFacts(
            manager="softwareupdate",
            pending_updates=len(pending) if pending is not None else None,
            pending_security_updates=len(security) if pending is not None else None,
            pending_security_names=tuple(security),
            pending_unknown_reason=None
            if pending is not None
            else (
                "no successful background update check is recorded in "
                f"{PREFS_PATH} (RecommendedUpdates, LastSuccessfulDate); pending updates are "
                "not listed without contacting Apple"
            ),
            last_update=last[0] if last else None,
            last_update_source=f"{INSTALL_HISTORY_PATH}: {last[1]}" if last else None,
            last_update_unknown_reason=last_reason,
            reboot_required=None,
            reboot_unknown_reason=REBOOT_UNKNOWN,
            os_build=platform.build,
            auto_update_enabled=automatic_updates(prefs, managed),
        )
