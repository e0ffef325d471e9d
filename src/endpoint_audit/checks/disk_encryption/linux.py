"""dm-crypt/LUKS on Linux: which fixed volumes that hold data sit on an encrypted device.

Sources, none of which needs root:
- `/proc/self/mountinfo`: every mount with its device number (major:minor), source and
  file system type. The device number finds the device even when the source is a name
  lsblk does not print (`/dev/root`, `/dev/dm-0`, a by-uuid link).
- `/proc/swaps`: swap partitions and swap files.
- `find /sys/fs/btrfs ... devices/*`: the member devices of each btrfs file system, every
  one of which must be encrypted (mountinfo names only one).
- `/sys/block/zramN/backing_dev`: where zram swap writes pages back, when it does; that
  device is judged as the swap's.
- `lsblk -J -p`: the block device tree. A volume is encrypted when every path from a disk
  up to its device passes through a node that encrypts (an LVM volume spanning two disks
  is listed once under each; both must be encrypted). Its RM, HOTPLUG and TRAN columns
  tell removable media (left out unless at / or /home) from fixed disks (_disk_media).

And one that does: `dmsetup table` (root), the device-mapper tables. lsblk calls a node
`crypt` from its UUID prefix alone (CRYPT-..., which cryptsetup gives every mapping it
makes); only the table says what the mapping does. A node encrypts when its table is
dm-crypt segments with a real cipher covering the device from sector 0 without a gap. A
`cipher_null` segment (cryptsetup's empty cipher, used for testing and for a header made
before `reencrypt --encrypt`) is plain data, and so is a `linear` segment beside crypt
ones (a LUKS2 device whose encryption or decryption is unfinished): such a volume is not
encrypted. A `crypt` node whose table could not be read (no root, no dmsetup, a recording
without it) leaves the volume unknown; a path without any crypt node is plain either way.

Whatever cannot be traced to a block device (an overlay or container root, a name missing
from lsblk, no lsblk at all, a network file system at / or /home) is reported with
`encrypted` unknown with the reason (a `disk_encryption.reason.*` key), never as encrypted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from msgspec import Struct, field

from endpoint_audit.checkkit.collector import Collector, Results, json_output, require
from endpoint_audit.checkkit.lines import host_lines
from endpoint_audit.checks.disk_encryption.facts import (
    DiskEncryptionFacts,
    VolumeEncryption,
    VolumeKind,
)
from endpoint_audit.errors import CollectorError, FactUnavailable
from endpoint_audit.model.commands import Argv, Command, CommandResult, ReadFile
from endpoint_audit.model.observed import Observed, Reason, Seen, Unknown, seen
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.model.result import JsonScalar

# MOUNTPOINT (not MOUNTPOINTS) because every util-linux with JSON output knows it; the
# parser also reads the MOUNTPOINTS shape of newer versions. Mount points are taken from
# mountinfo anyway: lsblk shows only the first one. Every column here predates -J
# (util-linux 2.27): TRAN came in 2.23, HOTPLUG in 2.26 (RHEL 8 ships 2.32).
LSBLK_COLUMNS = "NAME,KNAME,MAJ:MIN,TYPE,FSTYPE,MOUNTPOINT,RM,HOTPLUG"
LSBLK = Argv(("lsblk", "-J", "-p", "-o", f"{LSBLK_COLUMNS},TRAN"), may_be_unrecorded=True)
# What releases before TRAN asked: replaying a recording of theirs, it is asked for when
# LSBLK is missing, and its hot-plug disks have no known transport (never skipped).
LSBLK_BEFORE_TRAN = Argv(("lsblk", "-J", "-p", "-o", LSBLK_COLUMNS))
MOUNTINFO = ReadFile("/proc/self/mountinfo")
SWAPS = ReadFile("/proc/swaps")
# dmsetup lives in sbin, which is not on an ordinary user's PATH on Debian. Without
# --showkeys it prints zeros for a key given in hex (lvm2 dmsetup.c, since 2006) and a
# kernel keyring reference as is; the parser keeps neither.
SBIN_ENV = (
    ("LC_ALL", "C"),
    ("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
)
DMSETUP = Argv(("dmsetup", "table"), privileged=True, env=SBIN_ENV, may_be_unrecorded=True)
# The members of every mounted btrfs file system: the kernel links each one by its bare
# device name under /sys/fs/btrfs/<UUID>/devices/ (fs/btrfs/sysfs.c). mountinfo names one
# device of a btrfs that spans several (and an anonymous 0:N device number), so the
# others are found here. World-readable.
# zram keeps swap in RAM unless a backing device is set: then idle or incompressible pages
# are written there as they are (drivers/block/zram/Kconfig, ZRAM_WRITEBACK: "admin should
# set up backing device via /sys/block/zramX/backing_dev"). "none" when unset; no file
# without that kernel option. grep -s exits 2 for the devices that do not exist.
ZRAM_DEVICES = 16
ZRAM_BACKING = Argv(
    ("grep", "-s", "-H", "", *(f"/sys/block/zram{i}/backing_dev" for i in range(ZRAM_DEVICES))),
    may_be_unrecorded=True,
)
BTRFS_DIR = "/sys/fs/btrfs"
BTRFS_DEVICES = Argv(
    ("find", BTRFS_DIR, "-mindepth", "3", "-maxdepth", "3", "-path", f"{BTRFS_DIR}/*/devices/*"),
    may_be_unrecorded=True,
)

# Kernel and memory file systems: they hold nothing on disk.
PSEUDO_FS = frozenset(
    {
        "autofs", "binfmt_misc", "bpf", "cgroup", "cgroup2", "configfs", "debugfs",
        "devpts", "devtmpfs", "efivarfs", "fusectl", "hugetlbfs", "mqueue", "nsfs",
        "proc", "pstore", "ramfs", "rpc_pipefs", "securityfs", "selinuxfs", "sysfs",
        "tmpfs", "tracefs", "nfsd", "fuse.lxcfs", "fuse.gvfsd-fuse", "fuse.portal",
        "fuse.snapfuse",
    }
)  # fmt: skip
# Read-only images (snaps, ISO files, optical discs): no user data is written there.
IMAGE_FS = frozenset({"squashfs", "iso9660", "udf", "erofs"})
# Stacked on another mount that is judged itself.
STACKED_FS = frozenset({"ecryptfs", "fuse.encfs", "fuse.gocryptfs", "shiftfs"})
NETWORK_FS = frozenset(
    {
        "nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "virtiofs", "ceph", "glusterfs",
        "fuse.sshfs", "fuse.glusterfs", "fuse.rclone", "fuse.s3fs", "afs", "davfs",
        "fuse.davfs2", "lustre", "gfs2", "ocfs2",
    }
)  # fmt: skip
# Where a PC keeps its data: a network or virtual file system here is reported as unknown,
# elsewhere it is not a volume of this PC.
DATA_MOUNTS = ("/", "/home")

_OCTAL = re.compile(r"\\([0-7]{3})")


def _unescape(text: str) -> str:
    """mountinfo and /proc/swaps write space, tab, newline and backslash as \\ooo."""
    return _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), text)


def _flag(value: Any) -> bool:
    """lsblk booleans: true/false, or "1"/"0" from util-linux before 2.33."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    return isinstance(value, str) and value.strip().lower() in ("1", "true")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


