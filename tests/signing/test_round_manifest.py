"""`report verify DIR...` over run folders: the signed manifest.json lists every file by
its sha256 and the previous round's manifest digest. A changed, missing or added file and
a broken chain link are each one line, exit 1; the intact chain verifies, exit 0."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pytest

from endpoint_audit.engine.run_folder import FileEntry, HostEntry, RunManifest, RunParameters
from endpoint_audit.engine.signing import sign_file
from endpoint_audit.model.result import ToolInfo
from endpoint_audit.signing import minisign as m
from tests.signing.cli_helpers import PASSWORD, Keys, cli, make_keys

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _entry(root: Path, relative: str, text: str) -> tuple[str, bytes]:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode()
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest(), data


def make_round(
    root: Path,
    key: m.SecretKey,
    round_id: str,
    previous: Path | None = None,
    state: Literal["running", "interrupted", "complete"] = "complete",
) -> Path:
    hosts = {}
    for name in ("pc-01", "pc-02"):
        sha, data = _entry(root, f"hosts/{name}.json", json.dumps({"host": name, "r": round_id}))
        hosts[name] = HostEntry(
            path=f"hosts/{name}.json", sha256=sha, size=len(data), written_at=NOW,
            target=name, status="ok", plan="p",
        )  # fmt: skip
    sha, data = _entry(root, "fleet.json", json.dumps({"hosts": 2, "r": round_id}))
    chained = None
    if previous is not None:
        chained = hashlib.sha256((previous / "manifest.json").read_bytes()).hexdigest()
    manifest = RunManifest(
        run_id=f"run-{round_id}",
        tool=ToolInfo(version="0.1.0"),
        created_at=NOW,
        updated_at=NOW,
        state=state,
        parameters=RunParameters(baseline="b.yaml"),
        hosts=hosts,
        outputs={"fleet.json": FileEntry(path="fleet.json", sha256=sha, size=len(data),
                                         written_at=NOW)},
        round=round_id,
        previous_manifest_sha256=chained,
    )  # fmt: skip
    (root / "manifest.json").write_text(manifest.model_dump_json(indent=2) + "\n")
    sign_file(key, root / "fleet.json", {"kind": "report"})
    sign_file(key, root / "manifest.json", {"kind": "manifest", "round": round_id})
    return root


@pytest.fixture
def keys(tmp_path: Path) -> Keys:
    return make_keys(tmp_path)


@pytest.fixture
def chain(tmp_path: Path, keys: Keys) -> list[Path]:
    key = m.decode_secret_key(keys.secret.read_text(), PASSWORD)
    first = make_round(tmp_path / "audit-2026-11", key, "2026-11")
    second = make_round(tmp_path / "audit-2026-12", key, "2026-12", previous=first)
    return [first, second]


def verify(keys: Keys, *folders: Path) -> tuple[int, list[str], str]:
    done = cli("report", "verify", *map(str, folders), "--pubkey", keys.line)
    return done.exit_code, done.stderr.strip().splitlines(), done.stdout


def test_an_intact_chain_verifies(keys: Keys, chain: list[Path]) -> None:
    code, errors, out = verify(keys, *chain)
    assert code == 0, errors
    lines = out.strip().splitlines()
    assert len(lines) == 2
    assert "round verified" in lines[1] and "3 file(s)" in lines[1] and "round=2026-12" in lines[1]
    first_sha = hashlib.sha256((chain[0] / "manifest.json").read_bytes()).hexdigest()
    assert f"previous={first_sha}" in lines[1]
    assert "state=complete" in lines[1]


def test_an_interrupted_round_is_not_shown_as_a_whole_round(tmp_path: Path, keys: Keys) -> None:
    """A run stopped early signs the manifest of the hosts it reached: the files match it,
    but the line must say that the round is partial, not only "round verified"."""
    key = m.decode_secret_key(keys.secret.read_text(), PASSWORD)
    folder = make_round(tmp_path / "audit", key, "2026-12", state="interrupted")
    code, errors, out = verify(keys, folder)
    assert code == 0, errors
    [line] = out.strip().splitlines()
    assert "state=interrupted" in line
    assert f"{folder}: round verified" not in line
    assert f"{folder}: partial round verified" in line


def _only_error(keys: Keys, *folders: Path) -> str:
    code, errors, _ = verify(keys, *folders)
    assert code == 1, errors
    assert len(errors) == 1, errors
    return errors[0]


def test_a_changed_host_file(keys: Keys, chain: list[Path]) -> None:
    path = chain[1] / "hosts" / "pc-01.json"
    path.write_text(path.read_text().replace("pc-01", "pc-09"))
    assert "pc-01.json: changed since manifest.json" in _only_error(keys, *chain)


def test_a_missing_host_file(keys: Keys, chain: list[Path]) -> None:
    (chain[1] / "hosts" / "pc-02.json").unlink()
    assert "pc-02.json: missing (listed in manifest.json)" in _only_error(keys, *chain)


def test_an_added_file(keys: Keys, chain: list[Path]) -> None:
    (chain[1] / "hosts" / "pc-99.json").write_text("{}")
    assert "pc-99.json: not listed in manifest.json (added)" in _only_error(keys, *chain)


def test_a_manifest_entry_removed_breaks_the_manifest_signature(
    keys: Keys, chain: list[Path]
) -> None:
    path = chain[1] / "manifest.json"
    data = json.loads(path.read_text())
    del data["hosts"]["pc-02"]
    path.write_text(json.dumps(data, indent=2) + "\n")
    code, errors, _ = verify(keys, *chain)
    assert code == 1
    assert any("manifest.json: signature does not match the file" in e for e in errors), errors
    # ...and the host file no longer listed is named too.
    assert any("pc-02.json: not listed" in e for e in errors), errors


def test_a_chain_link_replaced(keys: Keys, chain: list[Path], tmp_path: Path) -> None:
    """The earlier round re-made (and re-signed with the same key): its manifest digest
    is no longer the one the later, signed manifest recorded."""
    key = m.decode_secret_key(keys.secret.read_text(), PASSWORD)
    for path in sorted(chain[0].rglob("*")):
        if path.is_file():
            path.unlink()
    make_round(chain[0], key, "2026-11-forged")
    line = _only_error(keys, *chain)
    assert "audit-2026-12: chain broken: previous manifest sha256" in line


def test_a_round_left_out_of_the_chain(keys: Keys, chain: list[Path], tmp_path: Path) -> None:
    key = m.decode_secret_key(keys.secret.read_text(), PASSWORD)
    third = make_round(tmp_path / "audit-2027-01", key, "2027-01", previous=chain[1])
    line = _only_error(keys, chain[0], third)
    assert "audit-2027-01: chain broken" in line
    unchained = make_round(tmp_path / "audit-x", key, "x")
    assert "names no previous round" in _only_error(keys, chain[1], unchained)


def test_an_unsigned_manifest(keys: Keys, chain: list[Path]) -> None:
    (chain[1] / "manifest.json.minisig").unlink()
    assert "unsigned" in _only_error(keys, chain[1])


def test_a_listed_path_outside_the_folder_is_refused(keys: Keys, chain: list[Path]) -> None:
    key = m.decode_secret_key(keys.secret.read_text(), PASSWORD)
    path = chain[1] / "manifest.json"
    data = json.loads(path.read_text())
    data["hosts"]["pc-01"]["path"] = "../../etc/passwd"
    path.write_text(json.dumps(data, indent=2) + "\n")
    sign_file(key, path, {"kind": "manifest"})
    code, errors, _ = verify(keys, chain[1])
    assert code == 1
    assert any("outside the folder" in e for e in errors), errors


def test_a_folder_that_is_not_a_run_folder(keys: Keys, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert "no manifest.json" in _only_error(keys, tmp_path / "empty")


@pytest.mark.parametrize(
    ("state", "head"), [("complete", "collection"), ("interrupted", "partial collection")]
)
def test_an_interrupted_collection_is_not_shown_as_a_whole_one(
    tmp_path: Path, keys: Keys, state: str, head: str
) -> None:
    """The same for a sliced collection's folder: stopped early, its line says partial."""
    from endpoint_audit.cli.signing_cmd import collected_line
    from endpoint_audit.engine.collect_manifest import CollectManifest
    from endpoint_audit.engine.round_check import RoundCheck
    from endpoint_audit.model.shard import ShardInfo
    from endpoint_audit.signing.trusted_comment import parse
    from endpoint_audit.signing.trusted_keys import single
    from endpoint_audit.signing.verify import Verified

    public = m.PublicKey.from_file_text(keys.public.read_text())
    collected = CollectManifest.model_validate(
        {
            "tool": {"version": "0.1.0"}, "created_at": NOW, "updated_at": NOW,
            "state": state, "shard": ShardInfo(
                index=1, count=4, inventory_sha256="0" * 64, inventory_hosts=8
            ),
        }
    )  # fmt: skip
    checked = RoundCheck(
        tmp_path, manifest_sha256="0" * 64, collected=collected,
        verified=Verified(single(public).keys[0], parse("endpoint-audit/0.1.0 kind=x")),
    )  # fmt: skip
    line = collected_line(checked)
    assert line.startswith(f"{tmp_path}: {head} verified, slice 1/4")
    assert f"state={state}" in line
