from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from endpoint_audit.model.facts.base import Fact


class PatchFacts(Fact):
    name: ClassVar[str] = "patches"

    manager: str | None = None  # apt, dnf, windows_update, softwareupdate
    pending_security_updates: int | None = None
    pending_security_names: tuple[str, ...] = ()
    pending_updates: int | None = None
    # Upgrades to a newer major OS release on offer (macOS lists them as recommended).
    # Not counted as pending: a fully patched release does not need them.
    pending_upgrades: tuple[str, ...] = ()
    pending_unknown_reason: str | None = None
    # When the local package index a pending count was read from was last refreshed (UTC).
    # Collectors that count from a cached index (apt, dnf) set it with every count, so the
    # check can refuse to call "0 pending" verified when the index is stale. None: the
    # count came from a live query, or no count was read.
    index_refreshed: datetime | None = None
    index_source: str | None = None  # what the refresh time was read from
    last_update: datetime | None = None  # UTC time of the last successful upgrade/install
    last_update_source: str | None = None
    last_update_unknown_reason: str | None = None
    reboot_required: bool | None = None
    reboot_detail: str | None = None
    reboot_unknown_reason: str | None = None
    os_build: str | None = None  # Windows build.UBR, macOS build, kernel release
    auto_update_enabled: bool | None = None
