"""Linux disk encryption: what the device-mapper tables say about a `crypt` node.

lsblk calls a device-mapper node `crypt` from its UUID prefix (CRYPT-...), which
cryptsetup gives every mapping it makes, whatever the mapping does. Only the table says
whether the data is encrypted: `dmsetup table` (root) prints each mapping's segments.

The table fixtures follow the formats of these public sources (constructed from them,
not captured from one machine):
- lvm2 `libdm/dm-tools/dmsetup.c` (`_status`): `dmsetup table` without a name prefixes
  each line with `<name>: `, and replaces a crypt key given in hex with zeros unless
  `--showkeys` is given (since 2006); lvm2 `test/shell/dmsetup-keyring.sh` checks both,
  and that a kernel keyring reference (`:64:logon:cryptsetup:...`) is shown as is.
- Linux `drivers/md/dm-crypt.c` (`crypt_status`) and
  `Documentation/admin-guide/device-mapper/dm-crypt.rst`: a crypt line is
  `<start> <length> crypt <cipher> <key> <iv_offset> <device> <offset> [<#opt> <opts>]`.
- cryptsetup `tests/mode-test`: plain, LUKS1 and LUKS2 mappings made with the `null`
  cipher show `cipher_null-ecb` as the fourth field of `dmsetup table` (and
  `cipher: cipher_null-ecb` in `cryptsetup status`); cryptsetup's
  `crypt_is_cipher_null()` (lib/utils_crypt.c) treats any spec containing `cipher_null`
  as no encryption. Its docs/v2.3.5-ReleaseNotes: "many systems started to use it as an
  'empty shell' for LUKS (to enable encryption later). This use is very dangerous and it
  creates a false sense of security."
- cryptsetup `lib/luks2/luks2_json_metadata.c` (`LUKS2_assembly_multisegment_dmd`): a
  LUKS2 device opened while its reencryption is unfinished gets one table line per
  segment, `crypt` for the part done and `linear` (plain data) for the rest; during
  online reencryption `lib/luks2/luks2_reencrypt.c` stacks `<name>-hotzone-*` (linear),
  `<name>-overlay` (those segments) and `<name>` (linear onto the overlay).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from endpoint_audit.checks.disk_encryption.check import judge
from endpoint_audit.checks.disk_encryption.facts import DiskEncryptionFacts, VolumeEncryption
from endpoint_audit.checks.disk_encryption.linux import (
    LSBLK,
    MOUNTINFO,
    SWAPS,
    LinuxDiskEncryption,
    parse_btrfs_devices,
    parse_zram_backing,
)
from endpoint_audit.errors import CollectorError
from endpoint_audit.model.commands import CommandResult
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.model.result import Status
from tests.conftest import FIXTURES
from tests.observed_view import reason_text, seen_value

LINUX = FIXTURES / "linux"
PLATFORM = PlatformInfo(family=OsFamily.LINUX, distro="ubuntu", version="22.04")
# The key of `dmsetup table` as the collector asks for it (shlex.join of its argv).
DM_KEY = "dmsetup table"


def out(name: str) -> CommandResult:
    return CommandResult(0, stdout=(LINUX / name).read_text("utf-8"))


def parse(dm: CommandResult | None, lsblk: CommandResult | None = None) -> DiskEncryptionFacts:
    results = {
        LSBLK.key: lsblk or out("lsblk-luks-lvm.json"),
        MOUNTINFO.key: out("mountinfo-luks-lvm.txt"),
        SWAPS.key: out("swaps-luks-lvm.txt"),
    }
    if dm is not None:
        results[DM_KEY] = dm
    return LinuxDiskEncryption().parse(results, PLATFORM)


def vols(fact: DiskEncryptionFacts) -> dict[str, VolumeEncryption]:
    return {v.volume: v for v in fact.volumes}


def test_the_collector_asks_for_the_device_mapper_tables_as_root() -> None:
    (dm,) = [c for c in LinuxDiskEncryption().commands(PLATFORM, {}) if c.key == DM_KEY]
    assert getattr(dm, "privileged", False) is True
    # Recordings made before this command existed lack it; they replay as unknown.
    assert getattr(dm, "may_be_unrecorded", False) is True


def test_a_real_cipher_on_the_luks_node_is_encrypted_and_named() -> None:
    v = vols(parse(out("dmsetup-table-luks-lvm.txt")))
    for name in ("/", "swap:/dev/dm-2"):
        assert seen_value(v[name].encrypted) is True, v[name]
        assert "aes-xts-plain64" in v[name].detail
    assert judge(v["/"])[0] is Status.PASS
    # The key reference never enters the facts.
    assert "logon" not in json.dumps(parse(out("dmsetup-table-luks-lvm.txt")).model_dump())


def test_a_null_cipher_mapping_is_not_encrypted() -> None:
    v = vols(parse(out("dmsetup-table-null-cipher.txt")))
    for name in ("/", "swap:/dev/dm-2"):
        assert seen_value(v[name].encrypted) is False, v[name]
        assert "cipher_null-ecb" in v[name].detail
    assert judge(v["/"])[0] is Status.FAIL


@pytest.mark.parametrize(
    "cipher", ["cipher_null-ecb", "cipher_null", "null", "capi:ecb(cipher_null)-plain"]
)
def test_every_spelling_of_the_null_cipher_fails(cipher: str) -> None:
    table = f"nvme0n1p3_crypt: 0 998166528 crypt {cipher} - 0 259:3 32768\n"
    v = vols(parse(CommandResult(0, stdout=table)))
    assert seen_value(v["/"].encrypted) is False


def test_unfinished_reencryption_leaves_plain_data_and_fails() -> None:
    v = vols(parse(out("dmsetup-table-reencrypt-encrypt.txt")))
    root = v["/"]
    assert seen_value(root.encrypted) is False, root
    assert "linear" in root.detail
    assert judge(root)[0] is Status.FAIL


def test_crypt_node_without_its_table_is_unknown_never_encrypted() -> None:
    # Not recorded (an older bundle), or recorded but the mapping is not in it.
    for dm in (None, CommandResult(0, stdout="vgubuntu-root: 0 996139008 linear 253:0 2048\n")):
        v = vols(parse(dm))
        root = v["/"]
        assert seen_value(root.encrypted) is None, root
        assert reason_text(root.encrypted), root
        assert judge(root)[0] is Status.UNKNOWN
    # A plain volume needs no table to fail.
    assert seen_value(vols(parse(None))["/boot"].encrypted) is False


@pytest.mark.parametrize(
    "result",
    [
        CommandResult(126, stderr="sudo -n refused: a password is required"),
        CommandResult(
            1,
            stderr="/dev/mapper/control: open failed: Permission denied\n"
            "Failure to communicate with kernel device-mapper driver.\n",
        ),
    ],
)
def test_dmsetup_without_root_makes_crypt_volumes_unknown_naming_root(
    result: CommandResult,
) -> None:
    v = vols(parse(result))
    text = reason_text(v["/"].encrypted) or ""
    assert seen_value(v["/"].encrypted) is None
    assert "root" in text and "dmsetup table" in text
    assert seen_value(v["/boot"].encrypted) is False


def test_dmsetup_missing_or_failing_is_unknown_with_the_output() -> None:
    missing = vols(parse(CommandResult(127, stderr="dmsetup: command not found")))
    assert "dmsetup" in (reason_text(missing["/"].encrypted) or "")
    failed = vols(parse(CommandResult(1, stderr="dmsetup: weird failure")))
    assert "weird failure" in (reason_text(failed["/"].encrypted) or "")
    assert seen_value(failed["/"].encrypted) is None


def test_online_reencryption_stack_judged_by_its_overlay() -> None:
    """/ on <name> (linear onto <name>-overlay), overlay on <name>-hotzone-forward
    (linear onto the partition): the overlay's segments say what is encrypted."""

    def node(name: str, kname: str, majmin: str, children: list[dict[str, object]]) -> dict:
        return {
            "name": name, "kname": kname, "maj:min": majmin, "type": "crypt",
            "fstype": None, "rm": False, "hotplug": False, "children": children,
        }  # fmt: skip

    top = node("/dev/mapper/root", "/dev/dm-2", "253:2", [])
    top["fstype"] = "ext4"
    overlay = node("/dev/mapper/root-overlay", "/dev/dm-1", "253:1", [top])
    hotzone = node("/dev/mapper/root-hotzone-forward", "/dev/dm-0", "253:0", [overlay])
    tree = {
        "blockdevices": [
            {
                "name": "/dev/sda", "kname": "/dev/sda", "maj:min": "8:0", "type": "disk",
                "fstype": None, "rm": False, "hotplug": False,
                "children": [
                    {
                        "name": "/dev/sda2", "kname": "/dev/sda2", "maj:min": "8:2",
                        "type": "part", "fstype": "crypto_LUKS", "rm": False,
                        "hotplug": False, "children": [hotzone],
                    }
                ],
            }
        ]
    }  # fmt: skip
    mounts = "30 1 253:2 / / rw,relatime shared:1 - ext4 /dev/mapper/root rw\n"
    stack = "root-hotzone-forward: 0 2000000 linear 8:2 32768\nroot: 0 2000000 linear 253:1 0\n"

    def judged(overlay_lines: str) -> VolumeEncryption:
        fact = LinuxDiskEncryption().parse(
            {
                LSBLK.key: CommandResult(0, stdout=json.dumps(tree)),
                MOUNTINFO.key: CommandResult(0, stdout=mounts),
                SWAPS.key: out("swaps-empty.txt"),
                DM_KEY: CommandResult(0, stdout=stack + overlay_lines),
            },
            PLATFORM,
        )
        return vols(fact)["/"]

    # Encrypting a plain device: part crypt, part still plain.
    encrypting = judged(
        "root-overlay: 0 1500000 crypt aes-xts-plain64 :64:logon:cryptsetup:x-d1 0 253:0 0\n"
        "root-overlay: 1500000 500000 linear 8:2 1532768\n"
    )
    assert seen_value(encrypting.encrypted) is False
    # Changing the key: old and new key segments, both encrypted all along.
    rekeying = judged(
        "root-overlay: 0 1500000 crypt aes-xts-plain64 :64:logon:cryptsetup:x-d1 0 253:0 0\n"
        "root-overlay: 1500000 500000 crypt aes-xts-plain64 :64:logon:cryptsetup:x-d0 0 "
        "8:2 1532768\n"
    )
    assert seen_value(rekeying.encrypted) is True


