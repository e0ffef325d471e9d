"""The framework view: compliance per requirement (MIC category, municipal guideline
section, CIS item), one table per framework, then every waived finding with its reason.

`scan -f frameworks` and `report render results.json -f frameworks` print it. Host data
goes in as rich Text (never markup), with control characters replaced.
"""

from __future__ import annotations

import io
from datetime import datetime

from rich.table import Table
from rich.text import Text

from endpoint_audit.model import i18n
from endpoint_audit.model.compliance import (
    FrameworkCompliance,
    RequirementCompliance,
    Verdict,
    framework_compliance,
)
from endpoint_audit.model.printable import one_line
from endpoint_audit.model.result import RunReport
from endpoint_audit.model.verdict import WaiverStanding, finding_waiver, fleet_rollup
from endpoint_audit.render.base import Renderer, RenderOptions
from endpoint_audit.render.console import text_console
from endpoint_audit.render.summary import reading_day, waiver_day

# Up to this many hosts get a column each; more get a count per verdict.
MAX_HOST_COLUMNS = 6

VERDICT_STYLE = {
    Verdict.FAIL: "bold red",
    Verdict.ERROR: "bold magenta",
    Verdict.UNKNOWN: "bold yellow",
    Verdict.WAIVED: "cyan",
    Verdict.PASS: "bold green",
    Verdict.NOT_APPLICABLE: "dim",
}


def _clean(text: str) -> str:
    """Control characters a hostile host could use to move the cursor, recolour or
    reorder the line, shown as escapes; one line."""
    return one_line(text)


def _verdict(verdict: Verdict, lang: str) -> Text:
    return Text(i18n.t(lang, f"frameworks.verdict.{verdict.value}"), style=VERDICT_STYLE[verdict])


def _counts(counts: dict[Verdict, int], lang: str) -> Text:
    text = Text()
    for verdict in Verdict:
        if counts.get(verdict):
            if text:
                text.append("  ")
            text.append_text(_verdict(verdict, lang))
            text.append(f" {counts[verdict]}")
    return text


def _requirement_label(req: RequirementCompliance) -> Text:
    label = Text(_clean(req.id), style="bold")
    if req.title:
        label.append(f"  {_clean(req.title)}")
    return label


def _framework_table(fw: FrameworkCompliance, hosts: list[str], lang: str) -> Table:
    table = Table(header_style="bold", expand=False, show_lines=False)
    table.add_column(i18n.t(lang, "frameworks.col.requirement"), ratio=1)
    table.add_column(i18n.t(lang, "frameworks.col.checks"))
    table.add_column(i18n.t(lang, "frameworks.col.overall"), no_wrap=True)
    per_host = len(hosts) <= MAX_HOST_COLUMNS
    if per_host:
        for host in hosts:
            table.add_column(Text(_clean(host)), no_wrap=True)
    else:
        table.add_column(i18n.t(lang, "frameworks.host_counts"))
    for req in fw.requirements:
        row: list[Text] = [
            _requirement_label(req),
            Text(_clean(", ".join(req.checks))),
            _verdict(req.verdict, lang),
        ]
        if per_host:
            row.extend(_verdict(req.hosts[h].verdict, lang) for h in hosts)
        else:
            row.append(_counts(req.counts, lang))
        table.add_row(*row)
    return table


_WAIVER_LINE_KEYS = {
    WaiverStanding.IN_FORCE: "frameworks.waiver_line",
    WaiverStanding.EXPIRED: "frameworks.expired_line",
    WaiverStanding.PENDING: "frameworks.pending_line",
    WaiverStanding.LAPSED: "frameworks.lapsed_line",
    WaiverStanding.NOT_COVERING: "frameworks.not_covering_line",
}


def _waiver_lines(report: RunReport, lang: str, as_of: datetime | None) -> list[Text]:
    lines: list[Text] = []
    for host in report.hosts:
        for finding in host.findings:
            waiver, standing = finding.waiver, finding_waiver(finding, as_of)
            if waiver is None or standing is None:
                continue
            line = i18n.t(
                lang,
                _WAIVER_LINE_KEYS[standing],
                host=host.target,
                check=finding.check_id,
                resource=finding.resource or "",
                justification=waiver.justification,
                approver=waiver.approver,
                expires=waiver_day(waiver.expires, waiver),
                approved=waiver_day(waiver.approved, waiver),
                today=reading_day(as_of) if as_of is not None else "",
            )
            style = "cyan" if standing is WaiverStanding.IN_FORCE else "bold red"
            lines.append(Text(f"- {_clean(line)}", style=style))
    return lines


class FrameworksRenderer(Renderer):
    name = "frameworks"
    extension = ".txt"
    description = (
        "Compliance per framework requirement (MIC guideline, municipal guideline, CIS), "
        "with waived findings and their reasons."
    )

    def render(self, report: RunReport, options: RenderOptions) -> str:
        lang = options.lang
        buffer = io.StringIO()
        console = text_console(buffer, options.color, options.width)
        baseline = report.baseline
        console.print(Text(i18n.t(lang, "frameworks.heading"), style="bold"))
        console.print(
            Text(
                _clean(
                    i18n.t(
                        lang,
                        "frameworks.baseline_line",
                        title=baseline.title.get(lang) or baseline.id,
                        id=baseline.id,
                        version=baseline.version,
                        hosts=len(report.hosts),
                    )
                )
            )
        )
        hosts = [h.target for h in report.hosts]
        # Every requirement reads "not applicable" there; the host itself is unknown.
        for rolled in fleet_rollup(report).hosts:
            if rolled.nothing_verified:
                note = i18n.t(lang, "frameworks.nothing_verified", host=rolled.host.target)
                console.print(Text(_clean(note), style="bold yellow"))
        # A framework of another OS only (CIS macOS in a Windows fleet) is left out.
        frameworks = [
            fw
            for fw in framework_compliance(report)
            if any(r.verdict is not Verdict.NOT_APPLICABLE for r in fw.requirements)
        ]
        if not frameworks:
            console.print()
            console.print(Text(i18n.t(lang, "frameworks.none")))
        for fw in frameworks:
            console.print()
            name = i18n.t(lang, f"frameworks.name.{fw.framework}")
            if name == f"frameworks.name.{fw.framework}":
                name = fw.framework  # a framework a tailored baseline added
            title = Text(_clean(name), style="bold cyan")
            title.append(
                f"  ({i18n.t(lang, 'frameworks.requirements', count=len(fw.requirements))}: ",
                style="dim",
            )
            title.append_text(_counts(fw.counts, lang))
            title.append(")", style="dim")
            console.print(title)
            console.print(_framework_table(fw, hosts, lang))
        waivers = _waiver_lines(report, lang, options.as_of)
        if waivers:
            console.print()
            console.print(Text(i18n.t(lang, "frameworks.waivers_heading"), style="bold"))
            for line in waivers:
                console.print(line)
        return buffer.getvalue()
