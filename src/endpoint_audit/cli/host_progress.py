"""What a run tells the person while its hosts finish (stderr).

- a local or replayed scan: "auditing this PC… N s" (cli.progress) after a second;
- many hosts (SSH scans and collections): a progress bar on a terminal (done/total,
  unreachable, hosts/s, time left), one line per host elsewhere (logs, CI);
- each host's problems (a file that could not be written) and notes (a recording made)
  as they happen, above the bar when there is one.
"""

from __future__ import annotations

import sys
import time
from contextlib import ExitStack
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from msgspec import Struct, field

from endpoint_audit.cli.common import err_console, note, say
from endpoint_audit.cli.progress import audit_progress
from endpoint_audit.model import i18n
from endpoint_audit.model.printable import one_line
from endpoint_audit.model.result import HostReport

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from endpoint_audit.engine.host_outputs import Saved
    from endpoint_audit.engine.run import HostRun

ProgressKind = Literal["spinner", "hosts"] | None


class _Tally(Struct):
    total: int
    done: int = 0
    failed: int = 0
    started: float = field(default_factory=time.monotonic)


class RunProgress:
    """The progress of one run; `host_done` is the pipeline's per-host callback."""

    def __init__(
        self, kind: ProgressKind, lang: str, total: int, collecting: bool, what: str = ""
    ) -> None:
        self.kind = kind
        self.lang = lang
        self.collecting = collecting
        self.what = what
        self.tally = _Tally(total=total)
        self.bar: Progress | None = None
        self.task: TaskID | None = None
        self._stack = ExitStack()

    def __enter__(self) -> RunProgress:
        if self.kind == "spinner":
            self._stack.enter_context(audit_progress(self.what, self.lang))
        elif self.kind == "hosts" and sys.stderr.isatty() and self.tally.total:
            self._start_bar()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.bar is not None:
            self.bar.stop()
        self._stack.close()

    def _start_bar(self) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]}"),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=err_console(),
            transient=False,
        )
        label = "fleet.progress.collect_label" if self.collecting else "fleet.progress.label"
        self.task = self.bar.add_task(
            i18n.t(self.lang, label),
            total=self.tally.total,
            failed=i18n.t(self.lang, "fleet.progress.failed", failed=0),
            rate="",
        )
        self.bar.start()

    def _say(self, level: str, line: str) -> None:
        prefix = f"{level}: " if level else ""
        if self.bar is not None:  # above the bar, never through it
            text = f"endpoint-audit: {prefix}{one_line(line)}"
            self.bar.console.print(text, markup=False, highlight=False)
        else:
            say(prefix + line)

    def host_done(self, run: HostRun, saved: Saved) -> None:
        report = run.report
        if self.collecting:
            self._collect_warnings(run)
        for line in saved.problems:
            self._say("error", line)
        for line in saved.notes:
            self._say("", line)
        if self.kind != "hosts":
            return
        failed = report.status != "ok"
        self.tally.done += 1
        self.tally.failed += int(failed)
        elapsed = max(time.monotonic() - self.tally.started, 1e-6)
        if self.bar is not None and self.task is not None:
            self.bar.update(
                self.task,
                advance=1,
                failed=i18n.t(self.lang, "fleet.progress.failed", failed=self.tally.failed),
                rate=i18n.t(self.lang, "fleet.progress.rate", rate=self.tally.done / elapsed),
            )
        else:
            _note(_host_line(report, self.tally, self.lang, len(run.facts), self.collecting))

    def _collect_warnings(self, run: HostRun) -> None:
        """What `collect` could not get: the host, or one of its fact families (kept in
        the bundle too: `evaluate` reports it as unknown or error)."""
        report = run.report
        if report.status != "ok":
            reason = f"{report.target}: {report.reason}"
            self._say("warning", i18n.t(self.lang, "collect.msg.not_collected", reason=reason))
            return
        for name, fact in sorted(run.facts.items()):
            if isinstance(fact, dict) and set(fact) in ({"error"}, {"error", "reason"}):
                self._say(
                    "warning",
                    i18n.t(
                        self.lang,
                        "collect.msg.fact_error",
                        host=report.target,
                        fact=name,
                        reason=_said(fact, self.lang),
                    ),
                )


def _said(failure: dict[str, Any], lang: str) -> str:
    """A fact family's failure in `lang`: from its reason key when the bundle has one."""
    reason = failure.get("reason")
    if isinstance(reason, dict) and isinstance(reason.get("key"), str):
        args = reason.get("args")
        return i18n.t(lang, reason["key"], **(args if isinstance(args, dict) else {}))
    return str(failure["error"])


def _host_line(
    report: HostReport, tally: _Tally, lang: str, facts: int = 0, collecting: bool = False
) -> str:
    if report.status != "ok":
        return i18n.t(
            lang,
            "fleet.progress.host_unreachable",
            done=tally.done,
            total=tally.total,
            host=report.target,
            reason=report.reason,
        )
    if collecting:
        return i18n.t(
            lang,
            "fleet.progress.host_collected",
            done=tally.done,
            total=tally.total,
            host=report.target,
            facts=facts,
            seconds=report.duration_seconds or 0.0,
        )
    counts: dict[str, int] = {}
    for finding in report.findings:
        counts[finding.status.value] = counts.get(finding.status.value, 0) + 1
    text = ", ".join(
        f"{i18n.t(lang, f'fleet.status.{status}')} {n}" for status, n in sorted(counts.items())
    )
    return i18n.t(
        lang,
        "fleet.progress.host_ok",
        done=tally.done,
        total=tally.total,
        host=report.target,
        counts=text or i18n.t(lang, "fleet.progress.no_findings"),
        seconds=report.duration_seconds or 0.0,
    )


def _note(line: str) -> None:
    # Host names and reasons can carry text a server sent: one line, controls as escapes.
    note(line)
