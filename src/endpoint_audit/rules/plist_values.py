"""Values of a macOS property list as a rule compares them: found by key path, and typed
as the file (or the profile's payload) holds them or as the rule's `type` says."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from endpoint_audit.checkkit.macos_plist import as_bool
from endpoint_audit.model.rule import PlistRead, ProfileRead
from endpoint_audit.rules.facts import ReadValue, seen_value, unknown_value

MISSING = object()


def lookup(top: Any, parts: Sequence[str | int]) -> Any:
    """The value at `parts` (keys of dictionaries, positions in arrays), or MISSING."""
    value = top
    for part in parts:
        if isinstance(part, str) and isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(part, int) and isinstance(value, list) and part < len(value):
            value = value[part]
        else:
            return MISSING
    return value


def plist_type(value: Any) -> str:
    """The plist type of a value plistlib made, as plutil names it."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "real"
    if isinstance(value, str):
        return "string"
    if isinstance(value, datetime):
        return "date"
    if isinstance(value, bytes):
        return "data"
    if isinstance(value, list):
        return "array"
    return "dictionary"


def typed(read: PlistRead | ProfileRead, value: Any, source: str) -> ReadValue:
    """The value as a rule compares it: of the type the file holds, or as `type` says."""
    host = plist_type(value)
    label = read.label()
    if read.type == "bool":
        flag = as_bool(value) if host in ("boolean", "integer", "string") else None
        if flag is None:
            return _differs(source, label, host, read.type)
        return seen_value("bool", flag, source, host)
    if host == "boolean":
        value_kind = "bool"
    elif host in ("integer", "real"):
        value_kind = "number"
    elif host == "string":
        value_kind = "text"
    elif host == "date":
        when = value if value.tzinfo else value.replace(tzinfo=UTC)
        value, value_kind = when.isoformat(), "date"
    elif host == "data":
        value, value_kind = value.hex(), "text"
    elif host == "array" and all(isinstance(v, str) for v in value):
        value_kind = "texts"
    else:
        return unknown_value(source, "plist_container", read=label, host_type=host)
    wanted = {"number": "number", "text": "text", "date": "date", "list": "texts"}
    if read.type is not None and wanted[read.type] != value_kind:
        return _differs(source, label, host, read.type)
    return seen_value(value_kind, value, source, host)  # type: ignore[arg-type]


def _differs(source: str, label: str, host: str, declared: str) -> ReadValue:
    return unknown_value(
        source, "plist_type_differs", read=label, host_type=host, declared=declared
    )
