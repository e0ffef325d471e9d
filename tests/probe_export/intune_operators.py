"""Intune's custom compliance operators, as this project reads the documentation
(MicrosoftDocs/memdocs create-custom-json.md; custom-settings.md for the errors): a rule
holds when the discovered setting, read as its DataType, compares to the Operand as the
Operator says. A setting missing from the output (65008), output that is not JSON
(65009) or a value of another type (65010) is an error: the rule does not hold."""

from __future__ import annotations

import json
import operator
from collections.abc import Callable
from datetime import datetime
from typing import Any

OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "IsEquals": operator.eq,
    "NotEquals": operator.ne,
    "GreaterThan": operator.gt,
    "GreaterEquals": operator.ge,
    "LessThan": operator.lt,
    "LessEquals": operator.le,
}


class SettingError(ValueError):
    """65008 / 65009 / 65010: the setting cannot be judged."""


def _version(value: Any) -> tuple[int, ...]:
    if not isinstance(value, str):
        raise SettingError("not a version")
    try:
        return tuple(int(part) for part in value.split("."))
    except ValueError:
        raise SettingError(f"{value!r}: not a version") from None


def as_type(value: Any, data_type: str) -> Any:
    if data_type == "Boolean":
        if not isinstance(value, bool):
            raise SettingError("not a boolean")
        return value
    if data_type == "Int64":
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingError("not an integer")
        if not -(2**63) <= value < 2**63:
            raise SettingError("out of Int64")
        return value
    if data_type == "Double":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SettingError("not a number")
        return float(value)
    if data_type == "String":
        if not isinstance(value, str):
            raise SettingError("not a string")
        return value
    if data_type == "DateTime":
        if not isinstance(value, str):
            raise SettingError("not a time")
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise SettingError(f"{value!r}: not a time") from None
    if data_type == "Version":
        return _version(value)
    raise SettingError(f"data type {data_type}")


def rule_holds(rule: dict[str, Any], settings: dict[str, Any]) -> bool:
    name = rule["SettingName"]
    if name not in settings:  # 65008
        return False
    try:
        value = as_type(settings[name], rule["DataType"])
        operand = as_type(rule["Operand"], rule["DataType"])
    except SettingError:  # 65010
        return False
    if rule["DataType"] == "Boolean" and rule["Operator"] not in ("IsEquals", "NotEquals"):
        return False
    return bool(OPERATORS[rule["Operator"]](value, operand))


def compliant(rules: dict[str, Any], output: str) -> bool:
    """The device is compliant when the script's one line parses and every rule holds."""
    lines = output.strip().splitlines()
    if len(lines) != 1:
        return False
    try:
        settings = json.loads(lines[0])
    except ValueError:  # 65009
        return False
    if not isinstance(settings, dict):
        return False
    return all(rule_holds(rule, settings) for rule in rules["Rules"])
