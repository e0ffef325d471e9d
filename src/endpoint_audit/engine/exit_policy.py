"""Exit codes (DESIGN.md §4). Exit 0 must mean verified, not merely not disproven."""

from __future__ import annotations

from enum import IntEnum

from endpoint_audit.model.result import RunReport, Severity, Status


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    CONFIG = 2
    INCOMPLETE = 3
    OUTPUT = 4  # the audit ran, but a report or host file could not be written
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
    STDOUT_CLOSED = 141  # the reader of stdout went away (128 + SIGPIPE)
    TERMINATED = 143  # SIGTERM (128 + SIGTERM)


def exit_code(report: RunReport, fail_on: Severity = Severity.INFO) -> ExitCode:
    failed = False
    incomplete = False
    for host in report.hosts:
        if host.status != "ok":
            incomplete = True
        for finding in host.findings:
            if finding.counts_as_failure and finding.severity.rank >= fail_on.rank:
                failed = True
            elif finding.status in (Status.ERROR, Status.UNKNOWN) and (
                finding.waiver is None or finding.waiver.expired
            ):
                incomplete = True
    if not report.hosts:
        incomplete = True
    if failed:
        return ExitCode.FAILED
    return ExitCode.INCOMPLETE if incomplete else ExitCode.OK
