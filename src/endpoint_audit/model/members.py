"""Members of a list value compared as a set: the accounts of a Windows user right, or the
items of a list a rule reads.

`secedit /export` writes a user right as `SeRemoteInteractiveLogonRight =
*S-1-5-32-544,*S-1-5-32-555`: SIDs with a leading `*`, separated by commas, in no
promised order. An account whose SID secedit could not write (an assignment by a name
that did not resolve) appears as its plain name. Names are localized (Administrators is
管理者 on a Japanese Windows) and may be stale, so a name is never compared: it is kept
apart, and a set verdict that depends on it is unknown.

Pure: no host, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from msgspec import Struct

# S-1-<identifier authority>-<sub authorities>; the authority may be written in hex
# (0x...) for values of 2**32 and more. At most 15 sub authorities (SID_MAX_SUB_AUTHORITIES).
_SID = re.compile(r"^S-1-(\d{1,13}|0X[0-9A-F]{12})(-\d{1,10}){1,15}\Z")

SET_OPERATORS = ("contains_all", "contains_none", "subset_of", "equals_set")


def as_sid(text: str) -> str | None:
    """The SID a member writes (spaces and one leading `*` removed, upper case), or None
    when it is no SID."""
    cleaned = text.strip()
    if cleaned.startswith("*"):
        cleaned = cleaned[1:].strip()
    upper = cleaned.upper()
    return upper if _SID.match(upper) else None


def is_sid(text: str) -> bool:
    return as_sid(text) is not None


def member_key(text: str) -> str:
    """A member as it is compared: a SID upper case without `*`; other text trimmed."""
    return as_sid(text) or text.strip()


class Members(Struct, frozen=True):
    """The members of a value: those compared (`known`) and names that cannot be
    (`names`, only when the members are accounts)."""

    known: frozenset[str]
    names: tuple[str, ...] = ()


def split_members(value: str | Sequence[str]) -> list[str]:
    """The members of a value: a list's items, or a text's parts between commas (as
    secedit writes them); blank members are dropped."""
    items: Iterable[str] = value.split(",") if isinstance(value, str) else value
    return [item.strip() for item in items if item.strip()]


def members_of(items: Iterable[str], accounts: bool) -> Members:
    """`items` as a set. For accounts, a member that is no SID is a name, kept apart."""
    known: set[str] = set()
    names: list[str] = []
    for item in items:
        sid = as_sid(item)
        if sid is not None:
            known.add(sid)
        elif accounts:
            if item.strip() not in names:
                names.append(item.strip())
        else:
            known.add(item.strip())
    return Members(frozenset(known), tuple(names))


def set_verdict(operator: str, value: Members, expected: frozenset[str]) -> bool | None:
    """Whether `value` meets the set operator; None when names decide it.

    A name could be any account, including one expected. So the verdict is True or False
    only when it is the same whichever accounts the names are; a name never lets it hold
    (a rule whose members include a name is unknown unless it fails anyway)."""
    known, names = value.known, len(value.names)
    if operator == "contains_all":
        holds = expected <= known
        could = len(expected - known) <= names
    elif operator == "contains_none":
        holds = not (known & expected)
        could = holds
    elif operator == "subset_of":
        holds = known <= expected
        could = holds and (names == 0 or bool(expected))
    elif operator == "equals_set":
        holds = known == expected
        could = (
            known <= expected and len(expected - known) <= names and (names == 0 or bool(expected))
        )
    else:
        raise ValueError(f"not a set operator: {operator}")
    if names == 0:
        return holds
    return None if could else False


# Well-known accounts by the English names HardeningKitty's finding lists write, and
# their SIDs as HardeningKitty translates them (Translate-SidFromWellkownAccount,
# HardeningKitty.psm1 @92b8ef7 l.492-545; Microsoft's "Well-known SIDs",
# learn.microsoft.com/windows-server/identity/ad-ds/manage/understand-security-identifiers).
# Accounts whose SID depends on the computer or the domain (Administrator, Guest,
# Domain Admins) are not here: no rule can name them in advance.
WELL_KNOWN_SIDS: dict[str, str] = {
    "BUILTIN\\Account Operators": "S-1-5-32-548",
    "BUILTIN\\Administrators": "S-1-5-32-544",
    "BUILTIN\\Backup Operators": "S-1-5-32-551",
    "BUILTIN\\Guests": "S-1-5-32-546",
    "BUILTIN\\Power Users": "S-1-5-32-547",
    "BUILTIN\\Print Operators": "S-1-5-32-550",
    "BUILTIN\\Remote Desktop Users": "S-1-5-32-555",
    "BUILTIN\\Server Operators": "S-1-5-32-549",
    "BUILTIN\\Users": "S-1-5-32-545",
    "Everyone": "S-1-1-0",
    "NT AUTHORITY\\ANONYMOUS LOGON": "S-1-5-7",
    "NT AUTHORITY\\Authenticated Users": "S-1-5-11",
    "NT AUTHORITY\\ENTERPRISE DOMAIN CONTROLLERS": "S-1-5-9",
    "NT AUTHORITY\\IUSR": "S-1-5-17",
    "NT AUTHORITY\\Local account and member of Administrators group": "S-1-5-114",
    "NT AUTHORITY\\Local account": "S-1-5-113",
    "NT AUTHORITY\\LOCAL SERVICE": "S-1-5-19",
    "NT AUTHORITY\\NETWORK SERVICE": "S-1-5-20",
    "NT AUTHORITY\\SERVICE": "S-1-5-6",
    "NT AUTHORITY\\SYSTEM": "S-1-5-18",
    "NT SERVICE\\WdiServiceHost": "S-1-5-80-3139157870-2983391045-3678747466-658725712-1809340420",
    "NT VIRTUAL MACHINE\\Virtual Machines": "S-1-5-83-0",
    "Window Manager\\Window Manager Group": "S-1-5-90-0",
}
_BY_NAME = {name.lower(): sid for name, sid in WELL_KNOWN_SIDS.items()}
_BY_NAME.update(
    {name.partition("\\")[2].lower(): sid for name, sid in WELL_KNOWN_SIDS.items() if "\\" in name}
)


def well_known_sid(name: str) -> str | None:
    """The SID of a well-known account by its English name, with or without its domain
    (BUILTIN\\Administrators or Administrators), without regard to case; else None."""
    return _BY_NAME.get(name.strip().lower())
