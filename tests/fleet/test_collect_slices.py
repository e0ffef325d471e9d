"""A sliced collection's folder (`collect --shard`, engine.collect_manifest) read back by
`evaluate`: only the bundles its manifest vouches for are judged, hostile manifests
are one-line errors, and no host's bundle can take the manifest's name."""

from __future__ import annotations

import hashlib
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from endpoint_audit.engine.collect_manifest import (
    CollectManifest,
    CollectManifestWriter,
    read_collect_manifest,
)
from endpoint_audit.engine.host_outputs import bundle_text
from endpoint_audit.engine.recorded import sliced_folder
from endpoint_audit.errors import ConfigError
from endpoint_audit.inventory import safe_file_name
from endpoint_audit.model.shard import ShardInfo, shard_of
from endpoint_audit.transport.transcript import COLLECT_MANIFEST, HostTranscript, bundle_files

WHEN = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def unreachable_bundle(name: str) -> bytes:
    host = HostTranscript(target=name, platform=None, collected_at=WHEN, unreachable="refused")
    return bundle_text([host], False).encode("utf-8")


def one_slice(folder: Path, names: list[str]) -> CollectManifestWriter:
    info = ShardInfo(
        index=1, count=1, inventory_sha256="0" * 64, inventory_hosts=len(names), hosts=names
    )
    writer = CollectManifestWriter(folder, info)
    for name in names:
        data = unreachable_bundle(name)
        path = folder / f"{safe_file_name(name)}.json"
        path.write_bytes(data)
        writer.record(name, path, data, "unreachable")
    writer.finish(interrupted=False)
    return writer


@given(st.text(max_size=200))
def test_no_host_bundle_takes_the_manifest_name(name: str) -> None:
    assert f"{safe_file_name(name)}.json" != COLLECT_MANIFEST


def test_the_manifest_is_no_bundle_and_lists_every_file(tmp_path: Path) -> None:
    one_slice(tmp_path, ["pc-01", "pc-02"])
    assert [p.name for p in bundle_files(tmp_path)] == ["pc-01.json", "pc-02.json"]
    manifest = read_collect_manifest(tmp_path)
    assert manifest is not None and manifest.state == "complete"
    got = sliced_folder(tmp_path, manifest)
    assert [t.name for t in got.targets] == ["pc-01", "pc-02"] and not got.not_judged


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400).map(lambda t: t.encode()))
def test_a_hostile_manifest_is_one_config_error(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / COLLECT_MANIFEST).write_bytes(data)
        try:
            got = read_collect_manifest(Path(folder))
        except ConfigError as exc:
            assert "\n" not in str(exc).strip()
        else:
            assert isinstance(got, CollectManifest)


ENTRY_PATHS = st.sampled_from(
    ["../outside.json", "/etc/passwd", "sub/pc-01.json", "pc-01.yaml", "", ".", "..", "pc-01"]
) | st.text(min_size=1, max_size=40)


@settings(max_examples=150, deadline=None)
@given(ENTRY_PATHS)
def test_only_a_bundle_file_of_the_folder_is_judged(entry_path: str) -> None:
    with tempfile.TemporaryDirectory() as root:
        folder = Path(root) / "slice"
        folder.mkdir()
        writer = one_slice(folder, ["pc-01"])
        # The very bytes recorded, put outside the folder: a manifest pointing there must
        # not make them a judged host.
        (Path(root) / "outside.json").write_bytes((folder / "pc-01.json").read_bytes())
        writer.manifest.hosts["pc-01"].path = entry_path
        got = sliced_folder(folder, writer.manifest)
        if entry_path == "pc-01.json":
            assert [t.name for t in got.targets] == ["pc-01"]
        else:
            assert not got.targets
            assert [name for name, _ in got.not_judged] == ["pc-01"]


def test_a_bundle_of_another_host_or_changed_is_not_judged(tmp_path: Path) -> None:
    writer = one_slice(tmp_path, ["pc-01", "pc-02", "pc-03"])
    (tmp_path / "pc-01.json").write_bytes(unreachable_bundle("pc-02"))  # another host's
    # Recorded with its digest: only the name inside differs.
    writer.manifest.hosts["pc-01"].sha256 = hashlib.sha256(unreachable_bundle("pc-02")).hexdigest()
    (tmp_path / "pc-02.json").write_bytes(unreachable_bundle("pc-02") + b" ")  # changed
    del writer.manifest.hosts["pc-03"]  # never recorded
    got = sliced_folder(tmp_path, writer.manifest)
    reasons = dict(got.not_judged)
    assert not got.targets
    assert "holds another host" in reasons["pc-01"]
    assert "sha256 differs" in reasons["pc-02"]
    assert reasons["pc-03"] == "not collected (no bundle written)"
    assert got.extra == [tmp_path / "pc-03.json"]  # on disk, but not vouched for


@pytest.mark.parametrize("count", [1, 2, 5])
def test_slice_manifests_cover_the_names_once(count: int, tmp_path: Path) -> None:
    names = [f"pc-{i:03d}" for i in range(40)]
    seen: list[str] = []
    for index in range(1, count + 1):
        mine = [n for n in names if shard_of(n, count) == index]
        folder = tmp_path / str(index)
        folder.mkdir()
        one_slice(folder, mine)
        manifest = read_collect_manifest(folder)
        assert manifest is not None
        seen += [t.name for t in sliced_folder(folder, manifest).targets]
    assert sorted(seen) == names


def test_a_file_listed_for_a_name_outside_the_slice_is_left_out(tmp_path: Path) -> None:
    writer = one_slice(tmp_path, ["pc-01"])
    data = unreachable_bundle("pc-99")
    (tmp_path / "pc-99.json").write_bytes(data)
    writer.record("pc-99", tmp_path / "pc-99.json", data, "unreachable")  # not in shard.hosts
    got = sliced_folder(tmp_path, writer.manifest)
    assert [t.name for t in got.targets] == ["pc-01"]
    assert got.extra == [tmp_path / "pc-99.json"]