class Node(Struct, frozen=True):
    name: str
    kname: str | None
    majmin: str | None
    type: str
    fstype: str | None
    rm: bool = False
    hotplug: bool = False
    tran: str | None = None  # lsblk TRAN, lower case; None when lsblk names none


class DeviceTree(Struct):
    """Every path from a top-level device down to each node, by name, kname and maj:min."""

    chains: dict[str, list[tuple[Node, ...]]] = field(default_factory=dict)

    def add(self, chain: tuple[Node, ...]) -> None:
        node = chain[-1]
        for key in {node.name, node.kname, node.majmin}:
            if key:
                self.chains.setdefault(key, []).append(chain)

    def find(self, *keys: str | None) -> list[tuple[Node, ...]]:
        for key in keys:
            if key and key in self.chains:
                return self.chains[key]
        return []


def parse_lsblk(data: Any) -> DeviceTree:
    """The tree of `lsblk -J`; accepts MOUNTPOINT or MOUNTPOINTS and all-string values."""
    if not isinstance(data, dict) or not isinstance(data.get("blockdevices"), list):
        raise CollectorError("lsblk: JSON without a 'blockdevices' list")
    tree = DeviceTree()

    def walk(entries: Iterable[Any], above: tuple[Node, ...], depth: int) -> None:
        if depth > 32:  # a device stack is a few levels deep; refuse a malicious nesting
            raise CollectorError("lsblk: device tree nested too deeply")
        for entry in entries:
            if not isinstance(entry, dict):
                raise CollectorError("lsblk: device entry is not an object")
            name = _text(entry.get("name"))
            if name is None:
                raise CollectorError("lsblk: device without a name")
            node = Node(
                name=name,
                kname=_text(entry.get("kname")),
                majmin=_text(entry.get("maj:min")),
                type=(_text(entry.get("type")) or "").lower(),
                fstype=_text(entry.get("fstype")),
                rm=_flag(entry.get("rm")),
                hotplug=_flag(entry.get("hotplug")),
                tran=(_text(entry.get("tran")) or "").lower() or None,
            )
            chain = (*above, node)
            tree.add(chain)
            children = entry.get("children")
            if isinstance(children, list):
                walk(children, chain, depth + 1)

    walk(data["blockdevices"], (), 0)
    return tree


