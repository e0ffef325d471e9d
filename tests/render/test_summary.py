"""The figures every report shows: check states, scores, worst-first order."""

from __future__ import annotations

from endpoint_audit.model.result import Status, WaiverRef
from endpoint_audit.model.verdict import check_rollup
from endpoint_audit.render.summary import format_percent, summarize
from tests.render.corpus import finding, make_report, sample_hosts, sample_report


def test_check_state_is_the_worst_effective_finding() -> None:
    ok = finding("open_ports", Status.PASS)
    bad = finding("open_ports", Status.FAIL)
    assert check_rollup([ok, bad]).status is Status.FAIL
    unknown = finding("open_ports", Status.UNKNOWN)
    assert check_rollup([ok, unknown]).status is Status.UNKNOWN
    na = finding("open_ports", Status.NOT_APPLICABLE)
    assert check_rollup([na]).status is Status.NOT_APPLICABLE
    assert check_rollup([na, ok]).status is Status.PASS


def test_waiver_in_force_makes_compliant_but_expired_does_not() -> None:
    in_force = WaiverRef(justification="j", approver="a", expires="2099-01-01")
    expired = WaiverRef(justification="j", approver="a", expires="2020-01-01", expired=True)
    waived = check_rollup([finding("firewall", Status.FAIL, waiver=in_force)])
    assert waived.status is Status.PASS and waived.waived
    lapsed = check_rollup([finding("firewall", Status.FAIL, waiver=expired)])
    assert lapsed.status is Status.FAIL and not lapsed.waived
    # A waiver never turns an error into compliance (waivers do not apply to errors).
    broken = check_rollup([finding("firewall", Status.ERROR, waiver=in_force)])
    assert broken.status is Status.ERROR


def test_scores_count_unknown_against_and_skip_unreachable() -> None:
    summary = summarize(sample_report())
    win, clean, down = summary.hosts
    # disk_encryption fail, firewall waived (compliant), open_ports fail (expired), screen
    # lock unknown: 1 of 4.
    assert (win.compliant, win.applicable, win.score) == (1, 4, 25.0)
    # screen_lock is not applicable on the clean host: 3 of 3.
    assert (clean.compliant, clean.applicable, clean.score) == (3, 3, 100.0)
    assert down.score is None and not down.reachable
    assert summary.score is not None and round(summary.score, 1) == 57.1  # 4 of 7
    assert summary.compliant_hosts == 1
    assert summary.host_rate is not None and round(summary.host_rate, 1) == 33.3
    assert [h.host.target for h in summary.worst_first()] == [
        "pc-zaimu-003",
        "pc-soumu-001",
        "pc-kikaku-002",
    ]
    assert summary.failed_by_severity == {"critical": 1, "high": 1}
    assert (summary.waived, summary.waiver_expired, summary.unreachable) == (1, 1, 1)


def test_rates_by_check() -> None:
    rates = {r.check_id: r for r in summarize(sample_report()).check_rates}
    assert (rates["disk_encryption"].compliant, rates["disk_encryption"].applicable) == (1, 2)
    assert rates["firewall"].rate == 100.0 and rates["firewall"].waived_hosts == 1
    assert rates["screen_lock"].applicable == 1 and rates["screen_lock"].rate == 0.0


def test_empty_report_has_no_score() -> None:
    summary = summarize(make_report([]))
    assert summary.score is None and summary.host_rate is None
    assert format_percent(None) == "—"
    assert format_percent(100.0) == "100%"
    assert format_percent(57.14) == "57.1%"


def test_findings_of_checks_outside_the_baseline_still_count() -> None:
    hosts = sample_hosts()
    extra = finding("open_ports", Status.FAIL).model_copy(update={"check_id": "acme.usb"})
    hosts[1].findings.append(extra)
    summary = summarize(make_report(hosts))
    assert "acme.usb" in [r.check_id for r in summary.check_rates]
    assert summary.hosts[1].state is Status.FAIL
