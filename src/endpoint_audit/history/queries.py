"""Reading the store: rounds, one PC's timeline, one check's, what changed between two
rounds, PCs not seen, and pruning. Every answer is a model/history type.

What "changed" means between rounds A and B, per host, check and resource:

- new: fails in B (a counted failure), and in A it did not fail, was waived, or A could
  not see it and the failure began after A;
- fixed: failed in A, and B reached the host and saw the check conclusively not failing
  (passed, did not apply, or ran without unknown/error and no longer names the resource);
- still failing: fails in both (or since before A, where A could not see it);
- waived: failed in A, fails in B under a waiver in force;
- not verified: failed in A, and B could not tell: the host was unreachable or not in
  the round, the check was unknown or errored, or did not run. Never counted as fixed.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from msgspec import Struct

from endpoint_audit.history.store import HistoryStore
from endpoint_audit.history.timefmt import from_text, maybe, to_text
from endpoint_audit.model import i18n
from endpoint_audit.model.history import (
    Change,
    CheckRound,
    CheckTimeline,
    DiffEntry,
    HistoryDiff,
    HostRound,
    HostTimeline,
    OpenFailure,
    PruneResult,
    RoundRow,
    StaleHost,
    StaleReport,
    StoreInfo,
)
from endpoint_audit.model.result import Severity, Status
from endpoint_audit.model.verdict import Seen, resource_state

SEVERITY_RANK = {s.value: s.rank for s in Severity}


class HistoryLookupError(LookupError):
    """A round, host or check the store does not have; the message says which."""


def id_list(values: Iterable[int]) -> str:
    """A list of ids as one bound parameter: `IN (SELECT value FROM json_each(?))`."""
    return json.dumps(list(values))


def whole_days(later: datetime, earlier: datetime) -> int:
    return max(0, math.floor((later - earlier) / timedelta(days=1)))


def message_in(lang: str, text_lang: str, message: str, key: str, args: str) -> str:
    """A stored message in `lang`: from the catalog when it knows the key, else as stored."""
    if lang == text_lang or not i18n.has(key):
        return message
    try:
        values = json.loads(args)
    except json.JSONDecodeError:
        return message
    return i18n.t(lang, key, **values) if isinstance(values, dict) else message


def check_titles(conn: sqlite3.Connection, lang: str) -> dict[str, str]:
    sql = (
        "SELECT check_id, title_ja FROM checks"
        if lang == "ja"
        else "SELECT check_id, title_en FROM checks"
    )
    return dict(conn.execute(sql).fetchall())


def groups_of(conn: sqlite3.Connection, obs_ids: Sequence[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    rows = conn.execute(
        "SELECT observation_id, name FROM observation_groups"
        " WHERE observation_id IN (SELECT value FROM json_each(?))"
        " ORDER BY observation_id, position",
        (id_list(obs_ids),),
    )
    for obs_id, name in rows:
        out.setdefault(obs_id, []).append(name)
    return out


# -- rounds ---------------------------------------------------------------------------


_ROUND_SQL = """
SELECT r.id, r.run_id, r.started_at, r.finished_at, r.source, r.baseline_id,
       r.baseline_version, r.baseline_sha256, r.partial_reason, r.hosts_planned,
       count(o.id), coalesce(sum(o.reached), 0), coalesce(sum(o.compliant), 0),
       coalesce(sum(o.failures), 0),
       (SELECT count(*) FROM reports p WHERE p.round_id = r.id)
