"""Property: the Linux disk encryption parser never reports a volume as seen unless it
read it. On arbitrary mount tables and device trees, a volume is `Seen(True)` only when
every device path under it passes through a crypt node, and a volume whose device the
tree does not list (or, without lsblk, any volume) is `Unknown` with a catalog reason."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from endpoint_audit.checks.disk_encryption.linux import (
    DMSETUP,
    LSBLK,
    MOUNTINFO,
    SWAPS,
    LinuxDiskEncryption,
)
from endpoint_audit.errors import CollectorError
from endpoint_audit.model import i18n
from endpoint_audit.model.commands import CommandResult
from endpoint_audit.model.observed import Seen, Unknown
from endpoint_audit.model.platform import OsFamily, PlatformInfo

LINUX = PlatformInfo(family=OsFamily.LINUX)
NAMES = [f"/dev/d{i}" for i in range(6)]
TYPES = ["disk", "part", "crypt", "lvm", "loop", "rom", ""]
FSTYPES = ["ext4", "xfs", "btrfs", "overlay", "tmpfs", "nfs4", "zfs", "vfat", "crypto_LUKS"]
MOUNTPOINTS = ["/", "/home", "/srv", "/data", "/boot"]
MAJMIN = ["8:0", "8:1", "253:0", "253:1", "254:0"]
LVM = ["/dev/mapper/vg-root", "/dev/mapper/vg-home"]


def _node(depth: int) -> st.SearchStrategy[dict[str, Any]]:
    """Any tree: names and numbers from small pools, so mounts and nodes meet."""
    base = st.fixed_dictionaries(
        {
            "name": st.sampled_from(NAMES),
            "kname": st.sampled_from(NAMES),
            "maj:min": st.sampled_from(MAJMIN),
            "type": st.sampled_from(TYPES),
            "fstype": st.one_of(st.none(), st.sampled_from(FSTYPES)),
            "rm": st.booleans(),
            "hotplug": st.booleans(),
        }
    )
    if depth == 0:
        return base
    return st.builds(
        lambda node, children: {**node, "children": children} if children else node,
        base,
        st.lists(_node(depth - 1), max_size=2),
    )


@st.composite
def _stack(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Disks with partitions, dm-crypt and LVM stacked as installers lay them out; an
    LVM name may sit under two disks (a volume group spanning both)."""
    disks: list[dict[str, Any]] = []
    for d in range(draw(st.integers(1, 3))):
        kinds = ["disk", *draw(st.lists(st.sampled_from(["part", "crypt", "lvm"]), max_size=3))]
        node: dict[str, Any] | None = None
        for depth in reversed(range(len(kinds))):
            kind = kinds[depth]
            name = draw(st.sampled_from(LVM)) if kind == "lvm" else f"/dev/s{d}l{depth}"
            entry: dict[str, Any] = {
                "name": name,
                "kname": name,
                "maj:min": draw(st.sampled_from(MAJMIN)),
                "type": kind,
                "fstype": draw(st.sampled_from([None, "crypto_LUKS", "ext4"])),
                "rm": False,
                "hotplug": False,
            }
            if node is not None:
                entry["children"] = [node]
            node = entry
        assert node is not None
        disks.append(node)
    return disks


_MOUNT = st.builds(
    lambda i, majmin, mp, fstype, source: (
        f"{i} 1 {majmin} / {mp} rw,relatime - {fstype} {source} rw"
    ),
    st.integers(1, 99),
    st.sampled_from([*MAJMIN, "0:21"]),
    st.sampled_from(MOUNTPOINTS),
    st.one_of(st.just("ext4"), st.sampled_from(FSTYPES)),
    st.sampled_from([*NAMES, *LVM, "/dev/s0l1", "/dev/s0l2", "/dev/s1l2", "/dev/root", "none"]),
)


def _parse(mountinfo: str, lsblk: CommandResult, swaps: str = "") -> Any:
    results = {
        MOUNTINFO.key: CommandResult(0, stdout=mountinfo),
        SWAPS.key: CommandResult(0, stdout="Filename Type Size Used Priority\n" + swaps),
        LSBLK.key: lsblk,
    }
    return LinuxDiskEncryption().parse(results, LINUX)


def _assert_reasons_render(volumes: Any) -> None:
    for vol in volumes:
        if isinstance(vol.encrypted, Unknown):
            key = vol.encrypted.reason.key
            assert key.startswith("disk_encryption.reason.")
            for lang in ("en", "ja"):
                text = i18n.render_message(lang, key, dict(vol.encrypted.reason.args))
                assert text, (lang, key)


