"""macOS updates from local records only: the install history and the SoftwareUpdate
preferences. Never `softwareupdate -l`, which contacts Apple's servers.

- Last update: the newest macOS update in /Library/Receipts/InstallHistory.plist. Silent
  background data updates (XProtect, MRT, Gatekeeper data) are not OS updates and do not
  count, so a Mac that never installs OS updates does not look freshly patched.
- Pending updates: `RecommendedUpdates` as left by the last background check, known only
  when that check succeeded (`LastSuccessfulDate`). That date is the list's refresh time,
  so the check's stale-index rule applies to it as to an apt or dnf index. An upgrade to
  a newer major release (Sonoma offered to a patched Ventura Mac) is listed as recommended
  too; it is not a missing security update and is only reported alongside.
- Automatic updates: managed preferences (MDM) win over the local ones.
- Reboot required: macOS installs OS updates while it restarts, so an update that waits
  for a restart is still listed as recommended (pending), and the install history records
  an update once it runs. No restart is pending for the last OS update when the newest
  one recorded is the version running; a newer recorded one than the running version
  waits for a restart. Anything else is unknown.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from msgspec import Struct

from endpoint_audit.checkkit.collector import Collector, Results, require
from endpoint_audit.checkkit.macos_plist import (
    as_bool,
    parse_plist,
    plist_dict,
    plist_missing,
    plutil_xml,
)
from endpoint_audit.checks.patch_level.facts import PatchFacts
from endpoint_audit.errors import CollectorError
from endpoint_audit.model.observed import Observed, Reason, Unknown, seen
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.model.result import JsonScalar

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
_MACOS = re.compile(r"^macOS\b", re.IGNORECASE)
_VERSION = re.compile(r"\d+(?:\.\d+)*")
# Product keys of OS updates: MSU_UPDATE_<build>_patch_<version>[_<kind>], where kind is
# minor, major or rsr (Rapid Security Response); older releases leave the kind out.
_PRODUCT_KEY = re.compile(
    r"^MSU_UPDATE_[0-9A-Za-z]+_patch_(?P<version>\d+(?:\.\d+)*)(?:_(?P<kind>[a-z]+))?$"
)
INDEX_SOURCE = f"{PREFS_PATH} LastSuccessfulDate"


def _utc(value: datetime) -> datetime:
    # plistlib returns naive datetimes that are UTC (plist dates are always UTC).
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _version(text: str | None) -> tuple[int, ...] | None:
    match = _VERSION.search(text or "")
    return tuple(int(p) for p in match.group(0).split(".")) if match else None


def why(name: str, **args: JsonScalar) -> Reason:
    """A reason of this check: `patch_level.reason.<name>` with its arguments."""
    return Reason(key=f"patch_level.reason.{name}", args=dict(args))


def restart_pending(
    newest_installed: str | None, running: str | None
) -> tuple[Observed[bool], str | None]:
    """(reboot required, detail) from the newest recorded macOS version and the running one."""
    have, run = _version(newest_installed), _version(running)
    if have is None or run is None:
        name = "install_history_no_version" if run is not None else "running_version_unknown"
        return Unknown(reason=why(name)), None
    # Short and mostly numbers: the text is quoted inside Japanese and English messages.
    if have == run:
        return seen(False), f"InstallHistory: macOS {newest_installed} = running macOS {running}"
    if have > run:
        return seen(True), (
            f"InstallHistory: macOS {newest_installed} installed, running macOS {running}"
        )
    reason = why("install_history_incomplete", recorded=newest_installed, running=running)
    return Unknown(reason=reason), None


def newest_os_version(history: Any) -> str | None:
    """`displayVersion` of the newest install record named "macOS ..."."""
    newest: tuple[datetime, str] | None = None
    for entry in history if isinstance(history, list) else []:
        if not isinstance(entry, dict):
            continue
        name, when, version = (
            entry.get("displayName"),
            entry.get("date"),
            entry.get("displayVersion"),
        )
        if not (isinstance(name, str) and name.strip().lower().startswith("macos")):
            continue
        if isinstance(when, datetime) and isinstance(version, str) and version.strip():
            if newest is None or _utc(when) > newest[0]:
                newest = (_utc(when), version.strip())
    return newest[1] if newest else None


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


class Recommended(Struct, frozen=True):
    """One entry of RecommendedUpdates."""

    name: str  # Display Name with its Display Version when the name lacks it
    version: str | None  # Display Version, else the version in the name or product key
    kind: str | None  # minor, major or rsr from an MSU product key; None when not said


def _entry(item: dict[str, Any]) -> Recommended:
    name = item.get("Display Name") or item.get("Identifier") or item.get("Product Key")
    text = str(name or "?").strip()
    version = item.get("Display Version")
    if isinstance(version, str) and version.strip() and version.strip() not in text:
        text = f"{text} {version.strip()}"
    kind: str | None = None
    key_version: str | None = None
    for key in ("Product Key", "Identifier"):
        match = _PRODUCT_KEY.match(str(item.get(key) or ""))
        if match:
            kind, key_version = match["kind"], match["version"]
            break
    shown = version.strip() if isinstance(version, str) and version.strip() else None
    if shown is None:
        found = _VERSION.search(text)
        shown = found.group(0) if found else key_version
    return Recommended(name=text, version=shown, kind=kind)


def recommended_updates(prefs: dict[str, Any]) -> list[Recommended] | None:
    """The updates the last successful background check recommended; None if unknown."""
    items = prefs.get("RecommendedUpdates")
    if not isinstance(items, list) or not isinstance(prefs.get("LastSuccessfulDate"), datetime):
        return None
    if not all(isinstance(item, dict) for item in items):
        return None  # an entry that is no update record might be one: never a shorter list
    return [_entry(item) for item in items]


def major_of(version: str | None) -> tuple[int, ...] | None:
    """The major release of a macOS version: 14 for 14.7.1, 26 for 26.1, (10, 15) for
    10.15.7 (before macOS 11 the major release had two numbers)."""
    parts = _version(version)
    if not parts:
        return None
    return parts[:2] if parts[0] == 10 else parts[:1]


def is_major_upgrade(entry: Recommended, running: str | None) -> bool | None:
    """True for an upgrade to a newer major macOS; None when it cannot be told.

    Only entries named "macOS ..." are OS releases; a product key ending in `_major`
    says so directly, `_minor`/`_rsr` say the opposite (an RSR is a security fix for the
    running release)."""
    if not _MACOS.search(entry.name):
        return False
    if entry.kind == "major":
        return True
    if entry.kind in ("minor", "rsr"):
        return False
    offered, current = major_of(entry.version), major_of(running)
    if offered is None or current is None:
        return None
    return offered > current


def classify(
    entries: list[Recommended], running: str | None
) -> tuple[list[str], list[str], list[str], list[str]]:
    """(pending, security, upgrades, undecided) names. `undecided` are macOS entries
    that cannot be told apart from a major upgrade (the running version is unknown)."""
    pending: list[str] = []
    security: list[str] = []
    upgrades: list[str] = []
    undecided: list[str] = []
    for entry in entries:
        upgrade = is_major_upgrade(entry, running)
        if upgrade:
            upgrades.append(entry.name)
            continue
        if upgrade is None:
            undecided.append(entry.name)
            continue
        pending.append(entry.name)
        if _SECURITY.search(entry.name):
            security.append(entry.name)
    return pending, security, upgrades, undecided


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
    family = OsFamily.MACOS
    fact_type = PatchFacts
    asks = (INSTALL_HISTORY, PREFS, MANAGED_PREFS)

    def parse(self, results: Results, platform: PlatformInfo) -> PatchFacts:
        history_result = require(results, INSTALL_HISTORY)
        last: tuple[datetime, str] | None = None
        last_reason = why("install_history_no_update", path=INSTALL_HISTORY_PATH)
        reboot: Observed[bool] = Unknown(
            reason=why("install_history_unread", path=INSTALL_HISTORY_PATH)
        )
        reboot_detail: str | None = None
        if plist_missing(history_result):
            last_reason = why("install_history_missing", path=INSTALL_HISTORY_PATH)
        elif not history_result.ok:
            last_reason = why(
                "install_history_unreadable",
                path=INSTALL_HISTORY_PATH,
                output=history_result.excerpt(200),
            )
        else:
            history = parse_plist(history_result, INSTALL_HISTORY_PATH)
            last = last_os_update(history)
            reboot, reboot_detail = restart_pending(newest_os_version(history), platform.version)
        prefs = plist_dict(require(results, PREFS), PREFS_PATH) or {}
        managed = plist_dict(require(results, MANAGED_PREFS), MANAGED_PREFS_PATH) or {}
        pending_unknown: Reason | None = why("background_check_missing", path=PREFS_PATH)
        entries = recommended_updates(prefs)
        listed = prefs.get("RecommendedUpdates")
        if isinstance(listed, list) and not all(isinstance(item, dict) for item in listed):
            pending_unknown = why("updates_malformed", path=PREFS_PATH)
        pending: list[str] = []
        security: list[str] = []
        upgrades: list[str] = []
        refreshed: datetime | None = None
        if entries is not None:
            pending, security, upgrades, undecided = classify(entries, platform.version)
            refreshed = _utc(prefs["LastSuccessfulDate"])
            pending_unknown = None
            if undecided:
                pending_unknown = why("updates_undecided", updates=", ".join(undecided))
        known = pending_unknown is None
        return PatchFacts(
            manager="softwareupdate",
            pending_updates=len(pending) if known else None,
            pending_security_updates=(
                seen(len(security)) if pending_unknown is None else Unknown(reason=pending_unknown)
            ),
            pending_security_names=tuple(security),
            pending_upgrades=tuple(upgrades),
            index_refreshed=refreshed if known else None,
            index_source=INDEX_SOURCE if known else None,
            last_update=seen(last[0]) if last else Unknown(reason=last_reason),
            last_update_source=f"{INSTALL_HISTORY_PATH}: {last[1]}" if last else None,
            reboot_required=reboot,
            reboot_detail=reboot_detail,
            os_build=(
                seen(platform.build) if platform.build else Unknown(reason=why("build_not_read"))
            ),
            auto_update_enabled=automatic_updates(prefs, managed),
        )
