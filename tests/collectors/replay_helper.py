"""Run one collector against a recorded replay case through the engine's own rounds."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, TypeVar

from endpoint_audit.checkkit.check import Check, EvalContext, FactView, Outcome
from endpoint_audit.checkkit.collector import Collector
from endpoint_audit.checkkit.fact import Fact
from endpoint_audit.engine.run import gather_facts, message_args
from endpoint_audit.model import i18n
from endpoint_audit.transport.replay import ReplayTransport
from endpoint_audit.transport.transcript import load_bundle
from tests.replay_cases import case_path

F = TypeVar("F", bound=Fact)


def replay(collector: Collector[F], fixture: str) -> tuple[F, ReplayTransport]:
    """The fact parsed from the replay case `fixture` (`<check_id>/<case>`). Fails on any
    command the collector asked for that the case does not hold."""
    (host,) = load_bundle(case_path(fixture))
    transport = ReplayTransport(host)

    async def run() -> Any:
        async with transport:
            platform = await transport.detect_platform()
            return await gather_facts(transport, platform, [collector], 10.0)

    facts = asyncio.run(run())
    fact = facts[collector.fact_type]
    assert transport.misses == [], f"commands missing from {fixture}: {transport.misses}"
    assert isinstance(fact, collector.fact_type), f"{fixture}: {fact!r}"
    unused = set(host.commands) - set(transport.transcript)
    assert not unused, f"{fixture} records commands nobody asked for: {sorted(unused)}"
    return fact, transport


def judge(check: Check, fact: Fact, transport: ReplayTransport, **params: Any) -> list[Outcome]:
    platform = transport.recorded.platform
    assert platform is not None
    ctx = EvalContext(platform=platform, now=datetime(2026, 11, 20, tzinfo=UTC))
    return list(check.evaluate(FactView({type(fact): fact}), check.Params(**params), ctx))


def message(check_id: str, outcome: Outcome, lang: str = "en") -> str:
    return i18n.t(lang, f"{check_id}.msg.{outcome.key}", **message_args(outcome.args, lang))
