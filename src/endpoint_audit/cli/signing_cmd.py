"""`endpoint-audit report sign` and `report verify`: minisign-compatible signatures of
reports (and any other file), verified against one public key or a trusted-keys file.

Exit codes of verify: 0 every file verified, 1 a file is unsigned or its signature does
not verify (one line each), 2 usage (no key given, a key file or FILE that cannot be read).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from endpoint_audit.baseline.yaml_lines import load_lined, read_text
from endpoint_audit.cli.common import fail, note, say
from endpoint_audit.cli.interrupts import write_stdout
from endpoint_audit.cli.key_files import PasswordFileOpt, load_secret_key
from endpoint_audit.cli.sign_opts import RoundOpt
from endpoint_audit.engine.exit_policy import ExitCode
from endpoint_audit.engine.round_check import RoundCheck, check_chain, check_round
from endpoint_audit.engine.run_folder import MANIFEST
from endpoint_audit.engine.signing import describe_file, sign_file
from endpoint_audit.errors import ConfigError
from endpoint_audit.model.printable import one_line
from endpoint_audit.render.base import SignatureNote
from endpoint_audit.safe_read import InputKind
from endpoint_audit.signing import minisign, trusted_keys
from endpoint_audit.signing.trusted_comment import utc_text
from endpoint_audit.signing.verify import (
    Verified,
    read_signature,
    signature_path,
    verify_digest,
    verify_file,
)
from endpoint_audit.transport.transcript import COLLECT_MANIFEST

KeyOpt = Annotated[
    Path,
    typer.Option("--key", "-k", metavar="FILE", help="The secret key file from `keys init`."),
]


def sign(
    files: Annotated[list[Path], typer.Argument(help="Files to sign (reports, manifests).")],
    key: KeyOpt,
    password_file: PasswordFileOpt = None,
    round_id: RoundOpt = None,
) -> None:
    """Sign files with the team's secret key: FILE.minisig next to each, verifiable with
    `minisign -V` or `endpoint-audit report verify`.

    A JSON report's trusted comment names its host (or host count), baseline sha256 and
    round; every one names the tool version, the signing time and the file name.

      endpoint-audit report sign pc-01.json --key team.key --round 2026-12
    """
    for path in files:
        if not path.is_file():
            fail(f"{path}: no such file")
    secret = load_secret_key(key, password_file)
    for path in files:
        try:
            written = sign_file(secret, path, describe_file(path, round_id))
        except OSError as exc:
            fail(f"{path}.minisig: cannot write: {exc.strerror or exc}", ExitCode.OUTPUT)
        note(f"signed {path} -> {written}")


# A trusted-keys file lists a few keys; far larger is not one.
_TRUSTED_KEYS = InputKind("trusted keys", 1 << 20)


def _trusted_keys(path: Path) -> trusted_keys.TrustedKeys:
    """The file read as baselines are (duplicate keys, aliases multiplying the document
    and non-UTF-8 text refused, each one line `FILE:LINE: ...`, exit 2)."""
    try:
        doc = load_lined(read_text(path, kind=_TRUSTED_KEYS), str(path))
        return trusted_keys.from_data(doc.data, str(path), doc.line_of)
    except ConfigError as exc:
        fail(f"--trusted-keys {exc}")
    except trusted_keys.TrustedKeysError as exc:
        fail(f"--trusted-keys {exc}")


def _keys(pubkey: str | None, trusted: Path | None) -> trusted_keys.TrustedKeys:
    if pubkey is not None and trusted is not None:
        fail("give one of --pubkey KEY and --trusted-keys FILE, not both")
    if trusted is not None:
        return _trusted_keys(trusted)
    if pubkey is None:
        fail("give the key to verify with: --pubkey KEY or --trusted-keys FILE")
    try:
        path = Path(pubkey)
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            return trusted_keys.single(minisign.PublicKey.from_file_text(text, pubkey), pubkey)
        return trusted_keys.single(minisign.PublicKey.from_base64(pubkey, "--pubkey"))
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"--pubkey {pubkey}: cannot read: {exc}")
    except minisign.MinisignError as exc:
        fail(f"--pubkey {pubkey}: {exc}")


def verified_line(path: Path, verified: Verified) -> str:
    fields = verified.comment.fields
    parts = [f"{path}: signature verified", f"key {verified.key.public.id_text}"]
    if verified.key.owner != "--pubkey":
        parts[-1] += f" ({verified.key.owner})"
    shown = ("signed", "host", "hosts", "baseline", "round", "ssh_hostkey")
    parts += [f"{k}={fields[k]}" for k in shown if k in fields]
    if verified.comment.tool_version is None:
        parts.append(f"trusted comment: {verified.comment.text}")
    # Host names come from inventories and hosts: one line, control characters visible.
    return one_line(", ".join(parts))


PubkeyOpt = Annotated[
    str | None,
    typer.Option("--pubkey", "-P", metavar="KEY", help="A public key: its one line, or its file."),
]
TrustedKeysOpt = Annotated[
    Path | None,
    typer.Option(
        "--trusted-keys",
        metavar="FILE",
        help="The keys accepted, with owners and validity periods (docs/signing.md).",
    ),
]


def verified_note(
    path: Path, data: bytes, pubkey: str | None, trusted: Path | None
) -> SignatureNote | None:
    """None without a key option; else the signature of `data` (the bytes read from
    `path`, which the caller goes on to use: reading the file again could show other
    bytes as verified) verified, or one line and exit 1."""
    if pubkey is None and trusted is None:
        return None
    keys = _keys(pubkey, trusted)
    try:
        signature = read_signature(signature_path(path))
        verified = verify_digest(minisign.prehash([data]), signature, keys)
    except minisign.MinisignError as exc:
        fail(f"{path}: {exc}", ExitCode.FAILED)
    at = verified.comment.signed_at
    return SignatureNote(
        "verified",
        verified.key.public.id_text,
        owner=verified.key.owner,
        signed_at=utc_text(at) if at is not None else "",
    )


def verify(
    files: Annotated[
        list[Path],
        typer.Argument(
            help=(
                "Signed files (FILE.minisig beside each), run folders of `scan "
                "--output-dir`, oldest round first (their manifests form a chain), or "
                "sliced collections of `collect --shard --bundle-dir --sign`."
            )
        ),
    ],
    pubkey: PubkeyOpt = None,
    trusted: TrustedKeysOpt = None,
) -> None:
    """Verify signatures: exit 0 when every file verifies, 1 when one is unsigned or does
    not verify (one line naming it), 2 for usage errors.

    A run folder is checked against its signed manifest.json: each file changed, missing
    or added is one line, and so is a broken link of the chain between folders. A sliced
    collection's folder is checked the same way against its signed _manifest.json.

      endpoint-audit report verify pc-01.json --pubkey team.pub

      endpoint-audit report verify fleet.json --trusted-keys trusted_keys.yaml

      endpoint-audit report verify audit-2026-11 audit-2026-12 --pubkey team.pub

      endpoint-audit report verify round/slice-1 round/slice-2 --pubkey team.pub
    """
    keys = _keys(pubkey, trusted)
    for path in files:
        if not path.exists():
            fail(f"{path}: no such file or folder")
    bad = 0
    rounds: list[RoundCheck] = []
    for path in files:
        if path.is_dir():
            checked = check_round(path, keys)
            if checked.collected is None:  # a collection's facts are not a link of the chain
                rounds.append(checked)
            for line in checked.problems:
                say(f"error: {line}")
            bad += len(checked.problems)
            if not checked.problems and checked.verified is not None:
                line = round_line(checked) if checked.collected is None else collected_line(checked)
                write_stdout(f"{line}\n".encode())
            continue
        try:
            verified = verify_file(path, keys)
        except minisign.MinisignError as exc:
            say(f"error: {path}: {exc}")
            bad += 1
            continue
        except OSError as exc:
            fail(f"{path}: cannot read: {exc.strerror or exc}")
        write_stdout(f"{verified_line(path, verified)}\n".encode())
    for line in check_chain(rounds):
        say(f"error: {line}")
        bad += 1
    if bad:
        raise typer.Exit(ExitCode.FAILED)


def round_line(checked: RoundCheck) -> str:
    assert checked.manifest is not None and checked.verified is not None  # noqa: S101
    manifest = checked.manifest
    # A run stopped early signs the manifest of the hosts it reached: its files verify,
    # but the round is not whole, and the line must not read as if it were.
    whole = manifest.state == "complete"
    parts = [
        f"{checked.root}: {'round' if whole else 'partial round'} verified",
        f"{checked.files_checked} file(s) match {MANIFEST}",
        f"key {checked.verified.key.public.id_text}",
        f"state={manifest.state}",
    ]
    if manifest.round:
        parts.append(f"round={manifest.round}")
    if manifest.previous_manifest_sha256:
        parts.append(f"previous={manifest.previous_manifest_sha256}")
    parts.append(f"{MANIFEST} sha256={checked.manifest_sha256}")
    return one_line(", ".join(parts))


def collected_line(checked: RoundCheck) -> str:
    assert checked.collected is not None and checked.verified is not None  # noqa: S101
    collected = checked.collected
    shard = collected.shard
    whole = collected.state == "complete"  # as for a round: a stopped one is not whole
    parts = [
        f"{checked.root}: {'collection' if whole else 'partial collection'} verified",
        f"slice {shard.index}/{shard.count}",
        f"{checked.files_checked} bundle(s) match {COLLECT_MANIFEST}",
        f"key {checked.verified.key.public.id_text}",
        f"state={collected.state}",
    ]
    if collected.round:
        parts.append(f"round={collected.round}")
    parts.append(f"{COLLECT_MANIFEST} sha256={checked.manifest_sha256}")
    return one_line(", ".join(parts))
