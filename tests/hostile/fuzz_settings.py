"""How long the property suite runs.

In CI (the default) each property runs a fixed, small number of cases, derandomized so
that a run is repeatable and the whole suite stays within about a minute.
`bench/fuzz_inputs.py` sets ENDPOINT_AUDIT_FUZZ_SCALE to run many times more cases, with
fresh random draws each time, and prints how many ran and what they found.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

SCALE = float(os.environ.get("ENDPOINT_AUDIT_FUZZ_SCALE", "1"))
LONG_RUN = SCALE > 1


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        database=None,
        derandomize=not LONG_RUN,
        print_blob=True,
        suppress_health_check=list(HealthCheck),
        # Each case runs the CLI, so shrinking a failure can take many minutes: CI reports
        # the failing case as found; the long run shrinks it.
        phases=list(Phase) if LONG_RUN else [Phase.explicit, Phase.reuse, Phase.generate],
    )
