"""Slices of one round over real SSH (`scan --shard I/N`), run by hand and from
ansible-core (one play per slice, as AWX job slicing or a Kubernetes Indexed Job would run
them), each writing its run folder, then joined by `report merge`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from endpoint_audit.engine.exit_policy import ExitCode
from endpoint_audit.model.shard import shard_of
from tests.conftest import require_tool
from tests.ssh.lab import USER_OK, SshLab
from tests.ssh.test_fleet_scan import CLI, baseline_file, scan, write_inventory

pytestmark = [pytest.mark.sshd]

SLICES = 3


def fleet_inventory(lab: SshLab, path: Path, count: int) -> tuple[Path, list[str]]:
    addresses = lab.start_fleet(count)
    lab.trust(addresses)
    names = [f"pc-{i:02d}" for i in range(count)]
    hosts: list[Any] = [{"name": n, "address": a} for n, a in zip(names, addresses, strict=True)]
    # One host nobody answers for: a slice with it is still complete as a slice.
    hosts.append({"name": "pc-closed", "address": "127.0.3.9"})
    write_inventory(path, {"vars": {"port": lab.port, "user": lab.user(USER_OK)}, "hosts": hosts})
    return path, [*names, "pc-closed"]


def merge(lab: SshLab, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "report", "merge", *args],
        env=lab.env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def manifest(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return data


def test_slices_cover_the_fleet_once_and_merge(ssh_lab: SshLab, tmp_path: Path) -> None:
    lab = ssh_lab
    inv, names = fleet_inventory(lab, tmp_path / "fleet.yaml", 7)
    folders = [tmp_path / f"slice-{i}" for i in range(1, SLICES + 1)]
    for i, folder in enumerate(folders, 1):
        done = scan(
            lab, "-i", str(inv), "--shard", f"{i}/{SLICES}", "--round", "2026-W49",
            "--timeout", "20", "--connect-timeout", "5", "--output-dir", str(folder),
            "-f", "json:" + str(tmp_path / f"slice-{i}.json"),
        )  # fmt: skip
        assert done.returncode in (ExitCode.OK, ExitCode.FAILED, ExitCode.INCOMPLETE), done.stderr
        assert "Traceback" not in done.stderr

    seen: list[str] = []
    digests = set()
    for i, folder in enumerate(folders, 1):
        shard = manifest(folder)["shard"]
        assert (shard["index"], shard["count"], shard["round"]) == (i, SLICES, "2026-W49")
        assert shard["inventory_hosts"] == len(names)
        assert all(shard_of(n, SLICES) == i for n in shard["hosts"])
        audited = json.loads((folder / "fleet.json").read_text(encoding="utf-8"))
        assert sorted(h["target"] for h in audited["hosts"]) == sorted(shard["hosts"])
        assert audited["shard"] == shard
        assert set(manifest(folder)["hosts"]) == set(shard["hosts"])
        digests.add(shard["inventory_sha256"])
        seen += shard["hosts"]
    assert len(digests) == 1
    assert sorted(seen) == sorted(names)  # every host in exactly one slice

    fleet = tmp_path / "fleet.json"
    whole = merge(lab, *map(str, folders), "-o", str(fleet))
    assert whole.returncode == ExitCode.OK, whole.stderr
    merged = json.loads(fleet.read_text(encoding="utf-8"))
    assert sorted(h["target"] for h in merged["hosts"]) == sorted(names)
    assert merged["partial"] is None and merged["shards"]["missing"] == []
    closed = next(h for h in merged["hosts"] if h["target"] == "pc-closed")
    assert closed["status"] == "unreachable"

    # A slice missing: the report says which, and is partial (exit 3).
    part = merge(lab, str(folders[0]), str(folders[2]), "-o", str(tmp_path / "part.json"))
    assert part.returncode == ExitCode.INCOMPLETE, part.stderr
    assert f"slice(s) 2 of {SLICES} missing" in part.stderr
    partial = json.loads((tmp_path / "part.json").read_text(encoding="utf-8"))["partial"]
    assert partial["reason"] == "slices_missing" and partial["hosts_planned"] == len(names)

    # A slice cut from another inventory (a host added) is refused, naming both files.
    grown = yaml.safe_load(inv.read_text())
    grown["hosts"].append({"name": "pc-new", "address": "127.0.3.10"})
    other_inv = write_inventory(tmp_path / "grown.yaml", grown)
    other = tmp_path / "other-2"
    scan(lab, "-i", str(other_inv), "--shard", f"2/{SLICES}", "--round", "2026-W49",
         "--connect-timeout", "5", "--output-dir", str(other))  # fmt: skip
    # The hosts already in the inventory stay in their slices.
    assert set(manifest(folders[1])["shard"]["hosts"]) <= set(manifest(other)["shard"]["hosts"])
    bad = merge(lab, str(folders[0]), str(other), str(folders[2]), "-o", str(tmp_path / "x.json"))
    assert bad.returncode == ExitCode.CONFIG
    assert "cut from one inventory" in bad.stderr and str(other) in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.json").exists()

    # A slice resumed with another --shard is refused before any host is contacted.
    wrong = scan(lab, "-i", str(inv), "--shard", f"1/{SLICES}", "--resume",
                 "--output-dir", str(folders[1]))  # fmt: skip
    assert wrong.returncode == ExitCode.CONFIG and "slice 2/3" in wrong.stderr


def ansible_playbook() -> str:
    """ansible-core is in the test extras; under CI a missing one fails the test."""
    return require_tool("ansible-playbook", str(Path(sys.executable).parent / "ansible-playbook"))


def slice_command(lab: SshLab, inv: Path, index: int, folder: Path) -> list[str]:
    return [
        *CLI, "scan", "-b", str(baseline_file(lab)), "-i", str(inv),
        "--shard", f"{index}/{SLICES}", "--round", "ansible-job-1",
        "--connect-timeout", "5", "--timeout", "20", "--output-dir", str(folder),
    ]  # fmt: skip


def test_slices_from_ansible_plays_merge_into_one_fleet(ssh_lab: SshLab, tmp_path: Path) -> None:
    playbook_cmd = ansible_playbook()
    lab = ssh_lab
    inv, names = fleet_inventory(lab, tmp_path / "fleet.yaml", 5)
    results = tmp_path / "round"
    plays = [
        {
            "name": f"endpoint-audit slice {i}/{SLICES}",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "audit this slice of the inventory",
                    "ansible.builtin.command": {
                        "argv": slice_command(lab, inv, i, results / f"slice-{i}"),
                    },
                    "environment": {"HOME": str(lab.client_home)},
                    "register": "audit",
                    # 1 and 3 are verdicts (failures found, or a host unreachable); 2 and
                    # above mean the slice itself did not run.
                    "failed_when": "audit.rc not in [0, 1, 3]",
                }
            ],
        }
        for i in range(1, SLICES + 1)
    ]
    playbook = tmp_path / "audit.yml"
    playbook.write_text(yaml.safe_dump(plays, sort_keys=False))
    env = {
        **lab.env(),
        "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "LC_ALL": "C.UTF-8",
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    played = subprocess.run(
        [playbook_cmd, "-i", "localhost,", str(playbook)],
        env=env,
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    assert played.returncode == 0, played.stdout + played.stderr
    # The play recap: one task per slice ran on the job host, none failed.
    recap = re.search(r"localhost\s*:\s*ok=(\d+)\s.*failed=(\d+)", played.stdout)
    assert recap is not None and recap.groups() == (str(SLICES), "0"), played.stdout

    fleet = tmp_path / "fleet.json"
    joined = merge(lab, *(str(results / f"slice-{i}") for i in range(1, SLICES + 1)),
                   "-o", str(fleet))  # fmt: skip
    assert joined.returncode == ExitCode.OK, joined.stderr
    merged = json.loads(fleet.read_text(encoding="utf-8"))
    assert sorted(h["target"] for h in merged["hosts"]) == sorted(names)
    assert merged["shards"]["present"] == [1, 2, 3] and merged["shards"]["round"] == "ansible-job-1"
    reached = [h for h in merged["hosts"] if h["target"] != "pc-closed"]
    assert reached and all(h["status"] == "ok" and h["findings"] for h in reached)
