"""The YAML half of yaml_lines: a text composed into nodes by libyaml (safe tags only),
checked for alias expansion and built into values that keep their lines.

Only a text that yaml_kept does not hold comes here, so a start that finds its baseline
kept never imports PyYAML. The limits are read from yaml_lines at each call (tests set
them there).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from endpoint_audit.baseline import yaml_lines as limits
from endpoint_audit.baseline.yaml_lines import LinedDocument, PathKey, dotted, line_at
from endpoint_audit.errors import ConfigError
from endpoint_audit.model.valid_text import valid_text

# libyaml composes about three times faster than pure Python and caps nesting itself.
_LOADER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml_problem(exc: yaml.YAMLError, text: str, source: str) -> ConfigError:
    if isinstance(exc, yaml.reader.ReaderError):
        line = line_at(text, exc.position)
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


def compose_lined(text: str, source: str) -> LinedDocument:
    """Parse one YAML document, keeping lines. Raises ConfigError `source:line: message`."""
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise _yaml_problem(exc, text, source) from exc
    except RecursionError:  # pure-Python composer on absurd nesting
        raise ConfigError(
            f"{source}:1: (top): nested more than {limits.MAX_DEPTH} levels deep"
        ) from None
    if node is None:
        raise ConfigError(f"{source}:1: (top): the file is empty")
    doc = LinedDocument(source=source, data=None)
    _check_expansion(node, source, text)
    doc.data = _build(node, (), doc)
    return doc


def _node_children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _expanded_sizes(root: yaml.Node, source: str) -> tuple[dict[int, int], int]:
    """How many values each node expands to (aliases followed), and how many distinct
    nodes the file holds. Iterative and each node counted once: the count itself costs
    no more than the file. A node that contains itself (`&a [*a]`) is refused."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in _node_children(node))
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            line = node.start_mark.line + 1
            raise ConfigError(
                f"{source}:{line}: (top): an alias (*name) refers to the value that contains it"
            )
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _node_children(node) if id(c) not in sizes)
    return sizes, len(sizes)


# Where an anchor may stand: `&` and a name, at the start of the text or after a space, a
# line break or a flow indicator (`{"a":&x 1}` in flow context). `Users & Groups` is not
# one; text that only looks like one (`R &D`) costs the full count, never a missed alias.
_ANCHOR = re.compile(r"(?:^|[\s\[{,:\ufeff])&\S")


def _tree_size(root: yaml.Node) -> int:
    """How many nodes a document without aliases holds (each is written out once), or
    limits.MAX_VALUES + 1 once it holds more."""
    count, cap = 0, limits.MAX_VALUES
    stack = [root]
    while stack and count <= cap:
        node = stack.pop()
        count += 1
        if isinstance(node, yaml.MappingNode):
            for pair in node.value:
                stack.extend(pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return count


def _check_expansion(root: yaml.Node, source: str, text: str) -> None:
    """Refuse a document whose aliases multiply it (see the module docstring)."""
    # An alias needs an anchor and a text without one has no shared node: a plain count
    # of its nodes is enough (a third of the work of the count that follows aliases).
    if not _ANCHOR.search(text) and _tree_size(root) <= limits.MAX_VALUES:
        return
    sizes, distinct = _expanded_sizes(root, source)
    total = sizes[id(root)]
    alias_budget = max(limits.MIN_ALIAS_BUDGET, limits.ALIAS_RATIO * distinct)
    if total <= limits.MAX_VALUES and total <= alias_budget:
        return
    budget = min(limits.MAX_VALUES, alias_budget)
    # Name the top-level key being expanded when the budget ran out: the inner paths of
    # an alias bomb say nothing.
    line, where, running = 1, "(top)", 1
    if isinstance(root, yaml.MappingNode):
        for key_node, value_node in root.value:
            running += sizes[id(key_node)] + sizes[id(value_node)]
            if running > budget:
                line = key_node.start_mark.line + 1
                where = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else where
                break
    if total > distinct and total > alias_budget:
        raise ConfigError(
            f"{source}:{line}: {where}: aliases (*name) expand the document to {total:,} "
            f"values from {distinct:,} written; at most {limits.ALIAS_RATIO} times as many (or "
            f"{limits.MIN_ALIAS_BUDGET:,}) are allowed; alias bomb?"
        )
    raise ConfigError(
        f"{source}:{line}: {where}: the document holds {total:,} values; at most "
        f"{limits.MAX_VALUES:,} are read"
    )


_SCALAR = yaml.SafeLoader("")


def _build(node: yaml.Node, path: PathKey, doc: LinedDocument) -> Any:
    line = node.start_mark.line + 1
    if len(path) > limits.MAX_DEPTH:
        raise ConfigError(
            f"{doc.source}:{line}: {dotted(path[:3])}...: nested more than "
            f"{limits.MAX_DEPTH} levels deep"
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
            # Every key of our documents is a name (a check id, host, group or parameter):
            # a plain key means its text, so a PC called `no`, `on` or `0123` keeps its
            # name instead of becoming False, True or 83 (YAML 1.1 reads them so).
            key = (
                valid_text(key_node.value)
                if isinstance(key_node, yaml.ScalarNode) and key_node.value != ""
                else _build(key_node, path, doc)
            )
            if isinstance(key, list | dict) or key is None or key == "":
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
            out[key] = _build(value_node, key_path, doc)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), doc) for i, item in enumerate(node.value)]
    if not isinstance(node, yaml.ScalarNode):
        raise ConfigError(f"{doc.source}:{line}: {dotted(path)}: unsupported YAML node")
    try:
        value = _SCALAR.construct_object(node, deep=True)
    except (yaml.constructor.ConstructorError, ValueError, OverflowError) as exc:
        # e.g. `expires: 2026-02-30` (looks like a date, is none), an unsupported tag, or
        # a time whose offset moves it past year 1 or 9999 (OverflowError).
        problem = getattr(exc, "problem", None) or str(exc) or "unsupported value"
        raise ConfigError(
            f"{doc.source}:{line}: {dotted(path)}: {node.value!r}: {problem}"
        ) from exc
    # A double-quoted "\\ud800" is a lone surrogate, which no UTF-8 writer accepts.
    return valid_text(value) if isinstance(value, str) else value
