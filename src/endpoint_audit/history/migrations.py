"""The store's schema, versioned: PRAGMA user_version says which migrations have run.

Each migration is one SQL script run in one transaction, so a store is always at one
version or the one before, never in between. A store written by a newer version of the
tool (a higher user_version) is refused, never half-read. Before an existing store with
data is migrated, a copy of it is kept beside it (`history.sqlite3.v1-backup`).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

# Marks the file as an endpoint-audit store ("EAUD"), so that another program's SQLite
# file is refused instead of being written into.
APPLICATION_ID = 0x45415544

V1 = """
CREATE TABLE rounds (
    id INTEGER PRIMARY KEY,
    run_id TEXT UNIQUE,              -- the run's id when its reports carry one
    started_at TEXT NOT NULL,        -- UTC, YYYY-MM-DDTHH:MM:SSZ
    finished_at TEXT NOT NULL,
    baseline_id TEXT NOT NULL,
    baseline_version TEXT NOT NULL,
    baseline_sha256 TEXT NOT NULL,
    tool_version TEXT NOT NULL,
    lang TEXT NOT NULL,
    partial_reason TEXT,             -- set when the round was interrupted
    hosts_planned INTEGER,
    source TEXT NOT NULL,            -- the file (or command) its first report came from
    imported_at TEXT NOT NULL
);
CREATE INDEX rounds_by_time ON rounds (finished_at);

-- Every report added, by the digest of its canonical JSON: the same report twice adds
-- nothing.
CREATE TABLE reports (
    digest TEXT PRIMARY KEY,
    round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    schema_version TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    hosts INTEGER NOT NULL,
    partial_reason TEXT,
    imported_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX reports_by_round ON reports (round_id);

CREATE TABLE checks (
    check_id TEXT PRIMARY KEY,
    title_en TEXT NOT NULL,
    title_ja TEXT NOT NULL,
    severity TEXT NOT NULL,
    updated_at TEXT NOT NULL
) WITHOUT ROWID;

-- A PC across rounds: by its machine id where reports carry one, else by its name.
CREATE TABLE hosts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,              -- the name of its newest observation
    machine_id TEXT UNIQUE,
    first_seen TEXT NOT NULL,
    last_observed TEXT NOT NULL,
    last_reached TEXT                -- NULL: never reached
);
CREATE INDEX hosts_by_last_reached ON hosts (last_reached);

CREATE TABLE host_names (
    name_key TEXT NOT NULL,          -- casefolded
    host_id INTEGER NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    first_used TEXT NOT NULL,
    last_used TEXT NOT NULL,
    PRIMARY KEY (name_key, host_id)
) WITHOUT ROWID;
CREATE INDEX host_names_by_host ON host_names (host_id);

-- One host in one round.
CREATE TABLE observations (
    id INTEGER PRIMARY KEY,
    round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    host_id INTEGER NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    report_digest TEXT NOT NULL,
    target TEXT NOT NULL,            -- the name the report gave it
    at TEXT NOT NULL,                -- when the host's audit finished
    reached INTEGER NOT NULL,
    reason TEXT,                     -- why it was unreachable
    os_family TEXT,
    os_name TEXT,
    applicable INTEGER NOT NULL,     -- checks that apply
    compliant_checks INTEGER NOT NULL,
    compliant INTEGER NOT NULL,      -- reached, and every applicable check compliant
    failures INTEGER NOT NULL,       -- findings that count as failures
    patch_days INTEGER,              -- patch_level: days since updates were installed
    reboot_pending INTEGER,
    UNIQUE (round_id, host_id)
);
CREATE INDEX observations_by_host ON observations (host_id, at);

CREATE TABLE observation_checks (
    observation_id INTEGER NOT NULL REFERENCES observations (id) ON DELETE CASCADE,
    check_id TEXT NOT NULL,
    state TEXT NOT NULL,             -- the check's state on the host, waivers applied
    waived INTEGER NOT NULL,
    conclusive INTEGER NOT NULL,     -- no unknown/error: a resource it does not name is fine
    PRIMARY KEY (observation_id, check_id)
) WITHOUT ROWID;
CREATE INDEX observation_checks_by_check ON observation_checks (check_id);

