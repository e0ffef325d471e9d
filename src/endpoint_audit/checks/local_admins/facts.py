"""Who holds administrator rights on the PC, as the collectors read it.

Windows: the members of the group with SID S-1-5-32-544 (its name is localized), each by
SID, with the built-in Administrator told by RID 500 of the PC's own domain. macOS: the
members of the `admin` group, accounts with UniqueID 0 and whoever sudoers lets run ALL
as root. Linux: accounts with uid 0, members of the administrator
groups (from /etc/group and the primary group in /etc/passwd), and the users and groups
sudoers lets run ALL commands as root.
"""

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from endpoint_audit.checkkit import Fact
from endpoint_audit.model.observed import Observed, unknown

MemberKind = Literal["user", "group", "unresolved", "everyone"]


class AdminMember(BaseModel):
    """One holder of administrator rights. A nested group is one member: it is judged by
    its own name or SID, never expanded (its members may live in a directory the PC
    cannot see) nor skipped."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # The name as the OS gives it: "DOMAIN\\name" on Windows ("" when the SID does not
    # resolve: orphaned accounts, Entra ID S-1-12-1-... groups and roles).
    name: str
    # Windows SID, macOS GeneratedUID of a nested group; "" on Linux.
    sid: str = ""
    kind: MemberKind = "user"
    # How the rights are held: "S-1-5-32-544", "group:sudo", "gid:sudo", "uid:0",
    # "/etc/sudoers:12".
    via: str = ""
    # The account the OS itself keeps as administrator: Windows' built-in Administrator
    # (RID 500 of the PC), root on macOS and Linux.
    builtin: bool = False
    # For the Windows built-in Administrator: whether it is enabled; None when not read.
    enabled: bool | None = None

    @property
    def label(self) -> str:
        """How a report names the member: its name, or its SID when it has none."""
        if self.name and self.sid:
            return f"{self.name} ({self.sid})"
        return self.name or self.sid or "-"


class LocalAdminsFacts(Fact):
    name: ClassVar[str] = "local_admins"

    # The holders the collector could list (Windows: group members; macOS: admin group;
    # Linux: uid 0 accounts and administrator groups' members).
    members: Observed[tuple[AdminMember, ...]] = unknown("local_admins.reason.not_read")
    # Linux and macOS: who sudoers lets run ALL as root. None on Windows.
    sudoers: Observed[tuple[AdminMember, ...]] | None = None
    # macOS: the accounts with UniqueID 0, root included. None elsewhere (Linux lists its
    # uid 0 accounts in `members`; Windows has none).
    uid0: Observed[tuple[AdminMember, ...]] | None = None