def test_a_table_with_a_gap_proves_nothing() -> None:
    table = (
        "nvme0n1p3_crypt: 0 1000 crypt aes-xts-plain64 0000 0 259:3 32768\n"
        "nvme0n1p3_crypt: 2000 1000 crypt aes-xts-plain64 0000 0 259:3 34768\n"
    )
    v = vols(parse(CommandResult(0, stdout=table)))
    assert seen_value(v["/"].encrypted) is None


@pytest.mark.parametrize(
    "garbage",
    [
        "nvme0n1p3_crypt 0 998166528 crypt aes-xts-plain64\n",
        "nvme0n1p3_crypt: zero 998166528 crypt aes-xts-plain64 0 0 259:3 0\n",
        "nvme0n1p3_crypt: 0 998166528 crypt\n",
    ],
)
def test_lines_not_understood_are_an_error_not_skipped(garbage: str) -> None:
    good = (LINUX / "dmsetup-table-luks-lvm.txt").read_text("utf-8")
    with pytest.raises(CollectorError, match="dmsetup table"):
        parse(CommandResult(0, stdout=good + garbage))


def test_no_devices_found_with_a_crypt_node_in_lsblk_is_unknown() -> None:
    v = vols(parse(CommandResult(0, stdout="No devices found\n")))
    assert seen_value(v["/"].encrypted) is None
    assert seen_value(v["/boot"].encrypted) is False


