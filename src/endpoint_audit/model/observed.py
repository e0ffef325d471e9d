"""A fact value that was either seen on the host or could not be, with the reason why.

Every fact family holds what it read as `Observed[T]`: `Seen(value=...)` or
`Unknown(reason=Reason(...))`. A check cannot read a value without first narrowing to
`Seen` (mypy rejects `.value` on `Unknown`), so a value the host did not show is never
taken for a default such as 0, False or "no updates pending".

A `Reason` is a message key with arguments, not a sentence: reports render it in their own
language from the catalogs (`<check>.reason.<name>` in a check's texts, `core.reason.<name>`
for reasons every collector shares), so a Japanese report says why in Japanese.
"""

from typing import Annotated, Generic, Literal, TypeVar, Union

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypeAliasType

from endpoint_audit.model.result import JsonScalar

T = TypeVar("T")


class Reason(BaseModel):
    """Why a value could not be seen: a catalog key and the arguments its text needs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    args: dict[str, JsonScalar] = Field(default_factory=dict)


class Seen(BaseModel, Generic[T]):
    model_config = ConfigDict(frozen=True, extra="forbid")

    state: Literal["seen"] = "seen"
    value: T


class Unknown(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    state: Literal["unknown"] = "unknown"
    reason: Reason


Observed = TypeAliasType(
    "Observed",
    Annotated[Union[Seen[T], Unknown], Field(discriminator="state")],  # noqa: UP007
    type_params=(T,),
)


def seen(value: T) -> Seen[T]:
    return Seen(value=value)


def unknown(key: str, **args: JsonScalar) -> Unknown:
    return Unknown(reason=Reason(key=key, args=args))


def seen_or_none(observed: Observed[T]) -> T | None:
    """The value seen, or None when unknown: for evidence, and for comparing with one
    known value (`seen_or_none(x) == "legacy"`); never to read a missing value as a default."""
    return observed.value if isinstance(observed, Seen) else None
