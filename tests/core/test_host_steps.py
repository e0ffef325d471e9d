"""The host's command steps (engine.host_commands): the first-round PowerShell probes of
every collector run as one batch, started before anything else answers; later rounds'
probes form their own batches; a command asked for twice runs once."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import ClassVar

from endpoint_audit.checkkit.collector import Collector, Results
from endpoint_audit.checkkit.fact import Fact
from endpoint_audit.engine.host_commands import gather_facts
from endpoint_audit.model.commands import Argv, Command, CommandResult, PowerShell
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.transport.replay import ReplayTransport
from endpoint_audit.transport.transcript import HostTranscript

WINDOWS = PlatformInfo(family=OsFamily.WINDOWS, version="10.0.22631", transport="ssh")


def ps(name: str) -> PowerShell:
    return PowerShell(name=name, script="$result = 1")


SLOW = Argv(("slow",))


class Seen(Fact):
    name: ClassVar[str] = "test_seen"
    keys: tuple[str, ...] = ()


class Probes(Collector[Seen]):
    """Asks `first` at once, then `then` once its own first round answered."""

    id = "windows.test"
    fact_type = Seen
    platforms = frozenset({OsFamily.WINDOWS})
    first: ClassVar[tuple[Command, ...]] = ()
    then: ClassVar[tuple[Command, ...]] = ()

    def commands(self, platform: PlatformInfo, results: Results) -> Sequence[Command]:
        done = all(c.key in results for c in self.first)
        return [*self.first, *(self.then if done else ())]

    def parse(self, results: Results, platform: PlatformInfo) -> Seen:
        return Seen(keys=tuple(sorted(results)))


def collector(name: str, first: Sequence[Command], then: Sequence[Command] = ()) -> Probes:
    cls = type(name, (Probes,), {"first": tuple(first), "then": tuple(then)})
    fact = type(f"{name}Fact", (Seen,), {"name": f"test_{name.lower()}"})
    cls.fact_type = fact
    return cls()  # type: ignore[no-any-return]


class Watched(ReplayTransport):
    """Replays, logging each PowerShell process started and each command answered."""

    def __init__(self, recorded: HostTranscript) -> None:
        super().__init__(recorded)
        self.events: list[str] = []

    async def _run_powershell_batch(
        self, probes: list[PowerShell], timeout: float
    ) -> dict[str, CommandResult]:
        self.events.append("batch " + ",".join(sorted(p.name for p in probes)))
        return await super()._run_powershell_batch(probes, timeout)

    async def _run(self, command: Command, timeout: float) -> CommandResult:
        if command.key == SLOW.key:
            await asyncio.sleep(0.05)
        result = await super()._run(command, timeout)
        self.events.append("answered " + command.key)
        return result


def host(*keys: str) -> Watched:
    answers = {k: CommandResult(0, stdout="1") for k in keys}
    return Watched(HostTranscript(target="pc", platform=WINDOWS, commands=answers))


def test_first_round_probes_of_every_collector_are_one_batch_started_first() -> None:
    transport = host("slow", "ps:a1", "ps:b1", "ps:b2", "ps:c1", "ps:c2")
    collectors = [
        collector("A", [SLOW, ps("a1")]),
        collector("B", [ps("b1")], then=[ps("b2"), ps("a1")]),  # a1 again: never rerun
        collector("C", [SLOW], then=[ps("c1"), ps("c2")]),
    ]
    facts = asyncio.run(gather_facts(transport, WINDOWS, collectors, 10))
    batches = [e for e in transport.events if e.startswith("batch")]
    assert batches == ["batch a1,b1", "batch b2", "batch c1,c2"]
    assert transport.events[0] == "batch a1,b1"  # before any other command answered
    assert transport.events.count("answered slow") == 1
    got = {t.name: f.keys for t, f in facts.items() if isinstance(f, Seen)}
    assert got == {
        "test_a": ("ps:a1", "slow"),
        "test_b": ("ps:a1", "ps:b1", "ps:b2"),
        "test_c": ("ps:c1", "ps:c2", "slow"),
    }


def test_a_collector_that_breaks_in_its_first_round_costs_no_other_probe() -> None:
    class Broken(Probes):
        id = "windows.broken"

        def commands(self, platform: PlatformInfo, results: Results) -> Sequence[Command]:
            raise KeyError("bug")

    transport = host("ps:a1", "ps:b1")
    collectors = [collector("A", [ps("a1")]), Broken(), collector("B", [ps("b1")])]
    facts = asyncio.run(gather_facts(transport, WINDOWS, collectors, 10))
    assert [e for e in transport.events if e.startswith("batch")] == ["batch a1,b1"]
    assert isinstance(facts[Seen], Exception) and "bug" in str(facts[Seen])
    assert sum(isinstance(f, Seen) for f in facts.values()) == 2


NEW = Argv(("new-listing",), may_be_unrecorded=True)
OLD = Argv(("old-listing",))


class Fallback(Probes):
    """Asks NEW and OTHER; when NEW is absent after that round, OLD."""

    id = "windows.fallback"

    def commands(self, platform: PlatformInfo, results: Results) -> Sequence[Command]:
        other = Argv(("other",))
        if other.key in results and NEW.key not in results:
            return [NEW, other, OLD]
        return [NEW, other]


def test_an_unrecorded_command_a_recording_lacks_is_left_out_not_an_error() -> None:
    facts = asyncio.run(gather_facts(host("other", "old-listing"), WINDOWS, [Fallback()], 10))
    fact = facts[Seen]
    assert isinstance(fact, Seen), fact
    # NEW is left out (never a result, never asked again); the collector fell back.
    assert fact.keys == ("old-listing", "other")


def test_an_unrecorded_command_is_used_when_recorded_and_others_still_fail() -> None:
    facts = asyncio.run(gather_facts(host("other", "new-listing"), WINDOWS, [Fallback()], 10))
    fact = facts[Seen]
    assert isinstance(fact, Seen) and fact.keys == ("new-listing", "other")
    # Without the mark, the same absence is the fact's error naming the command.
    plain = collector("Plain", [Argv(("new-listing",)), Argv(("missing",))])
    facts = asyncio.run(gather_facts(host("new-listing"), WINDOWS, [plain], 10))
    failed = next(iter(facts.values()))
    assert isinstance(failed, Exception) and "missing" in str(failed)


def test_the_mark_is_not_part_of_a_command_s_identity() -> None:
    assert Argv(("new-listing",)) == NEW and Argv(("new-listing",)).key == NEW.key
