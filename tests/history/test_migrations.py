"""Migration from the first schema version: a store written by version 1 (rebuilt from the
committed SQL dump) opens, is copied aside, migrates in place, keeps every round, PC and
failure date, answers queries and takes new reports with the fields version 2 adds."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from endpoint_audit.history.ingest import from_data
from endpoint_audit.history.migrations import LATEST
from endpoint_audit.history.queries import diff_rounds, host_timeline, list_rounds
from endpoint_audit.history.store import HistoryStore
from endpoint_audit.model.history import Change
from tests.history.reports import T0, WEEK, Host, report_data

DUMP = Path(__file__).parent.parent / "fixtures" / "history" / "store-v1.sql"


def v1_store(path: Path) -> Path:
    with sqlite3.connect(path) as conn:
        conn.executescript(DUMP.read_text(encoding="utf-8"))
    conn.close()
    return path


def columns(conn: sqlite3.Connection) -> dict[str, list[tuple[str, str, int]]]:
    tables = [
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name"
        )
    ]
    return {
        t: [(c[1], c[2], c[3]) for c in conn.execute("SELECT * FROM pragma_table_info(?)", (t,))]
        for t in tables
    }


def indexes(conn: sqlite3.Connection) -> set[str]:
    return {n for (n,) in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'index'")}


def test_the_dump_is_a_version_1_store(tmp_path: Path) -> None:
    path = v1_store(tmp_path / "v1.sqlite3")
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        assert "observation_groups" not in columns(conn)


def test_a_version_1_store_migrates_and_keeps_its_history(tmp_path: Path) -> None:
    path = v1_store(tmp_path / "history.sqlite3")
    with sqlite3.connect(path) as conn:
        before = {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608 - fixed names
            for t in ("rounds", "hosts", "observations", "findings", "texts", "waivers")
        }
    conn.close()
    store = HistoryStore.open(path)
    assert store.migrated_from == 1 and store.version == LATEST == 2
    # The store as it was is kept beside it, still at version 1.
    backup = tmp_path / "history.sqlite3.v1-backup"
    with sqlite3.connect(backup) as copy:
        assert copy.execute("PRAGMA user_version").fetchone()[0] == 1
    copy.close()
    for table, n in before.items():
        assert store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == n  # noqa: S608
    rounds = list_rounds(store)
    assert [r.id for r in rounds] == [1, 2, 3] and rounds[2].partial == "interrupted"
    # The renamed PC is one host, its failure kept its first date; the waiver expired.
    renamed = host_timeline(store, "pc-soumu-001", "en", T0 + 3 * WEEK)
    assert renamed.name == "pc-soumu-001-renamed" and len(renamed.rounds) == 3
    diff = diff_rounds(store, 1, 2, "en")
    firewall = next(e for e in diff.entries if e.check_id == "firewall")
    assert firewall.change is Change.NEW and firewall.reason == "waiver_ended"
    # New reports use what version 2 adds: groups, machine ids per result.
    data = report_data(
        [Host("pc-soumu-002", groups=("honcho", "総務課"), machine_id="mid-9")], T0 + 3 * WEEK
    )
    store.add(from_data(data), "week-4.json")
    timeline = host_timeline(store, "pc-soumu-002", "en", T0 + 4 * WEEK)
    assert timeline.groups == ["honcho", "総務課"] and len(timeline.rounds) == 4
    store.close()


def test_a_migrated_store_has_the_schema_of_a_new_one(tmp_path: Path) -> None:
    migrated = HistoryStore.open(v1_store(tmp_path / "old.sqlite3"))
    fresh = HistoryStore.open(tmp_path / "new.sqlite3")
    assert columns(migrated.conn) == columns(fresh.conn)
    assert indexes(migrated.conn) == indexes(fresh.conn)
    assert {"observations_by_host", "rounds_by_time", "observation_groups_by_name"} <= indexes(
        fresh.conn
    )
    migrated.close()
    fresh.close()


def test_opening_a_current_store_again_migrates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    HistoryStore.open(path).close()
    again = HistoryStore.open(path)
    assert again.migrated_from == LATEST
    again.close()
    assert not list(tmp_path.glob("*-backup"))
