"""Small answers kept in the user's cache folder between runs, each beside what it was
made from, so that the next start can tell whether it still holds.

A kept file is only a shortcut: one that cannot be read, is not valid JSON, or (POSIX)
belongs to another user is ignored, and one that cannot be written costs the next start
the work again. Another user's file is never read: `sudo` may keep the caller's HOME,
and a program run as root must not take its texts from a file its caller wrote.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
from typing import Any


def cache_file(name: str) -> str:
    """`name` in the user's cache folder (platformdirs' user_cache_path). On Linux the
    folder is found as platformdirs finds it, without importing it (it loads pathlib and
    tempfile, a good part of a quick command's start)."""
    if sys.platform.startswith("linux"):
        base = os.environ.get("XDG_CACHE_HOME", "")
        if not base.strip():
            base = os.path.expanduser("~/.cache")
        return os.path.join(base, "endpoint-audit", name)
    from platformdirs import user_cache_path

    return str(user_cache_path("endpoint-audit", appauthor=False) / name)


def data_folder() -> str:
    """The tool's folder in the user's data folder (platformdirs' user_data_dir), found
    on Linux as platformdirs finds it, without importing it (as cache_file)."""
    if sys.platform.startswith("linux"):
        base = os.environ.get("XDG_DATA_HOME", "")
        if not base.strip():
            base = os.path.expanduser("~/.local/share")
        return os.path.join(base, "endpoint-audit")
    from platformdirs import user_data_dir

    return user_data_dir("endpoint-audit", appauthor=False)


def file_stamp(path: str) -> list[object] | None:
    """A file's path, inode, size and modification time, to keep an answer drawn from it
    beside (a file replaced or edited is read anew), or None when it cannot be stat'ed."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return [path, info.st_ino, info.st_size, info.st_mtime_ns]


def import_path_stamp() -> list[list[object]]:
    """The import path's folders with their modification times: installing, upgrading or
    removing a distribution adds or removes a *.dist-info folder, which changes its
    folder's time. An answer drawn from the installed distributions holds while this does."""
    stamp: list[list[object]] = []
    for entry in sys.path:
        try:
            stamp.append([entry, os.stat(entry or ".").st_mtime_ns])
        except OSError:
            stamp.append([entry, None])
    return stamp


def read_kept(name: str) -> Any:
    """The value kept as `name`, or None."""
    try:
        with open(cache_file(name), encoding="utf-8") as handle:
            if os.name == "posix" and os.fstat(handle.fileno()).st_uid != os.geteuid():
                return None
            return json.load(handle)
    except (OSError, ValueError, RecursionError):  # RecursionError: absurdly nested JSON
        return None


def own_folders(folder: str) -> bool:
    """The cache folder and the folders of it up to `endpoint-audit` are real folders
    (no link) of this very user. A program run as root with its caller's HOME (`sudo
    -E`) must not write where the caller can point it: a link there would have root
    write, or replace, a file the caller chose."""
    if os.name != "posix":
        return True
    top = os.path.dirname(cache_file(""))
    here = folder
    while True:
        try:
            info = os.lstat(here)
        except OSError:
            return False
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
            return False
        if here == top or len(here) <= len(top):
            return True
        here = os.path.dirname(here)


def _may_create(folder: str) -> bool:
    """Creating `folder` stays in this user's hands: the nearest folder on its way that
    exists is a real folder of this user, or a sticky one such as /tmp (where nobody can
    replace what another made). Root with its caller's HOME creates nothing there."""
    if os.name != "posix":
        return True
    here = folder
    while not os.path.lexists(here):
        parent = os.path.dirname(here)
        if parent == here:
            return False
        here = parent
    try:
        info = os.lstat(here)
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode):
        return False
    return info.st_uid == os.geteuid() or bool(info.st_mode & stat.S_ISVTX)


def _write(name: str, text: str) -> str | None:
    """Write `text` as `name`, whole or not at all (written aside, then renamed over):
    the path, or None when it could not be written or the folder is not the user's own."""
    kept = cache_file(name)
    folder, base = os.path.split(kept)
    try:
        if not _may_create(folder):
            return None
        os.makedirs(folder, exist_ok=True)
        if not own_folders(folder):
            return None
        scratch = os.path.join(folder, f".{base}.{os.getpid()}")
        # A new file only, never through a link: what lies at the name is not written.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(scratch)  # left by a run of this pid that died mid-write
        with os.fdopen(os.open(scratch, flags, 0o644), "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(scratch, kept)
    except OSError:
        return None
    return kept


def keep(name: str, value: object) -> None:
    """Keep `value` as `name`. A cache that cannot be written only costs the next start
    the work again."""
    _write(name, json.dumps(value, ensure_ascii=False))


def keep_text(name: str, text: str) -> str | None:
    """Keep `text` as `name` (a crash report): its path, or None when not written."""
    return _write(name, text)


def prune_kept(folder: str, newest: int) -> None:
    """Keep the `newest` most recently written *.json files of a cache folder: each
    installed copy of the tool, and each text read, adds its own, and what was left behind
    is never read again. Only in the user's own folder: never where a link points."""
    if not own_folders(folder):
        return
    try:
        with os.scandir(folder) as entries:
            kept = [(e.stat().st_mtime_ns, e.path) for e in entries if e.name.endswith(".json")]
    except OSError:
        return
    if len(kept) <= newest:
        return
    for _, path in sorted(kept, reverse=True)[newest:]:
        with contextlib.suppress(OSError):
            os.remove(path)
