"""The alias-bomb guard bounds expansion relative to what a file writes, not by a flat
count: inventories of 3,000 and 20,000 hosts (with or without anchors) load; billion
laughs documents of every shape are refused fast and in bounded memory."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from endpoint_audit.baseline.yaml_lines import MAX_VALUES, load_lined
from endpoint_audit.errors import ConfigError
from endpoint_audit.inventory import load_inventory
from tests.baselines.helpers import BROKEN
from tests.hostile.run import assert_ran_clean, invoke


def native_inventory(hosts: int, anchored: bool) -> str:
    lines = ["groups:"]
    if anchored:
        # Shared settings written once and referred to by every host (YAML anchors).
        lines[:0] = ["vars: &common {user: audit, port: 22, sudo: true}"]
    for group in range(hosts // 100):
        lines += [f"  office-{group:03d}:", "    vars: {baseline: minimal}", "    hosts:"]
        for n in range(100):
            name = f"pc-{group:03d}-{n:02d}"
            body = "*common" if anchored else "{user: audit, port: 22}"
            lines.append(f"      {name}: {body}")
    return "\n".join(lines) + "\n"


def ansible_inventory(hosts: int) -> str:
    lines = ["all:", "  vars: {ansible_user: audit}", "  children:"]
    for group in range(hosts // 500):
        lines += [f"    site{group}:", "      hosts:"]
        for n in range(500):
            lines.append(
                f"        ws{group}-{n:03d}: {{ansible_host: 10.{group}.{n // 250}.{n % 250 + 1}, "
                "ansible_port: 22, ansible_become: true}"
            )
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("name", "text", "count"),
    [
        ("native-3000", native_inventory(3000, anchored=False), 3000),
        ("native-3000-anchors", native_inventory(3000, anchored=True), 3000),
        ("native-20000", native_inventory(20000, anchored=False), 20000),
        ("native-20000-anchors", native_inventory(20000, anchored=True), 20000),
        ("ansible-20000", ansible_inventory(20000), 20000),
    ],
)
def test_big_inventories_load(tmp_path: Path, name: str, text: str, count: int) -> None:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    started = time.monotonic()
    hosts = load_inventory(path)
    assert len(hosts) == count
    assert time.monotonic() - started < 60  # a bound, not a benchmark (bench/ measures)
    if "anchors" in name:
        assert all(h.user == "audit" and h.sudo is True for h in hosts)


def test_big_inventory_through_the_cli(tmp_path: Path) -> None:
    """`scan -i` with 3,000 hosts reads the whole inventory (then --limit selects none)."""
    path = tmp_path / "fleet.yaml"
    path.write_text(native_inventory(3000, anchored=True), encoding="utf-8")
    ran = invoke("scan", "-i", path, "--limit", "no-such-host")
    assert_ran_clean(ran)
    assert ran.code == 2
    assert "matches none of the 3000 host(s)" in ran.stderr, ran.stderr


def _laughs(levels: int, width: int) -> str:
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    for level in range(1, levels):
        refs = ", ".join([f"*l{level - 1}"] * width)
        lines.append(f"l{level}: &l{level} [{refs}]")
    return "\n".join(lines) + "\n"


def _chain(first: str, prefix: str, body: str, levels: int) -> str:
    """`first`, then `levels` anchors each made of `body` with {prev} the one before."""
    lines = [first]
    for i in range(levels):
        prev = "a" if i == 0 else f"{prefix}{i - 1}"
        lines.append(f"{prefix}{i}: &{prefix}{i} " + body.format(prev=prev))
    return "\n".join(lines) + "\n"


BOMBS = {
    "billion-laughs-9x9": _laughs(9, 9),
    "deep-2x30": _laughs(30, 2),
    "wide-1000x1000": _laughs(2, 1000),
    "mapping-values": _chain("a: &a {x: 1, y: 2, z: 3}", "b", "{{p: *{prev}, q: *{prev}}}", 40),
    "three-way": _chain("a: &a [1, 2, 3, 4, 5, 6, 7, 8]", "m", "[*{prev}, *{prev}, *{prev}]", 25),
}


@pytest.mark.parametrize("name", list(BOMBS))
def test_alias_bombs_are_refused_fast_in_bounded_memory(name: str) -> None:
    text = BOMBS[name]
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(ConfigError) as caught:
            load_lined(text, f"{name}.yaml")
        seconds = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = str(caught.value)
    assert message.startswith(f"{name}.yaml:") and "\n" not in message
    assert "alias bomb?" in message or f"at most {MAX_VALUES:,}" in message, message
    assert seconds < 10, seconds
    assert peak < 64 * 1024 * 1024, f"peak {peak / 1048576:.1f} MB"


def test_an_alias_inside_its_own_anchor_is_refused() -> None:
    with pytest.raises(ConfigError, match="refers to the value that contains it"):
        load_lined("a: &a [1, *a]\n", "self.yaml")


def test_shipped_bomb_fixture_still_names_its_line() -> None:
    text = (BROKEN / "b14-alias-bomb.yaml").read_text(encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^b14\.yaml:6: e: aliases \(\*name\) expand"):
        load_lined(text, "b14.yaml")


def test_modest_alias_use_is_fine() -> None:
    """A baseline that repeats a port list through an anchor loads."""
    text = (
        "ports: &ports ['22', '3389', '5900-5903']\n"
        "a: {forbidden: *ports}\nb: {forbidden: *ports}\nc: [*ports, *ports, *ports]\n"
    )
    doc = load_lined(text, "ok.yaml")
    assert doc.data["c"][2] == ["22", "3389", "5900-5903"]


def test_a_document_without_anchors_is_still_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without `&` the nodes are counted plainly; the cap and its message are the same.
    from endpoint_audit.baseline import yaml_lines

    monkeypatch.setattr(yaml_lines, "MAX_VALUES", 50)
    text = "hosts:\n" + "".join(f"  pc-{n}: {{port: 22}}\n" for n in range(30))
    with pytest.raises(ConfigError) as raised:
        load_lined(text, "inv.yaml")
    assert str(raised.value) == (
        "inv.yaml:1: hosts: the document holds 123 values; at most 50 are read"
    )
    few = "hosts:\n" + "".join(f"  pc-{n}: {{port: 22}}\n" for n in range(11))
    assert len(load_lined(few, "inv.yaml").data["hosts"]) == 11  # 47 values


yaml_scalars = st.text(alphabet="abcxyz019 ", min_size=1, max_size=6).map(str.strip).filter(bool)
yaml_trees = st.recursive(
    yaml_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(yaml_scalars, inner, max_size=4),
    max_leaves=40,
)


@given(yaml_trees)
def test_the_plain_count_matches_the_alias_count_without_anchors(tree: object) -> None:
    import yaml

    from endpoint_audit.baseline.yaml_compose import _expanded_sizes, _tree_size

    root = yaml.compose(yaml.safe_dump(tree))
    sizes, distinct = _expanded_sizes(root, "t.yaml")
    assert _tree_size(root) == distinct == sizes[id(root)]


@st.composite
def shared_trees(draw: st.DrawFn) -> tuple[object, bool]:
    # A tree in which some value may appear twice: PyYAML writes it once with an anchor
    # and refers to it with an alias.
    part = draw(st.lists(yaml_scalars, min_size=1, max_size=3))
    tree = draw(st.lists(st.one_of(yaml_trees, st.just(part)), min_size=1, max_size=5))
    return tree, draw(st.sampled_from([True, False, None])) is True


@given(shared_trees())
@example(([[["a"]], [["a"]]], True))
def test_a_text_with_an_alias_is_always_seen_to_have_an_anchor(drawn: tuple[object, bool]) -> None:
    import yaml

    from endpoint_audit.baseline.yaml_compose import _ANCHOR, _expanded_sizes

    tree, flow = drawn
    text = yaml.dump(tree, default_flow_style=flow)
    root = yaml.compose(text)
    sizes, distinct = _expanded_sizes(root, "t.yaml")
    if sizes[id(root)] > distinct:  # some node is reached twice: an alias
        assert _ANCHOR.search(text), text


@pytest.mark.parametrize(
    "text",
    ['{"a":&x [1], "b": *x}', "[&x [1],*x]", "a: &x\n  - 1\nb: *x\n", "- !!seq &x [1]\n- *x\n",
     "- &x\n  - 1\n- *x\n", "\ufeff[&x [1], *x]\n"],
)  # fmt: skip
def test_anchors_are_seen_wherever_yaml_allows_them(text: str) -> None:
    import yaml

    from endpoint_audit.baseline.yaml_compose import _ANCHOR

    loaded = yaml.safe_load(text)
    assert (loaded["b"] if isinstance(loaded, dict) else loaded[1]) == [1]  # an alias
    assert _ANCHOR.search(text)


def test_an_ampersand_in_text_is_no_anchor() -> None:
    from endpoint_audit.baseline.yaml_compose import _ANCHOR

    assert not _ANCHOR.search("remediation: Users & Groups, R&D\nname: 'a &b'\n"[:34])
