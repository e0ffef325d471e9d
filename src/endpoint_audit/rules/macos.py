"""macOS reads of a rule: property list values, read with `plutil -convert xml1 -o - FILE`
(XML rather than JSON: `plutil -convert json` refuses plists holding dates or data) and
parsed with plistlib, which refuses entity declarations. One command per distinct file per
host however many keys the rules read from it (the engine runs each command key once).

A preference domain is read as macOS applies it: the managed preferences a configuration
profile writes (/Library/Managed Preferences/<domain>.plist) first, then the domain's own
file (/Library/Preferences/<domain>.plist). A managed file that exists but cannot be read
leaves the value unknown: the profile in it might set the key.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from endpoint_audit.checkkit.collector import Results
from endpoint_audit.checkkit.macos_plist import as_bool, parse_plist, plist_missing, plutil_xml
from endpoint_audit.errors import CollectorError
from endpoint_audit.model.commands import Argv, Command, CommandResult
from endpoint_audit.model.rule import CommandRead, PlistRead
from endpoint_audit.rules import command_read
from endpoint_audit.rules.facts import ReadValue, absent_value, seen_value, unknown_value

MacosRead = PlistRead | CommandRead

_MISSING = object()
_DENIED = ("code=257", "permission", "not permitted")


def commands_for(read: MacosRead) -> list[Command]:
    if isinstance(read, CommandRead):
        return [command_read.argv_of(read)]
    return [plutil_xml(path) for path in read.files]


def all_commands(reads: Sequence[MacosRead]) -> list[Command]:
    out: dict[str, Command] = {}
    for read in reads:
        for command in commands_for(read):
            out.setdefault(command.key, command)
    return list(out.values())


def parse_read(read: MacosRead, results: Results) -> ReadValue:
    if isinstance(read, CommandRead):
        return command_read.parse(read, results)
    label = read.label()
    seen_a_file = False
    last = plutil_xml(read.files[-1]).key
    for path in read.files:
        command = plutil_xml(path)
        result = results.get(command.key)
        if result is None:
            return unknown_value(command.key, "no_result", read=label, command=command.key)
        if plist_missing(result):
            continue
        top = _top(result, command, label)
        if isinstance(top, ReadValue):
            return top
        seen_a_file = True
        value = lookup(top, read.parts)
        if value is not _MISSING:
            return typed(read, value, command.key)
    return absent_value("setting" if seen_a_file else "file", last)


def _top(result: CommandResult, command: Argv, label: str) -> Any:
    """The file's top-level value, or an unknown value saying why it is not there."""
    if result.not_found:
        return unknown_value(command.key, "not_installed", read=label, command="plutil")
    if not result.ok:
        text = (result.stdout + result.stderr).lower()
        if result.privilege_refused or any(m in text for m in _DENIED):
            return unknown_value(command.key, "denied", read=label)
        return unknown_value(command.key, "read_failed", read=label, output=result.excerpt(200))
    try:
        return parse_plist(result, command.argv[-1])
    except CollectorError:
        return unknown_value(command.key, "read_failed", read=label, output=result.excerpt(80))


def lookup(top: Any, parts: Sequence[str | int]) -> Any:
    """The value at `parts` (keys of dictionaries, positions in arrays), or _MISSING."""
    value = top
    for part in parts:
        if isinstance(part, str) and isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(part, int) and isinstance(value, list) and part < len(value):
            value = value[part]
        else:
            return _MISSING
    return value


def plist_type(value: Any) -> str:
    """The plist type of a value plistlib made, as plutil names it."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "real"
    if isinstance(value, str):
        return "string"
    if isinstance(value, datetime):
        return "date"
    if isinstance(value, bytes):
        return "data"
    if isinstance(value, list):
        return "array"
    return "dictionary"


def typed(read: PlistRead, value: Any, source: str) -> ReadValue:
    """The value as a rule compares it: of the type the file holds, or as `type` says."""
    host = plist_type(value)
    label = read.label()
    if read.type == "bool":
        flag = as_bool(value) if host in ("boolean", "integer", "string") else None
        if flag is None:
            return _differs(source, label, host, read.type)
        return seen_value("bool", flag, source, host)
    if host == "boolean":
        value_kind = "bool"
    elif host in ("integer", "real"):
        value_kind = "number"
    elif host == "string":
        value_kind = "text"
    elif host == "date":
        when = value if value.tzinfo else value.replace(tzinfo=UTC)
        value, value_kind = when.isoformat(), "date"
    elif host == "data":
        value, value_kind = value.hex(), "text"
    elif host == "array" and all(isinstance(v, str) for v in value):
        value_kind = "texts"
    else:
        return unknown_value(source, "plist_container", read=label, host_type=host)
    wanted = {"number": "number", "text": "text", "date": "date", "list": "texts"}
    if read.type is not None and wanted[read.type] != value_kind:
        return _differs(source, label, host, read.type)
    return seen_value(value_kind, value, source, host)  # type: ignore[arg-type]


def _differs(source: str, label: str, host: str, declared: str) -> ReadValue:
    return unknown_value(
        source, "plist_type_differs", read=label, host_type=host, declared=declared
    )
