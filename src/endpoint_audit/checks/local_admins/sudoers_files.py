"""The sudoers files as the collectors' framed listing prints them, and who they grant ALL.

Linux and macOS each run one constant command that prints a header per entry (`D path`
a readable folder, `U path` an unreadable entry, `O path` anything else) and each readable
file's bytes after `F <size> <path>`: the sizes decide where a file ends, so no file
content can forge a header. What sudo reads is then followed from the main file through
its includes; an include outside the paths listed, an entry that could not be read or a
line the parser cannot read is a reason the grants are incomplete (unknown, never pass).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from msgspec import Struct

from endpoint_audit.checkkit import CollectorError
from endpoint_audit.checks.local_admins import sudoers
from endpoint_audit.model.commands import CommandResult
from endpoint_audit.model.observed import Reason, Unknown, unknown

MAX_INCLUDE_DEPTH = 8
_HEADER = re.compile(rb"^(D|U|O) (.+)$|^F (\d+) (.+)$")


class Frames(Struct, frozen=True):
    files: dict[str, str]  # path -> text
    dirs: frozenset[str]
    unreadable: tuple[str, ...]


def listing_unread(result: CommandResult) -> Unknown | None:
    """Why the sudoers listing gives no grants at all (unknown), or None when it ran."""
    if result.privilege_refused:
        return unknown("local_admins.reason.sudoers_needs_root", output=result.excerpt(200))
    if result.not_found:
        return unknown("local_admins.reason.find_missing")
    if not result.ok and not result.stdout:
        return unknown(
            "local_admins.reason.sudoers_list_failed",
            status=result.exit_status,
            output=result.excerpt(200),
        )
    return None


def read_frames(result: CommandResult) -> Frames:
    """The entries the listing printed; CollectorError when the frames are not whole."""
    data = result.stdout.encode("utf-8")
    files: dict[str, str] = {}
    dirs: set[str] = set()
    unreadable: list[str] = []
    pos = 0
    while pos < len(data):
        end = data.find(b"\n", pos)
        if end < 0:
            end = len(data)
        header = _HEADER.match(data[pos:end])
        if header is None:
            raise CollectorError(Reason(key="local_admins.reason.frames_broken", args={"at": pos}))
        pos = end + 1
        if header.group(3) is not None:
            size = int(header.group(3))
            path = header.group(4).decode("utf-8", "replace")
            if pos + size > len(data):
                raise CollectorError(
                    Reason(key="local_admins.reason.frames_broken", args={"at": pos})
                )
            files[path] = data[pos : pos + size].decode("utf-8", "replace")
            pos += size
            continue
        kind, path = header.group(1).decode(), header.group(2).decode("utf-8", "replace")
        if kind == "D":
            dirs.add(path)
        elif kind == "U":
            unreadable.append(path)
    return Frames(files, frozenset(dirs), tuple(unreadable))


def _included_dir_files(frames: Frames, directory: str) -> list[str]:
    """The files sudo reads from an include directory: no `.` in the name, no `~` at the
    end, in lexical order (sudoers(5))."""
    names = [
        p
        for p in frames.files
        if p.rsplit("/", 1)[0] == directory.rstrip("/")
        and "." not in p.rsplit("/", 1)[1]
        and not p.endswith("~")
    ]
    return sorted(names)


def _resolve(path: str, including: str) -> str:
    if path.startswith("/"):
        return path
    return f"{including.rsplit('/', 1)[0]}/{path}"


def _same(path: str) -> str:
    return path


def grants(
    frames: Frames,
    *,
    mains: tuple[str, ...],
    include_dirs: tuple[str, ...],
    not_read_key: str,
    canonical: Callable[[str], str] = _same,
) -> tuple[sudoers.Parsed, list[Reason]]:
    """Parse the first of `mains` the listing met and what it includes; the reasons the
    result is incomplete. `canonical` names an include's path as the listing prints it
    (macOS: /etc is /private/etc)."""
    parsed = sudoers.Parsed()
    problems: list[Reason] = []
    unreadable = set(frames.unreadable)
    main = next((p for p in mains if p in unreadable or p in frames.files), None)
    if main is None:
        return parsed, []  # no sudoers file: sudo grants nothing
    if main in unreadable:
        return parsed, [Reason(key="local_admins.reason.sudoers_unreadable", args={"path": main})]

    def not_read(target: str, where: str) -> None:
        problems.append(Reason(key=not_read_key, args={"path": target, "where": where}))

    seen_files: set[str] = set()
    queue: list[tuple[str, int]] = [(main, 0)]
    while queue:
        path, depth = queue.pop(0)
        if path in seen_files:
            continue
        seen_files.add(path)
        start = len(parsed.includes)
        sudoers.read_file(parsed, path, frames.files[path])
        for include in parsed.includes[start:]:
            target = _resolve(include.path, path)
            if "%" in target or depth + 1 > MAX_INCLUDE_DEPTH:
                not_read(target, include.where)
                continue
            target = canonical(target)
            if include.kind == "includedir":
                directory = target.rstrip("/")
                if directory not in include_dirs:
                    not_read(target, include.where)
                    continue
                if directory in unreadable:
                    problems.append(
                        Reason(
                            key="local_admins.reason.sudoers_unreadable", args={"path": directory}
                        )
                    )
                    continue
                queue.extend((f, depth + 1) for f in _included_dir_files(frames, directory))
                unread = [u for u in unreadable if u.rsplit("/", 1)[0] == directory]
                problems.extend(
                    Reason(key="local_admins.reason.sudoers_unreadable", args={"path": u})
                    for u in unread
                )
            elif target in frames.files:
                queue.append((target, depth + 1))
            else:
                not_read(target, include.where)
    sudoers.grantees(parsed)
    problems.extend(
        Reason(key="local_admins.reason.sudoers_unparsed", args={"where": where})
        for where in parsed.problems
    )
    return parsed, problems