class Mount(Struct, frozen=True):
    mountpoint: str
    majmin: str
    root: str
    fstype: str
    source: str


def parse_mountinfo(text: str) -> list[Mount]:
    """Lines of /proc/self/mountinfo: id parent maj:min root mountpoint opts [tags] - fs src."""
    mounts: list[Mount] = []
    for line in host_lines(text):
        fields = line.split(" ")
        if len(fields) < 10:
            continue
        try:
            sep = fields.index("-", 6)
        except ValueError:
            continue
        if len(fields) < sep + 3:
            continue
        mounts.append(
            Mount(
                mountpoint=_unescape(fields[4]),
                majmin=fields[2],
                root=_unescape(fields[3]),
                fstype=fields[sep + 1],
                source=_unescape(fields[sep + 2]),
            )
        )
    return mounts


class Swap(Struct, frozen=True):
    path: str
    kind: str  # partition or file


def parse_swaps(text: str) -> list[Swap]:
    """/proc/swaps: a header line, then `Filename Type Size Used Priority`."""
    swaps: list[Swap] = []
    for line in host_lines(text)[1:]:
        fields = line.split()
        if len(fields) >= 2:
            swaps.append(Swap(path=_unescape(fields[0]), kind=fields[1]))
    return swaps


class Segment(Struct, frozen=True):
    """One line of a device-mapper table; the cipher for crypt lines, never the key."""

    start: int
    length: int
    target: str
    cipher: str | None = None


_DM_LINE = re.compile(
    r"(?P<name>.+?): (?P<start>[0-9]{1,20}) (?P<length>[0-9]{1,20}) (?P<target>[^ ]+)"
    r"(?: (?P<params>.*))?"
)
# Cipher specs as dm-crypt takes them: aes-xts-plain64, capi:xts(aes)-plain64, ...
_CIPHER = re.compile(r"[A-Za-z0-9_:().,+\-]*[A-Za-z][A-Za-z0-9_:().,+\-]*")


def _matched_lines(
    text: str, pattern: re.Pattern[str], what: str, skip: tuple[str, ...] = ()
) -> Iterable[tuple[int, re.Match[str]]]:
    """Each line of `text` (by number) that `pattern` matches whole; blank lines and
    those in `skip` aside, a line it does not match is an error naming `what`."""
    for number, line in enumerate(host_lines(text), 1):
        if not line.strip() or line.strip() in skip:
            continue
        match = pattern.fullmatch(line.rstrip("\r"))
        if match is None:
            raise CollectorError(f"{what}: line {number} not understood")
        yield number, match


def parse_dm_tables(text: str) -> dict[str, tuple[Segment, ...]]:
    """`dmsetup table` for every device: `<name>: <start> <length> <target> <params>`.

    A line not understood is an error, not skipped: a dropped `linear` line would leave
    the crypt lines of a partly plain device looking like the whole table."""
    tables: dict[str, list[Segment]] = {}
    for number, match in _matched_lines(text, _DM_LINE, "dmsetup table", ("No devices found",)):
        target = match["target"]
        cipher = None
        if target == "crypt":
            # <cipher> <key> <iv_offset> <device> <offset> [<#opt_params> <opt_params>],
            # one space apart as the kernel prints them: a tab is part of a field.
            params = (match["params"] or "").split(" ")
            if len(params) < 5:
                raise CollectorError(f"dmsetup table: crypt line {number} has too few fields")
            cipher = params[0]
        tables.setdefault(match["name"], []).append(
            Segment(int(match["start"]), int(match["length"]), target, cipher)
        )
    return {name: tuple(segments) for name, segments in tables.items()}


_ZRAM_LINE = re.compile(r"/sys/block/zram([0-9]+)/backing_dev:(.*)")


def parse_zram_backing(text: str) -> dict[int, str]:
    """zram number -> its backing device; devices set to "none" are left out."""
    backing: dict[int, str] = {}
    for _, match in _matched_lines(text, _ZRAM_LINE, "zram backing_dev"):
        device = match.group(2).strip()
        if device and device != "none":
            backing[int(match.group(1))] = device
    return backing


_BTRFS_LINE = re.compile(re.escape(BTRFS_DIR) + r"/([^/]+)/devices/([^/]+)")


