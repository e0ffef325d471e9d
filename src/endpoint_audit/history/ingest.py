"""A JSON report read for the store: the result model, plus the fields that newer (or
parallel) versions of the report add, read from the JSON itself when this version's
model does not know them yet (run id, partial marker, machine id, source file).

Identity: a report is known by the sha256 of its canonical JSON (keys sorted, no
whitespace), so the same report twice, however it was formatted, adds nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from msgspec import Struct
from pydantic import ValidationError

from endpoint_audit.model.result import SCHEMA_VERSION, HostReport, RunReport

SUPPORTED_MAJOR = SCHEMA_VERSION.split(".", 1)[0]


class ReportError(ValueError):
    """Not a report the store can take; the message says why (one line)."""


class Partial(Struct, frozen=True):
    reason: str
    hosts_planned: int | None


class IncomingHost(Struct, frozen=True):
    report: HostReport
    machine_id: str | None
    source: str | None
    at: datetime  # when the host's audit finished (or the report, if it does not say)
    raw_findings: list[dict[str, Any]]  # as JSON, for fields the model may not know yet
    transcript_sha256: str | None = None
    ssh_host_key: str | None = None


class IncomingReport(Struct, frozen=True):
    report: RunReport
    digest: str
    run_id: str | None
    partial: Partial | None
    hosts: tuple[IncomingHost, ...]


def canonical_digest(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _partial(data: dict[str, Any]) -> Partial | None:
    raw = data.get("partial")
    if not isinstance(raw, dict):
        return None
    planned = raw.get("hosts_planned")
    return Partial(
        reason=_text(raw.get("reason")) or "interrupted",
        hosts_planned=_count(planned),
    )


def _raw_hosts(data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for host in data.get("hosts") or []:
        yield host if isinstance(host, dict) else {}


def utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_report(data: bytes, interrupted: bool = False) -> IncomingReport:
    """A report from its JSON bytes. ReportError says what is wrong, on one line."""
    try:
        raw = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ReportError(f"not JSON: {exc}") from None
    return from_data(raw, interrupted)


def from_data(raw: Any, interrupted: bool = False) -> IncomingReport:
    if not isinstance(raw, dict) or "schema_version" not in raw or "hosts" not in raw:
        raise ReportError("not an endpoint-audit JSON report (no schema_version and hosts)")
    version = str(raw.get("schema_version"))
    if version.split(".", 1)[0] != SUPPORTED_MAJOR:
        raise ReportError(
            f"report schema {version} is not supported (this version reads {SCHEMA_VERSION})"
        )
    try:
        report = RunReport.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "(top)"
        raise ReportError(
            f"not an endpoint-audit JSON report: {where}: {first.get('msg', exc)}"
        ) from None
    partial = _partial(raw)
    if partial is None and interrupted:
        partial = Partial("interrupted", None)
    hosts: list[IncomingHost] = []
    for host, host_raw in zip(report.hosts, _raw_hosts(raw), strict=False):
        platform = host_raw.get("platform")
        machine_id = _text(platform.get("machine_id")) if isinstance(platform, dict) else None
        findings = host_raw.get("findings")
        raw_findings = [f if isinstance(f, dict) else {} for f in findings or []]
        hosts.append(
            IncomingHost(
                report=host,
                machine_id=machine_id,
                source=_text(host_raw.get("source")),
                # When the evidence was taken: a recorded host's collection time, not
                # the later time `evaluate` judged it (the store clamps times ahead).
                at=utc(host.collected_at or host.finished_at or report.finished_at),
                raw_findings=raw_findings if isinstance(findings, list) else [],
                transcript_sha256=_text(host_raw.get("transcript_sha256")),
                ssh_host_key=_text(host_raw.get("ssh_host_key")),
            )
        )
    return IncomingReport(
        report=report,
        digest=canonical_digest(raw),
        run_id=_text(raw.get("run_id")),
        partial=partial,
        hosts=tuple(hosts),
    )
