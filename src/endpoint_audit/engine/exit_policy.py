"""Exit codes (DESIGN.md §4). Exit 0 must mean verified, not merely not disproven."""

from __future__ import annotations

from enum import IntEnum

from endpoint_audit.model.result import RunReport, Severity
from endpoint_audit.model.verdict import RunVerdict, run_verdict


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    CONFIG = 2
    INCOMPLETE = 3
    OUTPUT = 4  # the audit ran, but a report or host file could not be written
    HANGUP = 129  # SIGHUP (128 + SIGHUP): the terminal or SSH session went away
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
    STDOUT_CLOSED = 141  # the reader of stdout went away (128 + SIGPIPE)
    TERMINATED = 143  # SIGTERM (128 + SIGTERM)
    INTERNAL = 70  # a failure of the tool itself (sysexits EX_SOFTWARE), never a verdict


_CODES = {
    RunVerdict.FAILED: ExitCode.FAILED,
    RunVerdict.INCOMPLETE: ExitCode.INCOMPLETE,
    RunVerdict.COMPLIANT: ExitCode.OK,
}


def exit_code(report: RunReport, fail_on: Severity | None = None) -> ExitCode:
    """The run verdict of model.verdict as an exit code (`fail_on`: the report's own when
    None), so the code and the verdict line of every report say the same thing. As of
    the judging time: the exit code of a run never depends on when it is read."""
    return _CODES[run_verdict(report, fail_on)]
