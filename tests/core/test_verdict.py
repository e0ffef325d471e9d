"""model.verdict: the one rule behind the compliance figure, the verdict and the exit code."""

from __future__ import annotations

from datetime import UTC, datetime

from endpoint_audit.engine.exit_policy import ExitCode, exit_code
from endpoint_audit.model.result import HostReport, PartialInfo, Severity, Status, WaiverRef
from endpoint_audit.model.verdict import (
    RunVerdict,
    WaiverStanding,
    check_rollup,
    days_left,
    expected_checks,
    fleet_rollup,
    host_rollup,
    is_incomplete,
    lapsed_waivers,
    recorded_zone,
    report_compliance,
    run_verdict,
    waiver_standing,
)
from endpoint_audit.render.base import RenderOptions
from endpoint_audit.render.summary import summarize, verdict_parts
from endpoint_audit.render.terminal import TerminalRenderer
from tests.render.corpus import CHECKS, finding, make_report, sample_report

IN_FORCE = WaiverRef(justification="j", approver="a", expires="2099-01-01")
EXPIRED = WaiverRef(justification="j", approver="a", expires="2020-01-01", expired=True)
PENDING = WaiverRef(
    justification="j", approver="a", expires="2099-01-01", approved="2098-01-01",
    expired=True, pending=True,
)  # fmt: skip


def host(*findings: object, status: str = "ok") -> HostReport:
    return HostReport(target="pc", status=status, findings=list(findings))  # type: ignore[arg-type]


