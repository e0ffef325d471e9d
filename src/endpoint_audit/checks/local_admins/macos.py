"""local_admins on macOS: the `admin` group record of the local directory, the accounts
with UniqueID 0, and whoever sudoers lets run ALL as root.

The admin group is read as property lists (`dscl -plist`). Its members are GroupMembership
(short names), GroupMembers (GeneratedUIDs of users) and NestedGroups (GeneratedUIDs of
groups inside it, such as an Active Directory group allowed to administer the Mac). UIDs
are named from the local users' and groups' records; a UID no local record has is judged
by the UID. UniqueIDs come from `dscl . -list /Users UniqueID`, one line per account: its
name, blanks, its value(s). Any account whose UniqueID is 0 is root to the kernel. All of
this is readable without root.

sudoers (/etc/sudoers, the stock one including /private/etc/sudoers.d; /etc is
/private/etc) is readable by root only. One constant BSD `find` prints it framed as the
Linux collector's GNU `find` does (sudoers_files.py), with `stat -f` for the headers and
`test -r` for what this user may read, since macOS's find has no -printf or -readable.
"""

from __future__ import annotations

import re
from typing import Any

from endpoint_audit.checkkit import Collector, CollectorError, Results, require
from endpoint_audit.checkkit.macos_plist import parse_plist
from endpoint_audit.checks.local_admins import sudoers, sudoers_files
from endpoint_audit.checks.local_admins.facts import AdminMember, LocalAdminsFacts
from endpoint_audit.model.commands import Argv, CommandResult
from endpoint_audit.model.observed import Observed, Reason, Unknown, seen, unknown
from endpoint_audit.model.platform import OsFamily, PlatformInfo

ADMIN_GROUP = Argv(("dscl", "-plist", ".", "-read", "/Groups/admin"))
USERS = Argv(("dscl", "-plist", ".", "-readall", "/Users", "GeneratedUID", "RecordName"))
GROUPS = Argv(("dscl", "-plist", ".", "-readall", "/Groups", "GeneratedUID", "RecordName"))
VIA = "group:admin"
UNIQUE_IDS = Argv(("dscl", ".", "-list", "/Users", "UniqueID"))
PRIVATE_ETC = "/private/etc"
SUDOERS_PATH = f"{PRIVATE_ETC}/sudoers"
SUDOERS_DIR = f"{PRIVATE_ETC}/sudoers.d"
_KEPT = (SUDOERS_PATH, SUDOERS_DIR, f"{SUDOERS_DIR}/*")


def _stat(header: str) -> tuple[str, ...]:
    return ("-exec", "stat", "-L", "-f", header, "{}", ";")


# Starts at /private/etc, which always exists, so a Mac without sudoers.d prints nothing
# for it and exits 0; everything but the sudoers paths is pruned where it is met.
SUDOERS_FILES = Argv(
    (
        "find",
        "-L",
        PRIVATE_ETC,
        "-mindepth",
        "1",
        "-maxdepth",
        "2",
        *[word for path in _KEPT for word in ("!", "-path", path)],
        "-prune",
        "-o",
        "-type",
        "d",
        "-exec",
        "test",
        "-r",
        "{}",
        "-a",
        "-x",
        "{}",
        ";",
        *_stat("D %N"),
        "-o",
        "-type",
        "d",
        *_stat("U %N"),
        "-o",
        "-type",
        "f",
        "-exec",
        "test",
        "-r",
        "{}",
        ";",
        *_stat("F %z %N"),
        "-exec",
        "cat",
        "{}",
        ";",
        "-o",
        "-type",
        "f",
        *_stat("U %N"),
        "-o",
        *_stat("O %N"),
    ),
    privileged=True,
)
# A line of `dscl . -list /Users UniqueID`: a name without blanks, then one or more values.
_ID_LINE = re.compile(r"([^ \t]+)((?:[ \t]+[^ \t]+)+)")
_NUMBER = re.compile(r"[+-]?[0-9]+")


def attribute(record: dict[str, Any], name: str) -> list[str]:
    """An attribute's values, under dsAttrTypeStandard:<name> (or the native name)."""
    for key, value in record.items():
        if key.rsplit(":", 1)[-1] == name and isinstance(value, list):
            return [v for v in value if isinstance(v, str) and v]
    return []


