"""Linux disk encryption: recorded lsblk, mountinfo and swaps outputs, one file per case.

These cases are about the device tree: each gets a `dmsetup table` that shows every `crypt`
node lsblk lists as an aes-xts-plain64 mapping over its whole device (what the tables
themselves can say is tested in test_disk_encryption_linux_dm.py)."""

from __future__ import annotations

import asyncio
import json
import shlex
from pathlib import Path

import pytest

from endpoint_audit.checks.disk_encryption.facts import DiskEncryptionFacts, VolumeEncryption
from endpoint_audit.checks.disk_encryption.linux import (
    BTRFS_DEVICES,
    DMSETUP,
    LSBLK,
    LSBLK_BEFORE_TRAN,
    MOUNTINFO,
    SWAPS,
    ZRAM_BACKING,
    LinuxDiskEncryption,
    parse_lsblk,
    parse_mountinfo,
)
from endpoint_audit.engine.run import gather_facts
from endpoint_audit.errors import CollectorError, FactUnavailable
from endpoint_audit.model.commands import CommandResult
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.transport.local import LocalTransport
from tests.conftest import FIXTURES
from tests.observed_view import reason_text, seen_value

LINUX = FIXTURES / "linux"
PLATFORM = PlatformInfo(family=OsFamily.LINUX, distro="ubuntu", version="22.04")
NOT_FOUND = CommandResult(127, stderr="lsblk: command not found")


def out(name: str) -> CommandResult:
    return CommandResult(0, stdout=(LINUX / name).read_text("utf-8"))


def crypt_tables(lsblk: CommandResult) -> CommandResult:
    """`dmsetup table` as root would print it for the crypt nodes of `lsblk`: each one an
    aes-xts-plain64 mapping over its whole device (key masked, as dmsetup does)."""
    lines: list[str] = []

    def walk(entries: list[dict[str, object]]) -> None:
        for entry in entries:
            name = str(entry.get("name", ""))
            if entry.get("type") == "crypt" and name.startswith("/dev/mapper/"):
                dm = name.removeprefix("/dev/mapper/")
                lines.append(f"{dm}: 0 2097152 crypt aes-xts-plain64 {'0' * 64} 0 8:2 4096")
            children = entry.get("children")
            if isinstance(children, list):
                walk(children)

    if lsblk.ok:
        walk(json.loads(lsblk.stdout)["blockdevices"])
    return CommandResult(0, stdout="\n".join(lines) + "\n" if lines else "No devices found\n")


def btrfs_listing(lsblk: CommandResult) -> CommandResult:
    """/sys/fs/btrfs/*/devices/* with each btrfs device of `lsblk` a file system alone."""
    lines: list[str] = []

    def walk(entries: list[dict[str, object]]) -> None:
        for entry in entries:
            if entry.get("fstype") == "btrfs":
                kname = str(entry.get("kname") or entry.get("name")).rsplit("/", 1)[-1]
                lines.append(
                    f"/sys/fs/btrfs/{len(lines):08d}-0000-4000-8000-000000000000/devices/{kname}"
                )
            children = entry.get("children")
            if isinstance(children, list):
                walk(children)

    if lsblk.ok:
        walk(json.loads(lsblk.stdout)["blockdevices"])
    # find exits 1 when /sys/fs/btrfs is missing (the btrfs module is not loaded).
    if not lines:
        return CommandResult(1, stderr="find: '/sys/fs/btrfs': No such file or directory")
    return CommandResult(0, stdout="\n".join(lines) + "\n")


def collect(
    lsblk: CommandResult, mountinfo: str, swaps: CommandResult | str
) -> DiskEncryptionFacts:
    collector = LinuxDiskEncryption()
    assert collector.commands(PLATFORM, {}) == [
        MOUNTINFO, SWAPS, LSBLK, DMSETUP, BTRFS_DEVICES, ZRAM_BACKING
    ]  # fmt: skip
    results = {
        LSBLK.key: lsblk,
        MOUNTINFO.key: out(mountinfo),
        SWAPS.key: out(swaps) if isinstance(swaps, str) else swaps,
        DMSETUP.key: crypt_tables(lsblk),
        BTRFS_DEVICES.key: btrfs_listing(lsblk),
        # zram0 keeps its pages in RAM; grep exits 2 for zram1..15, which do not exist.
        ZRAM_BACKING.key: CommandResult(2, stdout="/sys/block/zram0/backing_dev:none\n"),
    }
    return collector.parse(results, PLATFORM)


