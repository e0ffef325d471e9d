"""`endpoint-audit keys`: the signing key pair of the audit team (minisign format)."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from endpoint_audit.cli.common import fail, note
from endpoint_audit.cli.interrupts import write_stdout
from endpoint_audit.cli.key_files import PASSWORD_ENV, PasswordFileOpt, password_from
from endpoint_audit.signing import minisign

app = typer.Typer(
    help="Make the signing key pair that signs reports and round manifests.",
    no_args_is_help=True,
)


class Kdf(StrEnum):
    SENSITIVE = "sensitive"
    INTERACTIVE = "interactive"


_LIMITS = {
    Kdf.SENSITIVE: (minisign.OPSLIMIT_SENSITIVE, minisign.MEMLIMIT_SENSITIVE),
    Kdf.INTERACTIVE: (minisign.OPSLIMIT_INTERACTIVE, minisign.MEMLIMIT_INTERACTIVE),
}


@app.command("init")
def init(
    secret_key: Annotated[Path, typer.Argument(help="The secret key file to create (mode 0600).")],
    public_key: Annotated[
        Path | None,
        typer.Option(
            "--public-key",
            metavar="FILE",
            help="The public key file to create (mode 0644; default: SECRET_KEY with .pub).",
        ),
    ] = None,
    password_file: PasswordFileOpt = None,
    kdf: Annotated[
        Kdf,
        typer.Option(
            "--kdf",
            help=(
                "scrypt cost protecting the key: sensitive (1 GiB, a few seconds, as "
                "minisign) or interactive (16 MiB, weaker against password guessing)."
            ),
        ),
    ] = Kdf.SENSITIVE,
    comment: Annotated[
        str, typer.Option("--comment", help="The untrusted comment of the secret key file.")
    ] = "endpoint-audit encrypted secret key",
) -> None:
    """Create a password-protected Ed25519 key pair in minisign's format and print the
    public key as one line (for the audit plan and `report verify --pubkey`).

    The secret key never leaves the file; keep a copy on an encrypted medium (docs/signing.md).

      endpoint-audit keys init ~/.endpoint-audit/team.key

      endpoint-audit keys init team.key --password-file pw.txt --public-key team.pub
    """
    public_path = public_key or secret_key.with_suffix(".pub")
    if public_path == secret_key:
        fail(f"--public-key {public_path}: the same file as the secret key")
    for path in (secret_key, public_path):
        if path.exists() or path.is_symlink():
            fail(f"{path}: already exists; not replaced (remove it or name another file)")
        if not path.parent.is_dir():
            fail(f"{path}: the folder {path.parent} does not exist")
    if "\n" in comment or "\r" in comment:
        fail("--comment: must be one line")
    password = password_from(password_file, confirm=True, what="the new secret key")
    if password is None:
        fail(
            f"a password is needed: give --password-file FILE or set {PASSWORD_ENV} "
            "(there is no terminal to ask)"
        )
    key = minisign.SecretKey.generate()
    opslimit, memlimit = _LIMITS[kdf]
    text = minisign.encode_secret_key(key, password, comment, opslimit, memlimit)
    public = key.public_key()
    try:
        minisign.write_private(secret_key, text)
    except OSError as exc:
        fail(f"{secret_key}: cannot write: {exc.strerror or exc}")
    try:
        fd = os.open(public_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        if os.name == "posix":
            os.fchmod(fd, 0o644)  # readable by all whatever the umask: it is public
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(public.file_text())
    except OSError as exc:
        fail(f"{public_path}: cannot write: {exc.strerror or exc}")
    note(f"secret key {secret_key} (keep it secret), public key {public_path}, id {public.id_text}")
    note(f"an auditor verifies with: minisign -Vm FILE -P {public.base64()}")
    write_stdout(f"{public.base64()}\n".encode())
