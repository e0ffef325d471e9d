"""`scan --replay` of recorded Linux PCs through the whole engine: disk_encryption and
patch_level findings, messages and exit codes, judged as of the recording time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from endpoint_audit.checks.disk_encryption import linux as disk
from endpoint_audit.checks.patch_level import linux as patches
from endpoint_audit.model.commands import Argv, Command, CommandResult
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.transport.transcript import HostTranscript, bundle_to_data
from tests.conftest import FIXTURES

LINUX = FIXTURES / "linux"
UBUNTU = PlatformInfo(
    family=OsFamily.LINUX,
    distro="ubuntu",
    distro_like=("debian",),
    version="22.04",
    pretty_name="Ubuntu 22.04.4 LTS",
    transport="replay",
)
MISSING = CommandResult(1, stderr="No such file or directory")


def out(name: str, status: int = 0) -> CommandResult:
    return CommandResult(status, stdout=(LINUX / name).read_text("utf-8"))


POLICY_APT_UTILS = Argv(("apt-cache", "policy", "apt-utils:amd64"))


def ubuntu_pc(**over: CommandResult) -> dict[Command, CommandResult]:
    """Ubuntu 22.04 on LUKS+LVM, recorded 2024-03-10: 4 security updates pending,
    last upgrade 2024-03-08, reboot pending."""
    commands: dict[Command, CommandResult] = {
        disk.LSBLK: out("lsblk-luks-lvm.json"),
        disk.MOUNTINFO: out("mountinfo-luks-lvm.txt"),
        disk.SWAPS: out("swaps-luks-lvm.txt"),
        # Recorded as root: the LUKS mapping's cipher (aes-xts-plain64), no btrfs.
        disk.DMSETUP: out("dmsetup-table-luks-lvm.txt"),
        disk.BTRFS_DEVICES: CommandResult(1, stderr="find: '/sys/fs/btrfs': No such file"),
        patches.APT_LIST: out("apt-list-jammy-security.txt"),
        # The follow-up for the one candidate not from jammy-security.
        POLICY_APT_UTILS: out("apt-policy-jammy-security.txt"),
        patches.APT_LISTS: out("apt-release-mtimes-jammy.txt"),
        patches.APT_HISTORY: out("apt-history.log"),
        patches.UTC_OFFSET: CommandResult(0, stdout="+0900\n"),
        patches.REBOOT_FLAG: out("reboot-required.txt"),
        patches.REBOOT_PKGS: out("reboot-required-pkgs.txt"),
        patches.KERNEL_HOOKS: out("kernel-postinst-ubuntu.txt"),
        patches.KERNEL_RUNNING: CommandResult(0, stdout="5.15.0-101-generic\n"),
        patches.KERNEL_IMAGES: out("boot-images-ubuntu.txt"),
    }
    policy = over.pop("policy", None)
    names: dict[str, Command] = {"apt_list": patches.APT_LIST, "flag": patches.REBOOT_FLAG}
    for name, result in over.items():
        commands[names[name]] = result
    if policy is not None:  # the follow-up of another listing
        del commands[POLICY_APT_UTILS]
        commands[Argv(("apt-cache", "policy", "apt-utils:amd64", "tzdata"))] = policy
    return commands


def scan(
    tmp_path: Path, commands: dict[Command, CommandResult], *extra: str
) -> tuple[int, dict[str, Any]]:
    host = HostTranscript(
        target="pc-hr-0142",
        platform=UBUNTU,
        commands={c.key: r for c, r in commands.items()},
        collected_at=datetime(2024, 3, 10, 0, 0, tzinfo=UTC),
    )
    bundle = tmp_path / "pc.yaml"
    bundle.write_text(yaml.safe_dump(bundle_to_data([host], "test")), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LANG")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "endpoint_audit",
            "scan",
            "-b",
            "minimal",
            "--only",
            "disk_encryption,patch_level",
            "--replay",
            str(bundle),
            "-f",
            "json",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def findings(report: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(f["check_id"], f["resource"]): f for f in report["hosts"][0]["findings"]}


def test_recorded_ubuntu_pc_with_pending_updates_fails(tmp_path: Path) -> None:
    code, report = scan(tmp_path, ubuntu_pc())
    assert code == 1
    got = findings(report)
    assert {k: f["status"] for k, f in got.items()} == {
        ("disk_encryption", "/"): "pass",
        ("disk_encryption", "swap:/dev/dm-2"): "pass",
        ("patch_level", "pending_security_updates"): "fail",
        ("patch_level", "days_since_update"): "pass",
        ("patch_level", "reboot_required"): "fail",
    }
    assert got[("patch_level", "days_since_update")]["message"] == (
        "Days since updates were last installed: 1, on 2024-03-08 (allowed: 30; "
        "from /var/log/apt/history.log)."
    )
    assert got[("patch_level", "pending_security_updates")]["message"] == (
        "Security updates waiting to be installed: 4 (allowed: 0): accountsservice, openssl, "
        "sudo, vim."
    )


def test_recorded_ubuntu_pc_fully_patched_exits_0_in_japanese(tmp_path: Path) -> None:
    code, report = scan(
        tmp_path,
        ubuntu_pc(
            apt_list=out("apt-list-updates-only.txt"),
            policy=out("apt-policy-updates-only.txt"),
            flag=MISSING,
        ),
        "--lang",
        "ja",
    )
    got = findings(report)
    assert {f["status"] for f in got.values()} == {"pass"}, got
    assert code == 0
    assert got[("patch_level", "reboot_required")]["message"] == (
        "再起動待ちの更新はありません（/var/run/reboot-required はありません"
        "（update-notifier が管理））。"
    )
    assert got[("disk_encryption", "/")]["message"].startswith(
        "/ は暗号化されています（LUKS aes-xts-plain64、"
    )
