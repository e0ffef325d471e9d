"""Any text a host sends, in any field, stays one cell of CSV, one attribute or text of
JUnit, one cell of a Markdown table, and text on the terminal (property tests).

Host names, resources, finding messages, expected/actual values, evidence and waiver
texts are drawn from every kind of character, with the characters each format reacts to
(formula starts, quotes, pipes, newlines, escapes, bidirectional controls, characters
XML cannot hold, lone surrogates) over-represented.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from endpoint_audit.model.result import Evidence, Finding, HostReport, RunReport, Status, WaiverRef
from endpoint_audit.model.verdict import expected_checks, host_rollup
from endpoint_audit.render.base import RenderOptions
from endpoint_audit.render.csv_report import COLUMNS, FORMULA_START, CsvRenderer
from endpoint_audit.render.junit import JunitRenderer
from endpoint_audit.render.markdown import MarkdownRenderer
from endpoint_audit.render.terminal import TerminalRenderer
from tests.render.corpus import CHECKS, make_report

SPECIAL = [
    *"=+-@\t\r\n|\\`*[]<>&\"',;",
    "\x1b[31m",
    "\x1b]8;;http://127.0.0.1:9/\x07",
    "\x00",
    "\x07",
    "\x7f",
    "\x85",
    "\u202e",
    "\u2066",
    "\u200f",
    "\u2028",
    "\ufffe",
    "\ud800",
    "\r\n",
    "</testcase>",
    "]]>",
]
HOSTILE = st.lists(
    st.one_of(st.sampled_from(SPECIAL), st.characters(), st.text(max_size=3)), max_size=8
).map("".join)
# What the bidirectional and terminal controls look like once made visible.
RAW_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f]")
CHECK_IDS = list(CHECKS)
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def hostile_reports(draw: st.DrawFn) -> RunReport:
    hosts = []
    for index in range(draw(st.integers(1, 3))):
        findings = []
        for _ in range(draw(st.integers(0, 3))):
            waiver = None
            if draw(st.booleans()):
                waiver = WaiverRef(
                    justification=draw(HOSTILE) or "j",
                    approver=draw(HOSTILE) or "a",
                    expires="2099-12-31",
                )
            findings.append(
                Finding(
                    check_id=draw(st.sampled_from(CHECK_IDS)),
                    resource=draw(st.none() | HOSTILE),
                    status=draw(st.sampled_from(list(Status))),
                    severity=draw(st.sampled_from([c.severity for c in CHECKS.values()])),
                    message=draw(HOSTILE),
                    message_key="hostile.text",
                    expected=draw(st.none() | HOSTILE),
                    actual=draw(
                        st.none() | HOSTILE | st.dictionaries(HOSTILE, HOSTILE, max_size=2)
                    ),
                    evidence=[Evidence(source=draw(HOSTILE), excerpt=draw(HOSTILE))],
                    waiver=waiver,
                )
            )
        target = f"{index}{draw(HOSTILE)}"  # unique
        if draw(st.integers(0, 4)) == 0:
            hosts.append(HostReport(target=target, status="unreachable", reason=draw(HOSTILE)))
        else:
            hosts.append(HostReport(target=target, findings=findings, source=draw(HOSTILE)))
    return make_report(hosts)


@SETTINGS
@given(hostile_reports())
def test_csv_cells_stay_cells_and_never_formulas(report: RunReport) -> None:
    text = CsvRenderer().render(report, RenderOptions(lang="en"))
    rows = list(csv.reader(io.StringIO(text)))
    assert all(len(row) == len(COLUMNS) for row in rows)
    cells = [cell for row in rows[1:] for cell in row]
    assert not [c for c in cells if c.startswith(FORMULA_START)]
    assert not [c for c in cells if RAW_CONTROLS.search(c)]
    # One row per finding, one per unreachable host, one per check left without a
    # finding (one for a host with none): nothing the data says adds or removes a row.
    expected = 0
    for host in report.hosts:
        rolled = host_rollup(host, expected_checks(report, host))
        if host.status != "ok" or not rolled.checks:
            expected += 1
            continue
        expected += len(host.findings) + sum(1 for c in rolled.checks.values() if not c.findings)
    assert len(rows) - 1 == expected


@SETTINGS
@given(hostile_reports())
def test_junit_is_well_formed_with_one_case_per_finding(report: RunReport) -> None:
    xml = JunitRenderer().render(report, RenderOptions(lang="en"))
    root = ET.fromstring(xml.encode("utf-8"))  # noqa: S314 - ours
    suites = list(root.iter("testsuite"))
    assert len(suites) == len(report.hosts)
    for suite, host in zip(suites, report.hosts, strict=True):
        cases = list(suite.iter("testcase"))
        names = {c.get("classname", "").split(".", 1)[-1] for c in cases}
        assert len(cases) >= len(host.findings)
        assert names  # never a suite of zero tests
    assert "\x1b" not in xml


@SETTINGS
@given(hostile_reports())
def test_markdown_tables_keep_their_columns(report: RunReport) -> None:
    text = MarkdownRenderer().render(report, RenderOptions(lang="en"))
    table: int | None = None
    for line in text.split("\n"):
        if not line.startswith("|"):
            table = None
            continue
        # A pipe inside a cell is escaped; the cells are what the unescaped ones divide.
        cells = len(re.findall(r"(?<!\\)\|", line.replace("\\\\", "")))
        if table is None:
            table = cells
        assert cells == table, line
    assert "\x1b" not in text
    assert not RAW_CONTROLS.search(text)


@SETTINGS
@given(hostile_reports())
def test_the_terminal_shows_host_text_as_text(report: RunReport) -> None:
    out = TerminalRenderer().render(report, RenderOptions(lang="en", color=False, width=200))
    assert not RAW_CONTROLS.search(out)
    assert "\u2028" not in out and "\u2029" not in out
