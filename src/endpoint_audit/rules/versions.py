"""Package versions compared as the package manager compares them.

dpkg (Debian, Ubuntu): `[epoch:]upstream[-revision]`, by python-debian's implementation
of dpkg's algorithm (deb-version(7)): the epoch first, as a number (none is 0); then the
upstream version, then the Debian revision (none is "0"), each split into runs of non-digits
compared character by character (letters sort before other characters, and `~` before
everything, even the end: 1.0~rc1 < 1.0) and runs of digits compared as numbers.

rpm (RHEL, Fedora, SUSE): `[epoch:]version-release`, by rpm's rpmvercmp(): the epoch first
(none is 0), then the version, then the release; each is split into runs of letters and of
digits, other characters only separate them; digits compare as numbers and beat letters;
`~` sorts before everything (pre-releases), `^` after the end but before anything else
(post-release snapshots); when one side runs out, the longer one is newer. A release
given on one side only is not compared (`version_ge: '2.34'` holds for 2.34-100.el9),
as `rpm -q --whatprovides 'name >= 2.34'` reads a requirement without one.
"""

from __future__ import annotations

import re
from typing import Literal

Scheme = Literal["dpkg", "rpm"]

# Debian: what deb-version(7) allows; anything else is not compared (unknown).
_DPKG = re.compile(r"(\d+:)?[0-9][A-Za-z0-9.+~-]*(-[A-Za-z0-9.+~]+)?")
_RPM = re.compile(r"(\d+:)?[A-Za-z0-9._+~^]+(-[A-Za-z0-9._+~^]+)?")
_MAX = 256


def compare(scheme: Scheme, a: str, b: str) -> int | None:
    """-1, 0 or 1 as a is older than, the same as or newer than b; None when either is not
    a version of that scheme (so the rule is unknown, never guessed)."""
    if len(a) > _MAX or len(b) > _MAX:
        return None
    if scheme == "dpkg":
        if not (_DPKG.fullmatch(a) and _DPKG.fullmatch(b)):
            return None
        # python-debian (and the apt_pkg it loads) only when a rule compares dpkg versions:
        # most scans never do, and the import costs a start-up.
        from debian.debian_support import version_compare

        try:
            result = version_compare(a, b)
        except ValueError:
            return None
        return (result > 0) - (result < 0)
    if not (_RPM.fullmatch(a) and _RPM.fullmatch(b)):
        return None
    return rpm_compare(a, b)


def _evr(text: str) -> tuple[int, str, str | None]:
    epoch, sep, rest = text.partition(":")
    if not sep:
        epoch, rest = "0", text
    version, dash, release = rest.rpartition("-")
    if not dash:
        return int(epoch), rest, None
    return int(epoch), version, release


def rpm_compare(a: str, b: str) -> int:
    """rpm's comparison of two `[epoch:]version[-release]` texts (rpmvercmp on each part)."""
    ea, va, ra = _evr(a)
    eb, vb, rb = _evr(b)
    if ea != eb:
        return 1 if ea > eb else -1
    result = rpmvercmp(va, vb)
    if result or ra is None or rb is None:
        return result
    return rpmvercmp(ra, rb)


_SEPARATOR = re.compile(r"^[^A-Za-z0-9~^]+")
_SEGMENT = re.compile(r"^(\d+|[A-Za-z]+)")


def rpmvercmp(a: str, b: str) -> int:
    """rpm's rpmvercmp() (rpmio/rpmvercmp.c) on two version or release texts."""
    if a == b:
        return 0
    while a or b:
        a = _SEPARATOR.sub("", a)
        b = _SEPARATOR.sub("", b)
        # `~` sorts before everything, the end included.
        if a.startswith("~") or b.startswith("~"):
            if not a.startswith("~"):
                return 1
            if not b.startswith("~"):
                return -1
            a, b = a[1:], b[1:]
            continue
        # `^` sorts after the end but before anything else.
        if a.startswith("^") or b.startswith("^"):
            if not a:
                return -1
            if not b:
                return 1
            if not a.startswith("^"):
                return 1
            if not b.startswith("^"):
                return -1
            a, b = a[1:], b[1:]
            continue
        if not a or not b:
            break
        seg_a = _SEGMENT.match(a)
        seg_b = _SEGMENT.match(b)
        if seg_a is None or seg_b is None:  # only separators were left
            break
        one, two = seg_a.group(1), seg_b.group(1)
        numeric = one[0].isdigit()
        if numeric != two[0].isdigit():
            # A number is newer than letters.
            return 1 if numeric else -1
        if numeric:
            x, y = one.lstrip("0"), two.lstrip("0")
            if len(x) != len(y):
                return 1 if len(x) > len(y) else -1
            if x != y:
                return 1 if x > y else -1
        elif one != two:
            return 1 if one > two else -1
        a, b = a[len(one) :], b[len(two) :]
    if not a and not b:
        return 0
    # The one with something left is newer.
    return 1 if a else -1
