"""`scan --sign`: every report file written is signed before the run ends, the key is
opened before any host is read (a wrong password costs no audit), and the HTML and
terminal reports say they are signed, or, rendered with `report render --pubkey`, that
the signature verified and by which key."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from click.testing import Result

from endpoint_audit.signing import minisign as m
from tests.baselines.helpers import COMPLIANT
from tests.signing.cli_helpers import PASSWORD, Keys, cli, error_line, make_keys

BUNDLE = COMPLIANT  # the frozen compliant PC, with what checks added since read of it


@pytest.fixture
def keys(tmp_path: Path) -> Keys:
    return make_keys(tmp_path)


def _scan(keys: Keys, out: Path, *extra: str, password: str = PASSWORD) -> Result:
    return cli(
        "scan", "--replay", str(BUNDLE), "--lang", "en",
        "-f", f"json:{out / 'r.json'}", "-f", f"html:{out / 'r.html'}",
        "-f", f"terminal:{out / 'r.txt'}", "--sign", str(keys.secret), *extra,
        password=password,
    )  # fmt: skip


def test_every_report_file_is_signed_and_says_so(keys: Keys, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    done = _scan(keys, out, "--round", "2026-12")
    assert done.exit_code == 0, done.stderr
    public = m.PublicKey.from_file_text(keys.public.read_text())
    for name in ("r.json", "r.html", "r.txt"):
        sig = m.parse_signature((out / f"{name}.minisig").read_bytes())
        comment = m.verify_bytes(public, (out / name).read_bytes(), sig)
        assert "host=tw-pc-001" in comment and "round=2026-12" in comment
    page = html.unescape((out / "r.html").read_text())
    assert 'data-state="signed"' in page
    assert f"Signed with key {public.id_text}" in page and public.base64() in page
    assert f"Signed with key {public.id_text}" in (out / "r.txt").read_text()
    assert "Signed with key" not in (out / "r.json").read_text()  # the data stays the data


def test_a_wrong_password_stops_the_scan_before_it_starts(keys: Keys, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    done = _scan(keys, out, password="not it")
    assert done.exit_code == 2
    assert "wrong password" in error_line(done)
    assert list(out.iterdir()) == []


def test_report_render_verifies_first_and_names_the_key(keys: Keys, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    assert _scan(keys, out).exit_code == 0
    report = out / "r.json"
    public = m.PublicKey.from_file_text(keys.public.read_text())
    shown = cli("report", "render", str(report), "--pubkey", keys.line, "-f", "terminal")
    assert shown.exit_code == 0, shown.stderr
    assert f"Signature verified: key {public.id_text}" in shown.stdout
    page = cli("report", "render", str(report), "--pubkey", keys.line, "-f", "html")
    assert 'data-state="verified"' in page.stdout
    unsigned = cli("report", "render", str(report), "-f", "html")
    assert 'id="signature"' not in unsigned.stdout
    report.write_bytes(report.read_bytes() + b" ")
    tampered = cli("report", "render", str(report), "--pubkey", keys.line, "-f", "html")
    assert tampered.exit_code == 1
    assert "signature does not match" in error_line(tampered)
    assert tampered.stdout == ""


def test_collect_signs_its_bundle_and_keeps_the_key_out(keys: Keys, tmp_path: Path) -> None:
    bundle = tmp_path / "facts.json"
    done = cli("collect", "-o", str(bundle), "--sign", str(keys.secret), "--round", "r-1")
    assert done.exit_code == 0, done.stderr
    public = m.PublicKey.from_file_text(keys.public.read_text())
    sig = m.parse_signature(Path(f"{bundle}.minisig").read_bytes())
    comment = m.verify_bytes(public, bundle.read_bytes(), sig)
    assert "kind=bundle" in comment and "hosts=1" in comment and "round=r-1" in comment
    secret = m.decode_secret_key(keys.secret.read_text(), PASSWORD)
    text = bundle.read_text(encoding="utf-8")
    for form in (secret.seed.hex(), PASSWORD, keys.secret.read_text().splitlines()[1][:40]):
        assert form not in text and form not in done.output


def test_report_render_shows_the_bytes_it_verified(
    keys: Keys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file is replaced between the signature check and the rendering (another process
    writing to the folder): what is shown as verified must be what was verified, never the
    file read again afterwards."""
    out = tmp_path / "out"
    out.mkdir()
    assert _scan(keys, out).exit_code == 0
    report = out / "r.json"
    forged = report.read_text(encoding="utf-8").replace("tw-pc-001", "forged-pc-99")
    assert "forged-pc-99" in forged

    from endpoint_audit.signing import trusted_comment

    real_parse = trusted_comment.parse

    def parse_then_swap(text: str) -> trusted_comment.TrustedComment:
        # Called once the signature has verified: the file changes right then.
        report.write_text(forged, encoding="utf-8")
        return real_parse(text)

    monkeypatch.setattr(trusted_comment, "parse", parse_then_swap)
    shown = cli("report", "render", str(report), "--pubkey", keys.line, "-f", "terminal")
    assert shown.exit_code == 0, shown.stderr
    assert "Signature verified" in shown.stdout
    assert "forged-pc-99" not in shown.stdout
    assert "tw-pc-001" in shown.stdout
