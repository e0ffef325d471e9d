"""The machine itself: asyncio subprocesses (argv only, never a shell) and psutil."""

from __future__ import annotations

import asyncio
import ntpath
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping
from contextlib import suppress

from endpoint_audit.model.capabilities import Capabilities, Capability
from endpoint_audit.model.commands import (
    EXIT_DENIED,
    EXIT_NOT_FOUND,
    EXIT_TIMEOUT,
    Argv,
    Command,
    CommandResult,
    Native,
    PowerShell,
    ReadFile,
)
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.transport.base import Transport, dumps_value, host_commands
from endpoint_audit.transport.native import NATIVE_PROBES

MAX_FILE_BYTES = 8 * 1024 * 1024
READ_CHUNK = 64 * 1024


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def powershell_path(environ: Mapping[str, str], python_is_64bit: bool) -> str:
    """The Windows PowerShell to start on this PC, by absolute path (a bare name would
    also be looked up in the current folder). A 32-bit Python on 64-bit Windows would get
    the 32-bit SysWOW64 copy through file system redirection, whose registry reads go to
    WOW6432Node; `Sysnative` is the alias through which a 32-bit process reaches the
    64-bit System32."""
    root = environ.get("SystemRoot") or environ.get("WINDIR") or "C:\\Windows"
    folder = "System32"
    if not python_is_64bit and environ.get("PROCESSOR_ARCHITEW6432"):
        folder = "Sysnative"
    return ntpath.join(root, folder, "WindowsPowerShell", "v1.0", "powershell.exe")


async def run_argv(
    argv: tuple[str, ...],
    env: dict[str, str],
    timeout: float,
    stdin: bytes | None = None,
    decode: Callable[[bytes], str] = _decode,
) -> CommandResult:
    """Run a program without a shell; on timeout end its whole process group.
    `decode` turns its stdout and stderr into text (UTF-8 by default)."""
    start = time.monotonic()
    if _absent_from_path(argv[0], env):
        return CommandResult(EXIT_NOT_FOUND, stderr=f"{argv[0]}: command not found")
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            start_new_session=sys.platform != "win32",
        )
    except FileNotFoundError:
        return CommandResult(EXIT_NOT_FOUND, stderr=f"{argv[0]}: command not found")
    except PermissionError as exc:
        return CommandResult(EXIT_DENIED, stderr=f"{argv[0]}: {exc.strerror}")
    try:
        out, err = await asyncio.wait_for(proc.communicate(stdin), timeout)
    except TimeoutError:
        _kill_tree(proc)
        with suppress(Exception):
            await asyncio.wait_for(proc.wait(), 5)
        return CommandResult(
            EXIT_TIMEOUT,
            stderr=f"{argv[0]}: timed out after {timeout:g} s",
            duration=time.monotonic() - start,
            timed_out=True,
        )
    return CommandResult(
        exit_status=proc.returncode if proc.returncode is not None else -1,
        stdout=decode(out),
        stderr=decode(err),
        duration=time.monotonic() - start,
    )


def _absent_from_path(program: str, env: Mapping[str, str]) -> bool:
    """Whether starting `program` could only fail with "not found": no file (not even a
    broken link) of that name in any folder of the PATH the child gets, searched as the
    POSIX exec does. Such a start is answered without a fork: a scan asks for many
    programs a PC lacks (other vendors' tools), and each fork of this process is dearer
    than these few stat calls. Anything else still goes to exec, whatever it answers."""
    if sys.platform == "win32":  # CreateProcess searches otherwise
        return False
    if os.sep in program:
        return not os.path.lexists(program)
    folders = os.get_exec_path(dict(env))
    return not any(os.path.lexists(os.path.join(folder, program)) for folder in folders)


def _kill_tree(proc: asyncio.subprocess.Process) -> None:
    with suppress(ProcessLookupError, PermissionError):
        if sys.platform == "win32":
            proc.kill()
        else:
            os.killpg(proc.pid, signal.SIGKILL)


class LocalTransport(Transport):
    name = "local"

    def __init__(self, target: str = "localhost") -> None:
        super().__init__(target)

    @classmethod
    def capabilities_on(cls, family: OsFamily) -> Capabilities:
        """Everything: follow-ups, the host's commands, files (read in-process on any
        OS), and native reads of this very machine."""
        return host_commands(family) | {
            Capability.FOLLOW_UPS,
            Capability.READ_FILES,
            Capability.NATIVE,
        }

    async def _detect_platform(self) -> PlatformInfo:
        from endpoint_audit.transport import detect

        found = detect.detect_local()
        # The machine id is read through the transport, so `collect --record` keeps (and
        # redacts) the read like any other probe's.
        if found.family is OsFamily.LINUX:
            machine_id = await detect.linux_machine_id(self, self.detect_timeout)
        elif found.family is OsFamily.MACOS:
            ioreg = await self.run(detect.IOREG_PLATFORM, self.detect_timeout)
            machine_id = detect.machine_id_from_ioreg(ioreg)
        else:
            return found  # Windows reads its MachineGuid from the registry directly
        return found.model_copy(update={"machine_id": machine_id})

    async def _run(self, command: Command, timeout: float) -> CommandResult:
        if isinstance(command, Argv):
            env = {**os.environ, **dict(command.env)}
            return await run_argv(command.argv, env, timeout)
        if isinstance(command, ReadFile):
            return await asyncio.to_thread(_read_file, command.path)
        if isinstance(command, Native):
            probe = NATIVE_PROBES.get(command.name)
            if probe is None:
                return CommandResult(EXIT_NOT_FOUND, stderr=f"no native probe {command.name!r}")
            start = time.monotonic()
            try:
                value = await asyncio.to_thread(probe)
            except Exception as exc:  # a library failure is a probe error, reported as data
                return CommandResult(1, stderr=f"{type(exc).__name__}: {exc}")
            return CommandResult(0, stdout=dumps_value(value), duration=time.monotonic() - start)
        if isinstance(command, PowerShell):
            return (await self.run_powershell_batch([command], timeout))[command.key]
        raise TypeError(f"unknown command type {type(command).__name__}")

    async def _run_powershell_batch(
        self, probes: list[PowerShell], timeout: float
    ) -> dict[str, CommandResult]:
        if sys.platform != "win32":
            return await super()._run_powershell_batch(probes, timeout)
        from endpoint_audit.transport.powershell import run_batch_locally

        executable = powershell_path(os.environ, sys.maxsize > 2**32)
        return await run_batch_locally(probes, timeout, executable)


def _read_file(path: str) -> CommandResult:
    start = time.monotonic()
    try:
        with open(path, "rb") as handle:
            # Read in modest chunks: some /proc and /sys files refuse one large read.
            chunks: list[bytes] = []
            size = 0
            while size < MAX_FILE_BYTES:
                chunk = handle.read(min(READ_CHUNK, MAX_FILE_BYTES - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            data = b"".join(chunks)
    except FileNotFoundError:
        return CommandResult(1, stderr=f"{path}: No such file or directory")
    except PermissionError:
        return CommandResult(EXIT_DENIED, stderr=f"{path}: Permission denied")
    except OSError as exc:
        return CommandResult(1, stderr=f"{path}: {exc.strerror}")
    return CommandResult(0, stdout=_decode(data), duration=time.monotonic() - start)
