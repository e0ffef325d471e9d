"""The baseline file format (DESIGN.md §5), as validated data."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from endpoint_audit.model.platform import OsFamily
from endpoint_audit.model.result import Reference, Severity


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalizedTitle(_Strict):
    ja: str
    en: str


class CheckEntry(_Strict):
    enabled: bool = True
    severity: Severity | None = None  # None: the check's own default
    params: dict[str, Any] = Field(default_factory=dict)
    # Per-OS overrides merged over `params` for hosts of that family.
    platform_params: dict[OsFamily, dict[str, Any]] = Field(default_factory=dict)
    references: list[Reference] = Field(default_factory=list)
    # Where the numbers come from when the Japanese sources give none.
    rationale: LocalizedTitle | None = None


class WaiverSpec(_Strict):
    id: str | None = None
    check: str
    hosts: list[str] = Field(default_factory=lambda: ["*"])  # fnmatch patterns
    resource: str | None = None  # fnmatch pattern on the finding's resource (port, volume)
    justification: str
    approver: str
    expires: date

    @field_validator("justification", "approver")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value


class Baseline(_Strict):
    id: str
    title: LocalizedTitle
    version: str
    description: LocalizedTitle | None = None
    extends: str | None = None
    checks: dict[str, CheckEntry] = Field(default_factory=dict)
    waivers: list[WaiverSpec] = Field(default_factory=list)

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: object) -> object:
        # `version: 1.0` in YAML is a float; keep what the author wrote.
        return str(value) if isinstance(value, int | float) else value


class ResolvedCheck(_Strict):
    """One enabled check as a run will use it: severity decided, params validated later."""

    id: str
    severity: Severity | None
    params: dict[str, Any]
    platform_params: dict[OsFamily, dict[str, Any]]
    references: list[Reference]
