"""`scan --waivers FILE`: approved exceptions kept apart from the baseline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

WaiversOpt = Annotated[
    Path | None,
    typer.Option(
        "--waivers",
        help=(
            "YAML file of approved exceptions ({waivers: [...]}: check, hosts, justification, "
            "approver, expires; optional approved, and timezone for the days, default the "
            "local zone). Hosts match the name you target a PC by (inventory, --host, a "
            "bundle's file name). A waived failure stays in the report with its reason and "
            "does not fail the exit code until the waiver expires."
        ),
    ),
]
