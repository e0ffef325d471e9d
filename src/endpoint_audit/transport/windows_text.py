"""Text from Windows hosts: UTF-8 when it is valid UTF-8, else code page 932.

The batch asks PowerShell for UTF-8 (`[Console]::OutputEncoding`), but what fails before
or instead of that line (a prelude refused by Constrained Language Mode, cmd.exe, an
OpenSSH session, powershell.exe's own start-up errors) writes in the console's code page,
which is 932 (Shift_JIS as Microsoft extends it) on Japanese Windows. Decoding those
bytes as UTF-8 would leave only replacement characters of the one message that explains
the failure. Text decoded as CP932 carries a visible marker, so evidence never hides that
it was guessed.
"""

from __future__ import annotations

CP932_MARKER = "[decoded as cp932]"


def decode_windows_output(data: bytes) -> str:
    """`data` as UTF-8 if valid, else as CP932 behind CP932_MARKER (undecodable bytes
    still become U+FFFD, so nothing is dropped silently)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    return f"{CP932_MARKER} {data.decode('cp932', errors='replace')}"
