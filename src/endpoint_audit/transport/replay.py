"""Replay: serve a recorded transcript. An unrecorded command is an error, never a success."""

from __future__ import annotations

from endpoint_audit.errors import ReplayMissError, TransportError
from endpoint_audit.model.commands import Command, CommandResult, PowerShell
from endpoint_audit.model.observed import Reason
from endpoint_audit.model.platform import PROBE_SCRIPT_TRANSPORT, PlatformInfo
from endpoint_audit.transport.base import Transport
from endpoint_audit.transport.detect import undetected
from endpoint_audit.transport.powershell import PLATFORM, platform_from_probe
from endpoint_audit.transport.transcript import HostTranscript


class ReplayTransport(Transport):
    name = "replay"

    def __init__(self, recorded: HostTranscript) -> None:
        super().__init__(recorded.target)
        self.recorded = recorded
        self.misses: list[str] = []
        if recorded.script_version is not None:
            # Collectors judge a probe script's recording in its own form.
            self.name = PROBE_SCRIPT_TRANSPORT
        # Native answers are replayed only if they were recorded.
        self.supports_native = any(k.startswith("native:") for k in recorded.commands)

    async def open(self) -> None:
        if self.recorded.unreachable is not None:  # as it was when collected
            raise TransportError(self.recorded.unreachable)

    async def detect_platform(self) -> PlatformInfo:
        if self.recorded.platform is not None:
            return self.recorded.platform
        windows = self.recorded.commands.get(PLATFORM.key)
        if windows is not None:
            return platform_from_probe(windows, transport=self.name)
        try:
            return await super().detect_platform()
        except ReplayMissError:
            return undetected(
                "the recording holds neither the platform nor the output of `uname -snm`",
                self.name,
            )

    def _lookup(self, command: Command) -> CommandResult:
        result = self.recorded.commands.get(command.key)
        if result is None:
            self.misses.append(command.key)
            raise ReplayMissError(
                Reason(
                    key="core.reason.no_recording",
                    args={"source": self.recorded.source or self.target, "command": command.key},
                )
            )
        return result

    async def _run(self, command: Command, timeout: float) -> CommandResult:
        return self._lookup(command)

    async def _run_powershell_batch(
        self, probes: list[PowerShell], timeout: float
    ) -> dict[str, CommandResult]:
        return {p.key: self._lookup(p) for p in probes}
