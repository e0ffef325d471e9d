"""`--sign KEY` of scan, evaluate and collect: the secret key is opened (its password
asked) before any host is contacted, so a wrong password costs no audit."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from endpoint_audit.cli.key_files import PasswordFileOpt, load_secret_key

if TYPE_CHECKING:
    from endpoint_audit.signing.minisign import SecretKey

SignOpt = Annotated[
    Path | None,
    typer.Option(
        "--sign",
        metavar="KEY",
        help=(
            "Sign every file written with this secret key (`keys init`): FILE.minisig "
            "beside each, verifiable with `minisign -V` or `report verify`."
        ),
    ),
]
RoundOpt = Annotated[
    str | None,
    typer.Option(
        "--round", metavar="ID", help="The audit round, put in the trusted comment (2026-12)."
    ),
]
PreviousRoundOpt = Annotated[
    Path | None,
    typer.Option(
        "--previous-round",
        metavar="DIR",
        help=(
            "The previous round's --output-dir (or its manifest.json): this round's manifest "
            "records its sha256, a hash chain `report verify` checks."
        ),
    ),
]

__all__ = ["PasswordFileOpt", "PreviousRoundOpt", "RoundOpt", "SignOpt", "signer"]


def signer(sign: Path | None, password_file: Path | None) -> SecretKey | None:
    return None if sign is None else load_secret_key(sign, password_file, "--sign")
