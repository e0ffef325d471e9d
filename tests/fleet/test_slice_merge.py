"""`report merge` of the slices of a round: joined only with their own round, missing
slices named and the merged report partial (exit 3), mismatches refused (exit 2)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from endpoint_audit.engine.exit_policy import ExitCode
from endpoint_audit.model.report_ops import MergeError, NamedReport, merge_reports
from endpoint_audit.model.result import (
    BaselineInfo,
    Finding,
    HostReport,
    RunReport,
    Severity,
    Status,
    ToolInfo,
)
from endpoint_audit.model.shard import ShardInfo, inventory_digest, shard_of
from endpoint_audit.model.valid_text import model_json

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
FLEET = [f"pc-{i:02d}" for i in range(12)]
COUNT = 3


def digest(names: list[str]) -> str:
    return inventory_digest({"name": n} for n in names)


def slice_report(
    index: int,
    *,
    count: int = COUNT,
    fleet: list[str] = FLEET,
    round_id: str | None = "2026-W49",
    run_id: str | None = None,
    extra_host: str | None = None,
) -> RunReport:
    names = [n for n in fleet if shard_of(n, count) == index]
    hosts = [
        HostReport(
            target=n,
            findings=[
                Finding(
                    check_id="x",
                    status=Status.PASS,
                    severity=Severity.HIGH,
                    message="m",
                    message_key="k",
                )
            ],
        )
        for n in names + ([extra_host] if extra_host else [])
    ]
    return RunReport(
        tool=ToolInfo(version="0"),
        baseline=BaselineInfo(id="b", version="1", sha256="0" * 64),
        started_at=NOW,
        finished_at=NOW,
        hosts=hosts,
        run_id=run_id or f"run-{index}",
        shard=ShardInfo(
            index=index,
            count=count,
            inventory_sha256=digest(fleet),
            inventory_hosts=len(fleet),
            hosts=names,
            round=round_id,
        ),
    )


def merge(*reports: RunReport) -> RunReport:
    merged, _ = merge_reports([NamedReport(f"slice{i}.json", r) for i, r in enumerate(reports)])
    return merged


def test_all_slices_make_the_whole_fleet() -> None:
    merged = merge(*(slice_report(i) for i in range(1, COUNT + 1)))
    assert sorted(h.target for h in merged.hosts) == FLEET
    assert merged.partial is None
    assert merged.shards is not None
    assert merged.shards.present == [1, 2, 3] and merged.shards.missing == []
    assert merged.shards.inventory_hosts == len(FLEET)


def test_a_missing_slice_makes_the_report_partial() -> None:
    merged = merge(slice_report(1), slice_report(3))
    assert merged.shards is not None and merged.shards.missing == [2]
    assert merged.partial is not None
    assert merged.partial.reason == "slices_missing"
    assert merged.partial.hosts_planned == len(FLEET)
    assert merged.partial.hosts_reported == len(merged.hosts) < len(FLEET)


@pytest.mark.parametrize(
    ("other", "why"),
    [
        (slice_report(2, fleet=[*FLEET, "pc-new"]), "cut from one inventory"),
        (slice_report(2, round_id="2026-W48"), "round 2026-W48"),
        (slice_report(2, round_id=None), "round (none)"),
        (slice_report(2, count=4), "slice 2/4"),
        (slice_report(1, run_id="another-run"), "another run of the same slice"),
    ],
)
def test_slices_of_another_round_are_refused(other: RunReport, why: str) -> None:
    with pytest.raises(MergeError) as caught:
        merge(slice_report(1), other)
    assert why in str(caught.value) and "slice1.json" in str(caught.value)


def test_a_host_outside_its_slice_is_refused() -> None:
    stranger = next(n for n in (f"x{i}" for i in range(100)) if shard_of(n, COUNT) != 2)
    tampered = slice_report(2)
    assert tampered.shard is not None
    tampered.shard.hosts.append(stranger)
    with pytest.raises(MergeError, match="is not in slice 2/3"):
        merge(slice_report(1), tampered)
    smuggled = slice_report(2, extra_host="pc-extra")
    with pytest.raises(MergeError, match="not among the hosts its slice 2/3 records"):
        merge(slice_report(1), smuggled)


def test_a_slice_is_not_merged_with_a_plain_report() -> None:
    plain = slice_report(2).model_copy(update={"shard": None})
    with pytest.raises(MergeError, match="not a slice"):
        merge(slice_report(1), plain)


def write(path: Path, report: RunReport) -> Path:
    path.write_text(model_json(report) + "\n", encoding="utf-8")
    return path


def test_cli_exit_codes(tmp_path: Path, cli: Callable[..., Any]) -> None:
    files = [write(tmp_path / f"s{i}.json", slice_report(i)) for i in (1, 2, 3)]
    out = tmp_path / "fleet.json"
    whole = cli("report", "merge", *map(str, files), "-o", str(out))
    assert whole.exit_code == ExitCode.OK, whole.output
    assert json.loads(out.read_text())["shards"]["missing"] == []

    part = cli("report", "merge", str(files[0]), str(files[2]), "-o", str(out))
    assert part.exit_code == ExitCode.INCOMPLETE
    assert "slice(s) 2 of 3 missing" in part.output
    data = json.loads(out.read_text())
    assert data["partial"]["reason"] == "slices_missing"
    rendered = cli("report", "render", str(out), "-f", "terminal", "--lang", "en")
    assert "slice(s) 2 of 3 of this round are missing" in rendered.output
    ja = cli("report", "render", str(out), "-f", "markdown", "--lang", "ja")
    assert "分割 3 個のうち 2 がありません" in ja.output

    other = write(tmp_path / "other.json", slice_report(2, round_id="2026-W48"))
    out.unlink()
    bad = cli("report", "merge", str(files[0]), str(other), "-o", str(out))
    assert bad.exit_code == ExitCode.CONFIG
    assert not out.exists()
    lines = [line for line in bad.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in bad.output