_TARGETS = st.sampled_from(["crypt", "linear", "error", "zero", "striped", "crypt "])
_REAL = ("aes-xts-plain64", "capi:xts(aes)-plain64")
_CIPHERS = st.sampled_from([*_REAL, "cipher_null-ecb", "null", "-", "", "0", "x\ty"])


@settings(max_examples=300, deadline=None)
@given(
    segments=st.lists(
        st.tuples(st.integers(0, 3_000_000), _TARGETS, _CIPHERS, st.integers(-2, 2)),
        max_size=4,
    ),
    junk=st.sampled_from(["", "\n", "No devices found", "x", "other: 0 8 crypt aes 0 0 8:1 0"]),
)
def test_any_table_is_judged_or_refused_and_never_encrypted_unless_all_crypt(
    segments: list[tuple[int, str, str, int]], junk: str
) -> None:
    """Segments mostly contiguous (shift 0), some with a gap or an overlap."""
    lines, position, starts = [], 0, []
    for length, target, cipher, shift in segments:
        start = max(position + shift, 0)
        starts.append((start, length))
        lines.append(f"nvme0n1p3_crypt: {start} {length} {target} {cipher} 0 0 259:3 32768")
        position = start + length
    text = "\n".join([*lines, junk]) + "\n"
    try:
        root = vols(parse(CommandResult(0, stdout=text)))["/"]
    except CollectorError:
        return
    if seen_value(root.encrypted) is True:
        # Only crypt lines with a real cipher that cover the device from sector 0
        # without a gap may count as encrypted.
        assert segments and all(t == "crypt" and c in _REAL for _, t, c, _ in segments)
        position = 0
        for start, length in starts:
            assert start == position and length > 0
            position += length
    elif seen_value(root.encrypted) is False:
        # A crypt node makes a plain verdict only for what its table shows plain.
        assert root.why_plain in ("null_cipher", "partly_plain"), root


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(alphabet="abcdm-0123/:", max_size=12).map(
                lambda name: f"/sys/fs/btrfs/u1/devices/{name}"
            ),
            st.text(max_size=30),
        ),
        max_size=5,
    )
)
def test_btrfs_listing_is_read_or_refused_never_guessed(lines: list[str]) -> None:
    text = "\n".join(lines) + "\n"
    try:
        members = parse_btrfs_devices(text)
    except CollectorError:
        return
    for uuid, names in members.items():
        for name in names:
            assert "/" not in name and name
            assert f"/sys/fs/btrfs/{uuid}/devices/{name}" in lines


