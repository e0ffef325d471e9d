"""The probe answer a recorded replay case holds, as the Intune tests read it."""

from __future__ import annotations

import json
from typing import Any

from tests.replay_cases import all_cases


def recorded_answer(ref: str, key: str) -> Any:
    """Case `ref`'s answer to command `key`: its JSON, or None when the probe failed, ran
    out of time or wrote no JSON (the discovery script's $EAProbe is then $null)."""
    command = all_cases()[ref].commands[key]
    if command.exit_status != 0 or command.timed_out:
        return None
    try:
        return json.loads(command.stdout)
    except ValueError:
        return None
