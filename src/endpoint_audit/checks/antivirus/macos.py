"""antivirus on macOS: XProtect and XProtect Remediator, and mdatp when installed.

XProtect's signatures arrive as background "config-data" installs that
/Library/Receipts/InstallHistory.plist records with a date and version
(XProtectPlistConfigData; XProtectPayloads is XProtect Remediator). The version installed
now is CFBundleShortVersionString of XProtect.bundle's Info.plist: when it is newer than
the newest record, XProtect was updated by a path the history does not record (macOS 15
can update it with `xprotect update`) and the record's date says nothing about its age.
macOS 15 and later use /var/protected/xprotect/XProtect.bundle when it exists; Software
Update still installs into the old location (and the history), and that update does not
always reach the copy in use, so the check compares the record with the copy in use.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from endpoint_audit.checkkit import Collector, Results, require
from endpoint_audit.checkkit.macos_plist import parse_plist, plist_dict, plist_missing, plutil_xml
from endpoint_audit.checks.antivirus.agents import mdatp_command, mdatp_status
from endpoint_audit.checks.antivirus.facts import AntivirusFacts, XProtectStatus
from endpoint_audit.errors import CollectorError
from endpoint_audit.model.observed import Observed, seen, unknown
from endpoint_audit.model.platform import OsFamily, PlatformInfo

INSTALL_HISTORY = plutil_xml("/Library/Receipts/InstallHistory.plist")
XPROTECT_BUNDLE = plutil_xml(
    "/Library/Apple/System/Library/CoreServices/XProtect.bundle/Contents/Info.plist"
)
# macOS 15 and later: the copy XProtect uses when it exists, updated over iCloud and from
# the old location (eclecticlight.co "A simple guide to how XProtect installs and updates
# in Sequoia", 2024-10-10; Apple Platform Security lists it first, the old one as fallback).
PROTECTED_BUNDLE = plutil_xml("/var/protected/xprotect/XProtect.bundle/Contents/Info.plist")
PROTECTED_FROM = 15  # the first macOS major version that uses it
MDATP = mdatp_command("/usr/local/bin/mdatp")
XPROTECT = "XProtectPlistConfigData"
REMEDIATOR = "XProtectPayloads"


def newest_record(records: list[Any], name: str) -> tuple[str | None, datetime | None]:
    """The version and date of the newest install record named `name`."""
    best: tuple[str | None, datetime | None] = (None, None)
    for record in records:
        if not isinstance(record, dict) or record.get("displayName") != name:
            continue
        when = record.get("date")
        if not isinstance(when, datetime):
            continue
        when = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
        if best[1] is None or when > best[1]:
            version = record.get("displayVersion")
            best = (version if isinstance(version, str) else None, when)
    return best


def _bundle_version(bundle: dict[str, Any] | None) -> str | None:
    version = bundle.get("CFBundleShortVersionString") if bundle else None
    return version if isinstance(version, str) else None


def xprotect_from(
    history: Any, bundle: dict[str, Any] | None, protected: dict[str, Any] | None = None
) -> Observed[XProtectStatus]:
    """`protected`: the Info.plist of /var/protected/xprotect's bundle, None where it does
    not exist or the macOS does not use it."""
    if not isinstance(history, list):
        raise CollectorError("InstallHistory.plist: expected an array of install records")
    version, updated = newest_record(history, XPROTECT)
    remediator, remediator_updated = newest_record(history, REMEDIATOR)
    return seen(
        XProtectStatus(
            history_version=version,
            updated=updated,
            remediator_version=remediator,
            remediator_updated=remediator_updated,
            bundle_version=_bundle_version(bundle),
            protected_version=_bundle_version(protected),
            uses_protected=protected is not None,
        )
    )


def _major(platform: PlatformInfo) -> int | None:
    head = (platform.version or "").split(".")[0]
    return int(head) if head.isdigit() else None


def parse_xprotect(results: Results, platform: PlatformInfo) -> Observed[XProtectStatus]:
    history = require(results, INSTALL_HISTORY)
    if plist_missing(history):
        return unknown("antivirus.reason.no_install_history")
    if not history.ok:
        return unknown("antivirus.reason.install_history_unread", output=history.excerpt(200))
    bundle = plist_dict(require(results, XPROTECT_BUNDLE), "XProtect.bundle Info.plist")
    protected = None
    major = _major(platform)
    if major is None:
        return unknown("antivirus.reason.macos_version_unknown")
    if major >= PROTECTED_FROM:
        answer = require(results, PROTECTED_BUNDLE)
        if not plist_missing(answer) and not answer.ok:
            # The bundle XProtect uses could not be read: the old one says nothing of it.
            return unknown("antivirus.reason.protected_bundle_unread", output=answer.excerpt(200))
        protected = plist_dict(answer, "/var/protected/xprotect XProtect.bundle Info.plist")
    return xprotect_from(parse_plist(history, "InstallHistory.plist"), bundle, protected)


class MacosAntivirus(Collector[AntivirusFacts]):
    family = OsFamily.MACOS
    fact_type = AntivirusFacts
    asks = (INSTALL_HISTORY, XPROTECT_BUNDLE, PROTECTED_BUNDLE, MDATP)

    def parse(self, results: Results, platform: PlatformInfo) -> AntivirusFacts:
        return AntivirusFacts(
            xprotect=parse_xprotect(results, platform),
            agents={"mdatp": mdatp_status(require(results, MDATP))},
            sources=tuple(c.key for c in self.asks),
        )
