"""What the discovery script computes for a baseline's rule (rules/intune.py's snippet and
rules/compliance/rule_kit.ps1), step for step in Python: this machine has no PowerShell,
so the tests judge the recorded answers through this reading. It walks the rule as the
generator does and reads the probe's answer as the kit's functions do."""

from __future__ import annotations

import re
from typing import Any

from endpoint_audit.model.platform import OsFamily
from endpoint_audit.model.rule import (
    AllOf,
    AnyOf,
    AuditpolRead,
    CimRead,
    Compare,
    Condition,
    Conditions,
    Expect,
    ExpectAll,
    ExpectAny,
    NoneOf,
    OptionalFeatureRead,
    RegistryRead,
    RuleEntry,
    ServiceRead,
)
from endpoint_audit.rules import windows
from endpoint_audit.rules.intune import FAILS, HOLDS, NOT_APPLICABLE, UNKNOWN, setting_name

_HOST_TYPES = {
    "DWord": "REG_DWORD",
    "QWord": "REG_QWORD",
    "String": "REG_SZ",
    "ExpandString": "REG_EXPAND_SZ",
    "MultiString": "REG_MULTI_SZ",
    "Binary": "REG_BINARY",
    "None": "REG_NONE",
}
_SERVICE_STATES = (
    "Stopped", "Start Pending", "Stop Pending", "Running", "Continue Pending",
    "Pause Pending", "Paused", "Unknown",
)  # fmt: skip
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_BIG = 9007199254740992


def kind(x: Any) -> str:
    if isinstance(x, bool):
        return "bool"
    if isinstance(x, str):
        return "text"
    if isinstance(x, int | float):
        return "number"
    return "other"


