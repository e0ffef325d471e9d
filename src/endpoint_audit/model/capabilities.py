"""What the transport that reached a host can do for the host's collectors.

A collector asks `platform.can(Capability.X)` instead of naming a transport, so the same
question gets the same answer from a live session and from the replay of its recording.
Each transport declares its set (`Transport.capabilities_on`) and stamps it on the
platform it detected; replay stamps the set of the transport that made the recording.
"""

from __future__ import annotations

from enum import StrEnum


class Capability(StrEnum):
    # Run commands chosen after seeing earlier output (per-session or per-user
    # follow-ups carrying ids and names). A probe script runs one fixed list, so its
    # bundle answers none: collectors then ask for their self-contained form.
    FOLLOW_UPS = "follow-ups"
    # Run programs (argv) on a POSIX host.
    POSIX_COMMANDS = "posix-commands"
    # Read a file's bytes.
    READ_FILES = "read-files"
    # Run PowerShell probes on a Windows host.
    POWERSHELL = "powershell"
    # Read this very machine in-process (psutil): only the machine the tool runs on.
    NATIVE = "native"


Capabilities = frozenset[Capability]