def names_by_uid(records: Any) -> dict[str, str]:
    """GeneratedUID -> the first RecordName, from `dscl -plist . -readall`."""
    out: dict[str, str] = {}
    for record in records if isinstance(records, list) else []:
        if isinstance(record, dict):
            uids, names = attribute(record, "GeneratedUID"), attribute(record, "RecordName")
            if uids and names:
                out[uids[0].upper()] = names[0]
    return out


def members_of(
    record: dict[str, Any], users: dict[str, str], groups: dict[str, str]
) -> Observed[tuple[AdminMember, ...]]:
    names = list(dict.fromkeys(attribute(record, "GroupMembership")))
    members = [AdminMember(name=n, kind="user", via=VIA, builtin=n == "root") for n in names]
    for uid in attribute(record, "GroupMembers"):
        name = users.get(uid.upper())
        if name is None:
            members.append(AdminMember(name="", sid=uid, kind="unresolved", via=VIA))
        elif name not in names:
            members.append(AdminMember(name=name, kind="user", via=VIA, builtin=name == "root"))
    for uid in attribute(record, "NestedGroups"):
        name = groups.get(uid.upper(), "")
        members.append(AdminMember(name=name, sid=uid, kind="group", via=f"{VIA} (NestedGroups)"))
    return seen(tuple(members))


def unique_ids(text: str) -> dict[str, list[int]] | None:
    """Account name -> its UniqueID values, from `dscl . -list /Users UniqueID`; None
    when a line is not a name and plain numbers. macOS reads a UniqueID as C's strtol
    does ("0abc" and "0x1" are 0 to it), so a value that is not a plain number could be
    root: the list is then not known."""
    out: dict[str, list[int]] = {}
    lines = text.split("\n")
    if lines[-1] != "" or len(lines) < 2:
        return None  # no final newline: the output was cut, or is empty
    for line in lines[:-1]:
        match = _ID_LINE.fullmatch(line)
        if match is None:
            return None
        values = re.split(r"[ \t]+", match.group(2).strip(" \t"))
        if not all(_NUMBER.fullmatch(v) for v in values):
            return None
        out.setdefault(match.group(1), []).extend(int(v) for v in values)
    return out


def _is_zero(value: int) -> bool:
    # uid_t is 32 bits: 2^32 and its multiples land on 0 too.
    return value % 2**32 == 0


def uid0_accounts(text: str) -> Observed[tuple[AdminMember, ...]]:
    """The accounts any of whose UniqueID values is 0; unknown when the list cannot be
    read, or lacks root with UniqueID 0 (then it is not this Mac's user list)."""
    ids = unique_ids(text)
    if ids is None:
        return unknown("local_admins.reason.unique_ids_unreadable", command=_UNIQUE_IDS_TEXT)
    names = [name for name, values in ids.items() if any(_is_zero(v) for v in values)]
    if "root" not in names:
        return unknown("local_admins.reason.no_root_unique_id")
    return seen(
        tuple(
            AdminMember(name=n, kind="user", via="UniqueID:0", builtin=n == "root") for n in names
        )
    )


_UNIQUE_IDS_TEXT = " ".join(UNIQUE_IDS.argv)


def _canonical(path: str) -> str:
    """/etc is a link to /private/etc: an include of /etc/x reads /private/etc/x."""
    if path == "/etc" or path.startswith("/etc/"):
        return "/private" + path
    return path


