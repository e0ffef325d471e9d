"""One host's collectors and the commands they ask for.

The steps are explicit, never a matter of event-loop timing:

1. every collector is asked for its first round of commands, before anything runs;
2. the PowerShell probes of all those first rounds run as ONE batch (one
   `powershell.exe`, one JSON document: PowerShell starts in 200 ms or more), while the
   other commands of the first rounds start beside it;
3. each collector then goes on with its own rounds, concurrently with the others: its
   follow-ups start as soon as its own commands answered, never waiting for another
   collector's slow command. The new PowerShell probes of one such round form their
   own batch.

A host whose transport cannot run follow-ups (a probe script's bundle: its commands were
fixed before any ran) gets none: a collector asking there for a command outside its
`probe_commands` gets an error for its fact, never an answer nobody recorded.

A command asked for by several collectors runs once; at most `limit` run at a time.

A command marked `may_be_unrecorded` that a replayed recording lacks (ReplayMissError) is
left out of its collector's results instead of failing the fact: recordings made before
the release that added it still judge, and the collector decides what its absence
allows. Any other missing command is the fact's error, naming it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from typing import Any

from msgspec import Struct

from endpoint_audit.checkkit.collector import Collector, Results, collector_bug, no_result
from endpoint_audit.checkkit.fact import Fact
from endpoint_audit.errors import CollectorError, FactUnavailable, ReplayMissError
from endpoint_audit.model.capabilities import Capability
from endpoint_audit.model.commands import Command, CommandResult, PowerShell
from endpoint_audit.model.platform import PlatformInfo
from endpoint_audit.transport.base import Transport

COMMANDS_IN_FLIGHT_PER_HOST = 8

FactOutcome = Fact | Exception
Answer = CommandResult | Exception


class HostSession(Struct, frozen=True):
    """What the collectors of one host are asked in the light of: the platform, stamped
    with what the open transport can do (model.capabilities), and the transport. This is
    the only call of `Collector.commands`."""

    platform: PlatformInfo
    transport: Transport

    def commands_of(self, collector: Collector[Any], results: Results) -> list[Command]:
        """The collector's commands given its results so far, each key once. Without
        follow-ups, only those of its fixed list (`probe_commands`) may be asked."""
        asked = list({c.key: c for c in collector.commands(self.platform, results)}.values())
        if not self.platform.can(Capability.FOLLOW_UPS):
            fixed = {c.key for c in collector.probe_commands(self.platform)}
            beyond = [c.key for c in asked if c.key not in fixed]
            if beyond:
                raise CollectorError(
                    f"{collector.id}: asked for {beyond[0]!r}, a follow-up the "
                    f"{self.transport.name} transport cannot run (its commands were fixed "
                    "before any ran)"
                )
        return asked


class HostCommands:
    """Runs the commands of one host: each once, at most `limit` at a time, and the
    PowerShell probes in the batches `batch()` is given."""

    def __init__(self, transport: Transport, timeout: float) -> None:
        self.transport = transport
        self.timeout = timeout
        self.limit = asyncio.Semaphore(
            max(COMMANDS_IN_FLIGHT_PER_HOST, transport.commands_in_flight)
        )
        self.results: dict[str, asyncio.Future[Answer]] = {}
        self.batches: list[list[str]] = []  # the probe keys of each batch, in order
        self._tasks: set[asyncio.Task[None]] = set()  # referenced until done

    def batch(self, probes: Sequence[PowerShell]) -> None:
        """Start one PowerShell process for those of `probes` not asked for yet."""
        new = [p for p in {p.key: p for p in probes}.values() if p.key not in self.results]
        if not new:
            return
        loop = asyncio.get_running_loop()
        for probe in new:
            self.results[probe.key] = loop.create_future()
        self.batches.append([p.key for p in new])
        self._start(self._run_batch(new))

    def fetch(self, command: Command) -> asyncio.Future[Answer]:
        """The answer to `command`: started now unless it was asked for already. A
        PowerShell probe no batch holds runs as a batch of its own."""
        future = self.results.get(command.key)
        if future is not None:
            return future
        if isinstance(command, PowerShell):
            self.batch([command])
            return self.results[command.key]
        future = asyncio.get_running_loop().create_future()
        self.results[command.key] = future
        self._start(self._one(command, future))
        return future

    def _start(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def cancel(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    async def _one(self, command: Command, future: asyncio.Future[Answer]) -> None:
        async with self.limit:
            try:
                result: Answer = await self.transport.run(command, self.timeout)
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

    async def _run_batch(self, probes: list[PowerShell]) -> None:
        futures = [self.results[p.key] for p in probes]
        try:
            batch = await self.transport.run_powershell_batch(probes, self.timeout)
        except ReplayMissError:
            # Tell exactly which probes are missing: ask for each one alone.
            for probe, future in zip(probes, futures, strict=True):
                await self._one(probe, future)
            return
        except asyncio.CancelledError:
            for future in futures:
                future.cancel()
            raise
        except Exception as exc:  # the session broke: the host's problem
            for future in futures:
                if not future.done():
                    future.set_exception(exc)
            return
        for probe, future in zip(probes, futures, strict=True):
            if not future.done():
                got = batch.get(probe.key)
                future.set_result(got if got is not None else CollectorError(no_result(probe.key)))


def _probes(commands: Sequence[Command]) -> list[PowerShell]:
    return [c for c in commands if isinstance(c, PowerShell)]


def _asked(
    collector: Collector[Any], session: HostSession, results: dict[str, CommandResult]
) -> list[Command] | Exception:
    try:
        return session.commands_of(collector, results)
    except CollectorError as exc:
        return exc
    except Exception as exc:  # a collector bug is that fact's error, not the run's
        return CollectorError(collector_bug(collector, exc))


async def _collect_one(
    collector: Collector[Any],
    first: list[Command] | Exception,
    session: HostSession,
    host: HostCommands,
) -> FactOutcome:
    """One collector's rounds, from its first round (asked for already): it asks again
    as soon as its own commands are answered."""
    asked: dict[str, Answer] = {}
    left_out: set[str] = set()  # unrecorded commands a recording may lack (below)
    commands = first
    for round_ in range(Collector.MAX_ROUNDS):
        if round_:
            mine = {k: v for k, v in asked.items() if isinstance(v, CommandResult)}
            commands = _asked(collector, session, mine)
        if isinstance(commands, Exception):
            return commands
        new = [c for c in commands if c.key not in asked and c.key not in left_out]
        if not new:
            break
        host.batch(_probes(new))  # this round's new probes: one process (round 1: no-op)
        answers = await asyncio.gather(*(host.fetch(c) for c in new))
        for command, answer in zip(new, answers, strict=True):
            # A recording older than the release that added the command lacks it: the
            # collector sees it absent and judges without it (Argv.may_be_unrecorded).
            if command.may_be_unrecorded and isinstance(answer, ReplayMissError):
                left_out.add(command.key)
            else:
                asked[command.key] = answer
    missing = [asked[k] for k in sorted(asked) if isinstance(asked[k], Exception)]
    if missing:
        first_missing = missing[0]
        assert isinstance(first_missing, Exception)  # noqa: S101 - filtered just above
        return first_missing
    results = {k: v for k, v in asked.items() if isinstance(v, CommandResult)}
    try:
        fact: Fact = collector.parse(results, session.platform)
    except (FactUnavailable, CollectorError) as exc:
        return exc
    except Exception as exc:  # a parser bug must not take the host down
        return CollectorError(collector_bug(collector, exc))
    return fact.model_copy(update={"sources": tuple(sorted(results))})


async def gather_facts(
    transport: Transport,
    platform: PlatformInfo,
    collectors: Sequence[Collector[Any]],
    timeout: float,
) -> dict[type[Fact], FactOutcome]:
    """Every collector's fact, in the steps of this module's docstring. The collectors
    see `platform` with the capabilities of `transport`, whoever detected it."""
    session = HostSession(transport.stamped(platform), transport)
    host = HostCommands(transport, timeout)
    try:
        first = [_asked(c, session, {}) for c in collectors]
        # The host's PowerShell step: every first-round probe in one process.
        host.batch([p for asked in first if isinstance(asked, list) for p in _probes(asked)])
        outcomes = await asyncio.gather(
            *(_collect_one(c, f, session, host) for c, f in zip(collectors, first, strict=True))
        )
    finally:
        host.cancel()  # nothing outlives the host's session
    return {c.fact_type: o for c, o in zip(collectors, outcomes, strict=True)}
