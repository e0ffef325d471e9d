"""The weekly report from the store (model/weekly.py says which figures are per round and
which are as last seen)."""

from __future__ import annotations

import json
import re
import sqlite3
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

from msgspec import Struct

from endpoint_audit import __version__
from endpoint_audit.history.queries import (
    SEVERITY_RANK,
    HistoryLookupError,
    check_titles,
    diff_rounds,
    find_host,
    groups_of,
    id_list,
    latest_observations,
    message_in,
    open_failures,
    round_rows,
    stale_hosts,
    unseen_failures,
    whole_days,
)
from endpoint_audit.history.store import HistoryStore
from endpoint_audit.history.timefmt import from_text, to_text
from endpoint_audit.model.check_index import checks_with_role
from endpoint_audit.model.history import OpenFailure, RoundRow
from endpoint_audit.model.verdict import (
    WaiverStanding,
    WaiverState,
    days_left,
    recorded_waiver,
    waiver_standing,
)
from endpoint_audit.model.weekly import (
    Bucket,
    CheckTrend,
    Coverage,
    DeadlineItem,
    GroupRow,
    PatchAge,
    RosterRow,
    TrendPoint,
    WaiverDue,
    WeeklyReport,
    WorstHost,
)

# Critical items: failures of the checks whose role says so (disk encryption, antivirus),
# whatever their severity, and every critical-severity failure.
CRITICAL_CHECKS = checks_with_role("critical_item")
ANTIVIRUS_CHECKS = checks_with_role("antivirus_signatures")
SUPPORT_DEADLINE_CHECKS = checks_with_role("support_deadline")
OLDEST_SHOWN = 25
WORST_SHOWN = 10
AGE_BUCKETS = (("lt7", 0, 6), ("d7_29", 7, 29), ("d30_89", 30, 89), ("ge90", 90, None))
PATCH_BUCKETS = (
    ("p0_7", 0, 7),
    ("p8_14", 8, 14),
    ("p15_30", 15, 30),
    ("p31_60", 31, 60),
    ("gt60", 61, None),
)
# Keys a support-deadline finding may name its end of support by (YYYY-MM-DD).
DEADLINE_ARGS = ("end_of_support", "eol", "support_ends", "deadline", "date")
SUPPORT_HORIZON_DAYS = 365
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}")


class WeeklyOptions(Struct, frozen=True):
    as_of: datetime
    rounds: int = 12
    stale_days: int = 14
    expiring_days: int = 30
    inventory: Sequence[str] | None = None


def is_critical(check_id: str, severity: str) -> bool:
    return check_id in CRITICAL_CHECKS or severity == "critical"


def _buckets(spec: Iterable[tuple[str, int, int | None]], values: Iterable[int]) -> list[Bucket]:
    counts: Counter[str] = Counter()
    spec = list(spec)
    for value in values:
        for key, low, high in spec:
            if value >= low and (high is None or value <= high):
                counts[key] += 1
                break
    return [Bucket(key=k, low=lo, high=hi, count=counts[k]) for k, lo, hi in spec]


def _day(value: object) -> date | None:
    if isinstance(value, str) and _DAY.match(value):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


