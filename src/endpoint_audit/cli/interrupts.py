"""Ctrl-C, SIGTERM and a closed stdout: stop quietly, with the conventional exit codes.

Imported by the console entry point before anything else (only the standard library),
so an interrupt while the program is still importing its modules is handled too.

- SIGINT (Ctrl-C), SIGTERM and SIGHUP (the terminal or SSH session closed) stop a run
  the same way: SIGTERM and SIGHUP are turned into SIGINT, so asyncio cancels the audit
  as it does for Ctrl-C and the finished hosts are kept. The exit code says which one it
  was: 130 (128 + SIGINT), 143 (128 + SIGTERM) or 129 (128 + SIGHUP).
- Every interrupt is recorded as it arrives, because a library may turn the
  KeyboardInterrupt it raises into another error (pydantic-core reports one that lands
  while it builds a validator as a SchemaError): whatever the program then ends with,
  a recorded interrupt ends it as an interrupt, quietly.
- A reader that goes away (`endpoint-audit scan | head -1`) ends the run with 141
  (128 + SIGPIPE), as a program killed by SIGPIPE would, without a traceback. It is not
  exit 1, which means a failed check here.
"""

from __future__ import annotations

import io
import os
import signal
import sys
from collections.abc import Coroutine
from types import FrameType
from typing import Any, Literal, NoReturn, TypeVar

T = TypeVar("T")

# The same numbers as engine.exit_policy.ExitCode (a test keeps them equal); not imported
# from there because that module loads pydantic, and this one must load in no time.
EXIT_HANGUP = 129
EXIT_INTERRUPTED = 130
EXIT_STDOUT_CLOSED = 141
EXIT_TERMINATED = 143

# Stop requests handled as SIGTERM is (SIGHUP: not on Windows).
_TERMINATING = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)

_received: list[int] = []  # SIGTERMs and SIGHUPs
_interrupts: list[int] = []  # every SIGINT, SIGTERM or SIGHUP that reached the program
_reported: list[bool] = []


class StdoutClosed(Exception):
    """The reader of stdout went away (EPIPE). Deliberately not an OSError: the command
    framework turns an OSError EPIPE into exit 1, which here means a failed check."""


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    _interrupts.append(signum)
    raise KeyboardInterrupt


def _quiet_asyncio() -> None:
    """Once a run is cut short, asyncio's teardown warnings (a child's exit seen after its
    loop closed: "Loop ... that handles pid ... is closed") are not for the user, who
    gets one line. Set before the loop closes: its watcher thread may log any moment."""
    logging = sys.modules.get("logging")
    if logging is not None:
        logging.getLogger("asyncio").disabled = True


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    _received.append(signum)
    _interrupts.append(signum)
    _quiet_asyncio()
    if not callable(signal.getsignal(signal.SIGINT)):
        # SIGINT ignored (a background job of a script): SIGTERM must still stop the run.
        raise KeyboardInterrupt
    # The SIGINT handler in force does the rest: asyncio's (cancel the audit, keep the
    # finished hosts) during a scan, otherwise Python's (raise KeyboardInterrupt).
    signal.raise_signal(signal.SIGINT)


_usual_unraisable = sys.unraisablehook


def _on_unraisable(args: Any) -> None:
    """An interrupt that landed in a callback Python cannot raise from (importlib's
    module-lock weakref callback, a finalizer) would be printed as "Exception ignored"
    with a traceback and then lost. It is recorded already; nothing is printed, and it is
    delivered again a moment later from another thread, so that it lands in ordinary code
    (raised from here, it would land in this hook and be lost again). Once an interrupt
    has arrived, an exception an asyncio finalizer raises is teardown, and not printed."""
    if args.exc_type is not None and issubclass(args.exc_type, KeyboardInterrupt) and _interrupts:
        if callable(signal.getsignal(signal.SIGINT)):
            import threading

            again = threading.Timer(0.02, signal.raise_signal, (signal.SIGINT,))
            again.daemon = True
            again.start()
        return
    if _interrupts and str(getattr(args.object, "__module__", "")).startswith("asyncio."):
        # What the interrupt cut short, torn down: a subprocess transport finalized after
        # its loop closed ("Event loop is closed" from BaseSubprocessTransport.__del__)
        # before the goodbye line silences the rest. Not for the user.
        return
    _usual_unraisable(args)