def sudoers_members(
    parsed: sudoers.Parsed,
    admins: Observed[tuple[AdminMember, ...]],
    admin_gid: str,
    ids: dict[str, list[int]] | None,
) -> list[AdminMember]:
    """The grantees as members. `%admin` (or its gid) is the admin group's own members;
    another group is judged as the group (its members are in the directory, maybe not
    a local one); `#uid` is named from the UniqueID list when it can be."""
    by_uid = {v: name for name, values in (ids or {}).items() for v in values}
    out: list[AdminMember] = []
    for grantee in parsed.grantees:
        item, where = grantee.item, grantee.where
        if item == "ALL":
            out.append(AdminMember(name="ALL", kind="everyone", via=where))
        elif item.startswith("%"):
            name = item.lstrip("%:")
            if name == "admin" or (name.startswith("#") and name[1:] == admin_gid != ""):
                if isinstance(admins, Unknown):
                    out.append(AdminMember(name="admin", kind="group", via=where))
                else:
                    out += [
                        m.model_copy(update={"via": f"{m.via} ({where})"}) for m in admins.value
                    ]
            else:
                out.append(AdminMember(name=name, kind="group", via=where))
        elif item.startswith("+"):
            out.append(AdminMember(name=item, kind="group", via=where))
        elif item.startswith("#"):
            number = item[1:]
            name = by_uid.get(int(number), item) if _NUMBER.fullmatch(number) else item
            out.append(AdminMember(name=name, kind="user", via=where, builtin=name == "root"))
        else:
            out.append(AdminMember(name=item, kind="user", via=where, builtin=item == "root"))
    return out


def sudoers_fact(
    result: CommandResult,
    admins: Observed[tuple[AdminMember, ...]],
    admin_gid: str,
    ids: dict[str, list[int]] | None,
) -> Observed[tuple[AdminMember, ...]]:
    unread = sudoers_files.listing_unread(result)
    if unread is not None:
        return unread
    parsed, problems = sudoers_files.grants(
        sudoers_files.read_frames(result),
        mains=(SUDOERS_PATH,),
        include_dirs=(SUDOERS_DIR,),
        not_read_key="local_admins.reason.include_not_read_macos",
        canonical=_canonical,
    )
    if problems:
        first = problems[0]
        return unknown(first.key, **first.args)
    return seen(tuple(sudoers_members(parsed, admins, admin_gid, ids)))


def _uid0(result: CommandResult) -> Observed[tuple[AdminMember, ...]]:
    if not result.ok:
        return unknown(
            "local_admins.reason.dscl_failed",
            command=_UNIQUE_IDS_TEXT,
            status=result.exit_status,
            output=result.excerpt(200),
        )
    return uid0_accounts(result.stdout)


def _plist(result: CommandResult, command: Argv) -> Any:
    return parse_plist(result, " ".join(command.argv))


class MacosLocalAdmins(Collector[LocalAdminsFacts]):
    family = OsFamily.MACOS
    fact_type = LocalAdminsFacts
    asks = (ADMIN_GROUP, USERS, GROUPS, UNIQUE_IDS, SUDOERS_FILES)

    def parse(self, results: Results, platform: PlatformInfo) -> LocalAdminsFacts:
        sources = tuple(c.key for c in self.asks)
        ids_result = require(results, UNIQUE_IDS)
        ids = unique_ids(ids_result.stdout) if ids_result.ok else None
        members, gid = self._admin_group(results)
        return LocalAdminsFacts(
            members=members,
            uid0=_uid0(ids_result),
            sudoers=sudoers_fact(require(results, SUDOERS_FILES), members, gid, ids),
            sources=sources,
        )

    def _admin_group(self, results: Results) -> tuple[Observed[tuple[AdminMember, ...]], str]:
        """The admin group's members, and its gid ("" when not read)."""
        for command in (ADMIN_GROUP, USERS, GROUPS):
            result = require(results, command)
            if not result.ok:
                failed = unknown(
                    "local_admins.reason.dscl_failed",
                    command=" ".join(command.argv),
                    status=result.exit_status,
                    output=result.excerpt(200),
                )
                return failed, ""
        record = _plist(require(results, ADMIN_GROUP), ADMIN_GROUP)
        if not isinstance(record, dict):
            raise CollectorError(
                Reason(
                    key="core.reason.not_object",
                    args={"what": " ".join(ADMIN_GROUP.argv), "type": type(record).__name__},
                )
            )
        users = names_by_uid(_plist(require(results, USERS), USERS))
        groups = names_by_uid(_plist(require(results, GROUPS), GROUPS))
        gids = attribute(record, "PrimaryGroupID")
        return members_of(record, users, groups), gids[0] if gids else ""