def by_volume(fact: DiskEncryptionFacts) -> dict[str, VolumeEncryption]:
    return {v.volume: v for v in fact.volumes}


def test_luks_under_lvm_root_and_swap_are_encrypted() -> None:
    fact = collect(out("lsblk-luks-lvm.json"), "mountinfo-luks-lvm.txt", "swaps-luks-lvm.txt")
    vols = by_volume(fact)
    # squashfs snaps, tmpfs, gvfs and proc are not volumes; /boot partitions are (the check
    # excludes them by default, the collector does not hide them).
    assert set(vols) == {"/", "/boot", "/boot/efi", "swap:/dev/dm-2"}
    root = vols["/"]
    assert root.kind == "root"
    assert seen_value(root.encrypted) is True
    assert root.method == "LUKS aes-xts-plain64"
    assert root.device == "/dev/mapper/vgubuntu-root"
    assert "/dev/mapper/nvme0n1p3_crypt (crypt aes-xts-plain64)" in root.detail
    swap = vols["swap:/dev/dm-2"]  # /proc/swaps names the kernel name; lsblk KNAME finds it
    assert (swap.kind, seen_value(swap.encrypted), swap.device) == (
        "swap",
        True,
        "/dev/mapper/vgubuntu-swap_1",
    )
    assert seen_value(vols["/boot"].encrypted) is False
    assert seen_value(vols["/boot/efi"].encrypted) is False


def test_plain_disk_fails_and_removable_and_network_and_zram_are_skipped() -> None:
    fact = collect(out("lsblk-plain-usb.json"), "mountinfo-plain-usb.txt", "swaps-plain-usb.txt")
    vols = by_volume(fact)
    assert set(vols) == {"/", "/home", "swap:/dev/sda5"}
    assert all(seen_value(v.encrypted) is False for v in vols.values())
    assert all(reason_text(v.encrypted) is None for v in vols.values())
    assert vols["/"].detail == "/dev/sda (disk) -> /dev/sda1 (part)"


def test_swap_file_takes_the_encryption_of_the_volume_holding_it() -> None:
    encrypted = collect(out("lsblk-luks-lvm.json"), "mountinfo-luks-lvm.txt", "swaps-file.txt")
    swap = by_volume(encrypted)["swap:/swap.img"]
    assert seen_value(swap.encrypted) is True
    assert swap.swap_file_on == "/" and "(crypt aes-xts-plain64)" in swap.detail
    plain = collect(out("lsblk-plain-usb.json"), "mountinfo-plain-usb.txt", "swaps-file.txt")
    assert seen_value(by_volume(plain)["swap:/swap.img"].encrypted) is False


def test_lsblk_missing_makes_every_volume_unknown_never_encrypted() -> None:
    fact = collect(NOT_FOUND, "mountinfo-luks-lvm.txt", "swaps-luks-lvm.txt")
    vols = by_volume(fact)
    assert {"/", "swap:/dev/dm-2"} <= set(vols)
    for vol in vols.values():
        assert seen_value(vol.encrypted) is None
        assert reason_text(vol.encrypted) is not None
        assert "lsblk (util-linux) is not installed" in reason_text(vol.encrypted)


def test_lsblk_failure_is_named_in_the_reason() -> None:
    failed = CommandResult(1, stderr="lsblk: unknown column: HOTPLUG")
    fact = collect(failed, "mountinfo-plain-usb.txt", "swaps-empty.txt")
    root = by_volume(fact)["/"]
    assert seen_value(root.encrypted) is None
    assert reason_text(root.encrypted) == "lsblk exited 1: lsblk: unknown column: HOTPLUG"


def test_overlay_root_of_a_container_is_unknown_and_file_binds_are_not_volumes() -> None:
    fact = collect(NOT_FOUND, "mountinfo-container-overlay.txt", "swaps-empty.txt")
    assert [v.volume for v in fact.volumes] == ["/"]
    root = fact.volumes[0]
    assert seen_value(root.encrypted) is None
    assert reason_text(root.encrypted) is not None and "overlay" in reason_text(root.encrypted)
    # Even with lsblk present (host disks visible) the overlay root stays unknown.
    with_lsblk = collect(
        out("lsblk-plain-usb.json"), "mountinfo-container-overlay.txt", "swaps-empty.txt"
    )
    assert [(v.volume, seen_value(v.encrypted)) for v in with_lsblk.volumes] == [("/", None)]


