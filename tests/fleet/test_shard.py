"""`--shard I/N`: parsing, and the slice a host falls in (model.shard)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from endpoint_audit.inventory import InventoryHost, slice_of
from endpoint_audit.model.shard import (
    MAX_SHARDS,
    ShardSpec,
    ShardSpecError,
    parse_shard,
    shard_of,
)

# Host names are labels of any printable text (docs/fleet.md), Japanese included.
names = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40)
name_sets = st.sets(names, min_size=0, max_size=60)
counts = st.integers(min_value=1, max_value=64)


@pytest.mark.parametrize(
    ("text", "index", "count"), [("1/1", 1, 1), ("2/8", 2, 8), (" 8/8 ", 8, 8), ("07/10", 7, 10)]
)
def test_parse(text: str, index: int, count: int) -> None:
    assert parse_shard(text) == ShardSpec(index, count)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("0/4", "slices count from 1"),
        ("5/4", "I must be 1 to N (4)"),
        ("1/0", "N must be 1"),
        (f"1/{MAX_SHARDS + 1}", "N must be 1"),
        ("2", "expected I/N"),
        ("-1/4", "expected I/N"),
        ("1/4/2", "expected I/N"),
        ("a/b", "expected I/N"),
        ("１/４", "expected I/N"),  # full-width digits are not I/N
        ("", "expected I/N"),
        ("1 / 4", "expected I/N"),
    ],
)
def test_parse_refuses(text: str, why: str) -> None:
    with pytest.raises(ShardSpecError) as caught:
        parse_shard(text)
    message = str(caught.value)
    assert why in message and "\n" not in message


def test_known_slices_do_not_change_between_versions() -> None:
    """The slice is part of the recorded round: a changed hash would cut one round's
    inventory differently in two versions of the tool. The slice is the index with the
    highest sha256(index as 4 bytes big-endian, NUL, UTF-8 name), recomputed here."""

    def by_definition(name: str, count: int) -> int:
        def score(i: int) -> bytes:
            return hashlib.sha256(i.to_bytes(4, "big") + b"\0" + name.encode()).digest()

        return max(range(1, count + 1), key=score)

    assert [shard_of(f"pc-{i:03d}", 4) for i in range(8)] == [4, 1, 3, 2, 4, 2, 1, 1]
    for name in ("総務課-pc-01", "pc-001.city.lg.jp", "a"):
        for count in (1, 2, 3, 7, 100):
            assert shard_of(name, count) == by_definition(name, count)


@settings(max_examples=60, deadline=None)
@given(name_sets, counts)
def test_every_host_is_in_exactly_one_slice(hosts: set[str], count: int) -> None:
    slices = {i: {h for h in hosts if shard_of(h, count) == i} for i in range(1, count + 1)}
    assert set().union(*slices.values()) == hosts
    assert sum(len(s) for s in slices.values()) == len(hosts)


@settings(max_examples=60, deadline=None)
@given(name_sets, name_sets, counts)
def test_adding_hosts_moves_no_host(hosts: set[str], added: set[str], count: int) -> None:
    before = {h: shard_of(h, count) for h in hosts}
    after = {h: shard_of(h, count) for h in hosts | added}
    assert all(after[h] == before[h] for h in hosts)


@settings(max_examples=40, deadline=None)
@given(name_sets, counts)
def test_one_more_slice_moves_hosts_only_into_it(hosts: set[str], count: int) -> None:
    for host in hosts:
        old, new = shard_of(host, count), shard_of(host, count + 1)
        assert new in (old, count + 1)


def test_slices_are_roughly_even() -> None:
    sizes = [0] * 8
    for i in range(4000):
        sizes[shard_of(f"pc-{i:05d}.city.lg.jp", 8) - 1] += 1
    assert min(sizes) > 400 and max(sizes) < 600, sizes


def host(name: str, **settings: object) -> InventoryHost:
    return InventoryHost(name=name, address="192.0.2.1", **settings)  # type: ignore[arg-type]


def test_slice_of_keeps_inventory_order_and_digests_the_whole_inventory() -> None:
    hosts = [host(f"pc-{i:02d}") for i in range(30)]
    cut = [slice_of(hosts, ShardSpec(i, 3)) for i in (1, 2, 3)]
    digests = {d for _, d in cut}
    assert len(digests) == 1  # every slice names the same inventory
    joined = [h for chosen, _ in cut for h in chosen]
    assert sorted(h.name for h in joined) == sorted(h.name for h in hosts)
    for chosen, _ in cut:
        assert chosen == [h for h in hosts if h in chosen]  # order kept
    # The digest is over the inventory, not the order of its entries...
    assert slice_of(list(reversed(hosts)), ShardSpec(1, 3))[1] in digests
    # ...but any host or setting changes it.
    assert slice_of(hosts[:-1], ShardSpec(1, 3))[1] not in digests
    changed = [*hosts[:-1], host(hosts[-1].name, user="root")]
    assert slice_of(changed, ShardSpec(1, 3))[1] not in digests
    regrouped = [*hosts[:-1], host(hosts[-1].name, groups=("総務課",))]
    assert slice_of(regrouped, ShardSpec(1, 3))[1] not in digests