def parse_btrfs_devices(text: str) -> dict[str, frozenset[str]]:
    """File system UUID -> its members' bare device names (dm-0, sda2)."""
    members: dict[str, set[str]] = {}
    for _, match in _matched_lines(text, _BTRFS_LINE, f"{BTRFS_DIR} listing"):
        members.setdefault(match.group(1), set()).add(match.group(2))
    return {uuid: frozenset(names) for uuid, names in members.items()}


class DmTables(Struct, frozen=True):
    """The tables `dmsetup table` printed, or why they are not known (`tables` None)."""

    tables: dict[str, tuple[Segment, ...]] | None
    reason: Reason | None = None


def is_null_cipher(cipher: str) -> bool:
    """cryptsetup's crypt_is_cipher_null(): any spec naming cipher_null, or "null"."""
    text = cipher.lower()
    return "cipher_null" in text or text == "null" or text.startswith("null-")


# What one device-mapper node does to the data under it.
ENCRYPTS, NULL_CIPHER, PARTLY_PLAIN, NO_CRYPT, UNCLEAR = (
    "encrypts", "null_cipher", "partly_plain", "no_crypt", "unclear",
)  # fmt: skip


def _segments_text(segments: tuple[Segment, ...]) -> str:
    total = sum(s.length for s in segments) or 1
    parts = []
    for s in segments:
        what = f"{s.target} {s.cipher}" if s.cipher else s.target
        parts.append(what if len(segments) == 1 else f"{what} {100 * s.length / total:.0f}%")
    return ", ".join(parts)


def node_verdict(segments: tuple[Segment, ...]) -> str:
    """ENCRYPTS only for crypt segments with a real cipher from sector 0 without a gap."""
    position = 0
    for s in segments:
        if s.start != position or s.length <= 0:
            return UNCLEAR  # a gap or overlap: the table does not cover the device
        position += s.length
    crypt = [s for s in segments if s.target == "crypt"]
    if any(is_null_cipher(s.cipher or "") for s in crypt):
        return NULL_CIPHER
    if any(_CIPHER.fullmatch(s.cipher or "") is None for s in crypt):
        return UNCLEAR
    if not crypt:
        return NO_CRYPT
    return ENCRYPTS if len(crypt) == len(segments) else PARTLY_PLAIN


def _dm_name(node: Node) -> str | None:
    prefix = "/dev/mapper/"
    return node.name[len(prefix) :] if node.name.startswith(prefix) else None


class _ChainVerdict(Struct, frozen=True):
    encrypted: bool | None
    method: str | None
    detail: str
    why_plain: Literal["null_cipher", "partly_plain"] | None = None
    reason: Reason | None = None


def _luks(chain: tuple[Node, ...], i: int) -> str:
    parent = chain[i - 1] if i else None
    luks = parent is not None and (parent.fstype or "").lower() == "crypto_luks"
    return "LUKS" if luks else "dm-crypt"


def judge_chain(chain: tuple[Node, ...], dm: DmTables) -> _ChainVerdict:
    """One path from a disk to the device: encrypted when a node on it encrypts."""
    texts: list[str] = []
    method: str | None = None
    plain: Literal["null_cipher", "partly_plain"] | None = None
    reason: Reason | None = None
    for i, node in enumerate(chain):
        name = _dm_name(node)
        segments = dm.tables.get(name) if dm.tables is not None and name else None
        if segments is None:
            texts.append(f"{node.name} ({node.type})" if node.type else node.name)
            if node.type == "crypt" and reason is None:
                reason = dm.reason or why("dm_table_missing", device=node.name)
            continue
        verdict = node_verdict(segments)
        table = _segments_text(segments)
        same = len(segments) == 1 and segments[0].target == node.type
        texts.append(f"{node.name} ({table})" if same else f"{node.name} ({node.type}: {table})")
        if verdict == ENCRYPTS and method is None:
            method = f"{_luks(chain, i)} {segments[0].cipher}"
        elif verdict == NULL_CIPHER:
            plain = plain or "null_cipher"
        elif verdict == PARTLY_PLAIN:
            plain = plain or "partly_plain"
        elif node.type == "crypt" and reason is None and verdict in (NO_CRYPT, UNCLEAR):
            reason = why("dm_table_unclear", device=node.name, table=_segments_text(segments))
    detail = " -> ".join(texts)
    if method is not None:
        return _ChainVerdict(True, method, detail)
    if plain is not None:
        return _ChainVerdict(False, None, detail, why_plain=plain)
    if reason is not None:
        return _ChainVerdict(None, None, detail, reason=reason)
    return _ChainVerdict(False, None, detail)


