"""`report verify DIR...`: a round's run folder against its signed manifest, and the
hash chain from each round to the one before.

Each problem is one line: the manifest's signature, a file listed but missing, a file
whose sha256 is not the one listed, a file present but not listed (signatures beside
listed files and the manifest's own excepted), and a chain link that does not match
the previous folder's manifest.json.

A sliced collection's bundle folder (`collect --shard I/N --bundle-dir DIR --sign`) is
checked the same way against its signed _manifest.json: each bundle by its sha256 (and
its own signature), nothing added. Collections have no chain: they are facts of one
round, not a round's verdicts.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Protocol

from msgspec import Struct, field
from pydantic import ValidationError

from endpoint_audit.engine.collect_manifest import (
    MAX_COLLECT_MANIFEST_BYTES,
    CollectManifest,
)
from endpoint_audit.engine.run_folder import MANIFEST, MAX_MANIFEST_BYTES, RunManifest
from endpoint_audit.signing import minisign
from endpoint_audit.signing.trusted_keys import TrustedKeys
from endpoint_audit.signing.verify import (
    Verified,
    read_signature,
    signature_path,
    verify_digest,
)
from endpoint_audit.transport.transcript import COLLECT_MANIFEST

# A run folder of 20,000 hosts has about as many files; far more is not one of ours.
MAX_FILES = 200_000
_CHUNK = 1 << 20


class RoundCheck(Struct):
    root: Path
    manifest_sha256: str | None = None
    manifest: RunManifest | None = None
    verified: Verified | None = None
    problems: list[str] = field(default_factory=list)
    files_checked: int = 0
    collected: CollectManifest | None = None  # a sliced collection's _manifest.json


class _Listed(Protocol):
    path: str
    sha256: str


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
        if (root / COLLECT_MANIFEST).is_file():
            return _check_collected(root, keys)
        check.problems.append(
            f"{root}: no {MANIFEST} (not a run folder of `scan --output-dir`, nor a sliced "
            f"collection with {COLLECT_MANIFEST})"
        )
        return check
    data = _signed_manifest(check, manifest_path, MAX_MANIFEST_BYTES, keys)
    if data is None:
        return check
    try:
        check.manifest = RunManifest.model_validate_json(data)
    except (ValidationError, ValueError) as exc:
        first = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else exc
        check.problems.append(f"{manifest_path}: not a run manifest: {first}")
        return check
    entries = [*check.manifest.hosts.values(), *check.manifest.outputs.values()]
    _check_listed(check, manifest_path, entries, keys)
    return check


def _check_collected(root: Path, keys: TrustedKeys) -> RoundCheck:
    check = RoundCheck(root)
    manifest_path = root / COLLECT_MANIFEST
    data = _signed_manifest(check, manifest_path, MAX_COLLECT_MANIFEST_BYTES, keys)
    if data is None:
        return check
    try:
        check.collected = CollectManifest.model_validate_json(data)
    except (ValidationError, ValueError) as exc:
        first = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else exc
        check.problems.append(f"{manifest_path}: not a collect manifest: {first}")
        return check
    _check_listed(check, manifest_path, list(check.collected.hosts.values()), keys)
    return check


def _signed_manifest(
    check: RoundCheck, manifest_path: Path, limit: int, keys: TrustedKeys
) -> bytes | None:
    """The manifest's bytes (its signature checked: a problem line when it does not
    hold), or None when it is too large to be one of ours."""
    if manifest_path.stat().st_size > limit:
        check.problems.append(f"{manifest_path}: too large for a manifest")
        return None
    data = manifest_path.read_bytes()
    check.manifest_sha256 = hashlib.sha256(data).hexdigest()
    try:
        signature = read_signature(signature_path(manifest_path))
        check.verified = verify_digest(minisign.prehash([data]), signature, keys)
    except minisign.MinisignError as exc:
        check.problems.append(f"{manifest_path}: {exc}")
    return data


def _check_listed(
    check: RoundCheck, manifest_path: Path, entries: Sequence[_Listed], keys: TrustedKeys
) -> None:
    """Each listed file present with its recorded sha256 (and its own signature, when it
    has one); any other file in the folder is named as added."""
    root, name = check.root, manifest_path.name
    listed: set[Path] = {manifest_path, signature_path(manifest_path)}
    for entry in entries:
        path = _inside(root, entry.path)
        if path is None:
            check.problems.append(f"{manifest_path}: lists {entry.path!r}, outside the folder")
            continue
        listed.add(path)
        listed.add(signature_path(path))
        if not path.is_file():
            check.problems.append(f"{path}: missing (listed in {name})")
            continue
        try:
            sha256, blake = _sha256_and_blake2b(path)
        except OSError as exc:
            check.problems.append(f"{path}: cannot read: {exc.strerror or exc}")
            continue
        check.files_checked += 1
        if sha256 != entry.sha256:
            check.problems.append(f"{path}: changed since {name} was written (sha256 differs)")
            continue
        sig = signature_path(path)
        if sig.exists():  # a file's own signature, when it has one, must hold too
            try:
                verify_digest(blake, read_signature(sig), keys)
            except minisign.MinisignError as exc:
                check.problems.append(f"{path}: {exc}")
    check.problems += _added(root, listed, name)


def _added(root: Path, listed: set[Path], manifest_name: str) -> list[str]:
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
                problems.append(f"{path}: not listed in {manifest_name} (added)")
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
