"""The engine never turns missing evidence or a broken probe into a pass."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import ClassVar

import pytest

from endpoint_audit.baseline.load import LoadedBaseline
from endpoint_audit.checkkit.check import (
    Check,
    CheckMeta,
    CheckParams,
    EvalContext,
    FactView,
    Outcome,
)
from endpoint_audit.checkkit.collector import Collector, Results, require
from endpoint_audit.checkkit.fact import Fact
from endpoint_audit.engine.pipeline import HostSlot, PreparedRun, RunRequest, ThisMachine
from endpoint_audit.engine.plan import make_plan
from endpoint_audit.engine.registry import Registry
from endpoint_audit.engine.run import RunOptions, Target, audit_host
from endpoint_audit.errors import CollectorError, FactUnavailable, TransportError
from endpoint_audit.model.baseline import ResolvedCheck
from endpoint_audit.model.commands import Argv, Command, CommandResult
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.model.result import Status
from endpoint_audit.transport.base import Transport
from endpoint_audit.transport.replay import ReplayTransport
from endpoint_audit.transport.transcript import HostTranscript

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
LINUX = PlatformInfo(family=OsFamily.LINUX, distro="debian", transport="ssh")
FIRST = Argv(("probe", "one"))


class CountFact(Fact):
    name: ClassVar[str] = "test_count"
    value: int


class CountCollector(Collector[CountFact]):
    """Two rounds: the second command depends on the first one's output."""

    id = "linux.test_count"
    fact_type = CountFact
    platforms = frozenset({OsFamily.LINUX})
    mode: ClassVar[str] = "ok"

    def commands(self, platform: PlatformInfo, results: Results) -> Sequence[Command]:
        cmds: list[Command] = [FIRST]
        if FIRST.key in results:
            cmds.append(Argv(("probe", results[FIRST.key].stdout.strip())))
        return cmds

    def parse(self, results: Results, platform: PlatformInfo) -> CountFact:
        if self.mode == "unavailable":
            raise FactUnavailable("cannot see it", needs_privilege="root")
        if self.mode == "broken":
            raise CollectorError("garbled output")
        if self.mode == "bug":
            raise ZeroDivisionError("oops")
        second = require(results, Argv(("probe", results[FIRST.key].stdout.strip())))
        return CountFact(value=int(second.stdout))


class AtMost(CheckParams):
    limit: int = 5


def _meta(cid: str) -> CheckMeta:
    text = {"en": cid, "ja": cid}
    return CheckMeta(
        id=cid,
        title=text,
        description=text,
        rationale=text,
        severity=__import__("endpoint_audit.model.result", fromlist=["Severity"]).Severity.HIGH,
        platforms=frozenset({OsFamily.LINUX}),
        remediation={OsFamily.LINUX: text},
    )


class CountCheck(Check):
    meta = _meta("test.count")
    Params = AtMost
    requires = (CountFact,)
    behaviour: ClassVar[str] = "judge"

    def evaluate(self, facts: FactView, params: AtMost, ctx: EvalContext) -> Iterable[Outcome]:
        if self.behaviour == "silent":
            return []
        if self.behaviour == "raise":
            raise RuntimeError("check bug")
        value = facts.get(CountFact).value
        status = Status.PASS if value <= params.limit else Status.FAIL
        return [Outcome(status=status, key="x", text={"en": f"value {value}", "ja": f"値 {value}"})]


def registry() -> Registry:
    reg = Registry()
    reg.checks[CountCheck.meta.id] = CountCheck
    reg.collectors.append(CountCollector)
    return reg


def plan(limit: int = 5):  # type: ignore[no-untyped-def]
    reg = registry()
    baseline = LoadedBaseline(
        id="t",
        title={"en": "t", "ja": "t"},
        version="1",
        source="t",
        chain=["t"],
        checks={
            "test.count": ResolvedCheck(
                id="test.count",
                severity=None,
                params={"limit": limit},
                platform_params={},
                references=[],
            )
        },
        disabled=[],
        waivers=[],
    )
    return make_plan(baseline, reg)


def recorded(**commands: CommandResult) -> HostTranscript:
    return HostTranscript(target="h1", platform=LINUX, commands=dict(commands))


def run_one(transcript: HostTranscript, limit: int = 5) -> list[tuple[Status, str]]:
    target = Target("h1", lambda: ReplayTransport(transcript))
    result = asyncio.run(audit_host(target, plan(limit), RunOptions(), NOW))
    return [(f.status, f.message) for f in result.report.findings]


GOOD = {"probe one": CommandResult(0, "two\n"), "probe two": CommandResult(0, "7")}


@pytest.fixture(autouse=True)
def _reset() -> None:
    CountCollector.mode = "ok"
    CountCheck.behaviour = "judge"


def test_follow_up_commands_run_in_a_second_round() -> None:
    assert run_one(recorded(**GOOD), limit=10) == [(Status.PASS, "value 7")]
    assert run_one(recorded(**GOOD), limit=5) == [(Status.FAIL, "value 7")]


def test_unrecorded_command_is_an_error_naming_it() -> None:
    [(status, message)] = run_one(recorded(**{"probe one": CommandResult(0, "two")}))
    assert status is Status.ERROR
    assert "probe two" in message


