"""Command-line interface: the only layer that prints or exits."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from endpoint_audit.cli import interrupts, startup  # the standard library only: load in no time

if TYPE_CHECKING:
    from typing import NoReturn


def main() -> None:
    """Console entry point. `--version`, `--help` and `checks list` answer before
    anything heavy is imported (cli.quick); an interrupt or a closed stdout at any moment
    ends quietly (see cli.interrupts)."""
    startup.collect_rarely()
    try:
        interrupts.install()
        if sys.argv[1:] == ["--version"]:
            from endpoint_audit import __version__

            interrupts.write_stdout(f"endpoint-audit {__version__}\n".encode())
            return
        # pydantic looks for its plugins (observability hooks this tool never uses) by
        # reading every installed distribution's entry points when the first model is
        # built; a user who wants one can still set the variable.
        os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
        from endpoint_audit.cli.quick import quick_command

        answer = quick_command(sys.argv[1:])
        if answer is not None:
            answer()
            return
        from endpoint_audit.cli.app import run

        run()
    except KeyboardInterrupt:
        _stop(None)
    except SystemExit as exc:
        _stop(exc)
        raise
    except interrupts.StdoutClosed:
        if interrupts.interrupted():
            _stop(None)
        interrupts.ignore_further_interrupts()
        interrupts.silence_stdout()
        sys.exit(interrupts.EXIT_STDOUT_CLOSED)
    except Exception as exc:
        if interrupts.interrupted():  # an interrupt a library reported as another error
            _stop(None)
        if os.environ.get(TRACEBACK_ENV) == "1":
            raise
        _internal_error(exc)
    finally:
        startup.collect_as_usual()  # for a caller that goes on in this process


# engine.exit_policy.ExitCode.INTERNAL (sysexits' EX_SOFTWARE); importing it would load
# the result model, which may be what failed to load.
EXIT_INTERNAL = 70
TRACEBACK_ENV = "ENDPOINT_AUDIT_TRACEBACK"
CRASH_FILE = "last-crash.txt"


def _internal_error(exc: Exception) -> NoReturn:
    """A failure of the tool itself (a bug, a broken install): one line and exit 70, so
    that a script never reads it as a verdict (Python's own exit for it is 1, "not
    compliant"). The traceback goes to a file for a bug report, or to stderr when the
    file cannot be written or ENDPOINT_AUDIT_TRACEBACK=1 asks for it there."""
    import traceback

    from endpoint_audit.model.printable import one_line  # the standard library only
    from endpoint_audit.user_cache import keep_text

    text = "".join(traceback.format_exception(exc))
    path = keep_text(CRASH_FILE, text.encode("utf-8", "backslashreplace").decode("utf-8"))
    if path is not None:
        where = f"its traceback is in {path}"
    else:
        sys.stderr.write(text)
        where = "its traceback is above"
    # The message may quote host output: no control character reaches the terminal.
    said = one_line(exc)[:300]
    sys.stderr.write(
        f"endpoint-audit: internal error, not a verdict ({type(exc).__name__}: {said}); "
        f"{where}; please report it\n"
    )
    sys.exit(EXIT_INTERNAL)


def _stop(exit_: SystemExit | None) -> None:
    """An interrupt: one line on stderr (unless the command said more already) and the
    exit code of the signal. The command framework turns an interrupt it sees into
    exit 130 without a word, so that exit is completed here; so is any other exit once
    an interrupt has arrived (it may have ended up as another error on the way)."""
    if (
        exit_ is not None
        and not interrupts.interrupted()
        and exit_.code
        not in (
            interrupts.EXIT_INTERRUPTED,
            interrupts.EXIT_TERMINATED,
            interrupts.EXIT_HANGUP,
        )
    ):
        return
    interrupts.ignore_further_interrupts()
    if not interrupts.reported():
        sys.stderr.write(f"endpoint-audit: {interrupts.reason()}\n")
    interrupts.exit_now(interrupts.exit_code())
