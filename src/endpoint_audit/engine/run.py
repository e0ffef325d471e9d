"""Run a plan against targets: one host at a time per task, many hosts concurrently.

For each host: open the transport, detect the platform, gather the facts the planned
checks need (collectors ask in rounds; all PowerShell probes of a round share one
process), evaluate each check, apply waivers. A failing host or check never stops the
others: failures become `unreachable` hosts or `error`/`unknown` findings.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from endpoint_audit import __version__
from endpoint_audit.checkkit.check import EvalContext, FactView, Outcome
from endpoint_audit.checkkit.collector import Collector
from endpoint_audit.checkkit.fact import Fact
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
from endpoint_audit.model.commands import Command, CommandResult, PowerShell
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.model.result import (
    BaselineFile,
    BaselineInfo,
    Evidence,
    Finding,
    HostReport,
    RunReport,
    Severity,
    Status,
    ToolInfo,
)
from endpoint_audit.transport.base import DEFAULT_COMMAND_TIMEOUT, Transport
from endpoint_audit.transport.local import LocalTransport

COMMANDS_IN_FLIGHT_PER_HOST = 8
EVIDENCE_EXCERPT = 600


@dataclass(frozen=True)
class Target:
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

    @property
    def waiver_name(self) -> str:
        return self.audited_as if self.audited_as is not None else self.name


def local_target() -> Target:
    """This machine, named by its real host name (as the probe scripts name it), so that
    bundles and reports of two PCs never share a name."""
    name = socket.gethostname().strip() or "localhost"
    return Target(name, partial(LocalTransport, name))


@dataclass(frozen=True)
class RunOptions:
    lang: str = "en"
    command_timeout: float = DEFAULT_COMMAND_TIMEOUT
    concurrency: int = 32
    now: datetime | None = None  # fixed clock for reproducible evaluation


@dataclass
class HostRun:
    """Everything one host produced: the report, plus what `collect` keeps."""

    report: HostReport
    transcript: dict[str, CommandResult] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)


FactOutcome = Fact | Exception


class _HostCommands:
    """Runs the commands of one host for all its collectors: each command once, at most
    `limit` at a time, and every PowerShell probe asked for in the same turn of the event
    loop in one process (collectors start together, so a scan's probes share one)."""

    def __init__(self, transport: Transport, timeout: float) -> None:
        self.transport = transport
        self.timeout = timeout
        self.limit = asyncio.Semaphore(
            max(COMMANDS_IN_FLIGHT_PER_HOST, transport.commands_in_flight)
        )
        self.results: dict[str, asyncio.Future[CommandResult | Exception]] = {}
        self._probes: list[PowerShell] = []
        self._tasks: set[asyncio.Task[None]] = set()  # referenced until done

    def fetch(self, command: Command) -> asyncio.Future[CommandResult | Exception]:
        future = self.results.get(command.key)
        if future is not None:
            return future
        future = asyncio.get_running_loop().create_future()
        self.results[command.key] = future
        if isinstance(command, PowerShell):
            if not self._probes:
                self._start(self._flush_probes())
            self._probes.append(command)
        else:
            self._start(self._one(command, future))
        return future

    def _start(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def cancel(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    async def _one(
        self, command: Command, future: asyncio.Future[CommandResult | Exception]
    ) -> None:
        async with self.limit:
            try:
                result: CommandResult | Exception = await self.transport.run(command, self.timeout)
            except ReplayMissError as exc:  # this command's error; the others go on
                result = exc
            except asyncio.CancelledError:
                future.cancel()
                raise
            except Exception as exc:  # the session broke: the host's problem
                if not future.done():
                    future.set_exception(exc)
                return
        if not future.done():
            future.set_result(result)

    async def _flush_probes(self) -> None:
        await asyncio.sleep(0)  # let every collector that starts in this turn add its probes
        probes, self._probes = self._probes, []
        try:
            batch = await self.transport.run_powershell_batch(probes, self.timeout)
        except ReplayMissError:
            # Tell exactly which probes are missing: ask for each one alone.
            for probe in probes:
                await self._one(probe, self.results[probe.key])
            return
        except asyncio.CancelledError:
            for probe in probes:
                self.results[probe.key].cancel()
            raise
        except Exception as exc:  # the session broke: the host's problem
            for probe in probes:
                if not self.results[probe.key].done():
                    self.results[probe.key].set_exception(exc)
            return
        for probe in probes:
            future = self.results[probe.key]
            if not future.done():
                got = batch.get(probe.key)
                future.set_result(
                    got if got is not None else CollectorError(f"no result for {probe.key!r}")
                )


async def _collect_one(
    collector: Collector[Any], platform: PlatformInfo, host: _HostCommands
) -> FactOutcome:
    """One collector's rounds: it asks again as soon as its own commands are answered,
    never waiting for another collector's slow command."""
    asked: dict[str, CommandResult | Exception] = {}
    for _ in range(Collector.MAX_ROUNDS):
        mine = {k: v for k, v in asked.items() if isinstance(v, CommandResult)}
        try:
            commands = collector.commands(platform, mine)
        except Exception as exc:  # a collector bug is that fact's error, not the run's
            return CollectorError(f"{collector.id}: {type(exc).__name__}: {exc}")
        new = [c for c in {c.key: c for c in commands}.values() if c.key not in asked]
        if not new:
            break
        answers = await asyncio.gather(*(host.fetch(c) for c in new))
        asked.update((c.key, a) for c, a in zip(new, answers, strict=True))
    missing = [asked[k] for k in sorted(asked) if isinstance(asked[k], Exception)]
    if missing:
        first = missing[0]
        assert isinstance(first, Exception)  # noqa: S101 - filtered just above
        return first
    results = {k: v for k, v in asked.items() if isinstance(v, CommandResult)}
    try:
        fact: Fact = collector.parse(results, platform)
    except (FactUnavailable, CollectorError) as exc:
        return exc
    except Exception as exc:  # a parser bug must not take the host down
        return CollectorError(f"{collector.id}: {type(exc).__name__}: {exc}")
    return fact.model_copy(update={"sources": tuple(sorted(results))})


async def gather_facts(
    transport: Transport,
    platform: PlatformInfo,
    collectors: Sequence[Collector[Any]],
    timeout: float,
) -> dict[type[Fact], FactOutcome]:
    """Every collector's fact: each asks for commands in rounds, concurrently with the
    others, and parses what it got."""
    host = _HostCommands(transport, timeout)
    try:
        outcomes = await asyncio.gather(*(_collect_one(c, platform, host) for c in collectors))
    finally:
        host.cancel()  # nothing outlives the host's session
    return {c.fact_type: o for c, o in zip(collectors, outcomes, strict=True)}


def _finding(
    planned: PlannedCheck, outcome: Outcome, lang: str, evidence: list[Evidence]
) -> Finding:
    check_id = planned.id
    key = (
        outcome.key
        if "." in outcome.key and outcome.text is None
        else f"{check_id}.msg.{outcome.key}"
    )
    if outcome.text is not None:
        message = outcome.text.get(lang) or next(iter(outcome.text.values()), outcome.key)
    else:
        message = i18n.t(lang, key, **outcome.args)
    return Finding(
        check_id=check_id,
        resource=outcome.resource,
        status=outcome.status,
        severity=planned.severity,
        message=message,
        message_key=key,
        message_args=dict(outcome.args),
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


def evaluate_check(
    planned: PlannedCheck,
    platform: PlatformInfo,
    facts: dict[type[Fact], FactOutcome],
    ctx: EvalContext,
    lang: str,
    transcript: dict[str, CommandResult],
) -> list[Finding]:
    """All findings of one check on one host. Never raises."""
    reason = planned.check.not_applicable_reason(platform) or planned.baseline_excludes(platform)
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
                _finding(planned, _core(Status.ERROR, "replay_miss", reason=str(got)), lang, [])
            ]
        if isinstance(got, Exception):
            return [_finding(planned, _core(Status.ERROR, "fact_error", reason=str(got)), lang, [])]
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


async def audit_host(target: Target, plan: Plan, options: RunOptions, now: datetime) -> HostRun:
    """Audit one host. Never raises for the host's own faults."""
    started = datetime.now(UTC)
    clock = time.monotonic()
    report = HostReport(
        target=target.name,
        started_at=started,
        source=target.source,
        name_conflicts=list(target.name_conflicts),
        groups=list(target.groups),
    )
    transcript: dict[str, CommandResult] = {}
    facts_out: dict[str, Any] = {}
    try:
        transport = target.open()
        transport.detect_timeout = min(transport.detect_timeout, options.command_timeout)
        async with transport:
            platform = await transport.detect_platform()
            report.platform = platform
            facts: dict[type[Fact], FactOutcome] = {}
            if platform.detected:  # nothing is asked of a host that could not be told
                fact_types = [ft for pc in plan.checks for ft in pc.check.requires]
                collectors = collectors_for(plan.registry, fact_types, platform)
                facts = await gather_facts(transport, platform, collectors, options.command_timeout)
                platform = transport.refined_platform(platform)
            report.platform = platform
            transcript = dict(transport.transcript)
    except TransportError as exc:
        report.status = "unreachable"
        report.reason = str(exc)
        report.finished_at = datetime.now(UTC)
        report.duration_seconds = round(time.monotonic() - clock, 3)
        return HostRun(report=report, transcript=transcript)
    ctx = EvalContext(platform=platform, now=now)
    findings: list[Finding] = []
    for planned in plan.checks:
        if not platform.detected:
            findings.append(undetected_finding(planned, platform, options.lang))
            continue
        findings.extend(evaluate_check(planned, platform, facts, ctx, options.lang, transcript))
    # Waivers match the name the auditor targeted, never one the host reports about
    # itself (`uname -n`, a name inside a bundle): a host cannot claim another's waiver.
    report.findings = apply_waivers(findings, plan.waivers, target.waiver_name, now)
    for fact_type, got in facts.items():
        facts_out[fact_type.name] = (
            got.model_dump(mode="json") if isinstance(got, Fact) else {"error": str(got)}
        )
    report.finished_at = datetime.now(UTC)
    report.duration_seconds = round(time.monotonic() - clock, 3)
    return HostRun(report=report, transcript=transcript, facts=facts_out)


HostCallback = Callable[[HostRun], Awaitable[None] | None]


async def run_targets(
    targets: Sequence[Target],
    plan: Plan,
    options: RunOptions,
    on_host_done: HostCallback | None = None,
) -> list[HostRun]:
    """Audit every target, at most `options.concurrency` at once, in input order.

    If cancelled (Ctrl-C), the hosts finished so far are returned through the callback;
    the caller keeps them.
    """
    now = options.now or datetime.now(UTC)
    limit = asyncio.Semaphore(max(1, options.concurrency))
    runs: list[HostRun | None] = [None] * len(targets)

    async def one(index: int, target: Target) -> None:
        async with limit:
            try:
                run = await audit_host(target, plan, options, now)
            except Exception as exc:  # the last guard: one host's bug never costs another
                report = HostReport(
                    target=target.name,
                    status="unreachable",
                    reason=f"{type(exc).__name__}: {exc}",
                    source=target.source,
                    groups=list(target.groups),
                )
                run = HostRun(report=report)
        runs[index] = run
        if on_host_done is not None:
            maybe = on_host_done(run)
            if maybe is not None:
                await maybe

    await asyncio.gather(*(one(i, t) for i, t in enumerate(targets)))
    return [r for r in runs if r is not None]


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


def families_of(plan: Plan) -> set[OsFamily]:
    return {f for pc in plan.checks for f in pc.check.meta.platforms}
