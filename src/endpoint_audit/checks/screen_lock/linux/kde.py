"""KDE Plasma screen-lock settings from kscreenlockerrc (KConfig INI).

`[Daemon]` holds `Autolock` (lock when idle), `Timeout` (minutes idle before the lock),
`LockGrace` (seconds after the screen saver starts during which no password is asked),
`Lock` and, since Plasma 6.1, `RequirePassword`: with either false ksldapp starts the
greeter with `--nolock` (Lock false makes the grace time endless), a screen saver that
asks for no password (kscreenlocker ksldapp.cpp, settings/kscreenlockersettings.kcfg).
The user's ~/.config/kscreenlockerrc overrides /etc/xdg/kscreenlockerrc unless the system
file marks the entry immutable with `[$i]` (on the key, on the group, or on the whole file),
which is how administrators enforce it. Missing entries take the kscreenlocker defaults.
"""

from __future__ import annotations

import math
import re

from msgspec import Struct, field

from endpoint_audit.checkkit.lines import host_lines

GROUP = "Daemon"
AUTOLOCK = "Autolock"
TIMEOUT = "Timeout"
LOCK_GRACE = "LockGrace"
LOCK = "Lock"
REQUIRE_PASSWORD = "RequirePassword"  # noqa: S105 (a setting name, not a password)
KEYS = (AUTOLOCK, TIMEOUT, LOCK_GRACE, LOCK, REQUIRE_PASSWORD)
# Each must be true for an idle screen to ask for the password.
SWITCHES = (AUTOLOCK, LOCK, REQUIRE_PASSWORD)

# kscreenlockersettings.kcfg: Autolock true, Timeout 5 (minutes), LockGrace 5 (seconds),
# Lock true, RequirePassword true.
DEFAULTS = {
    AUTOLOCK: "true",
    TIMEOUT: "5",
    LOCK_GRACE: "5",
    LOCK: "true",
    REQUIRE_PASSWORD: "true",
}

_GROUP_LINE = re.compile(r"^\[(?P<name>[^\]]*)\](?P<flags>(?:\[\$[a-z]+\])*)$")
_KEY = re.compile(r"^(?P<key>[A-Za-z0-9_]+)(?:\[(?P<flags>\$[a-z]+)\])?\s*=\s*(?P<value>.*)$")


class KConfig(Struct):
    """The `[Daemon]` entries of one kscreenlockerrc and which of them are immutable."""

    values: dict[str, str] = field(default_factory=dict)
    immutable: set[str] = field(default_factory=set)
    # `[Daemon][$i]` or a file-wide `[$i]`: files read later (the user's) change no entry
    # of the group, so an entry the system file leaves out keeps its default.
    group_immutable: bool = False


def parse_kscreenlockerrc(text: str) -> KConfig:
    config = KConfig()
    group: str | None = None
    group_immutable = file_immutable = False
    for raw in host_lines(text):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line == "[$i]" and group is None:
            file_immutable = True
            continue
        header = _GROUP_LINE.match(line)
        if header:
            group = header["name"]
            group_immutable = "[$i]" in header["flags"]
            if group == GROUP and (group_immutable or file_immutable):
                config.group_immutable = True
            continue
        if group != GROUP:
            continue
        entry = _KEY.match(line)
        if entry is None or entry["key"] not in KEYS:
            continue
        key = entry["key"]
        if key in config.immutable:
            continue  # an immutable entry cannot be overridden, even later in the file
        config.values[key] = entry["value"].strip()
        if file_immutable or group_immutable or entry["flags"] == "$i":
            config.immutable.add(key)
    return config


class KdeLock(Struct, frozen=True):
    lock_enabled: bool | None
    idle_seconds: int | None
    lock_delay_seconds: int | None
    enforced: bool
    missing: tuple[str, ...]  # entries that depend on the unread user file
    off: tuple[str, ...] = ()  # the switches set false
    unclear: tuple[str, ...] = ()  # the switches set to a text that is no boolean


def _bool(text: str | None) -> bool | None:
    if text is None:
        return None
    lowered = text.strip().lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    return None


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        number = float(text.strip())
    except ValueError:
        return None
    # "nan" and "inf" parse as floats but are no setting (and round() refuses them).
    return number if math.isfinite(number) else None


def effective(system: KConfig, user: KConfig | None) -> KdeLock:
    """The settings in force for one user. `user` None: the user's file was not readable,
    so only immutable system entries are known."""
    raw: dict[str, str | None] = {}
    for key in KEYS:
        if key in system.immutable:
            raw[key] = system.values[key]
        elif system.group_immutable:
            raw[key] = DEFAULTS[key]
        elif user is None:
            raw[key] = None
        else:
            raw[key] = user.values.get(key, system.values.get(key, DEFAULTS[key]))
    timeout = _number(raw[TIMEOUT])
    grace = _number(raw[LOCK_GRACE])
    switches = [_bool(raw[k]) for k in SWITCHES]
    enabled = False if False in switches else (None if None in switches else True)
    return KdeLock(
        lock_enabled=enabled,
        idle_seconds=round(timeout * 60) if timeout is not None else None,
        lock_delay_seconds=round(grace) if grace is not None else None,
        enforced=system.group_immutable or all(k in system.immutable for k in KEYS),
        missing=tuple(k for k in KEYS if raw[k] is None),
        off=tuple(k for k, on in zip(SWITCHES, switches, strict=True) if on is False),
        unclear=tuple(
            k for k, on in zip(SWITCHES, switches, strict=True) if on is None and raw[k] is not None
        ),
    )
