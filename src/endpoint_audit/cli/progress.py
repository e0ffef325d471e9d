"""What a local audit tells the person at the terminal while and after it runs (stderr).

A scan that takes more than a second shows that it is still working, with the seconds
elapsed, on stderr: as a spinner that disappears when stderr is a terminal, and not at
all in pipes and CI logs unless ENDPOINT_AUDIT_PROGRESS=1 asks for it (then one plain
line every few seconds). (Each report written to a file is named by cli.outputs.)
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from endpoint_audit.model import i18n

PROGRESS_ENV = "ENDPOINT_AUDIT_PROGRESS"  # "1": show progress even when stderr is no terminal
DELAY = 1.0  # seconds before anything is shown: quick runs stay quiet
PLAIN_EVERY = 5.0  # seconds between plain progress lines


def wants_progress(environ: dict[str, str] | None = None, tty: bool | None = None) -> str | None:
    """ "spinner" on a terminal, "plain" when asked for elsewhere, else None."""
    env = os.environ if environ is None else environ
    is_tty = sys.stderr.isatty() if tty is None else tty
    if env.get(PROGRESS_ENV) == "0":
        return None
    if is_tty:
        return "spinner"
    return "plain" if env.get(PROGRESS_ENV) == "1" else None


@contextmanager
def audit_progress(what: str, lang: str, mode: str | None = None) -> Iterator[None]:
    """Show "auditing WHAT… N s" on stderr after DELAY, until the block ends."""
    mode = wants_progress() if mode is None else mode
    if mode is None:
        yield
        return
    started = time.monotonic()
    stop = threading.Event()

    def text() -> str:
        return i18n.t(
            lang, "cli.progress.auditing", what=what, seconds=int(time.monotonic() - started)
        )

    def plain() -> None:
        if stop.wait(DELAY):
            return
        while True:
            sys.stderr.write(f"endpoint-audit: {text()}\n")
            sys.stderr.flush()
            if stop.wait(PLAIN_EVERY):
                return

    def spinner() -> None:
        if stop.wait(DELAY):
            return
        from rich.console import Console

        console = Console(stderr=True, highlight=False)
        with console.status(text()) as status:
            while not stop.wait(0.25):
                status.update(text())

    worker = threading.Thread(target=spinner if mode == "spinner" else plain, daemon=True)
    worker.start()
    try:
        yield
    finally:
        stop.set()
        worker.join(timeout=2.0)
