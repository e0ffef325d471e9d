"""Writing a report file atomically: a reader never sees half of it, and a failed run
never leaves a truncated one behind.

Replacing a file keeps what its owner chose for it: its permission bits (a 0600 report
stays 0600) and, when run as root, its owner. A file nobody may write (mode 0444, or the
read-only attribute on Windows) is refused, not replaced: making a report read-only is
how people say "keep this one". `output_problem` checks a path before the audit, so an
output that cannot be written is named before any host is contacted.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

# Bytes of the target's name kept in the temporary file's name: a long (but valid) file
# name plus the temporary suffix must not exceed the file system's limit.
_TEMP_STEM_BYTES = 64
_DEFAULT_NAME_MAX = 255
_DEFAULT_PATH_MAX = 4096


class ReadOnlyOutput(PermissionError):
    """The file exists and is read-only: refused rather than replaced."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _temp_prefix(name: str) -> str:
    stem = name
    while len(os.fsencode(stem)) > _TEMP_STEM_BYTES:
        stem = stem[:-1]
    return f".{stem}."


def _limit(folder: Path, name: str, default: int) -> int:
    try:
        value = os.pathconf(folder, name)
    except (OSError, ValueError, AttributeError):  # Windows has no pathconf
        return default
    return value if value > 0 else default


def is_read_only(path: Path, st: os.stat_result) -> bool:
    """Whether an existing file is one its owner has made read-only for us."""
    if os.name == "nt":
        return not st.st_mode & stat.S_IWRITE
    if os.geteuid() == 0:
        # Root may write anything; a file with no write bit at all was made read-only.
        return not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    return not os.access(path, os.W_OK, effective_ids=os.access in os.supports_effective_ids)


def _nearest_folder(path: Path) -> tuple[Path, list[str]]:
    """The nearest existing ancestor of `path` and the missing parts below it."""
    missing: list[str] = []
    folder = path.parent
    while not os.path.lexists(folder) and folder != folder.parent:
        missing.insert(0, folder.name)
        folder = folder.parent
    return folder, missing


def output_problem(path: Path) -> str | None:
    """Why a report cannot be written to `path`, in a few words, or None when it can.

    Devices and pipes (`/dev/null`, a FIFO) are written in place and need only exist.
    Missing parent folders are created when the report is written, so the nearest
    existing one must be a writable folder. A probe file is created and removed in the
    target folder when it exists: that is the only test that sees read-only mounts,
    ACLs and quotas of the folder as the writer will.
    """
    name = path.name
    if not name or name in (".", ".."):
        return "not a file name"
    try:
        st = path.stat()
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        return "a part of the path is a file, not a folder"
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            return _too_long(path)
        return exc.strerror or str(exc)
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            return "is a folder"
        if not stat.S_ISREG(st.st_mode):
            return None  # a device or a pipe: written in place
        if is_read_only(path, st):
            return "read-only file; not replaced (make it writable or remove it first)"
    folder, missing = _nearest_folder(path)
    if not folder.is_dir():
        return f"{folder} is a file, not a folder"
    too_long = _too_long(path, folder)
    if too_long:
        return too_long
    if missing:
        if not os.access(folder, os.W_OK | os.X_OK):
            return f"cannot create folders in {folder}: permission denied"
        return None
    try:
        fd, probe = tempfile.mkstemp(prefix=_temp_prefix(name), suffix=".tmp", dir=folder)
    except OSError as exc:
        return f"cannot write in {folder}: {exc.strerror or exc}"
    os.close(fd)
    Path(probe).unlink(missing_ok=True)
    return None


def _too_long(path: Path, folder: Path | None = None) -> str | None:
    base = folder if folder is not None else _nearest_folder(path)[0]
    name_max = _limit(base, "PC_NAME_MAX", _DEFAULT_NAME_MAX)
    for part in path.parts:
        size = len(os.fsencode(part))
        if size > name_max:
            return f"file or folder name of {size} bytes; this file system allows {name_max}"
    path_max = _limit(base, "PC_PATH_MAX", _DEFAULT_PATH_MAX)
    size = len(os.fsencode(os.path.abspath(path)))
    if size >= path_max:
        return f"path of {size} bytes; this file system allows {path_max - 1}"
    return None


def _mode_for(path: Path) -> tuple[int, os.stat_result | None]:
    """The permission bits the written file gets: the existing file's, else the usual
    mode for new files under the user's umask (mkstemp's own 0600 would surprise)."""
    try:
        st = path.stat()
    except OSError:
        return 0o666 & ~_umask(), None
    if not stat.S_ISREG(st.st_mode):
        return 0o666 & ~_umask(), None
    return stat.S_IMODE(st.st_mode) & 0o777, st


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, then rename it over `path`.
    Raises OSError (ReadOnlyOutput for a read-only file); the temporary file is removed
    on any failure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode, existing = _mode_for(path)
    if existing is not None and is_read_only(path, existing):
        raise ReadOnlyOutput(errno.EACCES, "read-only file; not replaced", str(path))
    fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(path.name), suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            if hasattr(os, "fchmod"):  # POSIX; Windows files inherit the folder's ACL
                os.fchmod(handle.fileno(), mode)
            if existing is not None and hasattr(os, "fchown") and os.geteuid() == 0:
                # Root rewriting someone's report leaves it theirs, not root's.
                os.fchown(handle.fileno(), existing.st_uid, existing.st_gid)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