def report_of(hosts: list[HostReport], checks: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    """A report whose run selected `checks` (default: those its findings name)."""
    named = checks or tuple(dict.fromkeys(f.check_id for h in hosts for f in h.findings))
    report = make_report(hosts)
    return report.model_copy(update={"checks": {c: CHECKS[c] for c in named}})


def test_a_check_is_its_worst_finding() -> None:
    ok, bad = finding("open_ports", Status.PASS), finding("open_ports", Status.FAIL)
    unknown, error = finding("open_ports", Status.UNKNOWN), finding("open_ports", Status.ERROR)
    na = finding("open_ports", Status.NOT_APPLICABLE)
    assert check_rollup([ok, bad, unknown]).status is Status.FAIL
    assert check_rollup([ok, unknown, error]).status is Status.ERROR
    assert check_rollup([ok, na]).status is Status.PASS
    assert check_rollup([na, na]).status is Status.NOT_APPLICABLE
    empty = check_rollup([])
    assert empty.status is Status.UNKNOWN and empty.incomplete and not empty.conclusive


def test_waivers_cover_fail_and_unknown_in_force_only() -> None:
    waived = check_rollup([finding("firewall", Status.FAIL, waiver=IN_FORCE)])
    assert (waived.status, waived.waived) == (Status.PASS, True)
    assert waived.conclusive  # it saw the failure: a waiver is not a blind spot
    unseen = check_rollup([finding("firewall", Status.UNKNOWN, waiver=IN_FORCE)])
    assert unseen.compliant and unseen.waived and not unseen.conclusive
    for other in (EXPIRED, PENDING):
        assert check_rollup([finding("firewall", Status.FAIL, waiver=other)]).status is Status.FAIL
    broken = check_rollup([finding("firewall", Status.ERROR, waiver=IN_FORCE)])
    assert broken.status is Status.ERROR and not broken.waived


def test_a_selected_check_without_a_finding_is_unknown_everywhere() -> None:
    """Two roll-ups used to differ here; a run with a check never judged was exit 0."""
    only_firewall = host(finding("firewall", Status.PASS))
    report = report_of([only_firewall], ("firewall", "disk_encryption"))
    assert expected_checks(report, only_firewall) == ("firewall", "disk_encryption")
    rolled = fleet_rollup(report).hosts[0]
    assert rolled.check("disk_encryption").status is Status.UNKNOWN
    assert rolled.status is Status.UNKNOWN and not rolled.compliant and rolled.incomplete
    figure = report_compliance(report)
    assert (figure.compliant, figure.applicable) == (1, 2)
    assert run_verdict(report) is RunVerdict.INCOMPLETE
    assert exit_code(report) is ExitCode.INCOMPLETE
    # A reachable host with no check at all is unknown, not compliant.
    bare = report_of([host()], ("firewall",))
    assert fleet_rollup(bare).hosts[0].status is Status.UNKNOWN
    assert run_verdict(bare) is RunVerdict.INCOMPLETE


def test_the_figure_counts_pairs_of_reachable_hosts() -> None:
    one = host(
        finding("disk_encryption", Status.PASS),
        finding("firewall", Status.FAIL, waiver=IN_FORCE),
        finding("open_ports", Status.PASS),
        finding("open_ports", Status.UNKNOWN),  # one unknown resource: the check is unknown
        finding("screen_lock", Status.NOT_APPLICABLE),
    )
    figure = host_rollup(one).compliance
    assert (figure.compliant, figure.applicable, figure.waived) == (2, 3, 1)
    down = host(status="unreachable")
    total = report_compliance(report_of([one, down]))
    assert (total.compliant, total.applicable, total.hosts, total.unreachable) == (2, 3, 1, 1)
    assert report_compliance(report_of([])).percent is None


def test_the_run_verdict_is_the_exit_code() -> None:
    failing = host(finding("firewall", Status.FAIL))
    low = host(finding("screen_lock", Status.FAIL).model_copy(update={"severity": Severity.LOW}))
    unknown = host(finding("firewall", Status.PASS), finding("screen_lock", Status.UNKNOWN))
    waived_error = host(finding("firewall", Status.ERROR, waiver=IN_FORCE))
    cases = [
        ([failing], Severity.INFO, RunVerdict.FAILED, ExitCode.FAILED),
        ([low], Severity.HIGH, RunVerdict.COMPLIANT, ExitCode.OK),
        ([unknown], Severity.INFO, RunVerdict.INCOMPLETE, ExitCode.INCOMPLETE),
        # A waiver never makes a broken probe verified: exit 0 would be a false pass.
        ([waived_error], Severity.INFO, RunVerdict.INCOMPLETE, ExitCode.INCOMPLETE),
        ([host(status="unreachable")], Severity.INFO, RunVerdict.INCOMPLETE, ExitCode.INCOMPLETE),
        ([], Severity.INFO, RunVerdict.INCOMPLETE, ExitCode.INCOMPLETE),
    ]
    for hosts, fail_on, verdict, code in cases:
        report = report_of(hosts)
        assert run_verdict(report, fail_on) is verdict
        assert exit_code(report, fail_on) is code


def test_a_stopped_run_is_incomplete() -> None:
    report = report_of([host(finding("firewall", Status.PASS))])
    assert run_verdict(report) is RunVerdict.COMPLIANT
    stopped = report.model_copy(
        update={"partial": PartialInfo(reason="interrupted", hosts_planned=2, hosts_reported=1)}
    )
    assert is_incomplete(stopped) and exit_code(stopped) is ExitCode.INCOMPLETE


def test_a_waiver_read_after_it_expired_is_lapsed_but_the_figures_stay() -> None:
    recorded = WaiverRef(
        justification="j", approver="a", expires="2026-04-30", timezone="Asia/Tokyo"
    )
    report = report_of([host(finding("firewall", Status.FAIL, waiver=recorded))])
    judged = datetime(2026, 4, 30, 14, 59, tzinfo=UTC)  # 23:59 in Tokyo, the last day
    later = datetime(2026, 4, 30, 15, 0, tzinfo=UTC)  # the next day in Tokyo
    assert waiver_standing(recorded) is WaiverStanding.IN_FORCE
    assert waiver_standing(recorded, judged) is WaiverStanding.IN_FORCE
    assert waiver_standing(recorded, later) is WaiverStanding.LAPSED
    assert days_left(recorded, judged) == 0 and days_left(recorded, later) == -1
    assert run_verdict(report) is RunVerdict.COMPLIANT  # as judged: the exit code
    assert run_verdict(report, as_of=later) is RunVerdict.FAILED
    assert len(lapsed_waivers(report, later)) == 1 and not lapsed_waivers(report, judged)
    # Never gains a waiver by being read: expired and pending stay so.
    assert waiver_standing(EXPIRED, datetime(2019, 1, 1, tzinfo=UTC)) is WaiverStanding.EXPIRED
    assert waiver_standing(PENDING, datetime(2098, 6, 1, tzinfo=UTC)) is WaiverStanding.PENDING
    # An edited report whose days cannot be read: nothing vouches for the waiver.
    broken = recorded.model_copy(update={"expires": "soon"})
    assert waiver_standing(broken, later) is WaiverStanding.LAPSED
    _, _, _, notes = verdict_parts(report, "en", later)
    assert any("expired since" in n and "NOT COMPLIANT" in n for n in notes), notes


def test_recorded_zones() -> None:
    assert str(recorded_zone("Asia/Tokyo")) == "Asia/Tokyo"
    local = recorded_zone("local (JST, UTC+09:00)")
    assert local.utcoffset(None).total_seconds() == 9 * 3600  # type: ignore[union-attr]
    assert recorded_zone("Not/AZone") is UTC and recorded_zone(None) is UTC


def test_every_report_states_the_same_figure() -> None:
    report = sample_report("en")
    summary = summarize(report)
    _, label, sentence, notes = verdict_parts(report, "en")
    assert summary.compliance == report_compliance(report)
    assert "57.1%" in sentence and "4 of 7" in sentence and label == "NOT COMPLIANT"
    terminal = TerminalRenderer().render(report, RenderOptions(lang="en", width=120))
    assert sentence in " ".join(terminal.split())
    assert "Findings: FAIL " in terminal
    assert "report." not in terminal and "html." not in terminal  # no catalog key unresolved
    assert any("unreachable" in n for n in notes)
