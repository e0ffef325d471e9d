"""Secret key files and their password: asked at the terminal, or read from
--password-file FILE or the ENDPOINT_AUDIT_KEY_PASSWORD variable for scripts. The
password and the key are never printed, logged or written into a report."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from endpoint_audit.cli.common import fail, warn

if TYPE_CHECKING:  # imported where used: a run that signs nothing loads no cryptography
    from endpoint_audit.signing import minisign

PASSWORD_ENV = "ENDPOINT_AUDIT_KEY_PASSWORD"  # noqa: S105 (the variable's name)
_KEY_FILE_MAX_BYTES = 4096

PasswordFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--password-file",
        metavar="FILE",
        help=(
            f"Read the key's password from the first line of FILE (or set {PASSWORD_ENV}); "
            "without either it is asked at the terminal."
        ),
    ),
]


def password_from(password_file: Path | None, *, confirm: bool, what: str) -> str | None:
    """The password from the file, the variable or the terminal; None when there is none
    and no terminal to ask (the caller says what to do)."""
    from endpoint_audit.signing import minisign

    if password_file is not None:
        try:
            with open(password_file, encoding="utf-8") as handle:
                line = handle.readline(minisign.COMMENT_MAX_BYTES + 2)
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"--password-file {password_file}: cannot read: {_why(exc)}")
        password = line.rstrip("\r\n")
        if not password:
            fail(f"--password-file {password_file}: the first line is empty")
        return password
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        return None
    answer: str = typer.prompt(
        f"Password for {what}", hide_input=True, confirmation_prompt=confirm, err=True
    )
    return answer


def _why(exc: Exception) -> str:
    return str(getattr(exc, "strerror", None) or exc)


def load_secret_key(
    path: Path, password_file: Path | None, flag: str = "--key"
) -> minisign.SecretKey:
    """The secret key of a minisign key file; a wrong or missing password is one line,
    exit 2."""
    from endpoint_audit.signing import minisign

    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            fail(f"{flag} {path}: not a regular file")
        if info.st_size > _KEY_FILE_MAX_BYTES:
            fail(f"{flag} {path}: {info.st_size} bytes is too large for a key file")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{flag} {path}: cannot read: {_why(exc)}")
    if os.name == "posix" and info.st_mode & 0o077:
        warn(f"{flag} {path}: others may read the secret key (chmod 600 {path})")
    try:
        encrypted = minisign.secret_key_is_encrypted(text, str(path))
        password = None
        if encrypted:
            password = password_from(password_file, confirm=False, what=str(path))
            if password is None:
                fail(
                    f"{flag} {path}: the key is password-protected; give --password-file FILE "
                    f"or set {PASSWORD_ENV} (there is no terminal to ask)"
                )
        return minisign.decode_secret_key(text, password, str(path))
    except minisign.MinisignError as exc:
        fail(str(exc))
