"""YAML reading that remembers where each value was written.

PyYAML's safe_load loses line numbers and silently keeps the last of duplicate keys.
Here the file is composed into nodes (safe tags only) and built by hand, so every value
keeps its line, duplicate keys are errors, text is valid Unicode (no lone surrogates),
and every resource is bounded: the file is checked before it is read (safe_read: a
regular file within its kind's size cap), nesting depth is capped, and aliases may not
multiply the document. Before anything is built, the values the document would expand
to are counted over its composed nodes (each node once): a document may expand to at
most ALIAS_RATIO times the values it writes out (at least MIN_ALIAS_BUDGET), and to
MAX_VALUES in all. An inventory of 20,000 hosts without aliases is never refused as a
bomb; a "billion laughs" of a few hundred bytes is refused before it costs memory.
Every problem is one ConfigError line `file:line: path: message`.

The composing and building is yaml_compose's; a text that parsed before is taken as it
was from the user's cache (yaml_kept), so a scan of a known baseline never loads PyYAML.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from msgspec import Struct, field

from endpoint_audit.errors import ConfigError
from endpoint_audit.model.printable import one_line
from endpoint_audit.safe_read import BASELINE, InputKind, InputRefused, read_input

MAX_FILE_BYTES = BASELINE.max_bytes
# Aliases may repeat what a file writes out, not multiply it: a document may expand to
# ALIAS_RATIO times its own values (anchored host settings reach about 20), and a small
# file to MIN_ALIAS_BUDGET values whatever its size.
ALIAS_RATIO = 100
MIN_ALIAS_BUDGET = 10_000
# Whatever the aliases: no document builds more values than this (about 40 per host for
# 50,000 hosts), so memory stays bounded even for a file of the largest allowed size.
MAX_VALUES = 2_000_000
MAX_DEPTH = 40

PathKey = tuple[str | int, ...]


class LinedDocument(Struct):
    source: str
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, path: PathKey) -> int:
        """The line of the deepest part of `path` that exists in the file."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(str(p) for p in path[:end]))
            if line is not None:
                return line
        return 1

    def error(self, path: PathKey, message: str) -> ConfigError:
        return ConfigError(f"{self.source}:{self.line_of(path)}: {dotted(path)}: {message}")


def dotted(path: PathKey) -> str:
    # Keys come from the file: control characters are shown as escapes, on one line.
    return ".".join(one_line(p) for p in path) or "(top)"


def line_at(data: bytes | str, offset: int) -> int:
    newline: Any = b"\n" if isinstance(data, bytes) else "\n"
    return data.count(newline, 0, max(0, offset)) + 1


def read_text(path: Path, source: str | None = None, kind: InputKind = BASELINE) -> str:
    """The file as text, refusing what cannot be a `kind` file before reading it
    (a folder, a pipe, a device, more than the kind's size cap)."""
    label = source or str(path)
    try:
        raw = read_input(path, kind, label)
    except InputRefused as exc:
        raise ConfigError(f"{label}:1: (top): {exc.reason}") from None
    return decode_text(raw, label)


def decode_text(raw: bytes, label: str) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ConfigError(f"{label}:1: (top): the file is UTF-16; save it as UTF-8")
    try:
        # utf-8-sig: Windows Notepad may write a byte-order mark.
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = line_at(raw, exc.start)
        raise ConfigError(
            f"{label}:{line}: (top): not UTF-8 text (byte {exc.start}); save the file as "
            "UTF-8 (Shift_JIS is not supported)"
        ) from exc


def load_lined(text: str, source: str) -> LinedDocument:
    """Parse one YAML document, keeping lines. Raises ConfigError `source:line: message`.
    A text read before is taken from the user's cache (yaml_kept), without PyYAML."""
    from endpoint_audit.baseline import yaml_kept

    kept = yaml_kept.read(text, source)
    if kept is not None:
        return kept
    from endpoint_audit.baseline.yaml_compose import compose_lined

    doc = compose_lined(text, source)
    yaml_kept.keep(text, doc)
    return doc
