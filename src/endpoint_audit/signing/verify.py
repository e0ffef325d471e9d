"""Verifying a file and its `.minisig` against trusted keys: the whole decision, so the
command, the reports and the round check all say the same thing."""

from __future__ import annotations

from pathlib import Path

from msgspec import Struct

from endpoint_audit.signing import minisign, trusted_comment
from endpoint_audit.signing.trusted_keys import TrustedKey, TrustedKeys


class Unsigned(minisign.BadSignature):
    """No signature file next to the file."""


class Verified(Struct, frozen=True):
    key: TrustedKey
    comment: trusted_comment.TrustedComment


def signature_path(path: Path) -> Path:
    return path.with_name(path.name + minisign.SIG_SUFFIX)


def read_signature(sig_path: Path) -> minisign.Signature:
    try:
        with open(sig_path, "rb") as handle:
            data = handle.read(minisign.SIGNATURE_FILE_MAX_BYTES + 1)
    except FileNotFoundError:
        raise Unsigned(f"unsigned: no signature file {sig_path.name}") from None
    except OSError as exc:
        raise minisign.BadSignature(f"{sig_path}: cannot read: {exc.strerror or exc}") from None
    return minisign.parse_signature(data, sig_path.name)


def verify_digest(digest: bytes, signature: minisign.Signature, keys: TrustedKeys) -> Verified:
    """BadSignature (one line) unless a trusted key made it, in its period."""
    key = keys.find(signature.key_id)
    if key is None:
        listed = ", ".join(k.public.id_text for k in keys.keys)
        raise minisign.BadSignature(
            f"signed by key {signature.key_id_text}, which is not trusted (trusted: {listed})"
        )
    comment = trusted_comment.parse(minisign.verify_digest(key.public, digest, signature))
    if keys.periods and (key.valid_from is not None or key.valid_to is not None):
        at = comment.signed_at
        if at is None:
            raise minisign.BadSignature(
                f"key {key.public.id_text} ({key.owner}) is valid {key.period_text()}, "
                "and the trusted comment names no signing time"
            )
        if not keys.in_period(key, at):
            raise minisign.BadSignature(
                f"signed {trusted_comment.utc_text(at)} by key {key.public.id_text} "
                f"({key.owner}), outside its validity {key.period_text()} ({keys.timezone})"
            )
    return Verified(key, comment)


def verify_file(path: Path, keys: TrustedKeys, sig_path: Path | None = None) -> Verified:
    signature = read_signature(sig_path or signature_path(path))
    return verify_digest(minisign.prehash(minisign.file_chunks(path)), signature, keys)
