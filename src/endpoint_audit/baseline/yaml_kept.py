"""YAML documents kept parsed in the user's cache folder, so that a start reading a text
it has read before (a shipped baseline, the rule pack, an IT team's own baseline) takes
its values and lines from a JSON file instead of composing the YAML again, and never
imports PyYAML for it.

A kept file is named by the SHA-256 of the text and holds, beside the values, a stamp:
the digest, this format's number, the reading limits (an alias budget lowered since must
not let a kept document through), the times of the modules that build values, and the
import path's folders with their times (an upgraded PyYAML). A file whose stamp differs,
that does not unpack to exactly the shapes written here, or that another user owns (see
user_cache) is ignored and the text parsed again. Only documents that parsed are kept:
an error is always found again by the parser, with its line.

Every value is written with its type: lists as {"l": [...]}, mappings as {"m": [[key,
value], ...]} (keys of any type, in the file's order), dates {"d"}, times {"t"} and
bytes (!!binary) {"b": base64}; strings, numbers, booleans and null as JSON has them.
"""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import date, datetime
from typing import Any

from endpoint_audit.baseline import yaml_lines
from endpoint_audit.baseline.yaml_lines import LinedDocument, PathKey
from endpoint_audit.user_cache import cache_file, import_path_stamp, prune_kept, read_kept
from endpoint_audit.user_cache import keep as keep_value

FORMAT = 1
FOLDER = "yaml"
# A baseline with the whole rule pack is about 100 KiB; a 20,000-host inventory is read
# whole each time (its JSON would be as large as its YAML, and it changes between rounds).
MAX_TEXT_CHARS = 512 * 1024
KEPT_MAX = 100
# Containers nest one level deeper when packed ({"l": ...}); a kept file nested deeper
# than any document may be is not one of ours.
_MAX_PACKED_DEPTH = 2 * yaml_lines.MAX_DEPTH + 8

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_BUILDERS = (
    os.path.join(_PACKAGE, "baseline", "yaml_compose.py"),
    os.path.join(_PACKAGE, "model", "valid_text.py"),
)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _stamp(digest: str) -> list[object]:
    limits = [
        yaml_lines.MAX_VALUES,
        yaml_lines.MAX_DEPTH,
        yaml_lines.ALIAS_RATIO,
        yaml_lines.MIN_ALIAS_BUDGET,
    ]
    builders: list[object] = []
    for path in _BUILDERS:
        try:
            builders.append(os.stat(path).st_mtime_ns)
        except OSError:
            builders.append(None)
    return [FORMAT, digest, limits, builders, import_path_stamp()]


def read(text: str, source: str) -> LinedDocument | None:
    """The document `text` parsed to when it was kept, named `source`, or None."""
    if len(text) > MAX_TEXT_CHARS:
        return None
    digest = _digest(text)
    kept = read_kept(f"{FOLDER}/{digest}.json")
    if not isinstance(kept, dict) or kept.get("stamp") != _stamp(digest):
        return None
    try:
        data = _unpack(kept["data"], 0)
        lines = _unpack_lines(kept["lines"])
    except (KeyError, TypeError, ValueError):
        return None
    return LinedDocument(source=source, data=data, lines=lines)


def keep(text: str, doc: LinedDocument) -> None:
    """Keep what `text` parsed to. A value of a type not written here is not kept."""
    if len(text) > MAX_TEXT_CHARS:
        return
    try:
        data = _pack(doc.data, 0)
    except (TypeError, ValueError):
        return
    digest = _digest(text)
    lines = [[list(path), line] for path, line in doc.lines.items()]
    name = f"{FOLDER}/{digest}.json"
    keep_value(name, {"stamp": _stamp(digest), "data": data, "lines": lines})
    prune_kept(os.path.dirname(cache_file(name)), KEPT_MAX)


def _pack(value: Any, depth: int) -> Any:
    if depth > _MAX_PACKED_DEPTH:
        raise ValueError("nested too deep")
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, list):
        return {"l": [_pack(v, depth + 1) for v in value]}
    if isinstance(value, dict):
        return {"m": [[_pack(k, depth + 1), _pack(v, depth + 1)] for k, v in value.items()]}
    if isinstance(value, datetime):  # before date: a datetime is a date
        return {"t": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, bytes):
        return {"b": base64.b64encode(value).decode("ascii")}
    raise TypeError(f"not kept: {type(value).__name__}")


def _unpack(value: Any, depth: int) -> Any:
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if depth > _MAX_PACKED_DEPTH or not isinstance(value, dict) or len(value) != 1:
        raise ValueError("not a kept value")
    ((tag, inner),) = value.items()
    if tag == "l" and isinstance(inner, list):
        return [_unpack(v, depth + 1) for v in inner]
    if tag == "m" and isinstance(inner, list):
        out: dict[Any, Any] = {}
        for pair in inner:
            if not isinstance(pair, list) or len(pair) != 2:
                raise ValueError("not a kept pair")
            key = _unpack(pair[0], depth + 1)
            if key in out:  # TypeError for a list or mapping key: not ours either
                raise ValueError("a key kept twice")
            out[key] = _unpack(pair[1], depth + 1)
        return out
    if tag == "t" and isinstance(inner, str):
        return datetime.fromisoformat(inner)
    if tag == "d" and isinstance(inner, str):
        return date.fromisoformat(inner)
    if tag == "b" and isinstance(inner, str):
        return base64.b64decode(inner, validate=True)
    raise ValueError("not a kept value")


def _unpack_lines(kept: Any) -> dict[PathKey, int]:
    if not isinstance(kept, list):
        raise ValueError("not kept lines")
    lines: dict[PathKey, int] = {}
    for entry in kept:
        if not isinstance(entry, list) or len(entry) != 2:
            raise ValueError("not a kept line")
        path, line = entry
        if (
            not isinstance(path, list)
            or not all(isinstance(p, str) or _plain_int(p) for p in path)
            or not _plain_int(line)
        ):
            raise ValueError("not a kept line")
        lines[tuple(path)] = line
    return lines


def _plain_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
