"""antivirus: real-time protection on, signatures at most `max_signature_age_days` old and
tamper protection on where the product has it.

Windows: Microsoft Defender Antivirus passes when it runs in normal (active) mode with
its service, antivirus and real-time protection on, recent signatures and tamper
protection. Where Defender is passive or off, an antivirus product registered with
Security Center must protect instead: its productState decoded as on and up to date (an
undecoded state is unknown, never a pass), its reporting program on disk and run by a
running service or process (Security Center keeps the entries of uninstalled or broken
products; without that evidence: unknown), and named in `accepted_products` when that
list is given. Windows Server has no Security Center, so a passive Defender there is
unknown. The Defender for Endpoint onboarding state is evidence only.

macOS: XProtect's signatures updated within `xprotect_max_age_days`, the bundle XProtect
uses holding the recorded version or a newer one (on macOS 15 and later the one in
/var/protected/xprotect when present); the `agents` a
baseline names (mdatp) are judged as on Linux. Linux: the `agents` the baseline names
(ClamAV, mdatp); none named: not applicable.
"""

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from endpoint_audit.checkkit import (
    Check,
    CheckMeta,
    CheckParams,
    EvalContext,
    FactView,
    Outcome,
)
from endpoint_audit.checks.antivirus.facts import (
    AgentStatus,
    AntivirusFacts,
    DefenderStatus,
    RegisteredProduct,
    XProtectStatus,
)
from endpoint_audit.model.observed import Observed, Reason, Seen, Unknown
from endpoint_audit.model.platform import OsFamily
from endpoint_audit.model.result import Status

Args = dict[str, str | int | float | bool | Reason | None]
AgentId = Literal["clamav", "mdatp"]
DEFENDER = "Microsoft Defender Antivirus"
XPROTECT = "XProtect"
ACTIVE_MODE = "normal"  # AMRunningMode of an active Defender
MINUTES_PER_DAY = 24 * 60
# A signature date this far ahead of the run's clock is not believed: its age of 0 would
# come from a wrong host clock (the update check allows the same slack).
CLOCK_SLACK = timedelta(days=1)


# Defender itself calls its security intelligence out of date after 7 days unless a
# policy says otherwise (AVSignatureDue, "Define the number of days before virus security
# intelligence is considered out of date"), and the DISA Defender STIG asks for 7 or
# less. A month leaves room for a PC kept off the network over the holidays; a larger
# limit passes signatures no vendor calls current, and 10**6 could never fail.
MAX_SIGNATURE_AGE_DAYS = 30
# Apple ships XProtect's rules about once a week: three months is a dozen updates missed.
MAX_XPROTECT_AGE_DAYS = 90
# Shorter parts of a name are inside the names of most products ("av", "e").
MIN_PRODUCT_PART = 3


def _product_name(name: str) -> str:
    # A name part is matched inside product names: a blank one is inside every name (or
    # every name with a space) and would accept any product.
    if not name.strip():
        raise ValueError("is blank: a blank product name would accept every product")
    if "*" in name or "?" in name:
        raise ValueError(
            f"{name!r}: product names are matched as text, not patterns ('*' would match "
            "only a name holding '*'); write part of the name, e.g. 'ESET', or leave the "
            "list empty to accept any product that is on and current"
        )
    if len(name.strip()) < MIN_PRODUCT_PART:
        raise ValueError(
            f"{name!r} is inside the names of most products; write at least "
            f"{MIN_PRODUCT_PART} characters of the name, e.g. 'ESET' or 'Trend Micro'"
        )
    return name


ProductName = Annotated[str, AfterValidator(_product_name)]


def _days_at_most(limit: int, why: str) -> Callable[[int], int]:
    def check(days: int) -> int:
        if days > limit:
            raise ValueError(
                f"{days} days would pass signatures long out of date ({why}); write at most {limit}"
            )
        return days

    return check


