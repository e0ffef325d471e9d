"""What every command shares: errors as one line, atomic output files, language choice."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console

from endpoint_audit.atomic_file import write_atomically
from endpoint_audit.engine.exit_policy import ExitCode
from endpoint_audit.model import i18n

# Reports go to stdout; progress, warnings and errors to stderr.
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def fail(message: str, code: int = ExitCode.CONFIG) -> NoReturn:
    """One line on stderr, no traceback, and a documented exit code."""
    sys.stderr.write(f"endpoint-audit: error: {message}\n")
    raise typer.Exit(code)


def warn(message: str) -> None:
    sys.stderr.write(f"endpoint-audit: warning: {message}\n")


def resolve_lang(lang: str | None) -> str:
    if lang is None:
        return i18n.default_language()
    if lang not in i18n.LANGUAGES:
        fail(f"--lang {lang}: choose one of {', '.join(i18n.LANGUAGES)}")
    return lang


def write_output(path: str | None, text: str, encoding: str = "utf-8") -> None:
    """Write to stdout (None or "-") or atomically to a file: a reader never sees half a
    report, and a failed run never leaves a truncated one behind."""
    if path is None or path == "-":
        if encoding == "utf-8-sig":
            encoding = "utf-8"
        sys.stdout.buffer.write(text.encode(encoding, errors="replace"))
        sys.stdout.flush()
        return
    target = Path(path)
    if target.exists() and not target.is_file() and not target.is_dir():
        # A device or pipe (/dev/null, /dev/stdout, a FIFO): write to it in place. Replacing
        # it would swap the device for a regular file (as root: /dev/null for everyone).
        try:
            with open(target, "wb") as handle:
                handle.write(text.encode(encoding, errors="replace"))
        except OSError as exc:
            fail(f"{path}: cannot write: {exc.strerror or exc}")
        return
    try:
        write_atomically(target, text.encode(encoding, errors="replace"))
    except OSError as exc:
        fail(f"{path}: cannot write: {exc.strerror or exc}")
