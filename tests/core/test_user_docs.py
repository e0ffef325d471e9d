"""The user docs with a Japanese part (English first, then `# 日本語`): a link to it at the
top; the same commands, flags and exit-code tables in both parts; and every flag a
command line in them gives is one the command has (its `--help` lists it)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from endpoint_audit.cli.app import load_command
from endpoint_audit.cli.commands import COMMANDS
from endpoint_audit.engine.exit_policy import ExitCode

DOCS = Path(__file__).resolve().parents[2] / "docs"
# Translated whole: both parts give the same command lines. fleet.md's Japanese part is
# shorter (it points at the English playbooks): its command lines are a subset.
WHOLE = ("history.md", "reports.md", "baselines.md")
SUMMARISED = ("fleet.md",)
JA_HEADING = "\n# 日本語\n"


def parts(name: str) -> tuple[str, str]:
    text = (DOCS / name).read_text(encoding="utf-8")
    assert text.count(JA_HEADING) == 1, f"{name}: one `# 日本語` part, at the end"
    english, japanese = text.split(JA_HEADING)
    return english, japanese


def command_lines(text: str) -> list[str]:
    """The `endpoint-audit ...` lines of the code blocks, without their trailing comment
    (comments are translated) and with runs of spaces as one."""
    lines = []
    for block in re.findall(r"^```[a-z]*\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL):
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("endpoint-audit ") and not line.startswith("endpoint-audit:"):
                lines.append(" ".join(re.split(r"\s+#\s", line, maxsplit=1)[0].split()))
    return lines


def flags(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", text))


def exit_tables(text: str) -> list[tuple[int, ...]]:
    """Each table whose rows start with a number: its numbers, in order."""
    tables: list[tuple[int, ...]] = []
    current: list[int] = []
    for line in [*text.splitlines(), ""]:
        row = re.match(r"^\| (\d+) \|", line)
        if row:
            current.append(int(row[1]))
        elif current:
            tables.append(tuple(current))
            current = []
    return tables


def options() -> dict[tuple[str, ...], set[str]]:
    found: dict[tuple[str, ...], set[str]] = {}

    def walk(command: object, path: tuple[str, ...]) -> None:
        names = {"-h", "--help"}
        for param in getattr(command, "params", []):
            names.update(getattr(param, "opts", []), getattr(param, "secondary_opts", []))
        found[path] = names
        for sub, child in (getattr(command, "commands", None) or {}).items():
            walk(child, (*path, sub))

    for name in COMMANDS:
        walk(load_command(name), (name,))
    return found


OPTIONS = options()


@pytest.mark.parametrize("name", WHOLE + SUMMARISED)
def test_the_top_links_to_the_japanese_part(name: str) -> None:
    head = (DOCS / name).read_text(encoding="utf-8").splitlines()[:5]
    assert any("[日本語](#日本語)" in line for line in head), name


@pytest.mark.parametrize("name", WHOLE + SUMMARISED)
def test_both_parts_give_the_same_commands_flags_and_exit_codes(name: str) -> None:
    english, japanese = parts(name)
    en_lines, ja_lines = command_lines(english), command_lines(japanese)
    assert ja_lines, name
    assert set(ja_lines) <= set(en_lines), set(ja_lines) - set(en_lines)
    assert flags(japanese) <= flags(english), flags(japanese) - flags(english)
    assert exit_tables(japanese) == exit_tables(english), name
    if name in WHOLE:
        assert sorted(ja_lines) == sorted(en_lines), set(en_lines) - set(ja_lines)
        assert flags(japanese) == flags(english), flags(english) ^ flags(japanese)


@pytest.mark.parametrize("name", WHOLE + SUMMARISED)
def test_the_documented_flags_exist(name: str) -> None:
    text = (DOCS / name).read_text(encoding="utf-8")
    every = set().union(*OPTIONS.values())
    assert flags(text) <= every, flags(text) - every
    for line in command_lines(text):
        words = shlex.split(line.replace("\\", "\\\\"))[1:]
        path: tuple[str, ...] = ()
        while words and (*path, words[0]) in OPTIONS:
            path = (*path, words.pop(0))
        assert path, line
        given = {w.split("=", 1)[0] for w in words if w.startswith("-") and w != "-"}
        assert given <= OPTIONS[path], (line, given - OPTIONS[path])


def test_exit_code_tables_name_only_exit_codes() -> None:
    codes = {int(code) for code in ExitCode}
    for name in WHOLE + SUMMARISED:
        for part in parts(name):
            # An exit-code table starts at 0 (history.md's table of schema versions at 1).
            for table in (t for t in exit_tables(part) if t[0] == 0):
                assert set(table) <= codes, (name, table)


def test_a_changed_flag_would_be_caught() -> None:
    # The checks above could fail: a flag no command has, and a Japanese line that differs.
    assert not {"--no-such-flag"} <= set().union(*OPTIONS.values())
    assert command_lines("```sh\nendpoint-audit history diff  # 比較\n```\n") == [
        "endpoint-audit history diff"
    ]
    assert "--as-of" in OPTIONS[("history", "stale")]
