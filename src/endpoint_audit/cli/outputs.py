"""`--format FORMAT[:PATH]` and `--output`: which renderers write where.

Every path is checked before the audit starts (`parse_outputs`), and each output is
written on its own: one that cannot be written is one error line and the others are
still written (`render_outputs`). The exit code then says so (`exit_after`).

An interrupted run's report is partial. It is written only when it holds a host, and
never in place of an existing file: a path that exists keeps its file, and the partial
report goes beside it as `NAME.partial.EXT`; a line on stderr says where it went.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn, Protocol

import typer
from msgspec import Struct, field

from endpoint_audit.cli import interrupts
from endpoint_audit.cli.common import check_output_paths, fail, say, try_write_output
from endpoint_audit.engine.exit_policy import ExitCode
from endpoint_audit.engine.registry import load_registry
from endpoint_audit.model import i18n
from endpoint_audit.model.result import PartialInfo, RunReport
from endpoint_audit.render.base import RenderOptions, SignatureNote


class OutputSpec(Struct, frozen=True):
    format: str
    path: str | None  # None or "-" = stdout


class ReportTarget(Protocol):
    """A renderer and where it writes: an OutputSpec, or the run request's ReportOutput."""

    @property
    def format(self) -> str: ...

    @property
    def path(self) -> str | None: ...


class OutputsWritten(Struct):
    """What became of the outputs: the one-line problems, and whether stdout closed."""

    failures: list[str] = field(default_factory=list)
    stdout_closed: bool = False
    files: list[Path] = field(default_factory=list)  # the files written (to sign)


# Without --format, `-o FILE` picks the format its extension names, as people expect of
# `-o report.html`; any other name gets the terminal text.
FORMAT_OF_SUFFIX = {
    ".json": "json",
    ".html": "html",
    ".htm": "html",
    ".csv": "csv",
    ".md": "markdown",
    ".markdown": "markdown",
    ".xml": "junit",
}


def format_for(output: str | None) -> str:
    """The format `-o output` implies when no --format is given."""
    if output is None or output == "-":
        return "terminal"
    return FORMAT_OF_SUFFIX.get(Path(output).suffix.lower(), "terminal")


def parse_outputs(formats: list[str] | None, output: str | None) -> list[OutputSpec]:
    known = load_registry().renderers
    specs: list[OutputSpec] = []
    for raw in formats or [format_for(output)]:
        name, sep, path = raw.partition(":")
        name = name.strip().lower()
        if name not in known:
            fail(f"--format {name}: unknown format; choose from {', '.join(sorted(known))}")
        specs.append(OutputSpec(name, path if sep else None))
    if output is not None:
        unpathed = [s for s in specs if s.path is None]
        if len(unpathed) != 1:
            fail("--output applies to exactly one --format without its own :PATH")
        specs = [OutputSpec(s.format, output) if s.path is None else s for s in specs]
    to_stdout = [s for s in specs if s.path in (None, "-")]
    if len(to_stdout) > 1:
        fail("only one --format may write to stdout; give the others a :PATH")
    check_output_paths(s.path for s in specs)
    return specs


def partial_path(path: Path) -> Path:
    """Where a partial report goes when `path` holds a file: `NAME.partial.EXT`."""
    suffix = path.suffix
    stem = path.name[: -len(suffix)] if suffix else path.name
    return path.with_name(f"{stem}.partial{suffix}")


def _partial_target(path: Path) -> Path:
    return partial_path(path) if path.is_file() else path


def _note(line: str) -> None:
    say(line)


def render_outputs(
    report: RunReport,
    specs: Sequence[ReportTarget],
    lang: str,
    signature: SignatureNote | None = None,
) -> OutputsWritten:
    """Render and write every output; a failed one never stops the next. Rendered as
    read now: a waiver that has lapsed since the hosts were judged is shown as such."""
    partial = report.partial
    if partial is None and interrupts.interrupted():
        # An interrupt the run went on after (a library turned it into another error, e.g.
        # a plugin "not loaded"): the report may lack checks, so none is written.
        raise KeyboardInterrupt
    written = OutputsWritten()
    as_of = datetime.now(UTC)
    if partial is not None and not report.hosts:
        return written  # nothing to write; say_interrupted says so
    renderers = load_registry().renderers
    for spec in specs:
        renderer = renderers[spec.format]()
        to_stdout = spec.path in (None, "-")
        color = spec.format == "terminal" and to_stdout and sys.stdout.isatty()
        # On a terminal use its width; in files and pipes a fixed width keeps output stable.
        width = shutil.get_terminal_size().columns if color else None
        try:
            options = RenderOptions(
                lang=lang, color=color, width=width, as_of=as_of, signature=signature
            )
            text = renderer.render(report, options)
        except Exception as exc:  # one format's bug must not cost the others
            failed = f"--format {spec.format}: cannot render: {type(exc).__name__}: {exc}"
            written.failures.append(failed)
            say(f"error: {failed}")
            continue
        if to_stdout:
            try:
                try_write_output(None, text, renderer.encoding)
            except interrupts.StdoutClosed:
                written.stdout_closed = True
            continue
        assert spec.path is not None  # noqa: S101 - not stdout, so a path
        target = _partial_target(Path(spec.path)) if partial is not None else Path(spec.path)
        problem = try_write_output(str(target), text, renderer.encoding)
        if problem is not None:
            written.failures.append(problem)
            say(f"error: {problem}")
            continue
        if target.is_file():  # not a device (/dev/null) or a pipe
            written.files.append(target)
        if partial is not None:
            args = {
                "path": spec.path,
                "partial": target,
                "hosts": partial.hosts_reported,
                "planned": partial.hosts_planned,
            }
            key = "partial_written" if str(target) == spec.path else "partial_beside"
            _note(i18n.t(lang, f"cli.outputs.{key}", **args))
        else:  # as `collect` names its file: the person sees where the report went
            _note(i18n.t(lang, "cli.progress.wrote", format=spec.format, path=spec.path))
    return written


def say_interrupted(lang: str, partial: PartialInfo) -> None:
    key = "terminated" if partial.reason == "terminated" else "interrupted"
    if not partial.hosts_reported:
        key += "_empty"
    line = i18n.t(
        lang,
        f"cli.outputs.{key}",
        count=partial.hosts_reported,
        planned=partial.hosts_planned,
    )
    _note(line)


def exit_after(written: OutputsWritten, audit_code: int, interrupted: bool) -> NoReturn:
    """The exit code, most urgent first: interrupted (130, or 143 for SIGTERM), an output
    not written (4), stdout closed by its reader (141), else the audit's own code."""
    if interrupted:
        interrupts.mark_reported()
        raise typer.Exit(interrupts.exit_code())
    if written.failures:
        raise typer.Exit(ExitCode.OUTPUT)
    if written.stdout_closed:
        raise interrupts.StdoutClosed
    raise typer.Exit(audit_code)