CREATE TABLE texts (
    id INTEGER PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    lang TEXT NOT NULL,
    message TEXT NOT NULL,
    message_key TEXT NOT NULL,
    message_args TEXT NOT NULL       -- JSON
);

CREATE TABLE waivers (
    id INTEGER PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    waiver_id TEXT,
    justification TEXT NOT NULL,
    approver TEXT NOT NULL,
    expires TEXT NOT NULL            -- ISO date, the last day it applies
);

CREATE TABLE findings (
    observation_id INTEGER NOT NULL REFERENCES observations (id) ON DELETE CASCADE,
    check_id TEXT NOT NULL,
    resource TEXT NOT NULL,          -- '' when the finding names none
    status TEXT NOT NULL,
    severity TEXT NOT NULL,
    counted INTEGER NOT NULL,        -- a failure that counts (no waiver in force)
    waiver_id INTEGER REFERENCES waivers (id),
    waiver_state TEXT,               -- in_force, expired, pending
    text_id INTEGER NOT NULL REFERENCES texts (id),
    failing_since TEXT,              -- status fail: when this failure was first seen
    PRIMARY KEY (observation_id, check_id, resource)
) WITHOUT ROWID;
"""

# Host groups; what newer reports say about a host (machine id, source file, the digest
# of its command transcript and its SSH host key); the first day and zone of a waiver.
V2 = """
CREATE TABLE observation_groups (
    observation_id INTEGER NOT NULL REFERENCES observations (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    position INTEGER NOT NULL,       -- inventory order: outermost group first
    PRIMARY KEY (observation_id, name)
) WITHOUT ROWID;
CREATE INDEX observation_groups_by_name ON observation_groups (name);
ALTER TABLE observations ADD COLUMN machine_id TEXT;
ALTER TABLE observations ADD COLUMN source TEXT;
ALTER TABLE observations ADD COLUMN transcript_sha256 TEXT;
ALTER TABLE observations ADD COLUMN ssh_host_key TEXT;
ALTER TABLE waivers ADD COLUMN approved TEXT;
ALTER TABLE waivers ADD COLUMN timezone TEXT;
"""

MIGRATIONS: tuple[str, ...] = (V1, V2)
LATEST = len(MIGRATIONS)


class StoreVersionError(RuntimeError):
    """The store is not one this version can use; the message says why."""


def schema_version(conn: sqlite3.Connection) -> int:
    value = conn.execute("PRAGMA user_version").fetchone()[0]
    return int(value)


def _has_tables(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT count(*) FROM sqlite_schema WHERE type = 'table'").fetchone()
    return bool(row[0])


def migrate(conn: sqlite3.Connection, path: Path | None) -> int:
    """Bring the store to the latest schema; returns the version it had before.

    `conn` must be in autocommit mode (isolation_level None): each migration runs in its
    own explicit transaction.
    """
    app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
    version = schema_version(conn)
    if app_id != APPLICATION_ID and (version or _has_tables(conn)):
        raise StoreVersionError("not an endpoint-audit history store (another program's file)")
    if version > LATEST:
        raise StoreVersionError(
            f"the store has schema version {version}, newer than this endpoint-audit knows "
            f"({LATEST}); use a newer endpoint-audit"
        )
    if version == LATEST:
        return version
    if version > 0 and path is not None:
        _keep_copy(conn, path.with_name(f"{path.name}.v{version}-backup"))
    for number in range(version + 1, LATEST + 1):
        script = MIGRATIONS[number - 1]
        try:
            conn.executescript(
                "BEGIN IMMEDIATE;\n"
                f"{script}\n"
                f"PRAGMA application_id = {APPLICATION_ID};\n"
                f"PRAGMA user_version = {number};\n"
                "COMMIT;"
            )
        except sqlite3.Error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return version


def _keep_copy(conn: sqlite3.Connection, target: Path) -> None:
    """A consistent copy of the store as it was (the SQLite backup API)."""
    copy = sqlite3.connect(target)
    try:
        conn.backup(copy)
    finally:
        copy.close()