def _whole(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def _ps_list(x: Any) -> list[Any]:
    if x is None:
        return []
    return x if isinstance(x, list) else [x]


def _lower(text: Any) -> str | None:
    if not isinstance(text, str) or not re.fullmatch("[ -~]*", text):
        return None
    return text.translate(str.maketrans(_UPPER, _UPPER.lower()))


def _value(state: str, value: Any = None, host: str | None = None) -> dict[str, Any]:
    return {"state": state, "value": value, "host": host}


UNREAD = {"state": "unknown", "value": None, "host": None}


def _registry(entry: dict[str, Any]) -> dict[str, Any]:
    state = entry.get("state")
    if state == "absent" and entry.get("absent") in ("key", "value"):
        return _value("absent")
    if state != "value":
        return dict(UNREAD)
    raw_kind = entry.get("kind")
    kind_text = str(raw_kind) if raw_kind else ""
    host = _HOST_TYPES.get(kind_text, kind_text) if kind_text else None
    value = entry.get("value")
    if kind_text in ("DWord", "QWord"):
        return _value("value", value, host) if _whole(value) else dict(UNREAD)
    if kind_text == "MultiString":
        items = _ps_list(value)
        if not all(isinstance(i, str) for i in items):
            return dict(UNREAD)
        return _value("value", items, host)
    if not isinstance(value, str):
        return dict(UNREAD)
    return _value("value", value, host)


def _selector_holds(value: Any, name: str, match: Any) -> bool:
    if match.ends_with is not None:
        text = _lower(value)
        return text is not None and text.endswith(match.ends_with.lower())
    if isinstance(match.eq, str):
        text = _lower(value)
        return text is not None and text == match.eq.lower()
    if isinstance(match.eq, bool):
        return isinstance(value, bool) and value == match.eq
    return kind(value) == "number" and value == match.eq


def _instances(entry: dict[str, Any], read: windows.ProbeRead) -> dict[str, Any]:
    if entry.get("state") != "instances" or isinstance(entry.get("instances"), dict):
        return dict(UNREAD)
    items = _ps_list(entry.get("instances"))
    if isinstance(read, CimRead):
        selectors, prop, what = read.selectors, read.prop, "cim"
    elif isinstance(read, ServiceRead):
        selectors, prop, what = windows.service_selector(read), "State", "service"
    else:
        assert isinstance(read, OptionalFeatureRead)
        selectors, prop, what = windows.feature_selector(read), "InstallState", "feature"
    for item in items:
        if not isinstance(item, dict):
            return dict(UNREAD)
        for name, match in selectors.items():
            if not _selector_holds(item.get(name), name, match):
                return dict(UNREAD)
    if not items:
        return _value("absent")
    if len(items) > 1:
        return dict(UNREAD)
    value = items[0].get(prop)
    if what == "feature":
        if kind(value) != "number" or value not in (1, 2, 3):
            return dict(UNREAD)
        return _value("value", value)
    if what == "service":
        if not isinstance(value, str) or value not in _SERVICE_STATES:
            return dict(UNREAD)
        return _value("value", value)
    if value is None:
        return _value("absent")
    if kind(value) != "other":
        return _value("value", value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return _value("value", value)
    return dict(UNREAD)


def read_value(entry: Any, read: windows.ProbeRead) -> dict[str, Any]:
    if not isinstance(entry, dict):
        return dict(UNREAD)
    state = entry.get("state")
    if state in ("refused", "denied", "error"):
        return dict(UNREAD)
    if isinstance(read, RegistryRead):
        if not read.every_user:
            return _registry(entry)
        if state != "users" or isinstance(entry.get("users"), dict):
            return dict(UNREAD)
        each = []
        for item in _ps_list(entry.get("users")):
            sid = item.get("sid") if isinstance(item, dict) else None
            if not isinstance(sid, str) or not re.match(r"^S-1-(5-21|12-1)-[0-9-]+$", sid):
                return dict(UNREAD)
            each.append(_registry(item))
        return {"state": "each", "value": None, "host": None, "each": each}
    if isinstance(read, ServiceRead) and read.prop == "start_type":
        if state == "absent" and entry.get("absent") in ("service", "value"):
            return _value("absent")
        if state != "value" or not _whole(entry.get("value")):
            return dict(UNREAD)
        return _value("value", entry["value"], "REG_DWORD")
    return _instances(entry, read)


# Python's str.strip() set, as the kit's $EARuleSpace spells it.
SPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)


def audit_line(line: str) -> str | None:
    """The line the kit splits: leading BOMs, then CR and LF at either end taken off;
    None for a line it does not split (a quote, CR, LF or NUL left)."""
    text = re.sub(r"[\r\n]+\Z", "", re.sub(r"\A[\r\n]+", "", re.sub("\\A\ufeff+", "", line)))
    return None if re.search('["\r\n\x00]', text) else text


def audit_value(answer: Any, guid: str) -> dict[str, Any]:
    """Get-EARuleAudit: the subcategory's number in auditpol's answer."""
    if not isinstance(answer, dict) or answer.get("is_admin") is not True:
        return dict(UNREAD)
    code = answer.get("exit")
    if isinstance(code, bool) or not isinstance(code, int) or code != 0:
        return dict(UNREAD)
    lines = _ps_list(answer.get("lines"))
    if not lines or not all(isinstance(line, str) for line in lines):
        return dict(UNREAD)
    found: list[str] = []
    for line in lines:
        text = audit_line(line)
        if text is None:
            return dict(UNREAD)
        cells = text.split(",")
        if len(cells) < 7:
            continue
        cell = cells[3].strip(SPACE)
        if not re.fullmatch(r"\{[0-9A-Fa-f-]{36}\}", cell) or _lower(cell) != guid.lower():
            continue
        one = cells[6].strip(SPACE)
        if one not in found:
            found.append(one)
    if len(found) != 1 or found[0] not in ("0", "1", "2", "3"):
        return dict(UNREAD)
    return _value("value", int(found[0]))


def join(how: str, parts: list[str]) -> str:
    if how == "all":
        return "F" if "F" in parts else "U" if "U" in parts else "H"
    if how == "any":
        return "H" if "H" in parts else "U" if "U" in parts else "F"
    return "F" if "H" in parts else "U" if "U" in parts else "H"


def _same(a: Any, b: Any) -> bool:
    k = kind(a)
    if k == "other" or k != kind(b):
        return False
    return not (k == "number" and (a > _BIG or a < -_BIG))


def compare(v: dict[str, Any], op: str, operand: Any, declared: str) -> str:
    state = v["state"]
    if state == "unknown":
        return "U"
    if state == "absent":
        return {"absent": "H", "present": "F"}.get(op, "U")
    if op == "present":
        return "H"
    if op == "absent":
        return "F"
    if declared and v["host"] and v["host"] != declared:
        return "U"
    value = v["value"]
    if op in ("eq", "ne"):
        if not _same(value, operand):
            return "U"
        return "H" if (value == operand) == (op == "eq") else "F"
    if op == "in":
        hit = False
        for one in operand:
            if not _same(value, one):
                return "U"
            hit = hit or value == one
        return "H" if hit else "F"
    if kind(value) != "number" or value > _BIG or value < -_BIG:
        return "U"
    holds = {"lt": value < operand, "le": value <= operand, "gt": value > operand,
             "ge": value >= operand}[op]  # fmt: skip
    return "H" if holds else "F"


def _expect(expect: Expect, v: dict[str, Any], declared: str) -> str:
    if isinstance(expect, Compare):
        return compare(v, expect.operator, expect.operand, declared)
    if isinstance(expect, ExpectAll):
        return join("all", [_expect(p, v, declared) for p in expect.all])
    if isinstance(expect, ExpectAny):
        return join("any", [_expect(p, v, declared) for p in expect.any])
    return join("none", [_expect(p, v, declared) for p in expect.none])


def _leaf(condition: Condition, v: dict[str, Any]) -> str:
    read = condition.read
    declared = f"REG_{read.type.upper()}" if isinstance(read, RegistryRead) and read.type else ""
    if v["state"] == "each":
        if not v["each"]:
            return "U"
        return join("all", [_expect(condition.expect, one, declared) for one in v["each"]])
    return _expect(condition.expect, v, declared)


def _tree(tree: Conditions, values: list[dict[str, Any]], at: list[int]) -> str:
    if isinstance(tree, Condition):
        index = at[0]
        at[0] += 1
        return _leaf(tree, values[index])
    if isinstance(tree, AllOf):
        return join("all", [_tree(t, values, at) for t in tree.all])
    if isinstance(tree, AnyOf):
        return join("any", [_tree(t, values, at) for t in tree.any])
    assert isinstance(tree, NoneOf)
    return join("none", [_tree(t, values, at) for t in tree.none])


def rule_setting(rule_id: str, rule: RuleEntry, answer: Any, audit: Any = None) -> dict[str, int]:
    """{Rule_<id>: code} for the rule's own probe's answer and auditpol's probe's (None:
    the probe failed or did not run)."""
    name = setting_name(rule_id)
    leaves = rule.read_leaves(OsFamily.WINDOWS)
    own = [leaf for leaf in leaves if not isinstance(leaf.read, AuditpolRead)]
    entries: list[Any] = []
    if own:
        if not isinstance(answer, dict):
            return {name: UNKNOWN}
        got = answer.get("reads")
        if not isinstance(got, list) or len(got) != len(own):
            return {name: UNKNOWN}
        entries = list(got)
    values = []
    for leaf in leaves:
        if isinstance(leaf.read, AuditpolRead):
            values.append(audit_value(audit, leaf.read.auditpol))
        else:
            values.append(read_value(entries.pop(0), leaf.read))  # type: ignore[arg-type]
    at = [0]
    guard = rule.applies_tree(OsFamily.WINDOWS)
    applies = _tree(guard, values, at) if guard is not None else "H"
    if applies == "F":
        return {name: NOT_APPLICABLE}
    if applies != "H":
        return {name: UNKNOWN}
    verdict = _tree(rule.platforms[OsFamily.WINDOWS], values, at)
    return {name: {"H": HOLDS, "F": FAILS}.get(verdict, UNKNOWN)}
