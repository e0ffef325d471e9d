"""After an interrupt, what asyncio tears down may raise in a finalizer (a subprocess
transport finalized after its loop closed: "Event loop is closed"). Python prints that
as "Exception ignored" with a traceback; the user gets the one goodbye line instead.
Without an interrupt such an exception is printed as Python prints it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from endpoint_audit.cli import interrupts


def _unraisable(exc: BaseException, where: object) -> SimpleNamespace:
    return SimpleNamespace(
        exc_type=type(exc), exc_value=exc, exc_traceback=None, err_msg=None, object=where
    )


def _own_finalizer() -> None:
    return None


@pytest.mark.parametrize("interrupted", [True, False])
def test_an_asyncio_finalizer_error_is_hidden_only_after_an_interrupt(
    monkeypatch: pytest.MonkeyPatch, interrupted: bool
) -> None:
    from asyncio.base_subprocess import BaseSubprocessTransport

    printed: list[object] = []
    monkeypatch.setattr(interrupts, "_usual_unraisable", printed.append)
    monkeypatch.setattr(interrupts, "_interrupts", [2] if interrupted else [])
    args = _unraisable(RuntimeError("Event loop is closed"), BaseSubprocessTransport.__del__)
    interrupts._on_unraisable(args)
    assert printed == ([] if interrupted else [args])
    # Anything else a finalizer raises is still printed, interrupt or not.
    other = _unraisable(ValueError("x"), _own_finalizer)
    interrupts._on_unraisable(other)
    assert printed[-1] is other
