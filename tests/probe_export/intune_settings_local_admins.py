"""What the discovery script's local_admins snippet (checks/local_admins/compliance/
intune_settings.ps1) writes for a probe answer, step for step in Python: this machine has
no PowerShell, so the tests judge the answers through this reading. The patterns are the
prelude's regular expressions (intune.allowed_regex), which Python reads as .NET does for
the texts compared (no line breaks, BMP only)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

_CHAR = "[!-~\u3001-\u303f\u3041-\u309f\u30a0-\u30ff\u4e00-\u9fff\uff66-\uff9f]"
_TEXT = re.compile(f"[ \t\r\n]*({_CHAR}(?:(?:{_CHAR}| )*{_CHAR})?)[ \t\r\n]*")
_PREFIX = re.compile("[Ww][Ii][Nn][Nn][Tt]://")
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _blank(value: Any) -> bool:
    return not isinstance(value, str) or re.fullmatch("[ \t\r\n]*", value) is not None


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    match = _TEXT.fullmatch(value)
    return match.group(1) if match else None


def _lower(text: str) -> str:
    return text.translate(str.maketrans(_UPPER, _UPPER.lower()))


def _value(table: Any, name: str) -> Any:
    return table.get(name) if isinstance(table, dict) else None


def _allowed(candidates: Sequence[str], allowed: Sequence[str]) -> bool:
    return any(re.search(p, c) for p in allowed for c in candidates)


def _ps_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def local_admins_settings(
    probe: Any, allowed: Sequence[str] = (), builtin_allowed: bool = False
) -> dict[str, Any]:
    """`allowed`: $EALocalAdminsAllowed; `builtin_allowed`: $EALocalAdminsBuiltinAllowed."""
    settings: dict[str, Any] = {
        "LocalAdminsAnswer": "Unknown",
        "LocalAdminsUnexpected": -1,
        "LocalAdminsUnjudged": -1,
    }
    if not isinstance(probe, dict):
        return settings
    answer = "Read"
    entries: list[dict[str, Any]] = []
    if "members" not in probe:
        answer = "NoList"
    elif not _blank(probe.get("members_error")):
        answer = "Unread"
    else:
        raw = probe.get("members")
        if raw is not None:
            items = _ps_list(raw)
            entries = [e for e in items if isinstance(e, dict)]
            if len(entries) != len(items):
                answer = "WithoutSid"
        for entry in entries:
            sid_value = entry.get("sid")
            if _blank(sid_value):
                answer = "WithoutSid"
            elif _text(sid_value) is None and answer == "Read":
                answer = "Unrecognised"
        if answer == "Read" and not entries:
            answer = "NoMembers"
    if answer == "Read":
        builtin = probe.get("builtin")
        builtin_sid = _text(_value(builtin, "sid"))
        disabled = _value(builtin, "disabled")
        seen: list[str] = []
        unexpected = unjudged = 0
        for entry in entries:
            sid = _text(entry.get("sid"))
            assert sid is not None  # every SID was read above
            if sid in seen:
                continue
            seen.append(sid)
            sid_key = _lower(sid)
            builtin_form = sid.startswith("S-1-5-21-") and sid.endswith("-500")
            path_value = entry.get("path")
            path = ""
            if not _blank(path_value):
                text = _text(path_value)
                if text is None:
                    if builtin_form or not _allowed([sid_key], allowed):
                        unjudged += 1
                    continue
                path = text
            parts: list[str] = []
            if _PREFIX.match(path):
                parts = _PREFIX.sub("", path, count=1).split("/")
            if len(parts) == 3 and builtin_form:
                enabled: bool | None = None
                if builtin_sid is not None and builtin_sid == sid and isinstance(disabled, bool):
                    enabled = not disabled
                if builtin_allowed or enabled is False:
                    continue
                if enabled is None:
                    unjudged += 1
                else:
                    unexpected += 1
                continue
            candidates = [sid_key]
            if len(parts) >= 2:
                candidates.append(_lower(f"{parts[-2]}\\{parts[-1]}"))
            if not _allowed(candidates, allowed):
                unexpected += 1
        settings["LocalAdminsUnexpected"] = unexpected
        settings["LocalAdminsUnjudged"] = unjudged
    settings["LocalAdminsAnswer"] = answer
    return settings
