"""How commands become one quoted line for the remote shell, and how sudo refusals read."""

from __future__ import annotations

import shlex

import pytest

from endpoint_audit.checks.open_ports.linux import SS, LinuxListeningPorts
from endpoint_audit.errors import FactUnavailable, english
from endpoint_audit.model.commands import EXIT_DENIED, CommandResult
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.transport.ssh import interpret_sudo, known_hosts_name, posix_command_line

HOSTILE = ("a;touch /tmp/x", "$(id)", "`id`", "x\ny", "-rf", "'\"", "*")


def test_every_word_is_quoted() -> None:
    line = posix_command_line(("printf", "%s", *HOSTILE), (("LC_ALL", "C"),))
    assert shlex.split(line) == ["env", "LC_ALL=C", "printf", "%s", *HOSTILE]


def test_sudo_line_is_non_interactive_and_keeps_env_inside() -> None:
    line = posix_command_line(("cat", "--", "$(id)"), (("LC_ALL", "C"),), sudo=True)
    assert shlex.split(line) == [
        "env", "LC_ALL=C", "sudo", "-n", "--", "env", "LC_ALL=C", "cat", "--", "$(id)",
    ]  # fmt: skip


@pytest.mark.parametrize("name", ["A B", "X;Y", "1X", "", "$(id)"])
def test_bad_env_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="environment variable"):
        posix_command_line(("true",), ((name, "v"),))


@pytest.mark.parametrize(
    ("status", "stderr", "refused"),
    [
        (1, "sudo: a password is required\n", True),
        (1, "eaudit is not in the sudoers file.  This incident will be reported.\n", False),
        (1, "sudo: eaudit is not in the sudoers file.  This incident will be reported.\n", True),
        (1, "Sorry, user eaudit may not run sudo on pc-1.\n", True),
        (127, "sh: 1: sudo: not found\n", True),
        (127, "bash: line 1: sudo: command not found\n", True),
        (1, "Cannot open netlink socket: Permission denied\n", False),
        (1, "ss: a password is required\n", False),
        (0, "sudo: a password is required\n", False),
    ],
)
def test_sudo_refusals_are_recognized(status: int, stderr: str, refused: bool) -> None:
    result = interpret_sudo(CommandResult(status, stderr=stderr))
    assert result.privilege_refused is refused
    if refused:
        assert result.exit_status == EXIT_DENIED


def test_refused_sudo_makes_the_fact_unknown_naming_the_privilege() -> None:
    refused = interpret_sudo(CommandResult(1, stderr="sudo: a password is required\n"))
    platform = PlatformInfo(family=OsFamily.LINUX, transport="ssh")
    with pytest.raises(FactUnavailable) as info:
        LinuxListeningPorts().parse({SS.key: refused}, platform)
    assert info.value.needs_privilege and "sudo" in english(info.value.needs_privilege)
    assert "a password is required" in english(info.value.reason)


def test_known_hosts_names() -> None:
    assert known_hosts_name("pc-1", 22) == "pc-1"
    assert known_hosts_name("127.0.0.5", 2222) == "[127.0.0.5]:2222"


def test_dns_failure_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    # No real lookup: a name that does not resolve would send a query off this machine.
    import asyncio
    import socket

    import asyncssh

    from endpoint_audit.errors import TransportError
    from endpoint_audit.transport.ssh import SshEndpoint, SshTransport

    async def no_such_name(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(asyncssh, "connect", no_such_name)
    transport = SshTransport("pc-x", SshEndpoint("pc-x.city.lg.jp", user="audit"))
    with pytest.raises(TransportError, match=r"audit@pc-x\.city\.lg\.jp: DNS: cannot resolve"):
        asyncio.run(transport.open())
