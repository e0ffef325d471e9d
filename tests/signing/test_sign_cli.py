"""`keys init`, `report sign` and `report verify` as an IT team and an auditor use them:
key files with safe modes, the public key as one line, signatures Debian's minisign
verifies, and every kind of tampering found, in one line, exit 1. Secrets never show."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from endpoint_audit.signing import minisign as m
from tests.conftest import require_tool
from tests.signing.cli_helpers import FROZEN_REPORT, PASSWORD, Keys, cli, error_line, make_keys


@pytest.fixture
def keys(tmp_path: Path) -> Keys:
    return make_keys(tmp_path)


@pytest.fixture
def report(tmp_path: Path) -> Path:
    target = tmp_path / "pc-01.json"
    shutil.copyfile(FROZEN_REPORT, target)
    return target


def test_keys_init_writes_safe_modes_and_prints_the_public_key_line(keys: Keys) -> None:
    assert stat.S_IMODE(keys.secret.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys.public.stat().st_mode) == 0o644
    public = m.PublicKey.from_file_text(keys.public.read_text())
    assert keys.line == public.base64()
    text = keys.secret.read_text()
    assert m.secret_key_is_encrypted(text)
    assert m.decode_secret_key(text, PASSWORD).public_key() == public


def test_keys_init_never_replaces_a_key(keys: Keys) -> None:
    before = keys.secret.read_bytes()
    done = cli("keys", "init", str(keys.secret), "--kdf", "interactive")
    assert done.exit_code == 2
    assert "already exists" in error_line(done)
    assert keys.secret.read_bytes() == before


def test_keys_init_without_a_password_or_terminal_is_one_line_exit_2(tmp_path: Path) -> None:
    done = cli("keys", "init", str(tmp_path / "k.key"), password=None)
    assert done.exit_code == 2
    assert "--password-file" in error_line(done)
    assert not (tmp_path / "k.key").exists()


def test_password_file_is_read_and_never_echoed(tmp_path: Path) -> None:
    pw = tmp_path / "pw.txt"
    pw.write_text("from-a-file\n")
    secret = tmp_path / "k.key"
    done = cli(
        "keys", "init", str(secret), "--kdf", "interactive", "--password-file", str(pw),
        password=None,
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr
    assert m.decode_secret_key(secret.read_text(), "from-a-file")
    assert "from-a-file" not in done.output


def test_signed_report_names_host_baseline_and_round(keys: Keys, report: Path) -> None:
    done = cli("report", "sign", str(report), "--key", str(keys.secret), "--round", "2026-12")
    assert done.exit_code == 0, done.stderr
    sig = m.parse_signature(Path(f"{report}.minisig").read_bytes())
    data = json.loads(report.read_text())
    fields = dict(part.split("=", 1) for part in sig.trusted_comment.split(" ")[1:])
    assert sig.trusted_comment.startswith("endpoint-audit/")
    assert fields["kind"] == "report"
    assert fields["host"] == data["hosts"][0]["target"]
    assert fields["baseline"] == data["baseline"]["sha256"]
    assert fields["round"] == "2026-12"
    assert fields["file"] == "pc-01.json"
    verified = cli("report", "verify", str(report), "--pubkey", keys.line)
    assert verified.exit_code == 0, verified.stderr
    assert "signature verified" in verified.stdout and "round=2026-12" in verified.stdout


def test_debian_minisign_verifies_what_report_sign_wrote(keys: Keys, report: Path) -> None:
    minisign = require_tool("minisign")
    assert cli("report", "sign", str(report), "--key", str(keys.secret)).exit_code == 0
    done = subprocess.run(
        [minisign, "-Vm", str(report), "-P", keys.line],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Trusted comment: endpoint-audit/" in done.stdout


def test_wrong_password_is_one_line_exit_2_and_writes_nothing(keys: Keys, report: Path) -> None:
    done = cli("report", "sign", str(report), "--key", str(keys.secret), password="wrong")
    assert done.exit_code == 2
    assert "wrong password" in error_line(done)
    assert not Path(f"{report}.minisig").exists()


def test_no_secret_reaches_any_output(keys: Keys, report: Path) -> None:
    secret = m.decode_secret_key(keys.secret.read_text(), PASSWORD)
    done = cli("report", "sign", str(report), "--key", str(keys.secret))
    sig_text = Path(f"{report}.minisig").read_text()
    forms = [secret.seed.hex(), secret.seed.hex().upper(), PASSWORD]
    import base64

    forms.append(base64.b64encode(secret.seed).decode()[:20])
    for form in forms:
        for text in (done.stdout, done.stderr, sig_text, report.read_text()):
            assert form not in text


def _sign(keys: Keys, report: Path) -> str:
    assert cli("report", "sign", str(report), "--key", str(keys.secret)).exit_code == 0
    return Path(f"{report}.minisig").read_text()


def _spare_bit(b64: str) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    stem = b64.rstrip("=")
    return stem[:-1] + alphabet[alphabet.index(stem[-1]) | 1] + "=" * (len(b64) - len(stem))


TAMPERING = (
    "one byte changed in the file",
    "trusted comment edited",
    "signature from another key",
    "truncated signature",
    "non-canonical base64",
    "unsigned",
)


@pytest.mark.parametrize("case", TAMPERING)
def test_tampering_is_one_line_exit_1(case: str, keys: Keys, report: Path, tmp_path: Path) -> None:
    sig_path = Path(f"{report}.minisig")
    good = _sign(keys, report)
    lines = good.split("\n")
    if case == "one byte changed in the file":
        data = bytearray(report.read_bytes())
        data[len(data) // 2] ^= 0x01
        report.write_bytes(bytes(data))
    elif case == "trusted comment edited":
        sig_path.write_text(good.replace("kind=report", "kind=report round=2027-01"))
    elif case == "signature from another key":
        other = make_keys(tmp_path, "other")
        assert cli("report", "sign", str(report), "--key", str(other.secret)).exit_code == 0
    elif case == "truncated signature":
        sig_path.write_text(good[: len(good) - 30])
    elif case == "non-canonical base64":
        sig_path.write_text("\n".join([lines[0], _spare_bit(lines[1]), *lines[2:]]))
    else:
        sig_path.unlink()
    done = cli("report", "verify", str(report), "--pubkey", str(keys.public))
    assert done.exit_code == 1, done.output
    line = error_line(done)
    assert str(report) in line
    assert done.stdout == ""


def test_usage_errors_exit_2(keys: Keys, report: Path, tmp_path: Path) -> None:
    _sign(keys, report)
    assert cli("report", "verify", str(report)).exit_code == 2
    both = cli("report", "verify", str(report), "-P", keys.line, "--trusted-keys", "x.yaml")
    assert both.exit_code == 2
    missing = cli("report", "verify", str(tmp_path / "nope.json"), "-P", keys.line)
    assert missing.exit_code == 2 and "no such file" in error_line(missing)
    bad_key = cli("report", "verify", str(report), "-P", keys.line[:-2] + "A=")
    assert bad_key.exit_code == 2


def _trusted(tmp_path: Path, entries: list[dict[str, str]]) -> Path:
    import yaml

    path = tmp_path / "trusted_keys.yaml"
    path.write_text(yaml.safe_dump({"keys": entries}, allow_unicode=True), encoding="utf-8")
    return path


def test_trusted_keys_with_fiscal_year_periods(keys: Keys, report: Path, tmp_path: Path) -> None:
    _sign(keys, report)  # signed now (2026-12 or later, whatever the clock says)
    old = make_keys(tmp_path, "fy2025")
    this_year = _trusted(
        tmp_path,
        [
            {"public_key": old.line, "owner": "情報政策課 2025年度",
             "valid_from": "2025-04-01", "valid_to": "2026-03-31"},
            {"public_key": keys.line, "owner": "情報政策課", "valid_from": "2026-04-01"},
        ],
    )  # fmt: skip
    done = cli("report", "verify", str(report), "--trusted-keys", str(this_year))
    assert done.exit_code == 0, done.stderr
    assert "(情報政策課)" in done.stdout
    expired = _trusted(
        tmp_path,
        [{"public_key": keys.line, "owner": "情報政策課",
          "valid_from": "2025-04-01", "valid_to": "2026-03-31"}],
    )  # fmt: skip
    done = cli("report", "verify", str(report), "--trusted-keys", str(expired))
    assert done.exit_code == 1
    assert "outside its validity 2025-04-01 to 2026-03-31" in error_line(done)
    stranger = _trusted(tmp_path, [{"public_key": old.line, "owner": "someone"}])
    done = cli("report", "verify", str(report), "--trusted-keys", str(stranger))
    assert done.exit_code == 1 and "not trusted" in error_line(done)


@pytest.mark.parametrize(
    "text",
    ["keys: [", "keys: []", "keys:\n- public_key: RWQ\n  owner: x\n", "keys:\n- owner: x\n",
     "timezone: Mars/Base\nkeys:\n- {public_key: K, owner: x}\n"],
)  # fmt: skip
def test_a_bad_trusted_keys_file_is_one_line_exit_2(
    text: str, keys: Keys, report: Path, tmp_path: Path
) -> None:
    _sign(keys, report)
    path = tmp_path / "trusted_keys.yaml"
    path.write_text(text.replace("K", keys.line))
    done = cli("report", "verify", str(report), "--trusted-keys", str(path))
    assert done.exit_code == 2, done.output
    assert str(path) in error_line(done)


def test_a_number_is_no_validity_day(keys: Keys, report: Path, tmp_path: Path) -> None:
    """A lax date reads a number as seconds since 1970: `valid_to: 8640000000` (a whole
    number of days) would be 2243-10-17 and keep an expired key trusted for centuries."""
    _sign(keys, report)
    path = tmp_path / "trusted_keys.yaml"
    path.write_text(f"keys:\n- public_key: {keys.line}\n  owner: x\n  valid_to: 8640000000\n")
    done = cli("report", "verify", str(report), "--trusted-keys", str(path))
    assert done.exit_code == 2, done.output
    assert "keys.0.valid_to" in error_line(done)


@pytest.mark.parametrize(
    "text",
    [
        # The second valid_to would silently win and stretch an expired key's period.
        "keys:\n- public_key: K\n  owner: x\n  valid_from: 2025-04-01\n"
        "  valid_to: 2026-03-31\n  valid_to: 2099-03-31\n",
        # The second list would silently replace the first.
        "keys:\n- {public_key: K, owner: x, valid_to: 2026-03-31}\n"
        "keys:\n- {public_key: K, owner: x}\n",
    ],
)
def test_a_duplicate_key_in_trusted_keys_is_refused_with_its_line(
    text: str, keys: Keys, report: Path, tmp_path: Path
) -> None:
    _sign(keys, report)
    path = tmp_path / "trusted_keys.yaml"
    path.write_text(text.replace("K", keys.line))
    done = cli("report", "verify", str(report), "--trusted-keys", str(path))
    assert done.exit_code == 2, done.output
    line = error_line(done)
    assert f"{path}:" in line and "duplicate key" in line


def test_minisign_made_signature_checked_against_periods_by_its_timestamp(
    tmp_path: Path,
) -> None:
    """minisign's own trusted comment (`timestamp:<unix>\\tfile:...`) dates the signature."""
    minisign = require_tool("minisign")
    pub, sk = tmp_path / "ms.pub", tmp_path / "ms.key"
    made = subprocess.run(
        [minisign, "-G", "-W", "-p", str(pub), "-s", str(sk)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    target = tmp_path / "fleet.json"
    target.write_text("{}\n")
    signed = subprocess.run(
        [minisign, "-S", "-s", str(sk), "-m", str(target)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    line = pub.read_text().splitlines()[1]
    ok = _trusted(tmp_path, [{"public_key": line, "owner": "x", "valid_from": "2020-04-01"}])
    assert cli("report", "verify", str(target), "--trusted-keys", str(ok)).exit_code == 0
    future = _trusted(tmp_path, [{"public_key": line, "owner": "x", "valid_from": "2999-04-01"}])
    done = cli("report", "verify", str(target), "--trusted-keys", str(future))
    assert done.exit_code == 1 and "outside its validity" in error_line(done)


def test_a_hostile_host_name_stays_one_line_when_verified(keys: Keys, tmp_path: Path) -> None:
    data = json.loads(FROZEN_REPORT.read_text(encoding="utf-8"))
    data["hosts"][0]["target"] = "pc-01\nfake line=1 \x1b[31mred"
    report = tmp_path / "hostile.json"
    report.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert cli("report", "sign", str(report), "--key", str(keys.secret)).exit_code == 0
    sig = m.parse_signature(Path(f"{report}.minisig").read_bytes())
    assert "\n" not in sig.trusted_comment and "\x1b" not in sig.trusted_comment
    assert "host=pc-01%0Afake%20line%3D1%20%1B%5B31mred" in sig.trusted_comment
    done = cli("report", "verify", str(report), "--pubkey", keys.line)
    assert done.exit_code == 0, done.stderr
    assert done.stdout.count("\n") == 1 and "\x1b" not in done.stdout
