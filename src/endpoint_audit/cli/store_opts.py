"""The history store on the command line: `--store`, opening it with one-line errors, and
the hook by which `scan`, `evaluate` and `report merge` add the report they made."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from endpoint_audit.cli.common import fail, say
from endpoint_audit.model import i18n
from endpoint_audit.model.result import RunReport

if TYPE_CHECKING:
    from endpoint_audit.history.store import HistoryStore

STORE_ENV = "ENDPOINT_AUDIT_STORE"  # as history.location; repeated so --help stays light

StoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store",
        envvar=STORE_ENV,
        show_envvar=True,
        help=(
            "History store (SQLite file) to add this run's report to, as a round; see "
            "`endpoint-audit history --help`. Nothing is stored without it. Exit 2 if it "
            "cannot be used (checked first), 4 if adding the report fails."
        ),
    ),
]
HistoryStoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store",
        envvar=STORE_ENV,
        show_envvar=True,
        help="The history store (SQLite file). Default: history.sqlite3 in the user data folder.",
    ),
]


def open_store(path: Path | None, create: bool) -> HistoryStore:
    """The store at `path` (or the configured or default one); one line and exit 2 if it
    cannot be opened."""
    from endpoint_audit.history.location import store_path
    from endpoint_audit.history.store import HistoryStore, StoreError

    try:
        return HistoryStore.open(store_path(path), create=create)
    except StoreError as exc:
        fail(str(exc))


def check_store(path: Path | None) -> None:
    """Before a long audit: the store given can be opened and written (exit 2 if not)."""
    if path is not None:
        open_store(path, create=True).close()


def add_to_store(
    report: RunReport, path: Path | None, source: str, lang: str, interrupted: bool = False
) -> str | None:
    """Add a report just made to the store named by --store (or ENDPOINT_AUDIT_STORE), if
    any. Its outputs are already written, so no result is lost: a store that fails now is
    one error line, returned to the caller, which exits 4 (an output not written)."""
    if path is None:
        return None
    import sqlite3  # with the store: a run without --store never opens one

    from endpoint_audit.history.ingest import ReportError, from_data
    from endpoint_audit.history.location import store_path
    from endpoint_audit.history.store import HistoryStore, StoreError

    target = store_path(path)
    problem: str | None = None
    try:
        store = HistoryStore.open(target, create=True)
        try:
            # The report as its JSON file holds it: `history import` of that file adds
            # nothing more.
            incoming = from_data(json.loads(report.model_dump_json()), interrupted=interrupted)
            result = store.add(incoming, source, datetime.now(UTC))
        finally:
            store.close()
    except StoreError as exc:  # already names the file
        problem = f"{exc}; the report was not added to the history store"
    except (ReportError, OSError, sqlite3.Error) as exc:
        problem = f"{target}: the report was not added to the history store: {exc}"
    if problem is not None:
        say(f"error: {problem}")
        return problem
    note = i18n.t(lang, "history.note.scan", store=target, round=result.round_id)
    say(note)
    return None