def test_mountpoints_shape_btrfs_subvolumes_on_luks() -> None:
    fact = collect(
        out("lsblk-mountpoints-btrfs.json"), "mountinfo-btrfs-fedora.txt", "swaps-zram.txt"
    )
    vols = by_volume(fact)
    # / and /home are subvolumes of one LUKS device: judged once, under "/"; zram is RAM.
    assert set(vols) == {"/", "/boot", "/boot/efi"}
    assert seen_value(vols["/"].encrypted) is True
    assert vols["/"].method == "LUKS aes-xts-plain64"
    assert vols["/"].also_mounted == ("/home",)


def test_old_util_linux_all_string_values() -> None:
    fact = collect(out("lsblk-strings-rhel8.json"), "mountinfo-rhel8.txt", "swaps-rhel8.txt")
    vols = by_volume(fact)
    # "rm": "1" marks the USB stick removable; "0" does not hide the fixed disk.
    assert set(vols) == {"/", "/boot", "swap:/dev/dm-2"}
    assert seen_value(vols["/"].encrypted) is True
    assert seen_value(vols["swap:/dev/dm-2"].encrypted) is True
    assert seen_value(vols["/boot"].encrypted) is False


def test_lvm_volume_spanning_an_unencrypted_disk_is_not_encrypted() -> None:
    fact = collect(out("lsblk-lvm-span.json"), "mountinfo-lvm-span.txt", "swaps-empty.txt")
    vols = by_volume(fact)
    assert seen_value(vols["/"].encrypted) is True
    data = vols["/srv/data"]
    assert seen_value(data.encrypted) is False
    assert "/dev/sdb1" in data.detail and "sda1_crypt" in data.detail


def test_mount_source_not_in_lsblk_is_unknown() -> None:
    fact = collect(out("lsblk-plain-usb.json"), "mountinfo-dev-root.txt", "swaps-empty.txt")
    root = by_volume(fact)["/"]
    assert seen_value(root.encrypted) is None
    assert (
        reason_text(root.encrypted) == "the device of / (/dev/root, 179:2) is not listed by lsblk"
    )


def test_unmapped_dev_source_is_unknown_but_unknown_virtual_fs_is_skipped() -> None:
    extra = (
        "70 28 0:55 / /media/sf_share rw,nodev,relatime - vboxsf share rw\n"
        "71 28 8:99 / /srv/archive rw,relatime - ext4 /dev/sdz1 rw\n"
    )
    mountinfo = (LINUX / "mountinfo-plain-usb.txt").read_text("utf-8") + extra
    fact = LinuxDiskEncryption().parse(
        {
            LSBLK.key: out("lsblk-plain-usb.json"),
            MOUNTINFO.key: CommandResult(0, stdout=mountinfo),
            SWAPS.key: out("swaps-empty.txt"),
        },
        PLATFORM,
    )
    vols = by_volume(fact)
    assert "/media/sf_share" not in vols
    assert seen_value(vols["/srv/archive"].encrypted) is None
    assert reason_text(vols["/srv/archive"].encrypted) == (
        "the device of /srv/archive (/dev/sdz1, 8:99) is not listed by lsblk"
    )


def test_unreadable_swaps_gives_an_unknown_swap_volume() -> None:
    fact = collect(
        out("lsblk-luks-lvm.json"),
        "mountinfo-luks-lvm.txt",
        CommandResult(126, stderr="/proc/swaps: Permission denied"),
    )
    swap = by_volume(fact)["swap"]
    assert (
        seen_value(swap.encrypted) is None
        and reason_text(swap.encrypted) == "/proc/swaps could not be read"
    )


def test_unreadable_mountinfo_is_unavailable_and_garbage_lsblk_is_an_error() -> None:
    collector = LinuxDiskEncryption()
    results = {
        LSBLK.key: out("lsblk-luks-lvm.json"),
        MOUNTINFO.key: CommandResult(1, stderr="/proc/self/mountinfo: No such file or directory"),
        SWAPS.key: out("swaps-empty.txt"),
    }
    with pytest.raises(FactUnavailable, match="mountinfo could not be read"):
        collector.parse(results, PLATFORM)
    results[MOUNTINFO.key] = out("mountinfo-luks-lvm.txt")
    results[LSBLK.key] = CommandResult(0, stdout="NAME TYPE\nsda disk\n")
    with pytest.raises(CollectorError, match="lsblk: output is not JSON"):
        collector.parse(results, PLATFORM)
    with pytest.raises(CollectorError, match="blockdevices"):
        parse_lsblk({"devices": []})


