"""macOS reads of a rule from the installed configuration profiles: `profiles -C -o
stdout-xml` prints them as a property list, a dictionary whose `_computerlevel` key holds
the computer-level profiles (each with its ProfileIdentifier and its ProfileItems, the
payloads, each with its PayloadType and its settings under PayloadContent); other keys are
user names with their user-level profiles, which are not read.

One command per host however many profile reads the rules make (the engine runs each
command key once). `profiles` lists the computer-level profiles only to root (Apple's
profiles(1): "List profiles for a user or when running as root, the device"); run by
another user it would not list them, and a missing payload would look absent. So the
command prints the uid it ran as first (`id -u`), and any uid but 0 leaves the reads
unknown, naming it: run as root, with sudo -n (--sudo) or by a probe script alike.

No computer-level profile (`<dict/>`, or the sentence `profiles -C` prints then) or no
payload of the type is absent; payloads of the type without the key, absent too (named
apart). The output is hostile: too long, not a plist (plistlib refuses entity
declarations), or a plist of another shape is unknown, never a value. Payloads of the
type that set the key to the same value give that value; to different values, unknown
naming the profiles, since which one macOS applies is undefined.
"""

from __future__ import annotations

from typing import Any

from endpoint_audit.checkkit.collector import Results
from endpoint_audit.checkkit.macos_plist import parse_plist
from endpoint_audit.errors import CollectorError
from endpoint_audit.model.commands import Argv, CommandResult
from endpoint_audit.model.rule import ProfileRead
from endpoint_audit.rules.facts import ReadValue, absent_value, unknown_value
from endpoint_audit.rules.plist_values import MISSING, lookup, plist_type, typed

# A fixed path: `profiles` and `id` are part of macOS. `&&`: no listing when `id` failed.
PROFILES = Argv(
    ("/bin/sh", "-c", "/usr/bin/id -u && exec /usr/bin/profiles -C -o stdout-xml"),
    privileged=True,
)
COMPUTER_LEVEL = "_computerlevel"
# Profiles holding certificates run to some hundred KiB; more is not read (the batch
# transport keeps at most 8 MiB of a stream).
OUTPUT_LIMIT = 4 * 1024 * 1024
# What `profiles -C` prints, whole, when no computer-level profile is installed (compared
# with exactly this by wwwhtml/macos-mdm-profile-checker file2.sh); with `-o stdout-xml`
# an empty listing is `<dict/>` (fleetdm/fleet orbit/pkg/profiles emptyOutput). Any other
# text is no listing. A user's "... installed for user 'name'" says nothing of the device.
NO_PROFILES = "There are no configuration profiles installed in the system domain"


def parse(read: ProfileRead, results: Results) -> ReadValue:
    key = PROFILES.key
    label = read.label()
    result = results.get(key)
    if result is None:
        return unknown_value(key, "no_result", read=label, command=key)
    if result.timed_out:
        return unknown_value(key, "read_failed", read=label, output="timed out")
    if result.privilege_refused:
        return unknown_value(key, "denied", read=label)
    if result.not_found:
        return unknown_value(key, "not_installed", read=label, command="profiles")
    uid, _, listing = result.stdout.partition("\n")
    if not uid.strip().isdigit():
        return unknown_value(key, "read_failed", read=label, output=result.excerpt(120))
    if uid.strip() != "0":
        return unknown_value(key, "profiles_needs_root", read=label, uid=uid.strip()[:12])
    if not result.ok:
        return unknown_value(key, "read_failed", read=label, output=result.excerpt(200))
    if len(listing) > OUTPUT_LIMIT:
        return unknown_value(key, "output_too_long", read=label, limit=OUTPUT_LIMIT)
    if listing.strip() == NO_PROFILES:
        return absent_value("payload", key)
    try:
        top = parse_plist(CommandResult(0, stdout=listing), "profiles")
    except CollectorError:
        return unknown_value(key, "read_failed", read=label, output=listing.strip()[:80])
    payloads = _payloads(top, read)
    if isinstance(payloads, str):
        return unknown_value(key, "profiles_malformed", read=label, what=payloads)
    if not payloads:
        return absent_value("payload", key)
    found: list[tuple[str, ReadValue]] = []
    for profile, content in payloads:
        value = lookup(content, read.parts)
        if value is MISSING:
            continue
        got = typed(read, value, key)
        if got.state != "value":
            return got
        found.append((profile, got))
    if not found:
        return absent_value("payload_key", key)
    first = found[0][1]
    if any((v.kind, v.value) != (first.kind, first.value) for _, v in found):
        # Host text, bounded: at most 5 profiles named, each cut at 60 characters.
        names = ", ".join(list(dict.fromkeys(p[:60] for p, _ in found))[:5])
        values = ", ".join(str(v.value)[:40] for _, v in found[:5])
        return unknown_value(
            key, "profile_payloads_differ", read=label, profiles=names, values=values
        )
    return first


def _kind(value: Any) -> str:
    return plist_type(value) if value is not None else "-"


def _payloads(top: Any, read: ProfileRead) -> list[tuple[str, dict[str, Any]]] | str:
    """(ProfileIdentifier, PayloadContent) of each payload the read selects, or the place
    where the output has another shape than macOS prints (a profile there, unread, might
    hold the payload)."""
    if not isinstance(top, dict):
        return f"top: {_kind(top)}"
    profiles = top.get(COMPUTER_LEVEL, MISSING)
    if profiles is MISSING:
        return []  # no computer-level profile installed: `<dict/>`
    if not isinstance(profiles, list):
        return f"{COMPUTER_LEVEL}: {_kind(profiles)}"
    out: list[tuple[str, dict[str, Any]]] = []
    for n, profile in enumerate(profiles):
        where = f"{COMPUTER_LEVEL}[{n}]"
        if not isinstance(profile, dict):
            return f"{where}: {_kind(profile)}"
        ident = profile.get("ProfileIdentifier")
        if not isinstance(ident, str):
            return f"{where}.ProfileIdentifier: {_kind(ident)}"
        if read.profile is not None and ident != read.profile:
            continue
        items = profile.get("ProfileItems")
        if not isinstance(items, list):
            return f"{where}.ProfileItems: {_kind(items)}"
        for m, item in enumerate(items):
            at = f"{where}.ProfileItems[{m}]"
            if not isinstance(item, dict):
                return f"{at}: {_kind(item)}"
            kind = item.get("PayloadType")
            if not isinstance(kind, str):
                return f"{at}.PayloadType: {_kind(kind)}"
            if kind != read.profile_payload:
                continue
            content = item.get("PayloadContent")
            if not isinstance(content, dict):
                return f"{at}.PayloadContent: {_kind(content)}"
            out.append((ident, content))
    return out
