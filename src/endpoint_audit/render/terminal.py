"""The terminal table. Host data goes in as rich Text, so `[red]` in a process name is text.

Per host, one row per finding, worst first, each naming its check id. After the tables:
what to do next (the worst failures with a one-line fix and where to read more), then
the verdict and the compliance figure of `model.verdict`, the same figure the HTML and
Markdown reports show. Below 120 columns the table folds to three columns (status and
severity, check id and resource, finding) so that ids and resources keep whole.
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import datetime

from msgspec import Struct
from rich import box
from rich.table import Table
from rich.text import Text

from endpoint_audit.model import i18n
from endpoint_audit.model.printable import one_line, visible_controls
from endpoint_audit.model.result import Finding, HostReport, RunReport, Severity, Status
from endpoint_audit.model.verdict import (
    STATUS_ORDER,
    STATUS_RANK,
    RunVerdict,
    WaiverStanding,
    counts_as_failure,
    finding_waiver,
    fleet_rollup,
    is_waived,
)
from endpoint_audit.render.base import Renderer, RenderOptions
from endpoint_audit.render.console import text_console
from endpoint_audit.render.summary import verdict_parts, waiver_label, waiver_note
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
VERDICT_STYLE = {
    RunVerdict.FAILED: "bold red",
    RunVerdict.INCOMPLETE: "bold yellow",
    RunVerdict.COMPLIANT: "bold green",
}
WIDE = 120  # from here on, check titles and a column per field fit
NEXT_STEPS = 5  # failing checks listed under "what to do next"
# A resource is kept whole up to this length; longer ones (hostile or odd) fold.
RESOURCE_WHOLE = 32


def _clean(text: str) -> str:
    """Control characters a hostile host could use to move the cursor, recolour or
    reorder the line, shown as escapes (newlines kept: messages may have several)."""
    return visible_controls(text, keep="\n")


def _status_text(finding: Finding, lang: str, as_of: datetime | None) -> Text:
    label = i18n.t(lang, f"report.status.{finding.status.value}")
    text = Text(label, style=STATUS_STYLE[finding.status])
    if finding.waiver is not None:
        text.append(f"\n({waiver_label(finding, lang, as_of)})", style="cyan")
    return text


def _severity_label(severity: Severity, lang: str) -> str:
    return i18n.t(lang, f"report.severity.{severity.value}")


def _sorted(host: HostReport) -> list[Finding]:
    return sorted(host.findings, key=lambda f: (STATUS_RANK[f.status], -f.severity.rank))


def _longest(values: list[str], cap: int) -> int:
    """A column's minimum width for its longest value (up to `cap`), with the cell's
    padding of one space either side, which rich counts in the width."""
    return min(max((len(v) for v in values), default=1), cap) + 2


def _host_table(
    host: HostReport, report: RunReport, lang: str, width: int, as_of: datetime | None
) -> Table:
    findings = _sorted(host)
    ids = [f.check_id for f in findings]
    resources = [_clean(f.resource or "") for f in findings]
    if width >= WIDE:
        table = Table(header_style="bold", box=box.HEAVY_HEAD, expand=True)
        table.add_column(i18n.t(lang, "report.col.status"), no_wrap=True)
        table.add_column(i18n.t(lang, "report.col.severity"), no_wrap=True)
        # Titles wrap at spaces; ids and resources stay whole, or fold only when huge.
        table.add_column(
            i18n.t(lang, "report.col.check"),
            ratio=3,
            overflow="fold",
            min_width=_longest(ids, 40),
        )
        # Flexible too, so a long resource (a firewall rule's name) cannot squeeze the
        # check ids (rule ids run longer than the built-in checks').
        table.add_column(
            i18n.t(lang, "report.col.resource"),
            ratio=2,
            overflow="fold",
            min_width=_longest(resources, RESOURCE_WHOLE),
        )
        table.add_column(i18n.t(lang, "report.col.message"), ratio=4)
    else:
        # Three columns and a blank line between rows: narrow terminals keep whole words.
        table = Table(header_style="bold", box=box.SIMPLE_HEAD, leading=1, pad_edge=False)
        table.add_column(i18n.t(lang, "report.col.status"), no_wrap=True)
        table.add_column(
            i18n.t(lang, "report.col.check"),
            overflow="fold",
            min_width=max(_longest(ids, 40), _longest(resources, RESOURCE_WHOLE)),
        )
        table.add_column(i18n.t(lang, "report.col.message"), ratio=1)
    for finding, resource in zip(findings, resources, strict=True):
        info = report.checks.get(finding.check_id)
        check = Text(_clean(finding.check_id), style="bold")
        severity = _severity_label(finding.severity, lang)
        message = _message_text(finding, report, lang, as_of)
        if width >= WIDE:
            if info is not None:
                check.append("\n" + _clean(pick(info.title, lang, finding.check_id)), style="dim")
            table.add_row(
                _status_text(finding, lang, as_of), Text(severity), check, Text(resource), message
            )
        else:
            status = _status_text(finding, lang, as_of)
            status.append(f"\n{severity}")
            if resource:
                check.append("\n" + resource, style="none")
            table.add_row(status, check, message)
    return table


def _message_text(finding: Finding, report: RunReport, lang: str, as_of: datetime | None) -> Text:
    """The finding's sentence and, for a waived one, why and until when (stays visible)."""
    # fold, not ellipsis: Japanese has no spaces to wrap at, and a cut sentence hides
    # exactly the part (the reason, the approver) the reader needs.
    text = Text(_clean(finding_message(finding, report, lang)), overflow="fold")
    waiver = finding.waiver
    if waiver is not None:
        note = waiver_note(finding, lang, as_of)
        in_force = finding_waiver(finding, as_of) is WaiverStanding.IN_FORCE
        text.append(f"\n{_clean(note)}", style="cyan" if in_force else "bold red")
    return text


