"""password_policy on macOS: the global account policies `pwpolicy -getaccountpolicies`
prints as a property list (configuration profiles' passcode payloads appear there too,
as `ProfilePayload:<uuid>:<key>` policies).

pwpolicy prints a line ("Getting global account policies") before the XML; only the XML
part is parsed, with plistlib (no entity expansion). Policy contents are expressions
(`policyAttributePassword matches '.{8,}+'`) and are read conservatively:

- length: a content policy whose whole pattern is `.{N,}` (optionally `^`, `$`, `+`);
- character classes: a content policy whose whole pattern is `(.*[X].*){N,}` with X one
  of `a-z`, `A-Z`, `0-9` or a negated class of those (other characters);
- lockout: an authentication policy comparing policyAttributeFailedAuthentications with
  policyAttributeMaximumFailedAuthentications, whose integer parameter is the threshold
  (with the profile's unlock clause, an autoEnableInSeconds of at least one second).

Every content policy must hold for a new password, so what the interpreted ones require
is a lower bound: it can prove a rule is met. When it falls short and other policies are
present that could not be interpreted, the rule is unknown, never a fail or a pass on a
guess. No policy at all is a fail: a stock Mac accepts passwords of 4 characters
(com.apple.defaultpasswordpolicy.fde).
"""

from __future__ import annotations

import plistlib
import re
from typing import Any
from xml.parsers.expat import ExpatError

from msgspec import Struct, field

from endpoint_audit.checkkit import Collector, CollectorError, Results, require
from endpoint_audit.checkkit.macos_plist import as_int
from endpoint_audit.checks.password_policy.facts import PasswordPolicyFacts, Setting
from endpoint_audit.model.commands import Argv
from endpoint_audit.model.observed import Observed, Reason, Unknown, seen
from endpoint_audit.model.platform import OsFamily, PlatformInfo

PWPOLICY = Argv(("pwpolicy", "-getaccountpolicies"))
REASON = "password_policy.reason"
SOURCE = "pwpolicy -getaccountpolicies"

_MATCHES = re.compile(r"policyAttributePassword\s+matches\s+'(?P<re>[^']*)'")
_LENGTH = re.compile(r"\^?\.\{(?P<n>\d{1,4}),(?:\d{1,4})?\}\+?\$?")
_CLASS = re.compile(r"\(\.\*\[(?P<cls>\^?[a-zA-Z0-9-]+)\]\.\*\)\{(?P<n>\d{1,4}),\}\+?")
# The character classes a pattern may name, by the class it stands for.
_CLASSES = {
    "a-z": "lower",
    "A-Z": "upper",
    "0-9": "digit",
    "^a-zA-Z0-9": "other",
    "^A-Za-z0-9": "other",
    "^0-9a-zA-Z": "other",
}
_FAILED = "policyAttributeFailedAuthentications"
_MAXIMUM = "policyAttributeMaximumFailedAuthentications"
# The lockout a configuration profile writes: locked after the maximum, unlocked again
# once autoEnableInSeconds have passed since the last failure. Any other alternative
# (`OR ...`) could let sign-ins through and is not interpreted.
_UNLOCK_AFTER = (
    r"\(?\s*policyAttributeCurrentTime\s*>\s*\(?\s*policyAttributeLastFailedAuthenticationTime"
    r"\s*\+\s*autoEnableInSeconds\s*\)?\s*\)?"
)
_LOCKOUT = re.compile(rf"\(?\s*{_FAILED}\s*<\s*{_MAXIMUM}\s*\)?(?:\s+OR\s+{_UNLOCK_AFTER})?")


class _Read(Struct):
    lengths: list[tuple[int, str]] = field(default_factory=list)
    classes: dict[str, str] = field(default_factory=dict)
    thresholds: list[tuple[int, str]] = field(default_factory=list)
    uninterpreted_content: list[str] = field(default_factory=list)
    uninterpreted_lockout: list[str] = field(default_factory=list)


def xml_part(stdout: str) -> str | None:
    """The property list after pwpolicy's header line, or None when there is none."""
    at = stdout.find("<?xml")
    if at < 0:
        at = stdout.find("<plist")
    return stdout[at:] if at >= 0 else None


def _identifier(policy: dict[str, Any]) -> str:
    ident = policy.get("policyIdentifier")
    return ident[:120] if isinstance(ident, str) and ident else "-"


def _content(policy: dict[str, Any], read: _Read) -> None:
    text = policy.get("policyContent")
    ident = _identifier(policy)
    found = _MATCHES.fullmatch(text.strip()) if isinstance(text, str) else None
    if found is None:
        read.uninterpreted_content.append(ident)
        return
    pattern = found.group("re")
    length = _LENGTH.fullmatch(pattern)
    if length is not None:
        read.lengths.append((int(length.group("n")), ident))
        return
    klass = _CLASS.fullmatch(pattern)
    if klass is not None and int(klass.group("n")) >= 1 and klass.group("cls") in _CLASSES:
        read.classes.setdefault(_CLASSES[klass.group("cls")], ident)
        return
    read.uninterpreted_content.append(ident)


