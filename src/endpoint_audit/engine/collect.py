"""Collect facts without judging them: the platform, the command transcript and the parsed
facts of each host, as a bundle that `evaluate` (or `scan --replay`) judges later.

The collectors run exactly as in a scan (same rounds, same commands), so evaluating the
bundle gives the findings the scan would have given.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from endpoint_audit.checkkit.fact import Fact
from endpoint_audit.engine.plan import Plan
from endpoint_audit.engine.registry import Registry
from endpoint_audit.engine.run import Target, collectors_for, gather_facts
from endpoint_audit.errors import TransportError
from endpoint_audit.transport.base import DEFAULT_COMMAND_TIMEOUT
from endpoint_audit.transport.transcript import HostTranscript


def fact_types_of_plan(plan: Plan) -> list[type[Fact]]:
    """The facts the plan's checks need, in check order, without repeats."""
    return list(dict.fromkeys(ft for pc in plan.checks for ft in pc.check.requires))


def all_fact_types(registry: Registry) -> list[type[Fact]]:
    """Every fact family some registered collector produces."""
    return list(dict.fromkeys(c.fact_type for c in registry.collectors))


class CollectFailed(Exception):
    """A host could not be collected; the message says why."""


async def collect_host(
    target: Target,
    fact_types: Sequence[type[Fact]],
    registry: Registry,
    timeout: float = DEFAULT_COMMAND_TIMEOUT,
) -> HostTranscript:
    """Run the collectors of `fact_types` that apply to the host's platform.

    A collector that fails is recorded in `facts` as {"error": reason}; the transcript
    keeps its commands. Raises CollectFailed when the host cannot be reached.
    """
    collected_at = datetime.now(UTC)
    try:
        transport = target.open()
        transport.detect_timeout = min(transport.detect_timeout, timeout)
        async with transport:
            platform = await transport.detect_platform()
            collectors = collectors_for(registry, fact_types, platform)
            facts = await gather_facts(transport, platform, collectors, timeout)
            platform = transport.refined_platform(platform)
            transcript = dict(transport.transcript)
    except TransportError as exc:
        raise CollectFailed(f"{target.name}: {exc}") from exc
    facts_out: dict[str, Any] = {}
    for fact_type, got in facts.items():
        facts_out[fact_type.name] = (
            got.model_dump(mode="json") if isinstance(got, Fact) else {"error": str(got)}
        )
    return HostTranscript(
        target=target.name,
        platform=platform,
        commands=transcript,
        facts=facts_out,
        collected_at=collected_at,
    )


async def collect_targets(
    targets: Sequence[Target],
    fact_types: Sequence[type[Fact]],
    registry: Registry,
    timeout: float = DEFAULT_COMMAND_TIMEOUT,
    concurrency: int = 32,
) -> list[HostTranscript | CollectFailed]:
    """Collect every target, at most `concurrency` at once; results in input order."""
    limit = asyncio.Semaphore(max(1, concurrency))

    async def one(target: Target) -> HostTranscript | CollectFailed:
        async with limit:
            try:
                return await collect_host(target, fact_types, registry, timeout)
            except CollectFailed as exc:
                return exc
            except Exception as exc:  # one host's bug never costs the others
                return CollectFailed(f"{target.name}: {type(exc).__name__}: {exc}")

    return list(await asyncio.gather(*(one(t) for t in targets)))
