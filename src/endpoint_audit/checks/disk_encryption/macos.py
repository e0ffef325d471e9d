"""FileVault on macOS, from `fdesetup status` (one volume: the system/data volume group).

The first line says "FileVault is On." or "FileVault is Off.", sometimes with a qualifier
after a comma: "FileVault is On, but needs to be restarted to finish.", "FileVault is Off,
but will be enabled after the next restart.". A qualifier means the state is not final,
so it is never taken as encrypted: "On, but needs to be restarted" fails as not yet in
effect, any "Off, ..." fails as off, and an "On, but ..." not known here is unknown.
"""

from __future__ import annotations

import re

from endpoint_audit.checkkit.collector import Collector, Results, require
from endpoint_audit.checks.disk_encryption.facts import (
    DiskEncryptionFacts,
    EncryptionState,
    VolumeEncryption,
)
from endpoint_audit.errors import CollectorError, FactUnavailable
from endpoint_audit.model.commands import Argv
from endpoint_audit.model.observed import Observed, Seen, seen, unknown
from endpoint_audit.model.platform import OsFamily, PlatformInfo

FDESETUP = Argv(("fdesetup", "status"))

# "FileVault is On." / "FileVault is Off, but will be enabled after the next restart."
_STATE = re.compile(
    r"^[ \t]*FileVault is (?P<state>On|Off)\b(?P<comma>[ \t]*,)?(?P<qualifier>[^\n]*)$",
    re.IGNORECASE | re.MULTILINE,
)
_NEEDS_RESTART = re.compile(r",\s*but needs to be restarted to finish", re.IGNORECASE)
# "Encryption in progress: Percent completed = 42.5" (older: lower-case "percent"),
# "Encryption in progress: Pending", "Decryption in progress: ...", "Encryption paused ...".
_PROGRESS = re.compile(
    r"(?P<what>Encryption|Decryption) (?P<how>in progress|paused)\b[^\n]*?"
    r"(?:percent complete(?:d)?\s*=\s*(?P<pct>\d+(?:\.\d+)?))?\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_DEFERRED = re.compile(r"Deferred enablement appears to be active(?: for user '([^'\n]*)')?")
# fdesetup(8) EXIT STATUS: 1 = FileVault is Off, 2 = FileVault appears to be On but busy.
_EXIT_OFF, _EXIT_BUSY = 1, 2
REASON = "disk_encryption.reason"


def _volume(
    state: EncryptionState | None,
    encrypted: Observed[bool],
    protection: bool | None,
    detail: str,
    percent: float | None = None,
    deferred_user: str | None = None,
) -> VolumeEncryption:
    return VolumeEncryption(
        volume="system",
        kind="os",
        encrypted=encrypted,
        state=state,
        protection_on=protection,
        method="FileVault",
        percent=percent,
        detail=detail,
        deferred_user=deferred_user,
    )


def _detail(
    states: list[re.Match[str]],
    restart: bool,
    progress: re.Match[str] | None,
    deferred: re.Match[str] | None,
) -> str:
    """What fdesetup said, as names and numbers (the same in every language): FileVault=On,
    NeedsRestart, EncryptionInProgress 42.5%, DeferredEnablement=hanako."""
    parts = [f"FileVault={states[0]['state'].capitalize()}"] if states else []
    if restart:
        parts.append("NeedsRestart")
    if progress is not None:
        what = progress["what"].capitalize() + progress["how"].title().replace(" ", "")
        parts.append(f"{what} {progress['pct']}%" if progress["pct"] else what)
    if deferred is not None:
        user = deferred.group(1)
        parts.append(f"DeferredEnablement={user}" if user else "DeferredEnablement")
    return ", ".join(parts)


def parse_fdesetup(text: str, exit_status: int = 0) -> VolumeEncryption:
    """One FileVault volume from `fdesetup status` text. CollectorError if unrecognised."""
    states = list(_STATE.finditer(text))
    progress = _PROGRESS.search(text)
    deferred = _DEFERRED.search(text)
    if not states and progress is None and deferred is None:
        raise CollectorError(f"fdesetup status: unrecognised output {text.strip()[:200]!r}")
    if len({m["state"].lower() for m in states}) > 1:
        detail = _detail(states[:1], False, progress, deferred)
        return _volume(None, unknown(f"{REASON}.fdesetup_contradictory"), None, detail)
    on = bool(states) and states[0]["state"].lower() == "on"
    # Anything after "On"/"Off" but the full stop is a qualifier; a bare comma is one too.
    qualified = [m for m in states if m["comma"] or m["qualifier"].strip(" \t.")]
    qualifier = qualified[0].group(0).strip() if qualified else ""
    restart = bool(qualifier) and _NEEDS_RESTART.search(qualifier) is not None
    detail = _detail(states, restart, progress, deferred)
    if progress is not None:
        decrypting = progress["what"].lower() == "decryption"
        paused = progress["how"].lower() == "paused"
        state: EncryptionState = (
            "paused" if paused else ("decrypting" if decrypting else "encrypting")
        )
        percent = float(progress["pct"]) if progress["pct"] else None
        # Encryption under way protects only part of the disk; decryption is switching off.
        return _volume(state, seen(False), on and not decrypting, detail, percent)
    if deferred is not None:
        user = deferred.group(1) or ""
        if on:
            # On and still waiting for enablement contradict each other: not verified.
            reason = unknown(f"{REASON}.fdesetup_deferred_while_enabled", user=user or "?")
            return _volume(None, reason, None, detail, deferred_user=user)
        return _volume("decrypted", seen(False), False, detail, deferred_user=user)
    if not on:
        # Off, with or without a qualifier ("but will be enabled after the next restart",
        # "but needs to be restarted to finish" turning it off): not encrypted now.
        return _volume("decrypted", seen(False), False, detail)
    if exit_status == _EXIT_BUSY:
        return _volume(None, unknown(f"{REASON}.fdesetup_busy"), None, detail)
    if not qualifier:
        return _volume("encrypted", seen(True), True, detail)
    if restart:
        return _volume("restart_pending", seen(False), None, detail)
    reason = unknown(f"{REASON}.fdesetup_qualified", qualifier=qualifier[:200])
    return _volume(None, reason, None, detail)


class MacosDiskEncryption(Collector[DiskEncryptionFacts]):
    family = OsFamily.MACOS
    fact_type = DiskEncryptionFacts
    asks = (FDESETUP,)

    def parse(self, results: Results, platform: PlatformInfo) -> DiskEncryptionFacts:
        result = require(results, FDESETUP)
        if result.not_found:
            raise FactUnavailable("`fdesetup` was not found on this Mac")
        failed = CollectorError(f"fdesetup status exited {result.exit_status}: {result.excerpt()}")
        if result.exit_status not in (0, _EXIT_OFF, _EXIT_BUSY):
            raise failed
        try:
            volume = parse_fdesetup(result.stdout, result.exit_status)
        except CollectorError:
            if result.exit_status:
                raise failed from None
            raise
        off = isinstance(volume.encrypted, Seen) and volume.encrypted.value is False
        if result.exit_status == _EXIT_OFF and not off:
            # Exit 1 means off; output that says otherwise is not believed either way.
            raise failed
        return DiskEncryptionFacts(volumes=(volume,))
