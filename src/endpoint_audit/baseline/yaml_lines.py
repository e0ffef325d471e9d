"""YAML reading that remembers where each value was written.

PyYAML's safe_load loses line numbers and silently keeps the last of duplicate keys.
Here the file is composed into nodes (safe tags only) and built by hand, so every value
keeps its line, duplicate keys are errors, and every resource is bounded: the file size
is checked before reading, nesting depth is capped, and alias expansion counts against a
node budget (a "billion laughs" document stops after MAX_NODES values instead of eating
memory). Every problem is one ConfigError line `file:line: path: message`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from endpoint_audit.errors import ConfigError

MAX_FILE_BYTES = 1024 * 1024
# A real baseline has a few hundred values; the cap only stops runaway alias expansion.
MAX_NODES = 10_000
MAX_DEPTH = 40

# libyaml composes about three times faster than pure Python and caps nesting itself.
_LOADER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

PathKey = tuple[str | int, ...]


@dataclass
class LinedDocument:
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
    return ".".join(str(p) for p in path) or "(top)"


def _line_at(data: bytes | str, offset: int) -> int:
    newline: Any = b"\n" if isinstance(data, bytes) else "\n"
    return data.count(newline, 0, max(0, offset)) + 1


def read_text(path: Path, source: str | None = None) -> str:
    """The file as text, refusing what cannot be a baseline before reading it whole."""
    label = source or str(path)
    try:
        if path.is_dir():
            raise ConfigError(f"{label}: is a folder, not a YAML file")
        with path.open("rb") as handle:
            # Read one byte past the cap: never more, whatever stat says (/dev/zero, pipes).
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{label}: cannot read: {exc.strerror or exc}") from exc
    if len(raw) > MAX_FILE_BYTES:
        try:
            size = f"{path.stat().st_size / 1048576:.1f} MB"
        except OSError:
            size = "too large"
        raise ConfigError(
            f"{label}:1: (top): file is {size}; a baseline or waiver file may be at most "
            f"{MAX_FILE_BYTES // 1024} KB"
        )
    return decode_text(raw, label)


def decode_text(raw: bytes, label: str) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ConfigError(f"{label}:1: (top): the file is UTF-16; save it as UTF-8")
    try:
        # utf-8-sig: Windows Notepad may write a byte-order mark.
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = _line_at(raw, exc.start)
        raise ConfigError(
            f"{label}:{line}: (top): not UTF-8 text (byte {exc.start}); save the file as "
            "UTF-8 (Shift_JIS is not supported)"
        ) from exc


def _yaml_problem(exc: yaml.YAMLError, text: str, source: str) -> ConfigError:
    if isinstance(exc, yaml.reader.ReaderError):
        line = _line_at(text, exc.position)
        char = f"#x{exc.character:04x}" if isinstance(exc.character, int) else repr(exc.character)
        return ConfigError(
            f"{source}:{line}: (top): control character {char} in the file; is it a text file?"
        )
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or exc.context or "invalid YAML"
        lines = text.splitlines()
        if mark is not None and mark.line < len(lines) and "\t" in lines[mark.line]:
            problem = "a tab character; YAML indents with spaces only"
        elif (
            exc.context
            and exc.context_mark is not None
            and exc.problem_mark is not None
            and exc.context_mark.line != exc.problem_mark.line
        ):
            problem += f" ({exc.context}, started on line {exc.context_mark.line + 1})"
        return ConfigError(f"{source}:{line}: (top): invalid YAML: {problem}")
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return ConfigError(f"{source}:1: (top): invalid YAML: {first}")


def load_lined(text: str, source: str) -> LinedDocument:
    """Parse one YAML document, keeping lines. Raises ConfigError `source:line: message`."""
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise _yaml_problem(exc, text, source) from exc
    except RecursionError:  # pure-Python composer on absurd nesting
        raise ConfigError(f"{source}:1: (top): nested more than {MAX_DEPTH} levels deep") from None
    if node is None:
        raise ConfigError(f"{source}:1: (top): the file is empty")
    doc = LinedDocument(source=source, data=None)
    budget = [MAX_NODES]
    doc.data = _build(node, (), doc, budget)
    return doc


_SCALAR = yaml.SafeLoader("")


def _build(node: yaml.Node, path: PathKey, doc: LinedDocument, budget: list[int]) -> Any:
    line = node.start_mark.line + 1
    budget[0] -= 1
    if budget[0] < 0:
        # Report the top-level key being expanded: inner paths of an alias bomb say nothing.
        top = path[:1]
        raise ConfigError(
            f"{doc.source}:{doc.line_of(top) if top else line}: {dotted(top)}: document "
            f"expands to more than {MAX_NODES} values through aliases (*name); alias bomb?"
        )
    if len(path) > MAX_DEPTH:
        raise ConfigError(
            f"{doc.source}:{line}: {dotted(path[:3])}...: nested more than {MAX_DEPTH} levels deep"
        )
    doc.lines.setdefault(tuple(str(p) for p in path), line)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise ConfigError(
                    f"{doc.source}:{key_line}: {dotted((*path, '<<'))}: merge keys (<<) are not "
                    "supported; write the values out"
                )
            key = _build(key_node, path, doc, budget)
            if isinstance(key, list | dict) or key is None:
                raise ConfigError(
                    f"{doc.source}:{key_line}: {dotted(path)}: keys must be plain words or numbers"
                )
            key_path = (*path, str(key))
            if key in out:
                first = doc.lines.get(key_path, "?")
                raise ConfigError(
                    f"{doc.source}:{key_line}: {dotted(key_path)}: duplicate key "
                    f"(first defined on line {first})"
                )
            doc.lines[key_path] = key_line
            out[key] = _build(value_node, key_path, doc, budget)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), doc, budget) for i, item in enumerate(node.value)]
    if not isinstance(node, yaml.ScalarNode):
        raise ConfigError(f"{doc.source}:{line}: {dotted(path)}: unsupported YAML node")
    try:
        return _SCALAR.construct_object(node, deep=True)
    except (yaml.constructor.ConstructorError, ValueError) as exc:
        # e.g. `expires: 2026-02-30` (looks like a date, is none) or an unsupported tag.
        problem = getattr(exc, "problem", None) or str(exc) or "unsupported value"
        raise ConfigError(
            f"{doc.source}:{line}: {dotted(path)}: {node.value!r}: {problem}"
        ) from exc
