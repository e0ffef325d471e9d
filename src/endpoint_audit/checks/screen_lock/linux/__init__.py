"""Screen lock on Linux: which users sit at a desktop, and what their lock settings are.

Round 1 asks whether a desktop is installed, which login sessions exist, and reads the
system-wide settings (dconf profile and keyfiles listing, /etc/xdg/kscreenlockerrc).
Round 2 asks each session what it is (`loginctl show-session`), finds each user's home,
and reads the dconf keyfiles. Round 3 reads each graphical user's own settings, as that
user: GSettings through `runuser` with a clean environment for GNOME, the user's
kscreenlockerrc for KDE. Root's own settings are never read in place of a user's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from msgspec import Struct

from endpoint_audit.checkkit.collector import Collector, Results, json_output, require
from endpoint_audit.checkkit.lines import host_lines
from endpoint_audit.checks.screen_lock.facts import ScreenLockFacts, UserScreenLock
from endpoint_audit.checks.screen_lock.linux import gnome, kde
from endpoint_audit.errors import CollectorError, FactUnavailable
from endpoint_audit.model.capabilities import Capability
from endpoint_audit.model.commands import Argv, Command, CommandResult, ReadFile
from endpoint_audit.model.observed import Observed, Reason, Seen, Unknown, seen, unknown
from endpoint_audit.model.platform import OsFamily, PlatformInfo

# Evidence that a desktop is installed: session files, desktop shells, display managers.
DESKTOP_PATHS = (
    "/usr/share/xsessions",
    "/usr/share/wayland-sessions",
    "/usr/bin/gnome-shell",
    "/usr/bin/plasmashell",
    "/usr/sbin/gdm3",
    "/usr/sbin/gdm",
    "/usr/bin/sddm",
    "/usr/sbin/lightdm",
)
FIND_DESKTOP = Argv(("find", *DESKTOP_PATHS, "-maxdepth", "1", "!", "-type", "d"))
SESSIONS = Argv(("loginctl", "list-sessions", "-o", "json"))
DCONF_PROFILE = ReadFile("/etc/dconf/profile/user")
# Keyfiles, lock files and the compiled databases, with modification times.
DCONF_FILES = Argv(
    ("find", "/etc/dconf/db", "-maxdepth", "3", "-type", "f", "-printf", "%T@ %p\\n")
)
KDE_SYSTEM = ReadFile("/etc/xdg/kscreenlockerrc")

MAX_SESSIONS = 32
MAX_KEYFILES = 64
GRAPHICAL_TYPES = frozenset({"x11", "wayland", "mir"})
USER_CLASSES = frozenset({"user", "user-early"})

# Names and ids from host output become argv words: accept only the ordinary shapes, so a
# hostile value can never pass as an option.
_SESSION_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
_USER_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}\$?$")
_HOME = re.compile(r"^/[^\x00-\x1f]*$")


def show_session(session: str) -> Argv:
    properties = ("Name", "Type", "Class", "Desktop", "Remote", "State")
    words = [w for p in properties for w in ("-p", p)]
    return Argv(("loginctl", "show-session", session, *words))


def passwd_entry(user: str) -> Argv:
    return Argv(("getent", "passwd", user))


def gsettings_as(user: GraphicalUser, schema: str) -> Argv:
    """`gsettings list-recursively` as the user, with only that user's environment: HOME
    selects the user's dconf database and nothing of the caller's leaks in."""
    runtime = f"/run/user/{user.uid}"
    return Argv(
        (
            "runuser",
            "-u",
            user.name,
            "--",
            "env",
            "-i",
            f"HOME={user.home}",
            f"USER={user.name}",
            f"LOGNAME={user.name}",
            f"XDG_RUNTIME_DIR={runtime}",
            f"DBUS_SESSION_BUS_ADDRESS=unix:path={runtime}/bus",
            "PATH=/usr/local/bin:/usr/bin:/bin",
            "LC_ALL=C",
            "gsettings",
            "list-recursively",
            schema,
        ),
        privileged=True,
    )


def kde_user_file(home: str) -> ReadFile:
    return ReadFile(f"{home.rstrip('/')}/.config/kscreenlockerrc", privileged=True)


# --- round 1: is there a desktop, and who is logged on ----------------------------------


def graphical_installed(result: CommandResult) -> tuple[Observed[bool], str]:
    """From `find` over the desktop paths: what exists is printed, the rest is an error."""
    if result.not_found:
        return unknown("screen_lock.reason.find_missing"), ""
    found = [line.strip() for line in host_lines(result.stdout) if line.strip()]
    if found:
        shown = ", ".join(found[:6]) + (" …" if len(found) > 6 else "")
        return seen(True), shown
    errors = [line for line in host_lines(result.stderr) if line.strip()]
    if all("No such file or directory" in line for line in errors):
        return seen(False), "∅"  # data: nothing of the desktop paths exists
    why = unknown(
        "screen_lock.reason.find_failed", status=result.exit_status, output=result.excerpt(200)
    )
    return why, ""


class Session(Struct, frozen=True):
    id: str
    uid: int | None
    user: str


def list_sessions(result: CommandResult) -> list[Session]:
    """Sessions from `loginctl list-sessions -o json`, or from its table when an older
    systemd ignores `-o json` for this verb (header `SESSION UID USER ...`, footer
    `N sessions listed.`)."""
    rows: list[tuple[str, object, str]] = []
    if result.stdout.lstrip().startswith("["):
        data = json_output(result, "loginctl list-sessions -o json")
        if not isinstance(data, list):
            raise CollectorError("loginctl list-sessions -o json: expected a list")
        rows = [
            (str(item.get("session", "")), item.get("uid"), str(item.get("user", "")))
            for item in data
            if isinstance(item, dict)
        ]
    else:
        lines = [line.split() for line in host_lines(result.stdout) if line.strip()]
        if not lines or lines[0][:3] != ["SESSION", "UID", "USER"]:
            raise CollectorError(
                f"loginctl list-sessions: neither JSON nor a session table: {result.excerpt(200)}"
            )
        rows = [
            (words[0], int(words[1]), words[2])
            for words in lines[1:]
            if len(words) >= 3 and words[1].isdigit()
        ]
    out = []
    for sid, uid, user in rows[:MAX_SESSIONS]:
        if _SESSION_ID.match(sid) and _USER_NAME.match(user):
            out.append(Session(sid, uid if isinstance(uid, int) else None, user))
    return out


def _sessions(results: Results) -> list[Session] | None:
    result = results.get(SESSIONS.key)
    if result is None or not result.ok:
        return None
    try:
        return list_sessions(result)
    except CollectorError:
        return None


def _graphical(results: Results) -> bool | None:
    result = results.get(FIND_DESKTOP.key)
    if result is None:
        return None
    graphical = graphical_installed(result)[0]
    return graphical.value if isinstance(graphical, Seen) else None


# --- round 2: what each session is, and where users live --------------------------------


def parse_properties(text: str) -> dict[str, str]:
    out = {}
    for line in host_lines(text):
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out


def desktop_family(desktop: str) -> str:
    """gnome, kde or other, from logind's Desktop (XDG_SESSION_DESKTOP) value."""
    tokens = [t for t in re.split(r"[:;,\s]+", desktop.lower()) if t]
    if any("gnome" in t or t in ("ubuntu", "pop", "zorin") for t in tokens):
        return "gnome"
    if any(t in ("kde", "plasma", "plasmawayland", "kde-plasma") for t in tokens):
        return "kde"
    return "other"


