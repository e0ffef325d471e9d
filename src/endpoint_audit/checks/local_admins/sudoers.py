"""Who sudoers lets run ALL commands as root: a parser for sudoers(5) text.

The files are host output, so every line is hostile input: nothing here raises on any
text. A line that looks like a user specification but cannot be read is returned as a
problem (the check then says unknown), never skipped: skipping it could hide a grant.

Read per sudoers(5): `\\` continues a line; `#` starts a comment unless it begins
`#include`/`#includedir` or a uid (`#1000`); `Defaults` lines set options; `User_Alias`,
`Runas_Alias`, `Cmnd_Alias` (and `Cmd_Alias`) name lists; a user specification is
`User_List Host_List = Cmnd_Spec_List [: Host_List = Cmnd_Spec_List ...]`, where a
command spec is `[(Runas)] [OPTION=value ...] [TAG: ...] command`. A grant counts when a
command is `ALL` (or an alias of it, not negated) and may run as root (no Runas list, or
one holding ALL, root or #0). The host list is not judged: a grant on any host counts.
"""

from __future__ import annotations

import re

from msgspec import Struct, field

from endpoint_audit.checkkit.lines import host_lines

ALIAS_KINDS = {
    "User_Alias": "user",
    "Runas_Alias": "runas",
    "Host_Alias": "host",
    "Cmnd_Alias": "cmnd",
    "Cmd_Alias": "cmnd",
}
TAGS = frozenset(
    {
        "EXEC",
        "NOEXEC",
        "FOLLOW",
        "NOFOLLOW",
        "LOG_INPUT",
        "NOLOG_INPUT",
        "LOG_OUTPUT",
        "NOLOG_OUTPUT",
        "MAIL",
        "NOMAIL",
        "INTERCEPT",
        "NOINTERCEPT",
        "PASSWD",
        "NOPASSWD",
        "SETENV",
        "NOSETENV",
    }
)
OPTIONS = frozenset(
    {
        "ROLE",
        "TYPE",
        "CWD",
        "CHROOT",
        "TIMEOUT",
        "NOTBEFORE",
        "NOTAFTER",
        "APPARMOR_PROFILE",
        "PRIVS",
        "LIMITPRIVS",
    }
)
ALIAS_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
INCLUDE = re.compile(r"^[#@](include|includedir)\s+(.+)$")
# A uid or gid in a list (#1000, %#1000) is a name, not a comment.
UID_START = re.compile(r"#-?\d")
MAX_ALIAS_DEPTH = 32


class Grantee(Struct, frozen=True):
    """A user-list item granted ALL: a user, `%group`, `#uid`, `%#gid`, `+netgroup` or ALL."""

    item: str
    where: str  # "<file>:<line>"


class Include(Struct, frozen=True):
    kind: str  # "include" or "includedir"
    path: str
    where: str


class Parsed(Struct):
    grantees: list[Grantee] = field(default_factory=list)
    includes: list[Include] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "<file>:<line>" of unread lines
    aliases: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    specs: list[tuple[list[str], str, str]] = field(default_factory=list)


def logical_lines(text: str) -> list[tuple[int, str]]:
    """Lines joined at a trailing backslash, numbered by their first physical line."""
    out: list[tuple[int, str]] = []
    buffer: list[str] = []
    start = 0
    for number, line in enumerate(host_lines(text), start=1):
        if not buffer:
            start = number
        if line.endswith("\\") and not line.endswith("\\\\"):
            buffer.append(line[:-1])
            continue
        buffer.append(line)
        out.append((start, " ".join(buffer)))
        buffer = []
    if buffer:
        out.append((start, " ".join(buffer)))
    return out


def strip_comment(line: str) -> str:
    """The line without its comment; `#` before digits (a uid) and escaped `\\#` stay."""
    quoted = False
    i = 0
    while i < len(line):
        char = line[i]
        if char == "\\":
            i += 2
            continue
        if char == '"':
            quoted = not quoted
        elif char == "#" and not quoted and not UID_START.match(line, i):
            return line[:i]
        i += 1
    return line


def split_top(text: str, separator: str) -> list[str]:
    """Split at `separator` outside quotes and parentheses, keeping escapes."""
    parts: list[str] = []
    depth = 0
    quoted = False
    current: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth = max(0, depth - 1)
        elif not quoted and depth == 0 and char == separator:
            parts.append("".join(current))
            current = []
            i += 1
            continue
        current.append(char)
        i += 1
    parts.append("".join(current))
    return parts


def words(text: str) -> list[str]:
    """Whitespace-separated words, quotes and escapes kept inside a word."""
    out: list[str] = []
    current: list[str] = []
    quoted = False
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if char == '"':
            quoted = not quoted
        if char.isspace() and not quoted:
            if current:
                out.append("".join(current))
                current = []
        else:
            current.append(char)
        i += 1
    if current:
        out.append("".join(current))
    return out


def unescape(item: str) -> str:
    item = item.strip()
    if len(item) >= 2 and item.startswith('"') and item.endswith('"'):
        item = item[1:-1]
    return re.sub(r"\\(.)", r"\1", item)


def list_items(text: str) -> list[str]:
    return [unescape(part) for part in split_top(text, ",") if part.strip()]


