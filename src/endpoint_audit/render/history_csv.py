"""The `history` commands as CSV for Excel: UTF-8 with a BOM (write with "utf-8-sig"),
headers in the language asked for, every cell neutralised as in the CSV report (no
formulas, no control characters)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime

from endpoint_audit.model import i18n
from endpoint_audit.model.history import (
    CheckTimeline,
    HistoryDiff,
    HostTimeline,
    RoundRow,
    StaleReport,
)
from endpoint_audit.render.csv_report import neutralise
from endpoint_audit.render.summary import format_percent
from endpoint_audit.render.text import severity_label, status_label

ENCODING = "utf-8-sig"


def _stamp(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def table(lang: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([i18n.t(lang, f"history.col.{c}") for c in columns])
    for row in rows:
        writer.writerow([neutralise("" if cell is None else str(cell)) for cell in row])
    return buffer.getvalue()


def rounds_csv(rows: Sequence[RoundRow], lang: str) -> str:
    columns = (
        "round",
        "run_id",
        "started",
        "finished",
        "hosts",
        "reached",
        "unreachable",
        "compliant",
        "rate",
        "failures",
        "baseline",
        "source",
        "partial",
        "planned",
    )
    return table(
        lang,
        columns,
        [
            (
                r.id,
                r.run_id or "",
                _stamp(r.started_at),
                _stamp(r.finished_at),
                r.hosts,
                r.reached,
                r.unreachable,
                r.compliant,
                format_percent(r.rate),
                r.failures,
                r.baseline,
                r.source,
                r.partial or "",
                r.hosts_planned or "",
            )
            for r in rows
        ],
    )


def host_csv(timeline: HostTimeline, lang: str) -> str:
    checks = list(timeline.checks)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    header = [
        i18n.t(lang, f"history.col.{c}") for c in ("round", "at", "target", "state", "failures")
    ]
    writer.writerow(header + [timeline.checks[c] for c in checks])
    for r in timeline.rounds:
        state = "compliant" if r.compliant else "not_compliant"
        shown = i18n.t(lang, f"history.{state if r.reached else 'unreachable'}")
        row = [str(r.round_id), _stamp(r.at), r.target, shown, str(r.failures)]
        for c in checks:
            value = r.checks.get(c, "")
            base = value.removesuffix("+w")
            label = status_label(base, lang) if base else ""
            row.append(
                label + (f" ({i18n.t(lang, 'report.waived')})" if value.endswith("+w") else "")
            )
        writer.writerow([neutralise(cell) for cell in row])
    return buffer.getvalue()


def check_csv(timeline: CheckTimeline, lang: str) -> str:
    states = ("pass", "fail", "unknown", "error", "not_applicable")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        [i18n.t(lang, f"history.col.{c}") for c in ("round", "finished", "rate")]
        + [status_label(s, lang) for s in states]
        + [i18n.t(lang, "report.waived")]
    )
    for r in timeline.rounds:
        writer.writerow(
            [str(r.round_id), _stamp(r.finished_at), format_percent(r.rate)]
            + [str(r.counts.get(s, 0)) for s in states]
            + [str(r.waived)]
        )
    return buffer.getvalue()


def diff_csv(diff: HistoryDiff, lang: str) -> str:
    columns = (
        "change",
        "reason",
        "host",
        "groups",
        "check_id",
        "check",
        "resource",
        "severity",
        "before",
        "after",
        "since",
        "days_open",
        "message",
    )
    return table(
        lang,
        columns,
        [
            (
                i18n.t(lang, f"history.change.{e.change.value}"),
                i18n.t(lang, f"history.reason.{e.reason}") if e.reason else "",
                e.host,
                "; ".join(e.groups),
                e.check_id,
                e.check,
                e.resource,
                severity_label(e.severity, lang),
                status_label(e.status_before, lang) if e.status_before else "",
                status_label(e.status_after, lang) if e.status_after else "",
                _stamp(e.failing_since),
                "" if e.days_open is None else e.days_open,
                e.message,
            )
            for e in diff.entries
        ],
    )


def stale_csv(report: StaleReport, lang: str) -> str:
    columns = ("host", "names", "groups", "last_seen", "days", "last_state", "reason")
    return table(
        lang,
        columns,
        [
            (
                h.host,
                "; ".join(h.names),
                "; ".join(h.groups),
                _stamp(h.last_reached),
                "" if h.days is None else h.days,
                i18n.t(
                    lang,
                    {
                        "ok": "history.state_ok",
                        "unreachable": "history.unreachable",
                        None: "history.never_seen",
                    }[h.last_state],
                ),
                h.reason or "",
            )
            for h in report.hosts
        ],
    )
