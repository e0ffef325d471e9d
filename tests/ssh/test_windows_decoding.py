"""Over a real SSH session (the loopback lab's sshd), output of a host known to run
Windows that is not UTF-8 is decoded as CP932 with a marker; a POSIX host's is not."""

from __future__ import annotations

import asyncio

import pytest

from endpoint_audit.model.commands import CommandResult
from endpoint_audit.transport.ssh import SshEndpoint, SshOptions, SshTransport
from endpoint_audit.transport.windows_text import CP932_MARKER
from tests.ssh.lab import USER_OK, SshLab
from tests.windows.captures import CLM_PROPERTY_SETTER_JA

pytestmark = [pytest.mark.sshd]


def run_line(lab: SshLab, windows: bool, line: str) -> CommandResult:
    address = lab.start_fleet(1)[0]
    lab.trust([address])

    async def go() -> CommandResult:
        transport = SshTransport(
            "win-ja",
            SshEndpoint(address, lab.port, lab.user(USER_OK)),
            SshOptions(known_hosts=lab.known_hosts),
        )
        async with transport:
            transport._windows = windows  # as _detect_windows sets it for a Windows host
            return await transport._exec(line, 20)

    return asyncio.run(go())


def cp932_printf() -> str:
    """A shell line that writes the Japanese error's CP932 bytes to stderr and exits 1."""
    octal = "".join(f"\\{byte:03o}" for byte in CLM_PROPERTY_SETTER_JA.encode("cp932"))
    return f"printf '{octal}' >&2; exit 1"


def test_cp932_stderr_of_a_windows_host_is_readable(
    ssh_lab: SshLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(ssh_lab.client_home))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    result = run_line(ssh_lab, True, cp932_printf())
    assert result.exit_status == 1
    assert result.stderr.startswith(CP932_MARKER)
    assert "プロパティを設定できません。" in result.stderr


def test_a_posix_host_keeps_utf8_decoding(ssh_lab: SshLab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(ssh_lab.client_home))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    result = run_line(ssh_lab, False, cp932_printf())
    assert CP932_MARKER not in result.stderr
    assert "\ufffd" in result.stderr