def judge_chains(
    volume: str, kind: VolumeKind, chains: list[tuple[Node, ...]], device: str, dm: DmTables
) -> VolumeEncryption:
    """Encrypted only when every path to the device passes through a node that encrypts;
    a path shown plain makes it plain, else one not seen makes it unknown."""
    verdicts = [judge_chain(c, dm) for c in chains]
    detail = "; ".join(v.detail for v in verdicts)
    plain = [v for v in verdicts if v.encrypted is False]
    unseen = [v for v in verdicts if v.encrypted is None]
    encrypted: Observed[bool] = seen(True)
    method = verdicts[0].method
    why_plain = None
    if plain:
        encrypted, method = seen(False), None
        why_plain = next((v.why_plain for v in plain if v.why_plain), None)
    elif unseen:
        encrypted = Unknown(reason=unseen[0].reason or why("dm_table_missing", device=device))
        method = None
    return VolumeEncryption(
        volume=volume,
        kind=kind,
        device=device,
        encrypted=encrypted,
        method=method,
        detail=detail,
        why_plain=why_plain,
    )


REASON = "disk_encryption.reason"


def why(name: str, **args: JsonScalar) -> Reason:
    """A reason of this check: `disk_encryption.reason.<name>` with its arguments."""
    return Reason(key=f"{REASON}.{name}", args=dict(args))


def unknown(volume: str, kind: VolumeKind, device: str | None, reason: Reason) -> VolumeEncryption:
    return VolumeEncryption(
        volume=volume,
        kind=kind,
        device=device,
        encrypted=Unknown(reason=reason),
    )


def _is_ram(chains: list[tuple[Node, ...]]) -> bool:
    return any(c[-1].name.startswith(("/dev/zram", "/dev/ram")) for c in chains)


def _mount_kind(mountpoint: str) -> VolumeKind:
    return "root" if mountpoint == "/" else "data"


def _order(mount: Mount) -> tuple[int, int, str]:
    # "/" first, then the shortest mount point: the name an administrator knows the volume by.
    return (mount.mountpoint != "/", len(mount.mountpoint), mount.mountpoint)


class _Picked(Struct):
    mount: Mount
    others: list[str] = field(default_factory=list)


# Buses whose disks are external by nature: USB sticks, disks and card readers; FireWire
# (lsblk calls its SCSI transport "sbp").
EXTERNAL_TRANSPORTS = frozenset({"usb", "sbp"})
REMOVABLE, FIXED, UNTOLD = "removable", "fixed", "untold"


def _disk_media(chain: tuple[Node, ...]) -> str:
    """Whether the disk at the top of `chain` is removable media, a fixed disk, or a
    hot-pluggable one whose transport lsblk does not name (UNTOLD).

    RM and HOTPLUG alone do not tell: since util-linux 2.39 HOTPLUG is the kernel's
    `removable` attribute of any device up the chain, which firmware sets for a SATA
    port with hot plug on, and kernels before 6.10 set RM for a disk on such an AHCI
    port (libata "Set the RMB bit only for removable media devices"). TRAN does: usb
    and sbp are external buses; mmc is an SD card unless HOTPLUG and RM are both 0
    (util-linux 2.39 reports soldered eMMC so); sata, ata, nvme, sas, virtio and the
    rest are fixed whatever their flags. lsblk before 2.39 names no transport for MMC
    (TRAN null); 2.39 names it from the kernel name mmcblk*, and so does this."""
    flagged = any(n.rm or n.hotplug for n in chain)
    tran = next((n.tran for n in chain if n.tran), None)
    disk = chain[0]
    if tran is None and (disk.kname or disk.name).rsplit("/", 1)[-1].startswith("mmcblk"):
        tran = "mmc"
    if tran in EXTERNAL_TRANSPORTS or (tran == "mmc" and flagged):
        return REMOVABLE
    if tran is None and flagged:
        return UNTOLD
    return FIXED


def _media(chains: list[tuple[Node, ...]], fixed_disks: set[str]) -> str:
    """REMOVABLE only when every path leads to removable media; a disk that also holds
    / or /home is this PC's own whatever its bus (a system run from a USB disk)."""
    kinds = {FIXED if c[0].name in fixed_disks else _disk_media(c) for c in chains}
    if kinds == {REMOVABLE}:
        return REMOVABLE
    return UNTOLD if UNTOLD in kinds else FIXED


def _untold_media(vol: VolumeEncryption, disks: list[str]) -> VolumeEncryption:
    """A volume on a hot-pluggable disk of unknown transport: encrypted passes; plain
    is unknown (it may be removable media plugged in at the audit, or a fixed disk)."""
    if isinstance(vol.encrypted, Seen) and vol.encrypted.value is True:
        return vol
    if isinstance(vol.encrypted, Unknown):
        return vol
    reason = why("media_untold", mountpoint=vol.volume, device=", ".join(disks))
    return vol.model_copy(update={"encrypted": Unknown(reason=reason), "why_plain": None})


