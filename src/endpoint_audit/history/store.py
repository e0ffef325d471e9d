"""The history store: one SQLite file of rounds, hosts, findings and waivers.

A round is one audit run: the reports of a run that carry a run id (a fleet report and
its per-host reports) join one round; a report without one is a round of its own. The
same report twice adds nothing (see `ingest`). A host is known by its machine id where
reports carry one, so a renamed PC keeps its history, and by its name otherwise.

For every failure the store keeps when it was first seen failing: the time of the first
round of its unbroken run of failures. Only a round that reached the host and saw the
check conclusively not failing breaks it; an unreachable host, an `unknown` or a check
that did not run is not a fix. The date is kept with the finding, so pruning old rounds
never shortens how long a failure has been open.

The file uses SQLite's rollback journal (not WAL): between writes it is one file, which
can be copied to a share or a backup as it is (see `backup` for a copy during use).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from msgspec import Struct

from endpoint_audit.history.ingest import IncomingHost, IncomingReport, ReportError
from endpoint_audit.history.migrations import StoreVersionError, migrate, schema_version
from endpoint_audit.history.observe import FindingRow, Observation, TextRow, WaiverRow, observe
from endpoint_audit.history.timefmt import to_text
from endpoint_audit.model.result import RunReport
from endpoint_audit.model.verdict import expected_checks

BUSY_TIMEOUT_MS = 15_000
_AFTER_ALL = 1 << 62  # an observation id later than any stored one
Key = tuple[str, str]  # (check id, resource)


class StoreError(RuntimeError):
    """The store cannot be opened or written; the message names the file and why."""


class AddResult(Struct, frozen=True):
    round_id: int
    added: bool  # False: this very report was already in the store
    hosts_added: int = 0
    hosts_replaced: int = 0  # an older result of the same host in the same run
    hosts_kept: int = 0  # the store already had a newer result of the host in this run


class HistoryStore:
    def __init__(self, path: Path, conn: sqlite3.Connection, migrated_from: int) -> None:
        self.path = path
        self.conn = conn
        self.migrated_from = migrated_from
        self._texts: dict[str, int] = {}
        self._waivers: dict[str, int] = {}
        self._ceiling = to_text(datetime.now(UTC))  # no stored time is later (see add)

    # -- opening ------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path, create: bool = True) -> HistoryStore:
        """Open (and create or migrate) the store. StoreError says why it cannot be."""
        if not create and not path.is_file():
            raise StoreError(f"{path}: no history store here (add reports with `history import`)")
        if path.exists() and not path.is_file():
            raise StoreError(f"{path}: not a file")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{path.parent}: cannot create the folder: {exc.strerror}") from None
        try:
            conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot open: {exc}") from None
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            # One file between writes (share- and backup-friendly); WAL would add -wal and
            # -shm files beside it and does not work on network shares.
            conn.execute("PRAGMA journal_mode = DELETE")
            conn.execute("PRAGMA synchronous = FULL")
            before = migrate(conn, path)
        except StoreVersionError as exc:
            conn.close()
            raise StoreError(f"{path}: {exc}") from None
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(f"{path}: not a usable history store: {exc}") from None
        return cls(path, conn, before)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def version(self) -> int:
        return schema_version(self.conn)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it is stored, or none of it."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            self._texts.clear()
            self._waivers.clear()
            raise
        self.conn.execute("COMMIT")

    def backup(self, target: Path) -> None:
        """A consistent copy of the store, even while another process writes to it."""
        copy = sqlite3.connect(target)
        try:
            self.conn.backup(copy)
        finally:
            copy.close()

    def forget_cached_ids(self) -> None:
        self._texts.clear()
        self._waivers.clear()

    # -- adding a report ----------------------------------------------------------------
    def add(self, incoming: IncomingReport, source: str, now: datetime | None = None) -> AddResult:
        """Add one report (one transaction). Idempotent: a report already stored adds
        nothing. A report of a run already stored joins that run's round; a host it has
        again keeps the newer of its two results. A time later than `now` (a clock that
        runs ahead) is stored as `now`: it would otherwise stay the latest, and fresh, for
        ever, and be left out of every view as of now."""
        stamp = to_text(now or datetime.now(UTC))
        self._ceiling = stamp
        with self.transaction() as db:
            known = db.execute(
                "SELECT round_id FROM reports WHERE digest = ?", (incoming.digest,)
            ).fetchone()
            if known is not None:
                return AddResult(round_id=int(known[0]), added=False)
            round_id = self._round_for(incoming, source, stamp)
            report = incoming.report
            db.execute(
                "INSERT INTO reports (digest, round_id, source, schema_version, finished_at,"
                " hosts, partial_reason, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    incoming.digest,
                    round_id,
                    source,
                    report.schema_version,
                    self._clamped(report.finished_at),
                    len(report.hosts),
                    incoming.partial.reason if incoming.partial else None,
                    stamp,
                ),
            )
            db.execute(
                "UPDATE rounds SET started_at = min(started_at, ?) WHERE id = ?",
                (self._clamped(report.started_at), round_id),
            )
            if incoming.partial is not None and incoming.partial.hosts_planned is not None:
                db.execute(
                    "UPDATE rounds SET hosts_planned = ? WHERE id = ?",
                    (incoming.partial.hosts_planned, round_id),
                )
            self._update_checks(report)
            counts = {"added": 0, "replaced": 0, "kept": 0}
            used: set[int] = set()
            for host in incoming.hosts:
                outcome = self._add_host(round_id, incoming, host, used)
                counts[outcome] += 1
            self._settle_round(round_id)
        return AddResult(
            round_id=round_id,
            added=True,
            hosts_added=counts["added"],
            hosts_replaced=counts["replaced"],
            hosts_kept=counts["kept"],
        )

    def _clamped(self, value: datetime) -> str:
        return min(to_text(value), self._ceiling)

    def _round_for(self, incoming: IncomingReport, source: str, stamp: str) -> int:
        report = incoming.report
        if incoming.run_id is not None:
            row = self.conn.execute(
                "SELECT id, baseline_sha256 FROM rounds WHERE run_id = ?", (incoming.run_id,)
            ).fetchone()
            if row is not None and row[1] != report.baseline.sha256:
                # One round is one run of one baseline; its figures would mix two rule sets.
                raise ReportError(
                    f"run {incoming.run_id!r} is in the store (round {row[0]}) with another "
                    f"baseline (sha256 {str(row[1])[:12]}, this report "
                    f"{report.baseline.sha256[:12]})"
                )
            if row is not None:
                return int(row[0])
        base = report.baseline
        cursor = self.conn.execute(
            "INSERT INTO rounds (run_id, started_at, finished_at, baseline_id, baseline_version,"
            " baseline_sha256, tool_version, lang, partial_reason, hosts_planned, source,"
            " imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?)",
            (
                incoming.run_id,
                self._clamped(report.started_at),
                self._clamped(report.finished_at),
                base.id,
                base.version,
                base.sha256,
                report.tool.version,
                report.lang,
                source,
                stamp,
            ),
        )
        return int(cursor.lastrowid or 0)

    def _settle_round(self, round_id: int) -> None:
        """A round's times span its reports; it is partial when the newest report that
        speaks for the whole run (a fleet report, or one marked partial) says so (of two
        that finished at the same time, the complete one)."""
        db = self.conn
        db.execute(
            "UPDATE rounds SET finished_at = (SELECT max(finished_at) FROM reports"
            " WHERE round_id = ?) WHERE id = ?",
            (round_id, round_id),
        )
        row = db.execute(
            "SELECT partial_reason FROM reports WHERE round_id = ?"
            " AND (hosts != 1 OR partial_reason IS NOT NULL)"
            " ORDER BY finished_at DESC, partial_reason IS NULL DESC LIMIT 1",
            (round_id,),
        ).fetchone()
        db.execute(
            "UPDATE rounds SET partial_reason = ? WHERE id = ?",
            (row[0] if row else None, round_id),
        )

    def _update_checks(self, report: RunReport) -> None:
        stamp = self._clamped(report.finished_at)  # a clock ahead must not pin the titles
        self.conn.executemany(
            "INSERT INTO checks (check_id, title_en, title_ja, severity, updated_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (check_id) DO UPDATE SET"
            " title_en = excluded.title_en, title_ja = excluded.title_ja,"
            " severity = excluded.severity, updated_at = excluded.updated_at"
            " WHERE excluded.updated_at >= checks.updated_at",
            [
                (
                    cid,
                    info.title.get("en") or next(iter(info.title.values()), cid),
                    info.title.get("ja") or info.title.get("en") or cid,
                    info.severity.value,
                    stamp,
                )
                for cid, info in report.checks.items()
            ],
        )

    # -- hosts --------------------------------------------------------------------------
    def _resolve_host(
        self, name: str, machine_id: str | None, at: str, used: set[int]
    ) -> tuple[int, str | None]:
        """The host a result belongs to: by machine id where known, else by name.

        `used` are the hosts already given a result of this report: a second result under
        the same name (two PCs claiming one name) is another host, never a replacement.
        Returns the host id and the machine id to record (None when not to set it).
        """
        db = self.conn
        if machine_id is not None:
            row = db.execute("SELECT id FROM hosts WHERE machine_id = ?", (machine_id,)).fetchone()
            if row is not None and int(row[0]) not in used:
                return int(row[0]), None
            if row is not None:
                machine_id = None  # a cloned machine id inside one report: tell them by name
        candidates = db.execute(
            "SELECT h.id, h.name, h.machine_id FROM host_names n JOIN hosts h ON h.id = n.host_id"
            " WHERE n.name_key = ? ORDER BY h.last_observed DESC, h.id DESC",
            (name.casefold(),),
        ).fetchall()
        # The host that has this name now comes first, then any that had it.
        candidates.sort(key=lambda r: r[1].casefold() != name.casefold())
        for host_id, _, known_mid in candidates:
            if int(host_id) in used:
                continue
            if machine_id is not None and known_mid is not None:
                continue  # another machine that once had this name
            return int(host_id), machine_id
        cursor = db.execute(
            "INSERT INTO hosts (name, machine_id, first_seen, last_observed, last_reached)"
            " VALUES (?, ?, ?, ?, NULL)",
            (name, machine_id, at, at),
        )
        return int(cursor.lastrowid or 0), None

    def _touch_host(
        self, host_id: int, name: str, machine_id: str | None, at: str, reached: bool
    ) -> None:
        db = self.conn
        if machine_id is not None:
            db.execute("UPDATE hosts SET machine_id = ? WHERE id = ?", (machine_id, host_id))
        db.execute(
            "UPDATE hosts SET"
            " name = CASE WHEN ? >= last_observed THEN ? ELSE name END,"
            " last_observed = max(last_observed, ?),"
            " first_seen = min(first_seen, ?),"
            " last_reached = CASE WHEN ? THEN max(coalesce(last_reached, ''), ?)"
            " ELSE last_reached END WHERE id = ?",
            (at, name, at, at, int(reached), at, host_id),
        )
        db.execute(
            "INSERT INTO host_names (name_key, host_id, name, first_used, last_used)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (name_key, host_id) DO UPDATE SET"
            " first_used = min(first_used, excluded.first_used),"
            " last_used = max(last_used, excluded.last_used),"
            " name = CASE WHEN excluded.last_used >= last_used THEN excluded.name ELSE name END",
            (name.casefold(), host_id, name, at, at),
        )

    def _add_host(
        self, round_id: int, incoming: IncomingReport, host: IncomingHost, used: set[int]
    ) -> str:
        at = self._clamped(host.at)
        report = host.report
        host_id, new_mid = self._resolve_host(report.target, host.machine_id, at, used)
        used.add(host_id)
        db = self.conn
        existing = db.execute(
            "SELECT id, at FROM observations WHERE round_id = ? AND host_id = ?",
            (round_id, host_id),
        ).fetchone()
        outcome = "added"
        recompute_from = at
        if existing is not None:
            if existing[1] >= at:
                return "kept"
            db.execute("DELETE FROM observations WHERE id = ?", (existing[0],))
            outcome, recompute_from = "replaced", min(existing[1], at)
        checks = expected_checks(incoming.report, report)
        seen = observe(report, host.raw_findings, incoming.report.lang, checks)
        obs_id = self._insert_observation(round_id, host_id, incoming.digest, host, at, seen)
        self._touch_host(host_id, report.target, new_mid, at, seen.reached)
        self._recompute_after(host_id, recompute_from, obs_id)
        return outcome

    # -- observations -------------------------------------------------------------------
    def _text_id(self, text: TextRow) -> int:
        cached = self._texts.get(text.digest)
        if cached is not None:
            return cached
        db = self.conn
        row = db.execute("SELECT id FROM texts WHERE digest = ?", (text.digest,)).fetchone()
        if row is None:
            cursor = db.execute(
                "INSERT INTO texts (digest, lang, message, message_key, message_args)"
                " VALUES (?, ?, ?, ?, ?)",
                (text.digest, text.lang, text.message, text.key, text.args),
            )
            row = (cursor.lastrowid,)
        self._texts[text.digest] = int(row[0])
        return int(row[0])

    def _waiver_id(self, waiver: WaiverRow | None) -> int | None:
        if waiver is None:
            return None
        cached = self._waivers.get(waiver.digest)
        if cached is not None:
            return cached
        db = self.conn
        row = db.execute("SELECT id FROM waivers WHERE digest = ?", (waiver.digest,)).fetchone()
        if row is None:
            cursor = db.execute(
                "INSERT INTO waivers (digest, waiver_id, justification, approver, expires,"
                " approved, timezone) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (waiver.digest, waiver.waiver_id, waiver.justification, waiver.approver,
                 waiver.expires, waiver.approved, waiver.timezone),
            )  # fmt: skip
            row = (cursor.lastrowid,)
        self._waivers[waiver.digest] = int(row[0])
        return int(row[0])

    def _insert_observation(
        self,
        round_id: int,
        host_id: int,
        digest: str,
        host: IncomingHost,
        at: str,
        seen: Observation,
    ) -> int:
        db = self.conn
        cursor = db.execute(
            "INSERT INTO observations (round_id, host_id, report_digest, target, at, reached,"
            " reason, os_family, os_name, applicable, compliant_checks, compliant, failures,"
            " patch_days, reboot_pending, machine_id, source, transcript_sha256, ssh_host_key)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                round_id, host_id, digest, host.report.target, at, int(seen.reached),
                seen.reason, seen.os_family, seen.os_name, seen.applicable,
                seen.compliant_checks, int(seen.compliant), seen.failures, seen.patch_days,
                None if seen.reboot_pending is None else int(seen.reboot_pending),
                host.machine_id, host.source, host.transcript_sha256, host.ssh_host_key,
            ),
        )  # fmt: skip
        obs_id = int(cursor.lastrowid or 0)
        groups = dict.fromkeys(g.strip() for g in host.report.groups if g.strip())
        db.executemany(
            "INSERT INTO observation_groups (observation_id, name, position) VALUES (?, ?, ?)",
            [(obs_id, name, i) for i, name in enumerate(groups)],
        )
        if not seen.reached:
            return obs_id
        db.executemany(
            "INSERT INTO observation_checks (observation_id, check_id, state, waived, conclusive)"
            " VALUES (?, ?, ?, ?, ?)",
            [(obs_id, c.check_id, c.state, int(c.waived), int(c.conclusive)) for c in seen.checks],
        )
        failing = [(f.check_id, f.resource) for f in seen.findings if f.status == "fail"]
        since = self._since(host_id, at, obs_id, failing) if failing else {}
        db.executemany(
            "INSERT INTO findings (observation_id, check_id, resource, status, severity,"
            " counted, waiver_id, waiver_state, text_id, failing_since)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [self._finding_values(obs_id, f, since) for f in seen.findings],
        )
        return obs_id

    def _finding_values(self, obs_id: int, f: FindingRow, since: dict[Key, str]) -> tuple[Any, ...]:
        return (
            obs_id, f.check_id, f.resource, f.status, f.severity, int(f.counted),
            self._waiver_id(f.waiver), f.waiver_state, self._text_id(f.text),
            since.get((f.check_id, f.resource)),
        )  # fmt: skip

    # -- how long failures have been open -----------------------------------------------
    def _since(self, host_id: int, at: str, obs_id: int, keys: Iterable[Key]) -> dict[Key, str]:
        """For each failing (check, resource) of the observation at `at`: when its run of
        failures began. Earlier observations of the host are read newest first until each
        key meets a failure (its run continues) or a conclusive non-failure (it starts now).
        """
        open_keys = set(keys)
        out: dict[Key, str] = {}
        db = self.conn
        earlier = db.execute(
            "SELECT id FROM observations WHERE host_id = ? AND reached = 1"
            " AND (at < ? OR (at = ? AND id < ?)) ORDER BY at DESC, id DESC",
            (host_id, at, at, obs_id),
        )
        for (prev_id,) in earlier:
            if not open_keys:
                break
            found = {
                (c, r): (s, since)
                for c, r, s, since in db.execute(
                    "SELECT check_id, resource, status, failing_since FROM findings"
                    " WHERE observation_id = ?",
                    (prev_id,),
                )
            }
            conclusive = dict(
                db.execute(
                    "SELECT check_id, conclusive FROM observation_checks WHERE observation_id = ?",
                    (prev_id,),
                ).fetchall()
            )
            for key in list(open_keys):
                if key in found:
                    status, since = found[key]
                    if status == "fail":
                        out[key] = since or at
                    elif status in ("unknown", "error"):
                        continue  # could not see: look further back
                    else:
                        out[key] = at  # passed (or did not apply) then: a new failure
                elif conclusive.get(key[0]):
                    out[key] = at  # the check ran, saw everything, and named no failure
                else:
                    continue  # the check did not run, or could not see
                open_keys.discard(key)
        for key in open_keys:
            out[key] = at
        return out

    def _recompute_after(self, host_id: int, at: str, obs_id: int) -> None:
        """Results stored out of order: the later observations of the host get their
        failure dates again, oldest first."""
        db = self.conn
        later = db.execute(
            "SELECT id, at FROM observations WHERE host_id = ? AND reached = 1"
            " AND id != ? AND (at > ? OR (at = ? AND id > ?)) ORDER BY at, id",
            (host_id, obs_id, at, at, obs_id),
        ).fetchall()
        for later_id, later_at in later:
            keys = db.execute(
                "SELECT check_id, resource FROM findings WHERE observation_id = ?"
                " AND status = 'fail'",
                (later_id,),
            ).fetchall()
            if not keys:
                continue
            since = self._since(host_id, later_at, later_id, [(c, r) for c, r in keys])
            db.executemany(
                "UPDATE findings SET failing_since = ? WHERE observation_id = ?"
                " AND check_id = ? AND resource = ?",
                [(s, later_id, c, r) for (c, r), s in since.items()],
            )