def test_mountinfo_escapes_and_optional_fields() -> None:
    text = "40 1 8:3 / /media/My\\040Disk rw shared:1 master:2 - ext4 /dev/sda3 rw\n"
    (mount,) = parse_mountinfo(text)
    assert (mount.mountpoint, mount.fstype, mount.source) == ("/media/My Disk", "ext4", "/dev/sda3")


def test_nfs_home_is_unknown_but_other_network_shares_are_not_volumes() -> None:
    mountinfo = (
        (LINUX / "mountinfo-plain-usb.txt")
        .read_text("utf-8")
        .replace(
            "8:6 / /home rw,relatime shared:40 - ext4 /dev/sda6 rw",
            "0:50 / /home rw,relatime shared:40 - nfs4 fileserver.example.lg.jp:/export/home rw",
        )
    )
    collector = LinuxDiskEncryption()
    fact = collector.parse(
        {
            LSBLK.key: out("lsblk-plain-usb.json"),
            MOUNTINFO.key: CommandResult(0, stdout=mountinfo),
            SWAPS.key: out("swaps-empty.txt"),
        },
        PLATFORM,
    )
    vols = by_volume(fact)
    assert set(vols) == {"/", "/home"}
    assert seen_value(vols["/home"].encrypted) is None
    assert "nfs4" in (reason_text(vols["/home"].encrypted) or "")


def test_this_machine_for_real() -> None:
    """Runs the collector here through the local transport: / must be judged or unknown
    with a reason, never missing."""
    if not Path("/proc/self/mountinfo").exists():
        pytest.skip("not a Linux machine")

    async def run() -> object:
        async with LocalTransport() as transport:
            platform = await transport.detect_platform()
            facts = await gather_facts(transport, platform, [LinuxDiskEncryption()], 30)
            return facts[DiskEncryptionFacts]

    fact = asyncio.run(run())
    assert isinstance(fact, DiskEncryptionFacts), fact
    root = by_volume(fact).get("/")
    assert root is not None, [v.volume for v in fact.volumes]
    for vol in fact.volumes:
        if seen_value(vol.encrypted) is None:
            assert reason_text(vol.encrypted), vol
        else:
            assert vol.device and vol.detail, vol
    assert set(fact.sources) == {
        MOUNTINFO.key, SWAPS.key, LSBLK.key, DMSETUP.key, BTRFS_DEVICES.key, ZRAM_BACKING.key
    }  # fmt: skip


def _hotplug_home_lsblk(home_hotplug: object) -> CommandResult:
    """/ on LUKS on an NVMe disk, /home plain on a SATA disk whose port is hot-plug
    capable (AHCI hot plug on): lsblk marks that disk HOTPLUG."""
    tree = {
        "blockdevices": [
            {
                "name": "/dev/nvme0n1", "kname": "/dev/nvme0n1", "maj:min": "259:0",
                "type": "disk", "fstype": None, "rm": False, "hotplug": False,
                "children": [
                    {
                        "name": "/dev/nvme0n1p2", "kname": "/dev/nvme0n1p2",
                        "maj:min": "259:2", "type": "part", "fstype": "crypto_LUKS",
                        "rm": False, "hotplug": False,
                        "children": [
                            {
                                "name": "/dev/mapper/root", "kname": "/dev/dm-0",
                                "maj:min": "253:0", "type": "crypt", "fstype": "ext4",
                                "rm": False, "hotplug": False,
                            }
                        ],
                    }
                ],
            },
            {
                "name": "/dev/sda", "kname": "/dev/sda", "maj:min": "8:0", "type": "disk",
                "fstype": None, "rm": False, "hotplug": home_hotplug,
                "children": [
                    {
                        "name": "/dev/sda1", "kname": "/dev/sda1", "maj:min": "8:1",
                        "type": "part", "fstype": "ext4", "rm": False,
                        "hotplug": home_hotplug,
                    }
                ],
            },
        ]
    }  # fmt: skip
    return CommandResult(0, stdout=json.dumps(tree))


