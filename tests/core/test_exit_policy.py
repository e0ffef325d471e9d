"""Exit codes (DESIGN.md §4) computed from a report."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from endpoint_audit.engine.exit_policy import ExitCode, exit_code
from endpoint_audit.model.result import (
    BaselineInfo,
    Finding,
    HostReport,
    RunReport,
    Severity,
    Status,
    ToolInfo,
    WaiverRef,
)

NOW = datetime(2026, 11, 26, tzinfo=UTC)


def finding(
    status: Status, severity: Severity = Severity.HIGH, waiver: WaiverRef | None = None
) -> Finding:
    return Finding(
        check_id="x", status=status, severity=severity, message="m", message_key="k", waiver=waiver
    )


def report(*hosts: HostReport) -> RunReport:
    return RunReport(
        tool=ToolInfo(version="0"),
        baseline=BaselineInfo(id="b", version="1", sha256="0" * 64),
        started_at=NOW,
        finished_at=NOW,
        hosts=list(hosts),
    )


def host(*findings: Finding, status: str = "ok") -> HostReport:
    return HostReport(target="h", status=status, findings=list(findings))  # type: ignore[arg-type]


WAIVER = WaiverRef(justification="j", approver="a", expires="2027-01-01")
EXPIRED = WaiverRef(justification="j", approver="a", expires="2025-01-01", expired=True)


@pytest.mark.parametrize(
    ("findings", "host_status", "fail_on", "expected"),
    [
        ([finding(Status.PASS)], "ok", Severity.INFO, ExitCode.OK),
        ([finding(Status.PASS), finding(Status.NOT_APPLICABLE)], "ok", Severity.INFO, ExitCode.OK),
        ([finding(Status.FAIL)], "ok", Severity.INFO, ExitCode.FAILED),
        ([finding(Status.FAIL, Severity.LOW)], "ok", Severity.HIGH, ExitCode.OK),
        ([finding(Status.FAIL, Severity.CRITICAL)], "ok", Severity.HIGH, ExitCode.FAILED),
        ([finding(Status.UNKNOWN)], "ok", Severity.INFO, ExitCode.INCOMPLETE),
        ([finding(Status.ERROR), finding(Status.PASS)], "ok", Severity.INFO, ExitCode.INCOMPLETE),
        ([finding(Status.FAIL), finding(Status.ERROR)], "ok", Severity.INFO, ExitCode.FAILED),
        ([], "unreachable", Severity.INFO, ExitCode.INCOMPLETE),
        ([finding(Status.FAIL, waiver=WAIVER)], "ok", Severity.INFO, ExitCode.OK),
        ([finding(Status.FAIL, waiver=EXPIRED)], "ok", Severity.INFO, ExitCode.FAILED),
    ],
)
def test_exit_codes(
    findings: list[Finding], host_status: str, fail_on: Severity, expected: ExitCode
) -> None:
    assert exit_code(report(host(*findings, status=host_status)), fail_on) is expected


def test_no_hosts_is_not_success() -> None:
    assert exit_code(report()) is ExitCode.INCOMPLETE
