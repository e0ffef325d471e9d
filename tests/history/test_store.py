"""The history store on reports built with the model classes: idempotent import, rounds
by run, identity of PCs across renames, and what counts as fixed."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from endpoint_audit.history.ingest import ReportError, from_data, parse_report
from endpoint_audit.history.queries import (
    diff_rounds,
    host_timeline,
    list_rounds,
    prune,
    resolve_round,
    stale_hosts,
)
from endpoint_audit.history.store import HistoryStore, StoreError
from endpoint_audit.model.history import Change
from endpoint_audit.model.result import Status, WaiverRef
from tests.history.reports import (
    T0,
    WEEK,
    Host,
    compliant_findings,
    report_data,
    with_status,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "history"


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    opened = HistoryStore.open(tmp_path / "history.sqlite3")
    yield opened  # type: ignore[misc]
    opened.close()


def add(store: HistoryStore, hosts: list[Host], week: int, **kw: object) -> int:
    data = report_data(hosts, T0 + week * WEEK, **kw)  # type: ignore[arg-type]
    return store.add(from_data(data), f"week-{week}.json").round_id


def count(store: HistoryStore, table: str) -> int:
    query = {
        "rounds": "SELECT count(*) FROM rounds",
        "observations": "SELECT count(*) FROM observations",
        "findings": "SELECT count(*) FROM findings",
        "hosts": "SELECT count(*) FROM hosts",
        "reports": "SELECT count(*) FROM reports",
    }[table]
    return int(store.conn.execute(query).fetchone()[0])


def failing_disk() -> list:  # type: ignore[type-arg]
    return with_status(compliant_findings(), "disk_encryption", Status.FAIL, "D:")


def entry(diff, host: str, check: str):  # type: ignore[no-untyped-def]
    found = [e for e in diff.entries if e.host == host and e.check_id == check]
    assert len(found) == 1, diff.entries
    return found[0]


def test_the_same_report_twice_adds_nothing_however_it_is_formatted(
    store: HistoryStore, tmp_path: Path
) -> None:
    data = report_data([Host("pc-1", failing_disk()), Host("pc-2")], T0)
    first = store.add(from_data(data), "a.json")
    tables = {t: count(store, t) for t in ("rounds", "observations", "findings", "reports")}
    assert first.added and first.hosts_added == 2
    # The same content, formatted differently and with its keys in another order.
    reordered = json.dumps(dict(reversed(list(data.items()))), indent=None).encode()
    second = store.add(parse_report(reordered), "b.json")
    assert not second.added and second.round_id == first.round_id
    assert {t: count(store, t) for t in tables} == tables
    # A report that differs in one finding is another report (another round).
    changed = report_data([Host("pc-1", failing_disk()), Host("pc-2", failing_disk())], T0)
    assert store.add(from_data(changed), "c.json").added
    assert count(store, "rounds") == 2


def test_reports_of_one_run_join_one_round_and_keep_each_pcs_newest_result(
    store: HistoryStore,
) -> None:
    # --output-dir: one report per PC as it finishes, then the fleet report, one run id.
    early = report_data([Host("pc-1", failing_disk())], T0, run_id="run-7")
    fleet = report_data([Host("pc-1"), Host("pc-2")], T0 + timedelta(minutes=3), run_id="run-7")
    store.add(from_data(early), "hosts/pc-1.json")
    result = store.add(from_data(fleet), "fleet.json")
    assert result.hosts_replaced == 1 and result.hosts_added == 1
    assert count(store, "rounds") == 1 and count(store, "observations") == 2
    (row,) = list_rounds(store)
    assert row.hosts == 2 and row.compliant == 2 and row.reports == 2
    # An older per-host report arriving later never replaces the newer result.
    stale = report_data([Host("pc-2", failing_disk())], T0 - timedelta(minutes=1), run_id="run-7")
    assert store.add(from_data(stale), "hosts/pc-2.json").hosts_kept == 1
    assert list_rounds(store)[0].compliant == 2


def test_an_unreachable_pc_is_not_fixed_and_its_failure_keeps_its_start(
    store: HistoryStore,
) -> None:
    r1 = add(store, [Host("pc-1", failing_disk()), Host("pc-2")], 0)
    r2 = add(store, [Host("pc-1", reachable=False), Host("pc-2")], 1)
    r3 = add(store, [Host("pc-1", failing_disk()), Host("pc-2")], 2)
    diff = diff_rounds(store, r1, r2, "en")
    gone = entry(diff, "pc-1", "disk_encryption")
    assert gone.change is Change.UNVERIFIED and gone.reason == "unreachable"
    assert diff.counts["fixed"] == 0
    back = entry(diff_rounds(store, r2, r3, "en"), "pc-1", "disk_encryption")
    # Still failing since the first round: the unreachable week did not restart it.
    assert back.change is Change.STILL
    assert back.failing_since == T0 and back.days_open == 14
    assert list_rounds(store)[1].compliant == 1  # the unreachable PC is not compliant


def test_unknown_and_checks_that_did_not_run_are_not_fixes(store: HistoryStore) -> None:
    r1 = add(store, [Host("pc-1", failing_disk())], 0)
    unknown = with_status(compliant_findings(), "disk_encryption", Status.UNKNOWN, "D:")
    r2 = add(store, [Host("pc-1", unknown)], 1)
    not_run = [f for f in compliant_findings() if f.check_id != "disk_encryption"]
    r3 = add(store, [Host("pc-1", failing_disk())], 2)
    r4 = add(store, [Host("pc-1", not_run)], 3)
    assert entry(diff_rounds(store, r1, r2, "en"), "pc-1", "disk_encryption").reason == "unknown"
    still = entry(diff_rounds(store, r2, r3, "en"), "pc-1", "disk_encryption")
    assert still.change is Change.STILL and still.failing_since == T0
    last = entry(diff_rounds(store, r3, r4, "en"), "pc-1", "disk_encryption")
    assert last.change is Change.UNVERIFIED and last.reason == "not_checked"


def test_a_resource_no_longer_named_by_a_check_that_saw_everything_is_fixed(
    store: HistoryStore,
) -> None:
    rdp = with_status(compliant_findings(), "open_ports", Status.FAIL, "0.0.0.0:3389/tcp")
    r1 = add(store, [Host("pc-1", rdp)], 0)
    r2 = add(store, [Host("pc-1")], 1)  # open_ports passes and names no port
    fixed = entry(diff_rounds(store, r1, r2, "en"), "pc-1", "open_ports")
    assert fixed.change is Change.FIXED and fixed.status_after is None
    # The same absence behind an unknown is not a fix.
    unknown = with_status(compliant_findings(), "open_ports", Status.UNKNOWN)
    unknown = [f for f in unknown if not (f.check_id == "open_ports" and f.status is Status.PASS)]
    r3 = add(store, [Host("pc-1", rdp)], 2)
    r4 = add(store, [Host("pc-1", unknown)], 3)
    assert entry(diff_rounds(store, r3, r4, "en"), "pc-1", "open_ports").change is Change.UNVERIFIED


def test_a_waiver_that_expires_counts_the_failure_again(store: HistoryStore) -> None:
    def waived(expired: bool) -> list:  # type: ignore[type-arg]
        waiver = WaiverRef(id="W-1", justification="VPN", approver="CISO",
                           expires="2026-03-12", expired=expired)  # fmt: skip
        return with_status(compliant_findings(), "firewall", Status.FAIL, None, waiver)

    r1 = add(store, [Host("pc-1", waived(False))], 0)
    r2 = add(store, [Host("pc-1", waived(True))], 2)
    rows = {r.id: r for r in list_rounds(store)}
    assert rows[r1].failures == 0 and rows[r1].compliant == 1  # waived: compliant
    assert rows[r2].failures == 1 and rows[r2].compliant == 0  # expired: counted
    new = entry(diff_rounds(store, r1, r2, "en"), "pc-1", "firewall")
    assert new.change is Change.NEW and new.reason == "waiver_ended"
    assert new.failing_since == T0  # the failure itself is as old as the first round


def test_a_renamed_pc_keeps_one_timeline_by_its_machine_id(store: HistoryStore) -> None:
    add(store, [Host("pc-old", failing_disk(), machine_id="mid-1")], 0)
    add(store, [Host("pc-new", failing_disk(), machine_id="mid-1")], 1)
    assert count(store, "hosts") == 1
    for name in ("pc-old", "PC-NEW", "mid-1"):
        timeline = host_timeline(store, name, "en", T0 + 2 * WEEK)
        assert timeline.name == "pc-new" and len(timeline.rounds) == 2
        assert timeline.names == ["pc-new", "pc-old"]
    (failure,) = timeline.open_failures
    assert failure.failing_since == T0 and failure.days_open == 14
    diff = diff_rounds(store, 1, 2, "en")
    assert [e.change for e in diff.entries] == [Change.STILL]


def test_names_without_machine_ids_and_new_machines_under_an_old_name(
    store: HistoryStore,
) -> None:
    # An old report (no machine id), then the same PC with one: the same host.
    add(store, [Host("pc-1")], 0)
    add(store, [Host("pc-1", machine_id="mid-1")], 1)
    assert count(store, "hosts") == 1
    # Another machine takes the name: another host, and the name now means it.
    add(store, [Host("pc-1", machine_id="mid-2")], 2)
    assert count(store, "hosts") == 2
    add(store, [Host("pc-1", failing_disk())], 3)  # no machine id: the current pc-1
    assert host_timeline(store, "mid-2", "en", T0 + 4 * WEEK).open_failures
    assert not host_timeline(store, "mid-1", "en", T0 + 4 * WEEK).open_failures


def test_two_pcs_claiming_one_name_in_one_report_stay_two(store: HistoryStore) -> None:
    add(store, [Host("pc-1"), Host("pc-1", failing_disk())], 0)
    add(store, [Host("pc-1"), Host("pc-1", failing_disk())], 1)
    assert count(store, "hosts") == 2 and count(store, "observations") == 4
    assert list_rounds(store)[1].failures == 1


def test_a_partial_round_is_stored_as_partial_and_fixes_nothing_it_did_not_reach(
    store: HistoryStore,
) -> None:
    r1 = add(store, [Host("pc-1", failing_disk()), Host("pc-2", failing_disk())], 0)
    r2 = add(store, [Host("pc-1")], 1, run_id="r2", partial=("interrupted", 2))
    row = list_rounds(store)[1]
    assert row.partial == "interrupted" and row.hosts_planned == 2 and row.hosts == 1
    diff = diff_rounds(store, r1, r2, "en")
    assert entry(diff, "pc-1", "disk_encryption").change is Change.FIXED
    missing = entry(diff, "pc-2", "disk_encryption")
    assert missing.change is Change.UNVERIFIED and missing.reason == "not_in_round"
    # Not being in a partial round does not make a PC "not seen".
    assert stale_hosts(store, 14, T0 + WEEK + timedelta(days=1)).hosts == []
    # A later complete report of the same run makes the round complete.
    add(store, [Host("pc-1"), Host("pc-2")], 1, run_id="r2")
    assert list_rounds(store)[1].partial is None


def test_an_interrupted_run_without_the_marker_is_stored_as_partial(store: HistoryStore) -> None:
    data = report_data([Host("pc-1")], T0)
    store.add(from_data(data, interrupted=True), "scan")
    assert list_rounds(store)[0].partial == "interrupted"


def test_results_added_out_of_order_get_their_failure_dates_right(store: HistoryStore) -> None:
    add(store, [Host("pc-1", failing_disk())], 2)
    add(store, [Host("pc-1", failing_disk())], 1)
    add(store, [Host("pc-1")], 0)
    timeline = host_timeline(store, "pc-1", "en", T0 + 3 * WEEK)
    (failure,) = timeline.open_failures
    assert failure.failing_since == T0 + WEEK
    latest = resolve_round(store.conn, None)
    assert list_rounds(store)[-1].id == latest


def test_pruning_keeps_the_newest_round_and_the_age_of_open_failures(store: HistoryStore) -> None:
    for week in range(6):
        hosts = [Host("pc-1", failing_disk())]
        if week < 2:
            hosts.append(Host("pc-gone"))
        add(store, hosts, week)
    as_of = T0 + 6 * WEEK
    preview = prune(store, as_of, older_than_days=20, keep_last=None, dry_run=True)
    # Rounds finished more than 20 days before: weeks 0-3 (day 21 is 21 days before).
    assert [r.id for r in preview.rounds] == [1, 2, 3, 4]
    assert preview.hosts_forgotten == ["pc-gone"]
    assert count(store, "rounds") == 6  # a dry run changes nothing
    done = prune(store, as_of, older_than_days=20, keep_last=None, dry_run=False)
    assert len(done.rounds) == 4 and count(store, "rounds") == 2 and count(store, "hosts") == 1
    assert done.bytes_after <= done.bytes_before
    (failure,) = host_timeline(store, "pc-1", "en", as_of).open_failures
    assert failure.failing_since == T0  # from a pruned round, still remembered
    prune(store, as_of + 100 * WEEK, older_than_days=1, keep_last=None, dry_run=False)
    assert count(store, "rounds") == 1  # never the newest one
    store.add(from_data(report_data([Host("pc-1")], as_of)), "after.json")  # still writable


def test_reports_of_schema_1_written_by_earlier_releases_import(store: HistoryStore) -> None:
    folder = FIXTURES / "schema-1.0"
    for name in ("fleet.json", "single-host.json", "merged.json"):
        result = store.add(parse_report((folder / name).read_bytes()), name)
        assert result.added
    rows = list_rounds(store)
    assert [r.hosts for r in rows] == [3, 1, 2]
    # The single-host report and the merged one share a PC: one host, two results.
    timeline = host_timeline(store, "win11-24h2-en-firewall-public-off", "en", rows[-1].finished_at)
    assert len(timeline.rounds) == 2
    assert any(f.check_id == "firewall" for f in timeline.open_failures)
    assert count(store, "hosts") == 5


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not json", "not JSON"),
        (b'{"format": "endpoint-audit-bundle"}', "not an endpoint-audit JSON report"),
        (b'{"schema_version": "2.0", "hosts": []}', "report schema 2.0 is not supported"),
        (b'{"schema_version": "1.0", "hosts": []}', "tool: Field required"),
    ],
)
def test_a_file_that_is_not_a_report_is_one_line_saying_why(data: bytes, message: str) -> None:
    with pytest.raises(ReportError, match=message) as caught:
        parse_report(data)
    assert "\n" not in str(caught.value)


def test_stores_this_version_cannot_use_are_refused(tmp_path: Path) -> None:
    newer = tmp_path / "newer.sqlite3"
    HistoryStore.open(newer).close()
    with sqlite3.connect(newer) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="schema version 99, newer"):
        HistoryStore.open(newer)
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER)")
    with pytest.raises(StoreError, match="another program"):
        HistoryStore.open(other)
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="not a usable history store"):
        HistoryStore.open(junk)
    with pytest.raises(StoreError, match="no history store here"):
        HistoryStore.open(tmp_path / "missing.sqlite3", create=False)


def test_the_store_is_one_file_with_a_rollback_journal(store: HistoryStore) -> None:
    add(store, [Host("pc-1")], 0)
    mode = store.conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "delete"
    assert sorted(p.name for p in store.path.parent.iterdir()) == ["history.sqlite3"]


def test_a_pc_whose_clock_runs_ahead_is_stored_as_of_its_import(store: HistoryStore) -> None:
    # A report collected on a PC whose clock is ten years ahead: stored as seen when it
    # was imported, so it is neither left out of "as of now" views nor fresh for ever.
    imported = T0 + WEEK
    ahead = report_data([Host("pc-ahead")], T0 + timedelta(days=3650))
    store.add(from_data(ahead), "ahead.json", now=imported)
    store.add(from_data(report_data([Host("pc-1")], T0 + 2 * WEEK)), "w2.json", now=T0 + 3 * WEEK)
    as_of = T0 + 5 * WEEK
    stale = stale_hosts(store, 14, as_of)
    listed = {h.host: h.days for h in stale.hosts}
    assert stale.known == 2
    assert listed["pc-ahead"] == 28
    # The latest round is the one imported last in real time, not the one dated 2036.
    assert [r.source for r in list_rounds(store)] == ["ahead.json", "w2.json"]


def test_a_report_of_another_baseline_does_not_join_a_run_under_its_id(
    store: HistoryStore,
) -> None:
    """Reports joining one round are compared as one run of one baseline: a report that
    claims the run id of a round judged by another baseline is refused, not mixed in."""
    add(store, [Host("pc-1")], 0, run_id="run-1")
    other = report_data([Host("pc-2")], T0, run_id="run-1")
    other["baseline"]["sha256"] = "cd" * 32
    with pytest.raises(ReportError, match=r"run-1.*another baseline"):
        store.add(from_data(other), "other.json")
    assert count(store, "reports") == 1 and count(store, "observations") == 1


def test_history_host_keeps_a_failure_its_latest_audit_could_not_see(
    store: HistoryStore,
) -> None:
    add(store, [Host("pc-1", failing_disk())], 0)
    unknown = with_status(compliant_findings(), "disk_encryption", Status.UNKNOWN, "D:")
    add(store, [Host("pc-1", unknown)], 1)
    timeline = host_timeline(store, "pc-1", "en", T0 + 2 * WEEK)
    [still] = timeline.open_failures
    assert (still.check_id, still.resource, still.observed_at) == ("disk_encryption", "D:", T0)


def test_a_recorded_pc_is_seen_when_its_file_was_collected(store: HistoryStore) -> None:
    # An old bundle judged by `evaluate` today: its PC was stored as reached today, so
    # `history stale` never listed a PC whose last results were months old.
    judged = T0 + 10 * WEEK
    data = report_data([Host("pc-old"), Host("pc-new")], judged)
    data["hosts"][0]["source"] = "share/pc-old.json"
    data["hosts"][0]["collected_at"] = T0.isoformat()
    store.add(from_data(data), "evaluate.json", now=judged)
    stale = stale_hosts(store, 14, judged + timedelta(days=1))
    assert {h.host: h.days for h in stale.hosts} == {"pc-old": 71}