class _Builder:
    def __init__(self, store: HistoryStore, lang: str, options: WeeklyOptions) -> None:
        self.store = store
        self.conn: sqlite3.Connection = store.conn
        self.lang = lang
        self.options = options
        self.as_of = options.as_of
        self.titles = check_titles(self.conn, lang)

    # -- per round --------------------------------------------------------------------
    def trend(self) -> list[TrendPoint]:
        rows = round_rows(self.conn, "WHERE r.finished_at <= ?", (to_text(self.as_of),))
        rows = rows[-self.options.rounds :]
        firsts = sorted(f for (f,) in self.conn.execute("SELECT first_seen FROM hosts"))
        out: list[TrendPoint] = []
        previous: float | None = None
        for row in rows:
            stamp = to_text(row.finished_at)
            known = sum(1 for f in firsts if f <= stamp)
            point = TrendPoint(
                round_id=row.id,
                finished_at=row.finished_at,
                hosts=row.hosts,
                reached=row.reached,
                compliant=row.compliant,
                known=known,
                rate=row.rate,
                coverage=100.0 * row.reached / known if known else None,
                partial=row.partial is not None,
                # An incomplete round's rate is over the PCs it reached before it stopped:
                # not comparable, and never the reference for the next round.
                delta=(row.rate - previous)
                if row.rate is not None and previous is not None and row.partial is None
                else None,
            )
            if row.rate is not None and row.partial is None:
                previous = row.rate
            out.append(point)
        return out

    def check_trends(self, trend: list[TrendPoint]) -> list[CheckTrend]:
        if not trend:
            return []
        ids = [p.round_id for p in trend]
        counts: dict[tuple[int, str], Counter[str]] = {}
        for rid, cid, state, n in self.conn.execute(
            "SELECT o.round_id, c.check_id, c.state, count(*) FROM observation_checks c"
            " JOIN observations o ON o.id = c.observation_id"
            " WHERE o.round_id IN (SELECT value FROM json_each(?))"
            " GROUP BY o.round_id, c.check_id, c.state",
            (id_list(ids),),
        ):
            counts.setdefault((rid, cid), Counter())[state] += n
        severities = dict(self.conn.execute("SELECT check_id, severity FROM checks").fetchall())
        checks = sorted(
            {cid for _, cid in counts},
            key=lambda c: (-SEVERITY_RANK.get(severities.get(c, "info"), 0), c),
        )
        out: list[CheckTrend] = []
        for cid in checks:
            rates: list[float | None] = []
            for rid in ids:
                per = counts.get((rid, cid), Counter())
                applicable = sum(n for s, n in per.items() if s != "not_applicable")
                rates.append(100.0 * per["pass"] / applicable if applicable else None)
            latest = counts.get((ids[-1], cid), Counter())
            # As for the rounds' trend: an incomplete round is neither compared nor the
            # reference.
            before = [
                r for r, p in zip(rates[:-1], trend[:-1], strict=True)
                if r is not None and not p.partial
            ]  # fmt: skip
            current = rates[-1]
            compared = current if not trend[-1].partial else None
            out.append(
                CheckTrend(
                    check_id=cid,
                    title=self.titles.get(cid, cid),
                    severity=severities.get(cid, "info"),
                    rates=rates,
                    current=current,
                    delta=compared - before[-1] if compared is not None and before else None,
                    failing_hosts=latest["fail"],
                )
            )
        return out

    def group_rows(
        self, latest: RoundRow | None, previous: RoundRow | None, not_seen: Counter[str]
    ) -> list[GroupRow]:
        if latest is None:
            return []

        def figures(round_id: int) -> dict[str, tuple[int, int, int, int]]:
            return {
                name: (hosts, reached, compliant, failures)
                for name, hosts, reached, compliant, failures in self.conn.execute(
                    "SELECT coalesce(g.name, ''), count(*), sum(o.reached), sum(o.compliant),"
                    " sum(o.failures) FROM observations o LEFT JOIN observation_groups g"
                    " ON g.observation_id = o.id WHERE o.round_id = ? GROUP BY 1",
                    (round_id,),
                )
            }

        now = figures(latest.id)
        if set(now) <= {""}:
            return []  # no PC has a group
        # Rates of an incomplete round are over the PCs it reached: no change is stated.
        comparable = previous is not None and previous.partial is None and latest.partial is None
        before = figures(previous.id) if previous is not None and comparable else {}
        critical: Counter[str] = Counter()
        for name, cid, severity in self.conn.execute(
            "SELECT coalesce(g.name, ''), f.check_id, f.severity FROM findings f"
            " JOIN observations o ON o.id = f.observation_id LEFT JOIN observation_groups g"
            " ON g.observation_id = o.id WHERE o.round_id = ? AND f.counted = 1",
            (latest.id,),
        ):
            if is_critical(cid, severity):
                critical[name] += 1
        rows: list[GroupRow] = []
        for name, (hosts, reached, compliant, failures) in now.items():
            rate = 100.0 * compliant / hosts if hosts else None
            prior = before.get(name)
            prior_rate = 100.0 * prior[2] / prior[0] if prior and prior[0] else None
            rows.append(
                GroupRow(
                    group=name,
                    hosts=hosts,
                    reached=reached,
                    compliant=compliant,
                    rate=rate,
                    delta=rate - prior_rate
                    if rate is not None and prior_rate is not None
                    else None,
                    failures=failures,
                    critical=critical[name],
                    not_seen=not_seen[name],
                )
            )
        rows.sort(key=lambda r: (r.group == "", r.rate if r.rate is not None else -1.0, r.group))
        return rows

    # -- as last seen -----------------------------------------------------------------
    def waivers(
        self, obs: Sequence[int], groups: dict[int, list[str]]
    ) -> tuple[list[WaiverDue], list[WaiverDue]]:
        expiring: list[WaiverDue] = []
        expired: list[WaiverDue] = []
        for (
            obs_id,
            target,
            cid,
            resource,
            state,
            expires,
            approved,
            zone,
            approver,
            justification,
        ) in self.conn.execute(
            "SELECT o.id, o.target, f.check_id, f.resource, f.waiver_state, w.expires,"
            " w.approved, w.timezone, w.approver, w.justification FROM findings f"
            " JOIN observations o ON o.id = f.observation_id JOIN waivers w ON w.id = f.waiver_id"
            " WHERE f.observation_id IN (SELECT value FROM json_each(?))",
            (id_list(obs),),
        ):
            day = _day(expires)
            if day is None:
                continue
            judged = WaiverState(state or WaiverState.IN_FORCE.value)
            ref = recorded_waiver(
                judged,
                justification=justification,
                approver=approver,
                expires=day.isoformat(),
                approved=approved,
                timezone=zone,
            )
            # model.verdict: as recorded, or lapsed since; days counted in the waiver's zone.
            standing = waiver_standing(ref, self.as_of)
            left = days_left(ref, self.as_of)
            if left is None:
                continue
            item = WaiverDue(
                host=target,
                groups=groups.get(obs_id, []),
                check=self.titles.get(cid, cid),
                resource=resource,
                expires=day,
                days_left=left,
                approver=approver,
                justification=justification,
                state=judged.value,
            )
            if standing in (WaiverStanding.EXPIRED, WaiverStanding.LAPSED):
                expired.append(item)
            elif standing is WaiverStanding.IN_FORCE and left <= self.options.expiring_days:
                expiring.append(item)
        expiring.sort(key=lambda w: (w.days_left, w.host))
        expired.sort(key=lambda w: (w.days_left, w.host))
        return expiring, expired

    def deadline_items(
        self,
        check_ids: Sequence[str],
        obs: Sequence[int],
        groups: dict[int, list[str]],
        failing_only: bool,
    ) -> list[DeadlineItem] | None:
        ran = self.conn.execute(
            "SELECT 1 FROM observation_checks WHERE check_id IN (SELECT value FROM json_each(?))"
            " LIMIT 1",
            (json.dumps(list(check_ids)),),
        ).fetchone()
        if ran is None:
            return None  # the check never ran: say "no data", not "all clear"
        today = self.as_of.date()
        out: list[DeadlineItem] = []
        for obs_id, target, cid, resource, status, tl, msg, key, args in self.conn.execute(
            "SELECT o.id, o.target, f.check_id, f.resource, f.status, t.lang, t.message,"
            " t.message_key, t.message_args FROM findings f"
            " JOIN observations o ON o.id = f.observation_id JOIN texts t ON t.id = f.text_id"
            " WHERE f.observation_id IN (SELECT value FROM json_each(?))"
            " AND f.check_id IN (SELECT value FROM json_each(?))",
            (id_list(obs), json.dumps(list(check_ids))),
        ):
            try:
                values = json.loads(args)
            except json.JSONDecodeError:
                values = {}
            deadline = (
                next((d for k in DEADLINE_ARGS if (d := _day(values.get(k))) is not None), None)
                if isinstance(values, dict)
                else None
            )
            left = (deadline - today).days if deadline else None
            soon = left is not None and left <= SUPPORT_HORIZON_DAYS
            if status == "pass" and (failing_only or not soon):
                continue
            if status == "not_applicable":
                continue
            out.append(
                DeadlineItem(
                    host=target,
                    groups=groups.get(obs_id, []),
                    check=self.titles.get(cid, cid),
                    resource=resource,
                    status=status,
                    message=message_in(self.lang, tl, msg, key, args),
                    deadline=deadline,
                    days_left=left,
                )
            )
        out.sort(key=lambda d: (d.days_left if d.days_left is not None else 1 << 30, d.host))
        return out

    def build(self) -> WeeklyReport:
        conn = self.conn
        options = self.options
        trend = self.trend()
        ids = {p.round_id for p in trend}
        rows = {r.id: r for r in round_rows(conn) if r.id in ids}
        latest = rows[trend[-1].round_id] if trend else None
        previous = rows[trend[-2].round_id] if len(trend) > 1 else None
        diff = (
            diff_rounds(self.store, previous.id, latest.id, self.lang)
            if latest and previous
            else None
        )

        stale = stale_hosts(self.store, options.stale_days, self.as_of, options.inventory)
        last_any = latest_observations(conn, self.as_of)
        known_ids = set(last_any)
        never_seen: list[str] = []
        if options.inventory is not None:
            wanted: set[int] = set()
            for name in dict.fromkeys(options.inventory):
                try:
                    wanted.add(find_host(conn, name))
                except HistoryLookupError:
                    never_seen.append(name)
            known_ids &= wanted
        last_ok = latest_observations(conn, self.as_of, reached_only=True)
        reached_obs = [v[0] for v in last_ok.values()]
        groups = groups_of(conn, [v[0] for v in last_any.values()] + reached_obs)
        failures = open_failures(conn, reached_obs, self.lang, self.as_of)
        # A failure the latest audit could not see is not fixed: it stays open, as of the
        # audit that last saw it (history diff calls it not verified).
        carried = unseen_failures(conn, reached_obs)
        if carried:
            failures += open_failures(
                conn, sorted({o for o, _, _ in carried}), self.lang, self.as_of, only=carried
            )
            failures.sort(
                key=lambda f: (f.failing_since, -SEVERITY_RANK.get(f.severity, 0), f.host)
            )
        counted = [f for f in failures if not f.waived]
        critical = [f for f in counted if is_critical(f.check_id, f.severity)]
        oldest = sorted(
            counted, key=lambda f: (-f.days_open, -SEVERITY_RANK.get(f.severity, 0), f.host)
        )
        expiring, expired = self.waivers(reached_obs, groups)

        not_seen_by_group: Counter[str] = Counter()
        for host in stale.hosts:
            for name in host.groups or [""]:
                not_seen_by_group[name] += 1

        observed = {
            hid: row
            for hid, *row in conn.execute(
                "SELECT host_id, id, target, at, os_name, compliant, failures, patch_days,"
                " reboot_pending FROM observations WHERE id IN (SELECT value FROM json_each(?))",
                (id_list(reached_obs),),
            )
        }
        patch_days = [r[6] for r in observed.values() if r[6] is not None]
        patch = PatchAge(
            buckets=_buckets(PATCH_BUCKETS, patch_days),
            unknown=sum(1 for r in observed.values() if r[6] is None),
            reboot_pending=sum(1 for r in observed.values() if r[7]),
            median_days=statistics.median(patch_days) if patch_days else None,
        )

        by_host: dict[str, list[OpenFailure]] = {}
        for f in counted:
            by_host.setdefault(f.host, []).append(f)
        latest_state: dict[int, str] = {}
        if latest is not None:
            for hid, reached in conn.execute(
                "SELECT host_id, reached FROM observations WHERE round_id = ?", (latest.id,)
            ):
                latest_state[hid] = "reached" if reached else "unreachable"
        roster: list[RosterRow] = []
        worst: list[WorstHost] = []
        names = dict(conn.execute("SELECT id, name FROM hosts").fetchall())
        due_by_host = Counter(w.host for w in expiring)
        for hid in sorted(known_ids, key=lambda h: names[h].casefold()):
            row = observed.get(hid)
            host_groups = groups.get(last_any[hid][0], [])
            if row is None:
                roster.append(
                    RosterRow(
                        host=names[hid],
                        groups=host_groups,
                        latest_round=latest_state.get(hid, "absent"),
                    )
                )
                continue
            _, target, at, os_name, compliant, fails, pdays, reboot = row
            mine = by_host.get(target, [])
            fails = max(fails, len(mine))  # with the failures it could not see this time
            reached_at = from_text(at)
            roster.append(
                RosterRow(
                    host=target,
                    groups=host_groups,
                    os=os_name,
                    last_reached=reached_at,
                    days_not_seen=whole_days(self.as_of, reached_at),
                    latest_round=latest_state.get(hid, "absent"),
                    compliant=bool(compliant),
                    failures=fails,
                    critical=sum(1 for f in mine if is_critical(f.check_id, f.severity)),
                    oldest_failure_since=min((f.failing_since for f in mine), default=None),
                    patch_days=pdays,
                    reboot_pending=None if reboot is None else bool(reboot),
                    waivers_due=due_by_host[target],
                )
            )
            if fails:
                worst.append(
                    WorstHost(
                        host=target,
                        groups=host_groups,
                        failures=fails,
                        critical=sum(1 for f in mine if is_critical(f.check_id, f.severity)),
                        oldest_days=max((f.days_open for f in mine), default=None),
                        observed_at=reached_at,
                    )
                )
        roster += [RosterRow(host=name, latest_round="absent") for name in never_seen]
        worst.sort(key=lambda w: (-w.critical, -w.failures, -(w.oldest_days or 0), w.host))

        never = sum(1 for h in stale.hosts if h.last_reached is None)
        coverage = Coverage(
            known=stale.known,
            seen=stale.known - len(stale.hosts),
            not_seen=len(stale.hosts),
            never_seen=never,
            stale_days=options.stale_days,
            rate=100.0 * (stale.known - len(stale.hosts)) / stale.known if stale.known else None,
            in_latest_round=latest.reached if latest else 0,
            hosts=stale.hosts,
        )
        return WeeklyReport(
            lang=self.lang,
            as_of=self.as_of,
            generated_at=datetime.now(UTC),
            tool_version=__version__,
            store=str(self.store.path),
            stale_days=options.stale_days,
            expiring_days=options.expiring_days,
            latest=latest,
            previous=previous,
            trend=trend,
            check_trends=self.check_trends(trend),
            coverage=coverage,
            diff=diff,
            open_failures=len(counted),
            waived_failures=len(failures) - len(counted),
            ageing=_buckets(AGE_BUCKETS, (f.days_open for f in counted)),
            oldest=oldest[:OLDEST_SHOWN],
            critical=sorted(critical, key=lambda f: (-f.days_open, f.host)),
            waivers_expiring=expiring,
            waivers_expired=expired,
            support_deadlines=self.deadline_items(
                SUPPORT_DEADLINE_CHECKS, reached_obs, groups, False
            ),
            signatures=self.deadline_items(ANTIVIRUS_CHECKS, reached_obs, groups, True),
            patch=patch,
            groups=self.group_rows(latest, previous, not_seen_by_group),
            worst_hosts=worst[:WORST_SHOWN],
            roster=roster,
        )


def weekly_report(store: HistoryStore, lang: str, options: WeeklyOptions) -> WeeklyReport:
    return _Builder(store, lang, options).build()
