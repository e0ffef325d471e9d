"""The macOS Application Firewall (ALF), from `socketfilterfw` (macOS 13-15).

macOS 15 no longer keeps the firewall state in `com.apple.alf`, so the preference file is
not read: `socketfilterfw` reports the effective state on every supported release.
"""

from __future__ import annotations

import re

from endpoint_audit.checkkit.collector import Collector, Results, require
from endpoint_audit.checkkit.firewall_facts import FirewallProfile
from endpoint_audit.checks.firewall.facts import FirewallFacts
from endpoint_audit.errors import CollectorError, FactUnavailable
from endpoint_audit.model.commands import Argv, CommandResult
from endpoint_audit.model.observed import Reason, seen
from endpoint_audit.model.platform import OsFamily, PlatformInfo

SOCKETFILTERFW = "/usr/libexec/ApplicationFirewall/socketfilterfw"
GLOBAL_STATE = Argv((SOCKETFILTERFW, "--getglobalstate"))
STEALTH_MODE = Argv((SOCKETFILTERFW, "--getstealthmode"))
PROFILE_NAME = "Application Firewall"

_STATE = re.compile(r"\(State\s*=\s*(\d+)\)")
# Without a state number, older releases still say "Firewall is enabled." / "disabled.".
_WORDS = re.compile(r"Firewall is (enabled|disabled)\b", re.IGNORECASE)
_STEALTH = re.compile(r"Stealth mode (enabled|disabled|is on|is off)", re.IGNORECASE)


def parse_global_state(text: str) -> int:
    """0 = off, 1 = on (per-application rules), 2 = on and blocking all incoming.

    State 2 is printed as "Firewall is enabled. (State = 2)" on some releases and as
    "Firewall is blocking all non-essential incoming connections. (State = 2)" on others.
    """
    states = {int(m.group(1)) for m in _STATE.finditer(text)}
    said = {1 if m.group(1).lower() == "enabled" else 0 for m in _WORDS.finditer(text)}
    # Two states, or words that contradict the number ("disabled. (State = 1)"): the
    # answer is not socketfilterfw's, and neither part is believed.
    on = {min(s, 1) for s in states}
    if len(states) > 1 or len(said) > 1 or (states and said and on != said):
        raise CollectorError(
            f"socketfilterfw --getglobalstate: contradictory {text.strip()[:200]!r}"
        )
    if states:
        (state,) = states
        if state not in (0, 1, 2):
            raise CollectorError(f"socketfilterfw: unknown firewall state {state}")
        return state
    if said:
        (enabled,) = said
        return enabled
    raise CollectorError(f"socketfilterfw --getglobalstate: unrecognised {text.strip()[:200]!r}")


def parse_stealth(result: CommandResult | None) -> bool | None:
    if result is None or not result.ok:
        return None
    match = _STEALTH.search(result.stdout)
    if match is None:
        return None
    return match.group(1).lower() in ("enabled", "is on")


def profile_from(state: int, stealth: bool | None) -> FirewallProfile:
    stealth_text = {True: "stealth mode on", False: "stealth mode off", None: "stealth mode ?"}
    if state == 0:
        return FirewallProfile(
            name=PROFILE_NAME,
            enabled=seen(False),
            inbound_default=seen("allow"),
            detail="State = 0 (off)",
        )
    # State 1 refuses incoming connections to every application not allowed (signed Apple
    # software is allowed automatically): an inbound default of deny with exceptions, as a
    # Windows profile with inbound Block and allow rules. State 2 blocks them all.
    what = "blocking all incoming connections" if state == 2 else "per-application rules"
    return FirewallProfile(
        name=PROFILE_NAME,
        enabled=seen(True),
        inbound_default=seen("deny"),
        detail=f"State = {state} ({what}); {stealth_text[stealth]}",
    )


class MacosFirewall(Collector[FirewallFacts]):
    family = OsFamily.MACOS
    fact_type = FirewallFacts
    asks = (GLOBAL_STATE, STEALTH_MODE)

    def parse(self, results: Results, platform: PlatformInfo) -> FirewallFacts:
        result = require(results, GLOBAL_STATE)
        if result.not_found:
            raise FactUnavailable(
                Reason(key="firewall.reason.socketfilterfw_missing", args={"path": SOCKETFILTERFW})
            )
        if not result.ok:
            raise CollectorError(
                f"socketfilterfw --getglobalstate exited {result.exit_status}: {result.excerpt()}"
            )
        state = parse_global_state(result.stdout)
        stealth = parse_stealth(results.get(STEALTH_MODE.key))
        return FirewallFacts(
            require="all", profiles=(profile_from(state, stealth),), checked=(PROFILE_NAME,)
        )
