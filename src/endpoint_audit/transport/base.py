"""The Transport contract (DESIGN.md §3)."""

from __future__ import annotations

import abc
import base64
import binascii
import json
import math
from types import TracebackType
from typing import Self

from endpoint_audit.model.capabilities import Capabilities, Capability
from endpoint_audit.model.commands import Argv, Command, CommandResult, PowerShell
from endpoint_audit.model.platform import OsFamily, PlatformInfo

DEFAULT_COMMAND_TIMEOUT = 60.0


class Transport(abc.ABC):
    """An open session to one host. Runs commands; never interprets their output.

    Subclasses implement `_run`. The base caches results so that each command runs at
    most once per host per run, and records every result in `transcript`.
    """

    name: str = "transport"
    # How many commands of one round the engine hands over at once. Transports that
    # batch a round into one remote process (SSH) take them all.
    commands_in_flight: int = 8
    # Seconds each platform-detection command may take; the engine lowers it to the
    # run's --timeout, so a hung `uname` costs no more than any other probe.
    detect_timeout: float = 30.0

    def __init__(self, target: str) -> None:
        self.target = target
        self.transcript: dict[str, CommandResult] = {}

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def open(self) -> None:  # noqa: B027 - optional hook
        """Connect. Raise TransportError when the host cannot be reached."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Disconnect; must not raise."""

    async def run(
        self, command: Command, timeout: float = DEFAULT_COMMAND_TIMEOUT
    ) -> CommandResult:
        cached = self.transcript.get(command.key)
        if cached is not None:
            return cached
        if isinstance(command, Argv) and command.timeout is not None:
            timeout = min(timeout, command.timeout)
        result = await self._run(command, timeout)
        self.transcript[command.key] = result
        return result

    async def run_powershell_batch(
        self, probes: list[PowerShell], timeout: float = DEFAULT_COMMAND_TIMEOUT
    ) -> dict[str, CommandResult]:
        """Run several PowerShell probes in one process (one start per host scan), and
        return each probe's result by key. Cached like `run`."""
        missing = [p for p in probes if p.key not in self.transcript]
        if missing:
            self.transcript.update(await self._run_powershell_batch(missing, timeout))
        return {p.key: self.transcript[p.key] for p in probes}

    async def _run_powershell_batch(
        self, probes: list[PowerShell], timeout: float
    ) -> dict[str, CommandResult]:
        """Transports that reach Windows override this. The default refuses each probe
        with exit 127, so a probe is never silently skipped."""
        refusal = CommandResult(
            exit_status=127, stderr=f"the {self.name} transport cannot run PowerShell"
        )
        return {p.key: refusal for p in probes}

    @classmethod
    def capabilities_on(cls, family: OsFamily) -> Capabilities:
        """What this transport can do on a host of `family` (model.capabilities). The
        default, a session that runs each command as it is asked: follow-ups, and the
        host's own kind of command."""
        return frozenset({Capability.FOLLOW_UPS}) | host_commands(family)

    def stamped(self, platform: PlatformInfo) -> PlatformInfo:
        """`platform` with the capabilities of this session to it."""
        return platform.with_capabilities(self.capabilities_on(platform.family))

    async def detect_platform(self) -> PlatformInfo:
        """What the host runs, stamped with what this transport can do there."""
        return self.stamped(await self._detect_platform())

    def refined_platform(self, detected: PlatformInfo) -> PlatformInfo:
        """The platform as known after the probes ran, stamped like `detect_platform`'s."""
        return self.stamped(self._refined_platform(detected))

    async def _detect_platform(self) -> PlatformInfo:
        """What the host runs. The default asks the host with ordinary commands."""
        from endpoint_audit.transport.detect import detect_with_commands

        return await detect_with_commands(self, self.detect_timeout)

    @property
    def host_key_fingerprint(self) -> str | None:
        """The verified SSH host key (`SHA256:...`); None for transports without one."""
        return None

    def _refined_platform(self, detected: PlatformInfo) -> PlatformInfo:
        """A transport that detected the host cheaply and let the full platform probe
        ride in a later batch returns the fuller answer here; the default keeps what
        detection said."""
        return detected

    @abc.abstractmethod
    async def _run(self, command: Command, timeout: float) -> CommandResult:
        """Run one command for real."""


def host_commands(family: OsFamily) -> Capabilities:
    """The kind of command a host of `family` runs: programs and files on POSIX,
    PowerShell on Windows; nothing on a host that could not be told."""
    if family in (OsFamily.LINUX, OsFamily.MACOS):
        return frozenset({Capability.POSIX_COMMANDS, Capability.READ_FILES})
    if family is OsFamily.WINDOWS:
        return frozenset({Capability.POWERSHELL})
    return frozenset()


def result_to_json(result: CommandResult) -> dict[str, object]:
    return {
        "exit_status": result.exit_status,
        "stdout": result.stdout,
        "stderr": result.stderr,
        "duration": round(result.duration, 4),
        "timed_out": result.timed_out,
    }


def _text(data: dict[str, object], name: str) -> str:
    """`stdout` as text, or `stdout_b64` as base64 (what shell probe scripts write, since
    POSIX sh cannot escape arbitrary bytes into JSON)."""
    encoded = data.get(f"{name}_b64")
    if encoded is not None:
        if not isinstance(encoded, str):
            raise ValueError(f"{name}_b64 must be a base64 string")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise ValueError(f"{name}_b64 is not valid base64: {exc}") from None
        return raw.decode("utf-8", errors="replace")
    value = data.get(name, "")
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    return value


def result_from_json(data: dict[str, object]) -> CommandResult:
    """A recorded result. A record without an exit status is refused rather than taken
    as a success."""
    exit_status = data.get("exit_status")
    if isinstance(exit_status, bool) or not isinstance(exit_status, int):
        raise ValueError("each recorded result needs an integer exit_status")
    return CommandResult(
        exit_status=exit_status,
        stdout=_text(data, "stdout"),
        stderr=_text(data, "stderr"),
        duration=_seconds(data.get("duration", 0.0)),
        timed_out=bool(data.get("timed_out", False)),
    )


def _seconds(value: object) -> float:
    """A recorded duration; anything that is not a finite number of seconds is 0."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    try:
        seconds = float(value)
    except OverflowError:  # an integer too large for a float
        return 0.0
    return seconds if math.isfinite(seconds) and seconds >= 0 else 0.0


def dumps_value(value: object) -> str:
    """JSON text for a native or PowerShell probe's value."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
