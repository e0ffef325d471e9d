"""Lines of a host's file as the programs that read it see them.

`str.splitlines` also breaks at \\v, \\f, \\x1c-\\x1e, \\x85, \\u2028 and \\u2029, which
/etc/passwd, sudoers or PAM readers take as ordinary characters. A hostile file could use
one to move a field onto a "line" of its own and hide an entry from the audit, so the
parsers of such files split at "\\n" only.
"""

from __future__ import annotations


def host_lines(text: str) -> list[str]:
    """`text` split at newlines only; no empty last item for a final newline."""
    parts = text.split("\n")
    if parts and parts[-1] == "":
        parts.pop()
    return parts
