"""HardeningKitty finding lists (lists/*.csv of scipag/HardeningKitty) as rule checks.

Each row names a Method, where to read, a RecommendedValue and an Operator. The rows
whose Method reads a value rule checks can read the same way become rules:

- Registry: the value from the 64-bit view; digits are numbers (a DWORD 1 is 1); HKCU
  (the user running HardeningKitty) becomes HKU\\*, every loaded user's hive;
- secedit (`System Access\\Key`) and accountpolicy (the `net accounts` lines, by Name):
  the key of secedit's INF export, language-neutral where `net accounts` is localized;
- auditpol: the subcategory by the GUID in MethodArgument (the list's Name is a label
  only), compared as auditpol's numeric setting 0-3;
- service: the start type (Start DWORD 2 automatic, 3 manual, 4 disabled);
- accesschk (user rights): the right's SIDs in secedit's [Privilege Rights], compared as
  a set with the SIDs of the accounts the row names, translated as HardeningKitty
  translates them (model/members.py WELL_KNOWN_SIDS): `=` is equals_set, `contains`
  contains_all; an empty RecommendedValue is "no one", equals_set []. A row naming an
  account whose SID depends on the computer or domain (Guest, Domain Admins) is skipped,
  naming it: its name is never compared.

Every other row is listed as skipped, with its row and the reason. No rule passes where
HardeningKitty's own check could not: its DefaultValue (what HardeningKitty assumes when
a value is missing) is never taken for a value read, so a missing value is unknown.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from msgspec import Struct, field
from pydantic import ValidationError

from endpoint_audit.model.members import well_known_sid
from endpoint_audit.model.rule import PRIVILEGE_RIGHTS, RuleEntry
from endpoint_audit.rules.sheet import SheetError
from endpoint_audit.rules.sheet_cells import unguard

COLUMNS = (
    "ID",
    "Category",
    "Name",
    "Method",
    "MethodArgument",
    "RegistryPath",
    "RegistryItem",
    "DefaultValue",
    "RecommendedValue",
    "Operator",
    "Severity",
)
_SEVERITIES = {"low": "low", "medium": "medium", "high": "high"}
_INT = re.compile(r"-?[0-9]{1,20}")  # a QWORD has at most 20 digits

# HardeningKitty joins these multi-string values with ";" or reads them in a format of
# its own (ASR rules, hardened UNC paths with spaces removed) before comparing.
_SPECIAL_ITEMS = {"Machine", "EccCurves", "NullSessionPipes", "NullSessionShares", "ASRRules"}
_HARDENED_PATHS = "hklm:\\software\\policies\\microsoft\\windows\\networkprovider\\hardenedpaths"

# `net accounts` lines HardeningKitty reads, by the row's Name -> the secedit key with
# the same value and unit (days, minutes, a count).
_ACCOUNT_POLICY = {
    "Minimum password age": "MinimumPasswordAge",
    "Maximum password age": "MaximumPasswordAge",
    "Minimum password length": "MinimumPasswordLength",
    "Length of password history maintained": "PasswordHistorySize",
    "Account lockout threshold": "LockoutBadCount",
    "Account lockout duration": "LockoutDuration",
    "Reset account lockout counter": "ResetLockoutCount",
}
# secedit numbers that `net accounts` prints as words (Never, None, Unlimited), which
# HardeningKitty's number comparisons then fail: they must fail here too.
_WORD_VALUES = {
    "LockoutBadCount": 0,
    "PasswordHistorySize": 0,
    "MaximumPasswordAge": -1,
    "LockoutDuration": -1,
}
# auditpol's setting as HardeningKitty names it.
_AUDIT_SETTINGS = {"No Auditing": 0, "Success": 1, "Failure": 2, "Success and Failure": 3}
_START_TYPES = {"Automatic": 2, "Manual": 3, "Disabled": 4}


class Skipped(Struct, frozen=True):
    row: int
    finding: str  # the list's ID and Name
    reason: str


class Imported(Struct):
    rules: dict[str, RuleEntry] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)


class _Skip(Exception):
    """This row cannot be a rule; the message says why."""


def _number(text: str, what: str) -> int:
    if not _INT.fullmatch(text):
        raise _Skip(f"{what} {text!r} is not a whole number")
    return int(text)


def _scalar(text: str) -> int | str:
    # HardeningKitty writes numbers as digits; a DWORD is compared as a number here.
    return int(text) if _INT.fullmatch(text) else text


def expectation(operator: str, recommended: str) -> dict[str, Any]:
    """The expectation of an operator of HardeningKitty (its Compare switch)."""
    if operator == "=":
        return {"eq": _scalar(recommended)}
    if operator == "!=":
        return {"ne": _scalar(recommended)}
    if operator == ">=":
        return {"ge": _number(recommended, "RecommendedValue")}
    if operator == "<=":
        return {"le": _number(recommended, "RecommendedValue")}
    if operator == "<=!0":
        return {"all": [{"le": _number(recommended, "RecommendedValue")}, {"ne": 0}]}
    if operator == "=|0":
        # Equal, or empty text. A missing value is not taken as empty: it stays unknown.
        return {"any": [{"eq": _scalar(recommended)}, {"eq": ""}]}
    if operator == "contains":
        return {"regex": re.escape(recommended)}
    raise _Skip(
        f"operator {operator!r} is none HardeningKitty evaluates (=, !=, <=, >=, <=!0, =|0, "
        "contains): the row never passes there"
    )


def _registry(cells: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    path, item = cells["RegistryPath"], cells["RegistryItem"]
    hive, _, rest = path.partition("\\")
    if hive.upper() == "HKLM:":
        key = f"HKLM\\{rest}"
    elif hive.upper() == "HKCU:":
        # HardeningKitty reads the signed-in user's hive; an audit reads every loaded
        # user hive, each of which must meet the rule (unknown with nobody signed in).
        key = f"HKU\\*\\{rest}"
    else:
        raise _Skip(f"registry path {path!r} is not under HKLM: or HKCU:")
    if item in _SPECIAL_ITEMS or path.lower() == _HARDENED_PATHS:
        raise _Skip(
            f"HardeningKitty reshapes the value {item!r} before comparing (joined list, "
            "ASR rule or spaces removed); no rule compares it the same way"
        )
    if not item:
        raise _Skip("no RegistryItem (value name)")
    read = {"registry": key, "value": item}
    return read, expectation(cells["Operator"], cells["RecommendedValue"])


def _secedit(cells: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    section, _, key = cells["MethodArgument"].partition("\\")
    if not key:
        raise _Skip(f"MethodArgument {cells['MethodArgument']!r} is not 'Section\\Key'")
    return _secpol(section, key, cells)


def _secpol(section: str, key: str, cells: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    operator = cells["Operator"]
    recommended = cells["RecommendedValue"]
    # HardeningKitty reads these as numbers ([int]); text never compares.
    _number(recommended, "RecommendedValue")
    expect = expectation(operator, recommended)
    word = _WORD_VALUES.get(key)
    if word is not None:
        parts = expect["all"] if "all" in expect else [expect]
        expect = {"all": [*parts, {"ne": word}]}
    return {"secpol": section, "key": key}, expect


def _accountpolicy(cells: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    key = _ACCOUNT_POLICY.get(cells["Name"])
    if key is None:
        raise _Skip(f"HardeningKitty reads no `net accounts` line named {cells['Name']!r}")
    return _secpol("System Access", key, cells)


def _auditpol(cells: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    recommended, operator = cells["RecommendedValue"], cells["Operator"]
    if recommended not in _AUDIT_SETTINGS:
        raise _Skip(f"RecommendedValue {recommended!r} is not an audit setting")
    read = {"auditpol": cells["MethodArgument"], "subcategory": cells["Name"][:120] or None}
    if operator == "=":
        return read, {"eq": _AUDIT_SETTINGS[recommended]}
    if operator == "contains":
        codes = [code for name, code in _AUDIT_SETTINGS.items() if recommended in name]
        return read, ({"eq": codes[0]} if len(codes) == 1 else {"in": codes})
    raise _Skip(f"operator {operator!r} does not fit an audit setting")


def _service(cells: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    recommended, operator = cells["RecommendedValue"], cells["Operator"]
    if recommended not in _START_TYPES:
        raise _Skip(f"RecommendedValue {recommended!r} is not a start type")
    if operator not in ("=", "=|0"):
        raise _Skip(f"operator {operator!r} does not fit a start type")
    # `=|0` also passes there when the service is not installed: here that stays unknown.
    read = {"service": cells["MethodArgument"], "property": "start_type"}
    return read, {"eq": _START_TYPES[recommended]}


def _accesschk(cells: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    recommended, operator = cells["RecommendedValue"], cells["Operator"]
    names = [n.strip() for n in recommended.split(";") if n.strip()]
    sids: list[str] = []
    for name in names:
        sid = well_known_sid(name)
        if sid is None:
            raise _Skip(
                f"user right for {name!r}, which is no well-known account with a SID known "
                "in advance; rules compare accounts by SID, never by their localized names"
            )
        if f"*{sid}" not in sids:
            sids.append(f"*{sid}")
    read = {"secpol": PRIVILEGE_RIGHTS, "key": cells["MethodArgument"]}
    if operator == "=":
        # HardeningKitty compares the SIDs secedit exports, its `*` removed, with these.
        return read, {"equals_set": sids}
    if operator == "contains" and sids:
        return read, {"contains_all": sids}
    raise _Skip(f"operator {operator!r} with {recommended!r} does not fit a user right")


_METHODS = {
    "Registry": _registry,
    "secedit": _secedit,
    "accountpolicy": _accountpolicy,
    "auditpol": _auditpol,
    "service": _service,
    "accesschk": _accesschk,
}
_NOT_MAPPED = {
    "RegistryList": "HardeningKitty searches every value of the key for a text",
    "localaccount": "local accounts are not read by rule checks",
}


def _rule_id(namespace: str, finding: str, taken: dict[str, RuleEntry]) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", finding.lower()).strip("_") or "row"
    base = f"{namespace}.id_{slug}"[:55]
    rule_id, count = base, 1
    while rule_id in taken:
        count += 1
        rule_id = f"{base}_{count}"
    return rule_id


def _rule(cells: dict[str, str]) -> dict[str, Any]:
    method = cells["Method"]
    mapper = _METHODS.get(method)
    if mapper is None:
        raise _Skip(
            f"method {method}: " + _NOT_MAPPED.get(method, "not a value rule checks read (yet)")
        )
    read, expect = mapper(cells)
    severity = _SEVERITIES.get(cells["Severity"].lower())
    if severity is None:
        raise _Skip(f"Severity {cells['Severity']!r} is not Low, Medium or High")
    name, finding = cells["Name"], cells["ID"]
    shown = f"{cells['Operator']} {cells['RecommendedValue']}"
    shown_ja = shown
    if not cells["RecommendedValue"].strip():
        # An empty recommendation means no account holds the right; "= " would teach nothing.
        shown, shown_ja = "no one", "なし（どのアカウントにも与えない）"
    default = cells["DefaultValue"] or "-"
    return {
        "type": "rule",
        "severity": severity,
        "title": {"ja": name, "en": name},
        "remediation": {
            "ja": f"「{name}」を推奨値（{shown_ja}）にしてください。",
            "en": f"Set {name} as recommended ({shown}).",
        },
        "rationale": {
            "ja": f"HardeningKitty {finding}（{cells['Category']}）。"
            f"未設定のときの既定値: {default}",
            "en": f"HardeningKitty {finding} ({cells['Category']}); "
            f"the default when not set: {default}",
        },
        "references": [{"framework": "hardeningkitty", "id": finding}],
        "platforms": {"windows": {"read": read, "expect": expect}},
    }


def import_rows(table: Sequence[Sequence[str]], namespace: str = "hk") -> Imported:
    """Rules (and the rows skipped, with why) from a finding list's cells. Raises
    SheetError when the file is not a finding list."""
    if not table:
        raise SheetError(1, "(header)", "the file is empty")
    header = [unguard(c) for c in table[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise SheetError(
            1, "(header)", f"not a HardeningKitty finding list: no {', '.join(missing)} column"
        )
    index = {name: header.index(name) for name in COLUMNS}
    out = Imported()
    for number, row in enumerate(table[1:], 2):
        if not any(c.strip() for c in row):
            continue
        cells = {name: row[p].strip() if p < len(row) else "" for name, p in index.items()}
        finding = f"{cells['ID']} {cells['Name']}".strip()
        try:
            data = _rule(cells)
            rule = RuleEntry.model_validate(data)
        except _Skip as exc:
            out.skipped.append(Skipped(number, finding, str(exc)))
            continue
        except ValidationError as exc:
            message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
            out.skipped.append(Skipped(number, finding, message))
            continue
        out.rules[_rule_id(namespace, cells["ID"], out.rules)] = rule
    return out
