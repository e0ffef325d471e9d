"""The terminal table. Host data goes in as rich Text, so `[red]` in a process name is text."""

from __future__ import annotations

import io
from collections import Counter

from rich.table import Table
from rich.text import Text

from endpoint_audit.model import i18n
from endpoint_audit.model.printable import one_line, visible_controls
from endpoint_audit.model.result import Finding, HostReport, RunReport, Status
from endpoint_audit.render.base import Renderer, RenderOptions
from endpoint_audit.render.console import text_console
from endpoint_audit.render.summary import waiver_label, waiver_note
from endpoint_audit.render.text import (
    baselines_in_use,
    finding_message,
    host_baseline,
    partial_text,
    pick,
    source_text,
)

STATUS_STYLE = {
    Status.PASS: "bold green",
    Status.FAIL: "bold red",
    Status.UNKNOWN: "bold yellow",
    Status.ERROR: "bold magenta",
    Status.NOT_APPLICABLE: "dim",
}
STATUS_ORDER = [Status.FAIL, Status.ERROR, Status.UNKNOWN, Status.PASS, Status.NOT_APPLICABLE]


def _clean(text: str) -> str:
    """Control characters a hostile host could use to move the cursor, recolour or
    reorder the line, shown as escapes (newlines kept: messages may have several)."""
    return visible_controls(text, keep="\n")


def _status_text(finding: Finding, lang: str) -> Text:
    label = i18n.t(lang, f"report.status.{finding.status.value}")
    text = Text(label, style=STATUS_STYLE[finding.status])
    if finding.waiver is not None:
        text.append(f" ({waiver_label(finding.waiver, lang)})", style="cyan")
    return text


def _host_table(host: HostReport, report: RunReport, lang: str) -> Table:
    table = Table(show_lines=False, expand=False, header_style="bold")
    table.add_column(i18n.t(lang, "report.col.status"), no_wrap=True)
    table.add_column(i18n.t(lang, "report.col.severity"), no_wrap=True)
    # Titles and resources wrap rather than end in "…": the words are the finding.
    table.add_column(i18n.t(lang, "report.col.check"), overflow="fold", ratio=1)
    table.add_column(i18n.t(lang, "report.col.resource"), overflow="fold")
    table.add_column(i18n.t(lang, "report.col.message"), ratio=2)
    order = {s: i for i, s in enumerate(STATUS_ORDER)}
    for finding in sorted(host.findings, key=lambda f: (order[f.status], -f.severity.rank)):
        info = report.checks.get(finding.check_id)
        title = info.title.get(lang, finding.check_id) if info else finding.check_id
        table.add_row(
            _status_text(finding, lang),
            Text(i18n.t(lang, f"report.severity.{finding.severity.value}")),
            Text(_clean(title)),
            Text(_clean(finding.resource or "")),
            _message_text(finding, report, lang),
        )
    return table


def _message_text(finding: Finding, report: RunReport, lang: str) -> Text:
    """The finding's sentence and, for a waived one, why and until when (stays visible)."""
    # fold, not ellipsis: Japanese has no spaces to wrap at, and a cut sentence hides
    # exactly the part (the reason, the approver) the reader needs.
    text = Text(_clean(finding_message(finding, report, lang)), overflow="fold")
    waiver = finding.waiver
    if waiver is not None:
        note = waiver_note(waiver, lang)
        text.append(f"\n{_clean(note)}", style="cyan" if waiver.in_force else "bold red")
    return text


class TerminalRenderer(Renderer):
    name = "terminal"
    extension = ".txt"
    description = "A table per host for people at a terminal (the default)."

    def render(self, report: RunReport, options: RenderOptions) -> str:
        lang = options.lang
        buffer = io.StringIO()
        console = text_console(buffer, options.color, options.width)
        baseline = report.baseline
        partial = partial_text(report, lang)
        if partial:
            console.print(Text(partial, style="bold red"))
        console.print(
            Text(
                one_line(
                    i18n.t(
                        lang,
                        "report.baseline_line",
                        title=baseline.title.get(lang, baseline.id),
                        id=baseline.id,
                        version=baseline.version,
                    )
                ),
                style="bold",
            )
        )
        several = baselines_in_use(report)
        if several:
            console.print(Text(i18n.t(lang, "report.baselines_line")))
            for info, count in several:
                line = i18n.t(
                    lang,
                    "report.baseline_entry",
                    title=pick(info.title, lang, info.id),
                    id=info.id,
                    version=info.version,
                    sha=info.sha256[:12],
                    count=count,
                )
                console.print(Text(f"  {_clean(line)}"))
        totals: Counter[str] = Counter()
        for host in report.hosts:
            platform = (
                host.platform.pretty_name if host.platform and host.platform.pretty_name else ""
            )
            header = Text(one_line(host.target), style="bold cyan")
            if platform:
                header.append(f"  {one_line(platform)}", style="dim")
            source = source_text(host, lang)
            if source:
                header.append(
                    f"\n{_clean(source)}", style="yellow" if host.name_conflicts else "dim"
                )
            console.print()
            console.print(header)
            if several:
                own = host_baseline(report, host)
                line = i18n.t(
                    lang,
                    "report.host_baseline",
                    title=pick(own.title, lang, own.id),
                    id=own.id,
                    version=own.version,
                )
                console.print(Text(_clean(line), style="dim"))
            if host.status != "ok":
                console.print(
                    Text(
                        i18n.t(lang, "report.unreachable", reason=_clean(host.reason or "")),
                        style="bold red",
                    )
                )
                totals["unreachable"] += 1
                continue
            console.print(_host_table(host, report, lang))
            totals.update(f.status.value for f in host.findings)
            totals.update("waived" for f in host.findings if f.waiver and f.waiver.in_force)
        console.print()
        parts = [
            f"{i18n.t(lang, f'report.status.{s.value}')}: {totals[s.value]}" for s in STATUS_ORDER
        ]
        if totals["waived"]:
            parts.append(f"{i18n.t(lang, 'report.waived')}: {totals['waived']}")
        if totals["unreachable"]:
            parts.append(f"{i18n.t(lang, 'report.hosts_unreachable')}: {totals['unreachable']}")
        console.print(Text("  ".join(parts), style="bold"))
        if partial:
            console.print(Text(partial, style="bold red"))
        return buffer.getvalue()
