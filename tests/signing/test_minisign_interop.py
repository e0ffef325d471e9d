"""Interoperability with Debian's `minisign`, the tool an auditor runs: it verifies our
signatures (and refuses tampered ones), and we verify signatures it made with its own
keys, unencrypted (`-G -W`) and password-protected (password on stdin). Under CI a
missing minisign fails these tests (scripts/test installs it)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from endpoint_audit.signing import minisign as m
from tests.conftest import require_tool

KEY = m.SecretKey.generate()


@pytest.fixture
def minisign() -> str:
    return require_tool("minisign")


def _run(args: list[str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=120)


def _signed(tmp_path: Path, data: bytes, comment: str) -> tuple[Path, Path]:
    target = tmp_path / "report.json"
    target.write_bytes(data)
    pub = tmp_path / "team.pub"
    pub.write_text(KEY.public_key().file_text())
    sig = Path(f"{target}.minisig")
    sig.write_text(m.sign_bytes(KEY, data, comment).text())
    return target, pub


def test_minisign_verifies_our_signature_and_shows_the_trusted_comment(
    minisign: str, tmp_path: Path
) -> None:
    comment = "endpoint-audit/0.1.0 kind=report host=pc-01 round=2026-Q4"
    target, pub = _signed(tmp_path, '{"ホスト": "pc-01"}\n'.encode(), comment)
    done = _run([minisign, "-V", "-m", str(target), "-p", str(pub)])
    assert done.returncode == 0, done.stderr
    assert f"Trusted comment: {comment}" in done.stdout
    # The one line an auditor copies from the audit plan works as well.
    done = _run([minisign, "-V", "-m", str(target), "-P", KEY.public_key().base64()])
    assert done.returncode == 0, done.stderr


def test_minisign_refuses_a_changed_file_and_an_edited_comment(
    minisign: str, tmp_path: Path
) -> None:
    target, pub = _signed(tmp_path, b"{}\n", "endpoint-audit/0.1.0 host=pc-01")
    sig = Path(f"{target}.minisig")
    good = sig.read_text()
    target.write_bytes(b"{} \n")
    assert _run([minisign, "-V", "-m", str(target), "-p", str(pub)]).returncode == 1
    target.write_bytes(b"{}\n")
    sig.write_text(good.replace("host=pc-01", "host=pc-02"))
    assert _run([minisign, "-V", "-m", str(target), "-p", str(pub)]).returncode == 1
    sig.write_text(good)
    assert _run([minisign, "-V", "-m", str(target), "-p", str(pub)]).returncode == 0


def test_minisign_decrypts_our_password_protected_key(minisign: str, tmp_path: Path) -> None:
    sk = tmp_path / "team.key"
    sk.write_text(
        m.encode_secret_key(
            KEY, "秘密のpass", opslimit=m.OPSLIMIT_INTERACTIVE, memlimit=m.MEMLIMIT_INTERACTIVE
        )
    )
    target = tmp_path / "f.txt"
    target.write_bytes(b"data\n")
    done = _run(
        [minisign, "-S", "-s", str(sk), "-m", str(target), "-t", "by minisign"], "秘密のpass\n"
    )
    assert done.returncode == 0, done.stderr
    sig = m.parse_signature(Path(f"{target}.minisig").read_bytes())
    assert m.verify_bytes(KEY.public_key(), b"data\n", sig) == "by minisign"


def _minisign_keys(minisign: str, tmp_path: Path, password: str | None) -> tuple[Path, Path]:
    pub, sk = tmp_path / "ms.pub", tmp_path / "ms.key"
    args = [minisign, "-G", "-p", str(pub), "-s", str(sk)]
    stdin = ""
    if password is None:
        args.append("-W")
    else:
        stdin = f"{password}\n{password}\n"
    done = _run(args, stdin)
    assert done.returncode == 0, done.stderr
    return pub, sk


@pytest.mark.parametrize("password", [None, "pw-from-stdin"], ids=["unencrypted", "password"])
def test_we_verify_signatures_minisign_made(
    minisign: str, tmp_path: Path, password: str | None
) -> None:
    pub_path, sk_path = _minisign_keys(minisign, tmp_path, password)
    public = m.PublicKey.from_file_text(pub_path.read_text())
    target = tmp_path / "fleet.json"
    target.write_bytes(b'{"hosts": ["pc-01"]}\n')
    stdin = f"{password}\n" if password else ""
    done = _run(
        [minisign, "-S", "-s", str(sk_path), "-m", str(target), "-t", "round=2026-12"], stdin
    )
    assert done.returncode == 0, done.stderr
    sig = m.parse_signature(Path(f"{target}.minisig").read_bytes())
    assert m.verify_bytes(public, target.read_bytes(), sig) == "round=2026-12"
    with pytest.raises(m.BadSignature):
        m.verify_bytes(public, target.read_bytes() + b" ", sig)
    # Its secret key file is ours to read as well (unencrypted one; the encrypted one
    # uses 1 GiB of scrypt memory, exercised once in the CLI tests with our own files).
    if password is None:
        assert m.decode_secret_key(sk_path.read_text(), None).public_key() == public
