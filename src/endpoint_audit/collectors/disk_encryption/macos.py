"""FileVault on macOS, from `fdesetup status` (one volume: the system/data volume group)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from endpoint_audit.collectors.base import Collector, Results, require
from endpoint_audit.errors import CollectorError, FactUnavailable
from endpoint_audit.model.commands import Argv, Command
from endpoint_audit.model.facts import DiskEncryptionFacts, VolumeEncryption
from endpoint_audit.model.facts.disk_encryption import EncryptionState
from endpoint_audit.model.platform import OsFamily, PlatformInfo

FDESETUP = Argv(("fdesetup", "status"))

_STATE = re.compile(r"FileVault is (On|Off)\b", re.IGNORECASE)
# "Encryption in progress: Percent completed = 42.5" (older: lower-case "percent"),
# "Encryption in progress: Pending", "Decryption in progress: ...", "Encryption paused ...".
_PROGRESS = re.compile(
    r"(?P<what>Encryption|Decryption) (?P<how>in progress|paused)\b[^\n]*?"
    r"(?:percent completed\s*=\s*(?P<pct>\d+(?:\.\d+)?))?\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_DEFERRED = re.compile(r"Deferred enablement appears to be active for user '([^'\n]*)'")


def parse_fdesetup(text: str) -> VolumeEncryption:
    """One FileVault volume from `fdesetup status` text. CollectorError if unrecognised."""
    state_match = _STATE.search(text)
    progress = _PROGRESS.search(text)
    if state_match is None and progress is None:
        raise CollectorError(f"fdesetup status: unrecognised output {text.strip()[:200]!r}")
    on = state_match is not None and state_match.group(1).lower() == "on"
    first_line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    state: EncryptionState
    percent: float | None = None
    detail = first_line
    if progress is not None:
        decrypting = progress["what"].lower() == "decryption"
        paused = progress["how"].lower() == "paused"
        state = "paused" if paused else ("decrypting" if decrypting else "encrypting")
        percent = float(progress["pct"]) if progress["pct"] else None
        detail = f"{first_line} {progress.group(0).strip()}".strip()
        # Encryption under way protects only part of the disk; decryption is switching off.
        encrypted = False
        protection: bool | None = on and not decrypting
    elif on:
        state, encrypted, protection = "encrypted", True, True
    else:
        state, encrypted, protection = "decrypted", False, False
        deferred = _DEFERRED.search(text)
        if deferred:
            detail = (
                f"{first_line} Deferred enablement is pending for user '{deferred.group(1)}' "
                "(FileVault turns on at that user's next logout)."
            )
    return VolumeEncryption(
        volume="system",
        kind="os",
        encrypted=encrypted,
        state=state,
        protection_on=protection,
        method="FileVault",
        percent=percent,
        detail=detail,
    )


class MacosDiskEncryption(Collector[DiskEncryptionFacts]):
    id = "macos.disk_encryption"
    fact_type = DiskEncryptionFacts
    platforms = frozenset({OsFamily.MACOS})
    reads = "`fdesetup status`"
    privilege = "none"

    def commands(self, platform: PlatformInfo, results: Results) -> Sequence[Command]:
        return [FDESETUP]

    def parse(self, results: Results, platform: PlatformInfo) -> DiskEncryptionFacts:
        result = require(results, FDESETUP)
        if result.not_found:
            raise FactUnavailable("`fdesetup` was not found on this Mac")
        if not result.ok:
            raise CollectorError(f"fdesetup status exited {result.exit_status}: {result.excerpt()}")
        return DiskEncryptionFacts(volumes=(parse_fdesetup(result.stdout),))
