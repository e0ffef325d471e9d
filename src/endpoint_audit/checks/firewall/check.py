"""firewall: a host firewall is on and denies inbound connections by default.

Three shapes of evidence share one fact model. Windows profiles (Domain, Private, Public)
and the macOS application firewall must *all* be on (`require == "all"`): one finding per
profile. On Linux the kernel's netfilter rules decide (`require == "kernel"`): one finding
for the host, saying whether a new inbound connection from the network to an arbitrary
port gets through, what the rules let in besides, and which rule lets everything in or
could not be judged. `require == "any"` (one of several firewalls denying is enough)
remains for collectors that report independent firewalls.

A Windows profile also fails when it leaves network interfaces unfiltered
(`excluded_interfaces`). Where Windows Firewall does not protect a profile, a firewall
registered with Windows Security Center that reports itself on and up to date, with its
reporting program on disk and run by a running service or process, protects instead (the
profile passes, naming it). Security Center keeps the entries (and last productState) of
uninstalled or broken suites, so one that claims on without that evidence leaves the
profile unknown, naming what was missing; so does a Security Center that could not be read.
"""

from collections.abc import Iterable
from typing import TypeVar

from endpoint_audit.checkkit.check import (
    Check,
    CheckMeta,
    CheckParams,
    EvalContext,
    FactView,
    Outcome,
)
from endpoint_audit.checkkit.firewall_facts import FirewallProduct, FirewallProfile, InboundPolicy
from endpoint_audit.checks.firewall.facts import FirewallFacts
from endpoint_audit.errors import english
from endpoint_audit.model.observed import Observed, Reason, Seen, Unknown, seen_or_none
from endpoint_audit.model.result import Status

DENYING: tuple[InboundPolicy, ...] = ("deny", "reject")
T = TypeVar("T")


class FirewallParams(CheckParams):
    require_inbound_deny: bool = True


def _state(profile: FirewallProfile) -> dict[str, object]:
    enabled, inbound = seen_or_none(profile.enabled), seen_or_none(profile.inbound_default)
    state: dict[str, object] = {
        "enabled": enabled,
        "inbound_default": inbound,
        "detail": profile.detail,
    }
    for name in ("openings", "accepted_by", "unjudged"):
        if getattr(profile, name):
            state[name] = list(getattr(profile, name))
    return state


def _is(value: Observed[T], *wanted: T) -> bool:
    return isinstance(value, Seen) and value.value in wanted


def _protects(profile: FirewallProfile, params: FirewallParams) -> bool:
    if not _is(profile.enabled, True):
        return False
    return not params.require_inbound_deny or _is(profile.inbound_default, *DENYING)


def _unseen(profile: FirewallProfile, params: FirewallParams) -> Reason | None:
    """Why what the check needs about this profile could not be read; None: it was."""
    if isinstance(profile.enabled, Unknown):
        return profile.enabled.reason
    if profile.enabled.value is not True:
        return None
    if isinstance(profile.excluded_interfaces, Unknown):
        return profile.excluded_interfaces.reason
    if params.require_inbound_deny and isinstance(profile.inbound_default, Unknown):
        return profile.inbound_default.reason
    return None


def _policy(profile: FirewallProfile) -> str:
    inbound = profile.inbound_default
    return inbound.value if isinstance(inbound, Seen) else "?"


def _products(products: tuple[FirewallProduct, ...]) -> str:
    """The products as Security Center registers them (their state words stay in `actual`)."""
    return ", ".join(
        f"{p.name} (productState=0x{p.product_state:06X})"
        if p.product_state is not None
        else p.name
        for p in products
    )


def _label(profile: FirewallProfile) -> str:
    return f"{profile.name} ({profile.detail or _policy(profile)})"


def _why_unseen(profile: FirewallProfile, why: Reason) -> str:
    return f"{profile.name}: {english(why)}"


def _expected(params: FirewallParams) -> dict[str, object]:
    inbound = list(DENYING) if params.require_inbound_deny else "any"
    return {"enabled": True, "inbound_default": inbound}


