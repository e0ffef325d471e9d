from datetime import datetime
from typing import ClassVar

from endpoint_audit.checkkit.fact import Fact
from endpoint_audit.model.observed import Observed, Reason, unknown


class PatchFacts(Fact):
    """What a collector read about updates. The four values the check judges are
    `Observed`: seen, or unknown with a `patch_level.reason.*` key and its arguments."""

    name: ClassVar[str] = "patches"

    manager: str | None = None  # apt, dnf, windows_update, softwareupdate
    pending_security_updates: Observed[int]
    pending_security_names: tuple[str, ...] = ()
    pending_updates: int | None = None
    # Windows: the search ended "succeeded with errors" (its results might be incomplete):
    # the count is a lower bound, which can prove too many pending but never few enough.
    pending_incomplete: bool = False
    # Upgrades to a newer major OS release on offer (macOS lists them as recommended).
    # Not counted as pending: a fully patched release does not need them.
    pending_upgrades: tuple[str, ...] = ()
    # When the local package index a pending count was read from was last refreshed (UTC).
    # Collectors that count from a cached index (apt, dnf) set it with every count, so the
    # check can refuse to call "0 pending" verified when the index is stale. None: the
    # count came from a live query, or no count was read.
    index_refreshed: datetime | None = None
    index_source: str | None = None  # what the refresh time was read from
    # Windows: the update source that decides what "pending" can show (WSUS, Windows Update
    # for Business), and the policy values that say so. None: Windows Update itself.
    managed_by: str | None = None
    managed_detail: str | None = None
    last_update: Observed[datetime]  # UTC time of the last successful upgrade/install
    # Where it was read: a path or value name, or a catalog text with its arguments.
    last_update_source: Reason | str | None = None
    # Windows: the newest installed update the release table cannot classify, when it is
    # newer than every update the table lists for the build (it may be a newer cumulative
    # update than the table knows).
    newest_unlisted_update: datetime | None = None
    newest_unlisted_update_id: str | None = None
    reboot_required: Observed[bool]
    # What shows the restart state: names and values (Windows, macOS), or a catalog text
    # with its arguments (Linux), which reports render in their language.
    reboot_detail: Reason | str | None = None
    # Windows: entries of PendingFileRenameOperations, recorded but not counted as a
    # pending restart (installers and antivirus set it routinely).
    pending_file_renames: int | None = None
    # Windows build.UBR, macOS build; judged on Windows only.
    os_build: Observed[str] = unknown("patch_level.reason.build_not_read")
    os_installation_type: str | None = None  # Windows InstallationType: Client, Server, ...
    auto_update_enabled: bool | None = None
