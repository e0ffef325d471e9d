"""The baseline and waiver file formats (DESIGN.md §5), as validated data.

These models are also the source of `baseline schema` (the JSON Schema editors use), so
every field carries a description written for the people who tailor baselines.
"""

import re
from datetime import date, datetime, tzinfo
from typing import Annotated, Any, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from endpoint_audit.model.platform import OsFamily
from endpoint_audit.model.result import Reference, Severity
from endpoint_audit.model.rule import RuleEntry

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_plain_date(value: object) -> date:
    """A calendar date written as YYYY-MM-DD (YAML gives a date; quoted, a string).

    Pydantic's lax date parsing would take `expires: 5` as 1970-01-01 and a timestamp as
    its day; an approval record must say exactly which day it means.
    """
    if isinstance(value, datetime):
        raise ValueError("must be a date like 2026-03-31, without a time")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value.strip()!r} is not a calendar date") from None
    raise ValueError(f"must be a date like 2026-03-31, not {value!r}")


PlainDate = Annotated[date, WithJsonSchema({"type": "string", "format": "date"})]


def check_zone_name(value: str | None) -> str | None:
    """An IANA time zone name (Asia/Tokyo, UTC) that this machine's zoneinfo knows."""
    if value is None:
        return None
    name = value.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r}; use an IANA name such as Asia/Tokyo or UTC"
        ) from None
    return name


def local_zone_label(now: datetime) -> str:
    """The auditing machine's own zone as reports show it: `local (JST, UTC+09:00)`."""
    local = now.astimezone()
    offset = local.strftime("%z")
    sign, hours, minutes = offset[:1], offset[1:3], offset[3:5]
    return f"local ({local.tzname()}, UTC{sign}{hours}:{minutes})"


_TIMEZONE_DESCRIPTION = (
    "IANA time zone (e.g. Asia/Tokyo) in which approved and expires are whole days. "
    "Omitted: {fallback}."
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalizedTitle(_Strict):
    ja: str = Field(min_length=1, description="Japanese text.")
    en: str = Field(min_length=1, description="English text.")


class CheckEntry(_Strict):
    enabled: bool = Field(
        True, description="false turns the check off (also one inherited through extends)."
    )
    severity: Severity | None = Field(
        None, description="Overrides the check's default severity; omit to keep it."
    )
    platforms: list[OsFamily] | None = Field(
        None,
        description="Run the check only on these OS families (windows, macos, linux); on "
        "others it is not applicable. Omit for every OS the check supports.",
    )
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="The check's parameters; omitted ones keep their defaults "
        "(see `endpoint-audit checks show ID`).",
    )
    platform_params: dict[OsFamily, dict[str, Any]] = Field(
        default_factory=dict,
        description="Per-OS overrides merged over params for hosts of that family "
        "(windows, macos, linux).",
    )
    references: list[Reference] = Field(
        default_factory=list,
        description="Framework requirements this check serves here (MIC telework guideline "
        "category, municipal policy guideline section, CIS item per OS).",
    )
    rationale: LocalizedTitle | None = Field(
        None,
        description="Why these values; say where a number comes from when the Japanese "
        "guidelines give none.",
    )

    @field_validator("platform_params", "platforms")
    @classmethod
    def _real_families(cls, value: Any) -> Any:
        if value is not None:
            _no_unknown_family(value)
        return value

    @field_validator("platforms")
    @classmethod
    def _some_family(cls, value: list[OsFamily] | None) -> list[OsFamily] | None:
        # No family would make the check not applicable on every host: turned off, while
        # every report shows it as judged.
        if value is not None and not value:
            raise ValueError(
                "lists no OS family, so the check would run nowhere; name windows, macos "
                "or linux, or turn the check off with enabled: false"
            )
        return value


def _no_unknown_family(families: Any) -> None:
    if OsFamily.UNKNOWN in families:
        raise ValueError("'unknown' is not an OS family; use windows, macos or linux")


def _entry_tag(value: Any) -> str:
    if isinstance(value, dict):
        return "~rule" if value.get("type") == "rule" else "~check"
    return "~rule" if isinstance(value, RuleEntry) else "~check"


# A check of the tool (its settings) or a rule check written here (`type: rule`).
AnyEntry = Annotated[
    Union[  # noqa: UP007 - a tagged union
        Annotated[CheckEntry, Tag("~check")],
        Annotated[RuleEntry, Tag("~rule")],
    ],
    Discriminator(_entry_tag),
]


