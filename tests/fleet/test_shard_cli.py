"""Bad `--shard` values: one line, exit 2, before any host is contacted."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from endpoint_audit.engine.exit_policy import ExitCode


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("0/3", "slices count from 1"),
        ("4/3", "I must be 1 to N (3)"),
        ("three", "expected I/N"),
        ("1/3;rm -rf /", "expected I/N"),
        ("1/100000", "N must be 1 to 1000"),
    ],
)
@pytest.mark.parametrize("command", ["scan", "collect"])
def test_bad_shard_is_one_line_exit_2(
    command: str, value: str, why: str, tmp_path: Path, cli: Callable[..., Any]
) -> None:
    # 192.0.2.0/24 is TEST-NET-1: never routed; the run must stop before trying it.
    inventory = tmp_path / "fleet.txt"
    inventory.write_text("audit@192.0.2.1\n")
    more = ["--bundle-dir", str(tmp_path / "b")] if command == "collect" else []
    result = cli(command, "-i", str(inventory), "--shard", value, "--connect-timeout", "1", *more)
    assert result.exit_code == ExitCode.CONFIG
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and why in lines[0] and "Traceback" not in result.output


@pytest.mark.parametrize("command", ["scan", "collect"])
def test_shard_without_hosts_is_refused(
    command: str, tmp_path: Path, cli: Callable[..., Any]
) -> None:
    result = cli(command, "--shard", "1/2")
    assert result.exit_code == ExitCode.CONFIG
    assert "--shard slices the hosts of --host/--inventory" in result.output


@pytest.mark.parametrize(
    ("more", "why"),
    [
        ([], "--shard needs --bundle-dir"),
        (["-o", "all.json"], "--shard needs --bundle-dir"),
        (["--bundle-dir", "b", "--redact"], "--shard cannot be combined with --redact"),
    ],
)
def test_collect_shard_needs_a_plain_bundle_folder(
    more: list[str], why: str, tmp_path: Path, cli: Callable[..., Any]
) -> None:
    inventory = tmp_path / "fleet.txt"
    inventory.write_text("audit@192.0.2.1\n")
    more = [str(tmp_path / m) if m in ("b", "all.json") else m for m in more]
    result = cli("collect", "-i", str(inventory), "--shard", "1/2", *more)
    assert result.exit_code == ExitCode.CONFIG
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and why in lines[0]
    assert not (tmp_path / "b").exists() and not (tmp_path / "all.json").exists()


def test_an_empty_collected_slice_still_records_and_judges_as_its_slice(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    # One host, five slices: four hold nobody. Nothing is contacted for them.
    from endpoint_audit.model.shard import shard_of

    inventory = tmp_path / "fleet.txt"
    inventory.write_text("audit@192.0.2.1\n")
    empty = next(i for i in range(1, 6) if shard_of("192.0.2.1", 5) != i)
    folder = tmp_path / "slice"
    got = cli("collect", "-i", str(inventory), "--shard", f"{empty}/5", "--round", "r1",
              "--bundle-dir", str(folder), "--lang", "en")  # fmt: skip
    assert got.exit_code == ExitCode.OK, got.output
    assert [p.name for p in folder.iterdir()] == ["_manifest.json"]
    manifest = json.loads((folder / "_manifest.json").read_text(encoding="utf-8"))
    assert manifest["state"] == "complete" and manifest["hosts"] == {}
    assert manifest["shard"]["hosts"] == [] and manifest["shard"]["inventory_hosts"] == 1
    report_file = tmp_path / "slice.json"
    judged = cli("evaluate", str(folder), "-f", f"json:{report_file}", "--lang", "en")
    assert judged.exit_code == ExitCode.INCOMPLETE  # as `scan` of an empty slice: no host
    report = json.loads(report_file.read_text(encoding="utf-8"))
    assert report["hosts"] == [] and report["shard"] == manifest["shard"]
    assert report["shard"]["round"] == "r1"
