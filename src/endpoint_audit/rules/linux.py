"""Linux reads of a rule: argv commands (stat, systemctl, modprobe, dpkg-query, rpm) run
with LC_ALL=C, and file reads. Whether a file exists is always told by `stat` in the C
locale, never by a file read's error text (`cat` over SSH speaks the session's language).
A package is read from the database of the host's own package manager: dpkg on Debian
and Ubuntu, rpm on RHEL, Fedora and SUSE (both where the distribution is not known).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from endpoint_audit.checkkit.collector import Results
from endpoint_audit.checkkit.lines import host_lines
from endpoint_audit.model.commands import Argv, Command, CommandResult, ReadFile
from endpoint_audit.model.platform import PlatformInfo
from endpoint_audit.model.rule import (
    CommandRead,
    FileRead,
    IniRead,
    ModuleRead,
    PackageRead,
    SysctlRead,
    UnitRead,
)
from endpoint_audit.rules import command_read
from endpoint_audit.rules.facts import ReadValue, absent_value, seen_value, unknown_value

LinuxRead = FileRead | IniRead | SysctlRead | UnitRead | ModuleRead | PackageRead | CommandRead

PROC_MODULES = ReadFile("/proc/modules")
MODPROBE_CONFIG = Argv(("modprobe", "--showconfig"))
NO_SUCH_FILE = "No such file or directory"


def stat_of(path: str) -> Argv:
    return Argv(("stat", "-L", "-c", "%a %U %G %Y", "--", path))


def unit_state(unit: str) -> Argv:
    return Argv(("systemctl", "show", "--property=LoadState,ActiveState,UnitFileState", "--", unit))


# dpkg's status of a package: db:Status-Status, as dpkg-query(1) names it.
_DPKG_INSTALLED = frozenset({"installed", "triggers-awaited", "triggers-pending"})
_DPKG_NOT_INSTALLED = frozenset({"not-installed", "config-files"})
_DPKG_IDS = frozenset({"debian", "ubuntu"})
_RPM_IDS = frozenset(
    {"rhel", "fedora", "centos", "rocky", "almalinux", "ol", "amzn", "suse", "opensuse", "sles"}
)


def dpkg_query(package: str) -> Argv:
    return Argv(("dpkg-query", "-W", "-f", r"${db:Status-Status}\t${Version}\n", "--", package))


def rpm_query(package: str) -> Argv:
    return Argv(
        ("rpm", "-q", "--qf", r"%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\n", "--", package)
    )


def package_manager(platform: PlatformInfo | None) -> str | None:
    """dpkg or rpm, as the distribution (os-release ID and ID_LIKE) says; None: not known."""
    if platform is None:
        return None
    ids = {platform.distro or "", *platform.distro_like}
    if ids & _DPKG_IDS:
        return "dpkg"
    if ids & _RPM_IDS or any(i.startswith("opensuse") for i in ids):
        return "rpm"
    return None


def package_commands(read: PackageRead, platform: PlatformInfo | None) -> list[Command]:
    manager = package_manager(platform)
    if manager == "dpkg":
        return [dpkg_query(read.package)]
    if manager == "rpm":
        return [rpm_query(read.package)]
    return [dpkg_query(read.package), rpm_query(read.package)]


def commands_for(read: LinuxRead, platform: PlatformInfo | None = None) -> list[Command]:
    if isinstance(read, PackageRead):
        return package_commands(read, platform)
    if isinstance(read, CommandRead):
        return [command_read.argv_of(read)]
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


def parse_read(
    read: LinuxRead, results: Results, platform: PlatformInfo | None = None
) -> ReadValue:
    label = read.label()
    if isinstance(read, PackageRead):
        return _package(read, results, platform, label)
    if isinstance(read, CommandRead):
        return command_read.parse(read, results)
    if isinstance(read, FileRead):
        return _file(read, results, label)
    if isinstance(read, IniRead):
        missing, text = _text(results, read.ini, label)
        if missing is not None:
            return missing
        source = ReadFile(read.ini).key
        if read.separator == " " and read.section is None:
            value, include = keyword_value(text, read.key)
            if include is not None:
                return unknown_value(source, "include_not_read", read=label, path=include[:120])
        else:
            value = ini_value(text, read.section, read.key, read.separator)
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
    for raw in host_lines(text):
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


_KEYWORD = re.compile(r"(?P<name>[^\s=]+)\s*(?:=\s*)?(?P<value>.*)")


def keyword_value(text: str, key: str) -> tuple[str | None, str | None]:
    """(value, include) of `key` in a `keyword value` file, as sshd reads sshd_config: the
    keyword without regard to case, separated by blanks or one `=`, the first value
    wins, and nothing after the first `Match` (its settings are conditional). `include`
    names an `Include` met before the value (or anywhere, when there is none): the
    included files may set it first, and they are not read, so the value is not known."""
    wanted = key.lower()
    include: str | None = None
    for raw in host_lines(text):
        line = raw.strip()
        found = _KEYWORD.fullmatch(line) if line and not line.startswith("#") else None
        if found is None:
            continue
        name = found["name"].lower()
        if name == "match":
            break
        if name == "include":
            include = include or found["value"].strip() or "?"
        elif name == wanted:
            if include is not None:
                return None, include
            return found["value"].strip().strip('"'), None
    return None, include


def _unit(read: UnitRead, results: Results, label: str) -> ReadValue:
    command = unit_state(read.systemd)
    result = _get(results, command)
    if result is None or not result.ok:
        return _failed(result, command.key, label)
    props = dict(line.split("=", 1) for line in host_lines(result.stdout) if "=" in line)
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
        loaded = {line.split(" ", 1)[0] for line in host_lines(result.stdout) if line}
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
    for line in host_lines(config):
        words = line.split()
        if len(words) >= 2 and words[1].replace("-", "_") == module:
            if words[0] == "blacklist":
                return True
            if words[0] == "install" and len(words) == 3 and _NO_LOAD.match(words[2]):
                return True
    return False


def _package(
    read: PackageRead, results: Results, platform: PlatformInfo | None, label: str
) -> ReadValue:
    manager = package_manager(platform)
    if manager is None:
        # Not known from os-release: the manager whose program is there answers.
        queries = (("dpkg", dpkg_query(read.package)), ("rpm", rpm_query(read.package)))
        answered = [
            (name, command)
            for name, command in queries
            if (got := _get(results, command)) is not None and not got.not_found
        ]
        if len(answered) != 1:
            key = dpkg_query(read.package).key
            return unknown_value(key, "package_manager_unknown", read=label)
        manager = answered[0][0]
    if manager == "dpkg":
        return _dpkg(read, results, label)
    return _rpm(read, results, label)


def _dpkg(read: PackageRead, results: Results, label: str) -> ReadValue:
    command = dpkg_query(read.package)
    result = _get(results, command)
    if result is not None and result.exit_status == 1 and "no packages found" in result.stderr:
        return _not_installed(read, command.key)  # dpkg has never heard of it
    if result is None or not result.ok:
        return _failed(result, command.key, label)
    states: set[str] = set()
    versions: set[str] = set()
    for line in host_lines(result.stdout):  # one line per architecture (libc6:i386)
        status, _, version = line.partition("\t")
        states.add(status.strip())
        if status.strip() in _DPKG_INSTALLED:
            versions.add(version.strip())
    if not states or not states <= _DPKG_INSTALLED | _DPKG_NOT_INSTALLED:
        # half-installed, unpacked, ...: neither installed nor gone.
        return unknown_value(
            command.key, "package_state", read=label, state=", ".join(sorted(states))[:80]
        )
    if not versions:
        return _not_installed(read, command.key)
    return _installed(read, versions, command.key, "dpkg", label)


def _rpm(read: PackageRead, results: Results, label: str) -> ReadValue:
    command = rpm_query(read.package)
    result = _get(results, command)
    if result is not None and result.exit_status == 1 and "is not installed" in result.stdout:
        return _not_installed(read, command.key)
    if result is None or not result.ok:
        return _failed(result, command.key, label)
    versions = {line.strip() for line in host_lines(result.stdout) if line.strip()}
    if not versions:
        return unknown_value(command.key, "read_failed", read=label, output=result.excerpt(80))
    return _installed(read, versions, command.key, "rpm", label)


def _not_installed(read: PackageRead, source: str) -> ReadValue:
    if read.prop == "installed":
        return seen_value("bool", False, source)
    return absent_value("package", source)


def _installed(
    read: PackageRead, versions: set[str], source: str, manager: str, label: str
) -> ReadValue:
    if read.prop == "installed":
        return seen_value("bool", True, source)
    if len(versions) > 1:  # kernels, or two architectures at different versions
        return unknown_value(
            source, "package_versions", read=label, versions=", ".join(sorted(versions))[:200]
        )
    (version,) = versions
    return seen_value("text", version, source, manager)


def all_commands(reads: Sequence[LinuxRead], platform: PlatformInfo | None = None) -> list[Command]:
    out: dict[str, Command] = {}
    for read in reads:
        for command in commands_for(read, platform):
            out.setdefault(command.key, command)
    return list(out.values())
