"""Markdown for tickets and mail: a summary, the hosts worst first, then each host's
findings that need attention (fail, error, unknown, expired waivers) with remediation.

Host data is escaped so it stays text in any Markdown viewer and still reads well as
plain text: a backslash only where Markdown would act (see `escape`), so no tag, link,
image or emphasis can form, link schemes are broken up so a host cannot plant a
clickable link, and newlines inside table cells become spaces.
"""

from __future__ import annotations

import re
from datetime import datetime

from endpoint_audit.model import i18n
from endpoint_audit.model.result import RunReport, Status
from endpoint_audit.model.verdict import needs_attention
from endpoint_audit.render.base import Renderer, RenderOptions
from endpoint_audit.render.summary import (
    SEVERITY_ORDER,
    STATUS_ORDER,
    HostSummary,
    format_percent,
    summarize,
    verdict_parts,
    waiver_note,
)
from endpoint_audit.render.text import (
    baseline_label,
    baselines_in_use,
    check_title,
    finding_message,
    host_baseline,
    partial_text,
    pick,
    platform_text,
    remediation_for,
    severity_label,
    source_text,
    status_label,
    value_text,
    visible_controls,
)

# Escapes only where Markdown would act, so the file also reads as plain text in mail
# and tickets (`apt update && apt upgrade`, `Debian 12 (bookworm)` stay as written):
# - always: emphasis, code, strike and table characters (`*`, backtick, `~`, `|`), and
#   brackets (no `[x](y)` link or `![x](y)` image can form without them);
# - `_` only at a word's edge (inside a word, as in snake_case, it never emphasises);
# - `\\` only before punctuation (elsewhere, as in C:\\Users, it is shown as is);
# - `<` only where it would open HTML or an autolink (`<b`, `</`, `<!`, `<?`);
# - `&` only where it would start an entity (`&amp;`, `&#60;`);
# - what GitHub turns into links without markup (`http://`, `www.`, `a@b`).
# Line-start syntax (`#`, `-`, `>`, `1.`) cannot occur: host data always follows
# other text on its line, and newlines become spaces.
_ALWAYS = re.compile(r"([`*~|\[\]])")
_EDGE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_BACKSLASH = re.compile(r"\\(?=[!-/:-@\[-`{-~])")
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_AUTOLINK = re.compile(r"(:)(?=//)|(?<=www)(\.)|(@)", re.IGNORECASE)


def escape(text: str) -> str:
    """Plain text as Markdown that renders as exactly that text, on one line, and reads
    the same as plain text wherever no Markdown syntax could form."""
    text = visible_controls(text, keep="\n\t")
    text = _BACKSLASH.sub(r"\\\\", text)
    text = _ALWAYS.sub(r"\\\1", text)
    text = _EDGE_UNDERSCORE.sub(r"\\_", text)
    text = _TAG_OPEN.sub(r"\\<", text)
    text = _ENTITY.sub(r"\\&", text)
    text = _AUTOLINK.sub(lambda m: "\\" + m.group(0), text)
    return text.replace("\n", " ").replace("\t", " ")


def escape_trusted(text: str) -> str:
    """A catalog text (remediation, fixes): like `escape`, but its `code spans` stay code.
    Only the package's own texts go here, never host data."""
    parts = re.split(r"(`[^`\n]+`)", text)
    return "".join(
        p if p.startswith("`") and p.endswith("`") and len(p) > 1 else escape(p) for p in parts
    )


def _remediation(text: str, check_id: str, family: str | None, lang: str) -> str:
    """The package's own remediation keeps its `code`; any other text (a report can be
    edited, a plugin's text is not ours) is escaped like host data."""
    own = family is not None and text == i18n.t(lang, f"{check_id}.remediation.{family}")
    return escape_trusted(text) if own else escape(text)


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: list[str], rows: list[list[str]], numeric: set[int] | None = None) -> list[str]:
    numeric = numeric or set()
    align = ["---:" if i in numeric else "---" for i in range(len(header))]
    return [_row(header), _row(align), *(_row(r) for r in rows)]


