"""Recorded hosts as scan targets: what `scan --replay` and `evaluate` share, so the two
judge a bundle the same way (same transport, same engine, same clock)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
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


@dataclass(frozen=True)
class UnreadableBundle:
    """A file of a bundle folder that could not be judged, and why (one line)."""

    path: Path
    reason: str


@dataclass
class RecordedFolder:
    """The hosts of a folder of bundles, loaded one at a time when each is judged, so
    that hundreds of files never sit in memory together."""

    targets: list[Target] = field(default_factory=list)
    unreadable: list[UnreadableBundle] = field(default_factory=list)
    # Older files of hosts that also have a newer file in the folder (left out).
    superseded: list[Path] = field(default_factory=list)
    collected_at: list[datetime] = field(default_factory=list)

    def judged_at(self) -> datetime | None:
        """As `judged_at` for loaded hosts: the latest collection time recorded."""
        return max(self.collected_at) if self.collected_at else None


def _replay_from_file(file: Path, index: int) -> ReplayTransport:
    return ReplayTransport(load_bundle(file)[index])


def scan_folder(folder: Path) -> RecordedFolder:
    """Every bundle file of `folder`: a file that is corrupt, truncated, empty or of an
    unknown bundle or probe-script version is set aside with its reason; the rest are
    targets. ConfigError only when the folder holds no bundle file at all."""
    files = bundle_files(folder)
    if not files:
        raise ConfigError(f"{folder}: no bundle files (*.json, *.yaml) found")
    out = RecordedFolder()
    # A PC whose scheduled probe ran several times left several files: judge its newest
    # (by recorded collection time, then file name, which carries the UTC time).
    newest: dict[str, tuple[tuple[datetime, str], Target, datetime | None, Path]] = {}
    for file in files:
        try:
            hosts = load_bundle(file)
        except ConfigError as exc:
            out.unreadable.append(UnreadableBundle(file, str(exc)))
            continue
        for index, host in enumerate(hosts):
            target = Target(host.target, partial(_replay_from_file, file, index))
            order = (host.collected_at or datetime.min.replace(tzinfo=UTC), file.name)
            key = host.target.casefold()
            kept = newest.get(key)
            if kept is not None and kept[0] >= order:
                out.superseded.append(file)
                continue
            if kept is not None:
                out.superseded.append(kept[3])
            newest[key] = (order, target, host.collected_at, file)
    for _, target, collected_at, _ in newest.values():
        out.targets.append(target)
        if collected_at is not None:
            out.collected_at.append(collected_at)
    return out