class Firewall(Check):
    meta = CheckMeta.from_package("firewall", __package__)
    Params = FirewallParams
    requires = (FirewallFacts,)

    def evaluate(
        self, facts: FactView, params: FirewallParams, ctx: EvalContext
    ) -> Iterable[Outcome]:
        fact = facts.get(FirewallFacts)
        if fact.require == "all":
            yield from self._every_profile(fact, params)
        elif fact.require == "kernel":
            yield from self._kernel(fact, params)
        else:
            yield from self._any_profile(fact, params)

    def _kernel(self, fact: FirewallFacts, params: FirewallParams) -> Iterable[Outcome]:
        actual: dict[str, object] = {p.name: _state(p) for p in fact.profiles}
        if fact.frontends:
            actual["managers"] = {p.name: _state(p) for p in fact.frontends}
        if len(fact.profiles) != 1:
            yield Outcome(
                status=Status.UNKNOWN,
                key="no_profiles",
                args={"checked": ", ".join(fact.checked) or "-"},
                expected=_expected(params),
                actual=actual,
            )
            return
        (kernel,) = fact.profiles
        args: dict[str, str | int | float | bool | Reason | None] = {
            "summary": kernel.summary or kernel.detail or "-",
            "checked": ", ".join(fact.checked) or "-",
        }
        enabled, inbound = kernel.enabled, kernel.inbound_default
        if _is(enabled, False):
            status, key = Status.FAIL, "kernel_unfiltered"
        elif isinstance(enabled, Unknown) or kernel.needs_privilege:
            status = Status.UNKNOWN
            key = "kernel_unread_needs_privilege" if kernel.needs_privilege else "kernel_unread"
            why = enabled if isinstance(enabled, Unknown) else inbound
            args["reason"] = why.reason if isinstance(why, Unknown) else "-"
            args["privilege"] = kernel.needs_privilege or ""
        elif not params.require_inbound_deny:
            status, key = Status.PASS, "kernel_active"
        elif isinstance(inbound, Unknown):
            status, key = Status.UNKNOWN, "kernel_undecided"
            args["reason"] = inbound.reason
        elif inbound.value == "allow":
            status, key = Status.FAIL, "kernel_allows"
            args["path"] = " -> ".join(kernel.accepted_by) or "-"
        else:
            status = Status.PASS
            key = "kernel_denies_openings" if kernel.openings else "kernel_denies"
            args["openings"] = "; ".join(kernel.openings)
        yield Outcome(
            status=status,
            key=key,
            args=args,
            resource=kernel.name,
            expected=_expected(params),
            actual=actual,
        )

    def _every_profile(self, fact: FirewallFacts, params: FirewallParams) -> Iterable[Outcome]:
        if not fact.profiles:
            yield Outcome(
                status=Status.UNKNOWN,
                key="no_profiles",
                args={"checked": ", ".join(fact.checked) or "-"},
                expected=_expected(params),
                actual=[],
            )
            return
        for profile in fact.profiles:
            yield self._one_profile(fact, profile, params)

    def _one_profile(
        self, fact: FirewallFacts, profile: FirewallProfile, params: FirewallParams
    ) -> Outcome:
        args: dict[str, str | int | float | bool | Reason | None] = {"profile": profile.name}
        status, key = Status.PASS, "profile_on"
        unseen = _unseen(profile, params)
        excluded = profile.excluded_interfaces
        if _is(profile.enabled, False):
            status, key = Status.FAIL, "profile_off"
        elif unseen is not None:
            status = Status.UNKNOWN
            key = "profile_needs_privilege" if profile.needs_privilege else "profile_unknown"
            args["reason"] = unseen
            args["privilege"] = profile.needs_privilege or ""
        elif isinstance(excluded, Seen) and excluded.value:
            status, key = Status.FAIL, "profile_interfaces_off"
            args["interfaces"] = ", ".join(excluded.value)
        elif not _is(profile.inbound_default, *DENYING):
            if params.require_inbound_deny:
                status, key = Status.FAIL, "profile_inbound_allowed"
            else:
                key = "profile_on_inbound_not_required"
        args["inbound"] = _policy(profile)
        actual = _state(profile)
        products = fact.products
        if status is Status.FAIL and (not isinstance(products, Seen) or products.value):
            # Windows Firewall does not protect this profile: another registered firewall may.
            status, key, extra = self._third_party(products, key, profile.detail)
            args.update(extra)
            listed = products.value if isinstance(products, Seen) else ()
            actual = {**actual, "products": [p.model_dump(mode="json") for p in listed]}
        return Outcome(
            status=status,
            key=key,
            args=args,
            resource=profile.name,
            expected=_expected(params),
            actual=actual,
        )

    @staticmethod
    def _third_party(
        products: Observed[tuple[FirewallProduct, ...]], failed_key: str, detail: str
    ) -> tuple[Status, str, dict[str, str | int | float | bool | Reason | None]]:
        if isinstance(products, Unknown):
            return (
                Status.UNKNOWN,
                "profile_products_unknown",
                {"reason": products.reason, "settings": detail},
            )
        claiming = tuple(p for p in products.value if p.protecting)
        live = tuple(p for p in claiming if p.liveness == "live")
        if live:
            return Status.PASS, "profile_replaced", {"products": _products(live)}
        if claiming:
            # productState says on, but Security Center keeps that of an uninstalled or
            # broken suite: without its program on disk and running, nothing is proven.
            product = claiming[0]
            return (
                Status.UNKNOWN,
                f"profile_products_{product.liveness}",
                {
                    "products": _products(claiming),
                    "evidence": product.liveness_text(),
                    # The profile's values as read, not a reason: no catalog key.
                    "settings": detail,
                },
            )
        return (
            Status.FAIL,
            f"{failed_key}_products_inactive",
            {"products": _products(products.value)},
        )

    def _any_profile(self, fact: FirewallFacts, params: FirewallParams) -> Iterable[Outcome]:
        actual = {p.name: _state(p) for p in fact.profiles}
        checked = ", ".join(fact.checked or tuple(p.name for p in fact.profiles)) or "-"
        protecting = [p for p in fact.profiles if _protects(p, params)]
        if protecting:
            yield Outcome(
                status=Status.PASS,
                key="active_denies" if params.require_inbound_deny else "active",
                args={"firewalls": ", ".join(_label(p) for p in protecting)},
                resource=", ".join(p.name for p in protecting),
                expected=_expected(params),
                actual=actual,
            )
            return
        allowing = [
            p for p in fact.profiles if _is(p.enabled, True) and _is(p.inbound_default, "allow")
        ]
        if allowing:
            yield Outcome(
                status=Status.FAIL,
                key="active_allows",
                args={"firewalls": ", ".join(_label(p) for p in allowing)},
                resource=", ".join(p.name for p in allowing),
                expected=_expected(params),
                actual=actual,
            )
            return
        unseen = [(p, why) for p in fact.profiles if (why := _unseen(p, params)) is not None]
        if unseen:
            privileges: list[Reason] = []
            for p, _ in unseen:
                if p.needs_privilege and p.needs_privilege not in privileges:
                    privileges.append(p.needs_privilege)
            # One firewall's reason is said in the report's language; several, in English.
            reasons: Reason | str = (
                unseen[0][1] if len(unseen) == 1 else "; ".join(_why_unseen(*u) for u in unseen)
            )
            privilege = (
                privileges[0] if len(privileges) == 1 else "; ".join(map(english, privileges))
            )
            yield Outcome(
                status=Status.UNKNOWN,
                key="unseen_needs_privilege" if privileges else "unseen",
                args={
                    "firewalls": ", ".join(p.name for p, _ in unseen),
                    "reasons": reasons,
                    "privilege": privilege,
                    "checked": checked,
                },
                expected=_expected(params),
                actual=actual,
            )
            return
        yield Outcome(
            status=Status.FAIL,
            key="none_active",
            args={"checked": checked},
            expected=_expected(params),
            actual=actual,
        )