def install() -> None:
    """Record interrupts, handle SIGTERM and SIGHUP like Ctrl-C, make a closed stdout
    StdoutClosed. A SIGHUP ignored by whoever started the program (`nohup`) stays so."""
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not if ignored
        signal.signal(signal.SIGINT, _on_sigint)
    for signum in _TERMINATING:
        if signum == signal.SIGTERM or signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, _on_sigterm)
    sys.unraisablehook = _on_unraisable
    _guard_stdout()


def run_async(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run`, with Python's own SIGINT handler in force while it runs: asyncio
    replaces only that one with its own, which cancels the audit cleanly (the finished
    hosts are kept) instead of raising KeyboardInterrupt somewhere inside the loop."""
    import asyncio

    async def quiet_when_cancelled() -> T:
        try:
            return await main
        finally:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                _quiet_asyncio()

    ours = signal.getsignal(signal.SIGINT)
    if ours is _on_sigint:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return asyncio.run(quiet_when_cancelled())
    except KeyboardInterrupt:
        _interrupts.append(signal.SIGINT)
        raise
    finally:
        if ours is _on_sigint and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, _on_sigint)


def interrupted() -> bool:
    """True once an interrupt (Ctrl-C, SIGTERM or SIGHUP) has reached the program."""
    return bool(_interrupts)


def terminated() -> bool:
    """True when the interrupt was a SIGTERM or SIGHUP rather than Ctrl-C."""
    return bool(_received)


def exit_code() -> int:
    """130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP (the first stop request counts)."""
    if not terminated():
        return EXIT_INTERRUPTED
    return EXIT_HANGUP if _received[0] == getattr(signal, "SIGHUP", None) else EXIT_TERMINATED


def reason() -> Literal["interrupted", "terminated"]:
    """`interrupted` (Ctrl-C) or `terminated` (SIGTERM or SIGHUP), as reports record it."""
    return "terminated" if terminated() else "interrupted"


def mark_reported() -> None:
    """The command has said on stderr what the interrupt kept; nothing more to add."""
    _reported.append(True)


def reported() -> bool:
    return bool(_reported)


def ignore_further_interrupts() -> None:
    """While saying goodbye, a second Ctrl-C must not print a traceback, and neither may
    asyncio tearing down what the interrupt cut short: its child watcher's "Unknown child
    process pid" warning, or a subprocess transport finalized after its loop closed. The
    goodbye is our one line."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in _TERMINATING:
        signal.signal(signum, signal.SIG_IGN)
    import logging  # here, not at start: --help stays fast

    logging.getLogger("asyncio").disabled = True
    sys.unraisablehook = _ignore_unraisable


def _ignore_unraisable(unraisable: Any) -> None:
    return None


def exit_now(code: int) -> NoReturn:
    """End with `code` once stdout and stderr are flushed. Not through interpreter
    shutdown: an interrupt that reached Python code run by a compiled extension (as
    pydantic-core runs some at import) makes CPython kill itself with SIGINT at exit,
    which would turn 143 into 130 and 130 into a death by signal. Files were already
    written or removed by the code that was interrupted."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, StdoutClosed):
            pass
    os._exit(code)


def silence_stdout() -> None:
    """Point stdout at the null device, so the flush at exit cannot fail again."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)
    except OSError:
        pass


class _PipeWriter(io.RawIOBase):
    """fd 1 as a raw stream whose EPIPE is StdoutClosed."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return os.isatty(self._fd)

    def write(self, data: object) -> int:
        try:
            return os.write(self._fd, memoryview(data))  # type: ignore[arg-type]
        except BrokenPipeError:
            raise StdoutClosed from None


def _guard_stdout() -> None:
    """Only for pipes and files on POSIX: a terminal never reports EPIPE, and Windows
    consoles need their own stream class."""
    stdout = sys.stdout
    if os.name != "posix" or not isinstance(stdout, io.TextIOWrapper):
        return
    try:
        if stdout.fileno() != 1 or os.isatty(1):
            return
    except (OSError, ValueError):
        return
    stdout.flush()
    sys.stdout = io.TextIOWrapper(
        io.BufferedWriter(_PipeWriter(1)),
        encoding=stdout.encoding,
        errors=stdout.errors,
        line_buffering=stdout.line_buffering,
    )


def write_stdout(data: bytes) -> None:
    """Bytes to stdout; StdoutClosed when nobody reads it any more."""
    try:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    except BrokenPipeError:
        raise StdoutClosed from None
