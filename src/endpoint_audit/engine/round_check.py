"""`report verify DIR...`: a round's run folder against its signed manifest, and the
hash chain from each round to the one before.

Each problem is one line: the manifest's signature, a file listed but missing, a file
whose sha256 is not the one listed, a file present but not listed (signatures beside
listed files and the manifest's own excepted), and a chain link that does not match
the previous folder's manifest.json.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from pydantic import ValidationError

from endpoint_audit.engine.run_folder import MANIFEST, MAX_MANIFEST_BYTES, RunManifest
from endpoint_audit.signing import minisign
from endpoint_audit.signing.trusted_keys import TrustedKeys
from endpoint_audit.signing.verify import (
    Verified,
    read_signature,
    signature_path,
    verify_digest,
)

# A run folder of 20,000 hosts has about as many files; far more is not one of ours.
MAX_FILES = 200_000
_CHUNK = 1 << 20


@dataclass
class RoundCheck:
    root: Path
    manifest_sha256: str | None = None
    manifest: RunManifest | None = None
    verified: Verified | None = None
    problems: list[str] = field(default_factory=list)
    files_checked: int = 0


def _sha256_and_blake2b(path: Path) -> tuple[str, bytes]:
    sha = hashlib.sha256()
    blake = hashlib.blake2b(digest_size=64)
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            sha.update(chunk)
            blake.update(chunk)
    return sha.hexdigest(), blake.digest()


def _inside(root: Path, relative: str) -> Path | None:
    """The listed path under root, or None for one that would leave it."""
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts or "\\" in relative:
        return None
    return root.joinpath(*pure.parts)


def check_round(root: Path, keys: TrustedKeys) -> RoundCheck:
    check = RoundCheck(root)
    manifest_path = root / MANIFEST
    if not manifest_path.is_file():
        check.problems.append(f"{root}: no {MANIFEST} (not a run folder of `scan --output-dir`)")
        return check
    if manifest_path.stat().st_size > MAX_MANIFEST_BYTES:
        check.problems.append(f"{manifest_path}: too large for a run manifest")
        return check
    data = manifest_path.read_bytes()
    check.manifest_sha256 = hashlib.sha256(data).hexdigest()
    try:
        signature = read_signature(signature_path(manifest_path))
        check.verified = verify_digest(minisign.prehash([data]), signature, keys)
    except minisign.MinisignError as exc:
        check.problems.append(f"{manifest_path}: {exc}")
    try:
        check.manifest = RunManifest.model_validate_json(data)
    except (ValidationError, ValueError) as exc:
        first = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else exc
        check.problems.append(f"{manifest_path}: not a run manifest: {first}")
        return check
    listed: set[Path] = {manifest_path, signature_path(manifest_path)}
    entries = [*check.manifest.hosts.values(), *check.manifest.outputs.values()]
    for entry in entries:
        path = _inside(root, entry.path)
        if path is None:
            check.problems.append(f"{manifest_path}: lists {entry.path!r}, outside the folder")
            continue
        listed.add(path)
        listed.add(signature_path(path))
        if not path.is_file():
            check.problems.append(f"{path}: missing (listed in {MANIFEST})")
            continue
        try:
            sha256, blake = _sha256_and_blake2b(path)
        except OSError as exc:
            check.problems.append(f"{path}: cannot read: {exc.strerror or exc}")
            continue
        check.files_checked += 1
        if sha256 != entry.sha256:
            check.problems.append(f"{path}: changed since {MANIFEST} was written (sha256 differs)")
            continue
        sig = signature_path(path)
        if sig.exists():  # a file's own signature, when it has one, must hold too
            try:
                verify_digest(blake, read_signature(sig), keys)
            except minisign.MinisignError as exc:
                check.problems.append(f"{path}: {exc}")
    check.problems += _added(root, listed)
    return check


def _added(root: Path, listed: set[Path]) -> list[str]:
    problems: list[str] = []
    seen = 0
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            seen += 1
            if seen > MAX_FILES:
                problems.append(f"{root}: more than {MAX_FILES} files; stopped looking")
                return problems
            path = Path(folder) / name
            if path not in listed:
                problems.append(f"{path}: not listed in {MANIFEST} (added)")
    return problems


def check_chain(rounds: list[RoundCheck]) -> list[str]:
    """Each round after the first must name the previous one's manifest sha256."""
    problems: list[str] = []
    for before, after in itertools.pairwise(rounds):
        if after.manifest is None or before.manifest_sha256 is None:
            continue
        recorded = after.manifest.previous_manifest_sha256
        if recorded is None:
            problems.append(
                f"{after.root}: chain broken: its manifest names no previous round "
                f"(expected {before.root})"
            )
        elif recorded != before.manifest_sha256:
            problems.append(
                f"{after.root}: chain broken: previous manifest sha256 {recorded[:16]}…, "
                f"but {before.root / MANIFEST} is {before.manifest_sha256[:16]}…"
            )
    return problems