HOTPLUG_MOUNTS = (
    "28 1 253:0 / / rw,relatime shared:1 - ext4 /dev/mapper/root rw\n"
    "80 28 8:1 / /home rw,relatime shared:40 - ext4 /dev/sda1 rw\n"
)


@pytest.mark.parametrize("hotplug", [True, "1"])
def test_home_on_a_hot_plug_capable_disk_is_judged_not_skipped_as_removable(
    hotplug: object,
) -> None:
    """/home holds the users' data wherever its disk sits: a hot-plug capable port does
    not make it removable media to skip."""
    fact = LinuxDiskEncryption().parse(
        {
            LSBLK.key: _hotplug_home_lsblk(hotplug),
            MOUNTINFO.key: CommandResult(0, stdout=HOTPLUG_MOUNTS),
            SWAPS.key: out("swaps-empty.txt"),
            DMSETUP.key: crypt_tables(_hotplug_home_lsblk(hotplug)),
        },
        PLATFORM,
    )
    vols = by_volume(fact)
    assert seen_value(vols["/"].encrypted) is True
    assert seen_value(vols["/home"].encrypted) is False


# The members of each mounted btrfs file system, as the kernel lists them by their bare
# device names under /sys/fs/btrfs/<UUID>/devices/ (fs/btrfs/sysfs.c, "devices" kobject).
BTRFS_KEY = shlex.join(
    [
        "find",
        "/sys/fs/btrfs",
        "-mindepth",
        "3",
        "-maxdepth",
        "3",
        "-path",
        "/sys/fs/btrfs/*/devices/*",
    ]
)
BTRFS_UUID = "/sys/fs/btrfs/8e1c4b52-0d7a-4f0e-b7a4-2c9d5f3e6a11/devices"


def _btrfs_two_disks() -> CommandResult:
    """The Fedora tree of lsblk-mountpoints-btrfs.json plus a second, plain disk that
    `btrfs device add /dev/sda /` made part of the root file system."""
    tree = json.loads((LINUX / "lsblk-mountpoints-btrfs.json").read_text("utf-8"))
    tree["blockdevices"].append(
        {
            "name": "/dev/sda", "kname": "/dev/sda", "maj:min": "8:0", "type": "disk",
            "fstype": "btrfs", "rm": False, "hotplug": False, "mountpoints": [None],
        }
    )  # fmt: skip
    return CommandResult(0, stdout=json.dumps(tree))


def _btrfs(members: str | None) -> DiskEncryptionFacts:
    lsblk = _btrfs_two_disks()
    results = {
        LSBLK.key: lsblk,
        MOUNTINFO.key: out("mountinfo-btrfs-fedora.txt"),
        SWAPS.key: out("swaps-zram.txt"),
        DMSETUP.key: crypt_tables(lsblk),
        ZRAM_BACKING.key: CommandResult(2, stdout="/sys/block/zram0/backing_dev:none\n"),
    }
    if members is not None:
        results[BTRFS_KEY] = CommandResult(0, stdout=members)
    return LinuxDiskEncryption().parse(results, PLATFORM)


def test_btrfs_spanning_a_plain_disk_is_not_encrypted() -> None:
    """mountinfo names one device of a multi-device btrfs (and an anonymous 0:N device
    number): the other members must be judged too."""
    vols = by_volume(_btrfs(f"{BTRFS_UUID}/dm-0\n{BTRFS_UUID}/sda\n"))
    root = vols["/"]
    assert seen_value(root.encrypted) is False, root
    assert "/dev/sda (disk)" in root.detail and "luks-" in root.detail
    assert root.also_mounted == ("/home",)


def test_btrfs_members_all_encrypted_pass_and_unread_members_are_unknown() -> None:
    other = "/sys/fs/btrfs/0b7f4a1e-9f51-4a53-8c1e-2a77c3d0e9b2/devices/sda\n"
    vols = by_volume(_btrfs(f"{BTRFS_UUID}/dm-0\n{other}"))
    assert seen_value(vols["/"].encrypted) is True
    # Without the list (an older recording), the members are not known.
    unread = by_volume(_btrfs(None))["/"]
    assert seen_value(unread.encrypted) is None
    assert "btrfs" in (reason_text(unread.encrypted) or "")
    # A listing that does not hold the mounted device proves nothing either.
    stray = by_volume(_btrfs(other))["/"]
    assert seen_value(stray.encrypted) is None


