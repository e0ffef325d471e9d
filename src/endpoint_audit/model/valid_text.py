"""Text and data from outside made valid: no lone surrogates, bounded nesting.

JSON (and YAML's double-quoted strings) can spell a lone UTF-16 surrogate (`\\ud800`).
Python keeps it in a `str`, but no UTF-8 writer accepts it, so one such character from a
host would break every JSON report and the save of a fleet scan. Text is made valid
where it enters: command results (model.commands), JSON a probe printed (`loads_json`),
bundles, baselines, inventories and waiver files. A lone surrogate becomes U+FFFD, the
replacement character UTF-8 decoding already uses for bytes that are not text.

Nesting is bounded at the same place: a document nested thousands of levels deep is
refused in one line instead of exhausting the interpreter's recursion later.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # command results use this module; pydantic loads only for model_json
    from pydantic import BaseModel

# Deeper than any document this tool reads or writes (bundles nest 6 levels, probe
# output about 10), shallow enough for every recursive reader after this one.
MAX_DATA_DEPTH = 100

_SURROGATE = re.compile("[\ud800-\udfff]")


class NestingTooDeep(ValueError):
    """Data nested deeper than allowed, or a YAML structure that contains itself."""


def valid_text(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD (pairs are already joined)."""
    if text.isascii() or _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub("\ufffd", text)


def _children(node: list[Any] | dict[Any, Any]) -> list[Any]:
    return list(node.values()) if isinstance(node, dict) else node


def _clean_strings(node: list[Any] | dict[Any, Any]) -> None:
    if isinstance(node, list):
        for index, item in enumerate(node):
            if isinstance(item, str):
                node[index] = valid_text(item)
        return
    if any(isinstance(k, str) and valid_text(k) != k for k in node):
        items = list(node.items())
        node.clear()
        node.update((valid_text(k) if isinstance(k, str) else k, v) for k, v in items)
    for key, value in node.items():
        if isinstance(value, str):
            node[key] = valid_text(value)


def clean_tree(value: Any, max_depth: int = MAX_DATA_DEPTH) -> Any:
    """Parsed JSON or YAML with valid text everywhere (keys too), in place.

    Raises NestingTooDeep when containers nest deeper than `max_depth`, or when a YAML
    alias makes a structure contain itself. Iterative, and each container is visited
    once, so shared YAML aliases cost nothing extra (a "billion laughs" stays small).
    """
    if isinstance(value, str):
        return valid_text(value)
    if not isinstance(value, list | dict):
        return value
    heights: dict[int, int] = {}
    open_nodes: set[int] = set()  # containers whose children are being visited
    stack: list[tuple[Any, bool]] = [(value, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            open_nodes.discard(key)
            height = 1 + max(
                (heights[id(c)] for c in _children(node) if isinstance(c, list | dict)),
                default=0,
            )
            if height > max_depth:
                raise NestingTooDeep(f"nested more than {max_depth} levels deep")
            heights[key] = height
            _clean_strings(node)
            continue
        if key in heights:
            continue
        if key in open_nodes:
            raise NestingTooDeep("a YAML alias makes the document contain itself")
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend(
            (child, False)
            for child in _children(node)
            if isinstance(child, list | dict) and id(child) not in heights
        )
        if len(open_nodes) > max_depth:
            raise NestingTooDeep(f"nested more than {max_depth} levels deep")
    return value


def _no_constant(name: str) -> Any:
    # NaN and Infinity are not JSON; a probe never prints them, and NaN compares false
    # with every threshold, which a check could misread.
    raise ValueError(f"{name} is not a JSON value")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json keeps the last of repeated keys, other readers the first: a repeated key
    # (`"sockets": [...], "sockets": []`) makes one text two answers. No probe or writer
    # of this tool repeats one, so the text is forged or corrupt, and refused.
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {valid_text(key)[:60]!r}")
            seen.add(key)
    return data


def _every_value(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # A repeated key's values as one list, so that a reader of names sees them all.
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            kept = data[key]
            data[key] = _Repeated([*kept, value] if isinstance(kept, _Repeated) else [kept, value])
        else:
            data[key] = value
    return data


class _Repeated(list[Any]):
    """The values of a key an object repeats (unique_keys=False)."""


def loads_json(text: str | bytes, max_depth: int = MAX_DATA_DEPTH, unique_keys: bool = True) -> Any:
    """json.loads for untrusted text: strict JSON (no NaN, no key repeated in an
    object), valid text everywhere, nesting bounded. With `unique_keys` False a repeated
    key holds all its values as one list: for reading names out of text (redaction),
    never for judging it.

    Raises json.JSONDecodeError (a ValueError) for text that is not JSON, with `msg` and
    `lineno` as json.loads gives them, and NestingTooDeep (also a ValueError) for JSON
    nested deeper than `max_depth`.
    """
    try:
        hook = _unique_keys if unique_keys else _every_value
        data = json.loads(text, parse_constant=_no_constant, object_pairs_hook=hook)
    except RecursionError:  # the C decoder stops at the interpreter's recursion limit
        raise NestingTooDeep(f"nested more than {max_depth} levels deep") from None
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # NaN, a repeated key, an integer of more than 4300 digits
        doc = text if isinstance(text, str) else text.decode("utf-8", errors="replace")
        raise json.JSONDecodeError(str(exc).splitlines()[0], doc, 0) from None
    if isinstance(data, str):
        return valid_text(data)
    if isinstance(data, list | dict):
        return clean_tree(data, max_depth)
    return data


def model_json(model: BaseModel, indent: int | None = 2) -> str:
    """A model as JSON text, for every JSON file this tool writes. Should a lone surrogate
    have got past the places where text enters (a file name read with the file system's
    surrogate escapes, say), it is written as U+FFFD rather than failing the write: one
    bad character never costs a report."""
    from pydantic_core import PydanticSerializationError

    try:
        return model.model_dump_json(indent=indent)
    except PydanticSerializationError:
        cleaned = type(model).model_validate(_clean_python(model.model_dump()))
        return cleaned.model_dump_json(indent=indent)


def _clean_python(value: Any) -> Any:
    """A model's python dump with valid text (tuples too); the models nest a few levels."""
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, dict):
        return {_clean_python(k): _clean_python(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_clean_python(v) for v in value)
    return value


__all__ = [
    "MAX_DATA_DEPTH",
    "NestingTooDeep",
    "clean_tree",
    "loads_json",
    "model_json",
    "valid_text",
]
