"""A reachable host whose every finding is `not_applicable` (a baseline whose checks all
target another OS, `--only` of checks that do not apply there) verified nothing: the
policy calls it unknown and the run incomplete (exit 3), never compliant, and every
format says why.

It used to be COMPLIANT with exit 0 ("0 of 0 applicable", score "—"): a false pass, as
exit 0 must mean verified compliant. Peers treat it alike: InSpec exits 101, not 0, when
controls were skipped and none failed.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from endpoint_audit.engine.exit_policy import ExitCode, exit_code
from endpoint_audit.model import i18n
from endpoint_audit.model.compliance import Verdict, framework_compliance
from endpoint_audit.model.result import HostReport, RunReport, Status, WaiverRef
from endpoint_audit.model.verdict import RunVerdict, fleet_rollup, run_verdict
from endpoint_audit.render.base import RenderOptions
from endpoint_audit.render.csv_report import COLUMNS, CsvRenderer
from endpoint_audit.render.frameworks import FrameworksRenderer
from endpoint_audit.render.html import HtmlRenderer
from endpoint_audit.render.junit import JunitRenderer
from endpoint_audit.render.markdown import MarkdownRenderer
from endpoint_audit.render.summary import summarize, verdict_parts
from endpoint_audit.render.terminal import TerminalRenderer
from tests.render.corpus import CHECKS, finding, make_report

LANGS = ["en", "ja"]
SELECTED = ("disk_encryption", "firewall")


def na_host(name: str = "mac-1") -> HostReport:
    return HostReport(
        target=name,
        status="ok",
        findings=[finding(cid, Status.NOT_APPLICABLE) for cid in SELECTED],
    )


def report(lang: str, *hosts: HostReport) -> RunReport:
    out = make_report(list(hosts) or [na_host()], lang)
    return out.model_copy(update={"checks": {c: CHECKS[c] for c in SELECTED}})


def test_the_policy_calls_it_unknown_and_the_run_incomplete() -> None:
    rolled = fleet_rollup(report("en")).hosts[0]
    # Each check stays not applicable; the host as a whole verified nothing.
    assert {c.status for c in rolled.checks.values()} == {Status.NOT_APPLICABLE}
    assert rolled.nothing_verified
    assert rolled.status is Status.UNKNOWN
    assert rolled.incomplete and not rolled.compliant
    assert run_verdict(report("en")) is RunVerdict.INCOMPLETE
    assert exit_code(report("en")) is ExitCode.INCOMPLETE  # it was 0


def test_one_verified_host_does_not_hide_the_other() -> None:
    passing = HostReport(
        target="pc-a", status="ok", findings=[finding(c, Status.PASS) for c in SELECTED]
    )
    assert exit_code(report("en", passing)) is ExitCode.OK
    assert exit_code(report("en", passing, na_host())) is ExitCode.INCOMPLETE


def test_a_waived_finding_counts_as_judged() -> None:
    waiver = WaiverRef(justification="j", approver="a", expires="2099-12-31")
    host = HostReport(
        target="pc-w",
        status="ok",
        findings=[
            finding("disk_encryption", Status.FAIL, waiver=waiver),
            finding("firewall", Status.NOT_APPLICABLE),
        ],
    )
    rolled = fleet_rollup(report("en", host)).hosts[0]
    assert not rolled.nothing_verified
    assert exit_code(report("en", host)) is ExitCode.OK


def test_a_host_with_some_check_that_applied_is_judged_as_before() -> None:
    host = HostReport(
        target="pc-b",
        status="ok",
        findings=[
            finding("disk_encryption", Status.PASS),
            finding("firewall", Status.NOT_APPLICABLE),
        ],
    )
    assert exit_code(report("en", host)) is ExitCode.OK


@pytest.mark.parametrize("lang", LANGS)
def test_the_verdict_says_why_it_is_incomplete(lang: str) -> None:
    verdict, _, _, notes = verdict_parts(report(lang), lang)
    assert verdict is RunVerdict.INCOMPLETE
    assert i18n.t(lang, "report.verdict.nothing_verified", count=1) in notes


@pytest.mark.parametrize("lang", LANGS)
def test_terminal_says_nothing_was_verified(lang: str) -> None:
    out = TerminalRenderer().render(report(lang), RenderOptions(lang=lang, color=False, width=400))
    flat = " ".join(out.split())
    assert i18n.t(lang, "html.nothing_verified") in flat
    label = i18n.t(lang, "report.verdict.label")
    assert f"{label} {i18n.t(lang, 'report.verdict.incomplete')}" in flat


@pytest.mark.parametrize("lang", LANGS)
def test_html_marks_the_host_unknown(lang: str) -> None:
    text = HtmlRenderer().render(report(lang), RenderOptions(lang=lang))
    assert 'data-state="unknown"' in text
    assert i18n.t(lang, "html.nothing_verified") in text
    assert summarize(report(lang)).hosts[0].state is Status.UNKNOWN


@pytest.mark.parametrize("lang", LANGS)
def test_csv_has_an_unknown_row_for_the_host(lang: str) -> None:
    text = CsvRenderer().render(report(lang), RenderOptions(lang=lang))
    rows = [dict(zip(COLUMNS, r, strict=True)) for r in csv.reader(io.StringIO(text))][1:]
    host_rows = [r for r in rows if r["host"] == "mac-1" and not r["check_id"]]
    assert len(host_rows) == 1
    assert host_rows[0]["status"] == i18n.t(lang, "report.status.unknown")
    assert host_rows[0]["message"] == i18n.t(lang, "html.nothing_verified")
    # The findings themselves are still listed as what was seen.
    assert {r["check_id"] for r in rows if r["check_id"]} == set(SELECTED)


@pytest.mark.parametrize("lang", LANGS)
def test_junit_is_an_error_not_a_green_suite(lang: str) -> None:
    root = ET.fromstring(JunitRenderer().render(report(lang), RenderOptions(lang=lang)))  # noqa: S314 - ours
    suite = next(s for s in root.iter("testsuite") if s.get("name") == "mac-1")
    errors = [e for case in suite.iter("testcase") for e in case.iter("error")]
    assert [e.get("type") for e in errors] == ["nothing_verified"]
    assert errors[0].get("message") == i18n.t(lang, "html.nothing_verified")
    assert suite.get("errors") == "1"
    assert root.get("errors") == "1" and root.get("failures") == "0"


@pytest.mark.parametrize("lang", LANGS)
def test_markdown_does_not_say_nothing_needs_attention(lang: str) -> None:
    text = MarkdownRenderer().render(report(lang), RenderOptions(lang=lang)).replace("\\", "")
    section = text.split("mac-1")[-1]
    assert i18n.t(lang, "html.nothing_verified") in section
    assert i18n.t(lang, "html.all_compliant") not in section
    assert i18n.t(lang, "report.status.unknown") in text


@pytest.mark.parametrize("lang", LANGS)
def test_frameworks_view_says_nothing_was_verified(lang: str) -> None:
    # Every requirement is not applicable there; the view must not leave it at that.
    reqs = [r for fw in framework_compliance(report(lang)) for r in fw.requirements]
    assert {r.hosts["mac-1"].verdict for r in reqs} == {Verdict.NOT_APPLICABLE}
    out = FrameworksRenderer().render(
        report(lang), RenderOptions(lang=lang, color=False, width=400)
    )
    flat = " ".join(out.split())
    assert i18n.t(lang, "frameworks.nothing_verified", host="mac-1") in flat


@pytest.mark.parametrize("lang", LANGS)
def test_evaluate_of_checks_that_do_not_apply_exits_3(lang: str, cli: Any) -> None:
    """The whole path: a Linux bundle judged on Windows-only rules only (`--only`)."""
    bundle = Path(__file__).resolve().parent.parent / "fixtures" / "frozen"
    args = ("evaluate", str(bundle / "linux-firewall-ufw-active.yaml"), "--lang", lang)
    only = ("--only", "jp.rdp_disabled,jp.smb1_server_disabled")
    result = cli(*args, *only)
    assert result.exit_code == ExitCode.INCOMPLETE  # it was 0
    flat = " ".join(result.stdout.split())
    assert i18n.t(lang, "html.nothing_verified") in flat
    assert i18n.t(lang, "report.verdict.nothing_verified", count=1) in flat
    report = json.loads(cli(*args, *only, "-f", "json").stdout)
    assert {f["status"] for f in report["hosts"][0]["findings"]} == {"not_applicable"}
