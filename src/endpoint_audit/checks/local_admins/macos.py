"""local_admins on macOS: the `admin` group record of the local directory, as property
lists (`dscl -plist`), never as dscl's text. Its members are GroupMembership (short names),
GroupMembers (GeneratedUIDs of users) and NestedGroups (GeneratedUIDs of groups inside it,
such as an Active Directory group allowed to administer the Mac). UIDs are named from the
local users' and groups' records; a UID no local record has is judged by the UID. All of
it is readable without root."""

from __future__ import annotations

from typing import Any

from endpoint_audit.checkkit import Collector, CollectorError, Results, require
from endpoint_audit.checkkit.macos_plist import parse_plist
from endpoint_audit.checks.local_admins.facts import AdminMember, LocalAdminsFacts
from endpoint_audit.model.commands import Argv, CommandResult
from endpoint_audit.model.observed import Observed, Reason, seen, unknown
from endpoint_audit.model.platform import OsFamily, PlatformInfo

ADMIN_GROUP = Argv(("dscl", "-plist", ".", "-read", "/Groups/admin"))
USERS = Argv(("dscl", "-plist", ".", "-readall", "/Users", "GeneratedUID", "RecordName"))
GROUPS = Argv(("dscl", "-plist", ".", "-readall", "/Groups", "GeneratedUID", "RecordName"))
VIA = "group:admin"


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


def _plist(result: CommandResult, command: Argv) -> Any:
    return parse_plist(result, " ".join(command.argv))


class MacosLocalAdmins(Collector[LocalAdminsFacts]):
    family = OsFamily.MACOS
    fact_type = LocalAdminsFacts
    asks = (ADMIN_GROUP, USERS, GROUPS)

    def parse(self, results: Results, platform: PlatformInfo) -> LocalAdminsFacts:
        sources = tuple(c.key for c in self.asks)
        for command in self.asks:
            result = require(results, command)
            if not result.ok:
                return LocalAdminsFacts(
                    members=unknown(
                        "local_admins.reason.dscl_failed",
                        command=" ".join(command.argv),
                        status=result.exit_status,
                        output=result.excerpt(200),
                    ),
                    sources=sources,
                )
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
        return LocalAdminsFacts(members=members_of(record, users, groups), sources=sources)
