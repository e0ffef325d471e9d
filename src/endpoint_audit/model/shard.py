"""`scan --shard I/N`: which slice of an inventory a job audits, and what it records.

A host belongs to the slice with the highest score sha256(name, slice) (rendezvous
hashing). The slice depends on the host's name and N only, never on the other hosts or
their order, so hosts added to or removed from the inventory never move the others
between slices; and when N grows by one, the only hosts that move go to the new slice.
Every job runner (AWX job slicing, a Kubernetes Indexed Job, one play per slice) can run
the same command with its own I and get disjoint slices that together cover the
inventory, without the jobs talking to each other.

Each slice records the round it belongs to (ShardInfo): slice I of N, the digest of the
whole inventory the slices were cut from, how many hosts that holds, and the names in the
slice. `report merge` uses it to join the slices and to say which are missing or belong
to another inventory or round (ShardCoverage).
"""

import hashlib
import json
import re
from collections.abc import Iterable, Mapping

from msgspec import Struct
from pydantic import BaseModel, Field

# Enough for any job runner; a bound keeps one host's scoring cheap.
MAX_SHARDS = 1000
_SPEC = re.compile(r"([0-9]{1,6})/([0-9]{1,6})")


class ShardSpecError(ValueError):
    """A --shard value that is not I/N with 1 <= I <= N <= MAX_SHARDS."""


class ShardSpec(Struct, frozen=True):
    """Slice `index` (1-based) of `count`."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> ShardSpec:
    """`I/N` as given on the command line. Raises ShardSpecError (one line)."""
    match = _SPEC.fullmatch(text.strip())
    if match is None:
        raise ShardSpecError(
            f"--shard {text!r}: expected I/N, two whole numbers such as 2/8 (slice 2 of 8)"
        )
    index, count = int(match[1]), int(match[2])
    if not 1 <= count <= MAX_SHARDS:
        raise ShardSpecError(f"--shard {text!r}: N must be 1 to {MAX_SHARDS}")
    if not 1 <= index <= count:
        raise ShardSpecError(f"--shard {text!r}: I must be 1 to N ({count}); slices count from 1")
    return ShardSpec(index, count)


def _score(name: bytes, index: int) -> bytes:
    return hashlib.sha256(index.to_bytes(4, "big") + b"\0" + name).digest()


def shard_of(name: str, count: int) -> int:
    """The slice (1..count) the host named `name` belongs to."""
    if not 1 <= count <= MAX_SHARDS:
        raise ShardSpecError(f"shard count {count}: must be 1 to {MAX_SHARDS}")
    key = name.encode("utf-8", "surrogatepass")
    # Ties are impossible in practice (sha256); the lower index wins one anyway.
    return max(range(1, count + 1), key=lambda i: (_score(key, i), -i))


def inventory_digest(hosts: Iterable[Mapping[str, object]]) -> str:
    """The sha256 of the whole inventory the slices are cut from: every host's name and
    settings (how it is reached and judged), in name order, so the order of the files
    and of their entries does not matter but any host or setting does."""
    rows = sorted(
        json.dumps(dict(h), sort_keys=True, ensure_ascii=False, default=str) for h in hosts
    )
    return hashlib.sha256("\n".join(rows).encode("utf-8", "surrogatepass")).hexdigest()


class ShardInfo(BaseModel):
    """What one slice's run folder and fleet report record about the round."""

    index: int
    count: int
    inventory_sha256: str
    inventory_hosts: int  # hosts in the whole inventory (every slice together)
    hosts: list[str] = Field(default_factory=list)  # the names in this slice
    round: str | None = None  # --round, the same in every slice of a round


class ShardCoverage(BaseModel):
    """A report merged from slices: which of them it holds."""

    count: int
    inventory_sha256: str
    inventory_hosts: int
    round: str | None = None
    present: list[int] = Field(default_factory=list)
    missing: list[int] = Field(default_factory=list)


__all__ = [
    "MAX_SHARDS",
    "ShardCoverage",
    "ShardInfo",
    "ShardSpec",
    "ShardSpecError",
    "inventory_digest",
    "parse_shard",
    "shard_of",
]
