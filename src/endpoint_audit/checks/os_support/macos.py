"""os_support on macOS: the major version platform detection read from `sw_vers`
(ProductVersion 15.1 -> 15)."""

from __future__ import annotations

from endpoint_audit.checkkit import Collector, Results
from endpoint_audit.checks.os_support.facts import OsSupportFacts
from endpoint_audit.model.observed import seen, unknown
from endpoint_audit.model.platform import OsFamily, PlatformInfo


def major(version: str) -> str | None:
    """The major version of a ProductVersion; 10.x releases keep two parts (10.15)."""
    parts = version.strip().split(".")
    if not parts[0].isdigit():
        return None
    if parts[0] == "10":
        return f"10.{parts[1]}" if len(parts) > 1 and parts[1].isdigit() else None
    return parts[0]


class MacosOsSupport(Collector[OsSupportFacts]):
    family = OsFamily.MACOS
    fact_type = OsSupportFacts

    def parse(self, results: Results, platform: PlatformInfo) -> OsSupportFacts:
        key = major(platform.version or "")
        return OsSupportFacts(
            product=seen("macos"),
            release=seen(key)
            if key
            else unknown("os_support.reason.no_product_version", version=platform.version or "-"),
            label=platform.pretty_name or "",
        )
