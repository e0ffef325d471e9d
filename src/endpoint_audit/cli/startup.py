"""The garbage collector while the tool starts.

Start-up makes a few hundred thousand objects that live as long as the process (modules,
classes, pydantic validators, message catalogs), and the collector, at its usual
thresholds, walks them again and again as they are made: about a tenth of a scan's own
CPU. Until the command has what it needs, it collects rarely (still bounded: never
switched off); then as usual, with what start-up made set aside (`gc.freeze`), so a long
fleet run's collections do not walk it either.
"""

from __future__ import annotations

import gc

# Young objects between collections while starting (the usual threshold is 700).
STARTUP_THRESHOLD = 200_000

_usual: tuple[int, int, int] | None = None


def collect_rarely() -> None:
    global _usual
    if _usual is None:
        _usual = gc.get_threshold()
        gc.set_threshold(STARTUP_THRESHOLD, *_usual[1:])


def collect_as_usual() -> None:
    """Start-up is over: the usual thresholds again (once; later calls do nothing)."""
    global _usual
    if _usual is not None:
        gc.freeze()
        gc.set_threshold(*_usual)
        _usual = None