@settings(max_examples=300, deadline=None)
@given(
    mounts=st.lists(_MOUNT, min_size=1, max_size=6),
    tree=st.one_of(_stack(), st.lists(_node(3), max_size=4)),
)
def test_a_volume_is_seen_encrypted_only_through_crypt_nodes(
    mounts: list[str], tree: list[dict[str, Any]]
) -> None:
    lsblk = CommandResult(0, stdout=json.dumps({"blockdevices": tree}))
    try:
        fact = _parse("\n".join(mounts) + "\n", lsblk)
    except CollectorError:
        return
    for vol in fact.volumes:
        if isinstance(vol.encrypted, Seen) and vol.encrypted.value is True:
            chains = vol.detail.split("; ")
            assert chains and all("(crypt)" in c for c in chains), vol
    _assert_reasons_render(fact.volumes)


@settings(max_examples=200, deadline=None)
@given(
    mounts=st.lists(_MOUNT, min_size=1, max_size=6),
    swaps=st.lists(st.sampled_from(NAMES), max_size=2),
    exit_status=st.sampled_from([1, 2, 127]),
    junk=st.text(max_size=80),
)
def test_without_a_device_tree_nothing_is_seen(
    mounts: list[str], swaps: list[str], exit_status: int, junk: str
) -> None:
    swap_lines = "".join(f"{s} partition 1024 0 -2\n" for s in swaps)
    lsblk = CommandResult(exit_status, stdout=junk, stderr=junk)
    fact = _parse("\n".join(mounts) + "\n", lsblk, swap_lines)
    assert fact.volumes
    assert all(isinstance(v.encrypted, Unknown) for v in fact.volumes), fact.volumes
    _assert_reasons_render(fact.volumes)


# Every value lsblk gives RM and HOTPLUG (JSON booleans, or "0"/"1" before util-linux
# 2.33) and TRAN (lib get_transport(), none, or the key missing before it was asked for).
FLAGS = st.sampled_from([True, False, "1", "0", None])
FIXED_TRAN = st.sampled_from(
    ["sata", "ata", "nvme", "sas", "spi", "fc", "fcoe", "iscsi", "virtio", "SATA", "", None]
)


@settings(max_examples=300, deadline=None)
@given(
    disk=st.fixed_dictionaries({"rm": FLAGS, "hotplug": FLAGS}, optional={"tran": FIXED_TRAN}),
    part=st.fixed_dictionaries({"rm": FLAGS, "hotplug": FLAGS}, optional={"tran": FIXED_TRAN}),
    name=st.sampled_from(["/dev/sdb", "/dev/nvme1n1", "/dev/vdb", "/dev/xvdb"]),
    mp=st.sampled_from(["/data", "/srv", "/media/taro/DATA", "/mnt/x", "/home"]),
)
def test_a_plain_disk_on_no_removable_bus_never_passes(
    disk: dict[str, Any], part: dict[str, Any], name: str, mp: str
) -> None:
    """Whatever RM, HOTPLUG and TRAN say, a mounted cleartext disk whose transport is
    not USB, FireWire or MMC is judged: it fails or is unknown, never passes or vanishes."""
    tree = [
        {"name": "/dev/nvme0n1", "kname": "/dev/nvme0n1", "maj:min": "259:0", "type": "disk",
         "fstype": "crypto_LUKS", "rm": False, "hotplug": False, "tran": "nvme",
         "children": [{"name": "/dev/mapper/root", "kname": "/dev/dm-0", "maj:min": "253:0",
                       "type": "crypt", "fstype": "ext4", "rm": False, "hotplug": False}]},
        {"name": name, "kname": name, "maj:min": "8:16", "type": "disk", "fstype": None,
         **disk, "children": [{"name": name + "1", "kname": name + "1", "maj:min": "8:17",
                               "type": "part", "fstype": "ext4", **part}]},
    ]  # fmt: skip
    mounts = (
        "28 1 253:0 / / rw,relatime - ext4 /dev/mapper/root rw\n"
        f"90 28 8:17 / {mp} rw,relatime - ext4 {name}1 rw\n"
    )
    results = {
        MOUNTINFO.key: CommandResult(0, stdout=mounts),
        SWAPS.key: CommandResult(0, stdout="Filename Type Size Used Priority\n"),
        LSBLK.key: CommandResult(0, stdout=json.dumps({"blockdevices": tree})),
        DMSETUP.key: CommandResult(
            0, stdout=f"root: 0 2097152 crypt aes-xts-plain64 {'0' * 64} 0 259:1 4096\n"
        ),
    }
    vols = {v.volume: v for v in LinuxDiskEncryption().parse(results, LINUX).volumes}
    assert isinstance(vols["/"].encrypted, Seen) and vols["/"].encrypted.value is True
    data = vols[mp]  # judged: not left out as removable media
    assert not (isinstance(data.encrypted, Seen) and data.encrypted.value is True), data
    _assert_reasons_render(vols.values())
