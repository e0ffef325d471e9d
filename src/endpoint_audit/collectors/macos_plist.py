"""Property lists on macOS, read through `plutil -convert xml1 -o - FILE`.

`plutil -convert json` refuses plists that hold dates or data (InstallHistory.plist does),
so plists are converted to XML on the host and parsed here with plistlib, which rejects
XML entity declarations (no entity-expansion attacks from hostile output).
"""

from __future__ import annotations

import plistlib
from typing import Any
from xml.parsers.expat import ExpatError

from endpoint_audit.collectors.base import as_int as as_int
from endpoint_audit.errors import CollectorError
from endpoint_audit.model.commands import Argv, CommandResult

# plutil's message when the file does not exist (exit 1). Matched loosely: wording varies.
_MISSING_MARKERS = ("no such file", "does not exist", "file not found")


def plutil_xml(path: str, *, privileged: bool = False) -> Argv:
    return Argv(("plutil", "-convert", "xml1", "-o", "-", path), privileged=privileged)


def plist_missing(result: CommandResult) -> bool:
    text = (result.stderr + result.stdout).lower()
    return result.exit_status == 1 and any(m in text for m in _MISSING_MARKERS)


def parse_plist(result: CommandResult, what: str) -> Any:
    """The value of a plist printed as XML; CollectorError naming `what` when it is not."""
    try:
        return plistlib.loads(result.stdout.encode("utf-8"), fmt=plistlib.FMT_XML)
    except (plistlib.InvalidFileException, ExpatError, ValueError, TypeError) as exc:
        raise CollectorError(f"{what}: output is not a property list ({exc})") from exc


def plist_dict(result: CommandResult, what: str) -> dict[str, Any] | None:
    """A plist file's top-level dictionary; None when the file does not exist."""
    if plist_missing(result):
        return None
    if not result.ok:
        raise CollectorError(f"{what} exited {result.exit_status}: {result.excerpt()}")
    value = parse_plist(result, what)
    if not isinstance(value, dict):
        raise CollectorError(f"{what}: expected a dictionary, got {type(value).__name__}")
    return value


def as_bool(value: Any) -> bool | None:
    """A plist boolean as macOS reads it: true/false, 1/0, or the strings "1"/"YES"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str) and value.strip().lower() in ("1", "yes", "true"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("0", "no", "false"):
        return False
    return None
