"""local_admins: everyone who holds administrator rights on the PC is on the allowed list.

One finding per unexpected member. A member is judged by its name or SID against the
`allowed` patterns; a nested group is judged as itself, and a SID that does not resolve
(an orphaned account, an Entra ID group or role S-1-12-1-...) by its SID. The built-in
Administrator of Windows (RID 500 of the PC) counts only while it is enabled, and root on
macOS and Linux is always expected. A list that could not be read, or is empty (every
PC has at least one administrator), is unknown: never a pass.
"""

import re
from collections.abc import Iterable
from fnmatch import fnmatchcase
from typing import Annotated

from pydantic import AfterValidator, Field

from endpoint_audit.checkkit import (
    Check,
    CheckMeta,
    CheckParams,
    EvalContext,
    FactView,
    Outcome,
)
from endpoint_audit.checks.local_admins.facts import AdminMember, LocalAdminsFacts
from endpoint_audit.model.observed import Observed, Unknown
from endpoint_audit.model.platform import OsFamily
from endpoint_audit.model.result import Status

# Domain Admins of the PC's domain: joining a domain adds it to Administrators.
DOMAIN_ADMINS = "S-1-5-21-*-512"


# SIDs of kinds no allow-list lets in together: Everyone, the Users group, a local (or
# domain) account and an Entra ID account. A pattern matching all four ('S*', '*-*') is
# taken to match any SID, and every Windows member has one. The numbers are examples.
EVERY_KIND = (
    "S-1-1-0",
    "S-1-5-32-545",
    "S-1-5-21-1004336348-1177238915-682003330-1001",
    "S-1-12-1-2846669838-1317007093-2963212222-1012496612",
)
# A SID prefix fixing at most the authority and one more number (S-1-5-21-, S-1-12-1-,
# S-1-5-32-), then wildcards only: every account of that kind. Up to four wildcard parts,
# as many as an account's SID has after S-1-5-21- (three of its domain and its RID).
_AUTHORITY = re.compile(r"s-1(?:-\d+){0,2}")
_WILD_TAIL = re.compile(r"-?(?=[*?]*\*)[*?]+(?:-(?=[*?]*\*)[*?]+){0,3}")


# Groups every user of a PC is in (Microsoft's "Well-known SIDs"): allowed as
# administrators, every user is one, and the check passes on the very PC it is there to
# fail. Matched by SID and by name; Domain Users' SID and name carry the domain, so the
# domain part is an example and a name part of wildcards only (CORP\\*, one domain's
# accounts) is left to the pattern checks above.
EVERY_USER = (
    ("S-1-1-0", ("Everyone", "\\Everyone"), "Everyone"),
    ("S-1-5-11", ("NT AUTHORITY\\Authenticated Users",), "NT AUTHORITY\\Authenticated Users"),
    ("S-1-5-4", ("NT AUTHORITY\\INTERACTIVE",), "NT AUTHORITY\\INTERACTIVE"),
    ("S-1-5-32-545", ("BUILTIN\\Users",), "BUILTIN\\Users"),
)
DOMAIN_USERS_SID = "S-1-5-21-3623811015-3361044348-30300820-513"


def allows_every_user(pattern: str) -> str | None:
    """The group of every user the pattern allows (Everyone, Users, ...), or None."""
    text = pattern.casefold()
    for sid, names, label in EVERY_USER:
        if any(fnmatchcase(n.casefold(), text) for n in (sid, *names)):
            return f"{label} ({sid})"
    name = text.partition("\\")[2]
    if fnmatchcase(DOMAIN_USERS_SID.casefold(), text) or (
        name and not _wild(name) and fnmatchcase("domain users", name)
    ):
        return "Domain Users (S-1-5-21-...-513)"
    return None


def _wild(part: str) -> bool:
    """Only wildcards, one of them `*`: every text of at least its length matches."""
    return bool(part) and set(part) <= {"*", "?"} and "*" in part


def matches_everyone(pattern: str) -> str | None:
    """What every member the pattern allows is, when that is everyone of a kind; else None.

    Decided on the text, not by trying names: only wildcards (`*`, `?*`), only wildcards
    after `%` (every group) or on both sides of `\\` (every Windows account), a SID
    prefix of at most two numbers followed by wildcards (`S-1-*`, `S-1-5-21-*`), or a
    pattern that matches the SIDs of Everyone, Users, a local and an Entra ID account.
    """
    text = pattern.casefold()
    if _wild(text):
        return "every account and group"
    if text.startswith("%") and _wild(text[1:]):
        return "every group"
    domain, backslash, name = text.partition("\\")
    if backslash and _wild(domain) and _wild(name):
        return "every account of every domain"
    fixed = text.rstrip("*?-")
    if _WILD_TAIL.fullmatch(text[len(fixed) :]) and _AUTHORITY.fullmatch(fixed):
        dash = "-" if text[len(fixed) :].startswith("-") else ""
        return f"every SID that starts {pattern[: len(fixed)]}{dash}"
    if all(fnmatchcase(sid.casefold(), text) for sid in EVERY_KIND):
        return "every SID (Everyone, Users, local and Entra ID accounts alike)"
    return None


