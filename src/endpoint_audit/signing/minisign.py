"""The minisign file formats: public key, secret key and `.minisig` signature.

Layouts as jedisct1/minisign src/minisign.h and src/minisign.c write them, so the
`minisign` command verifies what this module signs and the other way round:

- public key: `Ed` + key id (8) + Ed25519 public key (32), base64, after an untrusted
  comment line;
- secret key: `Ed` + kdf (`Sc` scrypt or two zero bytes) + `B2` + salt (32) + opslimit
  (8, little-endian) + memlimit (8) + [key id (8) + libsodium secret key (64: seed and
  public key) + BLAKE2b-256 checksum (32)], the bracket XORed with an scrypt stream of
  the password;
- signature: untrusted comment line, base64 of `ED` + key id + Ed25519 over
  BLAKE2b-512(file), `trusted comment: ...` line, base64 of the global signature over
  signature + trusted comment.

Parsing is strict: every base64 line must be the canonical encoding of its bytes (no
spare bits set, no missing or extra padding, no whitespace), lines end in a bare LF, and
nothing follows. Anything else is refused, so a signature file has one spelling only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from msgspec import Struct

SIG_ALG = b"Ed"
SIG_ALG_HASHED = b"ED"
KDF_SCRYPT = b"Sc"
KDF_NONE = b"\x00\x00"
CHK_ALG = b"B2"
UNTRUSTED_PREFIX = "untrusted comment: "
TRUSTED_PREFIX = "trusted comment: "
SIG_SUFFIX = ".minisig"

KEY_ID_BYTES = 8
PUBLIC_KEY_BYTES = 2 + KEY_ID_BYTES + 32
SIGNATURE_BYTES = 2 + KEY_ID_BYTES + 64
SALT_BYTES = 32
KEYNUM_SK_BYTES = KEY_ID_BYTES + 64 + 32
SECRET_KEY_BYTES = 2 + 2 + 2 + SALT_BYTES + 8 + 8 + KEYNUM_SK_BYTES
# minisign's limits (COMMENTMAXBYTES, TRUSTEDCOMMENTMAXBYTES less the prefix).
COMMENT_MAX_BYTES = 1024 - len(UNTRUSTED_PREFIX) - 1
TRUSTED_COMMENT_MAX_BYTES = 8192 - len(TRUSTED_PREFIX) - 1
# A signature file is four short lines: anything far larger is not one.
SIGNATURE_FILE_MAX_BYTES = 2 * 1024 + 8192 + 512

# libsodium crypto_pwhash_scryptsalsa208sha256 *_SENSITIVE, what `minisign -G` uses.
OPSLIMIT_SENSITIVE = 33554432
MEMLIMIT_SENSITIVE = 1073741824
# *_INTERACTIVE: 16 MiB, a fraction of a second; weaker against guessing the password.
OPSLIMIT_INTERACTIVE = 524288
MEMLIMIT_INTERACTIVE = 16777216
# A key file naming more than this is refused rather than allowed to take the machine.
_SCRYPT_MAX_MEMORY = 2 * MEMLIMIT_SENSITIVE
_SCRYPT_MAX_P = 64
_READ_CHUNK = 1 << 20


class MinisignError(ValueError):
    """A key or signature file is malformed; the message is one line."""


class BadSignature(MinisignError):
    """The signature does not verify: file, trusted comment or key do not match."""


class WrongPassword(MinisignError):
    """The password does not decrypt the secret key (its checksum does not match)."""


def strict_b64decode(text: str, size: int, what: str) -> bytes:
    """The bytes of a canonical base64 line of exactly `size` bytes.

    binascii's strict mode refuses characters outside the alphabet and bad padding but
    not set spare bits (`...A=` and `...B=` decode alike); encoding again and comparing
    refuses those too, so no altered spelling passes as the same signature."""
    try:
        raw = binascii.a2b_base64(text.encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise MinisignError(f"{what}: not base64 ({exc})") from None
    if len(raw) != size:
        raise MinisignError(f"{what}: {len(raw)} bytes where {size} were expected")
    if base64.b64encode(raw).decode("ascii") != text:
        raise MinisignError(f"{what}: not canonical base64")
    return raw


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _lines(text: str, count: int, what: str) -> list[str]:
    """Exactly `count` LF-terminated lines (the last LF may be missing), no CR."""
    if "\r" in text:
        raise MinisignError(f"{what}: carriage return in the file (lines must end in LF)")
    body = text[:-1] if text.endswith("\n") else text
    lines = body.split("\n")
    if len(lines) != count:
        raise MinisignError(f"{what}: {len(lines)} line(s) where {count} were expected")
    return lines


def _comment(line: str, prefix: str, what: str) -> str:
    if not line.startswith(prefix):
        raise MinisignError(f"{what}: line does not start with {prefix.strip()!r}")
    return line[len(prefix) :]


def key_id_text(key_id: bytes) -> str:
    """The key id as minisign prints it: the 8 bytes as a little-endian number, hex."""
    return f"{int.from_bytes(key_id, 'little'):016X}"


class PublicKey(Struct, frozen=True):
    key_id: bytes
    key: bytes

    @classmethod
    def from_base64(cls, text: str, what: str = "public key") -> PublicKey:
        raw = strict_b64decode(text, PUBLIC_KEY_BYTES, what)
        if raw[:2] != SIG_ALG:
            raise MinisignError(f"{what}: algorithm {raw[:2]!r} is not Ed25519 ('Ed')")
        return cls(raw[2 : 2 + KEY_ID_BYTES], raw[2 + KEY_ID_BYTES :])

    @classmethod
    def from_file_text(cls, text: str, what: str = "public key file") -> PublicKey:
        comment, line = _lines(text, 2, what)
        _comment(comment, UNTRUSTED_PREFIX, what)
        return cls.from_base64(line, what)

    def base64(self) -> str:
        """The one line to print in the audit plan (`minisign -P` takes it)."""
        return _b64(SIG_ALG + self.key_id + self.key)

    def file_text(self) -> str:
        return f"{UNTRUSTED_PREFIX}minisign public key {self.id_text}\n{self.base64()}\n"

    @property
    def id_text(self) -> str:
        return key_id_text(self.key_id)

    def _verifier(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(self.key)


class SecretKey(Struct, frozen=True):
    key_id: bytes
    seed: bytes  # the 32-byte Ed25519 private key; libsodium's secret key is seed + public

    @classmethod
    def generate(cls) -> SecretKey:
        return cls(secrets.token_bytes(KEY_ID_BYTES), secrets.token_bytes(32))

    def _signer(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    def public_key(self) -> PublicKey:
        raw = self._signer().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return PublicKey(self.key_id, raw)

    def __repr__(self) -> str:  # never the key itself, in a log or a traceback
        return f"SecretKey(key_id={key_id_text(self.key_id)})"

    def sign(self, message: bytes) -> bytes:
        return self._signer().sign(message)


def scrypt_params(opslimit: int, memlimit: int) -> tuple[int, int, int]:
    """(N, r, p) from libsodium's opslimit and memlimit, as its `pickparams` picks them
    (crypto_pwhash/scryptsalsa208sha256/pwhash_scryptsalsa208sha256.c)."""
    opslimit = max(opslimit, 32768)
    r = 8
    if opslimit < memlimit // 32:
        p = 1
        max_n = opslimit // (r * 4)
    else:
        max_n = memlimit // (r * 128)
    n_log2 = 1
    while n_log2 < 63 and (1 << n_log2) <= max_n // 2:
        n_log2 += 1
    if not opslimit < memlimit // 32:
        max_rp = min((opslimit // 4) // (1 << n_log2), 0x3FFFFFFF)
        p = max_rp // r
    return 1 << n_log2, r, p


def _scrypt_stream(password: bytes, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    n, r, p = scrypt_params(opslimit, memlimit)
    needed = 128 * r * (n + 2 + p)
    if needed > _SCRYPT_MAX_MEMORY or p > _SCRYPT_MAX_P or p < 1:
        raise MinisignError(
            f"secret key file: key derivation asks for N={n} r={r} p={p}, more than allowed"
        )
    return hashlib.scrypt(
        password, salt=salt, n=n, r=r, p=p, maxmem=needed + (1 << 20), dklen=KEYNUM_SK_BYTES
    )


def _checksum(key_id: bytes, libsodium_sk: bytes) -> bytes:
    return hashlib.blake2b(SIG_ALG + key_id + libsodium_sk, digest_size=32).digest()


def _xor(data: bytes, stream: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(data, stream, strict=True))


def encode_secret_key(
    key: SecretKey,
    password: str | None,
    comment: str = "minisign encrypted secret key",
    opslimit: int = OPSLIMIT_SENSITIVE,
    memlimit: int = MEMLIMIT_SENSITIVE,
) -> str:
    """The secret key file's text; encrypted with `password` (None: unencrypted, as
    `minisign -G -W`)."""
    libsodium_sk = key.seed + key.public_key().key
    keynum_sk = key.key_id + libsodium_sk + _checksum(key.key_id, libsodium_sk)
    if password is None:
        kdf, salt, opslimit, memlimit = KDF_NONE, bytes(SALT_BYTES), 0, 0
    else:
        kdf, salt = KDF_SCRYPT, secrets.token_bytes(SALT_BYTES)
        keynum_sk = _xor(keynum_sk, _scrypt_stream(password.encode(), salt, opslimit, memlimit))
    raw = (
        SIG_ALG
        + kdf
        + CHK_ALG
        + salt
        + opslimit.to_bytes(8, "little")
        + memlimit.to_bytes(8, "little")
        + keynum_sk
    )
    return f"{UNTRUSTED_PREFIX}{_one_line(comment, 'comment')}\n{_b64(raw)}\n"


def secret_key_is_encrypted(text: str, what: str = "secret key file") -> bool:
    return _secret_key_raw(text, what)[2:4] == KDF_SCRYPT


def _secret_key_raw(text: str, what: str) -> bytes:
    comment, line = _lines(text, 2, what)
    _comment(comment, UNTRUSTED_PREFIX, what)
    raw = strict_b64decode(line, SECRET_KEY_BYTES, what)
    if raw[:2] != SIG_ALG:
        raise MinisignError(f"{what}: signature algorithm {raw[:2]!r} is not Ed25519")
    if raw[4:6] != CHK_ALG:
        raise MinisignError(f"{what}: checksum algorithm {raw[4:6]!r} is not BLAKE2b ('B2')")
    if raw[2:4] not in (KDF_SCRYPT, KDF_NONE):
        raise MinisignError(f"{what}: key derivation {raw[2:4]!r} is not scrypt ('Sc')")
    return raw


def decode_secret_key(text: str, password: str | None, what: str = "secret key file") -> SecretKey:
    """The secret key of a minisign secret key file. WrongPassword when the checksum
    does not match after decryption (or the key is encrypted and no password given)."""
    raw = _secret_key_raw(text, what)
    kdf = raw[2:4]
    salt = raw[6 : 6 + SALT_BYTES]
    at = 6 + SALT_BYTES
    opslimit = int.from_bytes(raw[at : at + 8], "little")
    memlimit = int.from_bytes(raw[at + 8 : at + 16], "little")
    keynum_sk = raw[at + 16 :]
    if kdf == KDF_SCRYPT:
        if password is None:
            raise WrongPassword(f"{what}: the key is encrypted and no password was given")
        keynum_sk = _xor(keynum_sk, _scrypt_stream(password.encode(), salt, opslimit, memlimit))
    key_id = keynum_sk[:KEY_ID_BYTES]
    libsodium_sk = keynum_sk[KEY_ID_BYTES : KEY_ID_BYTES + 64]
    checksum = keynum_sk[KEY_ID_BYTES + 64 :]
    # `minisign -G -W` leaves the checksum of an unencrypted key zero (it computes it
    # only when encrypting); the public half below still catches a damaged file.
    unset = kdf == KDF_NONE and checksum == bytes(len(checksum))
    if not unset and not hmac.compare_digest(checksum, _checksum(key_id, libsodium_sk)):
        if kdf == KDF_SCRYPT:
            raise WrongPassword(f"{what}: wrong password for this key")
        raise MinisignError(f"{what}: checksum does not match (the file is damaged)")
    key = SecretKey(key_id, libsodium_sk[:32])
    if key.public_key().key != libsodium_sk[32:]:
        raise MinisignError(f"{what}: public half does not match the secret key")
    return key


def _one_line(text: str, what: str) -> str:
    if "\n" in text or "\r" in text:
        raise MinisignError(f"{what}: must be one line")
    return text


class Signature(Struct, frozen=True):
    untrusted_comment: str
    algorithm: bytes
    key_id: bytes
    signature: bytes
    trusted_comment: str
    global_signature: bytes

    @property
    def key_id_text(self) -> str:
        return key_id_text(self.key_id)

    def text(self) -> str:
        return (
            f"{UNTRUSTED_PREFIX}{self.untrusted_comment}\n"
            f"{_b64(self.algorithm + self.key_id + self.signature)}\n"
            f"{TRUSTED_PREFIX}{self.trusted_comment}\n"
            f"{_b64(self.global_signature)}\n"
        )


def parse_signature(data: bytes, what: str = "signature") -> Signature:
    """A `.minisig` file, strictly: four LF lines, canonical base64, UTF-8 comments."""
    if len(data) > SIGNATURE_FILE_MAX_BYTES:
        raise MinisignError(f"{what}: {len(data)} bytes is too large for a signature file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise MinisignError(f"{what}: not UTF-8 text") from None
    if not text.endswith("\n"):
        raise MinisignError(f"{what}: truncated (the last line has no end)")
    untrusted, sig_line, trusted, global_line = _lines(text, 4, what)
    untrusted = _comment(untrusted, UNTRUSTED_PREFIX, what)
    raw = strict_b64decode(sig_line, SIGNATURE_BYTES, f"{what}: signature line")
    algorithm = raw[:2]
    if algorithm == SIG_ALG:
        raise MinisignError(f"{what}: legacy signature over the whole file (not prehashed)")
    if algorithm != SIG_ALG_HASHED:
        raise MinisignError(f"{what}: algorithm {algorithm!r} is not Ed25519 over BLAKE2b")
    trusted = _comment(trusted, TRUSTED_PREFIX, what)
    if len(trusted.encode()) > TRUSTED_COMMENT_MAX_BYTES:
        raise MinisignError(f"{what}: trusted comment too long")
    global_sig = strict_b64decode(global_line, 64, f"{what}: global signature line")
    return Signature(
        untrusted,
        algorithm,
        raw[2 : 2 + KEY_ID_BYTES],
        raw[2 + KEY_ID_BYTES :],
        trusted,
        global_sig,
    )


def prehash(chunks: Iterable[bytes]) -> bytes:
    digest = hashlib.blake2b(digest_size=64)
    for chunk in chunks:
        digest.update(chunk)
    return digest.digest()


def file_chunks(path: Path) -> Iterable[bytes]:
    with open(path, "rb") as handle:
        while chunk := handle.read(_READ_CHUNK):
            yield chunk


def sign_digest(
    key: SecretKey,
    digest: bytes,
    trusted_comment: str,
    untrusted_comment: str = "signature from endpoint-audit secret key",
) -> Signature:
    """The signature of a file whose BLAKE2b-512 is `digest`."""
    trusted_comment = _one_line(trusted_comment, "trusted comment")
    if len(trusted_comment.encode()) > TRUSTED_COMMENT_MAX_BYTES:
        raise MinisignError("trusted comment too long")
    signature = key.sign(digest)
    global_sig = key.sign(signature + trusted_comment.encode())
    return Signature(
        _one_line(untrusted_comment, "untrusted comment"),
        SIG_ALG_HASHED,
        key.key_id,
        signature,
        trusted_comment,
        global_sig,
    )


def sign_bytes(key: SecretKey, data: bytes, trusted_comment: str) -> Signature:
    return sign_digest(key, prehash([data]), trusted_comment)


def verify_digest(public: PublicKey, digest: bytes, signature: Signature) -> str:
    """The trusted comment, once signature and trusted comment verify; else BadSignature."""
    if signature.key_id != public.key_id:
        raise BadSignature(f"signed by key {signature.key_id_text}, not by key {public.id_text}")
    verifier = public._verifier()
    try:
        verifier.verify(signature.signature, digest)
    except InvalidSignature:
        raise BadSignature("signature does not match the file") from None
    try:
        verifier.verify(
            signature.global_signature, signature.signature + signature.trusted_comment.encode()
        )
    except InvalidSignature:
        raise BadSignature("trusted comment does not match its signature") from None
    return signature.trusted_comment


def verify_bytes(public: PublicKey, data: bytes, signature: Signature) -> str:
    return verify_digest(public, prehash([data]), signature)


def write_private(path: Path, text: str) -> None:
    """A new file only its owner can read (0600), refusing to replace an existing one."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