# zram writes idle or incompressible pages to a backing device when one is set in
# /sys/block/zramN/backing_dev (Linux drivers/block/zram/Kconfig, ZRAM_WRITEBACK; NixOS
# zramSwap.writebackDevice, checked there with `cat /sys/block/zram0/backing_dev`).
ZRAM_KEY = shlex.join(
    ["grep", "-s", "-H", "", *(f"/sys/block/zram{i}/backing_dev" for i in range(16))]
)


def _zram_swap(backing: CommandResult | None) -> dict[str, VolumeEncryption]:
    """/ on LUKS (the Ubuntu tree), swap on zram0."""
    lsblk = out("lsblk-luks-lvm.json")
    results = {
        LSBLK.key: lsblk,
        MOUNTINFO.key: out("mountinfo-luks-lvm.txt"),
        SWAPS.key: out("swaps-zram.txt"),
        DMSETUP.key: crypt_tables(lsblk),
        BTRFS_DEVICES.key: btrfs_listing(lsblk),
    }
    if backing is not None:
        results[ZRAM_KEY] = backing
    return by_volume(LinuxDiskEncryption().parse(results, PLATFORM))


def test_zram_swap_written_back_to_a_plain_partition_is_not_encrypted() -> None:
    # grep exits 2 for the zram devices that do not exist (-s only hides the messages).
    vols = _zram_swap(CommandResult(2, stdout="/sys/block/zram0/backing_dev:/dev/nvme0n1p2\n"))
    swap = vols["swap:/dev/zram0"]
    assert seen_value(swap.encrypted) is False, swap
    assert "/dev/nvme0n1p2 (part)" in swap.detail


def test_zram_swap_without_a_backing_device_stays_in_ram_and_unread_is_unknown() -> None:
    assert "swap:/dev/zram0" not in _zram_swap(
        CommandResult(2, stdout="/sys/block/zram0/backing_dev:none\n")
    )
    # A kernel without ZRAM_WRITEBACK has no backing_dev file at all.
    assert "swap:/dev/zram0" not in _zram_swap(CommandResult(2))
    unread = _zram_swap(None)["swap:/dev/zram0"]
    assert seen_value(unread.encrypted) is None
    assert "backing_dev" in (reason_text(unread.encrypted) or "")


# Data disks on other buses, in the shapes public captures show:
# - USB disk: RM 0, HOTPLUG 1, TRAN usb (`lsblk -d -o NAME,SIZE,RM,HOTPLUG,MODEL,TRAN` of a
#   Kingston DataTraveler Max, https://github.com/ifd3f/caligula/pull/275); a USB flash
#   disk reads removable 1 (https://github.com/util-linux/util-linux/pull/2011).
# - SD card in a PCIe reader: util-linux 2.31 (Ubuntu 18.04) prints "rm": "0",
#   "hotplug": "1", "tran": null for mmcblk0 (https://github.com/balena-io-modules/
#   drivelist/issues/303); 2.39.1 prints HOTPLUG 0, TRAN mmc
#   (https://github.com/util-linux/util-linux/issues/2379).
# - SATA disk on a hot-plug port: TRAN sata ("tran": "sata" beside "hotplug": "0" in
#   https://github.com/balena-io/etcher/issues/2614); HOTPLUG 1 when firmware marks the
#   port removable (util-linux 2.39+ reads the kernel's `removable` up the device chain,
#   https://github.com/util-linux/util-linux/issues/3088), RM 1 on kernels before 6.10
#   for a hot-plug capable AHCI port (libata "Set the RMB bit only for removable media
#   devices").
DATA_MOUNTS = (
    "28 1 253:0 / / rw,relatime shared:1 - ext4 /dev/mapper/root rw\n"
    "90 28 8:17 / {mp} rw,relatime shared:41 - ext4 /dev/sdb1 rw\n"
)


