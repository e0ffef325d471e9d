"""What the store keeps of one host's result: its checks rolled up as every report rolls
them up (model.verdict), its findings without evidence, and the figures the weekly report
needs. Pure."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from msgspec import Struct

from endpoint_audit.model.result import Finding, HostReport, Status
from endpoint_audit.model.verdict import (
    counts_as_failure,
    host_rollup,
    judged_state,
    worst,
)
from endpoint_audit.render.text import platform_text

PATCH_CHECK = "patch_level"
PATCH_AGE = "days_since_update"
PATCH_REBOOT = "reboot_required"


class TextRow(Struct, frozen=True):
    digest: str
    lang: str
    message: str
    key: str
    args: str


class WaiverRow(Struct, frozen=True):
    digest: str
    waiver_id: str | None
    justification: str
    approver: str
    expires: str
    approved: str | None = None  # the first day it applies (newer reports)
    timezone: str | None = None  # the zone its days are counted in (newer reports)


class FindingRow(Struct, frozen=True):
    check_id: str
    resource: str
    status: str
    severity: str
    counted: bool
    waiver: WaiverRow | None
    waiver_state: str | None
    text: TextRow


class CheckRow(Struct, frozen=True):
    check_id: str
    state: str
    waived: bool
    conclusive: bool


class Observation(Struct, frozen=True):
    reached: bool
    reason: str | None
    os_family: str | None
    os_name: str | None
    applicable: int
    compliant_checks: int
    compliant: bool
    failures: int
    patch_days: int | None
    reboot_pending: bool | None
    checks: tuple[CheckRow, ...]
    findings: tuple[FindingRow, ...]


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def waiver_state(finding: Finding) -> str | None:
    """in_force, expired or pending, as recorded when the host was judged
    (model.verdict.judged_state); None without a waiver."""
    return None if finding.waiver is None else judged_state(finding.waiver).value


def _finding_row(finding: Finding, raw: dict[str, Any], lang: str) -> FindingRow:
    raw_waiver = raw.get("waiver") if isinstance(raw.get("waiver"), dict) else None
    state = waiver_state(finding)
    waiver = None
    if finding.waiver is not None:
        w = finding.waiver
        extra = raw_waiver or {}
        approved = extra.get("approved") if isinstance(extra.get("approved"), str) else None
        zone = extra.get("timezone") if isinstance(extra.get("timezone"), str) else None
        parts = [w.id or "", w.justification, w.approver, w.expires]
        if approved or zone:
            parts += [approved or "", zone or ""]
        waiver = WaiverRow(
            digest=_digest(*parts),
            waiver_id=w.id,
            justification=w.justification,
            approver=w.approver,
            expires=w.expires,
            approved=approved,
            timezone=zone,
        )
    args = json.dumps(finding.message_args, sort_keys=True, ensure_ascii=False)
    return FindingRow(
        check_id=finding.check_id,
        resource=finding.resource or "",
        status=finding.status.value,
        severity=finding.severity.value,
        counted=counts_as_failure(finding),
        waiver=waiver,
        waiver_state=state,
        text=TextRow(
            digest=_digest(lang, finding.message, finding.message_key, args),
            lang=lang,
            message=finding.message,
            key=finding.message_key,
            args=args,
        ),
    )


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _patch_figures(findings: list[Finding]) -> tuple[int | None, bool | None]:
    days: int | None = None
    reboot: bool | None = None
    for finding in findings:
        if finding.check_id != PATCH_CHECK:
            continue
        actual = finding.actual if isinstance(finding.actual, dict) else {}
        if finding.resource == PATCH_AGE:
            days = _int(finding.message_args.get("days"))
            days = days if days is not None else _int(actual.get("days"))
        elif finding.resource == PATCH_REBOOT and isinstance(actual.get("reboot_required"), bool):
            reboot = bool(actual["reboot_required"])
    return days, reboot


def observe(
    host: HostReport,
    raw_findings: list[dict[str, Any]],
    lang: str,
    checks: Sequence[str] = (),
) -> Observation:
    """The store's view of one host. `raw_findings` are the host's findings as JSON (for
    fields this version's model may not know yet); `checks` the checks it was judged on
    (model.verdict.expected_checks): one without a finding is kept as unknown."""
    platform = host.platform
    os_family = platform.family.value if platform is not None else None
    os_name = platform_text(platform) if platform is not None else None
    if host.status != "ok":
        return Observation(
            reached=False,
            reason=host.reason,
            os_family=os_family,
            os_name=os_name,
            applicable=0,
            compliant_checks=0,
            compliant=False,
            failures=0,
            patch_days=None,
            reboot_pending=None,
            checks=(),
            findings=(),
        )
    raws = raw_findings + [{}] * (len(host.findings) - len(raw_findings))
    rows: dict[tuple[str, str], FindingRow] = {}
    for finding, raw in zip(host.findings, raws, strict=False):
        row = _finding_row(finding, raw if isinstance(raw, dict) else {}, lang)
        key = (row.check_id, row.resource)
        kept = rows.get(key)
        # Two findings of one check on one resource: keep the worse (never hide a failure).
        if kept is None or worst([Status(kept.status), Status(row.status)]) != kept.status:
            rows[key] = row
    rolled = host_rollup(host, checks)
    check_rows = tuple(
        CheckRow(
            check_id=check_id,
            state=state.status.value,
            waived=state.waived,
            conclusive=state.conclusive,
        )
        for check_id, state in rolled.checks.items()
    )
    figure = rolled.compliance
    days, reboot = _patch_figures(host.findings)
    return Observation(
        reached=True,
        reason=None,
        os_family=os_family,
        os_name=os_name,
        applicable=figure.applicable,
        compliant_checks=figure.compliant,
        compliant=rolled.compliant,
        failures=sum(1 for r in rows.values() if r.counted),
        patch_days=days,
        reboot_pending=reboot,
        checks=check_rows,
        findings=tuple(rows.values()),
    )