class GraphicalUser(Struct, frozen=True):
    name: str
    uid: int | None
    desktop: str  # as logind reports it
    home: str | None

    @property
    def family(self) -> str:
        return desktop_family(self.desktop)


def graphical_users(results: Results, sessions: list[Session]) -> list[GraphicalUser]:
    """Users with a graphical user session (not the greeter), one entry per user."""
    users: dict[str, GraphicalUser] = {}
    for session in sessions:
        shown = results.get(show_session(session.id).key)
        if shown is None or not shown.ok:
            continue
        props = parse_properties(shown.stdout)
        if props.get("Type") not in GRAPHICAL_TYPES or props.get("Class") not in USER_CLASSES:
            continue
        if props.get("State", "active") == "closing" or session.user in users:
            continue
        users[session.user] = GraphicalUser(
            name=session.user,
            uid=session.uid,
            desktop=props.get("Desktop", ""),
            home=_home(results, session.user),
        )
    return list(users.values())


def _home(results: Results, user: str) -> str | None:
    entry = results.get(passwd_entry(user).key)
    if entry is None or not entry.ok:
        return None
    fields = entry.stdout.strip().split(":")
    if len(fields) < 7 or not _HOME.match(fields[5]) or fields[5] == "/":
        return None
    return fields[5]


