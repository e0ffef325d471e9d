"""Replay: serve a recorded transcript. An unrecorded command is an error, never a success.

A replayed host can do what the transport that recorded it could: the collectors ask
for the same commands as when it was recorded (the probe-script form for a probe
script's bundle, native reads for a recording of the machine itself), and whatever the
recording lacks is a miss naming the command.
"""

from __future__ import annotations

from collections.abc import Callable

from endpoint_audit.errors import ReplayMissError, TransportError
from endpoint_audit.model.capabilities import Capabilities
from endpoint_audit.model.commands import Command, CommandResult, PowerShell
from endpoint_audit.model.observed import Reason
from endpoint_audit.model.platform import PROBE_SCRIPT_TRANSPORT, OsFamily, PlatformInfo
from endpoint_audit.transport.base import Transport, host_commands
from endpoint_audit.transport.detect import undetected
from endpoint_audit.transport.local import LocalTransport
from endpoint_audit.transport.powershell import PLATFORM, platform_from_probe
from endpoint_audit.transport.ssh import SshTransport
from endpoint_audit.transport.transcript import HostTranscript


def probe_script_capabilities(family: OsFamily) -> Capabilities:
    """What an exported probe script does: the fixed commands of its OS, no follow-ups
    (it cannot call back into the collectors between rounds), no native reads."""
    return host_commands(family)


# What each recording transport could do, by the `PlatformInfo.transport` it wrote. A
# recording named otherwise (written by hand, or replayed and recorded again) is replayed
# as a session that asked each command in turn: follow-ups, no native reads.
RECORDED_BY: dict[str, Callable[[OsFamily], Capabilities]] = {
    LocalTransport.name: LocalTransport.capabilities_on,
    SshTransport.name: SshTransport.capabilities_on,
    PROBE_SCRIPT_TRANSPORT: probe_script_capabilities,
}


class ReplayTransport(Transport):
    name = "replay"

    def __init__(self, recorded: HostTranscript) -> None:
        super().__init__(recorded.target)
        self.recorded = recorded
        self.misses: list[str] = []
        if recorded.script_version is not None:
            self.name = PROBE_SCRIPT_TRANSPORT

    async def open(self) -> None:
        if self.recorded.unreachable is not None:  # as it was when collected
            raise TransportError(self.recorded.unreachable)

    def stamped(self, platform: PlatformInfo) -> PlatformInfo:
        """The capabilities of what recorded the host. A probe script's bundle is known
        by its script version, whatever its platform entry says."""
        if self.recorded.script_version is not None:
            return platform.with_capabilities(probe_script_capabilities(platform.family))
        named = self.recorded.platform.transport if self.recorded.platform else ""
        recorder = RECORDED_BY.get(named, Transport.capabilities_on)
        return platform.with_capabilities(recorder(platform.family))

    async def _detect_platform(self) -> PlatformInfo:
        if self.recorded.platform is not None:
            return self.recorded.platform
        windows = self.recorded.commands.get(PLATFORM.key)
        if windows is not None:
            return platform_from_probe(windows, transport=self.name)
        try:
            return await super()._detect_platform()
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
