"""The minisign formats alone: round trips, libsodium's scrypt parameters, and strict
parsing (one spelling per signature: non-canonical base64, CR, spaces, truncation are
refused), with a property test over random tampering of signature files."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from endpoint_audit.signing import minisign as m

KEY = m.SecretKey(bytes(range(8)), bytes(range(32, 64)))
OTHER = m.SecretKey(bytes(range(1, 9)), bytes(range(64, 96)))
DATA = b'{"hosts": []}\n'
SIG = m.sign_bytes(KEY, DATA, "endpoint-audit/0.1.0 kind=report").text().encode()


def verify(sig: bytes, data: bytes = DATA, key: m.SecretKey = KEY) -> str:
    return m.verify_bytes(key.public_key(), data, m.parse_signature(sig))


def test_a_signature_verifies_and_returns_its_trusted_comment() -> None:
    assert verify(SIG) == "endpoint-audit/0.1.0 kind=report"


def test_libsodium_picks_these_scrypt_parameters() -> None:
    # N=2^20 (1 GiB) for minisign's default; N=2^14 (16 MiB) interactive.
    assert m.scrypt_params(m.OPSLIMIT_SENSITIVE, m.MEMLIMIT_SENSITIVE) == (1 << 20, 8, 1)
    assert m.scrypt_params(m.OPSLIMIT_INTERACTIVE, m.MEMLIMIT_INTERACTIVE) == (1 << 14, 8, 1)
    # opslimit well below memlimit/32 takes the other branch: N from opslimit, p = 1.
    assert m.scrypt_params(1 << 20, 1 << 30) == (1 << 15, 8, 1)


def test_secret_key_round_trip_encrypted_and_not() -> None:
    enc = m.encode_secret_key(
        KEY, "パスワード", opslimit=m.OPSLIMIT_INTERACTIVE, memlimit=m.MEMLIMIT_INTERACTIVE
    )
    assert m.secret_key_is_encrypted(enc)
    assert m.decode_secret_key(enc, "パスワード") == KEY
    with pytest.raises(m.WrongPassword, match="wrong password"):
        m.decode_secret_key(enc, "password")
    with pytest.raises(m.WrongPassword, match="no password"):
        m.decode_secret_key(enc, None)
    plain = m.encode_secret_key(KEY, None)
    assert not m.secret_key_is_encrypted(plain)
    assert m.decode_secret_key(plain, None) == KEY
    assert "SecretKey(key_id=" in repr(KEY) and KEY.seed.hex() not in repr(KEY)


def test_a_damaged_secret_key_is_refused() -> None:
    plain = m.encode_secret_key(KEY, None)
    comment, line, _ = plain.split("\n")
    raw = bytearray(base64.b64decode(line))
    raw[60] ^= 1
    with pytest.raises(m.MinisignError, match="checksum"):
        m.decode_secret_key(f"{comment}\n{base64.b64encode(raw).decode()}\n", None)


def test_public_key_line_and_file() -> None:
    public = KEY.public_key()
    assert public.base64().startswith("RW")  # b"Ed" in base64
    assert m.PublicKey.from_base64(public.base64()) == public
    assert m.PublicKey.from_file_text(public.file_text()) == public
    assert public.id_text == "0706050403020100"  # little-endian, as minisign prints it


def _lines(sig: bytes) -> list[str]:
    return sig.decode().split("\n")


def _set_spare_bits(b64: str) -> str:
    """The same bytes spelled differently: a set bit base64 decoders ignore."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    stem = b64.rstrip("=")
    last = alphabet.index(stem[-1])
    pad = len(b64) - len(stem)
    spare = (1 << (2 * pad)) - 1  # 2 bits with one "=", 4 with "=="
    assert last & spare == 0
    changed = stem[:-1] + alphabet[last | 1] + "=" * pad
    assert base64.b64decode(changed) == base64.b64decode(b64)
    return changed


def _tampered() -> dict[str, tuple[bytes, bytes, m.SecretKey]]:
    lines = _lines(SIG)
    other_sig = m.sign_bytes(OTHER, DATA, "endpoint-audit/0.1.0 kind=report").text().encode()
    return {
        "one byte of the file": (SIG, DATA[:-2] + b"X\n", KEY),
        "trusted comment edited": (
            "\n".join([*lines[:2], lines[2] + " host=other", *lines[3:]]).encode(),
            DATA,
            KEY,
        ),
        "signature from another key": (other_sig, DATA, KEY),
        "truncated signature": (SIG[: len(SIG) // 2], DATA, KEY),
        "last line cut": (SIG[:-1], DATA, KEY),
        "non-canonical signature line": (
            "\n".join([lines[0], _set_spare_bits(lines[1]), *lines[2:]]).encode(),
            DATA,
            KEY,
        ),
        "non-canonical global signature": (
            "\n".join([*lines[:3], _set_spare_bits(lines[3]), *lines[4:]]).encode(),
            DATA,
            KEY,
        ),
        "space after base64": (
            "\n".join([lines[0], lines[1] + " ", *lines[2:]]).encode(),
            DATA,
            KEY,
        ),
        "CRLF line ends": (SIG.replace(b"\n", b"\r\n"), DATA, KEY),
        "blank line added": (SIG + b"\n", DATA, KEY),
        "wrapped base64": (
            "\n".join([lines[0], lines[1][:40], lines[1][40:], *lines[2:]]).encode(),
            DATA,
            KEY,
        ),
        "empty file": (b"", DATA, KEY),
    }


@pytest.mark.parametrize("case", list(_tampered()))
def test_tampering_is_detected_in_one_line(case: str) -> None:
    sig, data, key = _tampered()[case]
    with pytest.raises(m.MinisignError) as caught:
        verify(sig, data, key)
    assert "\n" not in str(caught.value) and str(caught.value)


def test_the_untrusted_comment_is_not_covered() -> None:
    """As in minisign: the first line is free text; the trusted comment is what counts."""
    lines = _lines(SIG)
    edited = "\n".join(["untrusted comment: anything", *lines[1:]]).encode()
    assert verify(edited) == "endpoint-audit/0.1.0 kind=report"


@settings(max_examples=300, deadline=None)
@given(
    at=st.integers(min_value=0, max_value=len(SIG) - 1),
    byte=st.integers(min_value=0, max_value=255),
    cut=st.booleans(),
)
def test_random_tampering_never_verifies_outside_the_untrusted_comment(
    at: int, byte: int, cut: bool
) -> None:
    data = bytearray(SIG)
    if cut:
        del data[at]
    else:
        data[at] = byte
    changed = bytes(data)
    try:
        verify(changed)
    except m.MinisignError:
        return
    # It verified: then only the untrusted comment can have changed.
    assert changed.split(b"\n")[1:] == SIG.split(b"\n")[1:]


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_are_refused_with_a_reason(data: bytes) -> None:
    with pytest.raises(m.MinisignError):
        verify(data)
