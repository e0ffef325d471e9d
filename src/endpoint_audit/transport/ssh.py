"""Hosts reached over SSH (asyncssh), with nothing installed on them.

POSIX commands travel as one `shlex.join` line for the remote user's shell, so every word
is quoted; nothing a host, an inventory or a collector supplies is spliced in unquoted.
Host keys are checked against known_hosts: an unknown or changed key makes the host
unreachable unless the user opted in to adding unknown keys (changed keys are always
refused, like OpenSSH's `StrictHostKeyChecking accept-new`).
"""

from __future__ import annotations

import asyncio
import errno
import re
import shlex
import socket
import threading
import time
from contextlib import suppress
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from msgspec import Struct

from endpoint_audit.errors import TransportError
from endpoint_audit.model.capabilities import Capabilities, Capability
from endpoint_audit.model.commands import (
    EXIT_DENIED,
    EXIT_NOT_FOUND,
    EXIT_TIMEOUT,
    SUDO_REFUSED,
    Argv,
    Command,
    CommandResult,
    Native,
    PowerShell,
    ReadFile,
)
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.transport import posix_batch
from endpoint_audit.transport.base import Transport, host_commands
from endpoint_audit.transport.detect import (
    ID_U,
    MACHINE_ID,
    OS_RELEASE,
    UNAME,
    detect_with_commands,
    uname_failure,
    undetected,
)
from endpoint_audit.transport.posix_batch import BatchItem
from endpoint_audit.transport.windows_text import decode_windows_output

if TYPE_CHECKING:
    import asyncssh

# A hostile host could answer with endless output; keep this much of each stream.
MAX_STREAM_BYTES = 8 * 1024 * 1024
EXIT_SSH_FAILURE = 255  # what OpenSSH's client returns when the session itself broke
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Words a Windows shell (cmd.exe or PowerShell) passes through unchanged: the PowerShell
# invocation is made of flags and base64 only, and anything else is refused.
_WINDOWS_SAFE_WORD = re.compile(r"[A-Za-z0-9+/=._:\\-]+")
_SUDO_REFUSAL = re.compile(
    r"^sudo: (?:a password is required|a terminal is required"
    r"|.* is not in the sudoers file.*|sorry, you must have a tty.*)$"
    r"|^Sorry, user \S+ may not run sudo",
    re.MULTILINE | re.IGNORECASE,
)
_SUDO_MISSING = re.compile(r"^(?:\S+: )*(?:line \d+: )?sudo: (?:command )?not found", re.MULTILINE)
_known_hosts_lock = threading.Lock()
UNAME_LINE = " ".join(UNAME.argv)  # "uname -snm": plain words, unquoted in every shell
# cmd.exe's own version line, e.g. "Microsoft Windows [Version 10.0.22631.4460]". Only the
# numbers in brackets are read, never the words, which some Windows languages translate.
VER_LINE = "cmd /c ver"
VER_KEY = "windows:cmd /c ver"
_VER_NUMBERS = re.compile(r"\[[^\]\d]*(\d+)\.(\d+)\.(\d+)(?:\.(\d+))?\]")


def windows_from_ver(text: str, transport: str) -> PlatformInfo | None:
    """The platform from `ver`, or None when the answer is not Windows's."""
    match = _VER_NUMBERS.search(text)
    if match is None or match.group(1) != "10":
        return None
    major, minor, build, ubr = match.groups()
    full_build = f"{build}.{ubr}" if ubr else build
    release = "11" if int(build) >= 22000 else "10"
    return PlatformInfo(
        family=OsFamily.WINDOWS,
        distro="windows",
        version=f"{major}.{minor}.{build}",
        build=full_build,
        pretty_name=f"Windows {release} (build {full_build})",
        transport=transport,
    )


class SshEndpoint(Struct, frozen=True):
    """Where one host is and how to log in; None means "as ~/.ssh/config says"."""

    host: str
    port: int | None = None
    user: str | None = None
    identity_file: str | None = None
    sudo: bool | None = None  # None: the run's --sudo decides


