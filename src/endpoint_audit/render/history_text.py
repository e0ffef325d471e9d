"""The `history` commands at a terminal: rich tables of model/history types.
Host data goes in as rich Text with control characters made visible."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

from rich.table import Table
from rich.text import Text

from endpoint_audit.model import i18n
from endpoint_audit.model.history import (
    Change,
    CheckTimeline,
    HistoryDiff,
    HostTimeline,
    OpenFailure,
    PruneResult,
    RoundRow,
    StaleReport,
    StoreInfo,
)
from endpoint_audit.render.console import text_console
from endpoint_audit.render.summary import format_percent
from endpoint_audit.render.text import severity_label, status_label, visible_controls

STATE_STYLE = {
    "pass": "green",
    "fail": "bold red",
    "unknown": "yellow",
    "error": "magenta",
    "not_applicable": "dim",
}
CHANGE_STYLE = {
    Change.NEW: "bold red",
    Change.FIXED: "bold green",
    Change.STILL: "red",
    Change.WAIVED: "cyan",
    Change.UNVERIFIED: "yellow",
}


NUMERIC_COLUMNS = {
    "hosts",
    "reached",
    "unreachable",
    "compliant",
    "failures",
    "days_open",
    "days",
    "round",
}


def _t(lang: str, key: str, **args: object) -> str:
    return i18n.t(lang, f"history.{key}", **args)


def plain(text: str | None) -> Text:
    return Text(visible_controls(text or "", keep=""))


def when(value: datetime | None, lang: str) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else _t(lang, "never")


def day(value: datetime | None, lang: str) -> str:
    return value.strftime("%Y-%m-%d") if value else _t(lang, "never")


def partial_text(row: RoundRow, lang: str) -> str:
    if row.partial is None:
        return ""
    reason = (
        _t(lang, f"partial.{row.partial}")
        if i18n.has(f"history.partial.{row.partial}")
        else row.partial
    )
    if row.hosts_planned:
        return _t(lang, "partial_of", reason=reason, hosts=row.hosts, planned=row.hosts_planned)
    return reason


def _table(lang: str, *columns: str) -> Table:
    table = Table(header_style="bold")
    for column in columns:
        if column in NUMERIC_COLUMNS:
            table.add_column(_t(lang, f"col.{column}"), justify="right", overflow="fold")
        else:
            table.add_column(_t(lang, f"col.{column}"), overflow="fold")
    return table


def _render(lang: str, color: bool, width: int | None, *parts: object) -> str:
    buffer = io.StringIO()
    console = text_console(buffer, color, width)
    for part in parts:
        console.print(part)
    return buffer.getvalue()


def rounds_text(
    rows: Sequence[RoundRow], lang: str, color: bool = False, width: int | None = None
) -> str:
    if not rows:
        return _render(lang, color, width, Text(_t(lang, "no_rounds")))
    table = _table(
        lang,
        "round",
        "finished",
        "hosts",
        "reached",
        "compliant",
        "rate",
        "failures",
        "baseline",
        "source",
        "partial",
    )
    for r in rows:
        table.add_row(
            str(r.id),
            when(r.finished_at, lang),
            str(r.hosts),
            str(r.reached),
            str(r.compliant),
            format_percent(r.rate),
            str(r.failures),
            plain(r.baseline),
            plain(r.source),
            Text(partial_text(r, lang), style="bold yellow"),
        )
    return _render(
        lang, color, width, Text(_t(lang, "title.rounds", count=len(rows)), style="bold"), table
    )


def failures_table(failures: Sequence[OpenFailure], lang: str, with_host: bool = True) -> Table:
    columns = ["host"] if with_host else []
    table = _table(lang, *columns, "check", "resource", "severity", "since", "days_open", "message")
    for f in failures:
        cells: list[Text | str] = [plain(f.host)] if with_host else []
        message = visible_controls(f.message, keep="")
        if f.waived:
            message += f" ({i18n.t(lang, 'report.waived')})"
        cells += [
            plain(f.check),
            plain(f.resource),
            severity_label(f.severity, lang),
            day(f.failing_since, lang),
            str(f.days_open),
            Text(message),
        ]
        table.add_row(*cells)
    return table


def _state_cell(state: str, lang: str) -> Text:
    waived = state.endswith("+w")
    base = state.removesuffix("+w")
    label = status_label(base, lang) if i18n.has(f"report.status.{base}") else base
    text = Text(label, style=STATE_STYLE.get(base, ""))
    if waived:
        text.append(f" ({i18n.t(lang, 'report.waived')})", style="cyan")
    return text


def host_text(
    timeline: HostTimeline, lang: str, color: bool = False, width: int | None = None
) -> str:
    head = Text(_t(lang, "title.host", host=visible_controls(timeline.name, keep="")), style="bold")
    facts = [
        _t(
            lang,
            "host.names",
            names=", ".join(visible_controls(n, keep="") for n in timeline.names),
        ),
        _t(lang, "host.machine_id", machine_id=timeline.machine_id or "—"),
        _t(
            lang,
            "host.groups",
            groups=", ".join(visible_controls(g, keep="") for g in timeline.groups) or "—",
        ),
        _t(
            lang,
            "host.seen",
            first=day(timeline.first_seen, lang),
            last=when(timeline.last_reached, lang),
        ),
    ]
    table = _table(lang, "round", "at", "target", "state")
    for cid, title in timeline.checks.items():
        table.add_column(visible_controls(title, keep=""), overflow="fold")
        del cid
    for r in timeline.rounds:
        if r.reached:
            state = Text(
                _t(lang, "compliant" if r.compliant else "not_compliant"),
                style="green" if r.compliant else "red",
            )
        else:
            state = Text(_t(lang, "unreachable"), style="yellow")
        cells: list[Text | str] = [str(r.round_id), when(r.at, lang), plain(r.target), state]
        cells += [
            _state_cell(r.checks[c], lang) if c in r.checks else Text("—", style="dim")
            for c in timeline.checks
        ]
        table.add_row(*cells)
    parts: list[object] = [head, *(Text(f) for f in facts), table]
    if timeline.last_reached is None:
        # No audit saw the PC: its failures are unknown, not none.
        parts.append(Text(_t(lang, "title.never_audited"), style="bold yellow"))
        return _render(lang, color, width, *parts)
    parts.append(
        Text(
            _t(
                lang,
                "title.open_failures",
                count=len(timeline.open_failures),
                date=day(timeline.last_reached, lang),
            ),
            style="bold",
        )
    )
    if timeline.open_failures:
        parts.append(failures_table(timeline.open_failures, lang, with_host=False))
    return _render(lang, color, width, *parts)


def check_text(
    timeline: CheckTimeline, lang: str, color: bool = False, width: int | None = None
) -> str:
    head = Text(
        _t(
            lang,
            "title.check",
            check=visible_controls(timeline.title, keep=""),
            id=timeline.check_id,
        ),
        style="bold",
    )
    states = ("pass", "fail", "unknown", "error", "not_applicable")
    table = _table(lang, "round", "finished", "rate")
    for s in states:
        table.add_column(status_label(s, lang), justify="right")
    table.add_column(i18n.t(lang, "report.waived"), justify="right")
    for r in timeline.rounds:
        table.add_row(
            str(r.round_id),
            when(r.finished_at, lang),
            format_percent(r.rate),
            *(str(r.counts.get(s, 0)) for s in states),
            str(r.waived),
        )
    parts: list[object] = [
        head,
        table,
        Text(_t(lang, "title.failing_now", count=len(timeline.failing)), style="bold"),
    ]
    if timeline.failing:
        parts.append(failures_table(timeline.failing, lang))
    return _render(lang, color, width, *parts)


def diff_text(diff: HistoryDiff, lang: str, color: bool = False, width: int | None = None) -> str:
    a, b = diff.round_a, diff.round_b
    head = Text(
        _t(
            lang,
            "title.diff",
            a=a.id,
            a_date=when(a.finished_at, lang),
            b=b.id,
            b_date=when(b.finished_at, lang),
        ),
        style="bold",
    )
    parts: list[object] = [head]
    if diff.baseline_changed:
        parts.append(Text(_t(lang, "baseline_changed", a=a.baseline, b=b.baseline), style="yellow"))
    if b.partial:
        parts.append(
            Text(
                _t(lang, "round_partial", round=b.id, partial=partial_text(b, lang)), style="yellow"
            )
        )
    if not diff.entries:
        parts.append(Text(_t(lang, "no_changes")))
    else:
        table = _table(
            lang,
            "change",
            "host",
            "check",
            "resource",
            "severity",
            "before",
            "after",
            "since",
            "days_open",
            "message",
        )
        for e in diff.entries:
            change = Text(_t(lang, f"change.{e.change.value}"), style=CHANGE_STYLE[e.change])
            if e.reason:
                change.append(f" ({_t(lang, f'reason.{e.reason}')})", style="dim")
            table.add_row(
                change,
                plain(e.host),
                plain(e.check),
                plain(e.resource),
                severity_label(e.severity, lang),
                status_label(e.status_before, lang) if e.status_before else "—",
                status_label(e.status_after, lang) if e.status_after else "—",
                day(e.failing_since, lang) if e.failing_since else "—",
                str(e.days_open) if e.days_open is not None else "—",
                plain(e.message),
            )
        parts.append(table)
    parts.append(Text(_t(lang, "diff_totals", **diff.counts), style="bold"))
    return _render(lang, color, width, *parts)


def stale_text(
    report: StaleReport, lang: str, color: bool = False, width: int | None = None
) -> str:
    head = Text(
        _t(
            lang,
            "title.stale",
            days=report.days,
            date=day(report.as_of, lang),
            count=len(report.hosts),
            known=report.known,
        ),
        style="bold",
    )
    if not report.hosts:
        return _render(lang, color, width, head)
    table = _table(lang, "host", "groups", "last_seen", "days", "last_state")
    for h in report.hosts:
        if h.last_state is None:
            state = Text(_t(lang, "never_seen"), style="red")
        elif h.last_state == "ok":
            state = Text(_t(lang, "state_ok"))
        else:
            state = Text(_t(lang, "unreachable"), style="yellow")
            if h.reason:
                state.append(f": {visible_controls(h.reason, keep='')}")
        table.add_row(
            plain(h.host),
            plain(", ".join(h.groups)),
            day(h.last_reached, lang),
            str(h.days) if h.days is not None else "—",
            state,
        )
    return _render(lang, color, width, head, table)


def prune_text(result: PruneResult, lang: str) -> str:
    key = "prune.would" if result.dry_run else "prune.done"
    lines = [
        _t(
            lang,
            key,
            rounds=len(result.rounds),
            hosts=len(result.hosts_forgotten),
            before=result.bytes_before,
            after=result.bytes_after,
        )
    ]
    lines += [
        f"  {r.id}  {when(r.finished_at, lang)}  {visible_controls(r.source, keep='')}"
        for r in result.rounds
    ]
    return "\n".join(lines) + "\n"


def info_text(info: StoreInfo, lang: str) -> str:
    rows = [
        ("path", visible_controls(info.path, keep="")),
        ("schema_version", str(info.schema_version)),
        ("size", _t(lang, "bytes", bytes=info.bytes)),
        ("journal", info.journal_mode),
        ("rounds", str(info.rounds)),
        ("hosts", str(info.hosts)),
        ("observations", str(info.observations)),
        ("findings", str(info.findings)),
        ("first_round", when(info.first_round, lang)),
        ("last_round", when(info.last_round, lang)),
    ]
    return "".join(f"{_t(lang, f'info.{k}')}: {v}\n" for k, v in rows)
