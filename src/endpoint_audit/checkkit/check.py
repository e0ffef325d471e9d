"""The Check contract (DESIGN.md §3): metadata, a Params model, and a pure evaluate()."""

import abc
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from msgspec import Struct, field
from pydantic import BaseModel, ConfigDict

from endpoint_audit.checkkit.fact import Fact
from endpoint_audit.model import check_index, i18n
from endpoint_audit.model.observed import Reason
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.model.result import (
    Evidence,
    JsonScalar,
    LocalizedText,
    Reference,
    Severity,
    Status,
)

FactT = TypeVar("FactT", bound=Fact)


class CheckParams(BaseModel):
    """Base of every check's parameter model: unknown keys are errors.

    Each parameter's help text lives in the check's texts (`[params] <name> = "..."`, both
    languages), which `checks show` and the baseline JSON Schema read; not in
    `Field(description=...)`.
    """

    # strict: YAML reads `yes`/`no` as booleans, and a lax integer takes true as 1 (a
    # `min_length: yes` would accept any password); a quoted "900" is no number either.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class CheckMeta(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    title: LocalizedText
    description: LocalizedText
    rationale: LocalizedText
    severity: Severity
    platforms: frozenset[OsFamily]
    remediation: dict[OsFamily, LocalizedText]
    references: tuple[Reference, ...] = ()
    # What the check reads per OS and the privilege it needs (for docs and `checks show`).
    reads: dict[OsFamily, LocalizedText] = {}

    @classmethod
    def from_package(
        cls, check_id: str, package: str | None, references: Iterable[Reference] = ()
    ) -> "CheckMeta":
        """The metadata of the check in `package` (pass `__package__`): severity and
        platforms from its `meta.toml`, which `checks list` reads without importing the
        check; texts from its `texts/<lang>.toml` (a third-party package's are added here,
        built-in ones are found by the catalogs' scan)."""
        if not package:
            raise TypeError(f"{check_id}: CheckMeta.from_package needs the check's package")
        entry = check_index.package_entry(package)
        return cls.from_catalog(
            check_id,
            severity=Severity(entry.severity),
            platforms=[OsFamily(p) for p in entry.platforms],
            references=references,
            texts=None if i18n.has(f"{check_id}.title") else package,
        )

    @classmethod
    def from_catalog(
        cls,
        check_id: str,
        *,
        severity: Severity,
        platforms: Iterable[OsFamily],
        references: Iterable[Reference] = (),
        texts: str | None = None,
    ) -> "CheckMeta":
        """Metadata whose texts live in the message catalogs under `<check_id>.`.

        `texts`: the package holding `texts/<lang>.toml` for a third-party check (pass
        `__package__`), read before the metadata; built-in texts are found without it.
        """
        if texts:
            i18n.add_package_texts(check_id, texts)
        fams = frozenset(platforms)
        return cls(
            id=check_id,
            title=i18n.both(f"{check_id}.title"),
            description=i18n.both(f"{check_id}.description"),
            rationale=i18n.both(f"{check_id}.rationale"),
            severity=severity,
            platforms=fams,
            remediation={f: i18n.both(f"{check_id}.remediation.{f.value}") for f in fams},
            reads={f: i18n.both(f"{check_id}.reads.{f.value}") for f in fams},
            references=tuple(references),
        )


class Outcome(Struct, frozen=True):
    """One judgement about one resource, before the engine adds check id and severity.

    `key` names a message under `<check_id>.msg.` in the catalogs; `args` fill it.
    Third-party checks without catalog entries give `text` in each language instead.
    """

    status: Status
    key: str
    # A Reason argument (why a value is unknown) renders in the report's language.
    args: Mapping[str, JsonScalar | Reason] = field(default_factory=dict)
    resource: str | None = None
    expected: Any = None
    actual: Any = None
    evidence: tuple[Evidence, ...] = ()
    text: LocalizedText | None = None


class EvalContext(Struct, frozen=True):
    platform: PlatformInfo
    now: datetime  # the run's start time (UTC): evaluate() never reads the clock


class FactView:
    """The facts a check asked for, by type."""

    def __init__(self, facts: dict[type[Fact], Fact]) -> None:
        self._facts = facts

    def get(self, fact_type: type[FactT]) -> FactT:
        fact = self._facts[fact_type]
        assert isinstance(fact, fact_type)  # noqa: S101 - the engine guarantees the type
        return fact


class Check(abc.ABC):
    meta: ClassVar[CheckMeta]
    Params: ClassVar[type[CheckParams]] = CheckParams
    requires: ClassVar[tuple[type[Fact], ...]] = ()

    def not_applicable_reason(self, platform: PlatformInfo) -> str | None:
        """Why this check does not apply to the platform, or None if it does."""
        if platform.family not in self.meta.platforms:
            return f"not supported on {platform.family.value}"
        return None

    @abc.abstractmethod
    def evaluate(self, facts: FactView, params: Any, ctx: EvalContext) -> Iterable[Outcome]:
        """Judge the facts. Pure. Yield at least one outcome; never pass by default."""