def _data_disk(disk: dict[str, object], part_type: str = "ext4") -> CommandResult:
    """/ on LUKS on NVMe (the tree of _hotplug_home_lsblk) and a second disk /dev/sdb
    with the flags `disk` gives (its partition has them too, as lsblk prints them)."""
    tree = json.loads(_hotplug_home_lsblk(False).stdout)
    part = {
        "name": "/dev/sdb1",
        "kname": "/dev/sdb1",
        "maj:min": "8:17",
        "type": "part",
        "fstype": part_type,
        **{k: v for k, v in disk.items() if k != "tran"},
    }
    if "tran" in disk:
        part["tran"] = None  # before util-linux 2.39 a partition names no transport
    if part_type == "crypto_LUKS":
        part["children"] = [
            {
                "name": "/dev/mapper/data",
                "kname": "/dev/dm-3",
                "maj:min": "253:3",
                "type": "crypt",
                "fstype": "ext4",
                "rm": False,
                "hotplug": False,
            }
        ]
    tree["blockdevices"][1] = {
        "name": "/dev/sdb", "kname": "/dev/sdb", "maj:min": "8:16", "type": "disk",
        "fstype": None, **disk, "children": [part],
    }  # fmt: skip
    return CommandResult(0, stdout=json.dumps(tree))


def _data_volumes(
    disk: dict[str, object], mp: str = "/data", part_type: str = "ext4"
) -> dict[str, VolumeEncryption]:
    lsblk = _data_disk(disk, part_type)
    majmin = "253:3" if part_type == "crypto_LUKS" else "8:17"
    source = "/dev/mapper/data" if part_type == "crypto_LUKS" else "/dev/sdb1"
    mounts = DATA_MOUNTS.format(mp=mp).replace("8:17", majmin).replace("/dev/sdb1", source)
    results = {
        LSBLK.key: lsblk,
        MOUNTINFO.key: CommandResult(0, stdout=mounts),
        SWAPS.key: out("swaps-empty.txt"),
        DMSETUP.key: crypt_tables(lsblk),
        BTRFS_DEVICES.key: btrfs_listing(lsblk),
        ZRAM_BACKING.key: CommandResult(2, stdout="/sys/block/zram0/backing_dev:none\n"),
    }
    return by_volume(LinuxDiskEncryption().parse(results, PLATFORM))


HOTPLUG_SATA = {"rm": False, "hotplug": True, "tran": "sata"}


@pytest.mark.parametrize("mp", ["/data", "/srv"])
@pytest.mark.parametrize(
    "disk",
    [HOTPLUG_SATA, {"rm": True, "hotplug": True, "tran": "sata"},
     {"rm": "0", "hotplug": "1", "tran": "sata"}, {"rm": False, "hotplug": True, "tran": "nvme"}],
)  # fmt: skip
def test_plain_data_disk_on_a_hot_plug_port_fails(disk: dict[str, object], mp: str) -> None:
    vols = _data_volumes(disk, mp)
    assert seen_value(vols["/"].encrypted) is True
    assert seen_value(vols[mp].encrypted) is False, vols
    assert "/dev/sdb (disk) -> /dev/sdb1 (part)" == vols[mp].detail


def test_encrypted_data_disk_on_a_hot_plug_port_passes() -> None:
    data = _data_volumes(HOTPLUG_SATA, part_type="crypto_LUKS")["/data"]
    assert seen_value(data.encrypted) is True and data.method == "LUKS aes-xts-plain64"


@pytest.mark.parametrize(
    "disk",
    [{"rm": False, "hotplug": True, "tran": "usb"},  # the caligula capture
     {"rm": True, "hotplug": True, "tran": "usb"},  # a USB flash disk
     {"rm": False, "hotplug": False, "tran": "usb"},  # USB, HOTPLUG lost (issue 4112)
     {"rm": "1", "hotplug": "1", "tran": "usb"}],  # util-linux before 2.33
)  # fmt: skip
def test_usb_disk_mounted_under_media_is_not_a_fixed_volume(disk: dict[str, object]) -> None:
    assert set(_data_volumes(disk, "/media/taro/USBDISK")) == {"/"}


