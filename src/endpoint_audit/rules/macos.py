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
from typing import Any

from endpoint_audit.checkkit.collector import Results
from endpoint_audit.checkkit.macos_plist import parse_plist, plist_missing, plutil_xml
from endpoint_audit.errors import CollectorError
from endpoint_audit.model.commands import Argv, Command, CommandResult
from endpoint_audit.model.rule import CommandRead, PlistRead, ProfileRead
from endpoint_audit.rules import command_read, macos_profiles
from endpoint_audit.rules.facts import ReadValue, absent_value, unknown_value
from endpoint_audit.rules.plist_values import MISSING, lookup, typed

MacosRead = PlistRead | ProfileRead | CommandRead
_DENIED = ("code=257", "permission", "not permitted")


def commands_for(read: MacosRead) -> list[Command]:
    if isinstance(read, CommandRead):
        return [command_read.argv_of(read)]
    if isinstance(read, ProfileRead):
        return [macos_profiles.PROFILES]
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
    if isinstance(read, ProfileRead):
        return macos_profiles.parse(read, results)
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
        if value is not MISSING:
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
