"""`report diff` for people: a table of fixed, regressed, new and vanished failures.
Host data goes in as rich Text with control characters made visible."""

from __future__ import annotations

import io

from rich.table import Table
from rich.text import Text

from endpoint_audit.model import i18n
from endpoint_audit.model.report_ops import Change, ReportDiff
from endpoint_audit.render.console import text_console
from endpoint_audit.render.summary import format_percent
from endpoint_audit.render.text import visible_controls

CHANGE_STYLE = {
    Change.REGRESSED: "bold red",
    Change.NEW: "red",
    Change.FIXED: "bold green",
    Change.GONE: "dim",
    Change.UNVERIFIED: "yellow",  # the newer report could not tell: not fixed
}


def _status(value: str | None, lang: str) -> str:
    return i18n.t(lang, f"report.status.{value}") if value else "—"


def diff_text(diff: ReportDiff, lang: str, color: bool = False, width: int = 120) -> str:
    buffer = io.StringIO()
    console = text_console(buffer, color, width)
    console.print(
        Text(
            visible_controls(
                i18n.t(lang, "report_diff.title", old=diff.old_baseline, new=diff.new_baseline)
            ),
            style="bold",
        )
    )
    if diff.baseline_changed:
        note = i18n.t(
            lang, "report_diff.baseline_changed", old=diff.old_baseline, new=diff.new_baseline
        )
        console.print(Text(visible_controls(note), style="yellow"))
    if not diff.entries:
        console.print(Text(i18n.t(lang, "report_diff.no_changes")))
    else:
        table = Table(header_style="bold")
        for col in ("change", "host", "check", "resource", "old", "new"):
            table.add_column(i18n.t(lang, f"report_diff.col.{col}"))
        table.add_column(i18n.t(lang, "report.col.message"), ratio=1)
        for entry in diff.entries:
            new_status = _status(entry.new_status, lang)
            if entry.waived:
                new_status += f" ({i18n.t(lang, 'report.waived')})"
            table.add_row(
                Text(i18n.t(lang, f"report_diff.{entry.change.value}"), CHANGE_STYLE[entry.change]),
                Text(visible_controls(entry.host)),
                Text(visible_controls(entry.check_id)),
                Text(visible_controls(entry.resource or "")),
                Text(_status(entry.old_status, lang)),
                Text(new_status),
                Text(visible_controls(entry.message)),
            )
        console.print(table)
    console.print(
        Text(
            i18n.t(
                lang,
                "report_diff.compliance",
                old=format_percent(diff.old_compliance),
                new=format_percent(diff.new_compliance),
            )
        )
    )
    if diff.not_compared:
        note = i18n.t(lang, "report_diff.not_compared", count=diff.not_compared)
        console.print(Text(note, style="yellow"))
    counts = {c.value: diff.counts.get(c.value, 0) for c in Change}
    console.print(Text(i18n.t(lang, "report_diff.totals", **counts), style="bold"))
    return buffer.getvalue()
