"""CSV: one row per finding, for Excel and spreadsheets.

Written as UTF-8 with a BOM (the renderer's encoding is "utf-8-sig"), which is how Excel
recognises UTF-8 and shows Japanese text instead of mojibake. A cell that starts with
`=`, `+`, `-`, `@`, a tab or a carriage return would be read by a spreadsheet as a
formula (CSV injection), so it gets a leading apostrophe; other control characters are
written as visible escapes. An unreachable host is one row with its reason.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from endpoint_audit.model import i18n
from endpoint_audit.model.result import Finding, HostReport, RunReport, Status
from endpoint_audit.model.verdict import expected_checks, host_rollup
from endpoint_audit.render.base import Renderer, RenderOptions
from endpoint_audit.render.summary import waiver_label
from endpoint_audit.render.text import (
    check_title,
    finding_message,
    host_baseline,
    partial_text,
    platform_text,
    severity_label,
    status_label,
    value_text,
    visible_controls,
)

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = (
    "host",
    "os",
    "host_state",
    "check_id",
    "check",
    "severity",
    "resource",
    "status",
    "message",
    "expected",
    "actual",
    "waiver",
    "justification",
    "approver",
    "expires",
    "baseline",
    "baseline_version",
    "finished",
)


def neutralise(value: str) -> str:
    """A cell a spreadsheet shows as text: never a formula, no control characters."""
    if value.startswith(FORMULA_START):
        value = "'" + value
    return visible_controls(value, keep="\n\t")


class CsvRenderer(Renderer):
    name = "csv"
    extension = ".csv"
    description = "One row per finding, UTF-8 with BOM for Excel; formulas neutralised."
    encoding = "utf-8-sig"

    def render(self, report: RunReport, options: RenderOptions) -> str:
        lang = options.lang
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow([i18n.t(lang, f"csv.col.{c}") for c in COLUMNS])
        partial = partial_text(report, lang)
        if partial:
            # First row after the heading, so nobody reads a partial sheet as the fleet.
            note = dict.fromkeys(COLUMNS, "")
            note["host_state"] = i18n.t(lang, "csv.partial")
            note["message"] = partial
            writer.writerow([neutralise(note[c]) for c in COLUMNS])
        for host in report.hosts:
            for row in self._rows(report, host, lang, options.as_of):
                writer.writerow([neutralise(cell) for cell in row])
        return buffer.getvalue()

    def _rows(
        self, report: RunReport, host: HostReport, lang: str, as_of: datetime | None
    ) -> list[list[str]]:
        baseline = host_baseline(report, host)
        common = {
            "host": host.target,
            "os": platform_text(host.platform),
            "host_state": (
                i18n.t(lang, "html.unreachable" if host.status != "ok" else "html.reachable")
            ),
            "baseline": baseline.id,
            "baseline_version": baseline.version,
            "finished": (host.finished_at or report.finished_at).strftime("%Y-%m-%d %H:%M:%S"),
        }
        if host.status != "ok":
            row = dict.fromkeys(COLUMNS, "") | common
            row["message"] = i18n.t(lang, "report.unreachable", reason=host.reason or "")
            return [[row[c] for c in COLUMNS]]
        out = []
        for finding in host.findings:
            row = common | self._finding(report, finding, lang, as_of)
            out.append([row[c] for c in COLUMNS])
        rolled = host_rollup(host, expected_checks(report, host))
        if not rolled.checks:
            # Nothing judged at all: one row, so the host is on the sheet, unknown.
            row = dict.fromkeys(COLUMNS, "") | common
            row["status"] = status_label(Status.UNKNOWN.value, lang)
            row["message"] = i18n.t(lang, "html.no_findings")
            return [[row[c] for c in COLUMNS]]
        if rolled.nothing_verified:
            # Every row says not applicable: one more row says the host itself is unknown.
            row = dict.fromkeys(COLUMNS, "") | common
            row["status"] = status_label(Status.UNKNOWN.value, lang)
            row["message"] = i18n.t(lang, "html.nothing_verified")
            out.append([row[c] for c in COLUMNS])
        # A check of the host without any finding: one row, so the sheet shows it unknown.
        for cid, state in rolled.checks.items():
            if not state.findings:
                info = report.checks.get(cid)
                row = dict.fromkeys(COLUMNS, "") | common
                row |= {
                    "check_id": cid,
                    "check": check_title(report, cid, lang),
                    "severity": severity_label(info.severity.value, lang) if info else "",
                    "status": status_label(Status.UNKNOWN.value, lang),
                    "message": i18n.t(lang, "html.not_judged"),
                }
                out.append([row[c] for c in COLUMNS])
        return out

    def _finding(
        self, report: RunReport, finding: Finding, lang: str, as_of: datetime | None
    ) -> dict[str, str]:
        waiver = finding.waiver
        state = waiver_label(finding, lang, as_of)
        return {
            "check_id": finding.check_id,
            "check": check_title(report, finding.check_id, lang),
            "severity": severity_label(finding.severity.value, lang),
            "resource": finding.resource or "",
            "status": status_label(finding.status.value, lang),
            "message": finding_message(finding, report, lang),
            "expected": value_text(finding.expected),
            "actual": value_text(finding.actual),
            "waiver": state,
            "justification": waiver.justification if waiver else "",
            "approver": waiver.approver if waiver else "",
            "expires": waiver.expires if waiver else "",
        }
