"""GNOME screen-lock settings: system dconf keyfiles and locks, and a user's GSettings.

GNOME reads `org.gnome.desktop.session idle-delay` (seconds idle before the screen blanks,
0 = never) and `org.gnome.desktop.screensaver lock-enabled` / `lock-delay` (seconds after
blanking before the lock). `org.gnome.desktop.lockdown disable-lock-screen` (boolean,
default false: GNOME/gsettings-desktop-schemas
schemas/org.gnome.desktop.lockdown.gschema.xml.in) overrides them all: while it is true,
GNOME/gnome-shell js/ui/screenShield.js `lock()` returns without locking ("Screen lock is
locked down, not locking"), so the screen never locks whatever lock-enabled says (the
same in both at tag 46.0, Ubuntu 24.04's, and on their main branches).
Administrators set defaults in keyfiles under
/etc/dconf/db/<db>.d/ and lock keys in /etc/dconf/db/<db>.d/locks/ (CIS Ubuntu 1.7.4 and
1.7.5); those apply only to databases that /etc/dconf/profile/user names (`system-db:`).

`dconf compile` reads the keyfiles of one database in reverse alphabetical order and keeps
the first value it meets, so the file that sorts last wins. A lock in a database makes
every database above it in the profile (the user's own first of all) ignored for that key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from msgspec import Struct, field

from endpoint_audit.checkkit.lines import host_lines
from endpoint_audit.model.commands import CommandResult

SESSION_SCHEMA = "org.gnome.desktop.session"
SCREENSAVER_SCHEMA = "org.gnome.desktop.screensaver"
LOCKDOWN_SCHEMA = "org.gnome.desktop.lockdown"
# Each is read with one `gsettings list-recursively` per user.
SCHEMAS = (SESSION_SCHEMA, SCREENSAVER_SCHEMA, LOCKDOWN_SCHEMA)

IDLE_DELAY = f"/{SESSION_SCHEMA.replace('.', '/')}/idle-delay"
LOCK_ENABLED = f"/{SCREENSAVER_SCHEMA.replace('.', '/')}/lock-enabled"
LOCK_DELAY = f"/{SCREENSAVER_SCHEMA.replace('.', '/')}/lock-delay"
DISABLE_LOCK_SCREEN = f"/{LOCKDOWN_SCHEMA.replace('.', '/')}/disable-lock-screen"
# The settings count as enforced only when every one is set and locked: a user free to set
# disable-lock-screen can turn the lock off whatever the other locks say.
KEYS = (IDLE_DELAY, LOCK_ENABLED, LOCK_DELAY, DISABLE_LOCK_SCREEN)

_DB_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_INTEGER = re.compile(r"^(?:u?int(?:16|32|64)\s+|byte\s+)?(\d+)$")

Value = bool | int


def parse_value(text: str) -> Value | None:
    """A GVariant text value as dconf and gsettings print it: `true`, `uint32 300`, `300`."""
    text = text.strip()
    if text in ("true", "false"):
        return text == "true"
    match = _INTEGER.match(text)
    return int(match.group(1)) if match else None


def system_databases(profile: CommandResult) -> tuple[list[str], str]:
    """The `system-db:` names of /etc/dconf/profile/user in order, and a note."""
    if not profile.ok:
        if "No such file" in profile.stderr:
            return [], "/etc/dconf/profile/user: ∅"  # data: no profile, no system keyfiles
        return [], f"/etc/dconf/profile/user: {profile.excerpt(200)}"
    names = []
    for raw in host_lines(profile.stdout):
        line = raw.split("#", 1)[0].strip()
        if line.startswith("system-db:"):
            name = line.partition(":")[2].strip()
            if _DB_NAME.match(name):
                names.append(name)
    if not names:
        return [], "/etc/dconf/profile/user names no system database"
    return names, ""


def parse_listing(text: str) -> dict[str, float]:
    """`find /etc/dconf/db -type f -printf '%T@ %p\\n'`: modification time per path."""
    out: dict[str, float] = {}
    for line in host_lines(text):
        stamp, sep, path = line.strip().partition(" ")
        if not sep:
            continue
        try:
            out[path] = float(stamp)
        except ValueError:
            continue
    return out


class DatabaseFiles(Struct, frozen=True):
    name: str
    keyfiles: tuple[str, ...]  # sorted by name, so the last one wins
    lockfiles: tuple[str, ...]
    # The keyfiles take effect only once `dconf update` compiles them into
    # /etc/dconf/db/<name>; a source newer than that (or no compiled file) means the
    # settings in force are not the ones the keyfiles show.
    stale: bool = False


def database_files(
    listing: Mapping[str, float], names: Iterable[str], limit: int
) -> list[DatabaseFiles]:
    """Keyfiles and lock files of each named database, at most `limit` of each kind."""
    out = []
    for name in names:
        base = f"/etc/dconf/db/{name}.d/"
        keyfiles, lockfiles = [], []
        for path in sorted(listing):
            if not path.startswith(base):
                continue
            parts = path[len(base) :].split("/")
            if any(p.startswith(".") for p in parts):
                continue  # dconf skips hidden files (editor swap files)
            if len(parts) == 1:
                keyfiles.append(path)
            elif len(parts) == 2 and parts[0] == "locks":
                lockfiles.append(path)
        sources = keyfiles + lockfiles
        compiled = listing.get(f"/etc/dconf/db/{name}")
        stale = bool(sources) and (compiled is None or any(listing[p] > compiled for p in sources))
        out.append(DatabaseFiles(name, tuple(keyfiles[:limit]), tuple(lockfiles[:limit]), stale))
    return out


def parse_keyfile(text: str) -> dict[str, str]:
    """A dconf keyfile: `[org/gnome/desktop/session]` groups, `key=value` lines."""
    values: dict[str, str] = {}
    group = None
    for raw in host_lines(text):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            group = line[1:-1].strip().strip("/")
            continue
        key, sep, value = line.partition("=")
        if sep and group is not None:
            values[f"/{group}/{key.strip()}"] = value.strip()
    return values


def parse_locks(text: str) -> set[str]:
    return {line.strip() for line in host_lines(text) if line.strip().startswith("/")}


class Database(Struct):
    name: str
    values: dict[str, str] = field(default_factory=dict)
    locks: set[str] = field(default_factory=set)


def load_database(files: DatabaseFiles, contents: Mapping[str, CommandResult]) -> Database:
    """Merge one database's files as `dconf compile` does. Unreadable files are skipped
    here and reported by the caller."""
    db = Database(files.name)
    for path in files.keyfiles:  # sorted: a later file overrides an earlier one
        result = contents.get(path)
        if result is not None and result.ok:
            db.values.update(parse_keyfile(result.stdout))
    for path in files.lockfiles:
        result = contents.get(path)
        if result is not None and result.ok:
            db.locks |= parse_locks(result.stdout)
    return db


class Locked(Struct, frozen=True):
    """A key fixed by a system database lock. `value` is None when no database at or
    below the lock sets it (the schema default applies, which only GSettings knows)."""

    value: Value | None
    database: str


def locked_values(databases: list[Database]) -> dict[str, Locked]:
    out: dict[str, Locked] = {}
    for key in KEYS:
        lowest = max((i for i, db in enumerate(databases) if key in db.locks), default=None)
        if lowest is None:
            continue
        value = next(
            (parse_value(db.values[key]) for db in databases[lowest:] if key in db.values),
            None,
        )
        out[key] = Locked(value=value, database=databases[lowest].name)
    return out


def parse_gsettings(text: str) -> dict[str, Value]:
    """`gsettings list-recursively SCHEMA` lines: `schema key value`."""
    out: dict[str, Value] = {}
    for line in host_lines(text):
        parts = line.split(None, 2)
        if len(parts) != 3:
            continue
        value = parse_value(parts[2])
        if value is not None:
            out[f"/{parts[0].replace('.', '/')}/{parts[1]}"] = value
    return out


def gsettings_problem(result: CommandResult) -> str | None:
    """Why a gsettings result cannot be trusted, or None.

    Without the dconf GSettings backend, gsettings falls back to the 'memory' backend and
    prints schema defaults, which say nothing about the user's real settings.
    """
    if result.not_found:
        return "gsettings is not installed"
    if "memory" in result.stderr and "backend" in result.stderr.lower():
        return "gsettings has no dconf backend and would print defaults only"
    if not result.ok:
        return f"exit {result.exit_status}: {result.excerpt(200)}"
    return None
