"""A check's meta.toml is parsed once and then read kept from the user's cache, beside
its path, size and time: an edited file is parsed again, and a kept entry that is not
one is never taken."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from endpoint_audit.model import check_index


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    if not sys.platform.startswith("linux"):
        pytest.skip("the cache folder is XDG_CACHE_HOME on Linux")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "endpoint-audit" / "meta"


def _meta(tmp_path: Path, text: str) -> Path:
    meta = tmp_path / "pkg" / "meta.toml"
    meta.parent.mkdir(exist_ok=True)
    meta.write_text(text, encoding="utf-8")
    return meta


def _no_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(meta: object, where: str) -> dict[str, object]:
        raise AssertionError("parsed again")

    monkeypatch.setattr(check_index, "_parse", refuse)


def test_a_meta_file_read_again_is_not_parsed(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    meta = _meta(tmp_path, 'severity = "high"\nplatforms = ["linux", "windows"]\n')
    first = check_index.read_entry(meta, "pkg/meta.toml")
    assert first == check_index.IndexEntry("high", ("linux", "windows"), ())
    _no_parse(monkeypatch)
    assert check_index.read_entry(meta, "pkg/meta.toml") == first


def test_the_shipped_index_is_the_same_read_kept(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check_index.builtin_index.cache_clear()
    parsed = check_index.builtin_index()
    check_index.builtin_index.cache_clear()
    _no_parse(monkeypatch)
    assert check_index.builtin_index() == parsed
    assert len(parsed) >= 10
    check_index.builtin_index.cache_clear()


def test_an_edited_meta_file_is_parsed_again(cache: Path, tmp_path: Path) -> None:
    meta = _meta(tmp_path, 'severity = "high"\nplatforms = ["linux"]\n')
    check_index.read_entry(meta, "pkg/meta.toml")
    meta.write_text('severity = "low"\nplatforms = ["linux", "macos"]\n', encoding="utf-8")
    assert check_index.read_entry(meta, "pkg/meta.toml").severity == "low"
    # The same size, a later time: parsed again too.
    meta.write_text('severity = "med"\nplatforms = ["linux", "macos"]\n', encoding="utf-8")
    later = os.stat(meta).st_mtime_ns + 10**9
    os.utime(meta, ns=(later, later))
    assert check_index.read_entry(meta, "pkg/meta.toml").severity == "med"


@pytest.mark.parametrize(
    "entry",
    [
        {"severity": "high", "platforms": ["linux"], "roles": ["not_a_role"]},
        {"severity": 3, "platforms": ["linux"], "roles": []},
        {"severity": "high", "platforms": "linux", "roles": []},
    ],
)
def test_a_kept_entry_that_is_not_one_is_not_taken(
    cache: Path, tmp_path: Path, entry: dict[str, object]
) -> None:
    meta = _meta(tmp_path, 'severity = "high"\nplatforms = ["macos"]\n')
    check_index.read_entry(meta, "pkg/meta.toml")
    (kept,) = cache.iterdir()
    data = json.loads(kept.read_text(encoding="utf-8"))
    kept.write_text(json.dumps({**data, "entry": entry}), encoding="utf-8")
    assert check_index.read_entry(meta, "pkg/meta.toml").platforms == ("macos",)


def test_a_bad_meta_file_is_refused_each_time_and_never_kept(cache: Path, tmp_path: Path) -> None:
    meta = _meta(tmp_path, 'severity = "high"\nplatforms = "linux"\n')
    for _ in range(2):
        with pytest.raises(ValueError, match=r"pkg/meta\.toml: 'platforms' must be a list"):
            check_index.read_entry(meta, "pkg/meta.toml")
    assert not cache.exists() or list(cache.iterdir()) == []
