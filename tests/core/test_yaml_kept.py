"""Parsed YAML kept in the user's cache: a text read again gives exactly the values and
lines the parser gave (types too), a kept file that is not exactly ours is parsed again,
and a scan of a known baseline never loads PyYAML."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from endpoint_audit.baseline import yaml_compose, yaml_kept, yaml_lines
from endpoint_audit.baseline.yaml_lines import load_lined
from endpoint_audit.errors import ConfigError

SAMPLE = """\
id: our-city
checks:
  disk_encryption: {severity: critical}
  screen_lock:
    params: {max_idle_seconds: 600, grace: 5.0, locked: true, note: null}
hosts: [pc-0001, 0123, "no", on]
expires: 2027-03-31
at: 2026-12-01T09:00:00+09:00
blob: !!binary aGVsbG8=
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    if not sys.platform.startswith("linux"):
        pytest.skip("the cache folder is XDG_CACHE_HOME on Linux")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "endpoint-audit" / yaml_kept.FOLDER


def _no_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(text: str, source: str) -> Any:
        raise AssertionError("parsed again")

    monkeypatch.setattr(yaml_compose, "compose_lined", refuse)


def same(a: Any, b: Any) -> bool:
    """Equal with the same types all the way down (True is not 1, 1.0 is not 1)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(
            same(ka, kb) and same(a[ka], b[kb]) for ka, kb in zip(a, b, strict=True)
        )
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, datetime):
        return a == b and a.utcoffset() == b.utcoffset()
    return bool(a == b)


def test_a_text_read_again_comes_from_the_cache_with_its_values_and_lines(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = load_lined(SAMPLE, "first.yaml")
    assert len(list(cache.iterdir())) == 1
    _no_parser(monkeypatch)
    again = load_lined(SAMPLE, "again.yaml")
    assert same(again.data, first.data)
    assert again.lines == first.lines
    assert again.source == "again.yaml"  # errors name the file read now
    assert again.error(("checks", "screen_lock", "params", "grace"), "x").args[0] == (
        "again.yaml:5: checks.screen_lock.params.grace: x"
    )
    assert again.data["hosts"] == ["pc-0001", 0o123, "no", True]  # YAML 1.1 values
    assert again.data["expires"] == date(2027, 3, 31)
    assert again.data["at"] == datetime(2026, 12, 1, 9, tzinfo=timezone(timedelta(hours=9)))
    assert again.data["blob"] == b"hello"


def test_an_error_is_never_kept(cache: Path) -> None:
    for _ in range(2):
        with pytest.raises(ConfigError, match=r"bad\.yaml:2: a: duplicate key"):
            load_lined("a: 1\na: 2\n", "bad.yaml")
    assert not cache.exists() or list(cache.iterdir()) == []


def _kept_file(cache: Path) -> Path:
    (kept,) = cache.iterdir()
    return kept


@pytest.mark.parametrize(
    "tamper",
    [
        lambda k: k["data"].update({"m": "not pairs"}),
        lambda k: k["data"]["m"].append([{"l": []}, 1]),  # a list as a key
        lambda k: k["data"]["m"].append(["id", "again"]),  # a key twice
        lambda k: k["data"]["m"][0].append("third"),
        lambda k: k["data"].update({"x": 1}),
        lambda k: k["data"]["m"][0].__setitem__(1, {"d": "2026-02-30"}),
        lambda k: k["data"]["m"][0].__setitem__(1, {"b": "not base64!"}),
        lambda k: k["lines"].append([["id"], True]),  # a boolean as a line
        lambda k: k["lines"].append([[1.5], 3]),
        lambda k: k.update({"lines": {}}),
        lambda k: k.pop("data"),
        lambda k: k["stamp"].__setitem__(0, yaml_kept.FORMAT + 1),
        lambda k: k["data"].update({"m": [[{"l": [{"l": []}] * 1}, 1]]}),
    ],
)
def test_a_kept_file_that_is_not_exactly_ours_is_parsed_again(cache: Path, tamper: Any) -> None:
    first = load_lined(SAMPLE, "s.yaml")
    path = _kept_file(cache)
    kept = json.loads(path.read_text(encoding="utf-8"))
    tamper(kept)
    path.write_text(json.dumps(kept), encoding="utf-8")
    assert yaml_kept.read(SAMPLE, "s.yaml") is None
    again = load_lined(SAMPLE, "s.yaml")
    assert same(again.data, first.data) and again.lines == first.lines


def test_an_absurdly_nested_kept_file_is_parsed_again(cache: Path) -> None:
    load_lined(SAMPLE, "s.yaml")
    path = _kept_file(cache)
    kept = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(
        json.dumps({**kept, "data": "X"}).replace('"X"', "[" * 100_000 + "]" * 100_000),
        encoding="utf-8",
    )
    assert yaml_kept.read(SAMPLE, "s.yaml") is None
    deep = {"stamp": kept["stamp"], "lines": [], "data": "Y"}
    nest = (
        '{"l": [' * (yaml_kept._MAX_PACKED_DEPTH + 2)
        + "1"
        + "]}" * (yaml_kept._MAX_PACKED_DEPTH + 2)
    )
    path.write_text(json.dumps(deep).replace('"Y"', nest), encoding="utf-8")
    assert yaml_kept.read(SAMPLE, "s.yaml") is None


def test_a_kept_file_under_another_name_is_not_taken_for_its_text(cache: Path) -> None:
    load_lined(SAMPLE, "s.yaml")
    other = "id: other\n"
    digest = yaml_kept._digest(other)
    _kept_file(cache).rename(cache / f"{digest}.json")
    assert yaml_kept.read(other, "o.yaml") is None  # its stamp names the other digest
    assert load_lined(other, "o.yaml").data == {"id": "other"}


def test_lowered_limits_are_not_passed_by_a_document_kept_under_the_old_ones(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "hosts:\n" + "".join(f"  - {{name: pc-{n}, group: a}}\n" for n in range(11))
    assert len(load_lined(text, "inv.yaml").data["hosts"]) == 11
    monkeypatch.setattr(yaml_lines, "MAX_VALUES", 20)
    with pytest.raises(ConfigError, match="at most 20 are read"):
        load_lined(text, "inv.yaml")


def test_a_text_over_the_size_cap_is_not_kept(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_kept, "MAX_TEXT_CHARS", len(SAMPLE) - 1)
    load_lined(SAMPLE, "s.yaml")
    assert not cache.exists() or list(cache.iterdir()) == []


def test_only_the_newest_kept_files_stay(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_kept, "KEPT_MAX", 5)
    cache.mkdir(parents=True)
    for n in range(8):
        old = cache / f"{n:064x}.json"
        old.write_text("{}", encoding="utf-8")
        os.utime(old, ns=(n * 10**9, n * 10**9))
    load_lined(SAMPLE, "s.yaml")
    left = sorted(p.name for p in cache.iterdir())
    assert len(left) == 5
    assert f"{yaml_kept._digest(SAMPLE)}.json" in left
    assert f"{7:064x}.json" in left and f"{0:064x}.json" not in left


@pytest.mark.skipif(os.name != "posix", reason="links and ownership are POSIX")
def test_a_linked_cache_folder_is_not_written(cache: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "chosen"
    elsewhere.mkdir()
    cache.parent.mkdir(parents=True)
    cache.symlink_to(elsewhere)
    load_lined(SAMPLE, "s.yaml")
    assert list(elsewhere.iterdir()) == []


_KEYS = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20)
    | st.dates()
    | st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1))
    | st.datetimes(timezones=st.just(UTC), min_value=datetime(1900, 1, 1))
    | st.binary(max_size=16)
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=st.dictionaries(_KEYS, _VALUES, min_size=1, max_size=5))
def test_kept_documents_are_what_the_parser_built(value: dict[str, Any]) -> None:
    text = yaml.safe_dump(value, allow_unicode=True)
    try:
        parsed = yaml_compose.compose_lined(text, "p.yaml")
    except ConfigError:
        return  # refused as the parser refuses it: nothing is kept
    yaml_kept.keep(text, parsed)
    kept = yaml_kept.read(text, "p.yaml")
    if len(text) > yaml_kept.MAX_TEXT_CHARS:
        assert kept is None
        return
    assert kept is not None
    assert same(kept.data, parsed.data), (kept.data, parsed.data)
    assert kept.lines == parsed.lines
    assert all(type(a) is type(b) for k in kept.lines for a, b in zip(k, k, strict=True))
    kept_parts = {tuple(type(p) for p in k) for k in kept.lines}
    assert kept_parts == {tuple(type(p) for p in k) for k in parsed.lines}


SCAN_AND_SAY_YAML = """\
import atexit, sys
atexit.register(lambda: print(
    "loaded:", *(m for m in ("yaml", "tomllib") if m in sys.modules), file=sys.stderr
))
sys.argv = ["endpoint-audit", "scan", "-f", "json", "-o", sys.argv[1]]
from endpoint_audit.cli import main
main()
"""


def test_a_second_scan_of_the_default_baseline_loads_no_yaml_or_toml_parser(
    tmp_path: Path,
) -> None:
    """Its baseline, rule pack, catalogs and checks' meta files are all read kept."""
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "xdg"), LANG="C.UTF-8")
    said = []
    for n in range(2):
        done = subprocess.run(
            [sys.executable, "-c", SCAN_AND_SAY_YAML, str(tmp_path / f"r{n}.json")],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert done.returncode in (0, 1, 3), done.stderr
        said.append([line for line in done.stderr.splitlines() if line.startswith("loaded:")])
    assert said == [["loaded: yaml tomllib"], ["loaded:"]]
    first, second = (json.loads((tmp_path / f"r{n}.json").read_text()) for n in range(2))
    assert first["baseline"] == second["baseline"]
    assert first["checks"] == second["checks"]
    assert len(first["checks"]) >= 10
