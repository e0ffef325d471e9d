"""JUnit read back with junitparser, CSV through the csv module, HTML structure."""

from __future__ import annotations

import csv
import html
import io

import pytest
from junitparser import Error, Failure, JUnitXml, Skipped

from endpoint_audit.model import i18n
from endpoint_audit.model.result import Status
from endpoint_audit.render.base import RenderOptions
from endpoint_audit.render.builtin import BUILTIN_RENDERERS
from endpoint_audit.render.csv_report import COLUMNS, CsvRenderer
from endpoint_audit.render.html import HtmlRenderer, script_hash
from endpoint_audit.render.junit import JunitRenderer
from tests.render.corpus import (
    finding,
    make_report,
    sample_hosts,
    sample_report,
    single_host_report,
)


def test_junit_reads_back_with_the_expected_outcomes(tmp_path: object) -> None:
    xml = JunitRenderer().render(sample_report("ja"), RenderOptions(lang="ja"))
    suites = {s.name: s for s in JUnitXml.fromstring(xml)}
    assert list(suites) == ["pc-soumu-001", "pc-kikaku-002", "pc-zaimu-003"]

    win = suites["pc-soumu-001"]
    outcomes = {}
    for case in win:
        kinds = {type(r).__name__ for r in case.result}
        outcomes[case.name] = kinds
    assert outcomes["disk_encryption[C:]"] == set()  # pass
    assert outcomes["disk_encryption[D:]"] == {"Failure"}
    assert outcomes["firewall[Public]"] == set()  # waived in force: passes
    assert outcomes["open_ports[0.0.0.0:3389/tcp]"] == {"Failure"}  # waiver expired
    assert outcomes["screen_lock"] == {"Error"}  # unknown: not verified
    assert (win.tests, win.failures, win.errors, win.skipped) == (5, 2, 1, 0)
    [failure] = [r for c in win if c.name == "disk_encryption[D:]" for r in c.result]
    assert isinstance(failure, Failure)
    assert "ディスク暗号化" in (failure.message or "")
    assert "FullyDecrypted" in (failure.text or "")

    clean = suites["pc-kikaku-002"]
    assert (clean.tests, clean.failures, clean.errors, clean.skipped) == (4, 0, 0, 1)
    assert any(isinstance(r, Skipped) for c in clean for r in c.result)

    down = suites["pc-zaimu-003"]
    [case] = list(down)
    [error] = case.result
    assert isinstance(error, Error) and error.message == "connection refused"


def test_csv_has_a_bom_and_round_trips_japanese() -> None:
    renderer = CsvRenderer()
    text = renderer.render(sample_report("ja"), RenderOptions(lang="ja"))
    data = text.encode(renderer.encoding)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 5 + 4 + 1  # findings of two hosts, one row for the unreachable one
    header = list(rows[0])
    assert header[0] == "端末" and len(header) == len(COLUMNS)
    d_drive = next(r for r in rows if r["対象"] == "D:")
    assert d_drive["判定"] == "不適合" and d_drive["重要度"] == "緊急"
    assert d_drive["チェック項目"] == "ディスク暗号化"
    assert d_drive["実際の値"] == "FullyDecrypted"
    waived = next(r for r in rows if r["対象"] == "Public")
    assert waived["例外承認"] == "例外承認済み" and waived["理由"] == "VPN 製品が代替"
    assert waived["承認者"] == "情報政策課" and waived["有効期限"] == "2026-12-31"
    down = next(r for r in rows if r["端末"] == "pc-zaimu-003")
    assert down["端末の状態"] == "接続不可" and "connection refused" in down["所見"]


def test_html_single_host_shows_remediation_for_its_os_and_evidence_folded() -> None:
    page = HtmlRenderer().render(single_host_report("ja"), RenderOptions(lang="ja"))
    assert "設定アプリで有効にします。" in page  # the Windows remediation
    assert "systemctl で有効にします。" not in page  # not the Linux one
    assert "CIS Microsoft Windows 11 Enterprise Benchmark" in page
    assert "CIS Ubuntu Linux Benchmark" not in page  # a Linux-only reference
    assert '<details class="evidence">' in page and "<details open" not in page
    assert 'id="fleet"' not in page  # one host: no fleet view
    assert "VPN 製品が代替" in page and "2026-12-31" in page


def test_html_fleet_view_links_each_host_and_orders_worst_first() -> None:
    page = HtmlRenderer().render(sample_report("en"), RenderOptions(lang="en"))
    assert 'id="fleet"' in page
    table = page.split('id="host-table"', 1)[1].split("</table>", 1)[0]
    order = [table.index(name) for name in ("pc-zaimu-003", "pc-soumu-001", "pc-kikaku-002")]
    assert order == sorted(order)
    for anchor in ("host-1", "host-2", "host-3"):
        assert f'href="#{anchor}"' in table and f'id="{anchor}"' in page


def test_html_script_hash_matches_the_inline_script() -> None:
    page = HtmlRenderer().render(single_host_report(), RenderOptions())
    script = page.split("<script>", 1)[1].split("</script>", 1)[0]
    # The attribute is HTML-escaped (`'` as `&#39;`); the browser reads it unescaped.
    assert script_hash(script) in html.unescape(page)


def test_html_makes_no_external_reference() -> None:
    page = HtmlRenderer().render(sample_report(), RenderOptions())
    for needle in ("http://", "https://", "@import", "url(", "//fonts", "<link"):
        assert needle not in page, needle


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_format_renders_edge_cases(lang: str) -> None:
    """No hosts at all, and a finding of a check the report does not describe (a plugin's)."""
    hosts = sample_hosts(lang)
    plugin = finding("open_ports", Status.FAIL, lang=lang).model_copy(
        update={"check_id": "acme.usb_policy"}
    )
    hosts[0].findings.append(plugin)
    for report in (make_report([], lang), make_report(hosts, lang)):
        for cls in BUILTIN_RENDERERS:
            text = cls().render(report, RenderOptions(lang=lang))
            assert text, cls.name
            if report.hosts and cls.name != "frameworks":  # that view lists referenced checks
                # Inside a word an underscore emphasises nothing: Markdown keeps it as is.
                assert "acme.usb_policy" in text, cls.name
    empty = HtmlRenderer().render(make_report([], lang), RenderOptions(lang=lang))
    assert i18n.t(lang, "html.no_hosts") in empty and "—" in empty
