"""What a run writes per host, the moment the host finishes, and the bundles of `collect`.

- `scan --output-dir`: the host's JSON report in the run folder (engine.run_folder);
- one bundle of every host (`-o FILE`, written by the CLI at the end: it may be stdout);
- one bundle per host (`--bundle-dir DIR`), written the moment the host finishes, so a
  large fleet's transcripts never sit in memory together and an interrupted run keeps
  every host it finished;
- one redacted recording per host (`--record DIR`), also as each host finishes.

A host that could not be reached is kept in the bundles with the reason (judged again,
it is unreachable, as a scan would have said). Redacted outputs leave it out: its
reason names the address and the login, and it holds nothing to replay.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import json
import re
import secrets
import socket
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from msgspec import Struct, field

from endpoint_audit import __version__
from endpoint_audit.atomic_file import ReadOnlyOutput, write_atomically
from endpoint_audit.engine.plan import Plan
from endpoint_audit.engine.run import HostRun
from endpoint_audit.errors import ConfigError
from endpoint_audit.model import i18n
from endpoint_audit.model.capabilities import Capability
from endpoint_audit.model.result import Severity
from endpoint_audit.model.shard import ShardInfo

# What only bundles, recordings and run folders need is imported where they are made: a
# scan of this PC that writes none of them starts without it.
if TYPE_CHECKING:  # signing (and the cryptography it loads) only when a run signs
    from endpoint_audit.engine.collect_manifest import CollectManifestWriter
    from endpoint_audit.engine.run_folder import FleetStore
    from endpoint_audit.signing.minisign import SecretKey
    from endpoint_audit.transport.redact import RedactionSummary
    from endpoint_audit.transport.transcript import HostTranscript


def bundle_text(hosts: list[HostTranscript], as_yaml: bool) -> str:
    # The transcript module brings PyYAML, which a scan that writes no bundle never loads.
    from endpoint_audit.transport.transcript import bundle_to_data, bundle_yaml

    data = bundle_to_data(hosts, __version__)
    if as_yaml:
        return bundle_yaml(data)
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def is_yaml(path: str | Path) -> bool:
    return str(path).lower().endswith((".yaml", ".yml"))


def host_transcript(run: HostRun) -> HostTranscript:
    """A collected host as a bundle holds it."""
    from endpoint_audit.transport.transcript import HostTranscript

    report = run.report
    return HostTranscript(
        target=report.target,
        platform=report.platform if report.status == "ok" else None,
        commands=dict(run.transcript) if report.status == "ok" else {},
        facts=dict(run.facts),
        collected_at=report.started_at,
        unreachable=(report.reason or "unreachable") if report.status != "ok" else None,
    )


def _local_identity() -> tuple[list[str], list[str]]:
    """This machine's own user and host names, which the transcript may show anywhere."""
    users: list[str] = []
    try:
        users.append(getpass.getuser())
    except (KeyError, OSError):
        pass
    return users, [socket.gethostname()]


class Reached(Struct, frozen=True):
    """Where a session to a host went (HostRun.address, HostRun.login): not in the
    transcript, but the host's output may show them, so redaction hides them too."""

    address: str | None = None
    login: str | None = None


def reached(run: HostRun) -> Reached:
    return Reached(run.address, run.login)


def redacted(
    host: HostTranscript, own_label: str | None = None, via: Reached | None = None
) -> tuple[HostTranscript, RedactionSummary]:
    from endpoint_audit.transport.redact import redact_host

    # A host read natively is this very machine: its own names may show anywhere.
    users, hosts = (
        _local_identity() if host.platform and host.platform.can(Capability.NATIVE) else ([], [])
    )
    if via is not None and via.login:
        users.append(via.login)
    address = via.address if via is not None else None
    return redact_host(host, users, hosts, own_label, address)


# Labels of hosts without a usable machine pseudonym: keyed by a secret of this run, so
# two outputs of one run agree and nobody holding the files can test a guessed name.
_RUN_KEY = secrets.token_bytes(32)


