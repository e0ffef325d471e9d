"""What the discovery script's antivirus snippet (checks/antivirus/compliance/
intune_settings.ps1) writes for a probe answer, step for step in Python: this machine has
no PowerShell, so the tests judge the answers through this reading. `now` stands for the
PC's clock ([datetime]::UtcNow)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

_BLANKS = "[ \t\r\n]*"
_ASCII = "[!-~]"
_KANA = "[!-~\u3001-\u303f\u3041-\u309f\u30a0-\u30ff\u4e00-\u9fff\uff66-\uff9f]"
UNREAD = 99999
_TIME = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})T([0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.[0-9]{1,7})?"
    r"(?:(Z)|([+-])([0-9]{2}):([0-9]{2}))"
)
_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _text(value: Any, kana: bool, odd: list[bool]) -> str | None:
    if not isinstance(value, str) or re.fullmatch(_BLANKS, value):
        return None
    char = _KANA if kana else _ASCII
    match = re.fullmatch(f"{_BLANKS}({char}(?:(?: |{char})*{char})?){_BLANKS}", value)
    if match:
        return match.group(1)
    odd.append(True)
    return None


def _number(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if -1e9 <= value <= 1e9 and value.is_integer() else None
    if isinstance(value, str):
        match = re.fullmatch(f"{_BLANKS}(-?[0-9]{{1,9}}){_BLANKS}", value)
        return int(match.group(1)) if match else None
    return None


def _days(text: str, now: datetime) -> int:
    match = _TIME.fullmatch(text)
    if not match:
        return -1
    try:
        when = datetime.strptime(f"{match[1]} {match[2]}", "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return -1
    if match[3] is None:
        offset = int(match[5]) * 60 + int(match[6])
        when -= timedelta(minutes=-offset if match[4] == "-" else offset)
    span = now.astimezone(UTC).replace(tzinfo=None) - when
    # TimeSpan.Days truncates toward zero; negative becomes 0 below either way.
    days = span.days if span >= timedelta(0) else -((-span).days)
    return max(days, 0)


def _ps_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def antivirus_settings(probe: Any, accepted: Sequence[str], now: datetime) -> dict[str, Any]:
    """`accepted`: $EAAntivirusAccepted (intune.accepted_names)."""
    settings: dict[str, Any] = {
        "AntivirusProtection": "Unknown",
        "AntivirusProtectedBy": "None",
        "AntivirusSignatureAgeDays": UNREAD,
        "AntivirusSignatures": "Unknown",
        "AntivirusTamperProtection": -1,
    }
    if not isinstance(probe, dict):
        return settings
    odd: list[bool] = []
    malformed = False
    read = probe.get("products") is not None
    products: list[dict[str, Any]] = []
    if read:
        for entry in _ps_list(probe["products"]):
            if not isinstance(entry, dict):
                malformed = True
                continue
            code = _number(entry.get("product_state"))
            decoded = False
            owner = -1
            protecting = False
            if code is not None and 0 <= code <= 0xFFFFFF and code & 15 == 0:
                state, owner, signs = (code >> 12) & 15, (code >> 8) & 15, (code >> 4) & 15
                decoded = state <= 3 and owner <= 1 and signs <= 1
                protecting = decoded and state == 1 and signs == 0
            if decoded and owner == 1:
                continue
            live = (
                entry.get("reporting_exe_exists") is True
                and entry.get("reporting_running") is True
                and entry.get("product_exe_exists") is not False
            )
            products.append(
                {
                    "name": entry.get("name"),
                    "decoded": decoded,
                    "protecting": protecting and live,
                    "claiming": protecting,
                }
            )
    defender = probe.get("defender")
    active = False
    if isinstance(defender, dict):
        mode = _text(defender.get("running_mode"), False, odd)
        flags = [defender.get(k) for k in ("service_enabled", "antivirus_enabled", "real_time")]
        on = sum(1 for f in flags if f is True)
        active = mode is not None and mode.translate(_FOLD) == "normal" and on == 3
    if active:
        assert isinstance(defender, dict)
        settings["AntivirusProtection"] = "On"
        settings["AntivirusProtectedBy"] = "Defender"
        age = -1
        raw_count = defender.get("signature_age_days")
        count = _number(raw_count)
        if count is not None and count >= 0:
            age = count
        count_unread = count is None and raw_count is not None and not isinstance(raw_count, bool)
        updated = _text(defender.get("signature_updated"), False, odd)
        if updated is not None:
            days = _days(updated, now)
            if days < 0:
                age = UNREAD
            elif days > age:
                age = days
        if age < 0 or count_unread:
            age = UNREAD
        settings["AntivirusSignatureAgeDays"] = age
        flagged = defender.get("signatures_out_of_date") is True
        settings["AntivirusSignatures"] = "OutOfDate" if flagged else "Current"
        tamper = defender.get("tamper_protected")
        if isinstance(tamper, bool):
            settings["AntivirusTamperProtection"] = 1 if tamper else 0
    elif read:
        chosen = products
        if accepted:
            chosen = []
            for product in products:
                name = _text(product["name"], True, odd)
                folded = ("?" if name is None else name).translate(_FOLD)
                if any(w in folded for w in accepted):
                    chosen.append(product)
        if any(p["protecting"] for p in chosen):
            settings.update(
                AntivirusProtection="On",
                AntivirusProtectedBy="Product",
                AntivirusSignatureAgeDays=0,
                AntivirusSignatures="Current",
                AntivirusTamperProtection=2,
            )
        elif any(p["claiming"] or not p["decoded"] for p in chosen):
            settings["AntivirusProtection"] = "Unknown"
        elif not chosen and products:
            settings["AntivirusProtection"] = "NotAccepted"
        else:
            settings["AntivirusProtection"] = "Off"
    if malformed:
        settings["AntivirusProtection"] = "Malformed"
    if odd:
        settings["AntivirusProtection"] = "Unrecognised"
    return settings
