"""What every command shares: errors as one line, atomic output files, language choice.

Every line the CLI writes to stderr goes through `say`: values in it come from files and
hosts (host names, file names in a share, targets, reasons a server gave), so control
characters are shown as escapes and the line stays one line (model.printable).
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

from endpoint_audit.atomic_file import ReadOnlyOutput, output_problem, write_atomically
from endpoint_audit.cli.interrupts import write_stdout
from endpoint_audit.engine.exit_policy import ExitCode
from endpoint_audit.model import i18n
from endpoint_audit.model.printable import one_line

if TYPE_CHECKING:
    from rich.console import Console

_err_console: list[Console] = []


def err_console() -> Console:
    """The console of progress on stderr (reports go to stdout), made when first asked
    for: Rich is not imported by a run that shows no progress."""
    if not _err_console:
        from rich.console import Console

        _err_console.append(Console(stderr=True, highlight=False, soft_wrap=True))
    return _err_console[0]


def say(message: str) -> None:
    """One line on stderr, `endpoint-audit: ` first, control characters made visible."""
    sys.stderr.write(f"endpoint-audit: {one_line(message)}\n")
    sys.stderr.flush()


def fail(message: str, code: int = ExitCode.CONFIG) -> NoReturn:
    """One line on stderr, no traceback, and a documented exit code."""
    say(f"error: {message}")
    raise typer.Exit(code)


def warn(message: str) -> None:
    say(f"warning: {message}")


def note(message: str) -> None:
    """Progress and results for people (stderr; the report alone goes to stdout)."""
    say(message)


def robust_streams() -> None:
    """Let stdout and stderr show any text in whatever encoding they have.

    With an ASCII or Latin-1 stdout (PYTHONIOENCODING=ascii, an old locale, a pipe set
    up that way) a Japanese word would otherwise end the command with UnicodeEncodeError.
    The stream keeps the encoding its reader expects; what it cannot encode is written
    as a backslash escape (`\\u76e3`), readable and lossless. Reports written to stdout
    are UTF-8 bytes anyway (write_output)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None:
            continue
        try:
            reconfigure(errors="backslashreplace")
        except (ValueError, OSError):  # a closed or detached stream: nothing to protect
            pass


def resolve_lang(lang: str | None) -> str:
    if lang is None:
        return i18n.default_language()
    if lang not in i18n.LANGUAGES:
        fail(f"--lang {lang}: choose one of {', '.join(i18n.LANGUAGES)}")
    return lang


def try_write_output(path: str | None, text: str, encoding: str = "utf-8") -> str | None:
    """Write to stdout (None or "-") or atomically to a file: a reader never sees half a
    report, and a failed run never leaves a truncated one behind. Returns None, or the
    problem as one line naming the path (nothing is printed). A closed stdout raises
    StdoutClosed."""
    if path is None or path == "-":
        if encoding == "utf-8-sig":
            encoding = "utf-8"  # no byte-order mark on a terminal or in a pipe
        write_stdout(text.encode(encoding, errors="replace"))
        return None
    data = text.encode(encoding, errors="replace")
    target = Path(path)
    try:
        if target.exists() and not target.is_file() and not target.is_dir():
            # A device or pipe (/dev/null, /dev/stdout, a FIFO): write to it in place.
            # Replacing it would swap the device for a regular file (as root: /dev/null
            # for everyone).
            with open(target, "wb") as handle:
                handle.write(data)
            return None
        if target.is_dir():
            return f"{path}: cannot write: is a folder"
        write_atomically(target, data)
    except OSError as exc:
        if isinstance(exc, ReadOnlyOutput):
            return f"{path}: read-only file; not replaced (make it writable or remove it first)"
        return f"{path}: cannot write: {exc.strerror or exc}"
    return None


def write_output(path: str | None, text: str, encoding: str = "utf-8") -> None:
    """`try_write_output`, or one error line and exit 4 (an output could not be written)."""
    problem = try_write_output(path, text, encoding)
    if problem is not None:
        fail(problem, ExitCode.OUTPUT)


def check_output_paths(paths: Iterable[str | None], flag: str = "") -> None:
    """Before any work: every output path must be writable. Each problem is one line;
    then exit 2 (nothing was done)."""
    problems: list[str] = []
    seen: dict[str, str] = {}
    for path in paths:
        if path is None or path == "-":
            continue
        problem = output_problem(Path(path))
        if problem is not None:
            problems.append(f"{flag}{' ' if flag else ''}{path}: {problem}")
            continue
        key = os.path.realpath(path)
        if key in seen and not _is_device(path):
            problems.append(f"{flag}{' ' if flag else ''}{path}: named twice (also as {seen[key]})")
        seen.setdefault(key, path)
    for problem in problems:
        sys.stderr.write(f"endpoint-audit: error: {problem}\n")
    if problems:
        raise typer.Exit(ExitCode.CONFIG)


def _is_device(path: str) -> bool:
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False
