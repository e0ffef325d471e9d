"""Running the signing commands in-process, with the password given as scripts give it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from endpoint_audit.cli.app import app
from endpoint_audit.cli.key_files import PASSWORD_ENV

FROZEN_REPORT = (
    Path(__file__).parent.parent
    / "fixtures"
    / "frozen"
    / "report-windows-win11-23h2-ja-compliant.json"
)
PASSWORD = "秘密 pass-2026"


def cli(*args: str, password: str | None = PASSWORD) -> Result:
    env = {PASSWORD_ENV: password} if password is not None else {PASSWORD_ENV: ""}
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


@dataclass(frozen=True)
class Keys:
    secret: Path
    public: Path
    line: str  # the public key as one line


def make_keys(folder: Path, name: str = "team") -> Keys:
    secret = folder / f"{name}.key"
    done = cli("keys", "init", str(secret), "--kdf", "interactive")
    assert done.exit_code == 0, done.stderr
    return Keys(secret, folder / f"{name}.pub", done.stdout.strip())


def error_line(result: Result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]
