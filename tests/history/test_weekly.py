"""The weekly report's figures against the store (counted with SQL written here, apart from
the report's own queries), and its Markdown and CSV forms with hostile host text."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from endpoint_audit.history.store import HistoryStore
from endpoint_audit.history.weekly import WeeklyOptions, weekly_report
from endpoint_audit.model.weekly import WeeklyReport
from endpoint_audit.render.weekly_text import WeeklyCsvRenderer, WeeklyMarkdownRenderer
from tests.history.reports import T0, WEEK
from tests.history.store_sql import CRITICAL, OPEN_FAILURES
from tests.history.weekly_store import (
    AS_OF,
    FORMULA_HOST,
    HOSTILE_GROUP,
    HOSTILE_HOST,
    build,
)

# Each host's newest observation that reached it, up to AS_OF: the "as last seen" view.


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HistoryStore]:
    opened = build(tmp_path / "history.sqlite3")
    yield opened
    opened.close()


def weekly(store: HistoryStore, lang: str = "en", **kw: Any) -> WeeklyReport:
    return weekly_report(store, lang, WeeklyOptions(as_of=AS_OF, **kw))


def scalar(store: HistoryStore, sql: str, **params: object) -> int:
    values = {"as_of": AS_OF.strftime("%Y-%m-%dT%H:%M:%SZ"), **params}
    return int(store.conn.execute(sql, values).fetchone()[0])


def test_figures_match_the_store(store: HistoryStore) -> None:
    report = weekly(store)
    latest = store.conn.execute("SELECT max(id) FROM rounds").fetchone()[0]
    assert report.latest is not None and report.latest.id == latest == 5
    assert report.latest.hosts == scalar(
        store, "SELECT count(*) FROM observations WHERE round_id = 5"
    )
    assert report.latest.compliant == scalar(
        store, "SELECT count(*) FROM observations WHERE round_id = 5 AND compliant = 1"
    )
    assert [p.round_id for p in report.trend] == [1, 2, 3, 4, 5]
    assert [p.partial for p in report.trend] == [False, False, True, False, False]
    assert report.coverage.known == scalar(store, "SELECT count(*) FROM hosts") == 9
    # pc-away was last reached in week 1, more than 14 days before AS_OF.
    assert [h.host for h in report.coverage.hosts] == ["pc-away"]
    assert report.open_failures == scalar(
        store,
        OPEN_FAILURES,
    )
    critical = scalar(
        store,
        CRITICAL,
    )
    assert len(report.critical) == critical == 3  # two unencrypted D:, one antivirus
    # pc-zeimu-04 was unreachable this week: its last result still counts (not fixed).
    assert any(r.host == "pc-zeimu-04" and r.latest_round == "unreachable" for r in report.roster)


def test_a_waiver_running_out_is_on_the_board_and_an_expired_one_counts(
    store: HistoryStore,
) -> None:
    report = weekly(store)
    (due,) = report.waivers_expiring
    assert due.host == "pc-soumu-02" and due.days_left == (due.expires - AS_OF.date()).days
    assert 0 <= due.days_left <= 30
    (expired,) = report.waivers_expired
    assert expired.host == "pc-zeimu-02" and expired.days_left < 0
    # The expired waiver's failure counts; the one in force does not.
    failing = {(f.host, f.check_id) for f in report.oldest}
    assert ("pc-zeimu-02", "firewall") in failing and ("pc-soumu-02", "firewall") not in failing
    assert weekly(store, expiring_days=1).waivers_expiring == []


def test_the_deadline_board_reads_os_support_and_antivirus_findings(store: HistoryStore) -> None:
    report = weekly(store)
    assert report.support_deadlines is not None
    (item,) = report.support_deadlines
    assert item.host == FORMULA_HOST and str(item.deadline) == "2026-10-13"
    assert item.days_left == (item.deadline - AS_OF.date()).days  # type: ignore[operator]
    assert report.signatures is not None and [d.resource for d in report.signatures] == [
        "signatures"
    ]


def test_the_boards_take_their_checks_from_roles_and_name_none() -> None:
    """The weekly report finds the antivirus and support-deadline checks by the roles in
    their meta.toml: no check id is written in its source."""
    import re

    import endpoint_audit.history.weekly as weekly_module
    from endpoint_audit.model.check_index import builtin_index

    assert weekly_module.ANTIVIRUS_CHECKS == ("antivirus",)
    assert "antivirus" in weekly_module.CRITICAL_CHECKS
    assert weekly_module.SUPPORT_DEADLINE_CHECKS == ("os_support",)
    source = Path(weekly_module.__file__).read_text(encoding="utf-8")
    quoted = set(re.findall(r"[\"']([a-z_]+)[\"']", source))
    assert not quoted & set(builtin_index()), quoted & set(builtin_index())


def test_without_such_checks_the_board_says_no_data(tmp_path: Path) -> None:
    from endpoint_audit.history.ingest import from_data
    from tests.history.reports import Host, report_data

    store = HistoryStore.open(tmp_path / "h.sqlite3")
    store.add(from_data(report_data([Host("pc-1")], T0)), "a.json")
    report = weekly_report(store, "en", WeeklyOptions(as_of=T0 + WEEK))
    assert report.support_deadlines is None and report.signatures is None
    markdown = WeeklyMarkdownRenderer().render(report)
    assert "No data: no check that tracks the end of OS support has run" in markdown
    assert report.groups == [] and "No PC has a host group" in markdown
    store.close()


def test_the_breakdown_by_group_adds_up_to_the_round(store: HistoryStore) -> None:
    report = weekly(store)
    rows = {g.group: g for g in report.groups}
    assert set(rows) == {"honcho", "総務課", "kita-shisho", "税務課", HOSTILE_GROUP}
    for name, row in rows.items():
        assert row.hosts == scalar(
            store,
            "SELECT count(*) FROM observations o JOIN observation_groups g ON g.observation_id"
            " = o.id WHERE o.round_id = 5 AND g.name = :name",
            name=name,
        )
    assert rows["税務課"].not_seen == 1  # pc-away
    assert rows["税務課"].compliant < rows["税務課"].hosts


def test_patch_age_and_the_trend_change(store: HistoryStore) -> None:
    report = weekly(store)
    buckets = {b.key: b.count for b in report.patch.buckets}
    assert buckets["gt60"] == 1  # pc-soumu-03: 68 days in week 5
    assert sum(buckets.values()) + report.patch.unknown == report.coverage.known
    rates = [p.rate for p in report.trend]
    assert report.trend[-1].delta == pytest.approx(rates[-1] - rates[-2])  # type: ignore[operator]


def test_as_of_before_any_round_says_so(store: HistoryStore) -> None:
    report = weekly_report(store, "ja", WeeklyOptions(as_of=T0 - WEEK))
    assert report.latest is None
    assert "履歴にありません" in WeeklyMarkdownRenderer().render(report)


def test_markdown_and_csv_keep_host_text_inert(store: HistoryStore) -> None:
    report = weekly(store, "ja")
    markdown = WeeklyMarkdownRenderer().render(report)
    # Escaped where Markdown would act: `\<script>` shows as text, never as a tag.
    assert "\\<script>" in markdown and "\\<img" in markdown and "## 週次" not in markdown
    html = MarkdownIt("commonmark").enable(["table"]).render(markdown)
    assert "<script" not in html and "<img" not in html
    assert "## 適合率の推移" in markdown and "## グループ別" in markdown
    rows = list(csv.reader(io.StringIO(WeeklyCsvRenderer().render(report))))
    assert rows[0][0] == "端末" and len(rows) == 1 + report.coverage.known
    cells = [c for row in rows for c in row]
    assert "'" + FORMULA_HOST in cells and FORMULA_HOST not in cells
    assert HOSTILE_HOST in cells  # text in a CSV cell, not markup


def test_report_weekly_writes_every_format(
    tmp_path: Path, store: HistoryStore, cli: Callable[..., Any]
) -> None:
    when = AS_OF.strftime("%Y-%m-%dT%H:%M:%S")
    paths = {f: tmp_path / f"weekly.{f}" for f in ("html", "csv", "markdown", "json")}
    args = [a for f, p in paths.items() for a in ("-f", f"{f}:{p}")]
    result = cli("report", "weekly", "--store", str(store.path), "--as-of", when, *args)
    assert result.exit_code == 0, result.stderr
    assert paths["csv"].read_bytes().startswith(b"\xef\xbb\xbf")
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert data["latest"]["id"] == 5 and data["coverage"]["known"] == 9
    html = paths["html"].read_text(encoding="utf-8")
    assert "<script" not in html.replace("&lt;script", "")
    missing = cli("report", "weekly", "--store", str(tmp_path / "none.sqlite3"))
    assert missing.exit_code == 2 and "no history store here" in missing.stderr
    bad = cli("report", "weekly", "--store", str(store.path), "-f", "pdf")
    assert bad.exit_code == 2 and "choose from html, markdown, csv, json" in bad.stderr


def test_a_changed_baseline_is_said_beside_the_changes(tmp_path: Path) -> None:
    """A failure 'fixed' because the rules changed is not a PC fixed: when the two rounds
    the weekly report compares were judged by different baselines, it says so."""
    from endpoint_audit.history.ingest import from_data
    from endpoint_audit.model.result import Status
    from endpoint_audit.render.weekly_html import WeeklyHtmlRenderer
    from tests.history.reports import Host, compliant_findings, report_data, with_status

    disk = with_status(compliant_findings(), "disk_encryption", Status.FAIL, "D:")
    with HistoryStore.open(tmp_path / "h.sqlite3") as opened:
        opened.add(from_data(report_data([Host("pc-1", disk)], T0)), "a.json")
        relaxed = report_data([Host("pc-1")], T0 + WEEK)
        relaxed["baseline"]["sha256"] = "cd" * 32
        relaxed["baseline"]["version"] = "2026.2"
        opened.add(from_data(relaxed), "b.json")
        same = report_data([Host("pc-1")], T0 + 2 * WEEK)
        same["baseline"]["sha256"] = "cd" * 32
        same["baseline"]["version"] = "2026.2"
        for lang, words in (("en", "baselines differ"), ("ja", "基準が異なります")):
            report = weekly_report(opened, lang, WeeklyOptions(as_of=T0 + WEEK))
            assert report.diff is not None and report.diff.baseline_changed
            markdown = WeeklyMarkdownRenderer().render(report)
            html = WeeklyHtmlRenderer().render(report)
            assert words in markdown and "2026.2" in markdown
            assert words in html and 'id="baseline-changed"' in html
        opened.add(from_data(same), "c.json")
        later = weekly_report(opened, "en", WeeklyOptions(as_of=T0 + 2 * WEEK))
        assert "baselines differ" not in WeeklyMarkdownRenderer().render(later)
        assert 'id="baseline-changed"' not in WeeklyHtmlRenderer().render(later)


def test_an_incomplete_round_is_not_compared_as_a_change_of_compliance(tmp_path: Path) -> None:
    """An interrupted round that reached only the compliant PCs is not "up 50 pt": its
    rate is over fewer PCs. The next complete round is compared with the last complete one."""
    from endpoint_audit.history.ingest import from_data
    from endpoint_audit.model.result import Status
    from tests.history.reports import Host, compliant_findings, report_data, with_status

    disk = with_status(compliant_findings(), "disk_encryption", Status.FAIL, "D:")
    fleet = [Host("pc-1"), Host("pc-2", disk)]
    with HistoryStore.open(tmp_path / "h.sqlite3") as opened:
        opened.add(from_data(report_data(fleet, T0)), "a.json")
        stopped = report_data(fleet[:1], T0 + WEEK, partial=("interrupted", 2))
        opened.add(from_data(stopped), "b.json")
        report = weekly_report(opened, "en", WeeklyOptions(as_of=T0 + WEEK))
        assert [p.rate for p in report.trend] == [50.0, 100.0]
        assert report.trend[-1].partial and report.trend[-1].delta is None
        markdown = WeeklyMarkdownRenderer().render(report)
        assert "+50" not in markdown and "incomplete round" in markdown
        ja_report = weekly_report(opened, "ja", WeeklyOptions(as_of=T0 + WEEK))
        ja = WeeklyMarkdownRenderer().render(ja_report)
        assert "不完全なラウンド" in ja
        opened.add(from_data(report_data(fleet, T0 + 2 * WEEK)), "c.json")
        later = weekly_report(opened, "en", WeeklyOptions(as_of=T0 + 2 * WEEK))
        assert later.trend[-1].delta == 0.0  # against the last complete round
        # Per check too: the incomplete round is no reference.
        assert all(c.delta is None for c in report.check_trends)
        disk_trend = next(c for c in later.check_trends if c.check_id == "disk_encryption")
        assert disk_trend.rates == [50.0, 100.0, 50.0] and disk_trend.delta == 0.0


def test_group_changes_are_not_stated_against_an_incomplete_round(tmp_path: Path) -> None:
    from endpoint_audit.history.ingest import from_data
    from endpoint_audit.model.result import Status
    from tests.history.reports import Host, compliant_findings, report_data, with_status

    disk = with_status(compliant_findings(), "disk_encryption", Status.FAIL, "D:")
    fleet = [Host("pc-1", groups=("g",)), Host("pc-2", disk, groups=("g",))]
    with HistoryStore.open(tmp_path / "h.sqlite3") as opened:
        opened.add(from_data(report_data(fleet, T0)), "a.json")
        stopped = report_data(fleet[:1], T0 + WEEK, partial=("interrupted", 2))
        opened.add(from_data(stopped), "b.json")
        [row] = weekly_report(opened, "en", WeeklyOptions(as_of=T0 + WEEK)).groups
        assert row.rate == 100.0 and row.delta is None


def test_a_pc_never_reached_has_no_failure_counts_in_the_roster(tmp_path: Path) -> None:
    """In Excel, a PC that no audit reached must not sort and filter as "0 failures"."""
    from endpoint_audit.history.ingest import from_data
    from tests.history.reports import Host, report_data

    with HistoryStore.open(tmp_path / "h.sqlite3") as opened:
        opened.add(from_data(report_data([Host("pc-1"), Host("pc-9", reachable=False)], T0)), "a")
        report = weekly_report(opened, "en", WeeklyOptions(as_of=T0 + WEEK))
        never = next(r for r in report.roster if r.host == "pc-9")
        seen = next(r for r in report.roster if r.host == "pc-1")
        assert (never.failures, never.critical, never.waivers_due) == (None, None, None)
        assert (seen.failures, seen.critical, seen.waivers_due) == (0, 0, 0)
        rows = list(csv.DictReader(io.StringIO(WeeklyCsvRenderer().render(report))))
        by_host = {r["PC"]: r for r in rows}
        counts = ("Open failures", "Critical items", "Waivers expiring")
        assert [by_host["pc-9"][c] for c in counts] == ["", "", ""]
        assert [by_host["pc-1"][c] for c in counts] == ["0", "0", "0"]


def test_a_failure_the_latest_audit_could_not_see_stays_open(tmp_path: Path) -> None:
    """Disk encryption failed, then came back unknown: it is not fixed (history diff says
    not verified), so it stays an open failure and a critical item, as of the audit that
    last saw it, instead of leaving the board as if solved."""
    from endpoint_audit.history.ingest import from_data
    from endpoint_audit.model.result import Status
    from tests.history.reports import Host, compliant_findings, report_data, with_status

    fail = with_status(compliant_findings(), "disk_encryption", Status.FAIL, "C:")
    unknown = with_status(compliant_findings(), "disk_encryption", Status.UNKNOWN, "C:")
    with HistoryStore.open(tmp_path / "h.sqlite3") as opened:
        opened.add(from_data(report_data([Host("pc-1", fail), Host("pc-2", fail)], T0)), "a")
        second = [Host("pc-1", unknown), Host("pc-2", compliant_findings())]
        opened.add(from_data(report_data(second, T0 + WEEK)), "b")
        opened.add(from_data(report_data([Host("pc-1", unknown)], T0 + 2 * WEEK)), "c")
        report = weekly_report(opened, "en", WeeklyOptions(as_of=T0 + 2 * WEEK))
        assert report.open_failures == 1
        [item] = report.critical
        assert (item.host, item.check_id, item.resource) == ("pc-1", "disk_encryption", "C:")
        assert item.observed_at == T0 and item.failing_since == T0 and item.days_open == 14
        row = next(r for r in report.roster if r.host == "pc-1")
        assert (row.critical, row.failures) == (1, 1)
        assert [w.host for w in report.worst_hosts] == ["pc-1"]
        # pc-2 passed since: fixed, not carried.
        assert all(f.host != "pc-2" for f in report.oldest)
