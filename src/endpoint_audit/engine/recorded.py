"""Recorded hosts as targets: bundles from `collect`, recordings, probe-script files, and
folders of them. `scan --replay` and `evaluate` share this, so the two judge a bundle the
same way (same transport, same engine, same clock)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path, PurePath

import msgspec.structs
from msgspec import Struct, field

from endpoint_audit.engine.collect_manifest import BundleEntry, CollectManifest, sha256_of
from endpoint_audit.engine.run import Target
from endpoint_audit.errors import ConfigError
from endpoint_audit.model.shard import ShardInfo
from endpoint_audit.safe_read import BUNDLE, InputRefused, read_input
from endpoint_audit.transport.base import Transport
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


# What an exported probe script names its file: endpoint-audit-<PC>-<UTC time>.json.
_PROBE_FILE = re.compile(r"^endpoint-audit-(?P<host>.+)-\d{8}T\d{6}Z$")
# A host name redaction wrote (transport.redact: host-<machine pseudonym> or a bundle
# folder's host-<digest>, else host-N).
_REDACTED_HOST = re.compile(r"host-(?:[0-9a-f]{12}|[1-9][0-9]*)")


def audited_name(source: str | None, fallback: str) -> str:
    """The name the auditor has for a recorded host: its bundle file's name, without the
    suffix (and without the `endpoint-audit-` prefix and UTC time a probe script adds).

    Waivers match this name and a folder groups a PC's runs by it, never by the name
    written inside the file, which the PC itself wrote and could set to any other's."""
    if not source:
        return fallback
    stem = PurePath(source).stem
    match = _PROBE_FILE.match(stem)
    return match.group("host") if match else stem


def file_names_other_host(source: str | None, inside: str, share: bool) -> str | None:
    """The PC name a one-host file's name gives when it is not `inside`, the host name
    written in the file; None when the two agree or the name names no PC.

    A probe script's file (`endpoint-audit-PC-0042-<time>.json`) names its PC wherever
    it lies; in a share (`evaluate FOLDER`) every one-host file stands for the PC its
    name names, as `collect --bundle-dir` writes `<host>.json` (the host made safe for a
    file name) and `collect --record` `<host>.yaml`. Both writers put the same name
    inside, so a file that disagrees was copied over, renamed or forged: its results
    stand for neither PC. A file named by hand (`evaluate facts.json`) names none, and
    a redacted host (`host-<pseudonym>`) is checked only against a file named by a
    pseudonym too (`collect --bundle-dir --redact`)."""
    if not source:
        return None
    path = PurePath(source)
    match = _PROBE_FILE.match(path.stem)
    if match is None and not share:
        return None
    named = match.group("host") if match else path.stem
    if _REDACTED_HOST.fullmatch(inside) and not _REDACTED_HOST.fullmatch(named):
        # A pseudonym inside a file named otherwise (by hand, or by an older `collect
        # --bundle-dir --redact`, which kept the auditor's name outside): nothing to check
        # the file's name against. `collect --bundle-dir --redact` now names the file by
        # the pseudonym, so a pseudonym file holding another pseudonym was renamed.
        return None
    recording = match is None and path.suffix.lower() in {".yaml", ".yml"}
    if _same_host(named, inside, recording):
        return None
    return named


def _same_host(named: str, inside: str, recording: bool) -> bool:
    from endpoint_audit.inventory import safe_file_name

    named = named.casefold()
    # Host names are compared without regard to case, as Windows and DNS do.
    if named in {inside.casefold(), safe_file_name(inside).casefold()}:
        return True
    if not recording:
        return False
    # `collect --record`: the name made safe, `-2`, `-3`... when two hosts share it.
    recorded = re.sub(r"[^A-Za-z0-9._-]+", "_", inside).strip("._").casefold() or "host"
    return re.fullmatch(re.escape(recorded) + r"(-\d+)?", named) is not None


def groups_of(host: HostTranscript) -> tuple[str, ...]:
    return (host.group,) if host.group else ()


