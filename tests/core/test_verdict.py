"""model.verdict: the one rule behind the compliance figure, the verdict and the exit code."""

from __future__ import annotations

from endpoint_audit.engine.exit_policy import ExitCode, exit_code
from endpoint_audit.model.result import HostReport, Severity, Status, WaiverRef
from endpoint_audit.model.verdict import (
    RunVerdict,
    check_verdict,
    host_compliance,
    report_compliance,
    run_verdict,
)
from endpoint_audit.render.base import RenderOptions
from endpoint_audit.render.summary import summarize, verdict_parts
from endpoint_audit.render.terminal import TerminalRenderer
from tests.render.corpus import finding, make_report, sample_report

IN_FORCE = WaiverRef(justification="j", approver="a", expires="2099-01-01")
EXPIRED = WaiverRef(justification="j", approver="a", expires="2020-01-01", expired=True)


def host(*findings: object, status: str = "ok") -> HostReport:
    return HostReport(target="pc", status=status, findings=list(findings))  # type: ignore[arg-type]


def test_a_check_is_its_worst_finding() -> None:
    ok, bad = finding("open_ports", Status.PASS), finding("open_ports", Status.FAIL)
    unknown, error = finding("open_ports", Status.UNKNOWN), finding("open_ports", Status.ERROR)
    na = finding("open_ports", Status.NOT_APPLICABLE)
    assert check_verdict([ok, bad, unknown]).status is Status.FAIL
    assert check_verdict([ok, unknown, error]).status is Status.ERROR
    assert check_verdict([ok, na]).status is Status.PASS
    assert check_verdict([na, na]).status is Status.NOT_APPLICABLE
    assert check_verdict([]).status is Status.UNKNOWN  # judged nothing: not seen


def test_waivers_cover_fail_and_unknown_in_force_only() -> None:
    waived = check_verdict([finding("firewall", Status.FAIL, waiver=IN_FORCE)])
    assert (waived.status, waived.waived) == (Status.PASS, True)
    unseen = check_verdict([finding("firewall", Status.UNKNOWN, waiver=IN_FORCE)])
    assert unseen.compliant and unseen.waived
    assert check_verdict([finding("firewall", Status.FAIL, waiver=EXPIRED)]).status is Status.FAIL
    broken = check_verdict([finding("firewall", Status.ERROR, waiver=IN_FORCE)])
    assert broken.status is Status.ERROR and not broken.waived


def test_the_figure_counts_pairs_of_reachable_hosts() -> None:
    one = host(
        finding("disk_encryption", Status.PASS),
        finding("firewall", Status.FAIL, waiver=IN_FORCE),
        finding("open_ports", Status.PASS),
        finding("open_ports", Status.UNKNOWN),  # one unknown resource: the check is unknown
        finding("screen_lock", Status.NOT_APPLICABLE),
    )
    figure = host_compliance(one)
    assert (figure.compliant, figure.applicable, figure.waived) == (2, 3, 1)
    down = host(status="unreachable")
    total = report_compliance([one, down])
    assert (total.compliant, total.applicable, total.hosts, total.unreachable) == (2, 3, 1, 1)
    assert report_compliance([]).percent is None


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
        assert run_verdict(hosts, fail_on) is verdict
        assert exit_code(make_report(hosts), fail_on) is code


def test_every_report_states_the_same_figure() -> None:
    report = sample_report("en")
    summary = summarize(report)
    _, label, sentence, notes = verdict_parts(report, "en")
    assert summary.compliance == report_compliance(report.hosts)
    assert "57.1%" in sentence and "4 of 7" in sentence and label == "NOT COMPLIANT"
    terminal = TerminalRenderer().render(report, RenderOptions(lang="en", width=120))
    assert sentence in " ".join(terminal.split())
    assert "Findings: FAIL " in terminal
    assert "report." not in terminal and "html." not in terminal  # no catalog key unresolved
    assert any("unreachable" in n for n in notes)
