"""How one cell of a rule sheet (CSV for Excel) writes a value, and reads it back.

The notation is unambiguous, so a sheet rebuilds exactly the rules it was written from:

- a number is written bare: `1`, `-5`, `2.5` (a DWORD 1 stays the number 1);
- `true` and `false` are the two truth values;
- text is written bare, unless bare it would read as something else: text that looks like
  a number or a truth value, is empty, starts with `[`, has spaces at either end, or
  starts and ends with `"` is written in double quotes, a quote inside doubled
  (`"1"` is the text 1, `""` the empty text);
- a list (the operand of `in` and of the set operators) is `[1, 2, "a"]`: its texts
  always in quotes; `[]` is the empty list (`equals_set: []`, no one).

Cells are trimmed on reading. A cell that a spreadsheet would run as a formula (starting
with = + - @, a tab or a carriage return) is written with an apostrophe first, and so is
a cell that starts with an apostrophe; reading removes exactly one leading apostrophe.
"""

from __future__ import annotations

import math
import re
from typing import Any

# What a spreadsheet takes as the start of a formula (OWASP "CSV injection"); the
# apostrophe itself is escaped too, so that removing one on reading is lossless.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")

_INT = re.compile(r"-?(0|[1-9][0-9]*)")
_FLOAT = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_BOOLS = {"true": True, "false": False}


class CellProblem(ValueError):
    """A cell that does not read as the notation says; the message says how to write it."""


def guard(cell: str) -> str:
    """The cell as written to the file: a would-be formula gets an apostrophe first."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def unguard(cell: str) -> str:
    """The cell as read from the file: trimmed, one leading apostrophe removed."""
    text = cell.strip()
    return text[1:] if text.startswith("'") else text


def _looks_like_number(text: str) -> bool:
    return bool(_FLOAT.fullmatch(text))


def _needs_quotes(text: str) -> bool:
    return (
        text == ""
        or text != text.strip()
        or _looks_like_number(text)
        or text.lower() in _BOOLS
        or text.startswith("[")
        or (len(text) >= 2 and text.startswith('"') and text.endswith('"'))
    )


def quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _unquote(cell: str) -> str:
    inner = cell[1:-1]
    if '"' in inner.replace('""', ""):
        raise CellProblem(
            f'{cell!r}: a quote inside quoted text is written twice (""), e.g. "say ""hi"""'
        )
    return inner.replace('""', '"')


def _is_quoted(cell: str) -> bool:
    return len(cell) >= 2 and cell.startswith('"') and cell.endswith('"')


def write_text(text: str) -> str:
    """Text as a cell (quoted only when bare it would read differently)."""
    return quote(text) if _needs_quotes(text) else text


def read_text(cell: str) -> str:
    """A text cell: bare, or in double quotes."""
    return _unquote(cell) if _is_quoted(cell) else cell


def _write_number(value: int | float) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        raise CellProblem(f"{value!r} cannot be written in a sheet")
    return repr(value)


def write_scalar(value: Any, in_list: bool = False) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _write_number(value)
    if isinstance(value, str):
        return quote(value) if in_list else write_text(value)
    raise CellProblem(f"{value!r} is not a number, text or true/false")


def write_value(value: Any) -> str:
    """An operand as a cell: a scalar, or a list for `in`."""
    if isinstance(value, list):
        return "[" + ", ".join(write_scalar(v, in_list=True) for v in value) + "]"
    return write_scalar(value)


def read_scalar(cell: str, in_list: bool = False) -> Any:
    if _is_quoted(cell):
        return _unquote(cell)
    if cell.lower() in _BOOLS:
        return _BOOLS[cell.lower()]
    if _INT.fullmatch(cell) or _FLOAT.fullmatch(cell):
        return _number(cell)
    if in_list:
        raise CellProblem(
            f'{cell!r}: texts in a list are written in double quotes, e.g. [1, "{cell}"]'
        )
    return cell


# Far above any value a rule compares (a QWORD has 20 digits), low enough that no cell
# costs time to convert.
MAX_NUMBER_DIGITS = 40


def _number(cell: str) -> int | float:
    if len(cell) > MAX_NUMBER_DIGITS:
        raise CellProblem(f"{cell[:20]}...: a number of more than {MAX_NUMBER_DIGITS} digits")
    value: int | float = int(cell) if _INT.fullmatch(cell) else float(cell)
    if isinstance(value, float) and not math.isfinite(value):
        raise CellProblem(f"{cell!r}: the number is too large")
    return value


def read_value(cell: str) -> Any:
    """An operand cell: `[...]` is a list, anything else one scalar."""
    if cell.startswith("[") and not _is_quoted(cell):
        if not cell.endswith("]"):
            raise CellProblem(f"{cell!r}: a list is written [a, b] with a closing ]")
        return [read_scalar(part, in_list=True) for part in split_fields(cell[1:-1], ",")]
    return read_scalar(cell)


def split_fields(text: str, separator: str) -> list[str]:
    """`text` split at `separator` outside double quotes; each part trimmed, quotes kept."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == separator and not quoted:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    if quoted:
        raise CellProblem(f"{text!r}: a quote is not closed")
    parts.append("".join(current).strip())
    if len(parts) == 1 and parts[0] == "":
        return []
    if "" in parts:
        raise CellProblem(f"{text!r}: an empty item between {separator!r}")
    return parts


def split_lines(text: str) -> list[str]:
    """`text` split into lines outside double quotes (a quoted part may span lines)."""
    lines: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char in "\r\n" and not quoted:
            # A line end outside quotes (CRLF, LF or CR); inside quotes it is the text's.
            lines.append("".join(current))
            current = []
            continue
        current.append(char)
    lines.append("".join(current))
    return [line.strip() for line in lines if line.strip()]


def write_field(text: str) -> str:
    """One field of a multi-part cell (references): quoted when it holds a separator."""
    if _needs_quotes(text) or any(c in text for c in '|\n\r"'):
        return quote(text)
    return text