def volumes_from(
    mounts: list[Mount],
    swaps: list[Swap] | None,
    tree: DeviceTree | None,
    no_tree_reason: Reason,
    ctx: Context,
) -> list[VolumeEncryption]:
    """Judge every fixed data volume. `tree` None: lsblk gave nothing, say why per volume."""
    picked: dict[str, _Picked] = {}
    out: list[VolumeEncryption] = []
    # Of several mounts at one point the last one is visible: it hides the ones below.
    visible = list({m.mountpoint: m for m in mounts}.values())
    root_seen = any(m.mountpoint == "/" for m in visible)
    fixed_disks = {
        chain[0].name
        for m in visible
        if m.mountpoint in DATA_MOUNTS and tree is not None
        for chain in tree.find(m.majmin, m.source)
    }
    for mount in sorted(visible, key=_order):
        fstype = mount.fstype.lower()
        mp = mount.mountpoint
        is_data_place = mp in DATA_MOUNTS
        if mount.root != "/" and fstype != "btrfs" and not is_data_place:
            # A bind mount of a folder or file (a container's /etc/hosts): its device is
            # judged where it is mounted whole. btrfs subvolumes are real volumes.
            continue
        if fstype in PSEUDO_FS or fstype in IMAGE_FS or fstype in STACKED_FS:
            if mp == "/":
                out.append(unknown(mp, "root", mount.source, why("root_virtual", fstype=fstype)))
            continue
        if fstype == "overlay" or fstype.startswith("overlay"):
            if mp == "/":
                out.append(unknown(mp, "root", mount.source, why("root_overlay")))
            continue
        if fstype in NETWORK_FS or fstype.startswith("fuse."):
            if is_data_place:
                out.append(
                    unknown(
                        mp,
                        _mount_kind(mp),
                        mount.source,
                        why("network_fs", mountpoint=mp, fstype=fstype, source=mount.source),
                    )
                )
            continue
        untold: list[str] = []
        if fstype == "zfs":
            # One pool, one encryption answer: judge it once, under its first mount point.
            key = "zfs:" + mount.source.split("/", 1)[0]
        elif tree is not None:
            chains = tree.find(mount.majmin, mount.source)
            if not chains and not mount.source.startswith("/dev/") and not is_data_place:
                continue  # a virtual file system we do not know by name (vboxsf, ...)
            if chains and (_is_ram(chains) or chains[-1][-1].type == "loop") and mp != "/":
                # RAM disks hold nothing at rest; a loop device's backing file lies on a
                # volume that is judged itself.
                continue
            media = _media(chains, fixed_disks) if chains and not is_data_place else FIXED
            if media == REMOVABLE:
                # Removable media: not a fixed volume. / and /home hold the data wherever
                # their disk sits.
                continue
            if media == UNTOLD:
                untold = sorted({c[0].name for c in chains if _disk_media(c) == UNTOLD})
            key = chains[0][-1].name if chains else "src:" + mount.source
        else:
            if not mount.source.startswith("/dev/") and not is_data_place:
                continue
            key = "src:" + mount.source
        if key in picked:
            picked[key].others.append(mp)
            continue
        picked[key] = _Picked(mount)
        judged = _judge_mount(mount, key, tree, no_tree_reason, ctx)
        out.append(_untold_media(judged, untold) if untold else judged)
    if not root_seen:
        out.insert(0, unknown("/", "root", None, why("no_root_mount")))
    # Name the other mount points of each device, so /home on the root device is visible.
    by_volume = {p.mount.mountpoint: p for p in picked.values()}
    out = [
        v.model_copy(update={"also_mounted": tuple(by_volume[v.volume].others)})
        if v.volume in by_volume and by_volume[v.volume].others
        else v
        for v in out
    ]
    out.extend(_swap_volumes(swaps, mounts, tree, no_tree_reason, ctx))
    return out


# btrfs UUID -> member device names; None when the listing could not be read.
Btrfs = dict[str, frozenset[str]] | None


class Context(Struct, frozen=True):
    """What every volume is judged against besides its own mount."""

    dm: DmTables
    btrfs: Btrfs
    # zram number -> backing device; None when /sys/block/zram*/backing_dev was not read.
    zram: dict[int, str] | None = None