class RedactedLabels:
    """Unique labels of the redacted hosts of one output (a bundle folder, an `-o`
    bundle): `host-<machine pseudonym>`, the same for a PC on every run, so its new
    bundle replaces its last one; a host with no machine id, or a second target of a
    machine already labelled (two inventory names of one PC), gets `host-<digest>` from
    this run's secret, never another host's file name. Thread-safe (sinks save in worker
    threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._used: dict[str, str] = {}  # file name (casefolded) -> real target

    def redact(self, host: HostTranscript, via: Reached | None = None) -> HostTranscript:
        from endpoint_audit.inventory import safe_file_name

        digest = hmac.new(_RUN_KEY, host.target.encode(), hashlib.sha256).hexdigest()
        if host.platform is None or host.platform.machine_id is None:
            # Without an id every such host would be host-1: one would replace another's file.
            clean = redacted(host, f"host-{digest[:12]}", via)[0]
        else:
            clean = redacted(host, via=via)[0]
        with self._lock:
            key = safe_file_name(clean.target).casefold()
            if self._used.setdefault(key, host.target) == host.target:
                return clean
            clean = redacted(host, f"host-{digest[:12]}", via)[0]
            self._used[safe_file_name(clean.target).casefold()] = host.target
            return clean


def record_file_name(target: str) -> str:
    """A file name from a (redacted) target name: no separators, no leading dot."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", target).strip("._") or "host"
    return f"{safe}.yaml"


def write_problem(path: Path, text: str) -> str | None:
    """Write `text` atomically; None, or the problem as one line naming the path."""
    try:
        if path.is_dir():
            return f"{path}: cannot write: is a folder"
        write_atomically(path, text.encode("utf-8", errors="replace"))
    except ReadOnlyOutput:
        return f"{path}: read-only file; not replaced (make it writable or remove it first)"
    except OSError as exc:
        return f"{path}: cannot write: {exc.strerror or exc}"
    return None


class Saved(Struct):
    """What saving one host gave: lines for people, and the files that failed."""

    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class HostSink(Protocol):
    """Somewhere each host is saved as it finishes. `save` runs in a worker thread (an
    fsync must not stall every other host's session) and never raises."""

    def save(self, run: HostRun, plan: Plan, lang: str) -> Saved: ...

    def summary(self, lang: str) -> str | None: ...

    def close(self, interrupted: bool) -> list[str]:
        """The run stopped: the problems of what is written last (one line each)."""
        ...


