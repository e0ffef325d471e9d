"""The contract a check package is written against, built-in or third-party.

A check package holds one check: its fact model (`Fact`), its collectors per OS
(`Collector`: commands, then a pure `parse()`), the check (`Check`: metadata, `Params`, a
pure `evaluate()`), its texts and its replay cases, registered as one `CheckPackage`.
Helpers several checks share live here too (Windows probes, macOS property lists,
firewall profiles), never in another check's package.
"""

from endpoint_audit.checkkit.check import (
    Check,
    CheckMeta,
    CheckParams,
    EvalContext,
    FactView,
    Outcome,
)
from endpoint_audit.checkkit.collector import (
    Collector,
    Results,
    as_int,
    check_privilege,
    json_output,
    require,
)
from endpoint_audit.checkkit.fact import Fact
from endpoint_audit.checkkit.package import CheckPackage
from endpoint_audit.errors import CollectorError, FactUnavailable

__all__ = [
    "Check",
    "CheckMeta",
    "CheckPackage",
    "CheckParams",
    "Collector",
    "CollectorError",
    "EvalContext",
    "Fact",
    "FactUnavailable",
    "FactView",
    "Outcome",
    "Results",
    "as_int",
    "check_privilege",
    "json_output",
    "require",
]
