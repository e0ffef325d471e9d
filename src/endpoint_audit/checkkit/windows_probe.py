"""Shared by the Windows collectors: reading one PowerShell probe's JSON value.

Probe scripts convert enums to numbers and dates to ISO 8601 inside PowerShell, so the
parsers below never see text that depends on the display language or regional format.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any, ClassVar, TypeVar

from endpoint_audit.checkkit.collector import Collector, Results, json_output, require
from endpoint_audit.checkkit.collector import as_int as as_int
from endpoint_audit.checkkit.fact import Fact
from endpoint_audit.errors import CollectorError, FactUnavailable
from endpoint_audit.model.commands import Command, CommandResult, PowerShell
from endpoint_audit.model.observed import Reason
from endpoint_audit.model.platform import OsFamily, PlatformInfo

F = TypeVar("F", bound=Fact)


@cache
def windows_script(module: str, name: str) -> str:
    """The PowerShell probe script `probes/<name>.ps1` beside `module` (pass `__name__`):
    in the folder that holds the calling module, a check's own folder.

    Scripts live in .ps1 files so that editors and PowerShell tools can read them; each
    sets `$result` to plain data and is run inside the batch (transport/powershell.py).
    """
    return (resources.files(module.rpartition(".")[0]) / "probes" / f"{name}.ps1").read_text(
        encoding="utf-8"
    )


class OneProbeCollector(Collector[F]):
    """A Windows collector whose fact comes from one PowerShell probe's value."""

    family = OsFamily.WINDOWS
    probe: ClassVar[PowerShell]

    def commands(self, platform: PlatformInfo, results: Results) -> Sequence[Command]:
        return [self.probe]

    def parse(self, results: Results, platform: PlatformInfo) -> F:
        return self.parse_value(probe_value(results, self.probe))

    @abc.abstractmethod
    def parse_value(self, value: Any) -> F:
        """The fact from the probe's JSON value. Pure."""


def check_language_mode(result: CommandResult, what: str | Reason) -> None:
    """Raise FactUnavailable (checks say unknown, naming the mode) when the batch did not
    run the probe because PowerShell runs in Constrained Language Mode: nothing was seen.
    `what` says what was not run (the message names the mode and why it refuses)."""
    mode = result.refused_language_mode
    if mode is not None:
        if isinstance(what, str):
            what = Reason(key="core.reason.not_run", args={"what": what})
        raise FactUnavailable(what, language_mode=mode)


def probe_value(results: Results, probe: PowerShell) -> Any:
    """The probe's value; FactUnavailable when the language mode refused it, else
    CollectorError saying why the probe failed."""
    result = require(results, probe)
    check_language_mode(result, Reason(key="core.reason.probe_not_run", args={"probe": probe.name}))
    if not result.ok:
        raise CollectorError(
            Reason(
                key="core.reason.probe_failed",
                args={"probe": probe.name, "output": result.excerpt()},
            )
        )
    return json_output(result, f"PowerShell probe {probe.name!r}")


def listed(data: dict[str, Any], key: str, what: str) -> list[Any]:
    """A list the probe always writes (`@()` when empty), as evidence that there is none
    of a thing. An answer without it (another version, a truncated or forged answer) says
    nothing, so it is a CollectorError, never an empty list."""
    value = data.get(key)
    if not isinstance(value, list):
        raise CollectorError(Reason(key="core.reason.no_list", args={"what": what, "list": key}))
    return value


def as_dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CollectorError(
            Reason(key="core.reason.not_object", args={"what": what, "type": type(value).__name__})
        )
    return value


def as_list(value: Any) -> list[Any]:
    """A PowerShell collection: null is empty, a lone item (unrolled) is one item."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def as_text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def parse_utc(value: Any) -> datetime | None:
    """An ISO 8601 time written by a probe (`yyyy-MM-ddTHH:mm:ssZ`); None if absent.
    A time without offset is UTC: probes convert before printing."""
    text = as_text(value)
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CollectorError(
            Reason(key="core.reason.not_iso_time", args={"text": text[:60]})
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