class _Failing(Struct):
    """One check failing on some hosts of one OS family."""

    check_id: str
    severity: Severity
    family: str | None
    hosts: list[str]


def _failing_checks(report: RunReport) -> list[_Failing]:
    """Unwaived failures grouped by check and OS, worst first: severity, then hosts."""
    groups: dict[tuple[str, str | None], _Failing] = {}
    for host in report.hosts:
        family = host.platform.family.value if host.platform else None
        for finding in host.findings:
            if not counts_as_failure(finding):
                continue
            group = groups.setdefault(
                (finding.check_id, family),
                _Failing(finding.check_id, finding.severity, family, []),
            )
            if finding.severity.rank > group.severity.rank:
                group.severity = finding.severity
            if host.target not in group.hosts:
                group.hosts.append(host.target)
    order = {cid: i for i, cid in enumerate(report.checks)}
    return sorted(
        groups.values(),
        key=lambda g: (-g.severity.rank, -len(g.hosts), order.get(g.check_id, len(order))),
    )


def fix_line(report: RunReport, check_id: str, family: str | None, lang: str) -> str:
    """One line that says how to fix a failing check on an OS: the catalog's `fix`, or
    for a check without one (a plugin), the first line of its remediation."""
    if family is not None and i18n.has(f"{check_id}.fix.{family}"):
        return i18n.t(lang, f"{check_id}.fix.{family}")
    info = report.checks.get(check_id)
    text = info.remediation.get(family or "") if info else None
    first = pick(text, lang).strip().splitlines() if text else []
    return first[0] if first else i18n.t(lang, "report.next.no_fix")