class AntivirusParams(CheckParams):
    max_signature_age_days: Annotated[
        int,
        Field(ge=0, json_schema_extra={"maximum": MAX_SIGNATURE_AGE_DAYS}),
        AfterValidator(
            _days_at_most(MAX_SIGNATURE_AGE_DAYS, "Defender calls its own out of date after 7")
        ),
    ] = 3
    require_tamper_protection: bool = True
    # Windows: third-party products (part of their Security Center name, any case)
    # accepted in place of Defender. Empty: any registered product that is on and current.
    accepted_products: list[ProductName] = Field(default_factory=list)
    # Linux and macOS: the agents that must run.
    agents: list[AgentId] = Field(default_factory=list)
    xprotect_max_age_days: Annotated[
        int,
        Field(ge=0, json_schema_extra={"maximum": MAX_XPROTECT_AGE_DAYS}),
        AfterValidator(_days_at_most(MAX_XPROTECT_AGE_DAYS, "Apple ships XProtect weekly")),
    ] = 30


def _days_since(when: datetime | None, now: datetime) -> int | None:
    return None if when is None else max(0, (now - when).days)


def _ahead(when: datetime | None, now: datetime) -> bool:
    return when is not None and when - now > CLOCK_SLACK


def _product_text(products: Iterable[RegisteredProduct]) -> str:
    return ", ".join(
        f"{p.name} (productState=0x{p.product_state:06X})"
        if p.product_state is not None
        else f"{p.name} (productState missing)"
        for p in products
    )


def _defender_state(d: DefenderStatus) -> Literal["active", "inactive", "unknown"]:
    if d.running_mode is not None and d.running_mode.strip().lower() != ACTIVE_MODE:
        return "inactive"
    flags = (d.service_enabled, d.antivirus_enabled, d.real_time)
    if False in flags:
        return "inactive"
    if None in flags or d.running_mode is None:
        return "unknown"
    return "active"


def _defender_detail(defender: Observed[DefenderStatus] | None) -> str:
    if not isinstance(defender, Seen):
        return "-"
    d = defender.value
    return (
        f"AMRunningMode={d.running_mode or '?'}, AMServiceEnabled={d.service_enabled}, "
        f"AntivirusEnabled={d.antivirus_enabled}, RealTimeProtectionEnabled={d.real_time}"
    )


