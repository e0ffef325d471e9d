"""`collect --shard I/N --bundle-dir DIR`: the slice's own record, DIR/_manifest.json.

It says which slice of which round the folder holds (ShardInfo: I of N, the inventory's
digest and size, the names in the slice, --round) and which bundle file each of its
hosts was written to, with the file's sha256. `evaluate DIR` then judges exactly those
files and gives a report that is a slice of the round, so `report merge` of the judged
slices gives the fleet report of one unsliced run.

Host bundles are named by safe_file_name, which never starts with "_": no host's file
can take the manifest's name. The manifest is rewritten atomically, after a host at most
once a second (a bundle written but not yet listed is not judged: its host is reported
as not collected, never passed) and when the collection stops.
"""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from endpoint_audit import __version__
from endpoint_audit.atomic_file import write_atomically
from endpoint_audit.errors import ConfigError
from endpoint_audit.model.result import ToolInfo
from endpoint_audit.model.shard import ShardInfo
from endpoint_audit.safe_read import InputKind, InputRefused, read_input
from endpoint_audit.transport.transcript import COLLECT_MANIFEST

COLLECT_MANIFEST_FORMAT = "endpoint-audit-collect-manifest"
MAX_COLLECT_MANIFEST_BYTES = 256 * 1024 * 1024
WRITE_EVERY_SECONDS = 1.0


class BundleEntry(BaseModel):
    """A host's bundle file, relative to the folder."""

    path: str
    sha256: str
    size: int
    status: Literal["ok", "unreachable"]
    written_at: datetime


class CollectManifest(BaseModel):
    format: Literal["endpoint-audit-collect-manifest"] = "endpoint-audit-collect-manifest"
    version: int = 1
    tool: ToolInfo
    created_at: datetime
    updated_at: datetime
    state: Literal["running", "interrupted", "complete"] = "running"
    round: str | None = None
    shard: ShardInfo
    hosts: dict[str, BundleEntry] = Field(default_factory=dict)  # by host name


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class CollectManifestWriter:
    """Keeps DIR/_manifest.json of one sliced collection up to date."""

    def __init__(self, folder: Path, shard: ShardInfo) -> None:
        now = datetime.now(UTC)
        self.path = folder / COLLECT_MANIFEST
        self.manifest = CollectManifest(
            tool=ToolInfo(version=__version__),
            created_at=now,
            updated_at=now,
            round=shard.round,
            shard=shard,
        )
        self._lock = threading.Lock()
        self._last_write = 0.0
        self._dirty = False

    def write(self) -> None:
        """Write the manifest now. Raises OSError."""
        with self._lock:
            self.manifest.updated_at = datetime.now(UTC)
            text = self.manifest.model_dump_json(indent=2) + "\n"
            self._dirty = False
            self._last_write = time.monotonic()
        write_atomically(self.path, text.encode("utf-8"))

    def record(
        self, name: str, path: Path, data: bytes, status: Literal["ok", "unreachable"]
    ) -> None:
        """A host's bundle was written: list it (the manifest is written at most once a
        second here, and always by `finish`). Raises OSError."""
        entry = BundleEntry(
            path=path.name,
            sha256=sha256_of(data),
            size=len(data),
            status=status,
            written_at=datetime.now(UTC),
        )
        with self._lock:
            self.manifest.hosts[name] = entry
            self._dirty = True
            due = time.monotonic() - self._last_write >= WRITE_EVERY_SECONDS
        if due:
            self.write()

    def finish(self, interrupted: bool) -> None:
        """Raises OSError."""
        self.manifest.state = "interrupted" if interrupted else "complete"
        self.write()


def read_collect_manifest(folder: Path) -> CollectManifest | None:
    """The folder's collect manifest; None when it has none. ConfigError (one line) for
    one that cannot be read or is not one."""
    path = folder / COLLECT_MANIFEST
    if not path.exists():
        return None
    try:
        data = read_input(path, InputKind(COLLECT_MANIFEST, MAX_COLLECT_MANIFEST_BYTES))
        return CollectManifest.model_validate_json(data)
    except InputRefused as exc:
        raise ConfigError(str(exc)) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "(top)"
        raise ConfigError(f"{path}: not a collect manifest: {where}: {first['msg']}") from None


__all__ = [
    "COLLECT_MANIFEST",
    "COLLECT_MANIFEST_FORMAT",
    "BundleEntry",
    "CollectManifest",
    "CollectManifestWriter",
    "read_collect_manifest",
    "sha256_of",
]
