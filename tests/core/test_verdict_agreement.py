"""Every output agrees with model.verdict about each check and each host, for any report.

An agreement matrix: for random reports (statuses, waivers in force, expired and not yet
in force, unreachable hosts, selected checks with no finding, stopped runs, hosts that
followed different baselines, hosts with no finding at all, hosts whose every finding
is not applicable), the verdict
of each (host, check) and of each host is read back from what each output actually
says (terminal, JSON, HTML, CSV, JUnit, Markdown, the exit code, `report merge`,
`report diff`)
and compared with the one the policy module gives. Reading an output back uses only
what a reader of that format sees (its attributes, labels and elements).
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from endpoint_audit.engine.exit_policy import ExitCode, exit_code
from endpoint_audit.model import i18n
from endpoint_audit.model.report_ops import Change, NamedReport, diff_reports, merge_reports
from endpoint_audit.model.result import (
    BaselineInfo,
    Finding,
    HostReport,
    PartialInfo,
    RunReport,
    Status,
    WaiverRef,
)
from endpoint_audit.model.verdict import (
    RunVerdict,
    counts_as_failure,
    fleet_rollup,
    run_verdict,
    worst,
)
from endpoint_audit.render.base import RenderOptions
from endpoint_audit.render.csv_report import COLUMNS, CsvRenderer
from endpoint_audit.render.html import HtmlRenderer
from endpoint_audit.render.json_report import JsonRenderer
from endpoint_audit.render.junit import JunitRenderer
from endpoint_audit.render.markdown import MarkdownRenderer
from endpoint_audit.render.terminal import TerminalRenderer
from tests.render.corpus import CHECKS, finding, make_report

LANG = "en"
WAIVERS = {
    "none": None,
    "in_force": WaiverRef(justification="j", approver="a", expires="2099-12-31"),
    "expired": WaiverRef(justification="j", approver="a", expires="2020-01-31", expired=True),
    "pending": WaiverRef(
        justification="j", approver="a", expires="2099-12-31", approved="2099-01-01",
        expired=True, pending=True,
    ),
}  # fmt: skip
CHECK_IDS = tuple(CHECKS)
OTHER_BASELINE = BaselineInfo(id="other", version="1", sha256="b" * 64)

Matrix = dict[tuple[str, str], str]  # (host, check) -> effective status value
Hosts = dict[str, str]  # host -> state ("unreachable" or the worst check's status)


@st.composite
def findings_of(draw: st.DrawFn, check_id: str) -> list[Finding]:
    count = draw(st.integers(0, 3))
    out = []
    for index in range(count):
        status = draw(st.sampled_from(list(Status)))
        waiver = WAIVERS[draw(st.sampled_from(list(WAIVERS)))]
        resource = None if count == 1 and draw(st.booleans()) else f"r{index}"
        out.append(finding(check_id, status, resource=resource, waiver=waiver))
    return out


@st.composite
def reports(draw: st.DrawFn) -> RunReport:
    selected = draw(st.lists(st.sampled_from(CHECK_IDS), min_size=1, max_size=4, unique=True))
    hosts: list[HostReport] = []
    for index in range(draw(st.integers(1, 4))):
        name = f"pc-{index}"
        if draw(st.integers(0, 4)) == 0:
            hosts.append(HostReport(target=name, status="unreachable", reason="timed out"))
            continue
        found = [f for cid in selected for f in draw(findings_of(cid))]
        if draw(st.integers(0, 4)) == 0:
            # Every check targets another OS (or `--only` of checks that do not apply):
            # nothing verified, so unknown, never compliant.
            found = [finding(cid, Status.NOT_APPLICABLE) for cid in selected]
        hosts.append(HostReport(target=name, findings=found))
    report = make_report(hosts, LANG)
    if draw(st.integers(0, 4)) == 0:
        # Hosts that followed different baselines: a host's checks are then only those
        # its findings name, and one with no finding has no check at all.
        report.baselines = [report.baseline, OTHER_BASELINE]
        for index, host in enumerate(report.hosts):
            # The first host follows the other one, as a run lists only baselines in use.
            if index == 0 or draw(st.booleans()):
                host.baseline_sha256 = OTHER_BASELINE.sha256
            if host.status == "ok" and draw(st.booleans()):
                host.findings = []  # nothing judged: no check at all
    partial = None
    if draw(st.integers(0, 5)) == 0:
        partial = PartialInfo(
            reason="interrupted", hosts_planned=len(hosts) + 1, hosts_reported=len(hosts)
        )
    return report.model_copy(
        update={"checks": {c: CHECKS[c] for c in selected}, "partial": partial}
    )


# -- what the policy says -------------------------------------------------------------


def policy(report: RunReport) -> tuple[Matrix, Hosts]:
    fleet = fleet_rollup(report)
    matrix: Matrix = {}
    hosts: Hosts = {}
    for rolled in fleet.hosts:
        target = rolled.host.target
        status = rolled.status
        hosts[target] = "unreachable" if status is None else status.value
        for cid, state in rolled.checks.items():
            matrix[(target, cid)] = state.status.value
    return matrix, hosts


def _hosts_from(
    matrix: Matrix, report: RunReport, own: dict[str, list[Status]] | None = None
) -> Hosts:
    """Host states from a matrix read back from an output (worst of its checks and of
    what the output says of the host itself: `own`, such as a row or testcase saying
    that nothing was verified there)."""
    out: Hosts = {}
    for host in report.hosts:
        if host.status != "ok":
            out[host.target] = "unreachable"
            continue
        states = [Status(s) for (h, _), s in matrix.items() if h == host.target]
        out[host.target] = worst([*states, *(own or {}).get(host.target, [])]).value
    return out


# -- what each output says ------------------------------------------------------------


def from_json(report: RunReport) -> tuple[Matrix, Hosts]:
    text = JsonRenderer().render(report, RenderOptions(lang=LANG))
    return policy(RunReport.model_validate_json(text))


class _HtmlStates(HTMLParser):
    """data-state of each host section and data-status of each check in it."""

    def __init__(self) -> None:
        super().__init__()
        self.hosts: dict[str, str] = {}  # anchor -> state
        self.checks: dict[tuple[str, str], str] = {}
        self._section: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "section" and "host" in classes and a.get("id"):
            self._section = a["id"]
            self.hosts[a["id"] or ""] = a.get("data-state") or ""
        elif tag == "tbody" and "check" in classes and self._section is not None:
            self.checks[(self._section, a.get("data-check") or "")] = a.get("data-status") or ""


def from_html(report: RunReport) -> tuple[Matrix, Hosts]:
    parser = _HtmlStates()
    parser.feed(HtmlRenderer().render(report, RenderOptions(lang=LANG)))
    names = {f"host-{i + 1}": h.target for i, h in enumerate(report.hosts)}
    matrix = {(names[anchor], cid): s for (anchor, cid), s in parser.checks.items()}
    return matrix, {names[anchor]: s for anchor, s in parser.hosts.items()}


def _label_to_status() -> dict[str, Status]:
    return {i18n.t(LANG, f"report.status.{s.value}"): s for s in Status}


def from_csv(report: RunReport) -> tuple[Matrix, Hosts]:
    text = CsvRenderer().render(report, RenderOptions(lang=LANG))
    rows = list(csv.reader(io.StringIO(text)))[1:]
    column = {c: i for i, c in enumerate(COLUMNS)}
    labels = _label_to_status()
    waived = i18n.t(LANG, "report.waived")
    per_check: dict[tuple[str, str], list[Status]] = {}
    own: dict[str, list[Status]] = {}
    for row in rows:
        cid = row[column["check_id"]]
        if not cid:
            # The partial note, an unreachable host's row, or a row about the host itself.
            if row[column["status"]] in labels:
                own.setdefault(row[column["host"]], []).append(labels[row[column["status"]]])
            continue
        status = labels[row[column["status"]]]
        # A reader takes a row marked waived (in force) as compliant.
        if row[column["waiver"]] == waived:
            status = Status.PASS
        per_check.setdefault((row[column["host"]], cid), []).append(status)
    matrix = {key: worst(states).value for key, states in per_check.items()}
    return matrix, _hosts_from(matrix, report, own)


def _junit_status(case: ET.Element) -> Status:
    for child in case:
        if child.tag == "failure":
            return Status.FAIL
        if child.tag == "error":
            kind = (child.get("type") or "").split("/")[0]
            return Status.ERROR if kind == "error" else Status.UNKNOWN
        if child.tag == "skipped":
            return Status.NOT_APPLICABLE
    return Status.PASS  # a passing testcase (a waived one says why in system-out)


def from_junit(report: RunReport) -> tuple[Matrix, Hosts, dict[str, int]]:
    root = ET.fromstring(JunitRenderer().render(report, RenderOptions(lang=LANG)))  # noqa: S314 - ours
    per_check: dict[tuple[str, str], list[Status]] = {}
    totals = {k: int(root.get(k) or 0) for k in ("tests", "failures", "errors")}
    targets = {h.target for h in report.hosts}
    own: dict[str, list[Status]] = {}
    for suite in root.iter("testsuite"):
        host = suite.get("name") or ""
        if host not in targets:
            continue  # the run's own suite (a stopped run says so there)
        for case in suite.iter("testcase"):
            classname = case.get("classname") or ""
            if classname == host:
                # The host itself: unreachable, nothing judged, nothing verified.
                own.setdefault(host, []).append(_junit_status(case))
                continue
            cid = classname[len(host) + 1 :]
            per_check.setdefault((host, cid), []).append(_junit_status(case))
    matrix = {key: worst(states).value for key, states in per_check.items()}
    return matrix, _hosts_from(matrix, report, own), totals


def failing_cases(report: RunReport) -> set[tuple[str, str, str | None]]:
    """(host, check, resource) of every JUnit <failure>."""
    root = ET.fromstring(JunitRenderer().render(report, RenderOptions(lang=LANG)))  # noqa: S314 - ours
    out = set()
    for suite in root.iter("testsuite"):
        host = suite.get("name") or ""
        for case in suite.iter("testcase"):
            if case.find("failure") is None:
                continue
            name = case.get("name") or ""
            cid, _, rest = name.partition("[")
            out.add((host, cid, rest[:-1] if rest else None))
    return out


def from_merge(report: RunReport) -> tuple[Matrix, Hosts, RunVerdict]:
    """Split the hosts over two reports and merge them back."""
    half = len(report.hosts) // 2
    first = report.model_copy(update={"hosts": report.hosts[:half]})
    second = report.model_copy(update={"hosts": report.hosts[half:]})
    merged, _ = merge_reports([NamedReport("a.json", first), NamedReport("b.json", second)])
    matrix, hosts = policy(merged)
    return matrix, hosts, run_verdict(merged)


def all_passing(report: RunReport) -> RunReport:
    """The same hosts and findings, each one passing without a waiver."""
    hosts = [
        h.model_copy(
            update={
                "findings": [
                    f.model_copy(update={"status": Status.PASS, "waiver": None}) for f in h.findings
                ]
            }
        )
        for h in report.hosts
    ]
    return report.model_copy(update={"hosts": hosts, "partial": None})


# -- the matrix -----------------------------------------------------------------------


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(reports())
def test_every_output_agrees_with_the_policy(report: RunReport) -> None:
    matrix, hosts = policy(report)
    verdict = run_verdict(report)

    for name, (got_matrix, got_hosts) in {
        "json": from_json(report),
        "html": from_html(report),
        "csv": from_csv(report),
    }.items():
        assert got_matrix == matrix, name
        assert got_hosts == hosts, name

    junit_matrix, junit_hosts, totals = from_junit(report)
    assert junit_matrix == matrix
    assert junit_hosts == hosts

    # A host is in every listing: a CI reading JUnit sees a red case for each host the
    # policy calls fail, error or unknown (never a suite of zero tests), and none for
    # the others; the CSV has a row for every host; Markdown never says of a host that
    # nothing needs attention unless the policy calls it compliant (a host whose every
    # check was not applicable verified nothing: unknown).
    root = ET.fromstring(JunitRenderer().render(report, RenderOptions(lang=LANG)))  # noqa: S314 - ours
    suites = {s.get("name"): s for s in root.iter("testsuite") if s.get("id") != "partial"}
    for target, state in hosts.items():
        red = int(suites[target].get("failures") or 0) + int(suites[target].get("errors") or 0)
        assert (red > 0) is (state in ("fail", "error", "unknown", "unreachable")), target
    csv_text = CsvRenderer().render(report, RenderOptions(lang=LANG))
    csv_hosts = {r[COLUMNS.index("host")] for r in list(csv.reader(io.StringIO(csv_text)))[1:]}
    assert {h.target for h in report.hosts} <= csv_hosts
    markdown = MarkdownRenderer().render(report, RenderOptions(lang=LANG))
    fine = i18n.t(LANG, "html.all_compliant")
    for index, host in enumerate(report.hosts):
        section = markdown.split(f"## {index + 1}. ")[1].split("\n## ")[0]
        if fine in section.replace("\\", ""):
            assert hosts[host.target] == "pass", host.target

    merged_matrix, merged_hosts, merged_verdict = from_merge(report)
    assert (merged_matrix, merged_hosts, merged_verdict) == (matrix, hosts, verdict)

    # The exit code is the verdict, and a JUnit reader reaches the same one.
    code = exit_code(report)
    assert (
        code
        is {
            RunVerdict.FAILED: ExitCode.FAILED,
            RunVerdict.INCOMPLETE: ExitCode.INCOMPLETE,
            RunVerdict.COMPLIANT: ExitCode.OK,
        }[verdict]
    )
    if totals["failures"]:
        assert code is ExitCode.FAILED
    elif totals["errors"] or report.partial is not None:
        assert code is ExitCode.INCOMPLETE
    else:
        assert code is ExitCode.OK

    # The terminal states that verdict and names every check that has no finding.
    terminal = TerminalRenderer().render(report, RenderOptions(lang=LANG, width=200))
    flat = " ".join(terminal.split())
    label = i18n.t(LANG, f"report.verdict.{verdict.value}")
    assert f"{i18n.t(LANG, 'report.verdict.label')} {label}" in flat
    missing = [
        [cid for cid, state in h.checks.items() if not state.findings]
        for h in fleet_rollup(report).hosts
    ]
    for checks in missing:
        if checks:
            assert i18n.t(LANG, "report.not_judged", checks=", ".join(checks)) in flat
    prefix = i18n.t(LANG, "report.not_judged", checks="")
    assert flat.count(prefix) == sum(1 for checks in missing if checks)

    # `report diff` counts as failures exactly what the exit code and JUnit do.
    failing = {
        (h.target, f.check_id, f.resource)
        for h in report.hosts
        for f in h.findings
        if counts_as_failure(f)
    }
    assert failing == failing_cases(report)
    assert (code is ExitCode.FAILED) == bool(failing)
    base = all_passing(report)
    worse = diff_reports(base, report)
    assert {(e.host, e.check_id, e.resource) for e in worse.entries} == failing
    assert {e.change for e in worse.entries} <= {Change.REGRESSED}
    better = diff_reports(report, base)
    assert {(e.host, e.check_id, e.resource) for e in better.entries} == failing
    assert {e.change for e in better.entries} <= {Change.FIXED}
    assert diff_reports(report, report).entries == []


def test_a_check_with_no_finding_is_unknown_in_every_output() -> None:
    """The case the roll-ups used to disagree on, stated once for each output."""
    host = HostReport(
        target="pc-0",
        findings=[finding("firewall", Status.PASS), finding("open_ports", Status.PASS)],
    )
    report = make_report([host], LANG).model_copy(
        update={"checks": {c: CHECKS[c] for c in ("firewall", "open_ports", "disk_encryption")}}
    )
    expected = {
        ("pc-0", "firewall"): "pass",
        ("pc-0", "open_ports"): "pass",
        ("pc-0", "disk_encryption"): "unknown",
    }
    assert policy(report) == (expected, {"pc-0": "unknown"})
    assert from_json(report) == (expected, {"pc-0": "unknown"})
    assert from_html(report) == (expected, {"pc-0": "unknown"})
    assert from_csv(report) == (expected, {"pc-0": "unknown"})
    junit_matrix, junit_hosts, totals = from_junit(report)
    assert (junit_matrix, junit_hosts) == (expected, {"pc-0": "unknown"})
    assert totals == {"tests": 3, "failures": 0, "errors": 1}
    merged = from_merge(report)
    assert merged == (expected, {"pc-0": "unknown"}, RunVerdict.INCOMPLETE)
    assert exit_code(report) is ExitCode.INCOMPLETE  # it was 0: a false pass
    for renderer in (TerminalRenderer(), HtmlRenderer()):
        text = " ".join(renderer.render(report, RenderOptions(lang=LANG, width=200)).split())
        assert i18n.t(LANG, "report.verdict.incomplete") in text
    terminal = TerminalRenderer().render(report, RenderOptions(lang=LANG, width=200))
    line = i18n.t(LANG, "report.not_judged", checks="disk_encryption")
    assert line in " ".join(terminal.split())
    # Japanese says so too.
    ja = TerminalRenderer().render(report, RenderOptions(lang="ja", width=200))
    assert i18n.t("ja", "report.not_judged", checks="disk_encryption") in " ".join(ja.split())
    # The diff of a run that now judges it: it was not covered, so nothing is "fixed".
    judged = report.model_copy(
        update={
            "hosts": [
                host.model_copy(
                    update={"findings": [*host.findings, finding("disk_encryption", Status.FAIL)]}
                )
            ]
        }
    )
    diff = diff_reports(report, judged)
    assert [(e.change, e.check_id) for e in diff.entries] == [(Change.NEW, "disk_encryption")]
