"""Run a RunRequest from the command line: the one place `scan`, `collect` and `evaluate`
hand their request to (engine.pipeline), and the one place a run's interrupt is caught.

prepare (one line and exit 2 for bad input) -> the hosts, with progress on stderr ->
on Ctrl-C or SIGTERM the hosts finished so far are kept -> the run report -> outputs
(report formats and the history store, or `collect`'s bundle) -> the exit code:
interrupted 130/143, an output not written 4, stdout closed 141, else the run's own
(`scan`/`evaluate`: 0 compliant, 1 failed, 3 incomplete; `collect`: 0 every host
collected, 3 some host not reached).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from endpoint_audit.cli import interrupts, startup
from endpoint_audit.cli.common import fail, note, say, try_write_output, warn
from endpoint_audit.cli.host_progress import ProgressKind, RunProgress
from endpoint_audit.cli.outputs import (
    OutputsWritten,
    exit_after,
    partial_path,
    render_outputs,
    say_interrupted,
)
from endpoint_audit.cli.store_opts import add_to_store
from endpoint_audit.engine.exit_policy import ExitCode, exit_code
from endpoint_audit.errors import ConfigError
from endpoint_audit.model import i18n

if TYPE_CHECKING:
    from endpoint_audit.engine.pipeline import Notice, PreparedRun, RunOutcome, RunRequest
    from endpoint_audit.signing.minisign import SecretKey


def _notice(notice: Notice) -> None:
    if notice.level == "warning":
        warn(notice.text)
    elif notice.level == "error":
        say(f"error: {notice.text}")
    else:
        note(notice.text)


def _spinner_text(prepared: PreparedRun) -> str:
    from endpoint_audit.engine.pipeline import ThisMachine

    lang = prepared.lang
    if isinstance(prepared.request.targets, ThisMachine):
        return i18n.t(lang, "cli.progress.this_pc")
    return i18n.t(lang, "cli.progress.recorded", count=len(prepared.slots))


def run_request(request: RunRequest, progress: ProgressKind = None) -> NoReturn:
    """Run the request and exit with the code that says what happened."""
    from endpoint_audit.engine.pipeline import prepare

    try:
        prepared = prepare(request, _notice)
    except ConfigError as exc:
        fail(str(exc))
    startup.collect_as_usual()  # the checks, baselines and catalogs are loaded
    collecting = request.kind == "collect"
    interruption = None
    what = _spinner_text(prepared) if progress == "spinner" else ""
    watcher = RunProgress(progress, prepared.lang, len(prepared.to_run), collecting, what)
    with watcher:
        try:
            interrupts.run_async(prepared.execute(watcher.host_done))
        except KeyboardInterrupt:
            interruption = interrupts.reason()
    outcome = prepared.conclude(interruption)
    if collecting:
        _finish_collect(prepared, outcome)
    _finish_audit(prepared, outcome)


def _finish_audit(prepared: PreparedRun, outcome: RunOutcome) -> NoReturn:
    """Every report output (a partial report when interrupted), the history store, and
    the exit code."""
    request = prepared.request
    lang = prepared.lang
    report = outcome.report
    interrupted = outcome.interruption is not None
    signer = request.outputs.signer
    note_ = None
    if signer is not None:
        from endpoint_audit.render.base import SignatureNote

        public = signer.public_key()
        note_ = SignatureNote("signed", public.id_text, public_key=public.base64())
    written = render_outputs(report, request.outputs.reports, lang, note_)
    written.failures[:0] = outcome.failures
    if signer is not None:
        from endpoint_audit.engine.signing import report_fields

        fields = report_fields(report, request.outputs.round_id)
        written.failures += _sign(signer, written.files, fields)
    source = request.outputs.history_source
    problem = add_to_store(report, request.outputs.history_store, source, lang, interrupted)
    if problem is not None:
        written.failures.append(problem)
    if report.partial is not None:
        say_interrupted(lang, report.partial)
    exit_after(written, exit_code(report, prepared.options.fail_on), interrupted)


def _finish_collect(prepared: PreparedRun, outcome: RunOutcome) -> NoReturn:
    """The `-o` bundle of every host collected (beside an existing file when the run was
    interrupted: a partial bundle never replaces one), and the exit code."""
    from endpoint_audit.engine.host_outputs import (
        RedactedLabels,
        bundle_text,
        host_transcript,
        is_yaml,
        reached,
    )

    outputs = prepared.request.outputs
    lang = prepared.lang
    written = OutputsWritten(failures=list(outcome.failures))
    partial = outcome.report.partial
    hosts = [host_transcript(run) for run in outcome.runs]
    if outputs.redact:
        labels = RedactedLabels()  # one bundle never holds two hosts of one name
        hosts = [
            labels.redact(h, reached(run))
            for h, run in zip(hosts, outcome.runs, strict=True)
            if h.unreachable is None
        ]
    path = outputs.bundle
    if path is not None and hosts:
        target = path
        if partial is not None and path != "-" and Path(path).is_file():
            target = str(partial_path(Path(path)))
        try:
            problem = try_write_output(target, bundle_text(hosts, is_yaml(path)))
        except interrupts.StdoutClosed:
            written.stdout_closed = True
        else:
            if problem is not None:
                written.failures.append(problem)
                say(f"error: {problem}")
            elif target != "-":
                note(i18n.t(lang, "collect.msg.wrote", count=len(hosts), path=target))
                if outputs.signer is not None and Path(target).is_file():
                    fields: dict[str, str | None] = {"kind": "bundle", "hosts": str(len(hosts))}
                    fields["round"] = outputs.round_id
                    written.failures += _sign(outputs.signer, [Path(target)], fields)
    if partial is not None:
        key = "terminated" if partial.reason == "terminated" else "interrupted"
        if not partial.hosts_reported:
            key += "_empty"
        note(
            i18n.t(
                lang,
                f"collect.msg.{key}",
                count=partial.hosts_reported,
                planned=partial.hosts_planned,
            )
        )
    code = ExitCode.OK if outcome.all_reached else ExitCode.INCOMPLETE
    exit_after(written, code, partial is not None)


def _sign(signer: SecretKey, files: list[Path], fields: dict[str, str | None]) -> list[str]:
    """FILE.minisig beside each file; the problems, each one line (exit 4)."""
    from endpoint_audit.engine.signing import sign_file

    problems: list[str] = []
    for path in files:
        try:
            written = sign_file(signer, path, fields)
        except OSError as exc:
            problem = f"{path}.minisig: cannot write: {exc.strerror or exc}"
            say(f"error: {problem}")
            problems.append(problem)
        else:
            note(f"signed {path} -> {written.name}")
    return problems


__all__ = ["run_request"]