def _next_steps(report: RunReport, lang: str) -> list[Text | Table]:
    failing = _failing_checks(report)
    # Checks that did not see (an unknown or error no waiver covers, or no finding).
    unverified = {
        (h.host.target, cid)
        for h in fleet_rollup(report).hosts
        for cid, state in h.checks.items()
        if state.incomplete
    }
    if not failing and not unverified:
        return []
    lines: list[Text | Table] = [Text(i18n.t(lang, "report.next.title"), style="bold")]
    fleet = len(report.hosts) > 1
    # A grid gives each step a hanging indent: wrapped lines start under the text.
    steps = Table.grid(padding=(0, 1))
    steps.add_column(no_wrap=True, justify="right")
    steps.add_column(ratio=1, overflow="fold")
    for number, group in enumerate(failing[:NEXT_STEPS], start=1):
        line = Text(_severity_label(group.severity, lang), style="bold red")
        line.append(" ")
        line.append(_clean(group.check_id), style="bold")
        if fleet:
            line.append(i18n.t(lang, "report.next.hosts", count=len(group.hosts)))
        line.append(": " + _clean(fix_line(report, group.check_id, group.family, lang)))
        steps.add_row(Text(f"{number}."), line)
    if failing:
        lines.append(steps)
    if len(failing) > NEXT_STEPS:
        lines.append(Text(i18n.t(lang, "report.next.more", count=len(failing) - NEXT_STEPS)))
    if unverified:
        checks = len({cid for _, cid in unverified})
        lines.append(Text(i18n.t(lang, "report.next.unverified", count=checks), style="yellow"))
    example = failing[0].check_id if failing else sorted(cid for _, cid in unverified)[0]
    lines.append(Text(i18n.t(lang, "report.next.show"), style="dim"))
    # On a line of its own, so it is copied whole and never wraps in the middle.
    # A namespaced id may be a rule of the baseline, which `checks show` needs to see.
    source = (report.baseline.source or report.baseline.id).removeprefix("shipped:")
    where = f" -b {_clean(source)}" if "." in example else ""
    lines.append(Text(f"  endpoint-audit checks show {_clean(example)}{where}", style="bold"))
    return lines


def verdict_lines(report: RunReport, lang: str, as_of: datetime | None = None) -> list[Text]:
    """The verdict (the exit code's) and the compliance figure, as every report states it."""
    verdict, label, figure, extras = verdict_parts(report, lang, as_of)
    line = Text(i18n.t(lang, "report.verdict.label") + " ", style="bold")
    line.append(label, style=VERDICT_STYLE[verdict])
    line.append(i18n.t(lang, "report.verdict.sep") + figure, style="bold")
    lines = [line]
    if extras:
        lines.append(Text(_clean(i18n.t(lang, "report.verdict.list_sep").join(extras))))
    return lines


def _counts_line(report: RunReport, lang: str) -> Text:
    totals: Counter[str] = Counter(f.status.value for h in report.hosts for f in h.findings)
    parts = [f"{i18n.t(lang, f'report.status.{s.value}')} {totals[s.value]}" for s in STATUS_ORDER]
    waived = sum(1 for h in report.hosts for f in h.findings if is_waived(f))
    if waived:
        parts.append(f"{i18n.t(lang, 'report.waived')} {waived}")
    return Text(i18n.t(lang, "report.findings_line", counts="  ".join(parts)))


class TerminalRenderer(Renderer):
    name = "terminal"
    extension = ".txt"
    description = "A table per host for people at a terminal (the default)."

    def render(self, report: RunReport, options: RenderOptions) -> str:
        lang, as_of = options.lang, options.as_of
        fleet = fleet_rollup(report)
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
                        title=pick(baseline.title, lang, baseline.id),
                        id=baseline.id,
                        version=baseline.version,
                    )
                ),
                style="bold",
            )
        )
        if options.signature is not None:
            console.print(Text(one_line(options.signature.text(lang))))
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
        for rolled in fleet.hosts:
            host = rolled.host
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
                continue
            if not rolled.checks:
                # Nothing judged at all: an empty table would say nothing.
                line = i18n.t(lang, "html.no_findings")
                console.print(Text(_clean(line), style="bold yellow"))
                continue
            console.print(_host_table(host, report, lang, console.width, as_of))
            if rolled.nothing_verified:
                # Every row says "not applicable"; the host itself is unknown, not fine.
                line = i18n.t(lang, "html.nothing_verified")
                console.print(Text(_clean(line), style="bold yellow"))
            missing = [cid for cid, c in rolled.checks.items() if not c.findings]
            if missing:
                line = i18n.t(lang, "report.not_judged", checks=", ".join(missing))
                console.print(Text(_clean(line), style="bold yellow"))
        steps = _next_steps(report, lang)
        if steps:
            console.print()
            for step in steps:
                console.print(step)
        console.print()
        for verdict in verdict_lines(report, lang, as_of):
            console.print(verdict)
        console.print(_counts_line(report, lang))
        if partial:
            console.print(Text(partial, style="bold red"))
        text = buffer.getvalue()
        if options.color:
            return text
        # Tables pad every line to the full width; files and mail need no trailing blanks.
        return "\n".join(line.rstrip() for line in text.split("\n"))
