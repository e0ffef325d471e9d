"""The plugins' entry points are read from the installed distributions once and kept
while the import path's folders are unchanged; installing a plugin is seen at once, and
a kept answer that is not what this program wrote is read again, never trusted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from endpoint_audit.engine.registry import _load_entry_point

CODE = (
    "from endpoint_audit.engine import registry\n"
    "scans = []\n"
    "scan = registry._scan_entry_points\n"
    "registry._scan_entry_points = lambda: scans.append(1) or scan()\n"
    "reg = registry.load_registry()\n"
    "print(sorted({s.distribution for s in reg.sources}), len(reg.checks),\n"
    "      [p.name for p in reg.problems], bool(scans))\n"
)


def _ask(env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", CODE], capture_output=True, text=True, check=True, env=env
    )
    return done.stdout.strip()


def _plugin(site: Path, target: str) -> None:
    info = site / "acme_probe-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-probe\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        f"[endpoint_audit.checks.v1]\nacme = {target}\n", encoding="utf-8"
    )


def test_entry_points_are_kept_until_a_distribution_is_installed(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    cache = tmp_path / "cache"
    env = {**os.environ, "PYTHONPATH": str(site), "XDG_CACHE_HOME": str(cache)}
    env.pop("ENDPOINT_AUDIT_DISABLE_PLUGINS", None)
    first = _ask(env)
    assert first.endswith("True"), first  # scanned
    builtin = first.rsplit(" ", 1)[0]
    assert builtin.startswith("['endpoint-audit'] 10 []"), first
    kept = cache / "endpoint-audit" / "entry-points.json"
    assert json.loads(kept.read_text(encoding="utf-8"))["rows"]
    assert _ask(env) == f"{builtin} False"  # kept: no scan
    _plugin(site, "acme_missing:PACKAGE")
    again = _ask(env)  # the folder changed: scanned again, the new plugin seen
    assert again == "['endpoint-audit'] 10 ['acme'] True", again
    assert _ask(env) == "['endpoint-audit'] 10 ['acme'] False"


def test_a_kept_answer_of_another_shape_is_read_again(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    env.pop("ENDPOINT_AUDIT_DISABLE_PLUGINS", None)
    first = _ask(env)
    kept = cache / "endpoint-audit" / "entry-points.json"
    data = json.loads(kept.read_text(encoding="utf-8"))
    for broken in ([["endpoint_audit.checks.v1", "x"]], "rows", [[1, 2, 3, 4, 5]], None):
        kept.write_text(json.dumps({"stamp": data["stamp"], "rows": broken}), encoding="utf-8")
        assert _ask(env) == first  # scanned again, the same registry
    kept.write_text("{not json", encoding="utf-8")
    assert _ask(env) == first


def test_an_entry_point_value_is_loaded_as_importlib_loads_it() -> None:
    from importlib import metadata

    for value in ("json:dumps", "os.path:join", "json", "json:JSONDecoder.decode [extra]"):
        expected = metadata.EntryPoint("x", value, "g").load()
        assert _load_entry_point(value) is expected, value