def _authentication(policy: dict[str, Any], read: _Read) -> None:
    text = policy.get("policyContent")
    ident = _identifier(policy)
    if not isinstance(text, str) or _FAILED not in text:
        return  # other authentication rules (expiry, disabling after a date) lock nobody out
    parameters = policy.get("policyParameters")
    limit = as_int(parameters.get(_MAXIMUM)) if isinstance(parameters, dict) else None
    if _LOCKOUT.fullmatch(text.strip()) is None or limit is None or limit < 0:
        read.uninterpreted_lockout.append(ident)
        return
    unlock = parameters.get("autoEnableInSeconds") if isinstance(parameters, dict) else None
    if "autoEnableInSeconds" in text and unlock is not None and not _seconds(unlock):
        # Unlocked again after 0 seconds (or a time that is no whole number): the OR
        # branch lets every sign-in through, so the threshold proves no lockout.
        read.uninterpreted_lockout.append(ident)
        return
    read.thresholds.append((limit, ident))


def _seconds(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _policies(value: Any, category: str) -> list[dict[str, Any]]:
    items = value.get(category, [])
    if not isinstance(items, list):
        raise CollectorError(Reason(key=f"{REASON}.pwpolicy_shape", args={"category": category}))
    return [p for p in items if isinstance(p, dict)]


_KNOWN = ("policyCategoryPasswordContent", "policyCategoryAuthentication")


def read_policies(value: dict[str, Any]) -> _Read:
    read = _Read()
    for policy in _policies(value, "policyCategoryPasswordContent"):
        _content(policy, read)
    for policy in _policies(value, "policyCategoryAuthentication"):
        _authentication(policy, read)
    # A failed-authentication rule under another category is not interpreted either way.
    for category in sorted(str(k) for k in value if k not in _KNOWN):
        items = value.get(category)
        for policy in items if isinstance(items, list) else []:
            text = policy.get("policyContent") if isinstance(policy, dict) else None
            if isinstance(text, str) and _FAILED in text:
                read.uninterpreted_lockout.append(_identifier(policy))
    return read


def _unsure(names: list[str]) -> Reason | None:
    if not names:
        return None
    return Reason(key=f"{REASON}.pwpolicy_uninterpreted", args={"policies": ", ".join(names[:5])})


def _min_length(read: _Read) -> Observed[Setting]:
    unsure = _unsure(read.uninterpreted_content)
    if read.lengths:
        best, ident = max(read.lengths)
        return seen(Setting(value=best, source=f"{SOURCE} {ident}", unsure=unsure))
    return seen(Setting(value=0, source=f"{SOURCE}: ∅", unsure=unsure))


def _char_classes(read: _Read) -> Observed[Setting]:
    names = ",".join(sorted(read.classes)) or "none"
    return seen(
        Setting(
            value=len(read.classes),
            source=f"{SOURCE} classes {names}",
            unsure=_unsure(read.uninterpreted_content),
        )
    )


def _lockout(read: _Read) -> Observed[Setting]:
    unsure = _unsure(read.uninterpreted_lockout)
    if read.thresholds:
        least, ident = min(read.thresholds)
        # 0 allowed failures locks at the first one.
        value = max(least, 1)
        return seen(
            Setting(value=value, source=f"{SOURCE} {ident} {_MAXIMUM}={least}", unsure=unsure)
        )
    if unsure is not None:
        return Unknown(reason=unsure)
    return seen(Setting(value=0, source=f"{SOURCE}: ∅"))


def parse_pwpolicy(stdout: str) -> PasswordPolicyFacts:
    xml = xml_part(stdout)
    if xml is None:
        raise CollectorError(
            Reason(key=f"{REASON}.pwpolicy_no_plist", args={"output": stdout.strip()[:200]})
        )
    try:
        value = plistlib.loads(xml.encode("utf-8"), fmt=plistlib.FMT_XML)
    except (plistlib.InvalidFileException, ExpatError, ValueError, TypeError) as exc:
        raise CollectorError(
            Reason(key=f"{REASON}.pwpolicy_no_plist", args={"output": str(exc)[:200]})
        ) from exc
    if not isinstance(value, dict):
        raise CollectorError(
            Reason(key=f"{REASON}.pwpolicy_shape", args={"category": type(value).__name__})
        )
    read = read_policies(value)
    return PasswordPolicyFacts(
        min_length=_min_length(read),
        lockout_threshold=_lockout(read),
        char_classes=_char_classes(read),
        sources=(PWPOLICY.key,),
    )


class MacosPasswordPolicy(Collector[PasswordPolicyFacts]):
    family = OsFamily.MACOS
    fact_type = PasswordPolicyFacts
    asks = (PWPOLICY,)

    def parse(self, results: Results, platform: PlatformInfo) -> PasswordPolicyFacts:
        result = require(results, PWPOLICY)
        if not result.ok:
            raise CollectorError(
                Reason(
                    key=f"{REASON}.pwpolicy_failed",
                    args={"exit_status": result.exit_status, "output": result.excerpt(200)},
                )
            )
        return parse_pwpolicy(result.stdout)
