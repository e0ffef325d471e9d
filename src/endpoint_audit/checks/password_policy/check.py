"""password_policy: new passwords must be long (and, where asked, mixed), and repeated
failed sign-ins lock the account.

Each rule is one finding judged from the number the OS enforces. A rule whose number the
collector could not see is unknown with the reason, never a pass: a configuration file
that nothing loads, a policy text that cannot be interpreted or an export that needed
rights the audit lacked proves nothing.
"""

from collections.abc import Iterable
from typing import Annotated

from pydantic import AfterValidator, Field

from endpoint_audit.checkkit import (
    Check,
    CheckMeta,
    CheckParams,
    EvalContext,
    FactView,
    Outcome,
)
from endpoint_audit.checks.password_policy.facts import PasswordPolicyFacts, Setting
from endpoint_audit.model.observed import Observed, Reason, Seen
from endpoint_audit.model.platform import OsFamily
from endpoint_audit.model.result import JsonScalar, Status

REASON = "password_policy.reason"


# NIST SP 800-63B 5.2.2: a verifier limits consecutive failed attempts on one account to
# no more than 100. Above that a lockout threshold guards against no guessing at all, and
# a limit of 10**6 could never fail.
MAX_FAILED_ATTEMPTS = 100


def _lockout_limit(most: int) -> int:
    if most > MAX_FAILED_ATTEMPTS:
        raise ValueError(
            f"a lockout after {most} failed sign-ins hardly slows guessing (NIST SP 800-63B "
            f"allows at most {MAX_FAILED_ATTEMPTS}); write at most {MAX_FAILED_ATTEMPTS}, "
            "e.g. 5 as CIS asks"
        )
    return most


class PasswordPolicyParams(CheckParams):
    # CIS Windows 1.1.4 and Ubuntu 5.3.3.2.2 (14); CIS macOS 5.2.2 asks for 15.
    min_length: int = Field(14, ge=1, le=256)
    # CIS Windows 1.2.2, macOS 5.2.1 and Ubuntu 5.3.3.1.1: 5 or fewer, never 0.
    max_failed_attempts: Annotated[
        int,
        Field(ge=1, json_schema_extra={"maximum": MAX_FAILED_ATTEMPTS}),
        AfterValidator(_lockout_limit),
    ] = 5
    # Windows "Password must meet complexity requirements" mixes 3 classes (CIS 1.1.5).
    # 0: not judged.
    min_char_classes: int = Field(3, ge=0, le=4)
    # Windows Hello PIN length; None: not judged.
    min_pin_length: int | None = Field(None, ge=4, le=127)


def _note(fact: PasswordPolicyFacts) -> JsonScalar | Reason:
    if fact.domain_joined:
        return Reason(key=f"{REASON}.note_domain")
    return ""


class PasswordPolicy(Check):
    meta = CheckMeta.from_package("password_policy", __package__)
    Params = PasswordPolicyParams
    requires = (PasswordPolicyFacts,)

    def evaluate(
        self, facts: FactView, params: PasswordPolicyParams, ctx: EvalContext
    ) -> Iterable[Outcome]:
        fact = facts.get(PasswordPolicyFacts)
        note = _note(fact)
        yield _judge("min_length", fact.min_length, params.min_length, note=note)
        yield _lockout(fact.lockout_threshold, params.max_failed_attempts, note)
        if params.min_char_classes > 0:
            yield _judge("char_classes", fact.char_classes, params.min_char_classes, note=note)
        if params.min_pin_length is not None and ctx.platform.family is OsFamily.WINDOWS:
            pin = fact.pin_min_length
            if pin is None:
                yield Outcome(
                    status=Status.UNKNOWN,
                    key="pin_min_length_unknown",
                    resource="pin_min_length",
                    args={"reason": Reason(key=f"{REASON}.not_read")},
                )
            else:
                yield _judge("pin_min_length", pin, params.min_pin_length, note="")


def _actual(setting: Setting) -> dict[str, object]:
    return {"value": setting.value, "source": setting.source}


def _judge(
    resource: str,
    observed: Observed[Setting],
    wanted: int,
    *,
    note: JsonScalar | Reason,
) -> Outcome:
    if not isinstance(observed, Seen):
        return Outcome(
            status=Status.UNKNOWN,
            key=f"{resource}_unknown",
            resource=resource,
            args={"reason": observed.reason, "wanted": wanted},
        )
    setting = observed.value
    ok = setting.value >= wanted
    if not ok and setting.unsure is not None:
        return Outcome(
            status=Status.UNKNOWN,
            key=f"{resource}_unknown",
            resource=resource,
            args={"reason": setting.unsure, "wanted": wanted},
            actual=_actual(setting),
        )
    return Outcome(
        status=Status.PASS if ok else Status.FAIL,
        key=f"{resource}_{'ok' if ok else 'short'}",
        resource=resource,
        args={"value": setting.value, "wanted": wanted, "source": setting.source, "note": note},
        expected={"at_least": wanted},
        actual=_actual(setting),
    )


def _lockout(observed: Observed[Setting], most: int, note: JsonScalar | Reason) -> Outcome:
    resource = "lockout_threshold"
    if not isinstance(observed, Seen):
        return Outcome(
            status=Status.UNKNOWN,
            key="lockout_unknown",
            resource=resource,
            args={"reason": observed.reason, "wanted": most},
        )
    setting = observed.value
    args: dict[str, JsonScalar | Reason] = {
        "value": setting.value,
        "wanted": most,
        "source": setting.source,
        "note": note,
    }
    # 0 (Windows LockoutBadCount, no faillock, no macOS policy) never locks the account.
    if setting.value <= 0:
        key, status = "lockout_never", Status.FAIL
    elif setting.value <= most:
        key, status = "lockout_ok", Status.PASS
    else:
        key, status = "lockout_lax", Status.FAIL
    if status is Status.FAIL and setting.unsure is not None:
        # A policy that could not be interpreted may lock sooner.
        return Outcome(
            status=Status.UNKNOWN,
            key="lockout_unknown",
            resource=resource,
            args={"reason": setting.unsure, "wanted": most},
            actual=_actual(setting),
        )
    return Outcome(
        status=status,
        key=key,
        resource=resource,
        args=args,
        expected={"at_most": most, "not": 0},
        actual=_actual(setting),
    )
