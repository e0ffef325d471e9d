"""The built-in checks' severity and platforms as plain data, importing nothing.

Each built-in check takes its metadata from here (`builtin_meta_args`), and `checks list`
reads it without importing a check, pydantic or the engine: the list starts as fast as
`--help`. Titles and descriptions live in the message catalogs.
"""

from __future__ import annotations

from typing import NamedTuple


class IndexEntry(NamedTuple):
    severity: str  # a Severity value
    platforms: tuple[str, ...]  # OsFamily values


EVERY_OS = ("linux", "macos", "windows")

BUILTIN_INDEX: dict[str, IndexEntry] = {
    "disk_encryption": IndexEntry("critical", EVERY_OS),
    "firewall": IndexEntry("high", EVERY_OS),
    "open_ports": IndexEntry("high", EVERY_OS),
    "patch_level": IndexEntry("high", EVERY_OS),
    "screen_lock": IndexEntry("medium", EVERY_OS),
}