class WaiverSpec(_Strict):
    """An approved exception: a failing (or unknown) finding that is accepted until a date."""

    id: str | None = Field(None, description="Your reference, e.g. the approval number.")
    check: str = Field(description="The check id the exception is for.")
    hosts: list[Annotated[str, Field(min_length=1)]] = Field(
        min_length=1,
        description="Host name patterns (fnmatch, case-insensitive: 'pc-0*', '*' for all). "
        "Matched against the name the host was targeted by (inventory entry, --host, "
        "a bundle's file name), never a name the PC reports about itself.",
    )
    resource: str | None = Field(
        None,
        description="Only findings about this resource (fnmatch; case-insensitive except "
        "on Linux hosts, whose user names and paths keep their case), as the report shows "
        "it: '*:3389/tcp' for a port, 'D:' for a volume. Omit for all.",
    )
    justification: str = Field(description="Why the exception is accepted (required).")
    approver: str = Field(description="Who approved it (required).")
    approved: PlainDate | None = Field(
        None,
        description="The day it was approved and first applies (YYYY-MM-DD). Before that "
        "day it is reported as not yet in force and the finding counts.",
    )
    expires: PlainDate = Field(
        description="Last day the exception applies (YYYY-MM-DD), through 23:59:59 in the "
        "waiver's time zone. From the next day on it is reported as expired and the "
        "finding counts again."
    )
    timezone: str | None = Field(
        None,
        description=_TIMEZONE_DESCRIPTION.format(
            fallback="the waiver file's or baseline's timezone, else the auditing "
            "machine's local zone"
        ),
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return check_zone_name(value)

    # A blank pattern matches no real resource or host: the approved waiver would quietly
    # do nothing, and a reader could take it for "all". Omit `resource` for every resource.
    @field_validator("resource")
    @classmethod
    def _resource_not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be blank (omit `resource` to cover every resource)")
        return value

    @field_validator("hosts")
    @classmethod
    def _hosts_not_blank(cls, value: list[str]) -> list[str]:
        if any(not pattern.strip() for pattern in value):
            raise ValueError("must not be blank ('*' covers every host)")
        return value

    @field_validator("justification", "approver", "check")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("approved", "expires", mode="before")
    @classmethod
    def _plain_date(cls, value: object) -> object:
        return None if value is None else parse_plain_date(value)

    @model_validator(mode="after")
    def _expires_after_approval(self) -> "WaiverSpec":
        if self.approved is not None and self.expires < self.approved:
            raise ValueError(
                f"expires {self.expires.isoformat()} is before approved {self.approved.isoformat()}"
            )
        return self

    # Whether it is in force on a day is model.verdict's to say (waiver_state).
    def zone(self) -> tzinfo | None:
        """The zone its days are in; None for the auditing machine's local zone."""
        return ZoneInfo(self.timezone) if self.timezone else None

    def zone_label(self, now: datetime) -> str:
        return self.timezone or local_zone_label(now)

    def with_default_zone(self, zone: str | None) -> "WaiverSpec":
        """The waiver judged in `zone` unless it names its own."""
        if self.timezone is not None or zone is None:
            return self
        return self.model_copy(update={"timezone": zone})


class WaiverFile(_Strict):
    """A waiver file (`scan --waivers FILE`): approved exceptions kept apart from baselines."""

    timezone: str | None = Field(
        None,
        description=_TIMEZONE_DESCRIPTION.format(
            fallback="the baseline's timezone, else the auditing machine's local zone"
        ),
    )
    waivers: list[WaiverSpec] = Field(description="The approved exceptions.")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return check_zone_name(value)


class Baseline(_Strict):
    id: str = Field(
        min_length=1,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="Short name, e.g. city-telework.",
    )
    title: LocalizedTitle
    version: Annotated[str, WithJsonSchema({"type": ["string", "number"]})] = Field(
        description="Your version of this baseline, e.g. '2025.1'."
    )
    description: LocalizedTitle | None = None
    extends: str | None = Field(
        None,
        description="A shipped baseline name (jp-municipal-telework, cis-level1, minimal) or "
        "a path, relative to this file, of another baseline to start from.",
    )
    checks: dict[str, AnyEntry] = Field(
        default_factory=dict,
        description="Check id -> settings, merged over the extended ones; or a rule check "
        "written here (`type: rule`, docs/rules.md).",
    )
    timezone: str | None = Field(
        None,
        description=_TIMEZONE_DESCRIPTION.format(
            fallback="the extended baseline's, else the auditing machine's local zone"
        )
        + " Also the zone of waiver files that name none.",
    )
    waivers: list[WaiverSpec] = Field(
        default_factory=list, description="Approved exceptions that travel with the baseline."
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return check_zone_name(value)

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: object) -> object:
        # `version: 1.0` in YAML is a float; keep what the author wrote.
        return (
            str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
        )


class ResolvedCheck(_Strict):
    """One enabled check as a run will use it: severity decided, params validated later."""

    id: str
    severity: Severity | None
    params: dict[str, Any]
    platform_params: dict[OsFamily, dict[str, Any]]
    references: list[Reference]
    # The OS families the baseline runs the check on; None = all the check supports.
    platforms: frozenset[OsFamily] | None = None
