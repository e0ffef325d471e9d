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
