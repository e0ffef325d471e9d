"""Small answers kept in the user's cache folder between runs, each beside what it was
made from, so that the next start can tell whether it still holds.

A kept file is only a shortcut: one that cannot be read, is not valid JSON, or (POSIX)
belongs to another user is ignored, and one that cannot be written costs the next start
the work again. Another user's file is never read: `sudo` may keep the caller's HOME,
and a program run as root must not take its texts from a file its caller wrote.
"""

from __future__ import annotations

import json
import os
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
    except (OSError, ValueError):
        return None


def keep(name: str, value: object) -> None:
    """Keep `value` as `name` (whole or not at all: written aside, then renamed)."""
    kept = cache_file(name)
    folder, base = os.path.split(kept)
    try:
        os.makedirs(folder, exist_ok=True)
        scratch = os.path.join(folder, f".{base}.{os.getpid()}")
        with open(scratch, "w", encoding="utf-8") as handle:
            json.dump(value, handle, ensure_ascii=False)
        os.replace(scratch, kept)
    except OSError:
        pass  # a cache that cannot be written only costs the next start the work again
