"""Windows hosts over SSH, with the remote side played by a fake shell (no Windows here):
detection falls back to PowerShell, only plain words reach cmd.exe, POSIX commands are
never sent, and every probe of a round shares one powershell.exe."""

from __future__ import annotations

import asyncio
import base64
import json

from endpoint_audit.model.commands import Argv, CommandResult, PowerShell, ReadFile
from endpoint_audit.model.platform import OsFamily
from endpoint_audit.transport import powershell
from endpoint_audit.transport.ssh import SshEndpoint, SshTransport


class FakeWindows(SshTransport):
    """cmd.exe on Windows 11: no uname; powershell.exe answers the batch."""

    def __init__(self) -> None:
        super().__init__("win-01", SshEndpoint("192.0.2.21", user="CORP\\audit"))
        self.lines: list[str] = []

    async def _exec(self, line: str, timeout: float, stdin: bytes | None = None) -> CommandResult:
        self.lines.append(line)
        words = line.split(" ")
        if words[0] != "powershell.exe":
            return CommandResult(1, stderr=f"'{words[0]}' is not recognized as a command")
        if stdin is not None:  # a long script: a constant bootstrap reads it from stdin
            script = base64.b64decode(stdin).decode("utf-8")
        else:
            encoded = words[words.index("-EncodedCommand") + 1]
            script = base64.b64decode(encoded).decode("utf-16-le")
        answers = {}
        for name in ("platform", "firewall_profiles"):
            if name in script:
                value = (
                    {"current_build": "22631", "ubr": 4037, "edition_id": "Professional",
                     "installation_type": "Client", "display_version": "23H2",
                     "hostname": "WIN-01", "is_admin": True, "arch": "AMD64"}
                    if name == "platform"
                    else [{"name": "Public", "enabled": True}]
                )  # fmt: skip
                answers[name] = {"ok": True, "value": value, "ms": 5}
        document = json.dumps(answers)
        stdout = f"{powershell.BEGIN_MARKER}\n{document}\n{powershell.END_MARKER}\n"
        return CommandResult(0, stdout=stdout)


def test_windows_is_detected_and_only_powershell_is_sent() -> None:
    transport = FakeWindows()
    firewall = PowerShell("firewall_profiles", "$result = @()")

    async def scan() -> tuple[object, dict[str, CommandResult], CommandResult, CommandResult]:
        platform = await transport.detect_platform()
        batch = await transport.run_powershell_batch([firewall])
        posix = await transport.run(Argv(("ss", "-H", "-tulpn")))
        read = await transport.run(ReadFile("/etc/os-release"))
        return platform, batch, posix, read

    platform, batch, posix, read = asyncio.run(scan())
    assert platform.family is OsFamily.WINDOWS  # type: ignore[attr-defined]
    assert platform.build == "22631.4037"  # type: ignore[attr-defined]
    assert platform.transport == "ssh"  # type: ignore[attr-defined]
    assert json.loads(batch[firewall.key].stdout) == [{"name": "Public", "enabled": True}]
    assert posix.exit_status == 127 and "Windows" in posix.stderr
    assert read.exit_status == 127
    # What reached the Windows shell: `uname -snm`, then powershell.exe with plain words.
    assert transport.lines[0] == "uname -snm"
    for line in transport.lines[1:]:
        assert line.startswith("powershell.exe ")
        assert not set(line) & set("'\"&|<>^%`;()$\n")
    assert len(transport.lines) == 3  # detection, then one process for the round
