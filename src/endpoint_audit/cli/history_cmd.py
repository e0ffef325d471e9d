"""`endpoint-audit history`: a local store of audit rounds, and what changed.

import  add JSON reports (files or folders of *.json); the same report twice adds nothing
list    the rounds
host    the timeline of one PC, and its open failures with the date each began
check   one check over the rounds, and the PCs failing it now
diff    new failures, fixed, still failing (since when), waived, not verified
stale   PCs not reached for N days
prune   remove old rounds
backup  a consistent copy of the store
info    where the store is, its size and schema version
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
from collections.abc import Callable
from datetime import UTC, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import BaseModel

from endpoint_audit.cli.common import fail, resolve_lang, say, warn, write_output
from endpoint_audit.cli.store_opts import HistoryStoreOpt, open_store
from endpoint_audit.engine.exit_policy import ExitCode

if TYPE_CHECKING:
    from endpoint_audit.history.store import HistoryStore

app = typer.Typer(
    help=(
        "History of audit rounds in one local SQLite file: add JSON reports, see one PC's "
        "or one check's timeline, what changed between rounds, which PCs were not seen.\n\n"
        "The store is --store PATH, else $ENDPOINT_AUDIT_STORE, else history.sqlite3 in the "
        "user data folder. It is one file (no -wal/-shm beside it): copy it when no command "
        "is writing to it, or use `history backup`. `scan`, `evaluate` and `report merge` "
        "add their report when given --store (or when ENDPOINT_AUDIT_STORE is set). "
        "`report weekly` turns the store into the weekly report. See docs/history.md."
    ),
    no_args_is_help=True,
)


class Format(StrEnum):
    TERMINAL = "terminal"
    JSON = "json"
    CSV = "csv"


FormatOpt = Annotated[
    Format,
    typer.Option("--format", "-f", case_sensitive=False, help="terminal, json or csv (Excel)."),
]
OutputOpt = Annotated[
    str | None,
    typer.Option("--output", "-o", help="Write to FILE instead of stdout (`-` = stdout)."),
]
LangOpt = Annotated[
    str | None, typer.Option("--lang", help="Language: ja or en (default: from the locale).")
]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Count days as of this date (YYYY-MM-DD: the end of that day, UTC) or time "
        "(ISO 8601). Default: now.",
    ),
]
LastOpt = Annotated[int | None, typer.Option("--last", min=1, help="Only the newest N rounds.")]
GroupOpt = Annotated[
    str | None, typer.Option("--group", help="Only PCs in this host group (a 課 or site).")
]


def parse_as_of(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    text = value.strip()
    try:
        if len(text) == 10:
            day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
            return datetime.combine(day.date(), time(23, 59, 59), tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        fail(f"--as-of {value}: not a date (YYYY-MM-DD) or ISO 8601 time")
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def emit(
    fmt: Format,
    output: str | None,
    model: BaseModel,
    terminal: Callable[[bool, int | None], str],
    csv: Callable[[], str],
) -> None:
    if fmt is Format.JSON:
        write_output(output, model.model_dump_json(indent=2) + "\n")
    elif fmt is Format.CSV:
        write_output(output, csv(), "utf-8-sig")
    else:
        color = output in (None, "-") and sys.stdout.isatty()
        width = shutil.get_terminal_size().columns if color else None
        write_output(output, terminal(color, width))


def _reading(store: Path | None) -> HistoryStore:
    return open_store(store, create=False)


def _lookup_fail(exc: LookupError) -> None:
    fail(str(exc.args[0] if exc.args else exc))


# -- import ---------------------------------------------------------------------------


def report_files(inputs: list[Path]) -> list[Path]:
    files: list[Path] = []
    for item in inputs:
        if item.is_dir():
            files.extend(sorted(p for p in item.iterdir() if p.suffix == ".json" and p.is_file()))
        elif item.is_file():
            files.append(item)
        else:
            fail(f"{item}: no such file or folder")
    if not files:
        fail(f"{', '.join(map(str, inputs))}: no JSON reports (*.json) found")
    return files


@app.command("import")
def import_(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="JSON reports (scan -f json, report merge, --output-dir), or folders of them."
        ),
    ],
    store: HistoryStoreOpt = None,
    lang: LangOpt = None,
) -> None:
    """Add JSON reports to the store, each as a round (reports of one run join one round).

    A report already in the store adds nothing, however it was formatted: reports are
    known by the digest of their canonical JSON. Reports of every release of the report
    schema 1.x are read. A file that cannot be read is one line on stderr; the others are
    still added (exit 2 at the end). A folder contributes its *.json files (not its
    subfolders).

    Examples:

      endpoint-audit history import audit-2026-04/fleet.json

      endpoint-audit history import audit-*/fleet.json --store //fs01/audit$/history.sqlite3
    """
    from endpoint_audit.history.ingest import ReportError, parse_report
    from endpoint_audit.history.store import StoreError
    from endpoint_audit.model import i18n
    from endpoint_audit.safe_read import REPORT, InputRefused, read_input

    language = resolve_lang(lang)
    files = report_files(inputs)
    target = open_store(store, create=True)
    added = known = failed = 0
    try:
        for path in files:
            try:
                incoming = parse_report(read_input(path, REPORT))
                result = target.add(incoming, str(path))
            except (OSError, InputRefused, ReportError, StoreError, sqlite3.Error) as exc:
                failed += 1
                if isinstance(exc, InputRefused):
                    reason: object = exc.reason
                elif isinstance(exc, OSError) and exc.strerror:
                    reason = exc.strerror
                else:
                    reason = exc
                warn(i18n.t(language, "history.note.failed", file=path, reason=reason))
                continue
            if result.added:
                added += 1
                note = i18n.t(
                    language,
                    "history.note.added",
                    file=path,
                    round=result.round_id,
                    hosts=result.hosts_added,
                    replaced=result.hosts_replaced,
                    kept=result.hosts_kept,
                )
            else:
                known += 1
                note = i18n.t(language, "history.note.known", file=path, round=result.round_id)
            say(note)
    finally:
        target.close()
    summary = i18n.t(
        language, "history.note.summary", added=added, known=known, failed=failed, store=target.path
    )
    say(summary)
    raise typer.Exit(ExitCode.CONFIG if failed else ExitCode.OK)


# -- reading --------------------------------------------------------------------------


@app.command("list")
def list_(
    store: HistoryStoreOpt = None,
    last: LastOpt = None,
    format: FormatOpt = Format.TERMINAL,
    output: OutputOpt = None,
    lang: LangOpt = None,
) -> None:
    """The rounds in the store, oldest first: hosts, reached, compliant, failures.

    A round's compliance is its fully compliant hosts over all its hosts (an unreachable
    host is not compliant). An interrupted round is marked incomplete.
    """
    from endpoint_audit.history.queries import list_rounds
    from endpoint_audit.model.history import RoundRow
    from endpoint_audit.render.history_csv import rounds_csv
    from endpoint_audit.render.history_text import rounds_text

    language = resolve_lang(lang)
    with _reading(store) as opened:
        rows = list_rounds(opened, last)

    class Rounds(BaseModel):
        rounds: list[RoundRow]

    emit(
        format,
        output,
        Rounds(rounds=rows),
        lambda c, w: rounds_text(rows, language, c, w),
        lambda: rounds_csv(rows, language),
    )


@app.command("host")
def host(
    name: Annotated[str, typer.Argument(help="Any name the PC had, or its machine id.")],
    store: HistoryStoreOpt = None,
    last: LastOpt = None,
    as_of: AsOfOpt = None,
    format: FormatOpt = Format.TERMINAL,
    output: OutputOpt = None,
    lang: LangOpt = None,
) -> None:
    """The timeline of one PC: each round's state per check, and its open failures with
    the date each began and the days it has been open (terminal and json; csv holds the
    rounds table, one row per round, for a spreadsheet).

    A PC renamed between rounds keeps one timeline where its reports carry a machine id.
    """
    from endpoint_audit.history.queries import HistoryLookupError, host_timeline
    from endpoint_audit.render.history_csv import host_csv
    from endpoint_audit.render.history_text import host_text

    language = resolve_lang(lang)
    moment = parse_as_of(as_of)
    with _reading(store) as opened:
        try:
            timeline = host_timeline(opened, name, language, moment, last)
        except HistoryLookupError as exc:
            _lookup_fail(exc)
    emit(
        format,
        output,
        timeline,
        lambda c, w: host_text(timeline, language, c, w),
        lambda: host_csv(timeline, language),
    )


@app.command("check")
def check(
    check_id: Annotated[str, typer.Argument(help="A check id, as `checks list` shows it.")],
    store: HistoryStoreOpt = None,
    last: LastOpt = None,
    as_of: AsOfOpt = None,
    format: FormatOpt = Format.TERMINAL,
    output: OutputOpt = None,
    lang: LangOpt = None,
) -> None:
    """One check over the rounds (hosts per state, compliance), and the PCs failing it in
    the latest round that ran it, longest open first."""
    from endpoint_audit.history.queries import HistoryLookupError, check_timeline
    from endpoint_audit.render.history_csv import check_csv
    from endpoint_audit.render.history_text import check_text

    language = resolve_lang(lang)
    moment = parse_as_of(as_of)
    with _reading(store) as opened:
        try:
            timeline = check_timeline(opened, check_id, language, moment, last)
        except HistoryLookupError as exc:
            _lookup_fail(exc)
    emit(
        format,
        output,
        timeline,
        lambda c, w: check_text(timeline, language, c, w),
        lambda: check_csv(timeline, language),
    )


@app.command("diff")
def diff(
    round_a: Annotated[
        str | None,
        typer.Argument(help="The earlier round (default: the one before ROUND_B)."),
    ] = None,
    round_b: Annotated[
        str | None, typer.Argument(help="The later round (default: the latest).")
    ] = None,
    store: HistoryStoreOpt = None,
    group: GroupOpt = None,
    format: FormatOpt = Format.TERMINAL,
    output: OutputOpt = None,
    lang: LangOpt = None,
) -> None:
    """What changed between two rounds, per PC, check and resource (exit 1 when a new
    failure appeared, else 3 when a failure is not verified, else 0).

    Rounds are named by their number (`history list`), a run id, `latest` or
    `previous`; ROUND_A must not have finished after ROUND_B (exit 2). new: fails now,
    did not before. fixed: failed before, and the round reached the PC and saw the check
    conclusively not failing. still failing: with the date it began. now waived: fails
    under a waiver in force. not verified: failed before, and the later round could not
    tell (PC unreachable or not in the round, check unknown, error or not run): never
    counted as fixed.

      endpoint-audit history diff                 # the latest round against the one before

      endpoint-audit history diff 10              # from round 10 to the latest

      endpoint-audit history diff 12 15 -f csv -o changes.csv
    """
    from endpoint_audit.history.queries import (
        HistoryLookupError,
        diff_rounds,
        ordered_round_ids,
        resolve_round,
        round_before,
    )
    from endpoint_audit.model.history import Change
    from endpoint_audit.render.history_csv import diff_csv
    from endpoint_audit.render.history_text import diff_text

    language = resolve_lang(lang)
    with _reading(store) as opened:
        try:
            b = resolve_round(opened.conn, round_b)
            if round_a is None:
                before = round_before(opened.conn, b)
                if before is None:
                    fail(f"round {b} is the first in the store: nothing to compare it with")
                a = before
            else:
                a = resolve_round(opened.conn, round_a)
                order = ordered_round_ids(opened.conn)
                if order.index(a) > order.index(b):
                    # Reversed, every fix would read as a new failure and back.
                    fail(f"round {a} finished after round {b}: name the earlier round first")
            result = diff_rounds(opened, a, b, language, group)
        except HistoryLookupError as exc:
            _lookup_fail(exc)
    emit(
        format,
        output,
        result,
        lambda c, w: diff_text(result, language, c, w),
        lambda: diff_csv(result, language),
    )
    if result.counts.get("new"):
        raise typer.Exit(ExitCode.FAILED)
    # A failure the later round could not see is not "nothing new" for a script.
    raise typer.Exit(
        ExitCode.INCOMPLETE if result.counts.get(Change.UNVERIFIED.value) else ExitCode.OK
    )


@app.command("stale")
def stale(
    days: Annotated[
        int, typer.Option("--days", min=1, help="Not reached for this many days.")
    ] = 14,
    inventory: Annotated[
        list[Path] | None,
        typer.Option(
            "--inventory",
            "-i",
            help="The PCs that should be seen (inventory file); default: every PC in the store.",
        ),
    ] = None,
    store: HistoryStoreOpt = None,
    group: GroupOpt = None,
    as_of: AsOfOpt = None,
    format: FormatOpt = Format.TERMINAL,
    output: OutputOpt = None,
    lang: LangOpt = None,
) -> None:
    """PCs not reached for --days days or more, never reached ones first (exit 1 when
    there is any, else 0).

    Only the time since a PC was last reached counts: a round that did not include it
    (interrupted, or --limit) is no evidence either way, and an unreachable attempt is
    not a sighting. With --inventory, a PC it names that the store never saw is listed.
    """
    from endpoint_audit.history.queries import stale_hosts
    from endpoint_audit.render.history_csv import stale_csv
    from endpoint_audit.render.history_text import stale_text

    language = resolve_lang(lang)
    moment = parse_as_of(as_of)
    names = inventory_names(inventory) if inventory else None
    with _reading(store) as opened:
        result = stale_hosts(opened, days, moment, names, group)
    emit(
        format,
        output,
        result,
        lambda c, w: stale_text(result, language, c, w),
        lambda: stale_csv(result, language),
    )
    raise typer.Exit(ExitCode.FAILED if result.hosts else ExitCode.OK)


def inventory_names(paths: list[Path]) -> list[str]:
    from endpoint_audit.errors import ConfigError
    from endpoint_audit.inventory import load_inventory

    names: list[str] = []
    for path in paths:
        try:
            names.extend(h.name for h in load_inventory(path))
        except ConfigError as exc:
            fail(str(exc))
    return names


# -- maintenance ----------------------------------------------------------------------


@app.command("prune")
def prune(
    older_than: Annotated[
        int | None,
        typer.Option("--older-than", min=1, help="Remove rounds finished more than DAYS ago."),
    ] = None,
    keep_last: Annotated[
        int | None, typer.Option("--keep-last", min=1, help="Keep the newest N rounds.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only say what would be removed.")
    ] = False,
    store: HistoryStoreOpt = None,
    as_of: AsOfOpt = None,
    lang: LangOpt = None,
) -> None:
    """Remove old rounds (by age, or all but the newest N; with both, only rounds that are
    older and not among the newest N). The newest round is never removed; PCs left with no
    round are forgotten. One transaction, then the file is compacted (VACUUM, which needs
    free space the size of the store). The date each open failure began is kept.

      endpoint-audit history prune --older-than 400 --dry-run
    """
    from endpoint_audit.history.queries import prune as prune_rounds
    from endpoint_audit.render.history_text import prune_text

    if older_than is None and keep_last is None:
        fail("say what to remove: --older-than DAYS and/or --keep-last N")
    language = resolve_lang(lang)
    moment = parse_as_of(as_of)
    with _reading(store) as opened:
        try:
            result = prune_rounds(opened, moment, older_than, keep_last, dry_run)
        except sqlite3.Error as exc:
            fail(f"{opened.path}: not pruned: {exc}")
    sys.stdout.write(prune_text(result, language))


@app.command("backup")
def backup(
    destination: Annotated[Path, typer.Argument(help="The copy to write (a new file).")],
    store: HistoryStoreOpt = None,
) -> None:
    """Write a consistent copy of the store, safe while another command writes to it.
    (When nothing is writing, copying the file itself is just as good.)"""
    if destination.exists():
        fail(f"{destination}: already exists; choose a new file")
    with _reading(store) as opened:
        partial = destination.with_name(destination.name + ".part")
        try:
            opened.backup(partial)
            partial.replace(destination)
        except (OSError, sqlite3.Error) as exc:
            partial.unlink(missing_ok=True)
            fail(f"{destination}: cannot write the copy: {exc}")
    say(f"{opened.path} copied to {destination}")


@app.command("info")
def info(
    store: HistoryStoreOpt = None,
    format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    lang: LangOpt = None,
) -> None:
    """Where the store is, its schema version and size, and what it holds."""
    from endpoint_audit.history.queries import store_info
    from endpoint_audit.render.history_text import info_text

    language = resolve_lang(lang)
    with _reading(store) as opened:
        details = store_info(opened)
    if format == "json":
        write_output(None, details.model_dump_json(indent=2) + "\n")
    elif format == "text":
        write_output(None, info_text(details, language))
    else:
        fail(f"--format {format}: choose text or json")


__all__ = ["app", "parse_as_of"]
