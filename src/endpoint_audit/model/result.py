"""The result model every renderer reads. Its JSON form is versioned (SCHEMA_VERSION)."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from endpoint_audit.model.platform import PlatformInfo
from endpoint_audit.model.shard import ShardCoverage, ShardInfo

SCHEMA_VERSION = "1.0"

JsonScalar = str | int | float | bool | None


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 - a status name, not a password
    FAIL = "fail"
    UNKNOWN = "unknown"
    ERROR = "error"
    NOT_APPLICABLE = "not_applicable"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}

LocalizedText = dict[str, str]  # language code ("ja", "en") -> text


def _as_utc(value: datetime) -> datetime:
    """Report times are UTC, always with the zone. A time written without one (another
    tool's report, a hand-edited file) is read as UTC, which is what this tool writes;
    a time that cannot be expressed in UTC (an offset pushing it past year 1 or 9999) is
    refused. Reports are then compared and merged without mixing naive and aware times."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{value.isoformat()} is out of range in UTC") from None


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]


class Evidence(BaseModel):
    model_config = ConfigDict(frozen=True)

    source: str  # the command key or file the value came from
    excerpt: str = ""  # the relevant part of its output


class WaiverRef(BaseModel):
    """The waiver a finding matched, as judged when the host was judged.

    `expired` is true whenever the waiver is not in force, so that a reader that knows
    only this field never takes a waiver for one in force: lapsed (after its `expires`
    day), or with `pending` also true, not begun yet (its `approved` day is later).
    Days are whole days in `timezone` (an IANA name, or the auditing machine's local
    zone as `local (JST, UTC+09:00)`). What that makes of it is model.verdict's to say.
    """

    model_config = ConfigDict(frozen=True)

    id: str | None = None
    justification: str
    approver: str
    expires: str  # ISO date, the last day it applies
    expired: bool = False
    pending: bool = False
    approved: str | None = None  # ISO date, the first day it applies
    timezone: str | None = None


class Reference(BaseModel):
    """A framework requirement a check serves (MIC guideline, municipal guideline, CIS)."""

    model_config = ConfigDict(frozen=True)

    framework: str  # mic_telework, municipal_policy, cis_windows11, ...
    id: str  # section / item id
    title: str | None = None
    platforms: tuple[str, ...] = ()  # OS families the item belongs to; empty = all


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)

    check_id: str
    resource: str | None = None  # the volume, port, profile or user this finding is about
    status: Status
    severity: Severity
    message: str  # one sentence in the report language
    message_key: str  # catalog key, so another language can be rendered later
    message_args: dict[str, JsonScalar] = Field(default_factory=dict)
    expected: Any = None
    actual: Any = None
    evidence: list[Evidence] = Field(default_factory=list)
    waiver: WaiverRef | None = None


class CheckInfo(BaseModel):
    """What a report needs to know about a check without the check's code."""

    id: str
    title: LocalizedText
    description: LocalizedText = Field(default_factory=dict)
    rationale: LocalizedText = Field(default_factory=dict)
    severity: Severity
    platforms: list[str]
    remediation: dict[str, LocalizedText] = Field(default_factory=dict)  # os family -> text
    references: list[Reference] = Field(default_factory=list)
    params: dict[str, Any] = Field(default_factory=dict)


class HostReport(BaseModel):
    target: str
    platform: PlatformInfo | None = None
    status: Literal["ok", "unreachable"] = "ok"
    reason: str | None = None  # why a host is unreachable
    # The file a recorded host's result came from (`evaluate`, `scan --replay`).
    source: str | None = None
    # When a recorded host's commands ran, as its file records (None: a live scan, whose
    # started_at it is, or a file that records no time). started_at is when it was judged.
    collected_at: UtcDatetime | None = None
    # Other files that claim the same host name: each is judged on its own, none
    # replaces another (a PC cannot hide another PC's results by taking its name).
    name_conflicts: list[str] = Field(default_factory=list)
    started_at: UtcDatetime | None = None
    finished_at: UtcDatetime | None = None
    duration_seconds: float | None = None
    findings: list[Finding] = Field(default_factory=list)
    # The sha256 of the baseline this host was judged against, in a report whose hosts
    # followed different baselines (see RunReport.baselines); None when all shared one.
    baseline_sha256: str | None = None
    # The host groups it belongs to (a 課, a site): inventory groups, outermost first, or
    # the group a probe script was exported for (`probe export --group`). Labels only.
    groups: list[str] = Field(default_factory=list)
    # The sha256 of the host's raw command transcript (the bundle's commands and their
    # output), so evidence kept elsewhere can be matched to these verdicts.
    transcript_sha256: str | None = None
    # The SSH host key the connection verified (`SHA256:...`), for hosts scanned over SSH.
    ssh_host_key: str | None = None


class ToolInfo(BaseModel):
    name: str = "endpoint-audit"
    version: str


class BaselineFile(BaseModel):
    """One file a baseline was read from (the top file, then each one it extends)."""

    source: str  # `shipped:NAME` or the resolved (absolute) path of the file
    sha256: str  # of the file's text as UTF-8


class BaselineInfo(BaseModel):
    id: str
    title: LocalizedText = Field(default_factory=dict)
    version: str
    sha256: str  # of the effective (merged) baseline: exactly what was applied
    source: str | None = None  # `shipped:NAME` or the resolved path of the baseline file
    files: list[BaselineFile] = Field(default_factory=list)  # the extends chain, top first


class PartialInfo(BaseModel):
    """Set when the run was stopped before every host was audited: the report holds
    only the hosts that finished."""

    # Ctrl-C (SIGINT), SIGTERM or SIGHUP, or a report merged from slices of which some
    # are missing.
    reason: Literal["interrupted", "terminated", "slices_missing"]
    hosts_planned: int  # hosts the run was asked to audit
    hosts_reported: int  # hosts this report holds


class RunReport(BaseModel):
    schema_version: str = SCHEMA_VERSION
    tool: ToolInfo
    baseline: BaselineInfo
    lang: str = "en"
    started_at: UtcDatetime
    finished_at: UtcDatetime
    fail_on: Severity = Severity.INFO
    checks: dict[str, CheckInfo] = Field(default_factory=dict)
    hosts: list[HostReport] = Field(default_factory=list)
    # Not None when the run was interrupted: the report is incomplete.
    partial: PartialInfo | None = None
    # When hosts followed different baselines (inventory `baseline`), every one of them,
    # `baseline` (the run's default) first; empty when every host followed `baseline`.
    baselines: list[BaselineInfo] = Field(default_factory=list)
    # A fleet scan with --output-dir: the run's id (DIR/manifest.json), and the hosts
    # whose results were reused from an earlier, interrupted invocation (--resume).
    run_id: str | None = None
    reused_hosts: list[str] = Field(default_factory=list)
    # `scan --shard I/N`: the slice of the round this report holds (model.shard).
    shard: ShardInfo | None = None
    # `report merge` of slices: which slices of the round it holds and which are missing.
    shards: ShardCoverage | None = None
