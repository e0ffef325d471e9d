"""A reachable host with no finding at all (nothing judged: `unknown`, the run
incomplete) is shown as such in every format, never left out nor shown as fine.

In a report whose hosts followed different baselines, a host's checks are the ones its
findings name; with none, the host has no check at all. JUnit must not give a CI a
green suite of zero tests for it, CSV must not drop it, Markdown and the terminal must
not say that nothing needs attention.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest

from endpoint_audit.engine.exit_policy import ExitCode, exit_code
from endpoint_audit.model import i18n
from endpoint_audit.model.result import BaselineInfo, HostReport, RunReport, Status
from endpoint_audit.model.verdict import fleet_rollup
from endpoint_audit.render.base import RenderOptions
from endpoint_audit.render.csv_report import COLUMNS, CsvRenderer
from endpoint_audit.render.junit import JunitRenderer
from endpoint_audit.render.markdown import MarkdownRenderer
from endpoint_audit.render.summary import verdict_parts
from endpoint_audit.render.terminal import TerminalRenderer
from tests.render.corpus import finding, make_report

LANGS = ["en", "ja"]
OTHER = BaselineInfo(id="other", version="1", sha256="b" * 64)


def report(lang: str) -> RunReport:
    judged = HostReport(target="pc-a", status="ok", findings=[finding("firewall", Status.PASS)])
    empty = HostReport(target="pc-empty", status="ok", findings=[], baseline_sha256=OTHER.sha256)
    out = make_report([judged, empty], lang)
    out.baselines = [out.baseline, OTHER]
    return out


def test_the_policy_calls_it_unknown_and_the_run_incomplete() -> None:
    rolled = fleet_rollup(report("en"))
    assert rolled.hosts[1].checks == {}
    assert rolled.hosts[1].status is Status.UNKNOWN
    assert exit_code(report("en")) is ExitCode.INCOMPLETE


@pytest.mark.parametrize("lang", LANGS)
def test_junit_gives_the_host_an_error(lang: str) -> None:
    root = ET.fromstring(JunitRenderer().render(report(lang), RenderOptions(lang=lang)))  # noqa: S314 - ours
    suite = next(s for s in root.iter("testsuite") if s.get("name") == "pc-empty")
    errors = [e for case in suite.iter("testcase") for e in case.iter("error")]
    assert len(errors) == 1
    assert errors[0].get("type") == "no_findings"
    assert suite.get("tests") == "1" and suite.get("errors") == "1"
    assert root.get("errors") == "1"


@pytest.mark.parametrize("lang", LANGS)
def test_csv_keeps_the_host_as_unknown(lang: str) -> None:
    text = CsvRenderer().render(report(lang), RenderOptions(lang=lang))
    rows = [dict(zip(COLUMNS, r, strict=True)) for r in csv.reader(io.StringIO(text))][1:]
    [row] = [r for r in rows if r["host"] == "pc-empty"]
    assert row["status"] == i18n.t(lang, "report.status.unknown")
    assert row["message"] == i18n.t(lang, "html.no_findings")


@pytest.mark.parametrize("lang", LANGS)
def test_markdown_says_nothing_was_judged(lang: str) -> None:
    text = MarkdownRenderer().render(report(lang), RenderOptions(lang=lang))
    section = text.split("pc-empty")[-1]
    assert i18n.t(lang, "html.no_findings") in section.replace("\\", "")
    assert i18n.t(lang, "html.all_compliant") not in section.replace("\\", "")


@pytest.mark.parametrize("lang", LANGS)
def test_terminal_says_nothing_was_judged(lang: str) -> None:
    out = TerminalRenderer().render(report(lang), RenderOptions(lang=lang, color=False, width=400))
    section = out.split("pc-empty")[-1]
    assert i18n.t(lang, "html.no_findings") in section


@pytest.mark.parametrize("lang", LANGS)
def test_the_verdict_says_why_it_is_incomplete(lang: str) -> None:
    _, _, _, notes = verdict_parts(report(lang), lang)
    assert i18n.t(lang, "report.verdict.no_findings", count=1) in notes