def test_sd_cards_are_not_fixed_volumes_but_a_flagless_mmc_disk_is_judged() -> None:
    card = {"name": "/dev/mmcblk0", "kname": "/dev/mmcblk0", "maj:min": "179:0"}
    for flags in ({"rm": "0", "hotplug": "1", "tran": None}, {"rm": False, "hotplug": True}):
        tree = json.loads(_data_disk(flags).stdout)
        tree["blockdevices"][1].update(card)
        tree["blockdevices"][1]["children"][0].update(
            {"name": "/dev/mmcblk0p1", "kname": "/dev/mmcblk0p1", "maj:min": "179:1"}
        )
        fact = LinuxDiskEncryption().parse(
            {
                LSBLK.key: CommandResult(0, stdout=json.dumps(tree)),
                MOUNTINFO.key: CommandResult(
                    0,
                    stdout=DATA_MOUNTS.format(mp="/media/taro/SD")
                    .replace("8:17", "179:1")
                    .replace("/dev/sdb1", "/dev/mmcblk0p1"),
                ),
                SWAPS.key: out("swaps-empty.txt"),
            },
            PLATFORM,
        )
        assert "/media/taro/SD" not in by_volume(fact), flags
    # util-linux 2.39 reports a soldered eMMC (and some card readers) HOTPLUG 0, TRAN mmc:
    # it may be the PC's own storage, so it is judged.
    vols = _data_volumes({"rm": False, "hotplug": False, "tran": "mmc"})
    assert seen_value(vols["/data"].encrypted) is False


@pytest.mark.parametrize(
    "disk",
    [{"rm": False, "hotplug": True, "tran": None}, {"rm": False, "hotplug": True, "tran": ""},
     {"rm": True, "hotplug": True, "tran": None}, {"rm": "1", "hotplug": "1"}],
)  # fmt: skip
def test_hot_plug_disk_of_unknown_transport_is_unknown_not_skipped(
    disk: dict[str, object],
) -> None:
    data = _data_volumes(disk)["/data"]
    assert seen_value(data.encrypted) is None
    assert reason_text(data.encrypted) == (
        "/data is not encrypted, and lsblk marks its disk /dev/sdb hot-pluggable or "
        "removable without naming its transport (USB, SATA, ...): whether it is removable "
        "media plugged in or a fixed disk cannot be told"
    )
    # Encrypted, it is compliant wherever it sits.
    luks = _data_volumes(disk, part_type="crypto_LUKS")["/data"]
    assert seen_value(luks.encrypted) is True


def test_a_usb_disk_that_holds_root_is_the_pcs_own() -> None:
    """A system run from a USB disk: its other volumes are this PC's data."""
    tree = json.loads(_data_disk({"rm": False, "hotplug": True, "tran": "usb"}).stdout)
    tree["blockdevices"][1]["children"].append(
        {"name": "/dev/sdb2", "kname": "/dev/sdb2", "maj:min": "8:18", "type": "part",
         "fstype": "ext4", "rm": False, "hotplug": True}
    )  # fmt: skip
    mounts = (
        "28 1 8:18 / / rw,relatime shared:1 - ext4 /dev/sdb2 rw\n"
        "90 28 8:17 / /data rw,relatime shared:41 - ext4 /dev/sdb1 rw\n"
    )
    fact = LinuxDiskEncryption().parse(
        {
            LSBLK.key: CommandResult(0, stdout=json.dumps(tree)),
            MOUNTINFO.key: CommandResult(0, stdout=mounts),
            SWAPS.key: out("swaps-empty.txt"),
        },
        PLATFORM,
    )
    vols = by_volume(fact)
    assert seen_value(vols["/data"].encrypted) is False


def test_a_recording_made_before_tran_replays_through_the_old_command() -> None:
    """Its lsblk has no TRAN: the old command is asked for once LSBLK is missing, and a
    hot-plug data disk there is unknown, never skipped."""
    collector = LinuxDiskEncryption()
    assert LSBLK_BEFORE_TRAN not in collector.commands(PLATFORM, {})
    assert LSBLK_BEFORE_TRAN in collector.commands(
        PLATFORM, {MOUNTINFO.key: out("swaps-empty.txt")}
    )
    assert LSBLK_BEFORE_TRAN in collector.probe_commands(PLATFORM)
    lsblk = json.loads(_data_disk({"rm": False, "hotplug": True}).stdout)
    results = {
        LSBLK_BEFORE_TRAN.key: CommandResult(0, stdout=json.dumps(lsblk)),
        MOUNTINFO.key: CommandResult(0, stdout=DATA_MOUNTS.format(mp="/data")),
        SWAPS.key: out("swaps-empty.txt"),
    }
    vols = by_volume(collector.parse(results, PLATFORM))
    assert seen_value(vols["/data"].encrypted) is None
    assert (
        LSBLK_BEFORE_TRAN.key
        == "lsblk -J -p -o NAME,KNAME,MAJ:MIN,TYPE,FSTYPE,MOUNTPOINT,RM,HOTPLUG"
    )
