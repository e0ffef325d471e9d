"""Waivers: approved exceptions with an expiry. A waived failure stays visible.

A waiver covers a finding when the check id matches, one of its host patterns matches
the name the auditor targeted the host by (inventory entry, --host, the bundle file's
name; never a name the host reports about itself, which any host could forge), and its
resource pattern (if any) matches the finding's resource. Patterns are fnmatch patterns,
compared case-insensitively (Windows host names and drive letters are case-insensitive),
except resources of a Linux host, where `Bob` is another account than `bob` and `/DATA`
another mount than `/data`: there the resource pattern keeps its case.
A waiver applies from its `approved` day through its `expires` day, whole days in its
time zone; before, it is attached as not yet in force, after, as expired, so the report
says why, and the finding counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from fnmatch import fnmatchcase

from endpoint_audit.model.baseline import WaiverSpec
from endpoint_audit.model.result import Finding
from endpoint_audit.model.verdict import WAIVABLE, WaiverState, waiver_ref, waiver_state


def _any_match(names: Iterable[str], patterns: Iterable[str], case_sensitive: bool = False) -> bool:
    def fold(text: str) -> str:
        return text if case_sensitive else text.lower()

    folded = [fold(n) for n in names if n]
    return any(fnmatchcase(name, fold(pattern)) for pattern in patterns for name in folded)


def waiver_matches(
    waiver: WaiverSpec,
    finding: Finding,
    host_names: Sequence[str],
    case_sensitive_resources: bool = False,
) -> bool:
    if waiver.check != finding.check_id:
        return False
    if not _any_match(host_names, waiver.hosts):
        return False
    if waiver.resource is not None:
        return finding.resource is not None and _any_match(
            [finding.resource], [waiver.resource], case_sensitive_resources
        )
    return True


# One in force over one not yet in force over a lapsed one.
_PREFERENCE = {WaiverState.IN_FORCE: 0, WaiverState.PENDING: 1, WaiverState.EXPIRED: 2}


def apply_waivers(
    findings: Sequence[Finding],
    waivers: Sequence[WaiverSpec],
    host: str | Sequence[str],
    now: datetime,
    case_sensitive_resources: bool = False,
) -> list[Finding]:
    """Attach the best matching waiver to each waivable finding, judged at `now` (an
    aware time) by model.verdict: one in force over one not yet in force over a lapsed
    one, and among those the first written. `case_sensitive_resources`: the host's
    names keep their case (Linux)."""
    names = [host] if isinstance(host, str) else list(host)
    out: list[Finding] = []
    for finding in findings:
        match = None
        if finding.status in WAIVABLE:
            candidates = [
                w for w in waivers if waiver_matches(w, finding, names, case_sensitive_resources)
            ]
            candidates.sort(key=lambda w: _PREFERENCE[waiver_state(w, now)])  # stable: file order
            match = candidates[0] if candidates else None
        if match is None:
            out.append(finding)
            continue
        out.append(finding.model_copy(update={"waiver": waiver_ref(match, now)}))
    return out


def expired_waivers(waivers: Iterable[WaiverSpec], now: datetime) -> list[WaiverSpec]:
    """Waivers past their expiry, to tell the user before the report does."""
    return [w for w in waivers if waiver_state(w, now) is WaiverState.EXPIRED]
