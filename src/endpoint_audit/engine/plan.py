"""Plan: which checks run, with which severity and parameters."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

import msgspec.structs
from msgspec import Struct

from endpoint_audit.baseline.load import LoadedBaseline, load_baseline
from endpoint_audit.checkkit.check import Check, CheckParams
from endpoint_audit.engine.registry import Registry
from endpoint_audit.errors import ConfigError
from endpoint_audit.model.baseline import ResolvedCheck, WaiverSpec
from endpoint_audit.model.platform import OsFamily
from endpoint_audit.model.result import CheckInfo, Reference, Severity
from endpoint_audit.rules.build import build_rule


class PlannedCheck(Struct, frozen=True):
    check: Check
    severity: Severity
    config: ResolvedCheck

    @property
    def id(self) -> str:
        return self.check.meta.id

    def params_for(self, family: OsFamily) -> CheckParams:
        merged: dict[str, Any] = {
            **self.config.params,
            **self.config.platform_params.get(family, {}),
        }
        return self.check.Params.model_validate(merged)

    @property
    def references(self) -> list[Reference]:
        return list(self.config.references) or list(self.check.meta.references)

    def info(self) -> CheckInfo:
        meta = self.check.meta
        return CheckInfo(
            id=meta.id,
            title=dict(meta.title),
            description=dict(meta.description),
            rationale=dict(meta.rationale),
            severity=self.severity,
            platforms=sorted(
                f.value
                for f in meta.platforms
                if self.config.platforms is None or f in self.config.platforms
            ),
            remediation={f.value: dict(t) for f, t in sorted(meta.remediation.items())},
            references=self.references,
            params=self.check.Params.model_validate(self.config.params).model_dump(mode="json"),
        )


class Plan(Struct, frozen=True):
    baseline: LoadedBaseline
    checks: tuple[PlannedCheck, ...]
    registry: Registry
    # Waivers from `scan --waivers FILE`, applied after the baseline's own.
    extra_waivers: tuple[WaiverSpec, ...] = ()

    @property
    def waivers(self) -> list[WaiverSpec]:
        return [*self.baseline.waivers, *self.extra_waivers]


def load_plan_baseline(ref: str, registry: Registry) -> LoadedBaseline:
    return load_baseline(ref, {cid: cls.Params for cid, cls in registry.checks.items()})


def _validate_ids(flag: str, ids: Sequence[str], known: Sequence[str]) -> None:
    for cid in ids:
        if cid not in known:
            close = difflib.get_close_matches(cid, list(known), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f"; known: {', '.join(known)}"
            raise ConfigError(f"{flag} {cid}: no such check in the baseline{hint}")


def with_rules(registry: Registry, baseline: LoadedBaseline) -> Registry:
    """The registry plus the baseline's rule checks, each with its fact family and
    collectors (the process-wide registry is left as it is)."""
    if not baseline.rules:
        return registry
    checks = dict(registry.checks)
    collectors = list(registry.collectors)
    for rule_id, rule in sorted(baseline.rules.items()):
        parts = build_rule(rule_id, rule)
        checks[rule_id] = parts.check
        collectors.extend(parts.collectors)
    return msgspec.structs.replace(registry, checks=checks, collectors=collectors)


def make_plan(
    baseline: LoadedBaseline,
    registry: Registry,
    only: Sequence[str] = (),
    skip: Sequence[str] = (),
) -> Plan:
    registry = with_rules(registry, baseline)
    known = sorted(baseline.checks)
    _validate_ids("--only", only, known)
    _validate_ids("--skip", skip, known)
    planned: list[PlannedCheck] = []
    for cid in known:
        if (only and cid not in only) or cid in skip:
            continue
        check = registry.checks[cid]()
        config = baseline.checks[cid]
        planned.append(
            PlannedCheck(
                check=check, severity=config.severity or check.meta.severity, config=config
            )
        )
    if not planned:
        raise ConfigError(
            "no checks selected: the baseline enables none, or --only/--skip removed all"
        )
    return Plan(baseline=baseline, checks=tuple(planned), registry=registry)