def replay_target(
    host: HostTranscript,
    open_: Callable[[], Transport] | None = None,
    one_host_file: bool = True,
    share: bool = False,
) -> Target:
    """`one_host_file`: the host is its file's only one (only then can the file's name
    name it); `share`: the file lies in a folder PCs drop their files into."""
    named = file_names_other_host(host.source, host.target, share) if one_host_file else None
    return Target(
        host.target,
        open_ or partial(ReplayTransport, host),
        audited_as=audited_name(host.source, host.target),
        source=host.source,
        groups=groups_of(host),
        recorded=True,
        collected_at=host.collected_at,
        file_names=named,
    )


def with_name_conflicts(targets: list[Target]) -> list[Target]:
    """Each target that shares its host name with targets from other files, told which
    files those are: all of them are judged, none replaces another."""
    by_name: dict[str, list[Target]] = {}
    for target in targets:
        by_name.setdefault(target.name.casefold(), []).append(target)
    out: list[Target] = []
    for target in targets:
        others = [
            t.source
            for t in by_name[target.name.casefold()]
            if t.source is not None and t.source != target.source
        ]
        conflicts = tuple(others)
        out.append(msgspec.structs.replace(target, name_conflicts=conflicts) if others else target)
    return out


def replay_targets_of(hosts: list[HostTranscript]) -> list[Target]:
    per_file: dict[str | None, int] = {}
    for host in hosts:
        per_file[host.source] = per_file.get(host.source, 0) + 1
    return with_name_conflicts(
        [replay_target(host, one_host_file=per_file[host.source] == 1) for host in hosts]
    )


class UnreadableBundle(Struct, frozen=True):
    """A file of a bundle folder that could not be judged, and why (one line)."""

    path: Path
    reason: str


class RecordedFolder(Struct):
    """The hosts of a folder of bundles. One-host files are loaded again when each is
    judged, so that hundreds of files never sit in memory together."""

    targets: list[Target] = field(default_factory=list)
    unreadable: list[UnreadableBundle] = field(default_factory=list)
    # Older files of hosts that also have a newer file in the folder (left out).
    superseded: list[Path] = field(default_factory=list)
    # Of those, files dated more than a day ahead of now, left out for a file that is not.
    ahead: list[Path] = field(default_factory=list)
    collected_at: list[datetime] = field(default_factory=list)

    def judged_at(self) -> datetime | None:
        """As `judged_at` for loaded hosts: the latest collection time recorded."""
        return max(self.collected_at) if self.collected_at else None


def _replay_from_file(file: Path, index: int) -> ReplayTransport:
    return ReplayTransport(load_bundle(file)[index])


def scan_folder(folder: Path, now: datetime | None = None) -> RecordedFolder:
    """Every bundle file of `folder`: a file that is corrupt, truncated, empty or of an
    unknown bundle or probe-script version is set aside with its reason; the rest are
    targets. ConfigError only when the folder holds no bundle file at all.

    A PC whose scheduled probe ran several times left several files: it is judged by its
    newest (by recorded collection time, then file name, which carries the UTC time).
    Files are runs of one PC when their file names name the same PC and they say the same
    host name inside. A file that claims a host name another file's PC has is never taken
    for a newer run of it: both are judged, and each names the other as a conflict. A
    file dated more than a day ahead of `now` (a wrong clock, or a file anyone who can
    write to the share dated 2099) is never newer than one that is not: it cannot hide
    the PC's real newest run."""
    from endpoint_audit.engine.freshness import FUTURE_GRACE

    latest_plausible = (now or datetime.now(UTC)) + FUTURE_GRACE
    files = bundle_files(folder)
    if not files:
        raise ConfigError(f"{folder}: no bundle files (*.json, *.yaml) found")
    out = RecordedFolder()
    newest: dict[
        tuple[str, str], tuple[tuple[bool, datetime, str], Target, datetime | None, Path]
    ] = {}
    for file in files:
        try:
            hosts = load_bundle(file)
        except ConfigError as exc:
            out.unreadable.append(UnreadableBundle(file, str(exc)))
            continue
        for index, host in enumerate(hosts):
            # A one-host file is read again when judged, so that a share of thousands of
            # files never sits in memory at once; a file of many hosts is parsed once and
            # serves them all (reading it per host made a big bundle quadratic).
            opener = partial(_replay_from_file, file, index) if len(hosts) == 1 else None
            target = replay_target(host, opener, one_host_file=len(hosts) == 1, share=True)
            when = host.collected_at or datetime.min.replace(tzinfo=UTC)
            order = (when <= latest_plausible, when, file.name)
            key = (target.waiver_name.casefold(), host.target.casefold())
            kept = newest.get(key)
            if kept is not None and kept[0] >= order:
                out.superseded.append(file)
                if not order[0] and kept[0][0]:
                    out.ahead.append(file)
                continue
            if kept is not None:
                out.superseded.append(kept[3])
                if order[0] and not kept[0][0]:
                    out.ahead.append(kept[3])
            newest[key] = (order, target, host.collected_at, file)
    out.targets = with_name_conflicts([target for _, target, _, _ in newest.values()])
    out.collected_at = [c for _, _, c, _ in newest.values() if c is not None]
    return out


