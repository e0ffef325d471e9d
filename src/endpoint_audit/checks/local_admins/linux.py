"""local_admins on Linux: accounts with uid 0, the members of the administrator groups
(`sudo`, `wheel`, `admin`) and of the groups that are root by another door (`docker`,
`lxd`, `incus-admin`, `disk`): /etc/group lists plus the primary group in /etc/passwd,
and whoever sudoers lets run ALL as root.

sudoers is readable by root only. One constant command reads /etc/sudoers and every entry
of /etc/sudoers.d (what `#includedir /etc/sudoers.d` reads), and the same under /usr/etc
(openSUSE's, which sudo reads when /etc/sudoers is absent), so a probe script runs it as
it is: `find` prints a header per entry, and each readable file's bytes after a header
giving their length, which no file content can forge. An entry it cannot read is named
in the output and makes the sudoers grants unknown, as does an include outside these
paths or a line the parser cannot read.
"""

from __future__ import annotations

from msgspec import Struct

from endpoint_audit.checkkit import Collector, Results, require
from endpoint_audit.checkkit.lines import host_lines
from endpoint_audit.checks.local_admins import sudoers, sudoers_files
from endpoint_audit.checks.local_admins.facts import AdminMember, LocalAdminsFacts
from endpoint_audit.checks.local_admins.sudoers_files import Frames, read_frames
from endpoint_audit.model.commands import Argv, CommandResult, ReadFile
from endpoint_audit.model.observed import Observed, Reason, seen, unknown
from endpoint_audit.model.platform import OsFamily, PlatformInfo

PASSWD = ReadFile("/etc/passwd")
GROUP = ReadFile("/etc/group")
SUDOERS_PATH = "/etc/sudoers"
SUDOERS_DIR = "/etc/sudoers.d"
# openSUSE ships its sudoers under /usr/etc, read by sudo when /etc/sudoers is absent.
VENDOR_SUDOERS_PATH = "/usr/etc/sudoers"
VENDOR_SUDOERS_DIR = "/usr/etc/sudoers.d"
INCLUDE_DIRS = (SUDOERS_DIR, VENDOR_SUDOERS_DIR)
_KEPT = (
    SUDOERS_PATH,
    SUDOERS_DIR,
    f"{SUDOERS_DIR}/*",
    "/usr/etc",
    VENDOR_SUDOERS_PATH,
    VENDOR_SUDOERS_DIR,
    f"{VENDOR_SUDOERS_DIR}/*",
)
# Starts at /etc and /usr, which always exist, so a PC without sudo prints nothing and
# exits 0; everything but the sudoers paths is pruned where it is met.
SUDOERS_FILES = Argv(
    (
        "find",
        "-L",
        "/etc",
        "/usr",
        "-mindepth",
        "1",
        "-maxdepth",
        "3",
        *[word for path in _KEPT for word in ("!", "-path", path)],
        "-prune",
        "-o",
        "-type",
        "d",
        "-readable",
        "-printf",
        "D %p\\n",
        "-o",
        "-type",
        "d",
        "-printf",
        "U %p\\n",
        "-o",
        "-type",
        "f",
        "-readable",
        "-printf",
        "F %s %p\\n",
        "-exec",
        "cat",
        "{}",
        ";",
        "-o",
        "-type",
        "f",
        "-printf",
        "U %p\\n",
        "-o",
        "-printf",
        "O %p\\n",
    ),
    privileged=True,
)
# The groups whose members are administrators on Debian/Ubuntu (sudo, admin) and
# RHEL/Fedora/SUSE (wheel) whatever sudoers says: their default sudoers grant them ALL,
# and pam_wheel lets wheel use su.
ADMIN_GROUPS = ("sudo", "wheel", "admin")
# Groups whose members can make themselves root without sudo, so they hold administrator
# rights whatever sudoers says: docker ("grants root-level privileges", Docker's Linux
# post-install guide), lxd and incus-admin (their projects' security docs: membership is
# equivalent to root), and disk (raw access to the disks; Debian base-passwd's
# users-and-groups: "Mostly equivalent to root access").
ROOT_EQUIVALENT_GROUPS = ("docker", "lxd", "incus-admin", "disk")


class Account(Struct, frozen=True):
    name: str
    uid: int | None
    gid: int | None


def number(text: str) -> int | None:
    """A uid or gid as the C library reads it: "00" and "0" are both root. None for
    anything else ("+0", "-1", "0x0", past 32 bits), which the caller must not trust."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value < 2**32 else None


def accounts(text: str) -> list[Account]:
    """/etc/passwd entries (name:password:uid:gid:...); malformed lines are skipped."""
    out = []
    for line in host_lines(text):
        fields = line.split(":")
        if len(fields) >= 4 and fields[0] and not fields[0].startswith(("+", "-", "#")):
            out.append(Account(fields[0], number(fields[2]), number(fields[3])))
    return out


class GroupTable(dict[str, tuple[int | None, list[str]]]):
    """/etc/group as name -> (gid of its first line, members listed on any of its lines),
    and every line as it is (`lines`)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[tuple[str, int | None, list[str]]] = []


def groups(text: str) -> GroupTable:
    """/etc/group as name -> (gid, listed members). A name on several lines keeps the
    first gid (getgrnam) and the members of all: getgrouplist reads every line."""
    out = GroupTable()
    for line in host_lines(text):
        fields = line.split(":")
        if len(fields) >= 4 and fields[0] and not fields[0].startswith(("+", "-", "#")):
            members = [m.strip() for m in fields[3].split(",") if m.strip()]
            gid = number(fields[2])
            out.lines.append((fields[0], gid, members))
            known = out.get(fields[0])
            if known is None:
                out[fields[0]] = (gid, members)
            else:
                out[fields[0]] = (known[0], known[1] + [m for m in members if m not in known[1]])
    return out


