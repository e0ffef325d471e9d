"""local_admins for `probe export --intune-compliance`: the settings of
compliance/intune_settings.ps1 and the rules that judge them with the baseline's parameters.

    LocalAdminsAnswer      String  Read | NoList | Unread | WithoutSid | Unrecognised |
                                   NoMembers | Unknown                 IsEquals Read
    LocalAdminsUnexpected  Int64   members of S-1-5-32-544 (once per SID) no `allowed`
                                   pattern allows, and the built-in Administrator (RID 500
                                   of the PC) while enabled unless
                                   allow_enabled_builtin_administrator; -1 not seen
                                                                       IsEquals 0
    LocalAdminsUnjudged    Int64   members that cannot be judged: the built-in
                                   Administrator whose state was not read, and a member
                                   whose path is a text the script does not compare
                                   (below) that no pattern allows by its SID; -1 not seen
                                                                       IsEquals 0

Together the rules pass exactly when the check passes. The patterns reach the script as
`$EALocalAdminsAllowed`: each casefolded as check.py folds it on Windows, then read as
fnmatchcase reads it and written as a regular expression of ASCII escapes that .NET and
Python read alike (`allowed_regex`). Names and SIDs are compared where their text is
printable ASCII or Japanese kana and kanji (which have no case, so folding ASCII letters
by hand folds them as casefold does); a member's path of another text is not compared
(LocalAdminsUnjudged unless its SID is allowed), and a SID of another text makes the
answer Unrecognised: stricter than the check there only (docs/deploy-probes.md).
"""

from __future__ import annotations

import fnmatch
import re
from functools import cache

from endpoint_audit.checkkit.intune import (
    IntuneSettings,
    RuleMaker,
    compliance_script,
    ps_string,
)
from endpoint_audit.checks.local_admins.check import LocalAdminsParams
from endpoint_audit.checks.local_admins.windows import LOCAL_ADMINS
from endpoint_audit.model.intune import IntuneRule

TEXT = "local_admins.intune"
_BMP = 0x10000
_ANY = r"[\s\S]"


def _escape(unit: int) -> str:
    return f"\\u{unit:04X}"


def _literal(c: str) -> str:
    # ASCII letters and digits as they are (no regex reads them otherwise), the rest
    # escaped; a character beyond the BMP is in no name compared.
    if c.isascii() and c.isalnum():
        return c
    return _escape(ord(c)) if ord(c) < _BMP else "(?!)"


def _ranges(members: list[int]) -> str:
    """Sorted code points as the body of a regex class of escapes."""
    parts: list[str] = []
    start = prev = members[0]
    for unit in [*members[1:], -2]:
        if unit == prev + 1:
            prev = unit
            continue
        parts.append(_escape(start) if start == prev else f"{_escape(start)}-{_escape(prev)}")
        start = prev = unit
    return "".join(parts)


@cache
def _class(bracket: str) -> str:
    """The bracket expression `[...]` of a pattern as fnmatchcase reads it, as a class over
    the Basic Multilingual Plane (the names compared hold no other character): Python's
    own reading, asked of every code point, so no rule of fnmatch is re-implemented."""
    matcher = re.compile(fnmatch.translate(bracket))
    members = [u for u in range(_BMP) if matcher.match(chr(u))]
    if not members:
        return "(?!)"
    if len(members) == _BMP:
        return _ANY
    others = sorted(set(range(_BMP)) - set(members))
    if len(others) < len(members):
        return f"[^{_ranges(others)}]"
    return f"[{_ranges(members)}]"


def pattern_regex(pattern: str) -> str:
    """`pattern` (already folded) as fnmatchcase matches it, as an anchored ASCII regular
    expression: literals as \\uXXXX, `?` any character, `*` any run, brackets where
    fnmatch.translate finds them. For names of BMP characters without line breaks."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        i += 1
        if c == "*":
            if not out or out[-1] != f"{_ANY}*":
                out.append(f"{_ANY}*")
        elif c == "?":
            out.append(_ANY)
        elif c == "[":
            # Where fnmatch.translate ends a bracket expression (Python 3.11-3.13).
            j = i
            if j < n and pattern[j] == "!":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 1
            if j >= n:
                out.append(_escape(ord("[")))
            else:
                out.append(_class(pattern[i - 1 : j + 1]))
                i = j + 1
        else:
            out.append(_literal(c))
    return "^(?:" + "".join(out) + ")$"


def allowed_regex(params: LocalAdminsParams) -> list[str]:
    """The `allowed` patterns as the snippet matches them (check.py folds both sides)."""
    return [pattern_regex(p.casefold()) for p in params.allowed]


def prelude(params: LocalAdminsParams) -> str:
    items = ", ".join(ps_string(r) for r in allowed_regex(params))
    allow_builtin = "$true" if params.allow_enabled_builtin_administrator else "$false"
    return f"$EALocalAdminsAllowed = @({items})\n$EALocalAdminsBuiltinAllowed = {allow_builtin}\n"


_rule = RuleMaker(TEXT)


def rules(params: LocalAdminsParams, more_info_url: str) -> list[IntuneRule]:
    return [
        _rule("LocalAdminsAnswer", "IsEquals", "Read", "answer", more_info_url),
        _rule("LocalAdminsUnexpected", "IsEquals", 0, "unexpected", more_info_url),
        _rule("LocalAdminsUnjudged", "IsEquals", 0, "unjudged", more_info_url),
    ]


INTUNE = IntuneSettings(
    check_id="local_admins",
    probe=LOCAL_ADMINS,
    settings_script=compliance_script(__name__, "intune_settings"),
    settings=("LocalAdminsAnswer", "LocalAdminsUnexpected", "LocalAdminsUnjudged"),
    rules=rules,
    prelude=prelude,
)
