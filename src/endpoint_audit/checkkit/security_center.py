"""Windows Security Center's `productState`, decoded one way for every check.

Microsoft does not document the number. The decoding used here is the public analysis
"How to resolve this state value of AV providers" (mcpforlife.com, 2020-04-14), matching
the values Stack Overflow question 4700897 lists from 34 products on over 10,000
endpoints: bits 0xF000 the product state (0x0000 off, 0x1000 on, 0x2000 snoozed, 0x3000
expired), bits 0x0F00 the owner (0x000 a third party, 0x100 Windows), bits 0x00F0 the
signatures (0x00 up to date, 0x10 out of date); the bits above 0xFFFF name the kind of
provider. Anything else (a low nibble set, another nibble value, a number wider than 24
bits) is not decoded: the product is unknown, never taken as on.
"""

from datetime import datetime
from importlib import resources
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict

ProductState = Literal["on", "off", "snoozed", "expired"]

_STATES: dict[int, ProductState] = {0x0: "off", 0x1: "on", 0x2: "snoozed", 0x3: "expired"}
_SIGNATURES = {0x0: True, 0x1: False}
_OWNERS = {0x0: False, 0x1: True}


class Decoded(NamedTuple):
    state: ProductState
    up_to_date: bool
    microsoft: bool


def decode_product_state(code: int | None) -> Decoded | None:
    """The product's state, signatures and owner; None when any part is not recognised."""
    if code is None or code < 0 or code > 0xFFFFFF or code & 0x000F:
        return None
    state = _STATES.get((code >> 12) & 0xF)
    up_to_date = _SIGNATURES.get((code >> 4) & 0xF)
    microsoft = _OWNERS.get((code >> 8) & 0xF)
    if state is None or up_to_date is None or microsoft is None:
        return None
    return Decoded(state, up_to_date, microsoft)


# --- whether a registered product is alive ----------------------------------------------
#
# Security Center keeps the entry of a product that was uninstalled without unregistering,
# or that broke, with the last productState it reported ("not removed in a proper way",
# fixitpc.pl "Niezgodne dane w Centrum zabezpieczeń", 2010; a Norton 360 entry whose
# program is gone is a "ghost registration" in the Indago FW001 FWStatusTriage
# documentation). So a productState of on proves nothing by itself: the probes
# (SECURITY_CENTER_ENTRY, prepended to them) also send whether the entry's programs are on
# disk and whether a running service or process runs its reporting program.

Liveness = Literal["live", "stale", "not_running", "unverified"]

# Where the entry's programs and services are looked at: shared by every probe that
# reads a SecurityCenter2 class (numbers, booleans and ISO 8601 dates only).
SECURITY_CENTER_ENTRY = (
    resources.files(__package__) / "probe_parts" / "security_center_entry.ps1"
).read_text(encoding="utf-8")


class EntryLiveness(BaseModel):
    """What the probe saw of a Security Center entry's programs. None: not seen (a path
    that is no file or does not expand, an older probe, or not looked for)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timestamp: datetime | None = None  # when the product last reported to Security Center
    reporting_exe: str | None = None  # pathToSignedReportingExe, expanded (evidence)
    product_exe_exists: bool | None = None  # pathToSignedProductExe is on disk
    reporting_exe_exists: bool | None = None  # pathToSignedReportingExe is on disk
    reporting_running: bool | None = None  # a running service or process runs it

    @property
    def liveness(self) -> Liveness:
        """live: its reporting program is on disk and runs. stale: a program of the entry
        is gone (an uninstalled product's entry). not_running: on disk but not run by
        any running service or process. unverified: not seen."""
        if self.product_exe_exists is False or self.reporting_exe_exists is False:
            return "stale"
        if self.reporting_exe_exists is True and self.reporting_running is True:
            return "live"
        if self.reporting_exe_exists is True and self.reporting_running is False:
            return "not_running"
        return "unverified"

    def liveness_text(self) -> str:
        """The evidence, in the probe's terms."""

        def shown(value: bool | None) -> str:
            return "?" if value is None else str(value)

        stamp = self.timestamp.isoformat() if self.timestamp else "?"
        return (
            f"pathToSignedReportingExe={self.reporting_exe or '?'} "
            f"(exists={shown(self.reporting_exe_exists)}, "
            f"running={shown(self.reporting_running)}), "
            f"pathToSignedProductExe exists={shown(self.product_exe_exists)}, "
            f"timestamp={stamp}"
        )


def _flag(value: Any) -> bool | None:
    # Literal JSON booleans only: "True" or 1 is no evidence.
    return value if isinstance(value, bool) else None


def _stamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def liveness_fields(entry: dict[str, Any]) -> dict[str, Any]:
    """The EntryLiveness fields of one probe entry (hostile input: read strictly)."""
    path = entry.get("reporting_exe")
    return {
        "timestamp": _stamp(entry.get("timestamp")),
        "reporting_exe": path.strip()[:300] if isinstance(path, str) and path.strip() else None,
        "product_exe_exists": _flag(entry.get("product_exe_exists")),
        "reporting_exe_exists": _flag(entry.get("reporting_exe_exists")),
        "reporting_running": _flag(entry.get("reporting_running")),
    }
