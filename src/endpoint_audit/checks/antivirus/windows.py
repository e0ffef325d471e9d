"""antivirus on Windows: Microsoft Defender Antivirus, the antivirus products registered
with Windows Security Center, and the Defender for Endpoint onboarding state, from one
PowerShell probe (probes/antivirus_status.ps1).

Security Center's `productState` is decoded by checkkit/security_center.py (the same
decoding the firewall check uses); a value it does not recognise leaves the product
unknown, never taken as on. Security Center keeps the entry and the last productState of
a product that was uninstalled or broke (its entries are "not removed in a proper way",
fixitpc.pl "Niezgodne dane w Centrum zabezpieczeń", 2010): the probe also sends whether
the entry's programs (pathToSignedProductExe, pathToSignedReportingExe) are on disk and
whether a running service or process runs the reporting program, and the entry's
timestamp, an RFC 1123 text in public captures ("Wed, 15 Dec 2021 12:40:10 GMT", also on
a Chinese PC), sent as ISO 8601.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from endpoint_audit.checkkit.security_center import (
    SECURITY_CENTER_ENTRY,
    decode_product_state,
    liveness_fields,
)
from endpoint_audit.checkkit.windows_probe import (
    OneProbeCollector,
    as_dict,
    as_int,
    as_list,
    as_text,
    windows_script,
)
from endpoint_audit.checks.antivirus.facts import (
    AntivirusFacts,
    DefenderStatus,
    RegisteredProduct,
)
from endpoint_audit.model.commands import PowerShell
from endpoint_audit.model.observed import Observed, seen, unknown

ANTIVIRUS_STATUS = PowerShell(
    "antivirus_status",
    SECURITY_CENTER_ENTRY + windows_script(__name__, "antivirus_status"),
    clm_safe=True,  # cmdlets, casts and hashtables only (tests/windows/test_clm.py)
)

ONBOARDED = 1  # OnboardingState


def decode_product(name: str, code: int | None, **liveness: Any) -> RegisteredProduct:
    """A registered product with its productState decoded; what is not recognised stays
    None (the check says unknown for it). `liveness`: the RegisteredProduct fields that
    say whether it is alive."""
    decoded = decode_product_state(code)
    if decoded is None:
        return RegisteredProduct(name=name, product_state=code, **liveness)
    return RegisteredProduct(
        name=name,
        product_state=code,
        state=decoded.state,
        up_to_date=decoded.up_to_date,
        microsoft=decoded.microsoft,
        **liveness,
    )


def product_from(entry: dict[str, Any]) -> RegisteredProduct:
    return decode_product(
        as_text(entry.get("name")) or "?",
        as_int(entry.get("product_state")),
        **liveness_fields(entry),
    )


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _date(value: Any) -> datetime | None:
    text = as_text(value)
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def _failure(value: Any) -> str:
    if not isinstance(value, dict):
        return "no answer"
    hresult = as_int(value.get("hresult"))
    code = f" (HRESULT 0x{hresult & 0xFFFFFFFF:08X})" if hresult is not None else ""
    return f"{(as_text(value.get('error')) or '?')[:200]}{code}"


def defender_from(data: dict[str, Any]) -> Observed[DefenderStatus]:
    raw = data.get("defender")
    if not isinstance(raw, dict):
        failure = _failure(data.get("defender_failure"))
        return unknown("antivirus.reason.defender_unread", output=failure)
    age = as_int(raw.get("signature_age_days"))
    updated = _date(raw.get("signature_updated"))
    if updated is None and as_text(raw.get("signature_updated")):
        # A date sent but unreadable: the output is not what the probe writes, so
        # Defender's count beside it is not taken alone either (the age stays unknown).
        age = None
    return seen(
        DefenderStatus(
            running_mode=as_text(raw.get("running_mode")) or None,
            service_enabled=_bool(raw.get("service_enabled")),
            antivirus_enabled=_bool(raw.get("antivirus_enabled")),
            real_time=_bool(raw.get("real_time")),
            signature_age_days=age if age is not None and age >= 0 else None,
            signature_updated=updated,
            signature_version=as_text(raw.get("signature_version")) or "",
            signatures_out_of_date=_bool(raw.get("signatures_out_of_date")),
            tamper_protected=_bool(raw.get("tamper_protected")),
        )
    )


def products_from(data: dict[str, Any]) -> Observed[tuple[RegisteredProduct, ...]]:
    products = data.get("products")
    if products is None:
        installation = (as_text(data.get("installation_type")) or "").lower()
        if installation.startswith("server"):
            # Windows Server has no Security Center: what third parties run is not visible.
            return unknown("antivirus.reason.no_security_center")
        return unknown(
            "antivirus.reason.security_center_unread", output=_failure(data.get("products_failure"))
        )
    return seen(
        tuple(product_from(as_dict(p, "antivirus_status products[]")) for p in as_list(products))
    )


def onboarding_from(data: dict[str, Any]) -> Observed[bool]:
    key = data.get("edr_onboarding_key")
    if key is not True:
        return unknown(
            "antivirus.reason.edr_key_absent" if key is False else "antivirus.reason.edr_unread"
        )
    return seen(as_int(data.get("edr_onboarding_state")) == ONBOARDED)


def parse_status(value: Any) -> AntivirusFacts:
    data = as_dict(value, "PowerShell probe 'antivirus_status'")
    return AntivirusFacts(
        defender=defender_from(data),
        products=products_from(data),
        edr_onboarded=onboarding_from(data),
        sources=(ANTIVIRUS_STATUS.key,),
    )


class WindowsAntivirus(OneProbeCollector[AntivirusFacts]):
    fact_type = AntivirusFacts
    probe: ClassVar[PowerShell] = ANTIVIRUS_STATUS

    def parse_value(self, value: Any) -> AntivirusFacts:
        return parse_status(value)
