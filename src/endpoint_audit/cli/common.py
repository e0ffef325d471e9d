"""What every command shares: errors as one line, atomic output files, language choice."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console

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


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


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
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            # mkstemp makes the file private (0600); a report gets the usual mode for new
            # files under the user's umask, like any file the user writes.
            if hasattr(os, "fchmod"):  # POSIX; Windows files inherit the folder's ACL
                os.fchmod(fd, 0o666 & ~_umask())
            with os.fdopen(fd, "wb") as handle:
                handle.write(text.encode(encoding, errors="replace"))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        fail(f"{path}: cannot write: {exc.strerror or exc}")
