"""One host through the pipeline's host steps, and the report of a run.

For each host: open the transport, detect the platform, gather the facts the planned
checks need (engine.host_commands: collectors ask in rounds; the first-round PowerShell
probes of all of them run as one batch), evaluate each check, apply waivers. A failing
host or check never stops the others: failures become `unreachable` hosts or
`error`/`unknown` findings. engine.pipeline runs many hosts through this.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

from msgspec import Struct, field

from endpoint_audit import __version__
from endpoint_audit.checkkit.check import EvalContext, FactView, Outcome
from endpoint_audit.checkkit.collector import Collector
from endpoint_audit.checkkit.fact import Fact
from endpoint_audit.engine.collect import fact_types_of_plan
from endpoint_audit.engine.host_commands import FactOutcome, gather_facts
from endpoint_audit.engine.plan import Plan, PlannedCheck
from endpoint_audit.engine.registry import Registry
from endpoint_audit.engine.waivers import apply_waivers
from endpoint_audit.errors import (
    CollectorError,
    FactUnavailable,
    ReplayMissError,
    TransportError,
)
from endpoint_audit.model import i18n
from endpoint_audit.model.commands import CommandResult, transcript_digest
from endpoint_audit.model.observed import Reason
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.model.result import (
    BaselineFile,
    BaselineInfo,
    Evidence,
    Finding,
    HostReport,
    JsonScalar,
    RunReport,
    Severity,
    Status,
    ToolInfo,
)
from endpoint_audit.transport.base import DEFAULT_COMMAND_TIMEOUT, Transport
from endpoint_audit.transport.local import LocalTransport

EVIDENCE_EXCERPT = 600


class Target(Struct, frozen=True):
    """A host to audit and how to open a session to it.

    `name` is what the report calls the host. `audited_as` is the name the auditor
    targeted it by (inventory entry, --host, the bundle file's name), which waivers
    match; it defaults to `name`. `source` names the file a recorded host came from.
    """

    name: str
    open: Callable[[], Transport]
    audited_as: str | None = None
    source: str | None = None
    name_conflicts: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()  # inventory groups or a probe bundle's group (labels)
    # A recorded host (a bundle file): when it was collected, None when the file says not.
    recorded: bool = False
    collected_at: datetime | None = None
    # A recorded host whose file's name names another PC: that name (never judged as
    # either PC's results; engine.recorded.file_names_other_host).
    file_names: str | None = None
    # The address and login an SSH session goes to (an inventory's `address` and `user`),
    # which redaction hides too: the host's output may show them (a listening socket).
    address: str | None = None
    login: str | None = None

    @property
    def waiver_name(self) -> str:
        return self.audited_as if self.audited_as is not None else self.name


def local_target() -> Target:
    """This machine, named by its real host name (as the probe scripts name it), so that
    bundles and reports of two PCs never share a name."""
    name = socket.gethostname().strip() or "localhost"
    return Target(name, partial(LocalTransport, name))


class RunOptions(Struct, frozen=True):
    lang: str = "en"
    command_timeout: float = DEFAULT_COMMAND_TIMEOUT
    concurrency: int = 32
    now: datetime | None = None  # fixed clock for reproducible evaluation
    fail_on: Severity = Severity.INFO


class HostRun(Struct):
    """Everything one host produced: the report, plus what `collect` keeps."""

    report: HostReport
    transcript: dict[str, CommandResult] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    address: str | None = None  # Target.address and Target.login
    login: str | None = None


def message_args(args: Mapping[str, JsonScalar | Reason], lang: str) -> dict[str, JsonScalar]:
    """An outcome's arguments as a finding records them: each Reason flattened."""
    out: dict[str, JsonScalar] = {}
    for name, value in args.items():
        if isinstance(value, Reason):
            out.update(i18n.flat_reason(name, value.key, dict(value.args), lang))
        else:
            out[name] = value
    return out


def _finding(
    planned: PlannedCheck, outcome: Outcome, lang: str, evidence: list[Evidence]
) -> Finding:
    check_id = planned.id
    key = (
        outcome.key
        if "." in outcome.key and outcome.text is None
        else f"{check_id}.msg.{outcome.key}"
    )
    args = message_args(outcome.args, lang)
    if outcome.text is not None:
        message = outcome.text.get(lang) or next(iter(outcome.text.values()), outcome.key)
    else:
        message = i18n.t(lang, key, **args)
    return Finding(
        check_id=check_id,
        resource=outcome.resource,
        status=outcome.status,
        severity=planned.severity,
        message=message,
        message_key=key,
        message_args=args,
        expected=outcome.expected,
        actual=outcome.actual,
        evidence=list(outcome.evidence) or evidence,
    )


def _core(status: Status, key: str, **args: Any) -> Outcome:
    return Outcome(status=status, key=f"core.msg.{key}", args=args)


def _evidence_for(facts: Sequence[Fact], transcript: dict[str, CommandResult]) -> list[Evidence]:
    out: list[Evidence] = []
    for fact in facts:
        for source in fact.sources:
            result = transcript.get(source)
            excerpt = ""
            if result is not None:
                text = result.stdout if result.stdout.strip() else result.stderr
                excerpt = text[:EVIDENCE_EXCERPT] + ("…" if len(text) > EVIDENCE_EXCERPT else "")
                excerpt = f"[exit {result.exit_status}] {excerpt}".rstrip()
            out.append(Evidence(source=source, excerpt=excerpt))
    return out


def _not_applicable(planned: PlannedCheck, platform: PlatformInfo) -> str | Reason | None:
    """Why the check does not run on this platform, in the report's language where the
    engine says it (another OS family, the baseline's choice); a check's own reason as
    the check gives it."""
    if platform.family not in planned.check.meta.platforms:
        family = platform.family.value
        if platform.family is OsFamily.UNKNOWN:
            return Reason(key="core.reason.family_not_supported", args={"family": family})
        # A rule written for other OS families meets every host of the fleet: name them.
        families = ", ".join(sorted(f.value for f in planned.check.meta.platforms))
        return Reason(
            key="core.reason.other_families", args={"family": family, "families": families}
        )
    own = planned.check.not_applicable_reason(platform)
    if own is not None:
        return own
    chosen = planned.config.platforms
    if chosen is not None and platform.family not in chosen:
        names = ", ".join(sorted(f.value for f in chosen))
        return Reason(key="core.reason.baseline_only_on", args={"families": names})
    return None


def evaluate_check(
    planned: PlannedCheck,
    platform: PlatformInfo,
    facts: dict[type[Fact], FactOutcome],
    ctx: EvalContext,
    lang: str,
    transcript: dict[str, CommandResult],
) -> list[Finding]:
    """All findings of one check on one host. Never raises."""
    reason = _not_applicable(planned, platform)
    if reason is not None:
        return [
            _finding(
                planned, _core(Status.NOT_APPLICABLE, "not_applicable", reason=reason), lang, []
            )
        ]
    needed: list[Fact] = []
    for fact_type in planned.check.requires:
        got = facts.get(fact_type)
        if got is None:
            outcome = _core(
                Status.NOT_APPLICABLE,
                "no_collector",
                fact=fact_type.name,
                platform=platform.family.value,
            )
            return [_finding(planned, outcome, lang, [])]
        if isinstance(got, FactUnavailable):
            if got.language_mode:
                outcome = _core(
                    Status.UNKNOWN, "language_mode", reason=got.reason, mode=got.language_mode
                )
            elif got.needs_privilege:
                outcome = _core(
                    Status.UNKNOWN,
                    "needs_privilege",
                    reason=got.reason,
                    privilege=got.needs_privilege,
                )
            else:
                outcome = _core(Status.UNKNOWN, "fact_unavailable", reason=got.reason)
            return [_finding(planned, outcome, lang, [])]
        if isinstance(got, ReplayMissError):
            return [
                _finding(planned, _core(Status.ERROR, "replay_miss", reason=got.reason), lang, [])
            ]
        if isinstance(got, Exception):
            why = got.reason if isinstance(got, CollectorError) else str(got)
            return [_finding(planned, _core(Status.ERROR, "fact_error", reason=why), lang, [])]
        needed.append(got)
    evidence = _evidence_for(needed, transcript)
    try:
        params = planned.params_for(platform.family)
        view = FactView({type(f): f for f in needed})
        outcomes = list(planned.check.evaluate(view, params, ctx))
    except Exception as exc:  # a check bug is an error finding, never a pass
        outcome = _core(Status.ERROR, "check_error", reason=f"{type(exc).__name__}: {exc}")
        return [_finding(planned, outcome, lang, evidence)]
    if not outcomes:
        outcome = _core(Status.ERROR, "check_silent")
        return [_finding(planned, outcome, lang, evidence)]
    return [_finding(planned, o, lang, evidence) for o in outcomes]


def undetected_finding(planned: PlannedCheck, platform: PlatformInfo, lang: str) -> Finding:
    """A check on a host whose platform could not be told: an error, never "not
    applicable", so the host counts as incomplete."""
    reason = platform.detection_error or "the host did not say which operating system it runs"
    return _finding(planned, _core(Status.ERROR, "platform_undetected", reason=reason), lang, [])


def collectors_for(
    registry: Registry, fact_types: Sequence[type[Fact]], platform: PlatformInfo
) -> list[Collector[Any]]:
    out: list[Collector[Any]] = []
    for fact_type in dict.fromkeys(fact_types):
        collector = registry.collector_for(fact_type, platform)
        if collector is not None:
            out.append(collector)
    return out


def judge_host(
    plan: Plan,
    platform: PlatformInfo,
    facts: dict[type[Fact], FactOutcome],
    transcript: dict[str, CommandResult],
    lang: str,
    now: datetime,
    waiver_name: str,
) -> list[Finding]:
    """Every planned check on the host's facts, then the waivers."""
    ctx = EvalContext(platform=platform, now=now)
    findings: list[Finding] = []
    for planned in plan.checks:
        if not platform.detected:
            findings.append(undetected_finding(planned, platform, lang))
            continue
        findings.extend(evaluate_check(planned, platform, facts, ctx, lang, transcript))
    # Waivers match the name the auditor targeted, never one the host reports about
    # itself (`uname -n`, a name inside a bundle): a host cannot claim another's waiver.
    linux = platform.family is OsFamily.LINUX
    return apply_waivers(findings, plan.waivers, waiver_name, now, case_sensitive_resources=linux)


def facts_as_data(facts: dict[type[Fact], FactOutcome]) -> dict[str, Any]:
    """The facts as a bundle keeps them: each family's data, or {"error": the reason in
    English, "reason": its message key and arguments, for saying it in any language}."""
    return {
        fact_type.name: got.model_dump(mode="json") if isinstance(got, Fact) else _failure_data(got)
        for fact_type, got in facts.items()
    }


def _failure_data(got: Exception) -> dict[str, Any]:
    reason = getattr(got, "reason", None)
    if isinstance(reason, Reason):
        return {"error": str(got), "reason": reason.model_dump(mode="json")}
    return {"error": str(got)}


async def audit_host(
    target: Target,
    plan: Plan,
    options: RunOptions,
    now: datetime,
    fact_types: Sequence[type[Fact]] | None = None,
    judge: bool = True,
) -> HostRun:
    """One host: open the transport -> detect the platform -> collect the facts of
    `fact_types` (default: those the plan's checks need) -> judge them (unless `judge`
    is False, as for `collect`) -> the host report. Never raises for the host's own
    faults: an unreachable host is a report saying why."""
    started = datetime.now(UTC)
    clock = time.monotonic()
    report = HostReport(
        target=target.name,
        started_at=started,
        source=target.source,
        collected_at=target.collected_at if target.recorded else None,
        name_conflicts=list(target.name_conflicts),
        groups=list(target.groups),
    )
    wanted = fact_types_of_plan(plan) if fact_types is None else fact_types
    transcript: dict[str, CommandResult] = {}
    facts: dict[type[Fact], FactOutcome] = {}
    try:
        transport = target.open()
        transport.detect_timeout = min(transport.detect_timeout, options.command_timeout)
        async with transport:
            platform = await transport.detect_platform()
            report.platform = platform
            if platform.detected:  # nothing is asked of a host that could not be told
                collectors = collectors_for(plan.registry, wanted, platform)
                facts = await gather_facts(transport, platform, collectors, options.command_timeout)
                platform = transport.refined_platform(platform)
            report.platform = platform
            transcript = dict(transport.transcript)
            report.ssh_host_key = transport.host_key_fingerprint
    except TransportError as exc:
        report.status = "unreachable"
        report.reason = str(exc)
        report.finished_at = datetime.now(UTC)
        report.duration_seconds = round(time.monotonic() - clock, 3)
        return HostRun(
            report=report, transcript=transcript, address=target.address, login=target.login
        )
    if transcript:
        report.transcript_sha256 = transcript_digest(transcript)
    if judge:
        report.findings = judge_host(
            plan, platform, facts, transcript, options.lang, now, target.waiver_name
        )
    report.finished_at = datetime.now(UTC)
    report.duration_seconds = round(time.monotonic() - clock, 3)
    return HostRun(
        report=report,
        transcript=transcript,
        facts=facts_as_data(facts),
        address=target.address,
        login=target.login,
    )


def unreachable_run(target: Target, reason: str) -> HostRun:
    """A host whose audit broke in a way no step caught (the last guard)."""
    report = HostReport(
        target=target.name,
        status="unreachable",
        reason=reason,
        source=target.source,
        groups=list(target.groups),
    )
    return HostRun(report=report, address=target.address, login=target.login)


def build_report(
    plan: Plan,
    hosts: Sequence[HostReport],
    lang: str,
    started: datetime,
    finished: datetime,
    fail_on: Severity = Severity.INFO,
) -> RunReport:
    return RunReport(
        tool=ToolInfo(version=__version__),
        baseline=baseline_info(plan),
        lang=lang,
        started_at=started,
        finished_at=finished,
        fail_on=fail_on,
        checks={pc.id: pc.info() for pc in plan.checks},
        hosts=list(hosts),
    )


def baseline_info(plan: Plan) -> BaselineInfo:
    """What a report records of a plan's baseline: id, version, the effective digest,
    and the files it was read from (resolved path or `shipped:NAME`, each with sha256)."""
    base = plan.baseline
    return BaselineInfo(
        id=base.id,
        title=base.title,
        version=base.version,
        sha256=base.sha256,
        source=base.resolved,
        files=[BaselineFile(source=key, sha256=digest) for key, digest in base.files],
    )


__all__ = [
    "FactOutcome",
    "HostRun",
    "RunOptions",
    "Target",
    "audit_host",
    "build_report",
    "gather_facts",
    "local_target",
]