def group_members(
    name: str, table: dict[str, tuple[int | None, list[str]]], users: list[Account]
) -> list[tuple[str, str]] | None:
    """(user, via) for a local group's listed members and users whose primary group it
    is; None when /etc/group has no such group. A user listed on another line with the
    group's gid has that gid too (getgrouplist), so is a member."""
    entry = table.get(name)
    if entry is None:
        return None
    gid, listed = entry
    out = [(user, f"group:{name}") for user in listed]
    lines = table.lines if isinstance(table, GroupTable) else []
    for other, other_gid, members in lines:
        if gid is not None and other_gid == gid and other != name:
            out += [(u, f"gid:{name} ({other})") for u in members if u not in listed]
    out += [(a.name, f"gid:{name}") for a in users if gid is not None and a.gid == gid]
    return out


def sudoers_grants(frames: Frames) -> tuple[sudoers.Parsed, list[Reason]]:
    """Parse /etc/sudoers (else /usr/etc/sudoers) and what it includes; the reasons the
    result is incomplete."""
    return sudoers_files.grants(
        frames,
        mains=(SUDOERS_PATH, VENDOR_SUDOERS_PATH),
        include_dirs=INCLUDE_DIRS,
        not_read_key="local_admins.reason.include_not_read",
    )


def _named(names: dict[int, str], text: str, default: str) -> str:
    """The name of the uid or gid `text` (as in `#1000`), else `default`."""
    key = number(text)
    return names.get(key, default) if key is not None else default


def _member(user: str, via: str) -> AdminMember:
    return AdminMember(name=user, kind="user", via=via, builtin=user == "root")


def sudoers_members(
    parsed: sudoers.Parsed, table: dict[str, tuple[int | None, list[str]]], users: list[Account]
) -> list[AdminMember]:
    """The grantees as members: a local group's members (the group itself when no local
    group has that name: a directory group whose members the PC cannot list)."""
    by_uid = {a.uid: a.name for a in users if a.uid is not None}
    by_gid = {gid: name for name, (gid, _) in table.items() if gid is not None}
    out: list[AdminMember] = []
    for grantee in parsed.grantees:
        item = grantee.item
        if item == "ALL":
            out.append(AdminMember(name="ALL", kind="everyone", via=grantee.where))
        elif item.startswith("%"):
            name = item.lstrip("%:")
            if name.startswith("#"):
                name = _named(by_gid, name[1:], name)
            local = group_members(name, table, users) if not item.startswith("%:") else None
            if local is None:
                out.append(AdminMember(name=name, kind="group", via=grantee.where))
            else:
                out += [_member(u, f"{v} ({grantee.where})") for u, v in local]
        elif item.startswith("+"):
            out.append(AdminMember(name=item, kind="group", via=grantee.where))
        elif item.startswith("#"):
            name = _named(by_uid, item[1:], item)
            out.append(_member(name, grantee.where))
        else:
            out.append(_member(item, grantee.where))
    return out


def local_members(
    users: list[Account], table: dict[str, tuple[int | None, list[str]]]
) -> list[AdminMember]:
    out = [
        AdminMember(name=a.name, kind="user", via="uid:0", builtin=a.name == "root")
        for a in users
        if a.uid == 0
    ]
    for name in (*ADMIN_GROUPS, *ROOT_EQUIVALENT_GROUPS):
        out += [_member(u, v) for u, v in group_members(name, table, users) or []]
    return out


def _sudoers_fact(
    result: CommandResult, table: dict[str, tuple[int | None, list[str]]], users: list[Account]
) -> Observed[tuple[AdminMember, ...]]:
    unread = sudoers_files.listing_unread(result)
    if unread is not None:
        return unread
    parsed, problems = sudoers_grants(read_frames(result))
    if problems:
        first = problems[0]
        return unknown(first.key, **first.args)
    return seen(tuple(sudoers_members(parsed, table, users)))


def _read(results: Results, command: ReadFile) -> str | None:
    result = require(results, command)
    return result.stdout if result.ok else None


class LinuxLocalAdmins(Collector[LocalAdminsFacts]):
    family = OsFamily.LINUX
    fact_type = LocalAdminsFacts
    asks = (PASSWD, GROUP, SUDOERS_FILES)

    def parse(self, results: Results, platform: PlatformInfo) -> LocalAdminsFacts:
        passwd, group = _read(results, PASSWD), _read(results, GROUP)
        sources = tuple(c.key for c in self.asks)
        if passwd is None or group is None:
            missing = PASSWD.path if passwd is None else GROUP.path
            return LocalAdminsFacts(
                members=unknown("local_admins.reason.file_unreadable", path=missing),
                sudoers=unknown("local_admins.reason.file_unreadable", path=missing),
                sources=sources,
            )
        users, table = accounts(passwd), groups(group)
        members = local_members(users, table)
        # The C library reads "+0" (and numbers past 2^32 on some versions) as uid 0: an
        # id that is not a plain number could be root, so the list is not known.
        odd = [a.name for a in users if a.uid is None or a.gid is None]
        return LocalAdminsFacts(
            members=unknown("local_admins.reason.odd_id", path=PASSWD.path, names=", ".join(odd))
            if odd
            else seen(tuple(members))
            if any(m.via == "uid:0" for m in members)
            else unknown("local_admins.reason.no_root_account"),
            sudoers=_sudoers_fact(require(results, SUDOERS_FILES), table, users),
            sources=sources,
        )