def _dconf_files(results: Results) -> list[gnome.DatabaseFiles] | None:
    profile = results.get(DCONF_PROFILE.key)
    listing = results.get(DCONF_FILES.key)
    if profile is None or listing is None:
        return None
    names, _ = gnome.system_databases(profile)
    if not names:
        return []
    return gnome.database_files(gnome.parse_listing(listing.stdout), names, MAX_KEYFILES)


# --- parse: one UserScreenLock per graphical user ----------------------------------------


class SystemGnome(Struct, frozen=True):
    locked: dict[str, gnome.Locked]
    note: str  # why enforcement is unknown or absent, for the detail
    known: bool  # whether the system databases could be read at all


def system_gnome(results: Results) -> SystemGnome:
    profile = require(results, DCONF_PROFILE)
    names, note = gnome.system_databases(profile)
    if not names:
        readable = profile.ok or "No such file" in profile.stderr
        return SystemGnome({}, note, readable)
    listing = require(results, DCONF_FILES)
    if not listing.ok and not listing.stdout.strip():
        return SystemGnome({}, f"/etc/dconf/db: {listing.excerpt(200)}", False)
    files = gnome.database_files(gnome.parse_listing(listing.stdout), names, MAX_KEYFILES)
    stale = [f.name for f in files if f.stale]
    if stale:
        return SystemGnome(
            {},
            # Data: keyfiles newer than the compiled database may not be in force.
            ", ".join(f"/etc/dconf/db/{n}.d > /etc/dconf/db/{n}" for n in stale)
            + " (`dconf update`)",
            False,
        )
    contents = {
        path: results[ReadFile(path).key]
        for f in files
        for path in (*f.keyfiles, *f.lockfiles)
        if ReadFile(path).key in results
    }
    unread = [p for p, r in contents.items() if not r.ok]
    databases = [gnome.load_database(f, contents) for f in files]
    note = f"could not read {', '.join(unread)}" if unread else ""
    return SystemGnome(gnome.locked_values(databases), note, not unread)


def _gsettings_problem(result: CommandResult) -> Reason | None:
    """Why a gsettings result cannot be trusted (gnome.gsettings_problem), as a Reason."""
    if gnome.gsettings_problem(result) is None:
        return None
    if result.exit_status == 126 or "non-root" in result.stderr:
        return Reason(
            key="screen_lock.reason.other_user_needs_root", args={"output": result.excerpt(200)}
        )
    if result.not_found:
        return Reason(key="screen_lock.reason.gsettings_missing")
    if result.ok or ("memory" in result.stderr and "backend" in result.stderr.lower()):
        return Reason(key="screen_lock.reason.gsettings_no_backend")
    return Reason(
        key="screen_lock.reason.gsettings_failed",
        args={"status": result.exit_status, "output": result.excerpt(200)},
    )


def _setting(
    effective: dict[str, gnome.Value], key: str, kind: type[int], unread: Unknown | None
) -> Observed[int]:
    """A GSettings integer in force; when absent, why: the user's settings were not read
    (`unread`), or they did not hold it."""
    value = effective.get(key)
    if isinstance(value, kind) and not isinstance(value, bool):
        return seen(value)
    return unread or unknown("screen_lock.reason.key_not_read", setting=key)


