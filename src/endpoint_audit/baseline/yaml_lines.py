"""YAML reading that remembers where each value was written.

PyYAML's safe_load loses line numbers and silently keeps the last of duplicate keys.
Here the file is composed into nodes (safe tags only) and built by hand, so every value
keeps its line, duplicate keys are errors, and alias expansion is bounded (a
"billion laughs" document stops after MAX_NODES values instead of eating memory).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from endpoint_audit.errors import ConfigError

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_NODES = 100_000

PathKey = tuple[str | int, ...]


@dataclass
class LinedDocument:
    source: str
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, path: PathKey) -> int:
        """The line of the deepest part of `path` that exists in the file."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return 1

    def error(self, path: PathKey, message: str) -> ConfigError:
        where = ".".join(str(p) for p in path) or "(top)"
        return ConfigError(f"{self.source}:{self.line_of(path)}: {where}: {message}")


def read_text(path: Path) -> str:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if size > MAX_FILE_BYTES:
        raise ConfigError(
            f"{path}:1: file is {size / 1048576:.1f} MB; a baseline or waiver file may be "
            f"at most {MAX_FILE_BYTES // 1048576} MB"
        )
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}:1: not UTF-8 text (byte {exc.start})") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc


def load_lined(text: str, source: str) -> LinedDocument:
    """Parse one YAML document, keeping lines. Raises ConfigError `source:line: message`."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or exc.context or "invalid YAML"
        lines = text.splitlines()
        if mark is not None and mark.line < len(lines) and "\t" in lines[mark.line]:
            problem += " (YAML does not allow tabs for indentation; use spaces)"
        raise ConfigError(f"{source}:{line}: invalid YAML: {problem}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}:1: invalid YAML: {exc}") from exc
    doc = LinedDocument(source=source, data=None)
    if node is None:
        raise ConfigError(f"{source}:1: the file is empty")
    budget = [MAX_NODES]
    doc.data = _build(node, (), doc, budget)
    return doc


_SCALAR = yaml.SafeLoader("")


def _build(node: yaml.Node, path: PathKey, doc: LinedDocument, budget: list[int]) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise ConfigError(
            f"{doc.source}:{node.start_mark.line + 1}: document expands to more than "
            f"{MAX_NODES} values (alias bomb?)"
        )
    doc.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                line = key_node.start_mark.line + 1
                raise ConfigError(f"{doc.source}:{line}: merge keys (<<) are not supported")
            key = _build(key_node, path, doc, budget)
            if isinstance(key, list | dict):
                raise ConfigError(
                    f"{doc.source}:{key_node.start_mark.line + 1}: keys must be plain values"
                )
            if key in out:
                first = doc.lines.get((*path, str(key)), "?")
                raise ConfigError(
                    f"{doc.source}:{key_node.start_mark.line + 1}: "
                    f"{'.'.join(str(p) for p in (*path, key))}: duplicate key "
                    f"(first defined on line {first})"
                )
            doc.lines[(*path, str(key))] = key_node.start_mark.line + 1
            out[key] = _build(value_node, (*path, str(key)), doc, budget)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), doc, budget) for i, item in enumerate(node.value)]
    assert isinstance(node, yaml.ScalarNode)  # noqa: S101 - compose yields only these three
    try:
        return _SCALAR.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        raise ConfigError(
            f"{doc.source}:{node.start_mark.line + 1}: {exc.problem or 'unsupported value'}"
        ) from exc
