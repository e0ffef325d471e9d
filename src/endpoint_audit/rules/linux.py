"""Linux reads of a rule: argv commands (stat, systemctl, modprobe) run with LC_ALL=C,
and file reads. Whether a file exists is always told by `stat` in the C locale, never by
a file read's error text (`cat` over SSH speaks the session's language).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from endpoint_audit.checkkit.collector import Results
from endpoint_audit.model.commands import Argv, Command, CommandResult, ReadFile
from endpoint_audit.model.rule import FileRead, IniRead, ModuleRead, SysctlRead, UnitRead
from endpoint_audit.rules.facts import ReadValue, absent_value, seen_value, unknown_value

LinuxRead = FileRead | IniRead | SysctlRead | UnitRead | ModuleRead

PROC_MODULES = ReadFile("/proc/modules")
MODPROBE_CONFIG = Argv(("modprobe", "--showconfig"))
NO_SUCH_FILE = "No such file or directory"


def stat_of(path: str) -> Argv:
    return Argv(("stat", "-L", "-c", "%a %U %G %Y", "--", path))


def unit_state(unit: str) -> Argv:
    return Argv(("systemctl", "show", "--property=LoadState,ActiveState,UnitFileState", "--", unit))


def commands_for(read: LinuxRead) -> list[Command]:
    if isinstance(read, FileRead):
        stat = stat_of(read.file)
        return [stat, ReadFile(read.file)] if read.prop == "content" else [stat]
    if isinstance(read, IniRead):
        return [stat_of(read.ini), ReadFile(read.ini)]
    if isinstance(read, SysctlRead):
        return [stat_of(read.path), ReadFile(read.path)]
    if isinstance(read, UnitRead):
        return [unit_state(read.systemd)]
    return [PROC_MODULES] if read.prop == "loaded" else [MODPROBE_CONFIG]


def _get(results: Results, command: Command) -> CommandResult | None:
    return results.get(command.key)


def _failed(result: CommandResult | None, source: str, label: str) -> ReadValue:
    """Why a command gave no value: never a value."""
    if result is None:
        return unknown_value(source, "no_result", read=label, command=source)
    if result.privilege_refused or result.exit_status == 126:
        return unknown_value(source, "denied", read=label)
    if result.not_found:
        return unknown_value(source, "not_installed", read=label, command=source)
    return unknown_value(source, "read_failed", read=label, output=result.excerpt(200))


def _stat(results: Results, path: str, label: str) -> tuple[ReadValue | None, list[str]]:
    """(an absent or unknown value, or None when the file exists; its stat fields)."""
    command = stat_of(path)
    result = _get(results, command)
    if result is not None and result.ok:
        fields = result.stdout.split()
        if len(fields) == 4 and fields[0].isdigit() and fields[3].isdigit():
            return None, fields
        return unknown_value(command.key, "read_failed", read=label, output=result.excerpt(80)), []
    if result is not None and result.exit_status == 1 and NO_SUCH_FILE in result.stderr:
        return absent_value("file", command.key), []
    return _failed(result, command.key, label), []


def _text(results: Results, path: str, label: str) -> tuple[ReadValue | None, str]:
    missing, _ = _stat(results, path, label)
    if missing is not None:
        return missing, ""
    command = ReadFile(path)
    result = _get(results, command)
    if result is None or not result.ok:
        return _failed(result, command.key, label), ""
    return None, result.stdout


def parse_read(read: LinuxRead, results: Results) -> ReadValue:
    label = read.label()
    if isinstance(read, FileRead):
        return _file(read, results, label)
    if isinstance(read, IniRead):
        missing, text = _text(results, read.ini, label)
        if missing is not None:
            return missing
        value = ini_value(text, read.section, read.key, read.separator)
        source = ReadFile(read.ini).key
        return (
            absent_value("setting", source) if value is None else seen_value("text", value, source)
        )
    if isinstance(read, SysctlRead):
        missing, text = _text(results, read.path, label)
        if missing is not None:
            return missing
        value = text.strip()
        source = ReadFile(read.path).key
        if re.fullmatch(r"-?\d+", value):
            return seen_value("number", int(value), source)
        return seen_value("text", value, source)
    if isinstance(read, UnitRead):
        return _unit(read, results, label)
    return _module(read, results, label)


def _file(read: FileRead, results: Results, label: str) -> ReadValue:
    if read.prop == "content":
        missing, text = _text(results, read.file, label)
        return missing if missing is not None else seen_value("text", text, ReadFile(read.file).key)
    missing, fields = _stat(results, read.file, label)
    if missing is not None:
        return missing
    source = stat_of(read.file).key
    mode, owner, group, mtime = fields
    if read.prop == "exists":
        return seen_value("text", read.file, source)
    if read.prop == "mode":
        return seen_value("text", mode, source)
    if read.prop == "owner":
        return seen_value("text", owner, source)
    if read.prop == "group":
        return seen_value("text", group, source)
    try:
        when = datetime.fromtimestamp(int(mtime), UTC).isoformat()
    except (OverflowError, ValueError, OSError):  # a time no calendar holds
        return unknown_value(source, "read_failed", read=label, output=mtime[:40])
    return seen_value("date", when, source)


def ini_value(text: str, section: str | None, key: str, separator: str) -> str | None:
    """The value of `key` in `[section]` (outside any section when None), or None when
    it is not there. For `key=value` files the last one wins, as most readers take it;
    for `key value` files (sshd_config) the first, as sshd takes it."""
    current: str | None = None
    found: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1].strip()
            continue
        if current != section:
            continue
        if separator == "=":
            name, sep, value = line.partition("=")
        else:
            parts = line.split(None, 1)
            name, sep, value = parts[0], " ", parts[1] if len(parts) > 1 else ""
        if sep and name.strip() == key:
            found.append(value.strip().strip('"'))
    if not found:
        return None
    return found[0] if separator == " " else found[-1]


def _unit(read: UnitRead, results: Results, label: str) -> ReadValue:
    command = unit_state(read.systemd)
    result = _get(results, command)
    if result is None or not result.ok:
        return _failed(result, command.key, label)
    props = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    if props.get("LoadState") == "not-found":
        return absent_value("unit", command.key)
    name = "ActiveState" if read.prop == "active" else "UnitFileState"
    value = props.get(name)
    if not value:
        return unknown_value(command.key, "read_failed", read=label, output=result.excerpt(80))
    return seen_value("text", value, command.key)


def _module(read: ModuleRead, results: Results, label: str) -> ReadValue:
    if read.prop == "loaded":
        result = _get(results, PROC_MODULES)
        if result is None or not result.ok:
            return _failed(result, PROC_MODULES.key, label)
        loaded = {line.split(" ", 1)[0] for line in result.stdout.splitlines() if line}
        return seen_value("bool", read.name in loaded, PROC_MODULES.key)
    result = _get(results, MODPROBE_CONFIG)
    if result is None or not result.ok:
        return _failed(result, MODPROBE_CONFIG.key, label)
    return seen_value("bool", blacklisted(result.stdout, read.name), MODPROBE_CONFIG.key)


_NO_LOAD = re.compile(r"^(/usr)?/bin/(false|true)$")


def blacklisted(config: str, module: str) -> bool:
    """Whether `modprobe --showconfig` keeps `module` from loading: a `blacklist` line
    (stops loading by alias, as when a USB stick is plugged in) or an `install` line that
    runs /bin/false or /bin/true instead of loading it (stops `modprobe module` too)."""
    for line in config.splitlines():
        words = line.split()
        if len(words) >= 2 and words[1].replace("-", "_") == module:
            if words[0] == "blacklist":
                return True
            if words[0] == "install" and len(words) == 3 and _NO_LOAD.match(words[2]):
                return True
    return False


def all_commands(reads: Sequence[LinuxRead]) -> list[Command]:
    out: dict[str, Command] = {}
    for read in reads:
        for command in commands_for(read):
            out.setdefault(command.key, command)
    return list(out.values())
