"""Every format says when a report is partial (an interrupted run), and names every
baseline of a report whose hosts followed different ones, each host with its own."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest

from endpoint_audit.model.result import BaselineInfo, PartialInfo, RunReport
from endpoint_audit.render.base import RenderOptions
from endpoint_audit.render.csv_report import CsvRenderer
from endpoint_audit.render.html import HtmlRenderer
from endpoint_audit.render.json_report import JsonRenderer
from endpoint_audit.render.junit import JunitRenderer
from endpoint_audit.render.markdown import MarkdownRenderer
from endpoint_audit.render.terminal import TerminalRenderer
from tests.render.corpus import sample_report

RENDERERS = [TerminalRenderer, HtmlRenderer, CsvRenderer, JunitRenderer, MarkdownRenderer]
PARTIAL = {"en": "PARTIAL REPORT", "ja": "部分レポート"}


def partial_report(lang: str) -> RunReport:
    report = sample_report(lang)
    report.partial = PartialInfo(
        reason="terminated", hosts_planned=10, hosts_reported=len(report.hosts)
    )
    return report


@pytest.mark.parametrize("renderer", RENDERERS)
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_format_marks_a_partial_report(renderer: type, lang: str) -> None:
    text = renderer().render(partial_report(lang), RenderOptions(lang=lang))
    assert PARTIAL[lang] in text
    complete = renderer().render(sample_report(lang), RenderOptions(lang=lang))
    assert PARTIAL[lang] not in complete
    if lang == "en":
        plain = text.replace("\\", "")  # Markdown escapes its punctuation
        assert "stopped (SIGTERM or SIGHUP)" in plain and "of 10 host(s)" in plain


def test_partial_in_the_structured_formats() -> None:
    report = partial_report("en")
    data = JsonRenderer().render(report, RenderOptions())
    assert RunReport.model_validate_json(data).partial == report.partial
    rows = list(csv.reader(io.StringIO(CsvRenderer().render(report, RenderOptions()))))
    assert rows[1][2] == "PARTIAL REPORT" and "of 10 host(s)" in rows[1][8]
    root = ET.fromstring(JunitRenderer().render(report, RenderOptions()))  # noqa: S314 - ours
    assert root.get("errors") is not None
    first = root.find("testsuite")
    assert first is not None and first.get("id") == "partial"
    error = first.find("testcase/error")
    assert error is not None and error.get("type") == "partial"
    html = HtmlRenderer().render(report, RenderOptions())
    assert '<div class="partial-banner" id="partial" role="alert">' in html


def mixed_report(lang: str) -> RunReport:
    report = sample_report(lang)
    other = BaselineInfo(
        id="kyoto-strict",
        title={"ja": "京都 厳格", "en": "Kyoto strict"},
        version="7",
        sha256="f" * 64,
        source="/etc/ea/kyoto.yaml",
    )
    report.baselines = [report.baseline, other]
    for index, host in enumerate(report.hosts):
        host.baseline_sha256 = other.sha256 if index == 0 else report.baseline.sha256
    return report


@pytest.mark.parametrize("renderer", [TerminalRenderer, HtmlRenderer, MarkdownRenderer])
def test_every_baseline_of_a_mixed_fleet_is_named(renderer: type) -> None:
    report = mixed_report("en")
    text = renderer().render(report, RenderOptions(lang="en"))
    assert "kyoto-strict 7" in text
    assert f"{report.baseline.id} {report.baseline.version}" in text
    single = renderer().render(sample_report("en"), RenderOptions(lang="en"))
    assert "kyoto-strict" not in single


def test_each_host_carries_its_own_baseline_in_csv_and_junit() -> None:
    report = mixed_report("en")
    rows = list(csv.DictReader(io.StringIO(CsvRenderer().render(report, RenderOptions()))))
    first = report.hosts[0].target
    assert {r["Baseline"] for r in rows if r["Host"] == first} == {"kyoto-strict"}
    assert {r["Baseline"] for r in rows if r["Host"] != first} == {report.baseline.id}
    root = ET.fromstring(JunitRenderer().render(report, RenderOptions()))  # noqa: S314 - ours
    props = {
        suite.get("name"): {p.get("name"): p.get("value") for p in suite.iter("property")}
        for suite in root.iter("testsuite")
    }
    assert props[first]["baseline_sha256"] == "f" * 64