def _btrfs_chains(
    mount: Mount, chains: list[tuple[Node, ...]], tree: DeviceTree, btrfs: Btrfs
) -> tuple[list[tuple[Node, ...]], Reason | None]:
    """The paths to every member of the btrfs at `mount`, or why they are not known."""
    mp = mount.mountpoint
    if btrfs is None:
        return [], why("btrfs_members_unread", mountpoint=mp)
    node = chains[0][-1]
    names = {(n or "").rsplit("/", 1)[-1] for n in (node.kname, node.name)} - {""}
    members = [m for m in btrfs.values() if names & m]
    if len(members) != 1:
        return [], why("btrfs_members_unlisted", mountpoint=mp, source=mount.source)
    out: list[tuple[Node, ...]] = []
    for member in sorted(members[0]):
        found = tree.find(f"/dev/{member}")
        if not found:
            return [], why("btrfs_member_unlisted", mountpoint=mp, member=member)
        out.extend(c for c in found if c not in out)
    return out, None


def _mount_chains(
    mount: Mount, tree: DeviceTree, ctx: Context
) -> tuple[list[tuple[Node, ...]], Reason | None]:
    chains = tree.find(mount.majmin, mount.source)
    if chains and mount.fstype.lower() == "btrfs":
        return _btrfs_chains(mount, chains, tree, ctx.btrfs)
    return chains, None


def _judge_mount(
    mount: Mount, key: str, tree: DeviceTree | None, no_tree_reason: Reason, ctx: Context
) -> VolumeEncryption:
    mp, kind = mount.mountpoint, _mount_kind(mount.mountpoint)
    if key.startswith("zfs:"):
        return unknown(mp, kind, mount.source, why("zfs", mountpoint=mp, source=mount.source))
    if tree is None:
        return unknown(mp, kind, mount.source, no_tree_reason)
    chains, reason = _mount_chains(mount, tree, ctx)
    if reason is not None:
        return unknown(mp, kind, mount.source, reason)
    if not chains:
        reason = why("device_unlisted", mountpoint=mp, source=mount.source, majmin=mount.majmin)
        return unknown(mp, kind, mount.source, reason)
    device = tree.find(mount.majmin, mount.source)[0][-1].name
    return judge_chains(mp, kind, chains, device, ctx.dm)


def _swap_volumes(
    swaps: list[Swap] | None,
    mounts: list[Mount],
    tree: DeviceTree | None,
    no_tree_reason: Reason,
    ctx: Context,
) -> list[VolumeEncryption]:
    dm = ctx.dm
    if swaps is None:
        return [unknown("swap", "swap", None, why("swaps_unread"))]
    out: list[VolumeEncryption] = []
    for swap in swaps:
        volume = f"swap:{swap.path}"
        if swap.path.startswith("/dev/zram"):
            zram = _zram_swap(swap, volume, tree, no_tree_reason, ctx)
            if zram is not None:
                out.append(zram)
            continue
        if swap.path.startswith("/dev/ram"):
            continue  # a RAM disk: nothing reaches a disk
        if swap.kind == "file":
            holder = _mount_holding(swap.path, mounts)
            if holder is None:
                out.append(
                    unknown(volume, "swap", None, why("swap_file_unmounted", path=swap.path))
                )
                continue
            if tree is None:
                out.append(unknown(volume, "swap", holder.source, no_tree_reason))
                continue
            chains, reason = _mount_chains(holder, tree, ctx)
            if reason is not None:
                out.append(unknown(volume, "swap", holder.source, reason))
                continue
            if not chains:
                out.append(
                    unknown(
                        volume,
                        "swap",
                        holder.source,
                        why(
                            "swap_file_device_unlisted",
                            mountpoint=holder.mountpoint,
                            source=holder.source,
                        ),
                    )
                )
                continue
            judged = judge_chains(volume, "swap", chains, chains[0][-1].name, dm)
            out.append(judged.model_copy(update={"swap_file_on": holder.mountpoint}))
            continue
        if tree is None:
            out.append(unknown(volume, "swap", swap.path, no_tree_reason))
            continue
        chains = tree.find(swap.path)
        if not chains:
            out.append(unknown(volume, "swap", swap.path, why("swap_unlisted", path=swap.path)))
            continue
        if _is_ram(chains):
            continue
        out.append(judge_chains(volume, "swap", chains, chains[0][-1].name, dm))
    return out


def _zram_swap(
    swap: Swap, volume: str, tree: DeviceTree | None, no_tree_reason: Reason, ctx: Context
) -> VolumeEncryption | None:
    """None for zram swap that stays in RAM; else its backing device, judged."""
    digits = swap.path.removeprefix("/dev/zram")
    number = int(digits) if digits.isdigit() else None
    if ctx.zram is None or number is None or number >= ZRAM_DEVICES:
        return unknown(volume, "swap", swap.path, why("zram_backing_unread", path=swap.path))
    backing = ctx.zram.get(number)
    if backing is None:
        return None  # compressed RAM: nothing reaches a disk
    if tree is None:
        return unknown(volume, "swap", backing, no_tree_reason)
    chains = tree.find(backing)
    if not chains:
        return unknown(volume, "swap", backing, why("swap_unlisted", path=backing))
    return judge_chains(volume, "swap", chains, chains[0][-1].name, ctx.dm)


