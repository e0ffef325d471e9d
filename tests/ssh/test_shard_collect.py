"""Slices of one round collected over real SSH (`collect --shard I/N --bundle-dir`),
judged offline by `evaluate` and joined by `report merge`: the same verdicts as one
unsliced collection judged at once."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from endpoint_audit.engine.exit_policy import ExitCode
from endpoint_audit.model.shard import shard_of
from tests.ssh.lab import SshLab
from tests.ssh.test_collect_ssh import collect, findings_of
from tests.ssh.test_fleet_scan import CLI, baseline_file
from tests.ssh.test_shard_rounds import fleet_inventory, merge

pytestmark = [pytest.mark.sshd]

SLICES = 3
ROUND = "2026-W49"


def evaluate(lab: SshLab, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "evaluate", "-b", str(baseline_file(lab)), "--lang", "en", *args],
        env=lab.env(),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def read(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def verdicts(report: dict[str, Any]) -> dict[str, tuple[str, list[tuple[str, str, str]]]]:
    return {h["target"]: (h["status"], sorted(findings_of(h))) for h in report["hosts"]}


def collect_slice(lab: SshLab, inv: Path, index: int, folder: Path, round_id: str = ROUND) -> None:
    done = collect(
        lab, "-i", str(inv), "--shard", f"{index}/{SLICES}", "--round", round_id,
        "--connect-timeout", "5", "--timeout", "20", "--bundle-dir", str(folder),
    )  # fmt: skip
    # 3: the slice holding pc-closed did not reach it; every other slice reached all.
    assert done.returncode in (ExitCode.OK, ExitCode.INCOMPLETE), done.stderr
    assert "Traceback" not in done.stderr
    assert f"--shard {index}/{SLICES}: " in done.stderr  # the same note as scan gives


def test_collected_slices_judge_and_merge_as_one_collection(
    ssh_lab: SshLab, tmp_path: Path
) -> None:
    lab = ssh_lab
    inv, names = fleet_inventory(lab, tmp_path / "fleet.yaml", 6)

    whole_bundles = tmp_path / "whole"
    got = collect(lab, "-i", str(inv), "--connect-timeout", "5", "--timeout", "20",
                  "--bundle-dir", str(whole_bundles))  # fmt: skip
    assert got.returncode == ExitCode.INCOMPLETE, got.stderr  # pc-closed
    whole = evaluate(lab, str(whole_bundles), "-f", "json:" + str(tmp_path / "whole.json"))
    assert whole.returncode == ExitCode.INCOMPLETE, whole.stderr
    expected = verdicts(read(tmp_path / "whole.json"))
    assert sorted(expected) == sorted(names)

    folders = [tmp_path / "round" / f"slice-{i}" for i in range(1, SLICES + 1)]
    seen: list[str] = []
    for i, folder in enumerate(folders, 1):
        collect_slice(lab, inv, i, folder)
        recorded = read(folder / "_manifest.json")
        shard = recorded["shard"]
        assert (shard["index"], shard["count"], shard["round"]) == (i, SLICES, ROUND)
        assert shard["inventory_hosts"] == len(names) and recorded["state"] == "complete"
        assert all(shard_of(n, SLICES) == i for n in shard["hosts"])
        assert sorted(recorded["hosts"]) == sorted(shard["hosts"])
        bundles = sorted(p.name for p in folder.iterdir() if p.name != "_manifest.json")
        assert bundles == sorted(f"{n}.json" for n in shard["hosts"])
        seen += shard["hosts"]
    assert sorted(seen) == sorted(names)  # every host collected in exactly one slice

    judged = [tmp_path / "judged" / f"slice-{i}" for i in range(1, SLICES + 1)]
    for i, (folder, out) in enumerate(zip(folders, judged, strict=True), 1):
        done = evaluate(lab, str(folder), "--output-dir", str(out))
        assert done.returncode in (ExitCode.OK, ExitCode.FAILED, ExitCode.INCOMPLETE), done.stderr
        report = read(out / "fleet.json")
        assert report["shard"] == read(folder / "_manifest.json")["shard"]
        assert read(out / "manifest.json")["shard"]["index"] == i

    fleet = tmp_path / "fleet.json"
    joined = merge(lab, *map(str, judged), "-o", str(fleet))
    assert joined.returncode == ExitCode.OK, joined.stderr
    merged = read(fleet)
    assert merged["partial"] is None and merged["shards"]["present"] == [1, 2, 3]
    assert verdicts(merged) == expected
    reached = [v for n, v in expected.items() if n != "pc-closed"]
    assert reached and all(status == "ok" and found for status, found in reached)
    assert expected["pc-closed"][0] == "unreachable"

    # The judged slices as JSON reports merge the same way.
    files = []
    for i, folder in enumerate(folders, 1):
        path = tmp_path / f"slice-{i}.json"
        evaluate(lab, str(folder), "-f", "json:" + str(path))
        files.append(str(path))
    again = merge(lab, *files, "-o", str(tmp_path / "again.json"))
    assert again.returncode == ExitCode.OK, again.stderr
    assert verdicts(read(tmp_path / "again.json")) == expected

    # A slice missing: partial, named, exit 3.
    part = merge(lab, str(judged[0]), str(judged[2]), "-o", str(tmp_path / "part.json"))
    assert part.returncode == ExitCode.INCOMPLETE, part.stderr
    assert f"slice(s) 2 of {SLICES} missing" in part.stderr
    partial = read(tmp_path / "part.json")["partial"]
    assert partial["reason"] == "slices_missing" and partial["hosts_planned"] == len(names)

    # Slice 2 collected for another round does not join this round's slices.
    other = tmp_path / "other" / "slice-2"
    collect_slice(lab, inv, 2, other, round_id="2026-W50")
    other_judged = tmp_path / "other-judged"
    evaluate(lab, str(other), "--output-dir", str(other_judged))
    mixed = merge(lab, str(judged[0]), str(other_judged), str(judged[2]),
                  "-o", str(tmp_path / "mixed.json"))  # fmt: skip
    assert mixed.returncode == ExitCode.CONFIG
    assert "round 2026-W50" in mixed.stderr and "merge only the slices of one round" in mixed.stderr
    assert len(mixed.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "mixed.json").exists()

    # Evaluated for another round than it was collected for: refused, nothing judged.
    wrong = evaluate(lab, str(folders[0]), "--round", "2026-W50", "-f", "json")
    assert wrong.returncode == ExitCode.CONFIG and "round 2026-W49" in wrong.stderr

    # Collected facts are not a report: merge says to judge them first.
    raw = merge(lab, str(folders[0]), "-o", str(tmp_path / "raw.json"))
    assert raw.returncode == ExitCode.CONFIG and "judge it first" in raw.stderr


def test_a_changed_or_missing_bundle_of_a_slice_is_never_judged(
    ssh_lab: SshLab, tmp_path: Path
) -> None:
    lab = ssh_lab
    inv, _ = fleet_inventory(lab, tmp_path / "fleet.yaml", 6)
    folder = tmp_path / "slice-1"
    collect_slice(lab, inv, 1, folder)
    hosts = [n for n in read(folder / "_manifest.json")["shard"]["hosts"] if n != "pc-closed"]
    assert len(hosts) >= 2, "the names were chosen so that slice 1 holds two reachable hosts"
    changed, gone = hosts[0], hosts[1]
    # A bundle edited after collection (its commands said something else), and one lost.
    path = folder / f"{changed}.json"
    text = path.read_text(encoding="utf-8")
    # A file left from another collection is not of this slice.
    (folder / "pc-stranger.json").write_text(text.replace(changed, "pc-stranger"), "utf-8")
    assert '"exit_status": 0' in text
    path.write_text(text.replace('"exit_status": 0', '"exit_status": 1'), encoding="utf-8")
    (folder / f"{gone}.json").unlink()

    done = evaluate(lab, str(folder), "-f", "json")
    assert done.returncode == ExitCode.INCOMPLETE, done.stderr
    report = json.loads(done.stdout)
    by_name = {h["target"]: h for h in report["hosts"]}
    # The stray file is not judged, and not dropped either: an unreachable host by its name.
    assert sorted(by_name) == sorted(
        [*read(folder / "_manifest.json")["shard"]["hosts"], "pc-stranger.json"]
    )
    stray = by_name["pc-stranger.json"]
    assert stray["status"] == "unreachable" and "not listed in _manifest.json" in stray["reason"]
    assert by_name[changed]["status"] == "unreachable" and not by_name[changed]["findings"]
    assert "sha256 differs" in by_name[changed]["reason"]
    assert by_name[gone]["status"] == "unreachable" and "not collected" in by_name[gone]["reason"]
    assert "pc-stranger.json: not listed in _manifest.json" in done.stderr
    assert report["shard"]["index"] == 1
