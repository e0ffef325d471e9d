"""Replay cases: one YAML file per case in a check package's `cases/` folder.

A case is data: the platform of a host, the recorded output of every command this
check's collectors ask for there (each with the `source` it comes from: the public
capture, vendor document or machine it was recorded on), the parameters, and the finding
the check must give for each resource, in order. Cases of several checks compose into
one recorded host (`compose`), so adding a check adds its cases and changes no other.

    # What the case shows (free comment).
    case: win11-23h2-ja-example        # = the file's stem
    platform: {family: windows, ...}       # as in bundles
    collected_at: '2024-11-20T03:00:00+00:00'
    source: "..."                          # optional: for every command without its own
    commands:
      ps:vendor_example: {exit_status: 0, stdout: '...', stderr: '', source: "..."}
    params: {}                             # optional; else the check's defaults
    expect:
      - {resource: 'C:', status: pass, key: vendor.example.msg.ok}

A command the case does not record is not answered when replayed: the check is unknown
or error naming it, never pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from endpoint_audit.errors import ConfigError
from endpoint_audit.model.platform import PlatformInfo
from endpoint_audit.model.result import Status

BUNDLE_FORMAT = "endpoint-audit-bundle"
BUNDLE_VERSION = 1


class CaseCommand(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    exit_status: int
    stdout: str = ""
    stderr: str = ""
    duration: float = 0.0
    timed_out: bool = False
    # Where this output comes from; several texts when it combines several sources.
    source: str | list[str] | None = None

    def result(self) -> dict[str, Any]:
        """The command in bundle form (format 1)."""
        return self.model_dump(exclude={"source"})

    def sources(self) -> list[str]:
        if self.source is None:
            return []
        return [self.source] if isinstance(self.source, str) else list(self.source)


class Expected(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    resource: str | None = None
    status: Status
    key: str  # the finding's message key, `<check_id>.msg.<key>`


class ReplayCase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    case: str
    platform: PlatformInfo
    collected_at: datetime
    source: str | list[str] | None = None
    commands: dict[str, CaseCommand] = Field(default_factory=dict)
    params: dict[str, Any] = Field(default_factory=dict)
    expect: list[Expected]

    def command_sources(self, key: str) -> list[str]:
        """The sources of one recorded command: its own, else the case's."""
        own = self.commands[key].sources()
        if own:
            return own
        if self.source is None:
            return []
        return [self.source] if isinstance(self.source, str) else list(self.source)


def parse_case(text: str, where: str) -> ReplayCase:
    try:
        data = yaml.safe_load(text)
        return ReplayCase.model_validate(data)
    except (yaml.YAMLError, ValidationError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"{where}: not a replay case ({first})") from None


def case_files(package: str) -> list[Traversable]:
    """The case files of a package (its `cases/*.yaml`), by name."""
    folder = resources.files(package) / "cases"
    if not folder.is_dir():
        return []
    return sorted((f for f in folder.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name)


def load_cases(package: str) -> list[ReplayCase]:
    out = []
    for file in case_files(package):
        case = parse_case(file.read_text("utf-8"), f"{package}: cases/{file.name}")
        if case.case != file.name.removesuffix(".yaml"):
            raise ConfigError(f"{package}: cases/{file.name}: `case` must be the file's stem")
        out.append(case)
    return out


def compose(
    target: str,
    platform: PlatformInfo,
    collected_at: datetime,
    cases: Iterable[ReplayCase],
    extra: dict[str, CaseCommand] | None = None,
) -> dict[str, Any]:
    """One recorded host (a bundle, format 1) holding every command of `cases` (and
    `extra`, such as a platform probe). A command two cases record differently is an
    error: the host could not have printed both."""
    commands: dict[str, CaseCommand] = dict(extra or {})
    seen_in: dict[str, str] = dict.fromkeys(commands, "the host")
    for case in cases:
        for key, command in case.commands.items():
            known = commands.get(key)
            if known is not None and known.result() != command.result():
                raise ConfigError(f"{case.case}: {key!r} is recorded differently in {seen_in[key]}")
            commands.setdefault(key, command)
            seen_in.setdefault(key, case.case)
    host = {
        "target": target,
        "collected_at": collected_at.isoformat(),
        "platform": platform.model_dump(mode="json"),
        "commands": {key: c.result() for key, c in sorted(commands.items())},
        "facts": {},
    }
    return {"format": BUNDLE_FORMAT, "version": BUNDLE_VERSION, "hosts": [host]}


def case_bundle(case: ReplayCase, target: str | None = None) -> dict[str, Any]:
    """The case alone as a recorded host."""
    return compose(target or case.case, case.platform, case.collected_at, [case])
