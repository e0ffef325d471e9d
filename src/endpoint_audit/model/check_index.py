"""Each check's severity and platforms, as data in its package (`meta.toml` beside its
check.py), read without importing the check.

`checks list` shows the built-in checks from these files and the catalogs alone, importing
no check, no pydantic and no engine, so it starts about as fast as `--help`; the check's
own metadata (`CheckMeta.from_package`) reads the same file, so the list and the check
cannot disagree, and no index is kept by hand: a new folder under `checks/` is listed.
"""

from __future__ import annotations

import os
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import NamedTuple

META_FILE = "meta.toml"


class IndexEntry(NamedTuple):
    severity: str  # a Severity value
    platforms: tuple[str, ...]  # OsFamily values
    # What reports built on stored results single the check out for (ROLES), so that
    # they name no check: e.g. `critical_item`, `support_deadline`, `antivirus_signatures`.
    roles: tuple[str, ...] = ()


# critical_item: a failure is a critical item of the weekly report whatever its severity.
# support_deadline: its findings name an end of support (`support_ends`), for the weekly
# report's deadline board.
# antivirus_signatures: its failures are antivirus protection or signatures out of date,
# for the weekly report's board of those.
ROLES = ("critical_item", "support_deadline", "antivirus_signatures")


def read_entry(meta: Traversable, where: str) -> IndexEntry:
    """The entry in one `meta.toml`; `where` names it in the error. A file read before is
    taken from the user's cache, kept beside its path, size and time: TOML is parsed in
    pure Python, and tomllib with ten files cost a scan about 5 ms of its CPU."""
    path = os.fspath(meta) if isinstance(meta, os.PathLike) else None
    if path is None:  # inside a zip: nothing to stamp
        return _checked(_parse(meta, where), where)
    from zlib import crc32

    from endpoint_audit.user_cache import cache_file, keep, prune_kept, read_kept

    try:
        info = os.stat(path)
    except OSError:
        return _checked(_parse(meta, where), where)
    stamp = [path, info.st_size, info.st_mtime_ns]
    name = f"meta/{crc32(path.encode('utf-8', 'surrogateescape')):08x}.json"
    kept = read_kept(name)
    if (
        isinstance(kept, dict)
        and kept.get("stamp") == stamp
        and isinstance(kept.get("entry"), dict)
    ):
        try:
            return _checked(kept["entry"], where)
        except ValueError:
            pass  # not what was kept: parse the file again
    entry = _checked(_parse(meta, where), where)
    keep(name, {"stamp": stamp, "entry": entry._asdict()})
    prune_kept(os.path.dirname(cache_file(name)), KEPT_MAX)
    return entry


KEPT_MAX = 400  # the meta files of about 20 installed copies, with plugins


def _parse(meta: Traversable, where: str) -> dict[str, object]:
    import tomllib

    try:
        return tomllib.loads(meta.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{where}: {exc}") from exc


def _checked(data: dict[str, object], where: str) -> IndexEntry:
    severity, platforms = data.get("severity"), data.get("platforms")
    if not isinstance(severity, str):
        raise ValueError(f"{where}: 'severity' must be a text (critical, high, ...)")
    if not isinstance(platforms, list) or not all(isinstance(p, str) for p in platforms):
        raise ValueError(f"{where}: 'platforms' must be a list of OS names (linux, ...)")
    roles = data.get("roles", [])
    if not isinstance(roles, list) or not all(r in ROLES for r in roles):
        raise ValueError(f"{where}: 'roles' must be a list of: {', '.join(ROLES)}")
    return IndexEntry(severity, tuple(platforms), tuple(roles))


def package_entry(package: str) -> IndexEntry:
    """The entry of the check package `package` (an import path: built-in or plugin)."""
    return read_entry(resources.files(package) / META_FILE, f"{package}/{META_FILE}")


@cache
def builtin_index() -> dict[str, IndexEntry]:
    """Check id -> entry of every built-in check package (a folder of `checks/` with a
    meta.toml), by a scan of the resource folders: nothing is imported."""
    checks = resources.files("endpoint_audit") / "checks"
    out: dict[str, IndexEntry] = {}
    for folder in sorted(checks.iterdir(), key=lambda e: e.name):
        meta = folder / META_FILE
        if folder.is_dir() and meta.is_file():
            out[folder.name] = read_entry(meta, f"checks/{folder.name}/{META_FILE}")
    return out


def checks_with_role(role: str) -> tuple[str, ...]:
    """The ids of the built-in checks that declare `role` in their meta.toml."""
    return tuple(cid for cid, entry in builtin_index().items() if role in entry.roles)