class SlicedFolder(Struct):
    """The bundle folder of one slice (`collect --shard`): the hosts its manifest lists,
    each judged from the file recorded for it, and the slice's hosts that cannot be
    (never collected, file changed or gone) with why. Files the manifest does not list
    (`extra`) are not of this collection: never judged, each reported unreachable."""

    shard: ShardInfo
    targets: list[Target] = field(default_factory=list)
    not_judged: list[tuple[str, str]] = field(default_factory=list)  # host, why
    extra: list[Path] = field(default_factory=list)
    collected_at: list[datetime] = field(default_factory=list)

    def judged_at(self) -> datetime | None:
        return max(self.collected_at) if self.collected_at else None


def _sliced_host(folder: Path, name: str, entry: BundleEntry) -> HostTranscript:
    """The bundle of `name`, exactly as the manifest recorded it (read, checked by its
    sha256 and parsed from the same bytes). ConfigError says why it cannot be judged."""
    if PurePath(entry.path).name != entry.path or not entry.path.endswith(".json"):
        raise ConfigError(f"not collected: the manifest names {entry.path!r}, no bundle file")
    path = folder / entry.path
    try:
        data = read_input(path, BUNDLE)
    except InputRefused as exc:
        raise ConfigError(f"not collected: {exc}") from None
    if sha256_of(data) != entry.sha256:
        raise ConfigError(
            f"{entry.path} changed since it was collected (sha256 differs from the manifest)"
        )
    hosts = load_bundle(path, data)
    if len(hosts) != 1 or hosts[0].target != name:
        raise ConfigError(f"{entry.path} holds another host")
    return hosts[0]


def _replay_sliced(folder: Path, name: str, entry: BundleEntry) -> ReplayTransport:
    # Read and checked again when judged: a file swapped since is an error, never judged.
    return ReplayTransport(_sliced_host(folder, name, entry))


def sliced_folder(folder: Path, manifest: CollectManifest) -> SlicedFolder:
    shard = manifest.shard
    out = SlicedFolder(shard)
    # A file the manifest lists for a name outside the slice is not of it either.
    slice_names = set(shard.hosts)
    listed = {e.path for name, e in manifest.hosts.items() if name in slice_names}
    out.extra = [f for f in bundle_files(folder) if f.name not in listed]
    for name in shard.hosts:
        entry = manifest.hosts.get(name)
        if entry is None:
            why = "collection interrupted" if manifest.state != "complete" else "no bundle written"
            out.not_judged.append((name, f"not collected ({why})"))
            continue
        try:
            got = _sliced_host(folder, name, entry)
        except ConfigError as exc:
            out.not_judged.append((name, str(exc)))
            continue
        target = replay_target(got, partial(_replay_sliced, folder, name, entry))
        # Named as the inventory named it, as `scan --shard` names it (waivers match it).
        out.targets.append(msgspec.structs.replace(target, audited_as=name))
        if got.collected_at is not None:
            out.collected_at.append(got.collected_at)
    return out
