"""The cache folder is written only when it is the user's own: a run as root with its
caller's HOME (`sudo -E`) must not write, or replace, a file the caller points it at."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from endpoint_audit import user_cache
from tests.conftest import IN_CI

posix_only = pytest.mark.skipif(os.name != "posix", reason="ownership and links are POSIX")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    if not sys.platform.startswith("linux"):
        pytest.skip("the cache folder is XDG_CACHE_HOME on Linux")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "endpoint-audit"


def test_a_value_is_kept_and_read_back(cache: Path) -> None:
    user_cache.keep("one.json", {"a": [1, "é"]})
    assert user_cache.read_kept("one.json") == {"a": [1, "é"]}
    assert sorted(p.name for p in cache.iterdir()) == ["one.json"]  # no scratch left


@posix_only
def test_a_linked_cache_folder_is_not_written(cache: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "chosen"
    elsewhere.mkdir()
    cache.parent.mkdir(parents=True)
    cache.symlink_to(elsewhere)
    user_cache.keep("entry-points.json", {"x": 1})
    assert user_cache.keep_text("last-crash.txt", "trace") is None
    assert list(elsewhere.iterdir()) == []


@posix_only
def test_a_link_at_the_scratch_name_is_not_followed(cache: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("untouched", encoding="utf-8")
    cache.mkdir(parents=True)
    (cache / f".last-crash.txt.{os.getpid()}").symlink_to(victim)
    written = user_cache.keep_text("last-crash.txt", "trace")
    assert victim.read_text(encoding="utf-8") == "untouched"
    # The stale link is removed as a leftover and the file written beside it.
    assert written == str(cache / "last-crash.txt")
    assert (cache / "last-crash.txt").read_text(encoding="utf-8") == "trace"


@posix_only
def test_a_link_at_the_kept_name_is_replaced_not_followed(cache: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("untouched", encoding="utf-8")
    cache.mkdir(parents=True)
    (cache / "last-crash.txt").symlink_to(victim)
    assert user_cache.keep_text("last-crash.txt", "trace") == str(cache / "last-crash.txt")
    assert victim.read_text(encoding="utf-8") == "untouched"
    assert not (cache / "last-crash.txt").is_symlink()


@posix_only
def test_a_folder_of_another_user_is_not_written(cache: Path) -> None:
    if os.geteuid() != 0:
        message = "needs root to give the folder to another user"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    (cache / "texts").mkdir(parents=True)
    os.chown(cache, 65534, 65534)  # the caller's folder, as under sudo -E
    user_cache.keep("texts/x.json", {"x": 1})
    assert user_cache.keep_text("last-crash.txt", "trace") is None
    assert not (cache / "texts" / "x.json").exists()
    assert not (cache / "last-crash.txt").exists()


@posix_only
def test_the_kept_catalogs_are_pruned_only_in_the_users_own_folder(
    cache: Path, tmp_path: Path
) -> None:
    from endpoint_audit.model import i18n

    elsewhere = tmp_path / "chosen"
    elsewhere.mkdir()
    for n in range(i18n.KEPT_TEXTS_MAX + 5):
        (elsewhere / f"{n}.json").write_text("{}", encoding="utf-8")
    cache.mkdir(parents=True)
    (cache / "texts").symlink_to(elsewhere)
    i18n._prune_kept(str(cache / "texts"))
    assert len(list(elsewhere.iterdir())) == i18n.KEPT_TEXTS_MAX + 5


@posix_only
def test_no_folder_is_made_through_a_link(cache: Path, tmp_path: Path) -> None:
    # The caller's ~/.cache/endpoint-audit pointing elsewhere: not even a folder is made.
    elsewhere = tmp_path / "chosen"
    elsewhere.mkdir()
    cache.parent.mkdir(parents=True)
    cache.symlink_to(elsewhere)
    user_cache.keep("texts/x.json", {"x": 1})
    assert list(elsewhere.iterdir()) == []


@posix_only
def test_no_folder_is_made_in_a_folder_of_another_user(cache: Path) -> None:
    if os.geteuid() != 0:
        message = "needs root to give the folder to another user"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    cache.parent.mkdir(parents=True)
    os.chown(cache.parent, 65534, 65534)  # the caller's ~/.cache, as under sudo -E
    user_cache.keep("entry-points.json", {"x": 1})
    assert not cache.exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="found by hand on Linux")
@pytest.mark.parametrize("xdg", [None, "", "   ", "/srv/xdg"])
def test_the_folders_are_where_platformdirs_puts_them(
    xdg: str | None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import platformdirs

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("XDG_CACHE_HOME", "XDG_DATA_HOME"):
        if xdg is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, xdg)
    assert user_cache.cache_file("x.json") == str(
        platformdirs.user_cache_path("endpoint-audit", appauthor=False) / "x.json"
    )
    assert user_cache.data_folder() == platformdirs.user_data_dir("endpoint-audit", appauthor=False)
