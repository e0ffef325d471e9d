"""The weekly report as Markdown (for mail and tickets) and as CSV (one row per PC, for
Excel). Host data is escaped as in the Markdown report and neutralised as in the CSV
report."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from endpoint_audit.model import i18n
from endpoint_audit.model.history import DiffEntry, OpenFailure
from endpoint_audit.model.weekly import Bucket, WeeklyReport
from endpoint_audit.render.csv_report import neutralise
from endpoint_audit.render.markdown import escape
from endpoint_audit.render.summary import format_percent
from endpoint_audit.render.text import severity_label, status_label
from endpoint_audit.render.weekly_html import ROWS_SHOWN, day, delta_sentence, delta_text, stamp

BLOCKS = " ▁▂▃▄▅▆▇█"


def spark(values: Sequence[float | None]) -> str:
    """A text sparkline of percentages: one block per round, `·` where none."""
    out = []
    for value in values:
        if value is None:
            out.append("·")
        else:
            out.append(BLOCKS[min(8, max(1, round(value / 12.5)))])
    return "".join(out)


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int]) -> list[str]:
    align = ["---:" if i in numeric else "---" for i in range(len(header))]
    return [_row(header), _row(align), *(_row(r) for r in rows), ""]


class WeeklyMarkdownRenderer:
    name = "markdown"
    extension = ".md"
    encoding = "utf-8"

    def render(self, report: WeeklyReport) -> str:
        lang = report.lang

        def t(key: str, **args: object) -> str:
            return i18n.t(lang, f"weekly.{key}", **args)

        lines = [f"# {t('title')} {day(report.as_of)}", ""]
        latest = report.latest
        if latest is None:
            return "\n".join([*lines, t("no_rounds"), ""])
        line = t(
            "round_line",
            round=latest.id,
            date=stamp(latest.finished_at),
            hosts=latest.hosts,
            baseline=escape(latest.baseline),
        )
        if latest.partial:
            line += f" **({t('partial_mark')})**"
        lines += [line, "", f"_{t('times_utc')}_", ""]
        changes = report.diff.counts if report.diff else {}
        cards = [
            (
                t("card.compliance"),
                f"**{format_percent(latest.rate)}** ("
                f"{t('card.compliance_value', compliant=latest.compliant, hosts=latest.hosts)}); "
                + delta_sentence(
                    report.trend[-1].delta if report.trend else None,
                    lang,
                    bool(report.trend and report.trend[-1].partial),
                ),
            ),
            (t("card.reached"), f"{latest.reached} / {latest.hosts}"),
            (
                t("card.coverage", days=report.stale_days),
                f"{report.coverage.seen} / {report.coverage.known}",
            ),
            (
                t("card.open_failures"),
                f"{report.open_failures} ({t('card.critical')}: {len(report.critical)})",
            ),
            (
                f"{t('card.new')} / {t('card.fixed')}",
                f"{changes.get('new', 0)} / {changes.get('fixed', 0)}",
            ),
            (t("card.waivers", days=report.expiring_days), str(len(report.waivers_expiring))),
        ]
        lines += [f"- {label}: {value}" for label, value in cards] + [""]

        lines += [f"## {t('section.trend')}", "", t("view_round"), ""]
        lines += _table(
            [
                t("col.round"),
                t("col.date"),
                t("col.hosts"),
                t("col.compliant"),
                t("col.rate"),
                t("col.delta"),
                t("col.coverage"),
                t("col.partial"),
            ],
            [
                [
                    str(p.round_id),
                    stamp(p.finished_at),
                    str(p.hosts),
                    str(p.compliant),
                    format_percent(p.rate),
                    delta_text(p.delta, lang),
                    format_percent(p.coverage),
                    t("partial_mark") if p.partial else "",
                ]
                for p in report.trend
            ],
            {0, 2, 3, 4, 6},
        )

        lines += [f"## {t('section.checks')}", ""]
        lines += _table(
            [
                t("col.check"),
                t("col.severity"),
                t("col.trend"),
                t("col.current"),
                t("col.delta"),
                t("col.failing"),
            ],
            [
                [
                    f"{escape(c.title)} (`{c.check_id}`)",
                    severity_label(c.severity, lang),
                    spark(c.rates),
                    format_percent(c.current),
                    delta_text(c.delta, lang),
                    str(c.failing_hosts),
                ]
                for c in report.check_trends
            ],
            {3, 5},
        )

        cov = report.coverage
        lines += [f"## {t('section.coverage')}", ""]
        lines += [
            t(
                "text.coverage",
                seen=cov.seen,
                known=cov.known,
                days=report.stale_days,
                rate=format_percent(cov.rate),
                never=cov.never_seen,
                reached=cov.in_latest_round,
            ),
            "",
        ]
        if cov.hosts:
            lines += _table(
                [t("col.host"), t("col.groups"), t("col.last_seen"), t("col.days"), t("col.state")],
                [
                    [
                        escape(h.host),
                        escape(", ".join(h.groups)),
                        day(h.last_reached) if h.last_reached else t("never"),
                        str(h.days) if h.days is not None else "—",
                        t(f"state.{'reached' if h.last_state == 'ok' else 'unreachable'}")
                        if h.last_state
                        else t("never"),
                    ]
                    for h in cov.hosts
                ],
                {3},
            )

        lines += [f"## {t('section.changes')}", ""]
        if report.diff is None:
            lines += [t("text.no_previous"), ""]
        else:
            c = report.diff.counts
            if report.diff.baseline_changed:
                lines += [
                    t(
                        "text.baseline_changed",
                        a=escape(report.diff.round_a.baseline),
                        b=escape(report.diff.round_b.baseline),
                    ),
                    "",
                ]
            lines += [
                t(
                    "text.changes",
                    new=c["new"],
                    fixed=c["fixed"],
                    still=c["still_failing"],
                    waived=c["waived"],
                    unverified=c["not_verified"],
                ),
                "",
            ]
            for change, title in (
                ("new", t("card.new")),
                ("fixed", t("card.fixed")),
                ("not_verified", t("unverified_title")),
            ):
                entries = [e for e in report.diff.entries if e.change.value == change]
                if entries:
                    lines += [f"### {title}", "", *self._diff_rows(entries[:ROWS_SHOWN], lang)]
                    if len(entries) > ROWS_SHOWN:
                        lines += [t("more_diff", count=len(entries) - ROWS_SHOWN), ""]

        lines += [f"## {t('section.ageing')}", "", t("view_seen"), ""]
        lines += [t("text.open", counted=report.open_failures, waived=report.waived_failures), ""]
        lines += self._buckets(report.ageing, lang, "failures")
        if report.oldest:
            lines += self._failures(report.oldest, lang)
            more = report.open_failures - len(report.oldest)
            if more > 0:
                lines += [t("more", count=more), ""]

        lines += [f"## {t('section.deadlines')}", "", f"### {t('support_deadlines_title')}", ""]
        if report.support_deadlines is None:
            lines += [f"_{t('text.support_deadlines_no_data')}_", ""]
        elif not report.support_deadlines:
            lines += [t("text.no_os_deadline"), ""]
        else:
            lines += _table(
                [
                    t("col.host"),
                    t("col.status"),
                    t("col.deadline"),
                    t("col.days_left"),
                    t("col.message"),
                ],
                [
                    [
                        escape(d.host),
                        status_label(d.status, lang),
                        day(d.deadline),
                        str(d.days_left) if d.days_left is not None else "—",
                        escape(d.message),
                    ]
                    for d in report.support_deadlines
                ],
                {3},
            )
        lines += [f"### {t('card.waivers', days=report.expiring_days)}", ""]
        if report.waivers_expiring:
            lines += _table(
                [
                    t("col.host"),
                    t("col.check"),
                    t("col.resource"),
                    t("col.expires"),
                    t("col.days_left"),
                    t("col.approver"),
                    t("col.justification"),
                ],
                [
                    [
                        escape(w.host),
                        escape(w.check),
                        escape(w.resource),
                        day(w.expires),
                        str(w.days_left),
                        escape(w.approver),
                        escape(w.justification),
                    ]
                    for w in report.waivers_expiring
                ],
                {4},
            )
        else:
            lines += [t("text.no_waivers_expiring", days=report.expiring_days), ""]
        if report.waivers_expired:
            lines += [f"### {t('expired_title')}", ""]
            lines += _table(
                [
                    t("col.host"),
                    t("col.check"),
                    t("col.resource"),
                    t("col.expires"),
                    t("col.approver"),
                ],
                [
                    [
                        escape(w.host),
                        escape(w.check),
                        escape(w.resource),
                        day(w.expires),
                        escape(w.approver),
                    ]
                    for w in report.waivers_expired
                ],
                set(),
            )
        lines += [f"### {t('signatures_title')}", ""]
        if report.signatures is None:
            lines += [f"_{t('text.signatures_no_data')}_", ""]
        elif not report.signatures:
            lines += [t("text.no_signatures"), ""]
        else:
            lines += _table(
                [t("col.host"), t("col.check"), t("col.status"), t("col.message")],
                [
                    [
                        escape(d.host),
                        escape(d.check),
                        status_label(d.status, lang),
                        escape(d.message),
                    ]
                    for d in report.signatures
                ],
                set(),
            )

        lines += [f"## {t('section.critical')}", ""]
        lines += (
            self._failures(report.critical[:ROWS_SHOWN], lang)
            if report.critical
            else [t("text.no_critical"), ""]
        )
        if len(report.critical) > ROWS_SHOWN:
            lines += [t("more", count=len(report.critical) - ROWS_SHOWN), ""]

        median = "—" if report.patch.median_days is None else f"{report.patch.median_days:g}"
        lines += [
            f"## {t('section.patch')}",
            "",
            t(
                "text.patch",
                median=median,
                reboot=report.patch.reboot_pending,
                unknown=report.patch.unknown,
            ),
            "",
        ]
        lines += self._buckets(report.patch.buckets, lang, "count")

        lines += [f"## {t('section.groups')}", ""]
        if report.groups:
            lines += [t("view_round"), ""]
            lines += _table(
                [
                    t("col.group"),
                    t("col.hosts"),
                    t("col.compliant"),
                    t("col.rate"),
                    t("col.delta"),
                    t("col.failures"),
                    t("col.critical"),
                    t("col.not_seen"),
                ],
                [
                    [
                        escape(g.group) if g.group else t("group_none"),
                        str(g.hosts),
                        str(g.compliant),
                        format_percent(g.rate),
                        delta_text(g.delta, lang),
                        str(g.failures),
                        str(g.critical),
                        str(g.not_seen),
                    ]
                    for g in report.groups
                ],
                {1, 2, 3, 5, 6, 7},
            )
        else:
            lines += [t("text.no_groups"), ""]

        lines += [f"## {t('section.worst')}", ""]
        if report.worst_hosts:
            lines += _table(
                [
                    t("col.host"),
                    t("col.groups"),
                    t("col.failures"),
                    t("col.critical"),
                    t("col.oldest"),
                ],
                [
                    [
                        escape(w.host),
                        escape(", ".join(w.groups)),
                        str(w.failures),
                        str(w.critical),
                        str(w.oldest_days) if w.oldest_days is not None else "—",
                    ]
                    for w in report.worst_hosts
                ],
                {2, 3, 4},
            )
        else:
            lines += [t("text.worst_none"), ""]
        return "\n".join(lines).rstrip("\n") + "\n"

    def _buckets(self, buckets: list[Bucket], lang: str, counted: str) -> list[str]:
        top = max([b.count for b in buckets] + [1])
        return _table(
            [i18n.t(lang, "weekly.col.bucket"), i18n.t(lang, f"weekly.col.{counted}"), ""],
            [
                [
                    i18n.t(lang, f"weekly.bucket.{b.key}"),
                    str(b.count),
                    "█" * round(20 * b.count / top),
                ]
                for b in buckets
            ],
            {1},
        )

    def _failures(self, items: list[OpenFailure], lang: str) -> list[str]:
        def t(key: str) -> str:
            return i18n.t(lang, f"weekly.col.{key}")

        return _table(
            [
                t("host"),
                t("groups"),
                t("check"),
                t("resource"),
                t("severity"),
                t("since"),
                t("days_open"),
                t("message"),
            ],
            [
                [
                    escape(f.host),
                    escape(", ".join(f.groups)),
                    escape(f.check),
                    escape(f.resource),
                    severity_label(f.severity, lang),
                    day(f.failing_since),
                    str(f.days_open),
                    escape(f.message),
                ]
                for f in items
            ],
            {6},
        )

    def _diff_rows(self, entries: list[DiffEntry], lang: str) -> list[str]:
        def t(key: str) -> str:
            return i18n.t(lang, f"weekly.col.{key}")

        return _table(
            [
                t("host"),
                t("groups"),
                t("check"),
                t("resource"),
                t("severity"),
                t("since"),
                t("note"),
                t("message"),
            ],
            [
                [
                    escape(e.host),
                    escape(", ".join(e.groups)),
                    escape(e.check),
                    escape(e.resource),
                    severity_label(e.severity, lang),
                    day(e.failing_since),
                    i18n.t(lang, f"history.reason.{e.reason}") if e.reason else "",
                    escape(e.message),
                ]
                for e in entries
            ],
            set(),
        )


CSV_COLUMNS = (
    "host",
    "groups",
    "os",
    "last_reached",
    "days_not_seen",
    "latest_round",
    "compliant",
    "failures",
    "critical",
    "oldest_failure_since",
    "patch_days",
    "reboot_pending",
    "waivers_due",
)


class WeeklyCsvRenderer:
    """One row per PC as last seen: the roster IT staff sort and filter in Excel."""

    name = "csv"
    extension = ".csv"
    encoding = "utf-8-sig"

    def render(self, report: WeeklyReport) -> str:
        lang = report.lang

        def yes_no(value: bool | None) -> str:
            if value is None:
                return ""
            return i18n.t(lang, "weekly.yes" if value else "weekly.no")

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow([i18n.t(lang, f"weekly.csv.{c}") for c in CSV_COLUMNS])
        for row in report.roster:
            cells = [
                row.host,
                "; ".join(row.groups),
                row.os or "",
                row.last_reached.strftime("%Y-%m-%d %H:%M:%S") if row.last_reached else "",
                "" if row.days_not_seen is None else str(row.days_not_seen),
                i18n.t(lang, f"weekly.state.{row.latest_round}"),
                yes_no(row.compliant),
                "" if row.failures is None else str(row.failures),
                "" if row.critical is None else str(row.critical),
                row.oldest_failure_since.strftime("%Y-%m-%d") if row.oldest_failure_since else "",
                "" if row.patch_days is None else str(row.patch_days),
                yes_no(row.reboot_pending),
                "" if row.waivers_due is None else str(row.waivers_due),
            ]
            writer.writerow([neutralise(c) for c in cells])
        return buffer.getvalue()