def _gnome_lock_enabled(
    effective: dict[str, gnome.Value], unread: Unknown | None
) -> Observed[bool]:
    """Whether GNOME Shell locks the screen: lock-enabled on and the lockdown key
    disable-lock-screen off (gnome.py). Either one known to be off is enough to say no;
    a yes needs both read."""
    enabled = effective.get(gnome.LOCK_ENABLED)
    disabled = effective.get(gnome.DISABLE_LOCK_SCREEN)
    if enabled is False or disabled is True:
        return seen(False)
    for key, value in ((gnome.LOCK_ENABLED, enabled), (gnome.DISABLE_LOCK_SCREEN, disabled)):
        if not isinstance(value, bool):
            return unread or unknown("screen_lock.reason.key_not_read", setting=key)
    return seen(True)


def gnome_user(user: GraphicalUser, results: Results, system: SystemGnome) -> UserScreenLock:
    effective: dict[str, gnome.Value] = {}
    problem: Reason | None = None
    if user.home is None or user.uid is None:
        problem = Reason(key="screen_lock.reason.home_or_uid_unknown")
    else:
        for schema in gnome.SCHEMAS:
            result = results.get(gsettings_as(user, schema).key)
            if result is None:
                problem = Reason(key="screen_lock.reason.gsettings_not_run")
                break
            problem = _gsettings_problem(result)
            if problem:
                break
            effective.update(gnome.parse_gsettings(result.stdout))
    notes: list[str] = []
    if problem:
        effective = {}
        # Data, the same in every language; the message says why in the reader's language.
        notes.append("gsettings: ?")
    for key, locked in system.locked.items():
        if locked.value is None:
            continue
        if key in effective and effective[key] != locked.value:
            notes.append(
                f"{key}: dconf db {locked.database} = {locked.value} ≠ {effective[key]} "
                "(`dconf update`)"
            )
        effective.setdefault(key, locked.value)
    enforced: bool | None = all(
        k in system.locked and system.locked[k].value is not None for k in gnome.KEYS
    ) and not any("dconf update" in n for n in notes)
    if not enforced and not system.known:
        enforced = None
    if system.note:
        notes.append(system.note)
    # Values locked by system policy are in force even where the user's were not read.
    unread = Unknown(reason=problem) if problem else None
    lockdown = effective.get(gnome.DISABLE_LOCK_SCREEN) is True
    if lockdown:
        notes.insert(0, f"{gnome.DISABLE_LOCK_SCREEN} = true")
    return UserScreenLock(
        user=user.name,
        desktop="gnome",
        lock_enabled=_gnome_lock_enabled(effective, unread),
        lock_screen_disabled=lockdown,
        idle_seconds=_setting(effective, gnome.IDLE_DELAY, int, unread),
        lock_delay_seconds=_setting(effective, gnome.LOCK_DELAY, int, unread),
        enforced_by_policy=seen(enforced)
        if enforced is not None
        else unknown("screen_lock.reason.dconf_system_unread"),
        detail="; ".join(notes),
    )


def kde_user(user: GraphicalUser, results: Results) -> UserScreenLock:
    system_file = require(results, KDE_SYSTEM)
    system = kde.parse_kscreenlockerrc(system_file.stdout) if system_file.ok else kde.KConfig()
    user_config: kde.KConfig | None = None
    problem = unknown("screen_lock.reason.kde_user_file_not_read")
    if user.home is None:
        problem = unknown("screen_lock.reason.home_unknown")
    else:
        result = results.get(kde_user_file(user.home).key)
        if result is None:
            pass
        elif result.ok:
            user_config = kde.parse_kscreenlockerrc(result.stdout)
        elif "No such file" in result.stderr:
            user_config = kde.KConfig()  # nothing set by the user: system values apply
        elif result.exit_status == 126 or "Permission denied" in result.stderr:
            problem = unknown(
                "screen_lock.reason.other_user_needs_root", output=result.excerpt(200)
            )
        else:
            problem = unknown("screen_lock.reason.kde_user_file_unread", output=result.excerpt(200))
    lock = kde.effective(system, user_config)

    def observed(value: int | None, key: str) -> Observed[int]:
        if value is not None:
            return seen(value)
        # Not set where it would be read (the user's file, unread) or not understood.
        return (
            problem
            if key in lock.missing
            else unknown("screen_lock.reason.key_not_read", setting=key)
        )

    return UserScreenLock(
        user=user.name,
        desktop="kde",
        lock_enabled=seen(lock.lock_enabled)
        if lock.lock_enabled is not None
        else (
            problem
            if any(k in lock.missing for k in kde.SWITCHES)
            else unknown("screen_lock.reason.key_not_read", setting=_unread_switch(lock))
        ),
        idle_seconds=observed(lock.idle_seconds, kde.TIMEOUT),
        lock_delay_seconds=observed(lock.lock_delay_seconds, kde.LOCK_GRACE),
        enforced_by_policy=seen(lock.enforced),
        detail=_kde_detail(lock),
    )


