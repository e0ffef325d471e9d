"""Joining the slices of a round (`scan --shard I/N`) in `report merge`.

Slices join only when they are slices of one round: the same N, the same inventory
digest and the same `--round`. Anything else (slices of another inventory or round, the
same slice from two runs, a host in a slice it does not belong to) is a MergeError naming
the files: a fleet report must never mix rounds. A slice that is missing is not an error
but makes the merged report partial (`slices_missing`), naming the slices and counting
the hosts it lacks, so that nobody reads it as the whole fleet.
"""

from __future__ import annotations

from collections.abc import Sequence

from msgspec import Struct

from endpoint_audit.model.printable import one_line
from endpoint_audit.model.result import PartialInfo, RunReport
from endpoint_audit.model.shard import ShardCoverage, ShardInfo, shard_of


class SliceMismatch(ValueError):
    """Reports that are not slices of one round; the message names the files."""


class Slice(Struct, frozen=True):
    name: str  # where the report came from, for messages
    report: RunReport


def _describe(info: ShardInfo) -> str:
    return (
        f"slice {info.index}/{info.count} of inventory {info.inventory_sha256[:12]}, "
        f"round {info.round or '(none)'}"
    )


def _check_members(item: Slice, info: ShardInfo) -> None:
    """Every host the slice names, and every host its report holds, is of that slice."""
    named = set(info.hosts)
    for name in info.hosts:
        if shard_of(name, info.count) != info.index:
            raise SliceMismatch(
                f"{item.name}: host {one_line(name)} is not in slice {info.index}/{info.count} "
                "(the slice was changed after it was written)"
            )
    for host in item.report.hosts:
        if host.target not in named:
            raise SliceMismatch(
                f"{item.name}: host {one_line(host.target)} is not among the hosts its "
                f"slice {info.index}/{info.count} records"
            )


def slice_coverage(slices: Sequence[Slice]) -> ShardCoverage | None:
    """The slices' coverage of their round; None when no report is a slice. Raises
    SliceMismatch when they are not slices of one round."""
    sliced = [s for s in slices if s.report.shard is not None]
    if not sliced:
        return None
    if len(sliced) != len(slices):
        plain = next(s for s in slices if s.report.shard is None)
        raise SliceMismatch(
            f"{plain.name}: not a slice (`scan --shard`), but {sliced[0].name} is; merge the "
            "slices of a round on their own"
        )
    first = sliced[0]
    ref = first.report.shard
    assert ref is not None  # noqa: S101 - sliced holds slices only
    seen: dict[int, Slice] = {}
    for item in sliced:
        info = item.report.shard
        assert info is not None  # noqa: S101
        same_round = (info.count, info.inventory_sha256, info.round) == (
            ref.count,
            ref.inventory_sha256,
            ref.round,
        )
        if not same_round or info.inventory_hosts != ref.inventory_hosts:
            raise SliceMismatch(
                f"{item.name}: {_describe(info)}; but {first.name}: {_describe(ref)}; "
                "merge only the slices of one round, cut from one inventory"
            )
        _check_members(item, info)
        earlier = seen.get(info.index)
        if earlier is not None and earlier.report.run_id != item.report.run_id:
            raise SliceMismatch(
                f"{item.name}: slice {info.index}/{info.count} is also in {earlier.name} "
                "(another run of the same slice); keep one of them"
            )
        seen[info.index] = item
    present = sorted(seen)
    held = sum(len(s.report.shard.hosts) for s in seen.values() if s.report.shard is not None)
    missing = [i for i in range(1, ref.count + 1) if i not in seen]
    if not missing and held != ref.inventory_hosts:
        raise SliceMismatch(
            f"{first.name}: the {ref.count} slices name {held} host(s), but their inventory "
            f"holds {ref.inventory_hosts}"
        )
    return ShardCoverage(
        count=ref.count,
        inventory_sha256=ref.inventory_sha256,
        inventory_hosts=ref.inventory_hosts,
        round=ref.round,
        present=present,
        missing=missing,
    )


def coverage_partial(
    coverage: ShardCoverage, merged_partial: PartialInfo | None, hosts: int
) -> PartialInfo | None:
    """The merged report's partial mark: missing slices first (the larger gap), else a
    slice that was itself interrupted; the hosts planned are the whole inventory's."""
    if coverage.missing:
        return PartialInfo(
            reason="slices_missing",
            hosts_planned=max(coverage.inventory_hosts, hosts),
            hosts_reported=hosts,
        )
    if merged_partial is None:
        return None
    return merged_partial.model_copy(update={"hosts_planned": max(coverage.inventory_hosts, hosts)})


def missing_text(coverage: ShardCoverage) -> str:
    """`2, 4 of 4`: the slices missing, for messages."""
    return f"{', '.join(map(str, coverage.missing))} of {coverage.count}"


__all__ = ["Slice", "SliceMismatch", "coverage_partial", "missing_text", "slice_coverage"]
