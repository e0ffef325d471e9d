"""Recorded hosts as scan targets: what `scan --replay` and `evaluate` share, so the two
judge a bundle the same way (same transport, same engine, same clock)."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from pathlib import Path

from endpoint_audit.engine.run import Target
from endpoint_audit.errors import ConfigError
from endpoint_audit.transport.replay import ReplayTransport
from endpoint_audit.transport.transcript import HostTranscript, bundle_files, load_bundle


def load_recorded(path: Path) -> list[HostTranscript]:
    """Every host of a bundle file or of a folder of bundles. ConfigError names the file."""
    if not path.exists():
        raise ConfigError(f"{path}: no such file or folder")
    hosts = [host for file in bundle_files(path) for host in load_bundle(file)]
    if not hosts:
        raise ConfigError(f"{path}: no bundle files (*.json, *.yaml) found")
    return hosts


def judged_at(hosts: list[HostTranscript]) -> datetime | None:
    """The time to judge recorded hosts at: the latest collection time they record.

    Ages (days since the last update) are then those the hosts had when collected, and a
    bundle gets the same verdict whatever day it is judged. With hosts collected at
    different times the latest is used: earlier hosts' ages come out longer, never
    shorter (strict, never a false pass). None when no host records it (judge as of now).
    """
    times = [h.collected_at for h in hosts if h.collected_at is not None]
    return max(times) if times else None


def replay_targets_of(hosts: list[HostTranscript]) -> list[Target]:
    return [Target(host.target, partial(ReplayTransport, host)) for host in hosts]
