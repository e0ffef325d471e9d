"""os_support on Linux: the distribution and release platform detection read from
/etc/os-release (ID, VERSION_ID). Fedora states its own end of support (SUPPORT_END),
which is read from the file itself."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from datetime import date

from endpoint_audit.checkkit import Collector, Results, require
from endpoint_audit.checkkit.lines import host_lines
from endpoint_audit.checks.os_support.facts import OsSupportFacts
from endpoint_audit.model.commands import Command, ReadFile
from endpoint_audit.model.observed import seen, unknown
from endpoint_audit.model.platform import OsFamily, PlatformInfo

OS_RELEASE = ReadFile("/etc/os-release")
# Distributions whose os-release may state SUPPORT_END (freedesktop os-release(5)).
STATES_END = ("fedora",)


def release_key(distro: str, version: str) -> str:
    """The key of a release in the data: RHEL is listed by major version (9.4 -> 9)."""
    return version.split(".")[0] if distro == "rhel" else version


def support_end(text: str) -> date | None:
    """SUPPORT_END=YYYY-MM-DD from os-release text, or None when absent, not a date, or
    stated more than once differently (the shell takes the last assignment, a reader
    stopping at the first another: such a file states no one end)."""
    found: set[date | None] = set()
    for line in host_lines(text):
        key, sep, raw = line.strip().partition("=")
        if sep and key == "SUPPORT_END":
            try:
                words = shlex.split(raw)
                found.add(date.fromisoformat(words[0]) if words else None)
            except ValueError:
                found.add(None)
    return found.pop() if len(found) == 1 else None


class LinuxOsSupport(Collector[OsSupportFacts]):
    family = OsFamily.LINUX
    fact_type = OsSupportFacts

    def commands(self, platform: PlatformInfo, results: Results) -> Sequence[Command]:
        return [OS_RELEASE] if platform.distro in STATES_END else []

    def parse(self, results: Results, platform: PlatformInfo) -> OsSupportFacts:
        distro, version = platform.distro, platform.version
        stated = None
        if distro in STATES_END:
            result = require(results, OS_RELEASE)
            stated = support_end(result.stdout) if result.ok else None
        return OsSupportFacts(
            product=seen(distro) if distro else unknown("os_support.reason.no_os_release_id"),
            release=(
                seen(release_key(distro or "", version))
                if version
                else unknown("os_support.reason.no_version_id")
            ),
            label=platform.pretty_name or "",
            stated_end=stated,
            sources=(OS_RELEASE.key,) if distro in STATES_END else (),
        )
