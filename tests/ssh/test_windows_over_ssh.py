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

    def __init__(self, answers_ver: bool = False) -> None:
        super().__init__("win-01", SshEndpoint("192.0.2.21", user="CORP\\audit"))
        self.lines: list[str] = []
        self.answers_ver = answers_ver

    async def _exec(self, line: str, timeout: float, stdin: bytes | None = None) -> CommandResult:
        self.lines.append(line)
        words = line.split(" ")
        if line == "cmd /c ver" and self.answers_ver:
            return CommandResult(0, stdout="\r\nMicrosoft Windows [Version 10.0.22631.4037]\r\n")
        if words[0] != "powershell.exe":
            return CommandResult(1, stderr=f"'{words[0]}' is not recognized as a command")
        if stdin is not None:  # a long script: a constant bootstrap reads it from stdin
            script = stdin.decode("ascii")
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
    # What reached the Windows shell: `uname -snm`, `cmd /c ver` (not answered by this
    # fake, so detection falls back to the platform probe), then powershell.exe with plain
    # words only.
    assert transport.lines[:2] == ["uname -snm", "cmd /c ver"]
    for line in transport.lines[2:]:
        assert line.startswith("powershell.exe ")
        assert not set(line) & set("'\"&|<>^%`;()$\n")
    assert len(transport.lines) == 4  # detection probe, then one process for the round


def test_windows_scan_starts_powershell_once() -> None:
    """`cmd /c ver` tells Windows and its build; the full platform probe rides in the
    scan's own batch, so the whole host scan starts one powershell.exe."""
    transport = FakeWindows(answers_ver=True)
    firewall = PowerShell("firewall_profiles", "$result = @()")

    async def scan() -> tuple[object, object, dict[str, CommandResult]]:
        detected = await transport.detect_platform()
        batch = await transport.run_powershell_batch([firewall])
        return detected, transport.refined_platform(detected), batch  # type: ignore[arg-type]

    detected, refined, batch = asyncio.run(scan())
    assert detected.family is OsFamily.WINDOWS  # type: ignore[attr-defined]
    assert detected.build == "22631.4037"  # type: ignore[attr-defined]
    assert detected.hostname is None  # type: ignore[attr-defined]
    assert refined.hostname == "WIN-01"  # type: ignore[attr-defined]
    assert refined.is_admin is True  # type: ignore[attr-defined]
    assert json.loads(batch[firewall.key].stdout) == [{"name": "Public", "enabled": True}]
    assert transport.lines[:2] == ["uname -snm", "cmd /c ver"]
    assert [line.split(" ")[0] for line in transport.lines[2:]] == ["powershell.exe"]
    assert "ps:platform" in transport.transcript


def test_ver_output_is_read_by_its_numbers_only() -> None:
    from endpoint_audit.transport.ssh import windows_from_ver

    ja = windows_from_ver("Microsoft Windows [Version 10.0.19045.3803]", "ssh")
    assert (
        ja is not None
        and ja.build == "19045.3803"
        and ja.pretty_name == "Windows 10 (build 19045.3803)"
    )
    other = windows_from_ver("Microsoft Windows [Versión 10.0.26100.2033]", "ssh")
    assert other is not None and other.version == "10.0.26100"
    assert windows_from_ver("bash: ver: command not found", "ssh") is None
    assert windows_from_ver("[Version 6.1.7601]", "ssh") is None  # Windows 7: not a target