def _why(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"{type(exc).__name__}: {exc}"


class RunFolderSink:
    """`scan --output-dir`: each host's report in DIR/hosts/, recorded in the manifest."""

    def __init__(self, store: FleetStore, fail_on: Severity) -> None:
        self.store = store
        self.fail_on = fail_on

    def save(self, run: HostRun, plan: Plan, lang: str) -> Saved:
        report = run.report
        try:
            self.store.save_host(plan, report, lang, self.fail_on)
        except Exception as exc:  # disk full, a folder in the way, unencodable text
            key, source = self.store.host_key(report)
            self.store.forget_host(key)
            path = self.store.host_path(report.target, source)
            return Saved(problems=[f"{path}: cannot write: {_why(exc)}"])
        return Saved()

    def summary(self, lang: str) -> str | None:
        return None

    def close(self, interrupted: bool) -> list[str]:
        return []  # the run folder is closed by the pipeline (fleet report first)


class BundleFolder:
    """`collect --bundle-dir DIR`: DIR/<host>.json per host, named as the auditor named
    the host (so `evaluate DIR` matches waivers by that name); with `--redact`, by the
    host's redacted label (RedactedLabels), the name written inside, so neither the
    listing nor a signature's comment shows the name the bundle hides. A slice
    (`--shard`, never redacted: its manifest names the hosts) also keeps
    DIR/_manifest.json (engine.collect_manifest). With `--sign` each bundle is signed as
    it is written and the manifest when the collection stops, so a slice's folder can be
    verified offline as a whole (`report verify DIR`). Raises ConfigError when the
    manifest cannot be started."""

    def __init__(
        self,
        folder: Path,
        redact: bool,
        shard: ShardInfo | None = None,
        signer: SecretKey | None = None,
        round_id: str | None = None,
    ) -> None:
        self.folder = folder
        self.redact = redact
        self.labels = RedactedLabels()
        self.written = 0
        self.signer = signer
        self.round_id = round_id or (shard.round if shard is not None else None)
        self.manifest: CollectManifestWriter | None = None
        if shard is not None:
            from endpoint_audit.engine.collect_manifest import CollectManifestWriter

            self.manifest = CollectManifestWriter(folder, shard)
            problem = _start_manifest(self.manifest)
            if problem is not None:
                raise ConfigError(problem)

    def path_for(self, name: str) -> Path:
        from endpoint_audit.inventory import safe_file_name

        return self.folder / f"{safe_file_name(name)}.json"

    def save(self, run: HostRun, plan: Plan, lang: str) -> Saved:
        host = host_transcript(run)
        if self.redact:
            if host.unreachable is not None:
                return Saved()
            # Named by the redacted label: the folder's listing hides what the files do.
            host = self.labels.redact(host, reached(run))
        path = self.path_for(host.target)
        text = bundle_text([host], False)
        problem = write_problem(path, text)
        if problem is not None:
            return Saved(problems=[problem])
        self.written += 1
        problem = self._sign(path, {"kind": "bundle", "host": host.target})
        if problem is not None:
            return Saved(problems=[problem])
        if self.manifest is not None:
            # The bytes write_problem wrote: the manifest vouches for this very file.
            data = text.encode("utf-8", errors="replace")
            try:
                self.manifest.record(host.target, path, data, run.report.status)
            except OSError as exc:
                return Saved(problems=[f"{self.manifest.path}: cannot write: {_why(exc)}"])
        return Saved()

    def summary(self, lang: str) -> str | None:
        if not self.written:
            return None
        return i18n.t(lang, "collect.msg.wrote", count=self.written, path=self.folder)

    def close(self, interrupted: bool) -> list[str]:
        if self.manifest is None:
            return []
        try:
            self.manifest.finish(interrupted)
        except OSError as exc:
            return [f"{self.manifest.path}: cannot write: {_why(exc)}"]
        shard = self.manifest.manifest.shard
        fields = {
            "kind": "collect-manifest",
            "slice": f"{shard.index}/{shard.count}",
            "hosts": str(len(self.manifest.manifest.hosts)),
            "state": self.manifest.manifest.state,
        }
        problem = self._sign(self.manifest.path, fields)
        return [] if problem is None else [problem]

    def _sign(self, path: Path, fields: Mapping[str, str | None]) -> str | None:
        """FILE.minisig beside a file just written (--sign); the problem line, if any."""
        if self.signer is None:
            return None
        from endpoint_audit.engine.signing import sign_file

        try:
            sign_file(self.signer, path, {**fields, "round": self.round_id})
        except OSError as exc:
            return f"{path}.minisig: cannot write: {_why(exc)}"
        return None


def _start_manifest(manifest: CollectManifestWriter) -> str | None:
    try:
        manifest.path.parent.mkdir(parents=True, exist_ok=True)
        manifest.write()
    except OSError as exc:
        return f"{manifest.path}: cannot write: {_why(exc)}"
    return None


class RecordFolder:
    """`collect --record DIR`: one redacted YAML recording per host."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.used: set[str] = set()

    def save(self, run: HostRun, plan: Plan, lang: str) -> Saved:
        host = host_transcript(run)
        if host.unreachable is not None:
            return Saved()
        return self.save_transcript(host, lang, reached(run))

    def summary(self, lang: str) -> str | None:
        return None

    def close(self, interrupted: bool) -> list[str]:
        return []

    def save_transcript(self, host: HostTranscript, lang: str, via: Reached | None = None) -> Saved:
        clean, summary = redacted(host, via=via)
        name = record_file_name(clean.target)
        # With a machine id the redacted name is the PC's own (host-<pseudonym>), so a new
        # recording of the same PC replaces its last one. Without one, every PC would be
        # host-1: a file already there is then kept and the new one gets another name.
        keep_existing = clean.platform is None or clean.platform.machine_id is None
        stem, number = name[: -len(".yaml")], 2
        while name in self.used or (keep_existing and (self.folder / name).exists()):
            name, number = f"{stem}-{number}.yaml", number + 1
        self.used.add(name)
        path = self.folder / name
        problem = write_problem(path, bundle_text([clean], as_yaml=True))
        if problem is not None:
            return Saved(problems=[problem])
        note = i18n.t(
            lang,
            "collect.msg.recorded",
            path=path,
            hosts=summary.hosts,
            users=summary.users,
            serials=summary.serials,
            macs=summary.macs,
            keys=summary.recovery_keys,
            secrets=summary.secrets,
        )
        return Saved(notes=[note])