def _version_number(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


class Antivirus(Check):
    meta = CheckMeta.from_package("antivirus", __package__)
    Params = AntivirusParams
    requires = (AntivirusFacts,)

    def evaluate(
        self, facts: FactView, params: AntivirusParams, ctx: EvalContext
    ) -> Iterable[Outcome]:
        fact = facts.get(AntivirusFacts)
        family = ctx.platform.family
        if family == OsFamily.WINDOWS:
            yield self._windows(fact, params, ctx.now)
            return
        if family == OsFamily.MACOS:
            yield self._xprotect(fact.xprotect, params, ctx.now)
        elif not params.agents:
            yield Outcome(status=Status.NOT_APPLICABLE, key="no_agent_required", args={})
            return
        for agent in params.agents:
            yield self._agent(agent, fact.agents.get(agent), params, ctx.now)

    # --- Windows ----------------------------------------------------------------------

    def _windows(self, fact: AntivirusFacts, params: AntivirusParams, now: datetime) -> Outcome:
        edr = fact.edr_onboarded
        edr_text: str | Reason = (
            Reason(
                key="antivirus.reason.edr_onboarded"
                if edr.value
                else "antivirus.reason.edr_not_onboarded"
            )
            if isinstance(edr, Seen)
            else edr.reason
            if isinstance(edr, Unknown)
            else "-"
        )
        actual: dict[str, object] = {
            "defender": fact.defender.value.model_dump(mode="json")
            if isinstance(fact.defender, Seen)
            else None,
            "products": [p.model_dump(mode="json") for p in fact.products.value]
            if isinstance(fact.products, Seen)
            else None,
            "defender_for_endpoint_onboarded": edr.value if isinstance(edr, Seen) else None,
        }
        expected = {
            "real_time_protection": True,
            "max_signature_age_days": params.max_signature_age_days,
            "tamper_protection": params.require_tamper_protection,
        }
        defender = fact.defender
        state = _defender_state(defender.value) if isinstance(defender, Seen) else "unknown"
        if isinstance(defender, Seen) and state == "active":
            status, key, args = self._defender(defender.value, params, now)
            resource: str | None = DEFENDER
        else:
            status, key, args, resource = self._replacement(fact, params, state)
        args["edr"] = edr_text
        return Outcome(
            status=status,
            key=key,
            args=args,
            resource=resource,
            expected=expected,
            actual=actual,
        )

    def _defender(
        self, d: DefenderStatus, params: AntivirusParams, now: datetime
    ) -> tuple[Status, str, Args]:
        counted = (d.signature_age_days, _days_since(d.signature_updated, now))
        ages = [a for a in counted if a is not None]
        updated = d.signature_updated.isoformat() if d.signature_updated else "-"
        args: Args = {
            "version": d.signature_version or "-",
            "updated": updated,
            "max": params.max_signature_age_days,
        }
        if _ahead(d.signature_updated, now):
            # Defender's own count was made with the same wrong clock: neither is an age.
            return Status.UNKNOWN, "defender_signature_date_future", args
        if not ages:
            return Status.UNKNOWN, "defender_signature_age_unknown", args
        # Defender's own count and the date, whichever is older: neither is trusted alone.
        age = max(ages)
        args["days"] = age
        if age > params.max_signature_age_days:
            return Status.FAIL, "defender_signatures_old", args
        if d.signatures_out_of_date is True:
            return Status.FAIL, "defender_signatures_flagged", args
        if params.require_tamper_protection:
            if d.tamper_protected is False:
                return Status.FAIL, "defender_tamper_off", args
            if d.tamper_protected is None:
                return Status.UNKNOWN, "defender_tamper_unknown", args
        return Status.PASS, "defender_on", args

    def _replacement(
        self,
        fact: AntivirusFacts,
        params: AntivirusParams,
        state: Literal["active", "inactive", "unknown"],
    ) -> tuple[Status, str, Args, str | None]:
        """Defender does not protect (or could not be seen): a registered product must."""
        defender = fact.defender
        args: Args = {"defender": _defender_detail(defender)}
        products = fact.products
        if products is None or isinstance(products, Unknown):
            args["reason"] = (
                products.reason if isinstance(products, Unknown) else "antivirus.reason.not_read"
            )
            if isinstance(defender, Unknown):
                args["defender_reason"] = defender.reason
                return Status.UNKNOWN, "nothing_readable", args, None
            return Status.UNKNOWN, "products_unknown", args, DEFENDER
        third = [p for p in products.value if p.microsoft is not True]
        wanted = [w.casefold() for w in params.accepted_products]
        accepted = [p for p in third if not wanted or any(w in p.name.casefold() for w in wanted)]
        claiming = [p for p in accepted if p.protecting]
        live = [p for p in claiming if p.liveness == "live"]
        if live:
            args["products"] = _product_text(live)
            return Status.PASS, "third_party_on", args, ", ".join(p.name for p in live)
        if claiming:
            # productState says on, but Security Center keeps that of an uninstalled or
            # broken product: without its program on disk and running, nothing is proven.
            product = claiming[0]
            args["products"] = _product_text(claiming)
            args["evidence"] = product.liveness_text()
            return Status.UNKNOWN, f"third_party_{product.liveness}", args, product.name
        undecoded = [p for p in accepted if p.state is None]
        if undecoded:
            args["products"] = _product_text(undecoded)
            return Status.UNKNOWN, "product_state_unknown", args, undecoded[0].name
        if isinstance(defender, Unknown):
            args["reason"] = defender.reason
            args["products"] = _product_text(third) or "-"
            return Status.UNKNOWN, "defender_unknown", args, DEFENDER
        if state == "unknown":
            args["products"] = _product_text(third) or "-"
            return Status.UNKNOWN, "defender_incomplete", args, DEFENDER
        if accepted:
            args["products"] = _product_text(accepted)
            return Status.FAIL, "third_party_off", args, ", ".join(p.name for p in accepted)
        if third:
            args["products"] = _product_text(third)
            args["accepted"] = ", ".join(params.accepted_products)
            return Status.FAIL, "product_not_accepted", args, ", ".join(p.name for p in third)
        return Status.FAIL, "defender_off", args, DEFENDER

    # --- macOS ------------------------------------------------------------------------

    def _xprotect(
        self, xprotect: Observed[XProtectStatus] | None, params: AntivirusParams, now: datetime
    ) -> Outcome:
        expected = {"max_age_days": params.xprotect_max_age_days}
        if not isinstance(xprotect, Seen):
            reason = xprotect.reason if isinstance(xprotect, Unknown) else "-"
            return Outcome(
                status=Status.UNKNOWN,
                key="xprotect_unknown",
                args={"reason": reason},
                resource=XPROTECT,
                expected=expected,
            )
        x = xprotect.value
        args: Args = {
            "version": x.history_version or "-",
            "installed": x.in_use or "-",
            "updated": x.updated.isoformat() if x.updated else "-",
            "remediator": x.remediator_version or "-",
            "remediator_updated": x.remediator_updated.isoformat() if x.remediator_updated else "-",
            "max": params.xprotect_max_age_days,
        }
        actual = x.model_dump(mode="json")
        age = _days_since(x.updated, now)
        installed = _version_number(x.in_use)
        recorded = _version_number(x.history_version)
        if age is None:
            status, key = Status.UNKNOWN, "xprotect_no_record"
        elif _ahead(x.updated, now):
            status, key = Status.UNKNOWN, "xprotect_date_future"
        elif age <= params.xprotect_max_age_days:
            args["days"] = age
            status, key = Status.PASS, "xprotect_recent"
            # The record's date ages the bundle XProtect uses only when that bundle holds
            # the recorded version or a newer one; on macOS 15 Software Update writes the
            # old location, whose update may never reach the one in use.
            if x.in_use is None:
                status, key = Status.UNKNOWN, "xprotect_bundle_missing"
            elif installed is None or recorded is None or installed < recorded:
                if x.in_use != x.history_version:
                    status, key = Status.UNKNOWN, "xprotect_update_not_in_use"
        else:
            args["days"] = age
            newer = installed is not None and recorded is not None and installed > recorded
            # A newer bundle than the record: updated outside the history, age unknown.
            status = Status.UNKNOWN if newer else Status.FAIL
            key = "xprotect_updated_elsewhere" if newer else "xprotect_old"
        return Outcome(
            status=status, key=key, args=args, resource=XPROTECT, expected=expected, actual=actual
        )

    # --- agents (Linux, macOS) --------------------------------------------------------

    def _agent(
        self,
        agent: str,
        observed: Observed[AgentStatus] | None,
        params: AntivirusParams,
        now: datetime,
    ) -> Outcome:
        expected = {
            "real_time_protection": True,
            "max_signature_age_days": params.max_signature_age_days,
            "tamper_protection": params.require_tamper_protection,
        }
        args: Args = {"agent": agent, "max": params.max_signature_age_days}
        if observed is None:
            return Outcome(
                status=Status.UNKNOWN, key="agent_not_looked_for", args=args, resource=agent
            )
        if isinstance(observed, Unknown):
            args["reason"] = observed.reason
            return Outcome(status=Status.UNKNOWN, key="agent_unknown", args=args, resource=agent)
        a = observed.value
        args["detail"] = a.detail or "-"
        actual = a.model_dump(mode="json")
        status, key = self._agent_verdict(a, params, now, args)
        return Outcome(
            status=status, key=key, args=args, resource=agent, expected=expected, actual=actual
        )

    @staticmethod
    def _agent_verdict(
        a: AgentStatus, params: AntivirusParams, now: datetime, args: Args
    ) -> tuple[Status, str]:
        if not a.installed:
            return Status.FAIL, "agent_missing"
        if a.real_time is False:
            return Status.FAIL, "agent_real_time_off"
        if a.real_time is None:
            return Status.UNKNOWN, "agent_real_time_unknown"
        if _ahead(a.signature_updated, now):
            args["updated"] = a.signature_updated.isoformat() if a.signature_updated else "-"
            return Status.UNKNOWN, "agent_signature_date_future"
        if a.signature_age_minutes is not None:
            age: int | None = a.signature_age_minutes // MINUTES_PER_DAY
        else:
            age = _days_since(a.signature_updated, now)
        if age is None:
            return Status.UNKNOWN, "agent_signature_age_unknown"
        args["days"] = age
        if age > params.max_signature_age_days:
            return Status.FAIL, "agent_signatures_old"
        if params.require_tamper_protection and a.has_tamper_protection:
            if a.tamper_protected is False:
                return Status.FAIL, "agent_tamper_off"
            if a.tamper_protected is None:
                return Status.UNKNOWN, "agent_tamper_unknown"
        if a.has_health and a.healthy is not True:
            # The agent says it is not functioning as expected (or does not say it is).
            return Status.UNKNOWN, "agent_unhealthy"
        return Status.PASS, "agent_on"
