"""Reading a CSV file as Excel and other tools save it: a table of cells, or one error
line naming the file."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from endpoint_audit.errors import ConfigError
from endpoint_audit.safe_read import RULE_SHEET, InputRefused, read_input


def decode_sheet(raw: bytes, label: str) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ConfigError(f"{label}:1: the file is UTF-16; save it as CSV UTF-8")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Excel's plain "CSV" on a Japanese Windows writes Shift_JIS (code page 932).
        return raw.decode("cp932")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            f"{label}:{line}: neither UTF-8 nor Shift_JIS text (byte {exc.start}); "
            "save the file as CSV UTF-8"
        ) from None


def parse_table(text: str, label: str) -> list[list[str]]:
    if "\x00" in text:
        raise ConfigError(f"{label}:1: a NUL character: is it a CSV file?")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    table: list[list[str]] = []
    try:
        table.extend(reader)
    except csv.Error as exc:
        raise ConfigError(f"{label}:{reader.line_num}: not valid CSV: {exc}") from None
    return table


def read_sheet(path: Path) -> list[list[str]]:
    label = str(path)
    try:
        raw = read_input(path, RULE_SHEET, label)
    except InputRefused as exc:
        raise ConfigError(f"{label}: {exc.reason}") from None
    return parse_table(decode_sheet(raw, label), label)
