"""Waivers: approved exceptions with an expiry. A waived failure stays visible.

A waiver covers a finding when the check id matches, one of its host patterns matches
one of the host's names (the target as given, or the host name the PC reported), and its
resource pattern (if any) matches the finding's resource. Patterns are fnmatch patterns,
compared case-insensitively (Windows host names and drive letters are case-insensitive).
A waiver applies up to and including its `expires` day; after that it is attached as
expired, so the report says it lapsed, and the finding counts again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from fnmatch import fnmatchcase

from endpoint_audit.model.baseline import WaiverSpec
from endpoint_audit.model.result import Finding, Status, WaiverRef

# Statuses a waiver may cover: an exception is approved for a failure (or for a check
# that cannot see, e.g. a PC whose BitLocker state is unreadable by policy).
WAIVABLE = frozenset({Status.FAIL, Status.UNKNOWN})


def _any_match(names: Iterable[str], patterns: Iterable[str]) -> bool:
    lowered = [n.lower() for n in names if n]
    return any(fnmatchcase(name, pattern.lower()) for pattern in patterns for name in lowered)


def waiver_matches(waiver: WaiverSpec, finding: Finding, host_names: Sequence[str]) -> bool:
    if waiver.check != finding.check_id:
        return False
    if not _any_match(host_names, waiver.hosts):
        return False
    if waiver.resource is not None:
        return finding.resource is not None and _any_match([finding.resource], [waiver.resource])
    return True


def apply_waivers(
    findings: Sequence[Finding],
    waivers: Sequence[WaiverSpec],
    host: str | Sequence[str],
    today: date,
) -> list[Finding]:
    """Attach the best matching waiver to each waivable finding: one still in force over a
    lapsed one, and among those the first written."""
    names = [host] if isinstance(host, str) else list(host)
    out: list[Finding] = []
    for finding in findings:
        match = None
        if finding.status in WAIVABLE:
            candidates = [w for w in waivers if waiver_matches(w, finding, names)]
            candidates.sort(key=lambda w: w.expired(today))  # stable: file order kept
            match = candidates[0] if candidates else None
        if match is None:
            out.append(finding)
            continue
        ref = WaiverRef(
            id=match.id,
            justification=match.justification,
            approver=match.approver,
            expires=match.expires.isoformat(),
            expired=match.expired(today),
        )
        out.append(finding.model_copy(update={"waiver": ref}))
    return out


def expired_waivers(waivers: Iterable[WaiverSpec], today: date) -> list[WaiverSpec]:
    """Waivers past their expiry, to tell the user before the report does."""
    return [w for w in waivers if w.expired(today)]