def _unread_switch(lock: kde.KdeLock) -> str:
    """The switches whose values were read but are no boolean."""
    return ", ".join(lock.unclear) or kde.AUTOLOCK


def _kde_detail(lock: kde.KdeLock) -> str:
    # Data notation: the switches set false, then the entries left unread.
    parts = [f"{k}=false" for k in lock.off] + [f"{k} = ?" for k in lock.missing]
    return f"kscreenlockerrc: {', '.join(parts)}" if parts else ""


class LinuxScreenLock(Collector[ScreenLockFacts]):
    family = OsFamily.LINUX
    fact_type = ScreenLockFacts

    def commands(self, platform: PlatformInfo, results: Results) -> Sequence[Command]:
        wanted: list[Command] = [FIND_DESKTOP, SESSIONS, DCONF_PROFILE, DCONF_FILES, KDE_SYSTEM]
        if _graphical(results) is False or not platform.can(Capability.FOLLOW_UPS):
            # A probe script cannot run the per-session and per-user follow-ups (they
            # carry ids and names from this round's output); parse() says unknown.
            return wanted
        sessions = _sessions(results) or []
        wanted += [show_session(s.id) for s in sessions]
        wanted += [passwd_entry(u) for u in dict.fromkeys(s.user for s in sessions)]
        for files in _dconf_files(results) or []:
            wanted += [ReadFile(p) for p in (*files.keyfiles, *files.lockfiles)]
        for user in graphical_users(results, sessions):
            if user.home is None:
                continue
            if user.family == "gnome" and user.uid is not None:
                wanted += [gsettings_as(user, schema) for schema in gnome.SCHEMAS]
            elif user.family == "kde":
                wanted.append(kde_user_file(user.home))
        return wanted

    def parse(self, results: Results, platform: PlatformInfo) -> ScreenLockFacts:
        graphical, detail = graphical_installed(require(results, FIND_DESKTOP))
        if isinstance(graphical, Seen) and graphical.value is False:
            return ScreenLockFacts(graphical=graphical, graphical_detail=detail)
        listed = require(results, SESSIONS)
        if not listed.ok:
            return ScreenLockFacts(
                graphical=graphical,
                graphical_detail=detail,
                users=unknown("screen_lock.reason.sessions_unlisted", output=listed.excerpt(200)),
            )
        sessions = list_sessions(listed)
        if sessions and not platform.can(Capability.FOLLOW_UPS):
            raise FactUnavailable(Reason(key="screen_lock.reason.probe_script_no_users"))
        users = graphical_users(results, sessions)
        if not users:
            unseen = [s.id for s in sessions if show_session(s.id).key not in results]
            nobody = (
                unknown("screen_lock.reason.nobody_graphical_unseen", sessions=", ".join(unseen))
                if unseen
                else unknown("screen_lock.reason.nobody_graphical")
            )
            return ScreenLockFacts(graphical=graphical, graphical_detail=detail, users=nobody)
        system = system_gnome(results)
        entries: list[UserScreenLock] = []
        for user in users:
            if user.family == "gnome":
                entries.append(gnome_user(user, results, system))
            elif user.family == "kde":
                entries.append(kde_user(user, results))
            else:
                entries.append(_other_desktop(user))
        return ScreenLockFacts(
            graphical=seen(True), graphical_detail=detail, users=seen(tuple(entries))
        )


def _other_desktop(user: GraphicalUser) -> UserScreenLock:
    shown = user.desktop or "-"
    why = unknown("screen_lock.reason.other_desktop", desktop=shown)
    return UserScreenLock.unread(user.name, "other", why, detail=f"desktop {shown}")
