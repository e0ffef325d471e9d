"""Reading an input file the user named (or a folder held): checked before it is read.

Every loader reads through here: baselines and the files they extend, waiver files,
inventories, bundles, JSON reports (also those `--resume` finds), and the SSH identity
files an inventory names (checked only; the SSH library reads them). A file must be a
regular file no larger than its kind allows. A named pipe would block the read forever,
a device such as /dev/zero never ends, a huge sparse file would fill memory; each of
them is refused in one line naming the file (ConfigError, exit 2) before any byte is
read. The file is looked at with stat() before it is opened, because opening some
devices already does something (a tape rewinds, a watchdog arms), and opened without
blocking and checked again, so that a file swapped in between is caught too. Reading
stops one byte past the cap, whatever stat said: a file that grows while it is read
is refused as well.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from msgspec import Struct

from endpoint_audit.errors import ConfigError

KIB = 1024
MIB = 1024 * KIB
_CHUNK = MIB


class InputKind(Struct, frozen=True):
    """What a file is read as, and the most bytes such a file may hold."""

    name: str
    max_bytes: int


# The caps (docs/fleet.md and docs/baselines.md list them): far above any real file of
# the kind, low enough that a wrong file fails fast instead of filling memory.
BASELINE = InputKind("baseline", 1 * MIB)  # the shipped ones are about 20 KB
WAIVERS = InputKind("waiver", 1 * MIB)
INVENTORY = InputKind("inventory", 64 * MIB)  # 20,000 hosts with their vars: about 2 MB
BUNDLE = InputKind("bundle", 256 * MIB)  # each command's output is capped at 8 MB
REPORT = InputKind("report", 512 * MIB)  # a fleet report of 20,000 hosts: about 500 MB
IDENTITY = InputKind("SSH identity", 1 * MIB)  # a 16384-bit RSA key is about 12 KB
RULE_SHEET = InputKind("rule sheet", 64 * MIB)  # a 20,000-row list is about 5 MB


class InputRefused(ConfigError):
    """A file that is not read: missing, not a regular file, too large, unreadable.
    `reason` is the message without the file name in front."""

    def __init__(self, label: str, reason: str) -> None:
        super().__init__(f"{label}: {reason}")
        self.label = label
        self.reason = reason


def _size_text(size: int) -> str:
    if size < 10 * MIB:
        return f"{size // KIB} KB" if size >= KIB else f"{size} bytes"
    return f"{size / MIB:.0f} MB" if size % MIB == 0 else f"{size / MIB:.1f} MB"


def _file_type(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _check_stat(st: os.stat_result, kind: InputKind, label: str) -> None:
    what = _file_type(st.st_mode)
    if what is not None:
        raise InputRefused(label, f"is {what}, not a regular {kind.name} file")
    if st.st_size > kind.max_bytes:
        raise InputRefused(
            label,
            f"file is {st.st_size / MIB:.1f} MB; a {kind.name} file may be at most "
            f"{_size_text(kind.max_bytes)}",
        )


def _os_problem(exc: OSError, label: str) -> InputRefused:
    if isinstance(exc, FileNotFoundError):
        return InputRefused(label, "no such file")
    return InputRefused(label, f"cannot read: {exc.strerror or exc}")


def check_input(path: Path, kind: InputKind, label: str | None = None) -> None:
    """Refuse `path` (InputRefused) unless it is a regular file within the kind's cap.
    Follows symbolic links: a link to a device is a device. Reads nothing."""
    name = label or str(path)
    try:
        st = os.stat(path)
    except OSError as exc:
        raise _os_problem(exc, name) from None
    _check_stat(st, kind, name)
    if not os.access(path, os.R_OK):
        raise InputRefused(name, "cannot read: Permission denied")


def read_input(path: Path, kind: InputKind, label: str | None = None) -> bytes:
    """The bytes of `path`, after the checks of `check_input`; InputRefused otherwise."""
    name = label or str(path)
    try:
        before = os.stat(path)
    except OSError as exc:
        raise _os_problem(exc, name) from None
    _check_stat(before, kind, name)
    flags = (
        os.O_RDONLY
        | getattr(os, "O_NONBLOCK", 0)  # a FIFO swapped in after stat() cannot block open()
        | getattr(os, "O_NOCTTY", 0)
        | getattr(os, "O_BINARY", 0)  # Windows: no newline translation
        | getattr(os, "O_CLOEXEC", 0)
    )
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise _os_problem(exc, name) from None
    try:
        now = os.fstat(fd)
        _check_stat(now, kind, name)
        if (now.st_dev, now.st_ino) != (before.st_dev, before.st_ino):
            raise InputRefused(name, "was replaced while it was opened; try again")
        data = bytearray()
        while len(data) <= kind.max_bytes:
            chunk = os.read(fd, min(_CHUNK, kind.max_bytes + 1 - len(data)))
            if not chunk:
                break
            data += chunk
    except OSError as exc:
        raise _os_problem(exc, name) from None
    finally:
        os.close(fd)
    if len(data) > kind.max_bytes:
        raise InputRefused(
            name,
            f"grew past {_size_text(kind.max_bytes)} while it was read; a {kind.name} file "
            f"may be at most {_size_text(kind.max_bytes)}",
        )
    return bytes(data)


__all__ = [
    "BASELINE",
    "BUNDLE",
    "IDENTITY",
    "INVENTORY",
    "REPORT",
    "WAIVERS",
    "InputKind",
    "InputRefused",
    "check_input",
    "read_input",
]
