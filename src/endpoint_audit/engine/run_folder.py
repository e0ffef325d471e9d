"""`--output-dir DIR`: a fleet run's own folder, and the manifest that makes it resumable.

    DIR/manifest.json       the run: its id, parameters, and every file it wrote (sha256)
    DIR/hosts/<name>.json   one JSON report per host, saved the moment the host finishes
                            (<name>--<digest>.json per file, for a name several files claim)
    DIR/fleet.json          the fleet report (an interrupted run: see `fleet_path`)

`--resume` reuses a host's saved report only when this folder's manifest recorded it for
this run: the file's sha256 is the one recorded, the report inside names the run id and
the host, and it was judged with the same plan (baseline digest, selected checks,
waivers). Anything else (a file the manifest does not list, one that changed, one from
another run or baseline) is audited again, and the reason is reported. The manifest is
rewritten atomically: after each host at most once a second (a host saved but not yet
listed is audited again, which is safe) and whenever the run stops.

The manifest lists outputs with their digests so that it can later carry a signature
and a hash chain over rounds without changing what is recorded per file.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from msgspec import Struct
from pydantic import BaseModel, Field, ValidationError

from endpoint_audit import __version__
from endpoint_audit.atomic_file import output_problem, write_atomically
from endpoint_audit.engine.plan import Plan
from endpoint_audit.engine.run import build_report
from endpoint_audit.errors import ConfigError
from endpoint_audit.inventory import safe_file_name
from endpoint_audit.model.result import HostReport, RunReport, Severity, ToolInfo
from endpoint_audit.model.shard import ShardInfo
from endpoint_audit.model.valid_text import model_json
from endpoint_audit.safe_read import InputKind, InputRefused, read_input

HOSTS_DIR = "hosts"
FLEET_REPORT = "fleet.json"
FLEET_PARTIAL = "fleet.partial.json"
MANIFEST = "manifest.json"
MANIFEST_FORMAT = "endpoint-audit-run-manifest"
MANIFEST_VERSION = 1
MANIFEST_EVERY_SECONDS = 1.0
# A saved host report is a few KB; anything far larger is not one of ours.
MAX_HOST_FILE_BYTES = 64 * 1024 * 1024
MAX_MANIFEST_BYTES = 256 * 1024 * 1024


def plan_digest(plan: Plan) -> str:
    """What a saved result was judged with: the effective baseline, the checks selected
    (with their severities), and the waivers added by `--waivers`."""
    body = {
        "baseline": plan.baseline.sha256,
        "checks": [[pc.id, pc.severity.value] for pc in plan.checks],
        "waivers": [w.model_dump(mode="json") for w in plan.extra_waivers],
    }
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class FileEntry(BaseModel):
    """A file the run wrote, relative to the run folder (POSIX separators)."""

    path: str
    sha256: str
    size: int
    written_at: datetime


class HostEntry(FileEntry):
    target: str
    status: Literal["ok", "unreachable"]
    plan: str  # plan_digest of the plan the host was judged with


class RunParameters(BaseModel):
    baseline: str  # `-b` as given
    plans: dict[str, str] = Field(default_factory=dict)  # baseline ref -> plan_digest
    fail_on: str = "info"
    lang: str = "en"


class RunManifest(BaseModel):
    format: Literal["endpoint-audit-run-manifest"] = "endpoint-audit-run-manifest"
    version: int = MANIFEST_VERSION
    run_id: str
    tool: ToolInfo
    created_at: datetime
    updated_at: datetime
    state: Literal["running", "interrupted", "complete"] = "running"
    parameters: RunParameters
    hosts: dict[str, HostEntry] = Field(default_factory=dict)  # by target name
    outputs: dict[str, FileEntry] = Field(default_factory=dict)  # fleet.json, ...
    # The audit round (`--round`), and the sha256 of the previous round's manifest.json
    # (`--previous-round`): each round's signed manifest commits to the one before, so a
    # round removed or replaced later breaks the chain (`report verify DIR...`).
    round: str | None = None
    previous_manifest_sha256: str | None = None
    # `--shard I/N`: which slice of the round this run is, of which inventory (model.shard).
    shard: ShardInfo | None = None


class ResumeDecision(Struct, frozen=True):
    """What --resume made of one host: its saved report, or why it runs again."""

    target: str
    report: HostReport | None
    reason: str | None = None  # None: reused, or nothing was saved for it


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_capped(path: Path, cap: int) -> bytes:
    """Through safe_read: a pipe or device left in the folder must not hang --resume."""
    try:
        return read_input(path, InputKind(path.name, cap))
    except InputRefused as exc:
        raise ValueError(exc.reason) from None


class FleetStore:
    """The run folder: host reports, the fleet report, and the run manifest."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.hosts_dir = root / HOSTS_DIR
        for path in (root / MANIFEST, root / FLEET_REPORT):
            problem = output_problem(path)
            if problem is not None:
                raise ConfigError(f"--output-dir {root}: {path.name}: {problem}")
        try:
            self.hosts_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"{root}: cannot create the output folder: {exc.strerror}") from exc
        if not self.hosts_dir.is_dir():
            raise ConfigError(f"--output-dir {root}: {HOSTS_DIR} is a file, not a folder")
        self._lock = threading.Lock()
        self._last_write = 0.0
        self._dirty = False
        self.manifest: RunManifest | None = None
        self.previous: RunManifest | None = None  # the manifest found, for --resume
        self.previous_problem: str | None = None  # why none could be used

    # --- the manifest ------------------------------------------------------------------

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST

    def load_previous(self) -> RunManifest | None:
        """The manifest already in the folder, or None (with `previous_problem` set)."""
        path = self.manifest_path
        if not path.exists():
            self.previous_problem = "no run manifest (manifest.json) in the folder"
            return None
        try:
            self.previous = RunManifest.model_validate_json(_read_capped(path, MAX_MANIFEST_BYTES))
        except (OSError, ValueError, ValidationError) as exc:
            first = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else exc
            self.previous_problem = f"{MANIFEST} cannot be used: {first}"
            return None
        return self.previous

    def begin(
        self,
        parameters: RunParameters,
        resume_from: RunManifest | None,
        round_id: str | None = None,
        previous_manifest_sha256: str | None = None,
        shard: ShardInfo | None = None,
    ) -> RunManifest:
        """Start a run (a new id) or continue `resume_from` (its id and its records)."""
        now = datetime.now(UTC)
        chain: dict[str, str] = {}
        if round_id is not None:
            chain["round"] = round_id
        if previous_manifest_sha256 is not None:
            chain["previous_manifest_sha256"] = previous_manifest_sha256
        if resume_from is not None:
            manifest = resume_from.model_copy(
                update={
                    "shard": shard,
                    "parameters": parameters,
                    "state": "running",
                    "updated_at": now,
                    "tool": ToolInfo(version=__version__),
                    **chain,
                },
                deep=True,
            )
        else:
            manifest = RunManifest(
                run_id=str(uuid.uuid4()),
                tool=ToolInfo(version=__version__),
                created_at=now,
                updated_at=now,
                parameters=parameters,
                round=round_id,
                previous_manifest_sha256=previous_manifest_sha256,
                shard=shard,
            )
        self.manifest = manifest
        self.write_manifest()
        return manifest

    def write_manifest(self) -> None:
        """Write the manifest now (atomically). Raises OSError."""
        with self._lock:
            manifest = self.manifest
            if manifest is None:
                return
            manifest.updated_at = datetime.now(UTC)
            text = manifest.model_dump_json(indent=2) + "\n"
            self._dirty = False
            self._last_write = time.monotonic()
        write_atomically(self.manifest_path, text.encode("utf-8"))

    def _maybe_write_manifest(self) -> None:
        if self._dirty and time.monotonic() - self._last_write >= MANIFEST_EVERY_SECONDS:
            self.write_manifest()

    def flush_manifest(self) -> None:
        if self._dirty:
            self.write_manifest()

    def finish(self, state: Literal["interrupted", "complete"]) -> None:
        if self.manifest is not None:
            self.manifest.state = state
            self.write_manifest()

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    # --- hosts -------------------------------------------------------------------------

    def host_path(self, name: str, source: str | None = None) -> Path:
        """The host file of `name`; of one result of it from the file `source`, when
        other files claim that name too (evaluate FOLDER judges each: one host file
        per name kept whichever was written last)."""
        if source is None:
            return self.hosts_dir / f"{safe_file_name(name)}.json"
        tag = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        return self.hosts_dir / f"{safe_file_name(name)}--{tag}.json"

    @staticmethod
    def host_key(report: HostReport) -> tuple[str, str | None]:
        """The manifest key of a host report and the source its file is named by."""
        if report.name_conflicts and report.source is not None:
            return f"{report.target} ({report.source})", report.source
        return report.target, None

    def save_host(self, plan: Plan, report: HostReport, lang: str, fail_on: Severity) -> Path:
        """Write the host's report and record it in the manifest. Raises OSError."""
        started = report.started_at or datetime.now(UTC)
        finished = report.finished_at or datetime.now(UTC)
        single = build_report(plan, [report], lang, started, finished, fail_on)
        single.run_id = self.manifest.run_id if self.manifest else None
        data = (model_json(single) + "\n").encode("utf-8")
        key, source = self.host_key(report)
        path = self.host_path(report.target, source)
        write_atomically(path, data)
        entry = HostEntry(
            path=self._relative(path),
            sha256=_sha256(data),
            size=len(data),
            written_at=datetime.now(UTC),
            target=report.target,
            status=report.status,
            plan=plan_digest(plan),
        )
        with self._lock:
            if self.manifest is not None:
                self.manifest.hosts[key] = entry
                self._dirty = True
        self._maybe_write_manifest()
        return path

    def forget_host(self, name: str) -> None:
        """A host whose file could not be written: its old record no longer holds."""
        with self._lock:
            if self.manifest is not None and self.manifest.hosts.pop(name, None) is not None:
                self._dirty = True

    def resumable(self, name: str, plan: Plan) -> ResumeDecision:
        """The saved report of `name` if this run recorded it and it still is what was
        recorded; otherwise why the host runs again."""
        manifest = self.manifest
        entry = manifest.hosts.get(name) if manifest is not None else None
        path = self.host_path(name)
        if manifest is None or entry is None:
            reason = "not recorded in the run manifest" if path.exists() else None
            return ResumeDecision(name, None, reason)
        if entry.status != "ok":
            return ResumeDecision(name, None)  # unreachable last time: try again
        if entry.plan != plan_digest(plan):
            return ResumeDecision(
                name, None, "judged with another baseline, check selection or waivers"
            )
        if entry.path != self._relative(path):
            return ResumeDecision(name, None, f"recorded as {entry.path}, not {path.name}")
        try:
            data = _read_capped(path, MAX_HOST_FILE_BYTES)
        except (OSError, ValueError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            return ResumeDecision(name, None, f"cannot read {entry.path}: {why}")
        if _sha256(data) != entry.sha256:
            return ResumeDecision(
                name, None, f"{entry.path} changed since it was written (sha256 differs)"
            )
        try:
            saved = RunReport.model_validate_json(data)
        except (ValidationError, ValueError):
            return ResumeDecision(name, None, f"{entry.path} is not a report")
        if saved.run_id != manifest.run_id:
            return ResumeDecision(name, None, f"{entry.path} belongs to another run")
        if len(saved.hosts) != 1 or saved.hosts[0].target != name:
            return ResumeDecision(name, None, f"{entry.path} holds another host")
        if saved.baseline.sha256 != plan.baseline.sha256:
            return ResumeDecision(name, None, f"{entry.path} was judged with another baseline")
        host = saved.hosts[0]
        if host.status != "ok":
            return ResumeDecision(name, None)
        return ResumeDecision(name, host)

    # --- the fleet report --------------------------------------------------------------

    def fleet_path(self, partial: bool) -> Path:
        """fleet.json; for a partial report, fleet.partial.json when fleet.json exists
        (an interrupted run never replaces a report file)."""
        path = self.root / FLEET_REPORT
        return self.root / FLEET_PARTIAL if partial and path.exists() else path

    def save_fleet(self, report: RunReport) -> Path:
        """Write the fleet report and record it. Raises OSError."""
        path = self.fleet_path(report.partial is not None)
        data = (model_json(report) + "\n").encode("utf-8")
        write_atomically(path, data)
        entry = FileEntry(
            path=self._relative(path),
            sha256=_sha256(data),
            size=len(data),
            written_at=datetime.now(UTC),
        )
        stale: Path | None = None
        with self._lock:
            if self.manifest is not None:
                self.manifest.outputs[entry.path] = entry
                if report.partial is None and FLEET_PARTIAL in self.manifest.outputs:
                    # This run's own earlier partial report is superseded by the whole one.
                    del self.manifest.outputs[FLEET_PARTIAL]
                    stale = self.root / FLEET_PARTIAL
                self._dirty = True
        if stale is not None:
            stale.unlink(missing_ok=True)
        return path


__all__ = [
    "FLEET_PARTIAL",
    "FLEET_REPORT",
    "MANIFEST",
    "FleetStore",
    "ResumeDecision",
    "RunManifest",
    "RunParameters",
    "plan_digest",
]