@pytest.mark.parametrize(
    ("mode", "status", "text"),
    [
        ("unavailable", Status.UNKNOWN, "needs root"),
        ("broken", Status.ERROR, "garbled output"),
        ("bug", Status.ERROR, "ZeroDivisionError"),
    ],
)
def test_collector_trouble_is_never_a_pass(mode: str, status: Status, text: str) -> None:
    CountCollector.mode = mode
    [(got, message)] = run_one(recorded(**GOOD))
    assert got is status
    assert text in message


@pytest.mark.parametrize(("behaviour", "text"), [("silent", "no result"), ("raise", "check bug")])
def test_check_trouble_is_an_error(behaviour: str, text: str) -> None:
    CountCheck.behaviour = behaviour
    [(status, message)] = run_one(recorded(**GOOD))
    assert status is Status.ERROR
    assert text in message


def test_other_platform_is_not_applicable() -> None:
    mac = HostTranscript(
        target="m", platform=PlatformInfo(family=OsFamily.MACOS, transport="ssh"), commands={}
    )
    [(status, message)] = run_one(mac)
    assert status is Status.NOT_APPLICABLE
    assert "macos" in message


class Unreachable(Transport):
    name = "broken"

    async def open(self) -> None:
        raise TransportError("connection refused")

    async def _run(self, command: Command, timeout: float) -> CommandResult:
        raise AssertionError("never called")


def test_one_unreachable_host_does_not_cost_the_others() -> None:
    targets = [
        Target("good", lambda: ReplayTransport(recorded(**GOOD))),
        Target("down", lambda: Unreachable("down")),
        Target("good2", lambda: ReplayTransport(recorded(**GOOD))),
    ]
    the_plan = plan(10)
    slots = [HostSlot(t.name, the_plan, t) for t in targets]
    prepared = PreparedRun(
        RunRequest(ThisMachine()), {"t": the_plan}, slots, the_plan.registry,
        RunOptions(now=NOW), print,
    )  # fmt: skip
    asyncio.run(prepared.execute())  # the one loop every command runs its hosts in
    by_name = {s.name: s.report for s in prepared.slots if s.report is not None}
    assert list(by_name) == ["good", "down", "good2"]
    assert by_name["down"].status == "unreachable"
    assert by_name["down"].reason == "connection refused"
    assert [f.status for f in by_name["good"].findings] == [Status.PASS]
    assert [f.status for f in by_name["good2"].findings] == [Status.PASS]


def test_each_command_runs_once_per_host() -> None:
    calls: list[str] = []

    class Counting(ReplayTransport):
        async def _run(self, command: Command, timeout: float) -> CommandResult:
            calls.append(command.key)
            return await super()._run(command, timeout)

    asyncio.run(
        audit_host(Target("h1", lambda: Counting(recorded(**GOOD))), plan(), RunOptions(), NOW)
    )
    assert sorted(calls) == ["probe one", "probe two"]


class SlowFact(Fact):
    name: ClassVar[str] = "test_slow"
    value: str


class SlowCollector(Collector[SlowFact]):
    """One slow command, like `apt list` rebuilding its cache."""

    id = "linux.test_slow"
    fact_type = SlowFact
    platforms = frozenset({OsFamily.LINUX})

    def commands(self, platform: PlatformInfo, results: Results) -> Sequence[Command]:
        return [Argv(("slow",))]

    def parse(self, results: Results, platform: PlatformInfo) -> SlowFact:
        return SlowFact(value=results["slow"].stdout)


class Timed(ReplayTransport):
    """Replays, but `slow` takes 0.5 s; records when each command started."""

    def __init__(self, recorded_host: HostTranscript, fail_on: str | None = None) -> None:
        super().__init__(recorded_host)
        self.started: dict[str, float] = {}
        self.fail_on = fail_on

    async def _run(self, command: Command, timeout: float) -> CommandResult:
        self.started[command.key] = asyncio.get_running_loop().time()
        if command.key == self.fail_on:
            raise TransportError("connection lost")
        if command.key == "slow":
            await asyncio.sleep(0.5)
            return CommandResult(0, "done")
        return await super()._run(command, timeout)


def test_a_collector_does_not_wait_for_another_collectors_slow_command() -> None:
    transport = Timed(recorded(**GOOD))
    collectors = [SlowCollector(), CountCollector()]

    async def gather() -> dict[type[Fact], object]:
        from endpoint_audit.engine.run import gather_facts

        return await gather_facts(transport, LINUX, collectors, 30)  # type: ignore[return-value]

    facts = asyncio.run(gather())
    assert facts[CountFact] == CountFact(value=7, sources=("probe one", "probe two"))
    assert facts[SlowFact] == SlowFact(value="done", sources=("slow",))
    # The second round of the counting collector started long before `slow` ended.
    assert transport.started["probe two"] - transport.started["slow"] < 0.25


def test_a_session_that_breaks_mid_scan_makes_the_host_unreachable() -> None:
    transport = Timed(recorded(**GOOD), fail_on="probe two")
    result = asyncio.run(audit_host(Target("h1", lambda: transport), plan(), RunOptions(), NOW))
    assert result.report.status == "unreachable"
    assert result.report.reason == "connection lost"
