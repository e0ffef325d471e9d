"""Deprecated import path, kept for third-party collectors written against it: the
Collector contract now lives in `endpoint_audit.checkkit` (import from there)."""

from endpoint_audit.checkkit.collector import (
    Collector,
    CollectorError,
    FactUnavailable,
    Results,
    as_int,
    check_privilege,
    json_output,
    require,
)

__all__ = [
    "Collector",
    "CollectorError",
    "FactUnavailable",
    "Results",
    "as_int",
    "check_privilege",
    "json_output",
    "require",
]
