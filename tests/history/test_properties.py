"""Property-based tests (hypothesis) on hostile reports: whatever text hosts put in their
names, groups, resources and messages, a report imports once and only once, keeps that
text exactly, and the weekly HTML holds it as text (no element or attribute from it)."""

from __future__ import annotations

import json
import tempfile
from html.parser import HTMLParser
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from endpoint_audit.history.ingest import from_data, parse_report
from endpoint_audit.history.queries import host_timeline, list_rounds
from endpoint_audit.history.store import HistoryStore
from endpoint_audit.history.weekly import WeeklyOptions, weekly_report
from endpoint_audit.model.result import Status
from endpoint_audit.render.weekly_html import WeeklyHtmlRenderer
from tests.history.reports import T0, WEEK, Host, compliant_findings, finding, report_data

# Text as a hostile host sends it: markup, quotes, controls, any script, surrogate-free.
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() == s and s != "")
MARKUP = st.sampled_from(
    [
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "</td><svg onload=x>",
        "=cmd|' /C calc'!A0",
        "{{7*7}}",
        "総務課<b>",
    ]
)
HOSTILE = st.one_of(TEXT, MARKUP, st.tuples(MARKUP, TEXT).map("".join))

# The tags and attributes the weekly template itself writes; anything else came from data.
TAGS = {
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "header",
    "h1",
    "h2",
    "h3",
    "dl",
    "div",
    "dt",
    "dd",
    "time",
    "p",
    "code",
    "main",
    "section",
    "span",
    "small",
    "svg",
    "line",
    "circle",
    "rect",
    "path",
    "text",
    "g",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "footer",
    "defs",
    "pattern",
}


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]


def _store(folder: str) -> HistoryStore:
    return HistoryStore.open(Path(folder) / "h.sqlite3")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=HOSTILE, group=HOSTILE, resource=HOSTILE, reason=HOSTILE)
def test_hostile_text_imports_once_and_stays_text(
    name: str, group: str, resource: str, reason: str
) -> None:
    failing = [
        *compliant_findings(),
        finding("disk_encryption", Status.FAIL, resource, reason=reason),
    ]
    data = report_data([Host(name, failing, groups=(group,))], T0)
    with tempfile.TemporaryDirectory() as folder:
        store = _store(folder)
        try:
            assert store.add(from_data(data), "a.json").added
            again = json.dumps(data, ensure_ascii=True, indent=3).encode()
            assert not store.add(parse_report(again), "b.json").added
            assert len(list_rounds(store)) == 1
            timeline = host_timeline(store, name, "en", T0 + WEEK)
            assert timeline.name == name and timeline.groups == [group]
            (failure,) = [f for f in timeline.open_failures if f.check_id == "disk_encryption"]
            assert failure.resource == resource and reason in failure.message
            report = weekly_report(store, "ja", WeeklyOptions(as_of=T0 + WEEK))
            html = WeeklyHtmlRenderer().render(report)
        finally:
            store.close()
    parser = _Elements()
    parser.feed(html)
    assert parser.tags <= TAGS, parser.tags - TAGS
    assert parser.handlers == []


STATE = st.sampled_from(["pass", "fail", "unknown", "error", "down", "absent"])


def _round_hosts(states: tuple[str, str]) -> list[Host]:
    hosts = []
    for name, state in zip(("pc-1", "pc-2"), states, strict=True):
        if state == "absent":
            continue
        if state == "down":
            hosts.append(Host(name, reachable=False))
            continue
        findings = [f for f in compliant_findings() if f.check_id != "firewall"]
        findings.append(finding("firewall", Status(state)))
        hosts.append(Host(name, findings))
    return hosts or [Host("pc-3")]


def _summary(store: HistoryStore) -> object:
    as_of = T0 + 20 * WEEK
    weekly = weekly_report(store, "en", WeeklyOptions(as_of=as_of, stale_days=8))
    rounds = [(r.finished_at, r.hosts, r.reached, r.compliant) for r in list_rounds(store)]
    failures = sorted(
        (f.host, f.check_id, f.resource, f.failing_since, f.observed_at)
        for f in weekly.oldest + weekly.critical
    )
    roster = [(r.host, r.latest_round, r.last_reached, r.compliant) for r in weekly.roster]
    changes = (
        sorted((e.change.value, e.host, e.check_id) for e in weekly.diff.entries)
        if weekly.diff
        else None
    )
    stale = [(h.host, h.days) for h in weekly.coverage.hosts]
    return rounds, failures, roster, changes, stale


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    plan=st.lists(st.tuples(STATE, STATE), min_size=1, max_size=4),
    order=st.randoms(use_true_random=False),
    twice=st.booleans(),
)
def test_any_order_of_import_gives_the_same_history(
    plan: list[tuple[str, str]], order: object, twice: bool
) -> None:
    """The same reports imported in any order (and some twice) give the same rounds, the
    same open failures with the same start dates, the same latest state per PC, the same
    changes and the same PCs not seen: an older report never overwrites a newer one."""
    reports = [report_data(_round_hosts(s), T0 + i * WEEK) for i, s in enumerate(plan)]
    shuffled = list(reports)
    order.shuffle(shuffled)  # type: ignore[attr-defined]
    if twice:
        shuffled += shuffled[:1]
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        with _store(a) as in_order, _store(b) as mixed:
            for i, data in enumerate(reports):
                in_order.add(from_data(data), f"r{i}.json")
            for data in shuffled:
                mixed.add(from_data(data), f"r{reports.index(data)}.json")
            assert _summary(mixed) == _summary(in_order)
            if len(plan) > 1:
                _, _, _, changes, _ = _summary(in_order)  # type: ignore[misc]
                before, after = plan[-2], plan[-1]
                for change, host, _ in changes:
                    i = 0 if host == "pc-1" else 1
                    if change == "fixed":  # only a pass the later round saw is a fix
                        assert (before[i], after[i]) == ("fail", "pass")
                    if change == "not_verified":
                        assert before[i] == "fail" and after[i] not in ("pass", "fail")
                for i, host in enumerate(("pc-1", "pc-2")):
                    if before[i] == "fail" and after[i] != "fail":
                        expected = "fixed" if after[i] == "pass" else "not_verified"
                        assert (expected, host, "firewall") in changes