FROM rounds r LEFT JOIN observations o ON o.round_id = r.id
{where}
GROUP BY r.id ORDER BY r.finished_at, r.id
"""


def round_rows(
    conn: sqlite3.Connection, where: str = "", params: tuple[object, ...] = ()
) -> list[RoundRow]:
    out: list[RoundRow] = []
    for row in conn.execute(_ROUND_SQL.format(where=where), params):
        (rid, run_id, started, finished, source, bid, bver, bsha, partial, planned,
         hosts, reached, compliant, failures, reports) = row  # fmt: skip
        out.append(
            RoundRow(
                id=rid,
                run_id=run_id,
                started_at=from_text(started),
                finished_at=from_text(finished),
                source=source,
                baseline=f"{bid} {bver}",
                baseline_sha256=bsha,
                hosts=hosts,
                reached=reached,
                unreachable=hosts - reached,
                compliant=compliant,
                rate=100.0 * compliant / hosts if hosts else None,
                failures=failures,
                partial=partial,
                hosts_planned=planned,
                reports=reports,
            )
        )
    return out


def list_rounds(store: HistoryStore, last: int | None = None) -> list[RoundRow]:
    rows = round_rows(store.conn)
    return rows[-last:] if last else rows


def ordered_round_ids(conn: sqlite3.Connection) -> list[int]:
    return [r[0] for r in conn.execute("SELECT id FROM rounds ORDER BY finished_at, id")]


def resolve_round(conn: sqlite3.Connection, ref: str | None, fallback: int = -1) -> int:
    """A round by number (as `history list` shows), run id, `latest` or `previous`;
    None means the `fallback`-th from the end (-1 latest, -2 the one before)."""
    order = ordered_round_ids(conn)
    if not order:
        raise HistoryLookupError("the store holds no rounds yet (add some with `history import`)")
    text = (ref or "").strip()
    if not text:
        index = fallback
    elif text == "latest":
        index = -1
    elif text == "previous":
        index = -2
    elif text.lstrip("-").isdigit() and text.startswith("-"):
        index = int(text)
    else:
        if text.isdigit() and int(text) in order:
            return int(text)
        row = conn.execute("SELECT id FROM rounds WHERE run_id = ?", (text,)).fetchone()
        if row is None:
            raise HistoryLookupError(f"round {text!r}: no such round (see `history list`)")
        return int(row[0])
    if -index > len(order) or index >= 0:
        raise HistoryLookupError(
            f"round {text or index}: the store holds only {len(order)} round(s)"
        )
    return order[index]


def round_before(conn: sqlite3.Connection, round_id: int) -> int | None:
    order = ordered_round_ids(conn)
    position = order.index(round_id)
    return order[position - 1] if position > 0 else None


def one_round(conn: sqlite3.Connection, round_id: int) -> RoundRow:
    rows = round_rows(conn, "WHERE r.id = ?", (round_id,))
    if not rows:
        raise HistoryLookupError(f"round {round_id}: no such round")
    return rows[0]


# -- failures -------------------------------------------------------------------------


class StoredFinding(Struct, frozen=True):
    status: str
    counted: bool
    waiver_state: str | None
    since: str | None
    message: str
    severity: str


def open_failures(
    conn: sqlite3.Connection,
    obs_ids: Sequence[int],
    lang: str,
    as_of: datetime,
    check_id: str | None = None,
    only: set[tuple[int, str, str]] | None = None,
) -> list[OpenFailure]:
    """The failing findings of these observations (waived ones flagged), oldest first;
    with `only`, just those (observation id, check id, resource)."""
    titles = check_titles(conn, lang)
    groups = groups_of(conn, obs_ids)
    out: list[OpenFailure] = []
    rows = conn.execute(
        "SELECT o.id, o.target, o.at, f.check_id, f.resource, f.severity, f.counted,"
        " f.failing_since, t.lang, t.message, t.message_key, t.message_args"
        " FROM findings f JOIN observations o ON o.id = f.observation_id"
        " JOIN texts t ON t.id = f.text_id WHERE f.status = 'fail'"
        " AND f.observation_id IN (SELECT value FROM json_each(?))"
        " AND (? IS NULL OR f.check_id = ?)",
        (id_list(obs_ids), check_id, check_id),
    )
    for obs_id, target, at, cid, resource, severity, counted, since, tl, msg, key, args in rows:
        if only is not None and (obs_id, cid, resource) not in only:
            continue
        began = from_text(since or at)
        out.append(
            OpenFailure(
                host=target,
                groups=groups.get(obs_id, []),
                check_id=cid,
                check=titles.get(cid, cid),
                resource=resource,
                severity=severity,
                failing_since=began,
                days_open=whole_days(as_of, began),
                message=message_in(lang, tl, msg, key, args),
                waived=not counted,
                observed_at=from_text(at),
            )
        )
    out.sort(key=lambda f: (f.failing_since, -SEVERITY_RANK.get(f.severity, 0), f.host))
    return out


def unseen_failures(conn: sqlite3.Connection, latest: Sequence[int]) -> set[tuple[int, str, str]]:
    """Failures still open although these (latest reached) observations could not see
    them: an earlier audit of the host saw them failing, and no audit since saw them
    conclusively (the finding became unknown or error, or its check did not see all).
    Returns (observation id that last saw the failure, check id, resource).

    Only hosts whose latest observation has an inconclusive check are walked back, for
    those checks only, and each walk stops once every one of them has been seen whole."""
    blind: dict[int, set[str]] = {}
    for o, c in conn.execute(
        "SELECT observation_id, check_id FROM observation_checks WHERE conclusive = 0"
        " AND observation_id IN (SELECT value FROM json_each(?))",
        (id_list(latest),),
    ):
        blind.setdefault(o, set()).add(c)
    out: set[tuple[int, str, str]] = set()
    for obs_id, unseen in blind.items():
        host_id, at = conn.execute(
            "SELECT host_id, at FROM observations WHERE id = ?", (obs_id,)
        ).fetchone()
        walk = conn.execute(
            "SELECT id FROM observations WHERE host_id = ? AND reached = 1"
            " AND (at < ? OR (at = ? AND id <= ?)) ORDER BY at DESC, id DESC",
            (host_id, at, at, obs_id),
        ).fetchall()
        decided: set[tuple[str, str]] = set()
        decided_checks: set[str] = set()
        for (seen_id,) in walk:
            findings = conn.execute(
                "SELECT check_id, resource, status FROM findings WHERE observation_id = ?",
                (seen_id,),
            ).fetchall()
            checks = dict(
                conn.execute(
                    "SELECT check_id, conclusive FROM observation_checks WHERE observation_id = ?",
                    (seen_id,),
                ).fetchall()
            )
            findings = [f for f in findings if f[0] in unseen]  # only what it could not see
            if seen_id != obs_id:
                for cid, resource, status in findings:
                    key = (cid, resource)
                    if status == "fail" and key not in decided and cid not in decided_checks:
                        out.add((seen_id, cid, resource))
                        decided.add(key)
            # What this audit saw settles the key for every older one: a check that saw
            # everything settles all of its resources (one it no longer names is fixed).
            decided.update((c, r) for c, r, st in findings if st not in ("unknown", "error"))
            decided_checks.update(c for c, conclusive in checks.items() if conclusive)
            if unseen <= decided_checks:
                break  # every check it could not see was seen whole since (or then)
    return out


# -- one host -------------------------------------------------------------------------


def find_host(conn: sqlite3.Connection, name: str) -> int:
    """A host by any name it had (case does not matter) or by its machine id."""
    row = conn.execute("SELECT id FROM hosts WHERE machine_id = ?", (name,)).fetchone()
    if row is not None:
        return int(row[0])
    rows = conn.execute(
        "SELECT h.id, h.name, h.machine_id FROM host_names n JOIN hosts h ON h.id = n.host_id"
        " WHERE n.name_key = ? ORDER BY h.last_observed DESC",
        (name.casefold(),),
    ).fetchall()
    if not rows:
        raise HistoryLookupError(f"host {name!r}: not in the store")
    current = [r for r in rows if r[1].casefold() == name.casefold()]
    if len(current) > 1:
        ids = ", ".join(str(r[2] or f"#{r[0]}") for r in current)
        raise HistoryLookupError(
            f"host {name!r}: {len(current)} PCs have this name (machine ids {ids}); "
            "name one by its machine id"
        )
    return int((current or rows)[0][0])


def host_timeline(
    store: HistoryStore, name: str, lang: str, as_of: datetime, last: int | None = None
) -> HostTimeline:
    conn = store.conn
    host_id = find_host(conn, name)
    hname, machine_id, first_seen, last_reached = conn.execute(
        "SELECT name, machine_id, first_seen, last_reached FROM hosts WHERE id = ?", (host_id,)
    ).fetchone()
    names = [
        n
        for (n,) in conn.execute(
            "SELECT name FROM host_names WHERE host_id = ? ORDER BY last_used DESC", (host_id,)
        )
    ]
    observations = conn.execute(
        "SELECT id, round_id, at, target, reached, reason, os_name, compliant, failures"
        " FROM observations WHERE host_id = ? ORDER BY at, id",
        (host_id,),
    ).fetchall()
    if last:
        observations = observations[-last:]
    ids = [o[0] for o in observations]
    states: dict[int, dict[str, str]] = {}
    rows = conn.execute(
        "SELECT observation_id, check_id, state, waived FROM observation_checks"
        " WHERE observation_id IN (SELECT value FROM json_each(?))",
        (id_list(ids),),
    )
    for obs_id, cid, state, waived in rows:
        states.setdefault(obs_id, {})[cid] = state + ("+w" if waived else "")
    rounds = [
        HostRound(
            round_id=rid,
            at=from_text(at),
            target=target,
            reached=bool(reached),
            reason=reason,
            os=os_name,
            compliant=bool(compliant),
            failures=failures,
            checks=states.get(obs_id, {}),
        )
        for obs_id, rid, at, target, reached, reason, os_name, compliant, failures in observations
    ]
    latest_reached = [o[0] for o in observations if o[4]]
    groups = groups_of(conn, ids[-1:]).get(ids[-1], []) if ids else []
    failures = open_failures(conn, latest_reached[-1:], lang, as_of) if latest_reached else []
    carried = unseen_failures(conn, latest_reached[-1:])
    if carried:  # not seen by the latest audit, so still open (see unseen_failures)
        failures += open_failures(
            conn, sorted({o for o, _, _ in carried}), lang, as_of, only=carried
        )
        failures.sort(key=lambda f: (f.failing_since, -SEVERITY_RANK.get(f.severity, 0), f.host))
    used = {cid for r in rounds for cid in r.checks}
    titles = check_titles(conn, lang)
    return HostTimeline(
        id=host_id,
        name=hname,
        names=names,
        machine_id=machine_id,
        groups=groups,
        first_seen=from_text(first_seen),
        last_reached=maybe(last_reached),
        checks={cid: titles.get(cid, cid) for cid in sorted(used)},
        rounds=rounds,
        open_failures=failures,
    )


# -- one check ------------------------------------------------------------------------


def check_timeline(
    store: HistoryStore, check_id: str, lang: str, as_of: datetime, last: int | None = None
) -> CheckTimeline:
    conn = store.conn
    known = conn.execute(
        "SELECT 1 FROM observation_checks WHERE check_id = ? LIMIT 1", (check_id,)
    ).fetchone()
    if known is None:
        ids = sorted(c for (c,) in conn.execute("SELECT check_id FROM checks"))
        raise HistoryLookupError(
            f"check {check_id!r}: no round ran it (checks in the store: {', '.join(ids) or '-'})"
        )
    counts: dict[int, dict[str, int]] = {}
    waived: dict[int, int] = {}
    rows = conn.execute(
        "SELECT o.round_id, c.state, c.waived, count(*) FROM observation_checks c"
        " JOIN observations o ON o.id = c.observation_id WHERE c.check_id = ?"
        " GROUP BY o.round_id, c.state, c.waived",
        (check_id,),
    )
    for rid, state, is_waived, n in rows:
        per = counts.setdefault(rid, {})
        per[state] = per.get(state, 0) + n
        if is_waived:
            waived[rid] = waived.get(rid, 0) + n
    finished = dict(conn.execute("SELECT id, finished_at FROM rounds").fetchall())
    order = [rid for rid in ordered_round_ids(conn) if rid in counts]
    if last:
        order = order[-last:]
    rounds: list[CheckRound] = []
    for rid in order:
        per = counts[rid]
        applicable = sum(n for s, n in per.items() if s != "not_applicable")
        compliant = per.get("pass", 0)
        rounds.append(
            CheckRound(
                round_id=rid,
                finished_at=from_text(finished[rid]),
                counts=per,
                waived=waived.get(rid, 0),
                applicable=applicable,
                compliant=compliant,
                rate=100.0 * compliant / applicable if applicable else None,
            )
        )
    latest = order[-1]
    obs = [
        o
        for (o,) in conn.execute(
            "SELECT id FROM observations WHERE round_id = ? AND reached = 1", (latest,)
        )
    ]
    info = conn.execute("SELECT severity FROM checks WHERE check_id = ?", (check_id,)).fetchone()
    return CheckTimeline(
        check_id=check_id,
        title=check_titles(conn, lang).get(check_id, check_id),
        severity=info[0] if info else None,
        rounds=rounds,
        failing=open_failures(conn, obs, lang, as_of, check_id),
    )


# -- what changed ---------------------------------------------------------------------


class _Seen(Struct):
    """One host in one round, as the diff needs it."""

    obs_id: int
    target: str
    reached: bool
    findings: dict[tuple[str, str], StoredFinding]
    conclusive: dict[str, bool]
    groups: list[str]


def _round_view(conn: sqlite3.Connection, round_id: int, lang: str) -> dict[int, _Seen]:
    seen: dict[int, _Seen] = {}
    for obs_id, host_id, target, reached in conn.execute(
        "SELECT id, host_id, target, reached FROM observations WHERE round_id = ?", (round_id,)
    ):
        seen[host_id] = _Seen(obs_id, target, bool(reached), {}, {}, [])
    by_obs = {s.obs_id: s for s in seen.values()}
    rows = conn.execute(
        "SELECT f.observation_id, f.check_id, f.resource, f.status, f.counted, f.waiver_state,"
        " f.failing_since, f.severity, t.lang, t.message, t.message_key, t.message_args"
        " FROM findings f JOIN observations o ON o.id = f.observation_id"
        " JOIN texts t ON t.id = f.text_id WHERE o.round_id = ?",
        (round_id,),
    )
    for obs_id, cid, res, status, counted, wstate, since, sev, tl, msg, key, args in rows:
        by_obs[obs_id].findings[(cid, res)] = StoredFinding(
            status, bool(counted), wstate, since, message_in(lang, tl, msg, key, args), sev
        )
    rows = conn.execute(
        "SELECT c.observation_id, c.check_id, c.conclusive FROM observation_checks c"
        " JOIN observations o ON o.id = c.observation_id WHERE o.round_id = ?",
        (round_id,),
    )
    for obs_id, cid, conclusive in rows:
        by_obs[obs_id].conclusive[cid] = bool(conclusive)
    for obs_id, names in groups_of(conn, list(by_obs)).items():
        by_obs[obs_id].groups = names
    return seen


def _state(seen: _Seen | None, key: tuple[str, str]) -> tuple[str, str | None]:
    """fail, waived, ok, or unverified/unseen with the reason (model.verdict's rule, the
    one `report diff` follows)."""
    if seen is None:
        return Seen.UNSEEN.value, "not_in_round"
    found = seen.findings.get(key)
    state, reason = resource_state(
        seen.reached,
        Status(found.status) if found is not None else None,
        found is not None and found.counted,
        seen.conclusive.get(key[0]),
    )
    return state.value, reason


def diff_rounds(
    store: HistoryStore, round_a: int, round_b: int, lang: str, group: str | None = None
) -> HistoryDiff:
    conn = store.conn
    row_a, row_b = one_round(conn, round_a), one_round(conn, round_b)
    view_a, view_b = _round_view(conn, round_a, lang), _round_view(conn, round_b, lang)
    titles = check_titles(conn, lang)
    a_time = to_text(row_a.finished_at)
    entries: list[DiffEntry] = []
    for host_id in dict.fromkeys([*view_b, *view_a]):
        a, b = view_a.get(host_id), view_b.get(host_id)
        keys: dict[tuple[str, str], None] = {}
        if a is not None:
            keys.update(dict.fromkeys(k for k, f in a.findings.items() if f.status == "fail"))
        if b is not None:
            keys.update(dict.fromkeys(k for k, f in b.findings.items() if f.counted))
        for key in keys:
            state_a, _ = _state(a, key)
            state_b, reason = _state(b, key)
            found_b = b.findings.get(key) if b else None
            found_a = a.findings.get(key) if a else None
            change: Change | None = None
            if state_b == "fail" and found_b is not None:
                began_before = (found_b.since or "") <= a_time
                if state_a == "fail" or (state_a in ("unseen", "unverified") and began_before):
                    change = Change.STILL
                else:
                    change = Change.NEW
            elif state_a == "fail":
                change = {"ok": Change.FIXED, "waived": Change.WAIVED}.get(
                    state_b, Change.UNVERIFIED
                )
            if change is None:
                continue
            shown = found_b if found_b is not None and found_b.status == "fail" else found_a
            seen = b or a
            if shown is None or seen is None:
                continue
            since = maybe(shown.since)
            entries.append(
                DiffEntry(
                    change=change,
                    host=seen.target,
                    groups=b.groups if b is not None and b.groups else seen.groups,
                    check_id=key[0],
                    check=titles.get(key[0], key[0]),
                    resource=key[1],
                    severity=shown.severity,
                    status_before=found_a.status if found_a else None,
                    status_after=found_b.status if found_b else None,
                    failing_since=since,
                    days_open=whole_days(row_b.finished_at, since) if since else None,
                    message=(found_b or shown).message,
                    reason=(
                        reason
                        if change is Change.UNVERIFIED
                        else "waiver_ended"
                        if change is Change.NEW and state_a == "waived"
                        else None
                    ),
                )
            )
    if group is not None:
        entries = [e for e in entries if group in e.groups]
    rank = {c: i for i, c in enumerate(Change)}
    entries.sort(
        key=lambda e: (rank[e.change], -SEVERITY_RANK.get(e.severity, 0), e.host, e.check_id,
                       e.resource)
    )  # fmt: skip
    return HistoryDiff(
        round_a=row_a,
        round_b=row_b,
        baseline_changed=row_a.baseline_sha256 != row_b.baseline_sha256,
        entries=entries,
        counts={c.value: sum(1 for e in entries if e.change is c) for c in Change},
    )


# -- PCs not seen ---------------------------------------------------------------------


def latest_observations(
    conn: sqlite3.Connection, as_of: datetime, reached_only: bool = False
) -> dict[int, tuple[int, bool, str | None, str]]:
    """host id -> (observation id, reached, reason, at) of its newest observation up to
    `as_of` (only those that reached it, with `reached_only`)."""
    # One index lookup per host (observations_by_host), not a sort of every result.
    rows = conn.execute(
        "SELECT o.host_id, o.id, o.reached, o.reason, o.at FROM hosts h"
        " JOIN observations o ON o.id = (SELECT p.id FROM observations p"
        " WHERE p.host_id = h.id AND p.at <= ? AND (p.reached = 1 OR NOT ?)"
        " ORDER BY p.at DESC, p.id DESC LIMIT 1)",
        (to_text(as_of), int(reached_only)),
    )
    return {h: (o, bool(r), reason, at) for h, o, r, reason, at in rows}


def host_names(conn: sqlite3.Connection) -> dict[int, list[str]]:
    names: dict[int, list[str]] = {}
    for hid, name in conn.execute("SELECT host_id, name FROM host_names ORDER BY last_used DESC"):
        names.setdefault(hid, []).append(name)
    return names


def stale_hosts(
    store: HistoryStore,
    days: int,
    as_of: datetime,
    inventory: Iterable[str] | None = None,
    group: str | None = None,
) -> StaleReport:
    """PCs not reached for `days` days or more as of `as_of` (never reached included).

    Without an inventory every host of the store seen by `as_of` is considered; with one,
    its hosts only, and a host it names that the store never saw is listed as never
    seen. A round that did not include a PC (a partial or limited run) changes nothing
    here: only the time since the PC was last reached counts.
    """
    conn = store.conn
    latest = latest_observations(conn, as_of)
    reached = latest_observations(conn, as_of, reached_only=True)
    groups = groups_of(conn, [o for o, _, _, _ in latest.values()])
    current = dict(conn.execute("SELECT id, name FROM hosts").fetchall())
    names = host_names(conn)
    considered: list[tuple[str, int | None]] = []
    if inventory is None:
        considered = [(current[hid], hid) for hid in latest]
    else:
        for name in dict.fromkeys(inventory):
            try:
                hid: int | None = find_host(conn, name)
            except HistoryLookupError:
                hid = None
            considered.append((name, hid if hid in latest else None))
    out: list[StaleHost] = []
    known = 0
    for name, hid in considered:
        host_groups = groups.get(latest[hid][0], []) if hid is not None else []
        if group is not None and group not in host_groups:
            continue
        known += 1
        if hid is None:
            out.append(StaleHost(host=name))
            continue
        reached_at = from_text(reached[hid][3]) if hid in reached else None
        age = whole_days(as_of, reached_at) if reached_at else None
        if age is not None and age < days:
            continue
        _, last_ok, reason, observed = latest[hid]
        out.append(
            StaleHost(
                host=current[hid],
                names=names.get(hid, []),
                groups=host_groups,
                last_reached=reached_at,
                days=age,
                last_observed=from_text(observed),
                last_state="ok" if last_ok else "unreachable",
                reason=None if last_ok else reason,
            )
        )
    out.sort(key=lambda s: (s.last_reached is not None, s.last_reached or as_of, s.host))
    return StaleReport(as_of=as_of, days=days, known=known, hosts=out)


# -- pruning --------------------------------------------------------------------------


def prune(
    store: HistoryStore,
    as_of: datetime,
    older_than_days: int | None,
    keep_last: int | None,
    dry_run: bool,
) -> PruneResult:
    """Remove old rounds: those finished more than `older_than_days` before `as_of`,
    and/or all but the newest `keep_last`. The newest round is never removed. Hosts left
    without any round are forgotten. One transaction; then the file is compacted."""
    conn = store.conn
    rows = round_rows(conn)
    keep = {r.id for r in rows[-max(1, keep_last or 1) :]}
    cutoff = as_of - timedelta(days=older_than_days) if older_than_days is not None else None
    doomed = [r for r in rows if r.id not in keep and (cutoff is None or r.finished_at < cutoff)]
    size_before = store.path.stat().st_size if store.path.exists() else 0
    ids = [r.id for r in doomed]
    orphans: list[str] = []
    if ids:
        orphans = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM hosts h WHERE NOT EXISTS (SELECT 1 FROM observations o"
                " WHERE o.host_id = h.id AND o.round_id NOT IN (SELECT value FROM json_each(?)))",
                (id_list(ids),),
            )
        ]
    if dry_run or not ids:
        return PruneResult(
            rounds=doomed,
            hosts_forgotten=orphans,
            dry_run=dry_run,
            bytes_before=size_before,
            bytes_after=size_before,
        )
    with store.transaction() as db:
        db.execute(
            "DELETE FROM rounds WHERE id IN (SELECT value FROM json_each(?))", (id_list(ids),)
        )
        db.execute(
            "DELETE FROM hosts WHERE NOT EXISTS"
            " (SELECT 1 FROM observations o WHERE o.host_id = hosts.id)"
        )
        db.execute(
            "UPDATE hosts SET"
            " first_seen = (SELECT min(at) FROM observations o WHERE o.host_id = hosts.id),"
            " last_observed = (SELECT max(at) FROM observations o WHERE o.host_id = hosts.id),"
            " last_reached = (SELECT max(at) FROM observations o"
            " WHERE o.host_id = hosts.id AND o.reached = 1)"
        )
        db.execute(
            "DELETE FROM texts WHERE NOT EXISTS (SELECT 1 FROM findings f WHERE f.text_id ="
            " texts.id)"
        )
        db.execute(
            "DELETE FROM waivers WHERE NOT EXISTS (SELECT 1 FROM findings f WHERE f.waiver_id"
            " = waivers.id)"
        )
    store.forget_cached_ids()
    conn.execute("VACUUM")
    return PruneResult(
        rounds=doomed,
        hosts_forgotten=orphans,
        dry_run=False,
        bytes_before=size_before,
        bytes_after=store.path.stat().st_size,
    )


def store_info(store: HistoryStore) -> StoreInfo:
    conn = store.conn

    counts = conn.execute(
        "SELECT (SELECT count(*) FROM rounds), (SELECT count(*) FROM hosts),"
        " (SELECT count(*) FROM observations), (SELECT count(*) FROM findings)"
    ).fetchone()

    first, last = conn.execute("SELECT min(finished_at), max(finished_at) FROM rounds").fetchone()
    return StoreInfo(
        path=str(store.path),
        schema_version=store.version,
        bytes=store.path.stat().st_size,
        journal_mode=str(conn.execute("PRAGMA journal_mode").fetchone()[0]),
        rounds=counts[0],
        hosts=counts[1],
        observations=counts[2],
        findings=counts[3],
        first_round=maybe(first),
        last_round=maybe(last),
    )
