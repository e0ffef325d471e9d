"""Helpers for the Windows tests: the recorded Windows hosts (tests/hosts/, composed from
the checks' replay cases) and a fixed clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import endpoint_audit.engine.run as engine_run
from endpoint_audit.model.commands import CommandResult
from endpoint_audit.transport.transcript import HostTranscript
from tests.replay_cases import host_names, host_path, host_transcript

# The hosts were recorded on 2024-11-20 (a week after the November 2024 updates).
RECORDED_AT = datetime(2024, 11, 20, 3, 0, tzinfo=UTC)
CASES = host_names("windows")


def case_path(name: str) -> Path:
    """A bundle file of the recorded Windows host `name`."""
    return host_path(name)


def load_case(name: str) -> HostTranscript:
    return host_transcript(name)


def results_of(name: str) -> dict[str, CommandResult]:
    return load_case(name).commands


def value_of(name: str, probe: str) -> Any:
    return json.loads(results_of(name)[f"ps:{probe}"].stdout)


class _FixedClock(datetime):
    @classmethod
    def now(cls, tz: Any = None) -> _FixedClock:  # type: ignore[override]
        return cls.fromtimestamp(RECORDED_AT.timestamp(), tz or UTC)


@pytest.fixture
def recorded_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[datetime]:
    """Judge the recorded hosts as of the day they were recorded."""
    monkeypatch.setattr(engine_run, "datetime", _FixedClock)
    yield RECORDED_AT
