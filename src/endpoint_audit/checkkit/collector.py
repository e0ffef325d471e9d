"""The Collector contract (DESIGN.md §3): commands to run, and a pure parse()."""

from __future__ import annotations

import abc
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from endpoint_audit.checkkit.fact import Fact
from endpoint_audit.errors import CollectorError, FactUnavailable
from endpoint_audit.model.commands import Command, CommandResult
from endpoint_audit.model.observed import Reason
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.model.valid_text import NestingTooDeep, loads_json

F = TypeVar("F", bound=Fact)

Results = Mapping[str, CommandResult]  # command key -> result


class Collector(abc.ABC, Generic[F]):
    """Produces one fact family on some platforms.

    `commands()` may be called several times: first with no results, then with the
    results so far, so a collector can ask for per-user or per-device follow-ups.
    It returns every command it needs given what it knows; the engine stops asking
    when no new command appears (at most MAX_ROUNDS rounds).

    `parse()` is pure. It returns the fact, or raises FactUnavailable (not enough
    evidence: the checks say unknown) or CollectorError (output not understood: error).
    """

    id: ClassVar[str]  # "<os>.<fact family>", e.g. "linux.disk_usage"
    fact_type: ClassVar[type[Fact]]
    platforms: ClassVar[frozenset[OsFamily]]
    # The one OS a collector serves: gives `platforms` and `id` when the class sets neither.
    family: ClassVar[OsFamily | None] = None
    # The commands of a collector that asks for the same ones whatever earlier rounds
    # returned; a collector with follow-ups overrides `commands()` instead.
    asks: ClassVar[tuple[Command, ...]] = ()

    MAX_ROUNDS: ClassVar[int] = 3

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        family = cls.family
        if isinstance(family, OsFamily):
            if "platforms" not in cls.__dict__:
                cls.platforms = frozenset({family})
            if "id" not in cls.__dict__ and "fact_type" in cls.__dict__:
                cls.id = f"{family.value}.{cls.fact_type.name}"

    def applies(self, platform: PlatformInfo) -> bool:
        return platform.family in self.platforms

    def commands(self, platform: PlatformInfo, results: Results) -> Sequence[Command]:
        """The commands this collector needs, given results of earlier rounds. A command
        marked `may_be_unrecorded` that a replayed recording lacks is absent from
        `results` (and from `parse`'s): the collector decides what its absence allows."""
        return list(self.asks)

    @abc.abstractmethod
    def parse(self, results: Results, platform: PlatformInfo) -> F:
        """Facts from command results. Pure: no I/O, no clock, no globals."""

    def probe_commands(self, platform: PlatformInfo) -> Sequence[Command]:
        """Every command this collector may ask for on `platform`, whatever earlier rounds
        return: what an exported probe script (`probe export`) runs, since it cannot call
        `commands()` again between rounds: `platform` cannot do Capability.FOLLOW_UPS.
        Replaying its bundle, the engine refuses any command outside this list.

        The default, the first round's commands, is complete for collectors that never
        look at `results`. Collectors with constant follow-ups (asked only when an earlier
        output calls for them) return them all here. Collectors whose follow-ups carry
        values from earlier output (user names, session ids) must not ask for those when
        `platform` cannot do Capability.FOLLOW_UPS: they ask for a constant command
        that finds the values itself and frames the follow-ups' output, which `parse()`
        turns back into the follow-ups' results (macOS screen lock), or they say
        `unknown` for what only the follow-ups could show (Linux screen lock).
        """
        return list(self.commands(platform, {}))


def require(results: Results, command: Command) -> CommandResult:
    """The result of a command this collector asked for; a missing one is a bug."""
    try:
        return results[command.key]
    except KeyError:
        raise CollectorError(no_result(command.key)) from None


def no_result(command: str) -> Reason:
    return Reason(key="core.reason.no_result", args={"command": command})


def collector_bug(collector: Collector[Any], exc: Exception) -> Reason:
    """Why a fact is missing when its collector itself failed (a bug, not the host)."""
    error = f"{type(exc).__name__}: {exc}"
    return Reason(key="core.reason.collector_bug", args={"collector": collector.id, "error": error})


def check_privilege(result: CommandResult, what: str) -> None:
    """Raise FactUnavailable (checks say unknown) when sudo -n refused to run `what`:
    without root the probe proves nothing either way."""
    if result.privilege_refused:
        raise FactUnavailable(
            Reason(
                key="core.reason.sudo_refused",
                args={"what": what, "output": result.excerpt(200)},
            ),
            needs_privilege=Reason(key="core.reason.privilege_sudo"),
        )


def json_output(result: CommandResult, what: str) -> Any:
    """Parse a command's JSON stdout, naming the command when it is not JSON. Strings
    hold valid text only and nesting is bounded (model.valid_text)."""
    try:
        return loads_json(result.stdout)
    except json.JSONDecodeError as exc:
        raise CollectorError(
            Reason(
                key="core.reason.not_json",
                args={"what": what, "error": exc.msg, "line": exc.lineno},
            )
        ) from exc
    except NestingTooDeep as exc:
        raise CollectorError(
            Reason(key="core.reason.not_usable_json", args={"what": what, "error": str(exc)})
        ) from exc


def as_int(value: Any) -> int | None:
    """An integer from JSON; registry strings of digits ("900") count too."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    # ASCII digits and blanks only: `\s` also matches separators such as U+001F, which
    # int() refuses, and a PC's registry may hold them.
    if isinstance(value, str) and re.fullmatch(r"[ \t\r\n]*-?[0-9]+[ \t\r\n]*", value):
        return int(value)
    return None


__all__ = [
    "Collector",
    "CollectorError",
    "FactUnavailable",
    "Results",
    "as_int",
    "check_privilege",
    "collector_bug",
    "json_output",
    "no_result",
    "require",
]
