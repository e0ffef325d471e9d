"""The weekly HTML report in headless Chromium (DevTools pipe, tests/render/cdp.py): the
counts the page shows are the store's (counted here with SQL of its own), no script
runs (not ours, not the data's), the page attempts no request and breaks no CSP rule,
every chart mark carries its value as text, and it prints on A4. A screenshot and the
PDF go to the test artifacts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from endpoint_audit.history.queries import diff_rounds
from endpoint_audit.history.store import HistoryStore
from endpoint_audit.history.weekly import WeeklyOptions, weekly_report
from endpoint_audit.render.weekly_html import WeeklyHtmlRenderer
from tests.conftest import require_tool
from tests.history.store_sql import CRITICAL, OPEN_FAILURES, WAIVERS_DUE
from tests.history.weekly_store import AS_OF, HOSTILE_HOST, build
from tests.render.cdp import Browser
from tests.render.test_html_browser import CONTAINMENT

pytestmark = pytest.mark.chromium


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    exe = require_tool("chromium", "chromium-browser", "/usr/bin/chromium")
    instance = Browser(exe, tmp_path / "profile", CONTAINMENT)
    try:
        yield instance
    finally:
        instance.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HistoryStore]:
    opened = build(tmp_path / "history.sqlite3")
    yield opened
    opened.close()


def sql_count(store: HistoryStore, sql: str, **params: object) -> int:
    values = {"as_of": AS_OF.strftime("%Y-%m-%dT%H:%M:%SZ"), **params}
    return int(store.conn.execute(sql, values).fetchone()[0])


def open_weekly(store: HistoryStore, browser: Browser, page: Path, lang: str) -> None:
    report = weekly_report(store, lang, WeeklyOptions(as_of=AS_OF))
    page.write_text(WeeklyHtmlRenderer().render(report), encoding="utf-8")
    browser.open_page(page.as_uri(), width=1100)


def count_of(browser: Browser, selector: str) -> int:
    value = browser.evaluate(f"document.querySelector('{selector}').dataset.count")
    return int(value)


def test_weekly_counts_in_the_dom_are_the_stores_and_nothing_is_requested(
    tmp_path: Path, browser: Browser, store: HistoryStore, artifacts: Path
) -> None:
    page = tmp_path / "weekly-ja.html"
    open_weekly(store, browser, page, "ja")
    assert [u for u in browser.requests() if u != page.as_uri()] == []
    assert browser.messages() == []  # no CSP violation, no script error
    root = "document.documentElement"
    assert browser.evaluate("document.scripts.length") == 0
    assert browser.evaluate(f"{root}.getAttribute('data-pwned')") is None
    hostile = browser.evaluate(
        "[...document.querySelectorAll('#oldest td')].some(td => td.textContent === "
        f"{HOSTILE_HOST!r})"
    )
    assert hostile is True  # the hostile name is shown, as text

    latest = 5
    assert browser.evaluate("document.getElementById('latest-round').dataset.round") == str(latest)
    assert count_of(browser, "#reached") == sql_count(
        store, "SELECT count(*) FROM observations WHERE round_id = :r AND reached = 1", r=latest
    )
    assert count_of(browser, "#known") == sql_count(store, "SELECT count(*) FROM hosts")
    seen = sql_count(
        store,
        "SELECT count(*) FROM hosts WHERE last_reached >= strftime('%Y-%m-%dT%H:%M:%SZ',"
        " :as_of, '-14 days')",
    )
    assert count_of(browser, "#seen") == seen
    assert count_of(browser, "#not-seen") == count_of(browser, "#known") - seen
    assert count_of(browser, "#open-failures") == sql_count(
        store,
        OPEN_FAILURES,
    )
    assert count_of(browser, "#critical-count") == sql_count(
        store,
        CRITICAL,
    )
    assert count_of(browser, "#waivers-expiring") == sql_count(
        store,
        WAIVERS_DUE,
    )
    diff = diff_rounds(store, latest - 1, latest, "ja")
    assert count_of(browser, "#new-count") == diff.counts["new"]
    assert count_of(browser, "#fixed-count") == diff.counts["fixed"]
    # The trend table: every round, with its compliant PCs as the store counts them.
    rows = browser.evaluate(
        "[...document.querySelectorAll('#trend-table tbody tr')].map(r => [r.dataset.round,"
        " r.dataset.compliant, r.dataset.hosts])"
    )
    for round_id, compliant, hosts in rows:
        assert int(compliant) == sql_count(
            store,
            "SELECT count(*) FROM observations WHERE round_id = :r AND compliant = 1",
            r=int(round_id),
        )
        assert int(hosts) == sql_count(
            store, "SELECT count(*) FROM observations WHERE round_id = :r", r=int(round_id)
        )
    assert len(rows) == 5
    # Readable without colour: every mark of every chart has its value as text.
    marks = browser.evaluate("document.querySelectorAll('#trend-chart .mark-rate').length")
    labels = browser.evaluate("document.querySelectorAll('#trend-chart text.value').length")
    assert marks == 5 and labels >= marks
    bars = browser.evaluate("document.querySelectorAll('svg.bars .bar-fill').length")
    values = browser.evaluate("document.querySelectorAll('svg.bars text.value').length")
    assert bars == values > 0
    hollow = browser.evaluate("document.querySelectorAll('#trend-chart .hollow').length")
    assert hollow == 2  # the interrupted round, in both series
    shot = artifacts / "weekly-ja.png"
    browser.screenshot(shot)
    assert shot.stat().st_size > 20_000


def test_weekly_prints_on_a4(
    tmp_path: Path, browser: Browser, store: HistoryStore, artifacts: Path
) -> None:
    page = tmp_path / "weekly-en.html"
    open_weekly(store, browser, page, "en")
    browser.emulate_print()
    pdf = artifacts / "weekly-en.pdf"
    browser.print_pdf(pdf)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert boxes and {(round(float(w)), round(float(h))) for w, h in boxes} == {(595, 842)}
    assert len(boxes) >= 3
    assert [u for u in browser.requests() if u != page.as_uri()] == []
