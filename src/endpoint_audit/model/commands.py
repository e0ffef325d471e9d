"""Commands a collector asks a transport to run, and what comes back.

A command is data, never a shell string: POSIX commands are argv tuples, Windows probes
are named PowerShell fragments the engine batches into one script, native probes are
answered by the local transport itself (psutil), and file reads name a path.
Each command has a stable `key`, which is how transcripts record and replay it.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from endpoint_audit.model.valid_text import valid_text


@dataclass(frozen=True)
class Argv:
    """A POSIX program and its arguments. Over SSH it is quoted with shlex.join."""

    argv: tuple[str, ...]
    # Needs root to see everything; with --sudo it runs as `sudo -n <argv>`.
    privileged: bool = False
    # Variables the program needs (LC_ALL=C so output is not localized).
    env: tuple[tuple[str, str], ...] = (("LC_ALL", "C"),)
    # Seconds it may run, when less than the scan's command timeout (a rule's `command`).
    timeout: float | None = field(default=None, compare=False)
    # Added by a release newer than bundles and recordings users keep, which lack it.
    # Replaying one, the engine leaves the command out of the collector's results
    # instead of failing the fact (engine/host_commands.py); the collector then judges
    # from what the recording holds, never more favourably than this command's output
    # could. Live transports and exported probe scripts always run it. Not in the key
    # or equality: the same command, recorded or not.
    may_be_unrecorded: bool = field(default=False, compare=False)

    @cached_property
    def key(self) -> str:  # asked for hundreds of times a scan; quoting costs
        return shlex.join(self.argv)


@dataclass(frozen=True)
class ReadFile:
    """The bytes of one file, decoded as UTF-8. A missing file is exit status 1."""

    path: str
    privileged: bool = False
    may_be_unrecorded: bool = field(default=False, compare=False)  # as Argv's

    @property
    def key(self) -> str:
        return f"file:{self.path}"


@dataclass(frozen=True)
class PowerShell:
    """One named PowerShell probe. Its script sets `$result` to a value made of plain
    data (hashtables, arrays, strings, numbers); the engine batches every probe of a
    host into one process and returns each probe's value as JSON in `stdout`."""

    name: str
    script: str = field(compare=False)
    privileged: bool = False
    # Runs under Constrained Language Mode (AppLocker/WDAC): the script uses only what
    # about_Language_Modes (PowerShell 5.1) allows, outside `if ($EAFullLanguage) { }`
    # blocks. Other probes are refused there and their facts are unknown.
    clm_safe: bool = field(default=False, compare=False)
    may_be_unrecorded: bool = field(default=False, compare=False)  # as Argv's

    @property
    def key(self) -> str:
        return f"ps:{self.name}"


@dataclass(frozen=True)
class Native:
    """A probe the local transport answers with a library (psutil) instead of a program.
    The answer is JSON in `stdout`; other transports do not offer native probes."""

    name: str
    privileged: bool = False
    may_be_unrecorded: bool = field(default=False, compare=False)  # as Argv's

    @property
    def key(self) -> str:
        return f"native:{self.name}"


Command = Argv | ReadFile | PowerShell | Native


# Exit statuses with a fixed meaning across transports (as coreutils and shells use them).
EXIT_TIMEOUT = 124
EXIT_NOT_FOUND = 127
EXIT_DENIED = 126
# How a transport reports that `sudo -n` would not run a privileged command (it wanted a
# password, or the user may not use sudo): exit EXIT_DENIED and stderr starting with this.
SUDO_REFUSED = "sudo -n refused"
# How a PowerShell batch reports a probe it did not run because the session's language
# mode (ConstrainedLanguage under AppLocker or WDAC) forbids what the probe uses: exit
# EXIT_DENIED and stderr "<LANGUAGE_MODE_REFUSED> <mode>: <why>".
LANGUAGE_MODE_REFUSED = "refused in PowerShell language mode"


@dataclass(frozen=True)
class CommandResult:
    """What one command returned. Text is decoded as UTF-8 with replacement characters,
    and holds no lone surrogate whatever made it (psutil's file-system names, a value
    re-encoded from a probe's JSON, a bundle): every transport's output enters here."""

    exit_status: int
    stdout: str = ""
    stderr: str = ""
    duration: float = 0.0
    timed_out: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "stdout", valid_text(self.stdout))
        object.__setattr__(self, "stderr", valid_text(self.stderr))

    @property
    def ok(self) -> bool:
        return self.exit_status == 0 and not self.timed_out

    @property
    def not_found(self) -> bool:
        return self.exit_status == EXIT_NOT_FOUND

    @property
    def privilege_refused(self) -> bool:
        """sudo -n refused to run the command: the fact needs a privilege we lack."""
        return self.exit_status == EXIT_DENIED and self.stderr.startswith(SUDO_REFUSED)

    @property
    def refused_language_mode(self) -> str | None:
        """The PowerShell language mode (e.g. ConstrainedLanguage) that kept this probe
        from running, or None when it was not refused for that reason."""
        if self.exit_status != EXIT_DENIED or not self.stderr.startswith(LANGUAGE_MODE_REFUSED):
            return None
        rest = self.stderr[len(LANGUAGE_MODE_REFUSED) :].split(":", 1)[0].strip()
        return rest or "unknown"

    def excerpt(self, limit: int = 400) -> str:
        """A short text for messages: stderr first, since it says why."""
        text = (self.stderr.strip() or self.stdout.strip()).replace("\r", "")
        return text if len(text) <= limit else text[: limit - 1] + "…"


def transcript_digest(transcript: Mapping[str, CommandResult]) -> str:
    """The sha256 of a host's command transcript: each command key with its exit status,
    stdout, stderr and timeout flag, as canonical JSON (sorted keys, UTF-8). The same
    commands and output give the same digest whether scanned live or read from a bundle,
    so a report's `transcript_sha256` names the evidence it was judged from."""
    body = {
        key: {
            "exit_status": result.exit_status,
            "stdout": result.stdout,
            "stderr": result.stderr,
            "timed_out": result.timed_out,
        }
        for key, result in transcript.items()
    }
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