def test_encrypted_root_does_not_cover_a_plain_swap_partition_or_data_disk() -> None:
    """The volumes are judged one by one: LUKS under / says nothing of a swap partition
    or a data file system on another, plain partition."""
    tree = json.loads((LINUX / "lsblk-luks-lvm.json").read_text("utf-8"))
    disk = tree["blockdevices"][0]
    disk["children"] += [
        {
            "name": "/dev/nvme0n1p4", "kname": "/dev/nvme0n1p4", "maj:min": "259:4",
            "type": "part", "fstype": "swap", "rm": False, "hotplug": False,
        },
        {
            "name": "/dev/nvme0n1p5", "kname": "/dev/nvme0n1p5", "maj:min": "259:5",
            "type": "part", "fstype": "ext4", "rm": False, "hotplug": False,
        },
    ]  # fmt: skip
    mounts = (LINUX / "mountinfo-luks-lvm.txt").read_text("utf-8") + (
        "90 30 259:5 / /srv/data rw,relatime shared:50 - ext4 /dev/nvme0n1p5 rw\n"
    )
    swaps = "Filename\tType\tSize\tUsed\tPriority\n/dev/nvme0n1p4 partition 8388604 0 -2\n"
    fact = LinuxDiskEncryption().parse(
        {
            LSBLK.key: CommandResult(0, stdout=json.dumps(tree)),
            MOUNTINFO.key: CommandResult(0, stdout=mounts),
            SWAPS.key: CommandResult(0, stdout=swaps),
            DM_KEY: out("dmsetup-table-luks-lvm.txt"),
        },
        PLATFORM,
    )
    v = vols(fact)
    assert judge(v["/"])[0] is Status.PASS
    assert judge(v["swap:/dev/nvme0n1p4"])[0] is Status.FAIL
    assert judge(v["/srv/data"])[0] is Status.FAIL


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.integers(0, 20), st.sampled_from(["none", "/dev/sda5", "", " x"])).map(
                lambda item: f"/sys/block/zram{item[0]}/backing_dev:{item[1]}"
            ),
            st.text(max_size=30),
        ),
        max_size=5,
    )
)
def test_zram_backing_is_read_or_refused_and_none_is_no_device(lines: list[str]) -> None:
    text = "\n".join(lines) + "\n"
    try:
        backing = parse_zram_backing(text)
    except CollectorError:
        return
    for number, device in backing.items():
        assert device not in ("", "none")
        assert any(
            line.startswith(f"/sys/block/zram{number}/backing_dev:") and device in line
            for line in lines
        )


def test_dmsetup_without_the_device_mapper_driver_is_unknown_not_root() -> None:
    # Captured from `dmsetup table` (dmsetup 1.02.185) as root on the Debian 12 container
    # this project's tests run in, whose kernel offers no device-mapper driver to it.
    failed = CommandResult(
        1,
        stderr=(
            "/dev/mapper/control: open failed: No such device\n"
            "Failure to communicate with kernel device-mapper driver.\n"
            "Check that device-mapper is available in the kernel.\n"
            "Incompatible libdevmapper 1.02.185 (2022-05-18) and kernel driver (unknown version).\n"
            "Command failed.\n"
        ),
    )
    root = vols(parse(failed))["/"]
    text = reason_text(root.encrypted) or ""
    assert seen_value(root.encrypted) is None
    assert text.startswith("dmsetup table exited 1: /dev/mapper/control: open failed: No such")
    assert "only as root" not in text  # not taken for a missing privilege
