"""Text from files and hosts, made safe to show: control characters become visible escapes.

A host name, a file name in a share, a baseline title or a process name can carry an
escape sequence (ESC [ 2 J clears a terminal, ESC ] 8 makes a link), a carriage return
(which overwrites the line shown so far), a bell, or a bidirectional override (which
shows `exe.txt` for `txt.exe`). Every place that shows such a value goes through
`visible_controls`: the terminal renderers, every line the CLI prints, and the escaping
of the document formats (XML cannot hold most controls either).
"""

from __future__ import annotations

import re
from functools import cache

# Characters that change how the rest of a line is shown: C0/C1 controls (ESC starts
# terminal sequences; category Cc is exactly U+0000-001F and U+007F-009F), lone
# surrogates (JSON can carry one), the bidirectional controls (marks, embeddings,
# overrides and isolates reorder text to spoof names), the Unicode line separators and
# the non-characters XML cannot hold. Ordinary spaces, including the ideographic space
# of Japanese text, stay.
_CONTROLS = (
    "\x00-\x1f\x7f-\x9f\ud800-\udfff\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\u2028\u2029\ufffe\uffff"
)


@cache
def _control_pattern(keep: str) -> re.Pattern[str]:
    kept = "".join(re.escape(ch) for ch in keep)
    exclude = f"(?![{kept}])" if kept else ""
    return re.compile(f"{exclude}[{_CONTROLS}]")


def _escape_control(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible_controls(text: str, keep: str = "\n\t") -> str:
    """Control characters as visible escapes (`\\x1b`), so an escape sequence from a host
    can neither recolour a terminal nor break an XML or CSV file; `keep` stays as is.
    Where newlines are kept, Windows line ends (CRLF) become plain newlines first; a lone
    carriage return (which overwrites a line on a terminal) is still shown."""
    if "\n" in keep and "\r\n" in text:
        text = text.replace("\r\n", "\n")
    pattern = _control_pattern(keep)
    if pattern.search(text) is None:
        return text
    return pattern.sub(_escape_control, text)


def one_line(text: object) -> str:
    """Any value as one line for a terminal: newlines and tabs shown as escapes too."""
    return visible_controls(str(text), keep="")


__all__ = ["one_line", "visible_controls"]