class SshOptions(Struct, frozen=True):
    """Settings shared by every host of one run."""

    connect_timeout: float = 15.0
    sudo: bool = False
    accept_new_host_keys: bool = False
    # None: ~/.ssh/known_hosts and ~/.ssh/config, as OpenSSH uses them.
    known_hosts: Path | None = None
    config: Path | None = None


def posix_command_line(
    argv: tuple[str, ...], env: tuple[tuple[str, str], ...] = (), sudo: bool = False
) -> str:
    """One shell line running `argv` with `env`, every word quoted by shlex.join.

    With sudo: `env VARS sudo -n -- env VARS argv`: -n never waits for a password, the
    outer env keeps sudo's own messages in English (so a refusal is recognizable), and
    the inner env survives sudo's environment reset.
    """
    if not argv:
        raise ValueError("empty command")
    for name, _ in env:
        if not _ENV_NAME.fullmatch(name):
            raise ValueError(f"bad environment variable name {name!r}")
    env_words = [f"{k}={v}" for k, v in env]
    words = [*argv]
    if env_words:
        words = ["env", *env_words, *words]
    if sudo:
        words = ["sudo", "-n", "--", *words]
        if env_words:
            words = ["env", *env_words, *words]
    return shlex.join(words)


def interpret_sudo(result: CommandResult) -> CommandResult:
    """Make sudo's refusal recognizable: exit 126 and stderr starting with SUDO_REFUSED,
    which collectors turn into `unknown` naming the privilege (never fail or pass)."""
    if result.timed_out or result.ok:
        return result
    stderr = result.stderr
    if result.exit_status == EXIT_NOT_FOUND and _SUDO_MISSING.search(stderr):
        return CommandResult(
            EXIT_DENIED,
            stdout=result.stdout,
            stderr=f"{SUDO_REFUSED}: sudo is not installed on the host ({stderr.strip()})",
            duration=result.duration,
        )
    match = _SUDO_REFUSAL.search(stderr)
    if result.exit_status == 1 and match:
        return CommandResult(
            EXIT_DENIED,
            stdout=result.stdout,
            stderr=f"{SUDO_REFUSED}: {match.group(0).strip()}",
            duration=result.duration,
        )
    return result


def known_hosts_name(host: str, port: int) -> str:
    """The host pattern OpenSSH writes: `host` on port 22, `[host]:port` otherwise."""
    return host if port == 22 else f"[{host}]:{port}"


class HostKeyPolicy:
    """Decides about host keys that known_hosts does not already trust."""

    def __init__(self, known_hosts: Path, accept_new: bool) -> None:
        self.known_hosts = known_hosts
        self.accept_new = accept_new
        self.verdict: str | None = None  # "unknown", "changed" or "unwritable" if refused
        self.offered: str | None = None  # fingerprint of the key the server showed
        self.tcp_connected = False

    def decide(self, host: str, addr: str, port: int, key: asyncssh.SSHKey) -> bool:
        self.offered = key.get_fingerprint()
        if self._has_entry(host, addr, port):
            self.verdict = "changed"  # the file knows this host, with another key
            return False
        if not self.accept_new:
            self.verdict = "unknown"
            return False
        public = key.export_public_key("openssh").decode().strip()
        try:
            with _known_hosts_lock:
                self.known_hosts.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                with self.known_hosts.open("a", encoding="utf-8") as handle:
                    handle.write(f"{known_hosts_name(host, port)} {public}\n")
        except OSError:
            self.verdict = "unwritable"
            return False
        return True

    def _has_entry(self, host: str, addr: str, port: int) -> bool:
        import asyncssh

        if not self.known_hosts.is_file():
            return False
        with _known_hosts_lock:
            try:
                known = asyncssh.read_known_hosts(str(self.known_hosts))
            except (OSError, ValueError):
                return False
        trusted, trusted_ca, revoked, *_ = known.match(host, addr, port)
        return bool(trusted or trusted_ca or revoked)


