"""Answers that need neither Typer nor the engine: `--help` of the root and `checks list`
start in a fraction of the time a full command takes (Typer alone imports pydantic).
Anything these do not recognise exactly goes to the Typer application."""

from __future__ import annotations

import sys
from collections.abc import Callable

from endpoint_audit.cli.commands import COMMANDS, MAX_WIDTH, PROG, ROOT_HELP, ROOT_OPTIONS

HELP_FLAGS = ("--help", "-h")


def _width() -> int:
    # click's rule: the terminal's width up to the maximum, less a margin, at least 50.
    import shutil  # here and below: `checks list` answered from its kept table needs neither

    return max(min(shutil.get_terminal_size().columns, MAX_WIDTH) - 2, 50)


def _definitions(rows: tuple[tuple[str, str], ...], width: int) -> list[str]:
    import textwrap

    first = min(max(len(name) for name, _ in rows), 30) + 2
    lines: list[str] = []
    for name, text in rows:
        wrapped = textwrap.wrap(text, max(width - first - 2, 10)) or [""]
        if len(name) <= first - 2:
            lines.append(f"  {name:<{first}}{wrapped[0]}")
        else:
            lines += [f"  {name}", f"  {' ' * first}{wrapped[0]}"]
        lines += [f"  {' ' * first}{line}" for line in wrapped[1:]]
    return lines


def root_help(width: int | None = None) -> str:
    """`endpoint-audit --help`, laid out as click lays out the application's own."""
    import textwrap

    width = width or _width()
    lines = [f"Usage: {PROG} [OPTIONS] COMMAND [ARGS]...", ""]
    for paragraph in ROOT_HELP.split("\n\n"):
        lines += textwrap.wrap(paragraph, width, initial_indent="  ", subsequent_indent="  ")
        lines.append("")
    lines.append("Options:")
    lines += _definitions(ROOT_OPTIONS, width)
    lines += ["", "Commands:"]
    lines += _definitions(tuple((n, c.summary) for n, c in COMMANDS.items()), width)
    return "\n".join(lines) + "\n"


def _print_root_help() -> None:
    sys.stdout.write(root_help())


def _checks_list_lang(args: list[str]) -> tuple[bool, str | None]:
    """(recognised, --lang value) for `checks list [--lang ja|en]`."""
    if args == []:
        return True, None
    if len(args) == 2 and args[0] == "--lang":
        return True, args[1]
    if len(args) == 1 and args[0].startswith("--lang="):
        return True, args[0].split("=", 1)[1]
    return False, None


def _robust_streams() -> None:
    """cli.common.robust_streams, without importing it (it loads Typer): what a stream
    cannot encode (Japanese on an ASCII stdout) is written as a backslash escape."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            pass


def quick_command(argv: list[str]) -> Callable[[], None] | None:
    """The quick answer to this command line, or None to run the application."""
    _robust_streams()
    if len(argv) == 1 and argv[0] in HELP_FLAGS:
        return _print_root_help
    if argv[:2] == ["checks", "list"]:
        recognised, lang = _checks_list_lang(argv[2:])
        if recognised and lang in (None, "ja", "en"):
            from endpoint_audit.cli.checks_list import print_checks

            return lambda: print_checks(lang)
    return None
