"""The rich console the text renderers draw into: into a buffer, colour only when asked,
no markup guessing (highlighting, emoji) on host data."""

from __future__ import annotations

from typing import TextIO

from rich.console import Console

DEFAULT_WIDTH = 120  # files and pipes get a fixed width, so output stays stable


def text_console(buffer: TextIO, color: bool, width: int | None) -> Console:
    return Console(
        file=buffer,
        force_terminal=color,
        no_color=not color,
        width=width or DEFAULT_WIDTH,
        highlight=False,
        emoji=False,
    )
