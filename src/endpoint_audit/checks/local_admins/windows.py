"""local_admins on Windows: the members of the group with SID S-1-5-32-544 through ADSI
(WinNT provider), each with its SID, and the built-in Administrator (RID 500 of this PC)
with its Disabled flag from Win32_UserAccount.

Names are never judged for what they say: the group is found by SID, and the built-in
Administrator by RID 500 of a local account (its ADsPath names the computer:
WinNT://DOMAIN/COMPUTER/name), never by its localized name. A domain's Administrator also
has RID 500, but its ADsPath is WinNT://DOMAIN/name.
"""

from __future__ import annotations

from typing import Any, ClassVar

from endpoint_audit.checkkit.windows_probe import (
    OneProbeCollector,
    as_dict,
    as_list,
    as_text,
    windows_script,
)
from endpoint_audit.checks.local_admins.facts import AdminMember, LocalAdminsFacts, MemberKind
from endpoint_audit.errors import CollectorError
from endpoint_audit.model.commands import PowerShell
from endpoint_audit.model.observed import Observed, Reason, seen, unknown

LOCAL_ADMINS = PowerShell("local_admins", windows_script(__name__, "local_admins"))
ADMINISTRATORS = "S-1-5-32-544"
PREFIX = "winnt://"
KINDS: dict[str, MemberKind] = {"user": "user", "group": "group"}


def member_of(entry: dict[str, Any], builtin: dict[str, Any] | None) -> AdminMember:
    """One member from its ADsPath, schema class and SID."""
    sid = as_text(entry.get("sid")) or ""
    path = as_text(entry.get("path")) or ""
    parts = path[len(PREFIX) :].split("/") if path.lower().startswith(PREFIX) else []
    resolved = len(parts) >= 2  # an unresolved SID's path is WinNT://S-1-...
    name = f"{parts[-2]}\\{parts[-1]}" if resolved else ""
    local = len(parts) == 3  # WinNT://DOMAIN/COMPUTER/name: an account of this PC
    is_builtin = local and sid.endswith("-500") and sid.startswith("S-1-5-21-")
    enabled: bool | None = None
    if is_builtin and builtin is not None and as_text(builtin.get("sid")) == sid:
        disabled = builtin.get("disabled")
        enabled = (not disabled) if isinstance(disabled, bool) else None
    kind: MemberKind = KINDS.get(str(entry.get("class", "")).lower(), "unresolved")
    if not resolved:
        kind = "unresolved"
    return AdminMember(
        name=name,
        sid=sid,
        kind=kind,
        via=ADMINISTRATORS,
        builtin=is_builtin,
        enabled=enabled,
    )


def members_of(data: dict[str, Any]) -> Observed[tuple[AdminMember, ...]]:
    if "members" not in data:
        raise CollectorError(
            Reason(key="core.reason.no_list", args={"what": "local_admins", "list": "members"})
        )
    error = as_text(data.get("members_error"))
    if error is not None:
        return unknown("local_admins.reason.members_unreadable", hresult=error)
    builtin = data.get("builtin")
    builtin = builtin if isinstance(builtin, dict) else None
    entries = as_list(data["members"])
    # The probe writes every member as an object with its SID; anything else is a member
    # that could not be read, never one to leave out of the list.
    if any(not isinstance(e, dict) or not as_text(e.get("sid")) for e in entries):
        return unknown("local_admins.reason.member_without_sid")
    return seen(tuple(member_of(e, builtin) for e in entries if isinstance(e, dict)))


class WindowsLocalAdmins(OneProbeCollector[LocalAdminsFacts]):
    fact_type = LocalAdminsFacts
    probe: ClassVar[PowerShell] = LOCAL_ADMINS

    def parse_value(self, value: Any) -> LocalAdminsFacts:
        data = as_dict(value, "PowerShell probe 'local_admins'")
        return LocalAdminsFacts(members=members_of(data), sources=(LOCAL_ADMINS.key,))