@cache
def _client_class() -> type[asyncssh.SSHClient]:
    """asyncssh loads only when a host is reached over SSH (`--help` stays fast)."""
    import asyncssh

    class PolicyClient(asyncssh.SSHClient):
        def __init__(self, policy: HostKeyPolicy) -> None:
            self.policy = policy

        def connection_made(self, conn: asyncssh.SSHClientConnection) -> None:
            self.policy.tcp_connected = True

        def validate_host_public_key(
            self, host: str, addr: str, port: int, key: asyncssh.SSHKey
        ) -> bool:
            return self.policy.decide(host, addr, port, key)

    return PolicyClient


class SshTransport(Transport):
    name = "ssh"
    # Commands of a round are batched into one remote shell, so many may be in flight.
    commands_in_flight = 64

    def __init__(
        self, target: str, endpoint: SshEndpoint, options: SshOptions | None = None
    ) -> None:
        super().__init__(target)
        self.endpoint = endpoint
        self.options = options or SshOptions()
        self._conn: asyncssh.SSHClientConnection | None = None
        self._host_key: str | None = None
        self._windows = False
        # Windows seen through `cmd /c ver`: the PLATFORM probe joins the first batch.
        self._platform_pending = False
        self._refined: PlatformInfo | None = None
        self._queued: dict[bool, list[tuple[BatchItem, asyncio.Future[CommandResult]]]] = {
            False: [],
            True: [],
        }
        self._flush_scheduled: set[bool] = set()
        self._flushes: set[asyncio.Task[None]] = set()

    @classmethod
    def capabilities_on(cls, family: OsFamily) -> Capabilities:
        """Follow-ups and the host's own commands; never native reads (psutil reads the
        machine the tool runs on, not the remote host)."""
        return frozenset({Capability.FOLLOW_UPS}) | host_commands(family)

    @property
    def use_sudo(self) -> bool:
        return self.endpoint.sudo if self.endpoint.sudo is not None else self.options.sudo

    def _where(self) -> str:
        port = f":{self.endpoint.port}" if self.endpoint.port else ""
        user = f"{self.endpoint.user}@" if self.endpoint.user else ""
        return f"{user}{self.endpoint.host}{port}"

    async def open(self) -> None:
        import asyncssh

        known_hosts = self.options.known_hosts or Path("~/.ssh/known_hosts").expanduser()
        policy = HostKeyPolicy(known_hosts, self.options.accept_new_host_keys)
        client_class = _client_class()
        kwargs: dict[str, Any] = {
            "known_hosts": str(known_hosts)
            if known_hosts.is_file()
            else asyncssh.import_known_hosts(""),
            "client_factory": lambda: client_class(policy),  # type: ignore[call-arg]
            "connect_timeout": self.options.connect_timeout,
        }
        if self.endpoint.port is not None:
            kwargs["port"] = self.endpoint.port
        if self.endpoint.user is not None:
            kwargs["username"] = self.endpoint.user
        if self.endpoint.identity_file is not None:
            kwargs["client_keys"] = [str(Path(self.endpoint.identity_file).expanduser())]
        if self.options.config is not None:
            kwargs["config"] = [str(self.options.config)]
        timeout = self.options.connect_timeout
        try:
            # connect_timeout covers TCP, key exchange and login; the outer bound is a
            # guard for a server that trickles bytes forever.
            async with asyncio.timeout(timeout + 5):
                self._conn = await asyncssh.connect(self.endpoint.host, **kwargs)
                key = self._conn.get_server_host_key()
                # Verified by now (known_hosts or --accept-new-host-keys): kept for the report.
                self._host_key = key.get_fingerprint() if key is not None else None
        except asyncssh.HostKeyNotVerifiable as exc:
            raise TransportError(self._host_key_reason(policy, exc)) from None
        except asyncssh.PermissionDenied:
            raise TransportError(
                f"{self._where()}: authentication failed (no key from the agent, "
                "~/.ssh/config or the inventory's identity file was accepted)"
            ) from None
        except TimeoutError:
            if policy.tcp_connected:
                raise TransportError(
                    f"{self._where()}: the port answered but no SSH login completed within "
                    f"{timeout:g} s"
                ) from None
            raise TransportError(
                f"{self._where()}: connection timed out after {timeout:g} s (host down or filtered)"
            ) from None
        except ConnectionRefusedError:
            raise TransportError(
                f"{self._where()}: connection refused (no SSH server on that port)"
            ) from None
        except socket.gaierror as exc:
            raise TransportError(
                f"{self._where()}: DNS: cannot resolve {self.endpoint.host!r} ({exc.strerror})"
            ) from None
        except asyncssh.DisconnectError as exc:
            raise TransportError(f"{self._where()}: SSH: {exc.reason}") from None
        except asyncssh.Error as exc:
            raise TransportError(f"{self._where()}: SSH: {exc}") from None
        except OSError as exc:
            if exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
                raise TransportError(f"{self._where()}: unreachable ({exc.strerror})") from None
            raise TransportError(
                f"{self._where()}: cannot connect: {exc.strerror or exc}"
            ) from None
        except ValueError as exc:  # asyncssh reports bad config/key files this way
            raise TransportError(f"{self._where()}: SSH settings: {exc}") from None

    def _host_key_reason(self, policy: HostKeyPolicy, exc: Exception) -> str:
        where = self._where()
        offered = f" (server offered {policy.offered})" if policy.offered else ""
        if policy.verdict == "changed":
            return (
                f"{where}: HOST KEY CHANGED: the key differs from the one in "
                f"{policy.known_hosts}{offered}; refusing (possible interception; if the "
                "host was reinstalled, remove the old entry with `ssh-keygen -R`)"
            )
        if policy.verdict == "unknown":
            return (
                f"{where}: host key unknown: not in {policy.known_hosts}{offered}; verify it "
                "and add it, or rerun with --accept-new-host-keys"
            )
        if policy.verdict == "unwritable":
            return f"{where}: cannot add the new host key to {policy.known_hosts}"
        return f"{where}: host key not trusted: {exc}"

    async def close(self) -> None:
        for task in list(self._flushes):
            task.cancel()
        conn, self._conn = self._conn, None
        if conn is None:
            return
        conn.close()
        with suppress(Exception):
            async with asyncio.timeout(5):
                await conn.wait_closed()

    async def _detect_platform(self) -> PlatformInfo:
        # First a line that means the same to sh, cmd.exe and PowerShell (plain words):
        # POSIX quoting is not safe for a Windows shell, so nothing else is sent before
        # the host is known to be POSIX.
        timeout = self.detect_timeout
        uname = await self._exec(UNAME_LINE, timeout)
        self.transcript[UNAME.key] = uname
        if uname.ok:
            # The remaining questions together: one remote shell, not two round trips.
            await asyncio.gather(
                self.run(ID_U, timeout=timeout),
                self.run(OS_RELEASE, timeout=timeout),
                self.run(MACHINE_ID, timeout=timeout),
            )
            return await detect_with_commands(self, timeout)
        if uname.timed_out:
            return undetected(uname_failure(uname), self.name)
        # No uname: OpenSSH for Windows (cmd.exe or PowerShell as the shell).
        return await self._detect_windows(uname)

    async def _detect_windows(self, uname: CommandResult) -> PlatformInfo:
        from endpoint_audit.transport import powershell

        self._windows = True
        # `cmd /c ver` (plain words, answered by cmd.exe in milliseconds) tells Windows and
        # its build without starting PowerShell; the full platform probe then rides along
        # in the scan's own batch, so a host scan starts PowerShell once.
        ver = await self._exec(VER_LINE, self.detect_timeout)
        self.transcript[VER_KEY] = ver
        quick = windows_from_ver(ver.stdout, self.name) if ver.ok else None
        if quick is not None:
            self._platform_pending = True
            return quick
        probe = powershell.PLATFORM
        result = (await self.run_powershell_batch([probe], timeout=60))[probe.key]
        if not result.ok:  # neither POSIX nor PowerShell: nothing more is sent
            self._windows = False
            said = (result.stderr.strip() or result.stdout.strip()).splitlines()
            return undetected(
                f"neither a POSIX shell nor PowerShell answered: {uname_failure(uname)}; "
                f"the PowerShell platform probe exited {result.exit_status}"
                + (f": {said[0][:80]!r}" if said else ""),
                self.name,
            )
        return powershell.platform_from_probe(result, transport=self.name)

    @property
    def host_key_fingerprint(self) -> str | None:
        return self._host_key

    def _refined_platform(self, detected: PlatformInfo) -> PlatformInfo:
        return self._refined or detected

    async def _run(self, command: Command, timeout: float) -> CommandResult:
        if self._windows and isinstance(command, Argv | ReadFile):
            return CommandResult(
                EXIT_NOT_FOUND, stderr=f"{command.key}: a POSIX command; the host runs Windows"
            )
        if isinstance(command, Argv):
            sudo = self.use_sudo and command.privileged
            return await self._posix(command.argv, command.env, sudo, timeout)
        if isinstance(command, ReadFile):
            sudo = self.use_sudo and command.privileged
            return await self._posix(("cat", "--", command.path), (), sudo, timeout)
        if isinstance(command, Native):
            return CommandResult(
                EXIT_NOT_FOUND,
                stderr=f"native probe {command.name!r} runs only on the machine itself",
            )
        if isinstance(command, PowerShell):
            return (await self.run_powershell_batch([command], timeout))[command.key]
        raise TypeError(f"unknown command type {type(command).__name__}")

    async def _posix(
        self,
        argv: tuple[str, ...],
        env: tuple[tuple[str, str], ...],
        sudo: bool,
        timeout: float,
    ) -> CommandResult:
        """Queue a command; the commands queued in the same turn of the event loop run
        together in one remote shell (one channel, one sudo; see posix_batch)."""
        item = BatchItem(posix_command_line(argv, env), timeout)
        future: asyncio.Future[CommandResult] = asyncio.get_running_loop().create_future()
        self._queued[sudo].append((item, future))
        if sudo not in self._flush_scheduled:
            self._flush_scheduled.add(sudo)
            task = asyncio.create_task(self._flush(sudo))
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)
        return await future

    async def _flush(self, sudo: bool) -> None:
        await asyncio.sleep(0)  # let every command started in this turn join the batch
        self._flush_scheduled.discard(sudo)
        queued, self._queued[sudo] = self._queued[sudo], []
        try:
            results = await self._run_batch([item for item, _ in queued], sudo)
        except asyncio.CancelledError:
            for _, future in queued:
                future.cancel()
            raise
        except Exception as exc:  # handed to every waiting command; nothing is lost
            for _, future in queued:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), result in zip(queued, results, strict=True):
            if not future.done():
                future.set_result(result)

    async def _run_batch(self, items: list[BatchItem], sudo: bool) -> list[CommandResult]:
        # Even a single command goes through the script: its watchdog ends a hung
        # command on the host instead of leaving it running after the channel closes.
        marker = posix_batch.new_marker()
        script = posix_batch.build_script(items, marker)
        line = posix_command_line(("sh", "-c", script), (("LC_ALL", "C"),), sudo)
        # Each command has its own watchdog in the script; this bound is for the shell.
        outer = await self._exec(line, max(i.timeout for i in items) + 10)
        if sudo:
            outer = interpret_sudo(outer)
        if outer.timed_out or outer.privilege_refused or outer.exit_status == EXIT_SSH_FAILURE:
            return [outer] * len(items)
        results = posix_batch.parse_output(outer.stdout, items, marker, outer.duration)
        if all(r.exit_status == posix_batch.EXIT_NO_RESULT for r in results):
            why = outer.excerpt() or f"exit {outer.exit_status}"
            return [CommandResult(EXIT_SSH_FAILURE, stderr=f"batch shell failed: {why}")] * len(
                items
            )
        return results

    async def _run_powershell_batch(
        self, probes: list[PowerShell], timeout: float
    ) -> dict[str, CommandResult]:
        from endpoint_audit.transport import powershell

        platform_probe = self._platform_pending and all(
            p.key != powershell.PLATFORM.key for p in probes
        )
        if platform_probe:
            probes = [*probes, powershell.PLATFORM]
        results = await self._powershell_process(probes, timeout)
        if platform_probe:
            self._platform_pending = False
            answer = results.get(powershell.PLATFORM.key)
            if answer is not None and answer.ok:
                self._refined = powershell.platform_from_probe(answer, transport=self.name)
        return results

    async def _powershell_process(
        self, probes: list[PowerShell], timeout: float
    ) -> dict[str, CommandResult]:
        from endpoint_audit.transport import powershell

        # OpenSSH for Windows runs the command through cmd.exe (unless PowerShell is the
        # default shell), whose command line is the shorter one.
        invocation = powershell.powershell_invocation(
            powershell.build_batch_script(probes, timeout),
            max_command_line=powershell.CMD_EXE_LIMIT,
        )
        bad = [word for word in invocation.argv if not _WINDOWS_SAFE_WORD.fullmatch(word)]
        if bad:  # cmd.exe quoting differs from POSIX; only plain words are sent
            refusal = CommandResult(
                EXIT_DENIED, stderr=f"refusing to send PowerShell argument {bad[0]!r}"
            )
            return {p.key: refusal for p in probes}
        process = await self._exec(" ".join(invocation.argv), timeout, invocation.stdin)
        return powershell.batch_results(process, probes)

    async def _exec(self, line: str, timeout: float, stdin: bytes | None = None) -> CommandResult:
        import asyncssh

        conn = self._conn
        if conn is None:
            raise TransportError(f"{self._where()}: not connected")
        start = time.monotonic()
        process: asyncssh.SSHClientProcess[bytes] | None = None
        try:
            async with asyncio.timeout(timeout):
                process = await conn.create_process(
                    line, encoding=None, stdin=asyncssh.PIPE if stdin else asyncssh.DEVNULL
                )
                if stdin:
                    process.stdin.write(stdin)
                    process.stdin.write_eof()
                out, err = await asyncio.gather(
                    _read_capped(process.stdout), _read_capped(process.stderr)
                )
                await process.wait_closed()
        except TimeoutError:
            if process is not None:
                _stop(process)
            return CommandResult(
                EXIT_TIMEOUT,
                stderr=f"timed out after {timeout:g} s: {line[:200]}",
                duration=time.monotonic() - start,
                timed_out=True,
            )
        except asyncssh.ChannelOpenError as exc:
            return CommandResult(
                EXIT_SSH_FAILURE,
                stderr=f"ssh: the server refused a session: {exc.reason}",
                duration=time.monotonic() - start,
            )
        except (asyncssh.Error, OSError) as exc:
            return CommandResult(
                EXIT_SSH_FAILURE,
                stderr=f"ssh: the session broke: {exc}",
                duration=time.monotonic() - start,
            )
        # Windows output that is not UTF-8 is most likely the console's code page 932.
        decode = decode_windows_output if self._windows else _decode
        status = process.exit_status
        if status is None or status < 0:
            signal = process.exit_signal[0] if process.exit_signal else "unknown signal"
            return CommandResult(
                EXIT_SSH_FAILURE,
                stdout=decode(out),
                stderr=f"{decode(err)}\nkilled by {signal}".strip(),
                duration=time.monotonic() - start,
            )
        return CommandResult(
            exit_status=status,
            stdout=decode(out),
            stderr=decode(err),
            duration=time.monotonic() - start,
        )


async def _read_capped(stream: asyncssh.SSHReader[bytes]) -> bytes:
    """Read to EOF, keeping at most MAX_STREAM_BYTES (the rest is drained and dropped)."""
    kept = bytearray()
    while True:
        chunk = await stream.read(65536)
        if not chunk:
            return bytes(kept)
        room = MAX_STREAM_BYTES - len(kept)
        if room > 0:
            kept += chunk[:room]


def _stop(process: asyncssh.SSHClientProcess[bytes]) -> None:
    """Ask the remote command to end (servers may ignore signals), then drop the channel."""
    with suppress(Exception):
        process.terminate()
    with suppress(Exception):
        process.close()


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")
