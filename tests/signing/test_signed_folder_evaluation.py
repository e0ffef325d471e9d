"""A folder of bundles judged with `evaluate --output-dir --sign`: the round folder's
signed manifest chains to the previous round's, Debian's minisign verifies it, and any
byte changed in any file of the round is found (a property test over random edits).
The secret key appears in none of the files written."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from endpoint_audit.engine.round_check import check_round
from endpoint_audit.signing import minisign as m
from endpoint_audit.signing.trusted_keys import single
from tests.baselines.helpers import COMPLIANT, RDP
from tests.conftest import require_tool
from tests.signing.cli_helpers import PASSWORD, Keys, cli, make_keys


def _round(keys: Keys, share: Path, out: Path, round_id: str, *extra: str) -> None:
    # The shipped tw-pc bundles keep their 2024 collection time: --max-age 0, as this
    # test is about signing a round, not about a PC that stopped reporting.
    done = cli(
        "evaluate", str(share), "--output-dir", str(out), "--sign", str(keys.secret),
        "--round", round_id, "-f", f"json:{out}.json", "--max-age", "0", *extra,
    )  # fmt: skip
    assert done.exit_code == 1, done.stderr  # tw-pc-002 has RDP open: a failed check


@pytest.fixture(scope="module")
def rounds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Keys, Path, Path]:
    root = tmp_path_factory.mktemp("rounds")
    keys = make_keys(root)
    share = root / "share"
    share.mkdir()
    # Named for the PC inside, as a share's files are (one named otherwise is unknown).
    for bundle, pc in ((COMPLIANT, "tw-pc-001"), (RDP, "tw-pc-002")):
        shutil.copyfile(bundle, share / f"{pc}.yaml")
    first, second = root / "audit-2026-11", root / "audit-2026-12"
    _round(keys, share, first, "2026-11")
    _round(keys, share, second, "2026-12", "--previous-round", str(first))
    return keys, first, second


def test_the_chain_verifies_and_minisign_agrees(rounds: tuple[Keys, Path, Path]) -> None:
    keys, first, second = rounds
    done = cli("report", "verify", str(first), str(second), "--pubkey", keys.line)
    assert done.exit_code == 0, done.stderr
    assert done.stdout.count("round verified") == 2
    minisign = require_tool("minisign")
    for folder in (first, second):
        checked = subprocess.run(
            [minisign, "-Vm", str(folder / "manifest.json"), "-P", keys.line],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert checked.returncode == 0, checked.stderr
        assert "kind=manifest" in checked.stdout


def test_no_secret_in_any_file_written(rounds: tuple[Keys, Path, Path]) -> None:
    keys, first, second = rounds
    secret = m.decode_secret_key(keys.secret.read_text(), PASSWORD)
    forms = [
        secret.seed.hex(),
        base64.b64encode(secret.seed).decode()[:24],
        PASSWORD,
        keys.secret.read_text().splitlines()[1][:40],
    ]
    files = [p for folder in (first, second) for p in folder.rglob("*") if p.is_file()]
    assert len(files) == 2 * 6  # fleet.json, manifest.json, two host files, two signatures
    files += [first.with_suffix(".json"), Path(f"{first}.json.minisig")]
    for path in files:
        text = path.read_text(encoding="utf-8")
        for form in forms:
            assert form not in text, path


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(which=st.integers(min_value=0), at=st.integers(min_value=0), flip=st.integers(1, 255))
def test_any_changed_byte_in_the_round_is_found(
    rounds: tuple[Keys, Path, Path], tmp_path_factory: pytest.TempPathFactory,
    which: int, at: int, flip: int,
) -> None:  # fmt: skip
    keys, _, second = rounds
    copy = tmp_path_factory.mktemp("edited") / "round"
    shutil.copytree(second, copy)
    files = _files(copy)
    target = files[which % len(files)]
    data = bytearray(target.read_bytes())
    index = at % len(data)
    data[index] ^= flip
    target.write_bytes(bytes(data))
    public = m.PublicKey.from_file_text(keys.public.read_text())
    checked = check_round(copy, single(public))
    untrusted_line = target.suffix == ".minisig" and index < data.index(b"\n")
    if untrusted_line:
        return  # the untrusted comment is free text in minisign's format too
    assert checked.problems, f"{target.name}[{index}] ^= {flip} went unnoticed"
    assert all("\n" not in p for p in checked.problems)
