"""Property lists on macOS, read through `plutil -convert xml1 -o - FILE`.

`plutil -convert json` refuses plists that hold dates or data (InstallHistory.plist does),
so plists are converted to XML on the host and parsed here with plistlib, which rejects
XML entity declarations (no entity-expansion attacks from hostile output).
"""

from __future__ import annotations

from typing import Any

from endpoint_audit.checkkit.collector import as_int as as_int
from endpoint_audit.errors import CollectorError
from endpoint_audit.model.commands import Argv, CommandResult

# plutil prints its errors on stdout and exits 1. A missing file and an unreadable one get
# the same prefix ("file does not exist or is not readable or is not a regular file"); the
# NSError after it tells them apart: Code=260 "... there is no such file." for a missing
# file, Code=257 "... you don’t have permission to view it." for an unreadable one. An
# unreadable file is never taken as absent: a configuration profile may be inside.
_PREFIX = "file does not exist or is not readable or is not a regular file"
_MISSING = ("code=260", "no such file")
_UNREADABLE = ("code=257", "permission", "not permitted")


def plutil_xml(path: str, *, privileged: bool = False) -> Argv:
    return Argv(("plutil", "-convert", "xml1", "-o", "-", path), privileged=privileged)


def plist_missing(result: CommandResult) -> bool:
    """True when plutil says the file does not exist (not when it cannot read it)."""
    text = (result.stdout + "\n" + result.stderr).lower()
    if result.exit_status != 1 or any(m in text for m in _UNREADABLE):
        return False
    if any(m in text for m in _MISSING):
        return True
    # The prefix alone, without an NSError detail, is taken as missing.
    return _PREFIX in text and "code=" not in text


def parse_plist(result: CommandResult, what: str) -> Any:
    """The value of a plist printed as XML; CollectorError naming `what` when it is not."""
    # plistlib and its XML parser only where a plist is read (macOS hosts): a scan of
    # another OS does not load them.
    import plistlib
    from xml.parsers.expat import ExpatError

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