def _mount_holding(path: str, mounts: list[Mount]) -> Mount | None:
    """The mount whose mount point is the longest prefix of `path` (the last one wins)."""
    best: Mount | None = None
    for mount in mounts:
        mp = mount.mountpoint.rstrip("/") or "/"
        inside = path == mp or path.startswith(mp + "/") or mp == "/"
        if inside and (best is None or len(mp) >= len(best.mountpoint.rstrip("/") or "/")):
            best = mount
    return best


def _lsblk_tree(result: CommandResult) -> tuple[DeviceTree | None, Reason]:
    if result.not_found:
        return None, why("lsblk_missing")
    if not result.ok:
        return None, why("lsblk_failed", status=result.exit_status, output=result.excerpt(200))
    return parse_lsblk(json_output(result, "lsblk")), why("lsblk_missing")


_DENIED = re.compile(r"permission denied|operation not permitted|must be root", re.IGNORECASE)


def dm_tables(result: CommandResult | None) -> DmTables:
    """The tables of `dmsetup table`, or why a crypt node's cipher is not known."""
    if result is None:
        return DmTables(None, why("dm_table_unrecorded"))
    if result.privilege_refused or (
        not result.ok and _DENIED.search(result.stderr + result.stdout) is not None
    ):
        return DmTables(None, why("dm_table_needs_root", output=result.excerpt(200)))
    if result.not_found:
        return DmTables(None, why("dmsetup_missing"))
    if not result.ok:
        return DmTables(
            None, why("dm_table_failed", status=result.exit_status, output=result.excerpt(200))
        )
    return DmTables(parse_dm_tables(result.stdout))


def btrfs_members(results: Results) -> Btrfs:
    """The btrfs member listing; None when not recorded or not readable (then every
    btrfs volume is unknown: its other members cannot be seen)."""
    result = results.get(BTRFS_DEVICES.key)
    if result is None or not result.ok:
        return None
    return parse_btrfs_devices(result.stdout)


def zram_backing(results: Results) -> dict[int, str] | None:
    """zram backing devices; None when not recorded or grep did not run (then zram swap
    is unknown: its pages may reach a disk)."""
    result = results.get(ZRAM_BACKING.key)
    # grep: 0 lines printed, 1 none, 2 some file missing (always, for unused numbers).
    if result is None or result.timed_out or result.exit_status not in (0, 1, 2):
        return None
    return parse_zram_backing(result.stdout)


class LinuxDiskEncryption(Collector[DiskEncryptionFacts]):
    family = OsFamily.LINUX
    fact_type = DiskEncryptionFacts
    asks = (MOUNTINFO, SWAPS, LSBLK, DMSETUP, BTRFS_DEVICES, ZRAM_BACKING)

    def commands(self, platform: PlatformInfo, results: Results) -> Sequence[Command]:
        # LSBLK missing after the first round: a recording made before TRAN was asked.
        if results and LSBLK.key not in results:
            return [*self.asks, LSBLK_BEFORE_TRAN]
        return list(self.asks)

    def probe_commands(self, platform: PlatformInfo) -> Sequence[Command]:
        # A probe script's bundle cannot ask follow-ups: replaying one written before
        # TRAN needs the old command in the fixed list (a new script runs both).
        return [*self.asks, LSBLK_BEFORE_TRAN]

    def parse(self, results: Results, platform: PlatformInfo) -> DiskEncryptionFacts:
        info = require(results, MOUNTINFO)
        if not info.ok:
            raise FactUnavailable(f"/proc/self/mountinfo could not be read: {info.excerpt(200)}")
        mounts = parse_mountinfo(info.stdout)
        if not mounts:
            raise CollectorError("/proc/self/mountinfo lists no mounts")
        swaps_result = require(results, SWAPS)
        swaps = parse_swaps(swaps_result.stdout) if swaps_result.ok else None
        lsblk = results.get(LSBLK.key)
        if lsblk is None:
            lsblk = results.get(LSBLK_BEFORE_TRAN.key)
        tree, reason = _lsblk_tree(lsblk if lsblk is not None else require(results, LSBLK))
        # Absent only when a recording made before they were asked for is replayed.
        ctx = Context(
            dm_tables(results.get(DMSETUP.key)), btrfs_members(results), zram_backing(results)
        )
        return DiskEncryptionFacts(volumes=tuple(volumes_from(mounts, swaps, tree, reason, ctx)))