def _judges(pattern: str) -> str:
    everyone = matches_everyone(pattern)
    if everyone is not None:
        raise ValueError(
            f"{pattern!r} matches {everyone}, so the check could never fail; name the "
            "accounts and groups allowed, e.g. 'CORP\\IT-Admins' or its SID "
            "'S-1-5-21-...-1105', or turn the check off with enabled: false"
        )
    group = allows_every_user(pattern)
    if group is not None:
        raise ValueError(
            f"{pattern!r} allows {group} as administrators, which makes every user of the "
            "PC one, so the check would pass where everyone is an administrator; name the "
            "accounts and groups allowed, e.g. 'CORP\\IT-Admins' or its SID "
            "'S-1-5-21-...-1105'"
        )
    return pattern


AllowedPattern = Annotated[str, AfterValidator(_judges)]


class LocalAdminsParams(CheckParams):
    # Patterns (* and ?) matched against each member's name (Windows "DOMAIN\\name",
    # Linux/macOS groups as "%name") and SID. Windows compares without case. A pattern
    # that matches everyone of a kind is refused: the check would pass on any PC.
    allowed: list[AllowedPattern] = Field(default_factory=lambda: [DOMAIN_ADMINS])
    allow_enabled_builtin_administrator: bool = False


def _candidates(member: AdminMember, family: OsFamily) -> list[str]:
    names = [member.name, member.sid]
    if member.kind == "group" and family != OsFamily.WINDOWS:
        names.append(f"%{member.name}")
    if family == OsFamily.WINDOWS:
        return [n.casefold() for n in names if n]
    return [n for n in names if n]


def _allowed(member: AdminMember, patterns: list[str], family: OsFamily) -> str | None:
    """The first pattern that allows the member, or None."""
    candidates = _candidates(member, family)
    for pattern in patterns:
        if family != OsFamily.WINDOWS and pattern[:4].upper() == "S-1-":
            # A Windows SID pattern (the default Domain Admins one): Linux and macOS have
            # no SIDs, and an account named "S-1-5-21-0-512" must not match it.
            continue
        wanted = pattern.casefold() if family == OsFamily.WINDOWS else pattern
        if any(fnmatchcase(c, wanted) for c in candidates):
            return pattern
    return None


def _merged(members: Iterable[AdminMember]) -> list[AdminMember]:
    """One entry per member (by SID, else name and kind), naming every way it holds rights."""
    out: dict[tuple[str, str], AdminMember] = {}
    for member in members:
        key = (member.sid, "") if member.sid else (member.name, member.kind)
        known = out.get(key)
        if known is None:
            out[key] = member
        elif member.via and member.via not in known.via.split("; "):
            out[key] = known.model_copy(update={"via": f"{known.via}; {member.via}"})
    return list(out.values())


class LocalAdmins(Check):
    meta = CheckMeta.from_package("local_admins", __package__)
    Params = LocalAdminsParams
    requires = (LocalAdminsFacts,)

    def evaluate(
        self, facts: FactView, params: LocalAdminsParams, ctx: EvalContext
    ) -> Iterable[Outcome]:
        fact = facts.get(LocalAdminsFacts)
        family = ctx.platform.family
        parts: list[Observed[tuple[AdminMember, ...]]] = [fact.members]
        keys = ["members_unknown"]
        for part, key in ((fact.uid0, "uid0_unknown"), (fact.sudoers, "sudoers_unknown")):
            if part is not None:
                parts.append(part)
                keys.append(key)
        listed: list[AdminMember] = []
        unknowns: list[Outcome] = []
        for part, key in zip(parts, keys, strict=True):
            if isinstance(part, Unknown):
                unknowns.append(
                    Outcome(status=Status.UNKNOWN, key=key, args={"reason": part.reason})
                )
            else:
                listed.extend(part.value)
        if isinstance(fact.members, Unknown):
            yield from unknowns
            return
        if not fact.members.value:
            yield Outcome(status=Status.UNKNOWN, key="no_members")
            return
        allowed: list[str] = []
        judged = False  # a member was found unexpected or could not be judged
        for member in _merged(listed):
            outcome = self._judge(member, params, family)
            if outcome is None:
                allowed.append(member.label)
                continue
            judged = True
            yield outcome
        yield from unknowns
        if not judged and not unknowns:
            yield Outcome(
                status=Status.PASS,
                key="only_allowed",
                args={"count": len(allowed), "members": ", ".join(allowed) or "-"},
                expected={"allowed": params.allowed},
                actual=allowed,
            )

    def _judge(
        self, member: AdminMember, params: LocalAdminsParams, family: OsFamily
    ) -> Outcome | None:
        """None when the member is expected; else its finding."""
        args = {
            "member": member.label,
            "kind": member.kind,
            "via": member.via or "-",
        }
        if member.builtin and family != OsFamily.WINDOWS:
            return None  # root
        if member.builtin and (
            params.allow_enabled_builtin_administrator or member.enabled is False
        ):
            return None  # disabled: it cannot sign in, so it counts as absent
        if member.builtin and member.enabled is None:
            return Outcome(
                status=Status.UNKNOWN, key="builtin_state_unknown", args=args, resource=member.label
            )
        if not member.builtin and _allowed(member, params.allowed, family) is not None:
            return None
        key = "builtin_enabled" if member.builtin else f"unexpected_{member.kind}"
        return Outcome(
            status=Status.FAIL,
            key=key,
            args=args,
            resource=member.label,
            expected={"allowed": params.allowed},
            actual=member.model_dump(exclude={"builtin", "enabled"}),
        )
