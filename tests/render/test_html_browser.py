"""The HTML report in a real browser (headless Chromium driven over the DevTools pipe):
it renders the expected counts, no script from the data runs, and the page attempts no
network request: every request the page causes is recorded (Network.requestWillBeSent),
and so is every Content-Security-Policy violation (a blocked attempt). Control pages
prove the recorder sees both. The browser's own traffic goes to a proxy on a closed
loopback port, so nothing leaves the machine. Screenshots of a host report and a fleet
report, and an A4 PDF, go to the test artifacts folder.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from endpoint_audit.model.result import RunReport
from endpoint_audit.render.base import RenderOptions
from endpoint_audit.render.html import HtmlRenderer
from endpoint_audit.render.summary import summarize
from endpoint_audit.render.text import framework_label
from tests.conftest import require_tool
from tests.render.cdp import Browser
from tests.render.corpus import (
    hostile_report,
    make_report,
    sample_hosts,
    sample_report,
    single_host_report,
)

pytestmark = pytest.mark.chromium

# Port 9 (discard) on loopback: nothing listens, so a request through it goes nowhere.
CONTAINMENT = ("--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    exe = require_tool("chromium", "chromium-browser", "/usr/bin/chromium")
    instance = Browser(exe, tmp_path / "profile", CONTAINMENT)
    try:
        yield instance
    finally:
        instance.close()


def write_page(tmp_path: Path, name: str, report: RunReport, lang: str) -> Path:
    page = tmp_path / name
    page.write_text(HtmlRenderer().render(report, RenderOptions(lang=lang)), encoding="utf-8")
    return page


def page_requests(browser: Browser, page: Path) -> list[str]:
    """Requests other than the page's own file."""
    return [u for u in browser.requests() if u != page.as_uri()]


def test_recorder_sees_requests_and_csp_blocks(tmp_path: Path, browser: Browser) -> None:
    """The controls: without them, an empty recording would prove nothing."""
    page = tmp_path / "control.html"
    page.write_text(
        '<img src="http://127.0.0.1:9/beacon.png">'
        "<iframe srcdoc=\"<meta http-equiv=Content-Security-Policy content='default-src "
        "\\'none\\''><img src=http://127.0.0.1:9/blocked.png>\"></iframe>",
        encoding="utf-8",
    )
    browser.open_page(page.as_uri())
    assert any("beacon.png" in u for u in page_requests(browser, page)), browser.requests()
    assert any("blocked.png" in m for m in browser.messages()), browser.messages()


def test_hostile_report_runs_no_data_script_and_requests_nothing(
    tmp_path: Path, browser: Browser
) -> None:
    report = hostile_report("en")
    page = write_page(tmp_path, "hostile.html", report, "en")
    browser.open_page(page.as_uri())
    assert page_requests(browser, page) == []
    assert browser.messages() == []  # no CSP violation, no script error
    root = "document.documentElement"
    assert browser.evaluate(f"{root}.getAttribute('data-enhanced')") == "1"  # our script ran
    assert browser.evaluate(f"{root}.getAttribute('data-pwned')") is None  # none of the data's
    assert browser.evaluate("document.querySelectorAll('img, svg, iframe, link').length") == 0
    assert browser.evaluate("document.scripts.length") == 1
    summary = summarize(report)
    for status in ("fail", "error", "unknown", "pass", "not_applicable"):
        shown = browser.evaluate(
            f"document.querySelector('[data-status-count=\"{status}\"]').textContent"
        )
        assert shown == str(summary.finding_counts[status]), status
    target = browser.evaluate("document.querySelector('#host-1 .target').textContent")
    assert target == report.hosts[0].target  # the hostile name, as text
    # The script enhances the fleet table: filtering hides rows, nothing else changes.
    assert browser.evaluate("document.getElementById('filters').hidden") is False
    rows = "document.querySelectorAll('#host-table tbody tr:not([hidden])').length"
    assert browser.evaluate(rows) == 3
    browser.evaluate(
        "(() => { const i = document.getElementById('host-filter'); i.value = 'pc-soumu';"
        " i.dispatchEvent(new Event('input')); })()"
    )
    assert browser.evaluate(rows) == 1


@pytest.mark.parametrize(
    ("name", "factory", "lang"),
    [("report-host-ja", single_host_report, "ja"), ("report-fleet-ja", sample_report, "ja")],
)
def test_screenshots(
    tmp_path: Path, browser: Browser, artifacts: Path, name: str, factory: object, lang: str
) -> None:
    assert callable(factory)
    report = factory(lang)
    page = write_page(tmp_path, f"{name}.html", report, lang)
    browser.open_page(page.as_uri())
    shot = artifacts / f"{name}.png"
    browser.screenshot(shot)
    assert shot.stat().st_size > 10_000
    assert browser.evaluate("document.getElementById('host-count').dataset.count") == str(
        len(report.hosts)
    )
    assert page_requests(browser, page) == [] and browser.messages() == []