def _user_and_hosts(head: str) -> tuple[list[str], str] | None:
    """`User_List Host_List` before the first `=`: the lists are separated by blanks
    that do not follow or precede a comma."""
    joined = re.sub(r"\s*,\s*", ",", head.strip())
    parts = words(joined)
    if len(parts) != 2:
        return None
    return list_items(parts[0]), parts[1]


class _Reader:
    def __init__(self, parsed: Parsed) -> None:
        self.parsed = parsed

    def line(self, where: str, text: str) -> None:
        stripped = text.strip()
        include = INCLUDE.match(stripped)
        if include:
            path = unescape(include.group(2).strip())
            self.parsed.includes.append(Include(include.group(1), path, where))
            return
        stripped = strip_comment(stripped).strip()
        if not stripped:
            return
        first = stripped.split(None, 1)[0]
        if re.match(r"^Defaults([:@!>]|$)", first):
            return
        kind = ALIAS_KINDS.get(first)
        if kind is not None:
            self._aliases(where, kind, stripped[len(first) :])
            return
        self._spec(where, stripped)

    def _aliases(self, where: str, kind: str, rest: str) -> None:
        for definition in split_top(rest, ":"):
            name, sep, members = definition.partition("=")
            name = name.strip()
            if not sep or not ALIAS_NAME.match(name):
                self.parsed.problems.append(where)
                return
            self.parsed.aliases[(kind, name)] = list_items(members)

    def _spec(self, where: str, text: str) -> None:
        head, sep, rest = text.partition("=")
        users = _user_and_hosts(head) if sep else None
        if users is None or not rest.strip():
            self.parsed.problems.append(where)
            return
        self.parsed.specs.append((users[0], rest, where))


def read_file(parsed: Parsed, path: str, text: str) -> None:
    """Add one file's aliases, user specifications and includes to `parsed`."""
    reader = _Reader(parsed)
    for number, line in logical_lines(text):
        reader.line(f"{path}:{number}", line)


def _expand(parsed: Parsed, kind: str, items: list[str], depth: int = 0) -> list[tuple[bool, str]]:
    """(negated, item) pairs with aliases of `kind` replaced by their members."""
    out: list[tuple[bool, str]] = []
    for raw in items:
        negated = False
        item = raw
        while item.startswith("!"):
            negated = not negated
            item = item[1:].strip()
        members = parsed.aliases.get((kind, item))
        if members is not None and depth < MAX_ALIAS_DEPTH:
            out.extend((negated != n, m) for n, m in _expand(parsed, kind, members, depth + 1))
        else:
            out.append((negated, item))
    return out


def _runs_as_root(parsed: Parsed, runas: str | None) -> bool:
    """No Runas list means root; `(users:groups)` counts when its users name root."""
    if runas is None:
        return True
    users, _, _ = runas.partition(":")
    if not users.strip():
        return False  # (:group): the invoking user with another group, not root
    expanded = _expand(parsed, "runas", list_items(users))
    return any(not neg and item in ("ALL", "root", "#0") for neg, item in expanded)


def _command_specs(rest: str) -> list[list[str]] | None:
    """The command specs of `Host_List = spec, spec : Host_List = spec ...` after the
    first `=`, one list per host list. An unescaped `:` outside parentheses either ends
    a tag (`NOPASSWD:`) or starts another host list."""
    specs: list[str] = []
    pieces = split_top(rest, ":")
    current = pieces[0]
    for piece in pieces[1:]:
        tail = words(current)[-1] if words(current) else ""
        if tail in TAGS:
            current = f"{current}: {piece}"
            continue
        specs.append(current)
        _hosts, sep, after = piece.partition("=")
        if not sep:
            return None
        current = after
    specs.append(current)
    return [split_top(chunk, ",") for chunk in specs]


def _grants_all(parsed: Parsed, rest: str) -> bool | None:
    """Whether a command spec list grants ALL as root; None when it cannot be read."""
    groups = _command_specs(rest)
    if groups is None:
        return None
    for specs in groups:
        granted = _group_grants_all(parsed, specs)
        if granted is not False:
            return granted
    return False


def _group_grants_all(parsed: Parsed, specs: list[str]) -> bool | None:
    # A Runas list holds for the commands after it, up to the next one or host list.
    runas: str | None = None
    for spec in specs:
        text = spec.strip()
        if text.startswith("("):
            close = text.find(")")
            if close < 0:
                return None
            runas, text = text[1:close], text[close + 1 :].strip()
        parts = words(text)
        while parts and (parts[0].rstrip(":") in TAGS or parts[0].partition("=")[0] in OPTIONS):
            if parts[0].partition("=")[0] in OPTIONS and parts[0].endswith("="):
                parts = parts[2:]  # OPTION= value
            else:
                parts = parts[1:]
        if not parts:
            return None
        command = unescape(parts[0])
        expanded = _expand(parsed, "cmnd", [command])
        if any(not neg and item == "ALL" for neg, item in expanded) and _runs_as_root(
            parsed, runas
        ):
            return True
    return False


def grantees(parsed: Parsed) -> None:
    """Fill `parsed.grantees` from its user specifications (after every file is read, so
    aliases defined in any file count)."""
    for users, rest, where in parsed.specs:
        grants = _grants_all(parsed, rest)
        if grants is None:
            parsed.problems.append(where)
            continue
        if grants:
            for negated, item in _expand(parsed, "user", users):
                if not negated and item:
                    parsed.grantees.append(Grantee(item, where))
