"""Waivers: approved exceptions with an expiry. A waived failure stays visible."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from fnmatch import fnmatchcase

from endpoint_audit.model.baseline import WaiverSpec
from endpoint_audit.model.result import Finding, Status, WaiverRef

# Statuses a waiver may cover: an exception is approved for a failure (or for a check
# that cannot see, e.g. a PC whose BitLocker state is unreadable by policy).
WAIVABLE = {Status.FAIL, Status.UNKNOWN}


def _matches(waiver: WaiverSpec, finding: Finding, host: str) -> bool:
    if waiver.check != finding.check_id:
        return False
    if not any(fnmatchcase(host.lower(), pattern.lower()) for pattern in waiver.hosts):
        return False
    if waiver.resource is not None:
        return finding.resource is not None and fnmatchcase(finding.resource, waiver.resource)
    return True


def apply_waivers(
    findings: Sequence[Finding], waivers: Sequence[WaiverSpec], host: str, today: date
) -> list[Finding]:
    """Attach the first matching waiver to each waivable finding. An expired waiver is
    attached as expired, so the report says it lapsed, and the finding still counts."""
    out: list[Finding] = []
    for finding in findings:
        match = None
        if finding.status in WAIVABLE:
            active = [w for w in waivers if _matches(w, finding, host)]
            # Prefer a waiver still in force over a lapsed one.
            active.sort(key=lambda w: w.expires < today)
            match = active[0] if active else None
        if match is None:
            out.append(finding)
            continue
        ref = WaiverRef(
            id=match.id,
            justification=match.justification,
            approver=match.approver,
            expires=match.expires.isoformat(),
            expired=match.expires < today,
        )
        out.append(finding.model_copy(update={"waiver": ref}))
    return out