def test_prints_on_a4_with_evidence_open(tmp_path: Path, browser: Browser, artifacts: Path) -> None:
    page = write_page(tmp_path, "print.html", sample_report("ja"), "ja")
    browser.open_page(page.as_uri())
    # Evidence is folded on screen; the print stylesheet shows its content on paper.
    evidence = "document.querySelector('details.evidence pre').checkVisibility()"
    assert browser.evaluate(evidence) is False
    browser.emulate_print()
    assert browser.evaluate(evidence) is True
    pdf = artifacts / "report-fleet-ja.pdf"
    browser.print_pdf(pdf)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert boxes, "no page boxes found"
    assert {(round(float(w)), round(float(h))) for w, h in boxes} == {(595, 842)}  # A4
    # Summary with fleet view, the checks, then one page per host at least.
    assert len(boxes) >= 5
    assert page_requests(browser, page) == []


def test_a_partial_report_shows_its_banner_on_screen_and_paper(
    tmp_path: Path, browser: Browser
) -> None:
    from endpoint_audit.model.result import PartialInfo

    report = sample_report("ja")
    report.partial = PartialInfo(reason="interrupted", hosts_planned=40, hosts_reported=3)
    page = write_page(tmp_path, "partial.html", report, "ja")
    browser.open_page(page.as_uri())
    banner = "document.getElementById('partial')"
    assert browser.evaluate(f"{banner}.checkVisibility()") is True
    text = browser.evaluate(f"{banner}.textContent")
    assert "部分レポート" in text and "40 台中 3 台" in text
    # Above the summary, so nobody reads the figures before the warning.
    order = f"{banner}.compareDocumentPosition(document.getElementById('summary'))"
    assert browser.evaluate(order) & 4  # DOCUMENT_POSITION_FOLLOWING
    browser.emulate_print()
    assert browser.evaluate(f"{banner}.checkVisibility()") is True


HEADERS_ON_ONE_LINE = (
    "[...document.querySelectorAll('thead th')].filter(th => {"
    " const style = getComputedStyle(th); const line = parseFloat(style.lineHeight);"
    " const box = th.getBoundingClientRect().height - parseFloat(style.paddingTop)"
    " - parseFloat(style.paddingBottom); return box > line * 1.5; })"
    ".map(th => th.textContent)"
)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_findings_first_only_present_platforms_values_for_people(
    tmp_path: Path, browser: Browser, artifacts: Path, lang: str
) -> None:
    linux = make_report(sample_hosts(lang)[1:2], lang)  # one Linux host
    page = write_page(tmp_path, f"linux-{lang}.html", linux, lang)
    browser.open_page(page.as_uri(), width=1024)
    browser.screenshot(artifacts / f"report-linux-{lang}.png")
    order = "[...document.querySelectorAll('main > section')].map(s => s.id)"
    ids = browser.evaluate(order)
    assert ids.index("hosts") < ids.index("frameworks"), ids  # the host's findings first
    tables = browser.evaluate(
        "[...document.querySelectorAll('#frameworks h3')].map(h => h.textContent)"
    )
    windows, ubuntu = (framework_label(f, lang) for f in ("cis_windows11", "cis_ubuntu2404"))
    assert ubuntu in tables and windows not in tables, tables
    # Column headers never break inside a word, even at a narrow width.
    browser.open_page(page.as_uri(), width=700)
    assert browser.evaluate(HEADERS_ON_ONE_LINE) == []
    assert page_requests(browser, page) == [] and browser.messages() == []


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_values_are_lines_with_long_lists_folded(
    tmp_path: Path, browser: Browser, artifacts: Path, lang: str
) -> None:
    packages = [f"pkg{i}" for i in range(92)]
    hosts = sample_hosts(lang)[:1]
    bad = (
        hosts[0]
        .findings[0]
        .model_copy(
            update={
                "expected": {"max_pending_security_updates": 0},
                "actual": {"pending_security_updates": 92, "packages": packages},
            }
        )
    )
    hosts[0].findings[0] = bad
    report = make_report(hosts, lang)
    page = write_page(tmp_path, f"values-{lang}.html", report, lang)
    browser.open_page(page.as_uri())
    browser.screenshot(artifacts / f"report-host-{lang}.png")
    first = "[...document.querySelectorAll('.values')].find(d => d.textContent.includes('pkg0'))"
    text = browser.evaluate(f"{first}.innerText")
    assert "max_pending_security_updates: 0" in text
    assert "pending_security_updates: 92" in text
    assert "{" not in text and "[" not in text  # no raw JSON
    # The whole list is there, folded: only the first five show until it is opened.
    assert browser.evaluate(f"{first}.querySelector('details.vlist').open") is False
    assert "pkg91" in browser.evaluate(f"{first}.querySelector('details.vlist').textContent")
    assert (
        browser.evaluate(f"{first}.querySelector('details.vlist summary').innerText").count("pkg")
        == 5
    )
    assert page_requests(browser, page) == [] and browser.messages() == []
