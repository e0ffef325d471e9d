"""`scan --waivers FILE`: approved exceptions kept apart from the baseline."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from endpoint_audit.baseline.load import load_waivers
from endpoint_audit.cli.common import warn
from endpoint_audit.engine.plan import Plan
from endpoint_audit.engine.registry import Registry
from endpoint_audit.engine.waivers import expired_waivers
from endpoint_audit.model import i18n

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


def with_waiver_file(plan: Plan, path: Path, registry: Registry) -> Plan:
    """The plan with the file's waivers added after the baseline's own. Raises ConfigError
    (`file:line: path: message`) for a bad file; warns about waivers already expired."""
    known = {cid: cls.Params for cid, cls in registry.checks.items()}
    specs = load_waivers(path, known, plan.baseline.timezone)
    lang = i18n.default_language()
    for spec in expired_waivers([*plan.baseline.waivers, *specs], datetime.now(UTC)):
        warn(
            i18n.t(
                lang,
                "baseline_tools.waivers.expired",
                id=spec.id or "-",
                check=spec.check,
                date=spec.expires.isoformat(),
            )
        )
    return dataclasses.replace(plan, extra_waivers=(*plan.extra_waivers, *specs))
