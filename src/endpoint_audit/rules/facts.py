"""What a rule read: one typed value per condition, or why it is absent or unknown."""

from typing import Literal

from pydantic import BaseModel, ConfigDict

from endpoint_audit.checkkit.fact import Fact
from endpoint_audit.model.observed import Reason

# What does not exist when a value is absent (each has a text `rule.observed.absent_<what>`).
AbsentWhat = Literal[
    "key",
    "value",
    "file",
    "setting",
    "unit",
    "module",
    "instance",
    "service",
    "feature",
    "package",
    "payload",
    "payload_key",
]
ValueKind = Literal["number", "text", "texts", "bool", "date"]
ReadScalar = int | float | bool | str


class ReadValue(BaseModel):
    """One condition's value: `value` (with its kind and, for the registry, the type the
    host holds), `absent` (the host says it does not exist: known, not unknown) or
    `unknown` (it could not be read, with the reason), or `each`: one value per user
    (`each`, every loaded user hive, each named by its SID in `who`), all of which the
    expectation must meet."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    state: Literal["value", "absent", "unknown", "each"]
    kind: ValueKind | None = None
    value: ReadScalar | list[str] | None = None
    host_type: str | None = None  # REG_DWORD, REG_SZ, ... as the host holds it
    absent: AbsentWhat | None = None
    reason: Reason | None = None
    source: str = ""  # the key of the command it was read from
    each: tuple["ReadValue", ...] | None = None
    who: str | None = None  # the user (SID) of one of `each`


def seen_value(
    kind: ValueKind, value: ReadScalar | list[str], source: str, host_type: str | None = None
) -> ReadValue:
    return ReadValue(state="value", kind=kind, value=value, source=source, host_type=host_type)


def absent_value(what: AbsentWhat, source: str) -> ReadValue:
    return ReadValue(state="absent", absent=what, source=source)


def each_value(values: list[ReadValue], source: str) -> ReadValue:
    return ReadValue(state="each", each=tuple(values), source=source)


def unknown_value(source: str, key: str, **args: str | int | None) -> ReadValue:
    return ReadValue(
        state="unknown", reason=Reason(key=f"rule.reason.{key}", args=args), source=source
    )


class RuleFacts(Fact):
    """The values one rule read on a host, one per condition in the order the rule
    writes them (each rule gets its own subclass, named `rule.<id>`)."""

    name = "rule"
    reads: tuple[ReadValue, ...]