class MarkdownRenderer(Renderer):
    name = "markdown"
    extension = ".md"
    description = "Markdown for tickets and mail: summary, worst hosts, what to fix."

    def render(self, report: RunReport, options: RenderOptions) -> str:
        lang, as_of = options.lang, options.as_of

        def t(key: str, **args: object) -> str:
            return i18n.t(lang, key, **args)

        summary = summarize(report, as_of)
        base = report.baseline
        lines = [f"# {escape(t('html.title'))}", ""]
        partial = partial_text(report, lang)
        if partial:
            lines += [f"> **{escape(partial)}**", ""]
        lines += [
            f"- **{escape(t('html.baseline'))}:** {escape(pick(base.title, lang, base.id))}"
            f" ({escape(base.id)} {escape(base.version)})",
            f"- **{escape(t('html.sha256'))}:** {escape(base.sha256)}",
            *(
                f"- **{escape(t('html.baselines'))}:** {escape(baseline_label(info, lang))}, "
                f"{escape(info.sha256)}: {escape(t('html.baseline_hosts', count=count))}"
                for info, count in baselines_in_use(report)
            ),
            f"- **{escape(t('html.finished'))}:** "
            f"{report.finished_at.strftime('%Y-%m-%d %H:%M:%S')}",
            f"- **{escape(t('html.tool'))}:** {escape(report.tool.name)} "
            f"{escape(report.tool.version)}",
            "",
            f"## {escape(t('html.summary'))}",
            "",
        ]
        header = [t("html.score"), t("html.hosts_count"), t("html.hosts_compliant")]
        header += [status_label(s.value, lang) for s in STATUS_ORDER]
        header += [t("html.waived_count"), t("html.unreachable_count")]
        row = [
            format_percent(summary.score),
            str(len(report.hosts)),
            str(summary.compliant_hosts),
            *(str(summary.finding_counts[s.value]) for s in STATUS_ORDER),
            str(summary.waived),
            str(summary.unreachable),
        ]
        lines += _table([escape(h) for h in header], [row], set(range(len(row))))
        lines.append("")
        failed = ", ".join(
            f"{escape(severity_label(s.value, lang))} {summary.failed_by_severity[s.value]}"
            for s in SEVERITY_ORDER
        )
        lines += [f"**{escape(t('html.failures_by_severity'))}:** {failed}", ""]
        _, verdict, sentence, notes = verdict_parts(report, lang, as_of)
        label = t("report.verdict.label")
        sep, end = t("report.verdict.list_sep"), t("report.verdict.end")
        tail = f" {escape(sep.join(notes))}{end}" if notes else ""
        lines += [
            f"**{escape(label)} {escape(verdict)}**{t('report.verdict.sep')}"
            f"{escape(sentence)}{tail}",
            "",
        ]

        if len(report.hosts) > 1:
            lines += [f"## {escape(t('html.by_host'))}", ""]
            rows = [self._host_row(h, lang) for h in summary.worst_first()]
            head = [t("html.col.number"), t("html.col.host"), t("html.col.os")]
            head += [t("html.col.score"), t("html.col.state"), t("html.col.failures")]
            lines += _table([escape(h) for h in head], rows, {0, 3, 5})
            lines.append("")

        for host in summary.hosts:
            lines += self._host_section(report, host, lang, as_of)
        return "\n".join(lines).rstrip("\n") + "\n"

    def _host_row(self, host: HostSummary, lang: str) -> list[str]:
        if host.reachable:
            state = status_label((host.state or Status.ERROR).value, lang)
        else:
            state = i18n.t(lang, "html.unreachable")
        return [
            str(host.index + 1),
            escape(host.host.target),
            escape(platform_text(host.host.platform)),
            format_percent(host.score),
            escape(state),
            str(sum(host.failed_by_severity.values())),
        ]

    def _host_section(
        self, report: RunReport, host: HostSummary, lang: str, as_of: datetime | None
    ) -> list[str]:
        target = host.host
        lines = [f"## {host.index + 1}. {escape(target.target)}", ""]
        source = source_text(target, lang)
        if source:
            lines += [escape(source), ""]
        if not host.reachable:
            reason = i18n.t(lang, "report.unreachable", reason=target.reason or "")
            return [*lines, f"**{escape(reason)}**", ""]
        meta = [escape(platform_text(target.platform))] if target.platform else []
        meta.append(
            escape(
                i18n.t(
                    lang,
                    "html.checks_compliant",
                    compliant=host.compliant,
                    applicable=host.applicable,
                )
            )
        )
        meta.append(f"{escape(i18n.t(lang, 'html.score'))} {format_percent(host.score)}")
        if baselines_in_use(report):
            own = baseline_label(host_baseline(report, target), lang)
            meta.append(f"{escape(i18n.t(lang, 'html.baseline'))}: {escape(own)}")
        lines += [" · ".join(meta), ""]
        rows: list[list[str]] = []
        fixes: list[str] = []
        family = target.platform.family.value if target.platform else None
        for state in host.checks:
            title = check_title(report, state.check_id, lang)
            attention = [f for f in state.findings if needs_attention(f)]
            for finding in state.findings:
                if finding.status is Status.PASS or finding.status is Status.NOT_APPLICABLE:
                    continue
                message = finding_message(finding, report, lang)
                if finding.waiver is not None:
                    message += " — " + waiver_note(finding, lang, as_of)
                rows.append(
                    [
                        escape(status_label(finding.status.value, lang)),
                        escape(severity_label(finding.severity.value, lang)),
                        escape(title),
                        escape(finding.resource or ""),
                        escape(message),
                        escape(value_text(finding.expected)),
                        escape(value_text(finding.actual)),
                    ]
                )
            fix = remediation_for(report.checks.get(state.check_id), family, lang)
            if attention and fix:
                fixes.append(
                    f"- **{escape(title)}** ({escape(state.check_id)}): "
                    f"{_remediation(fix, state.check_id, family, lang)}"
                )
        if not host.checks:
            # Nothing judged at all: unknown, not "nothing needs attention".
            return [*lines, f"**{escape(i18n.t(lang, 'html.no_findings'))}**", ""]
        if host.nothing_verified:
            # Only not-applicable rows, which the table leaves out: not "nothing to do".
            return [*lines, f"**{escape(i18n.t(lang, 'html.nothing_verified'))}**", ""]
        if host.not_judged:
            line = i18n.t(lang, "report.not_judged", checks=", ".join(host.not_judged))
            lines += [f"**{escape(line)}**", ""]
        if rows:
            head = ["status", "severity", "check", "resource", "message", "expected", "actual"]
            lines += _table([escape(i18n.t(lang, f"html.col.{h}")) for h in head], rows)
            lines.append("")
        elif not host.not_judged:
            lines += [escape(i18n.t(lang, "html.all_compliant")), ""]
        if fixes:
            lines += [f"**{escape(i18n.t(lang, 'html.remediation'))}**", "", *fixes, ""]
        return lines
