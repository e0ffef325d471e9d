"""The effective baseline per OS, and the differences between two baselines.

`LoadedBaseline` holds what the files say after `extends`. What a run uses also depends
on each check: its default severity, its parameter defaults and the platforms it
supports. `effective_checks` combines both, so `baseline show --effective` and
`baseline diff` speak about the values a scan will really apply on each OS.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from msgspec import Struct
from pydantic import BaseModel

from endpoint_audit.baseline.load import LoadedBaseline
from endpoint_audit.model.baseline import ResolvedCheck
from endpoint_audit.model.platform import OsFamily
from endpoint_audit.model.result import Severity

OS_ORDER = (OsFamily.WINDOWS, OsFamily.MACOS, OsFamily.LINUX)


class CheckSpec(Struct, frozen=True):
    """What the baseline layer needs to know about a registered check."""

    params: type[BaseModel]
    severity: Severity
    platforms: frozenset[OsFamily]


class EffectiveCheck(Struct, frozen=True):
    id: str
    enabled: bool
    severity: Severity
    platforms: tuple[OsFamily, ...]  # where it runs: supported and selected by the baseline
    params: dict[OsFamily, dict[str, Any]]  # full parameters per OS it runs on
    references: tuple[str, ...]  # "framework:id" for comparison


def runs_on(config: ResolvedCheck, spec: CheckSpec) -> tuple[OsFamily, ...]:
    return tuple(
        f
        for f in OS_ORDER
        if f in spec.platforms and (config.platforms is None or f in config.platforms)
    )


def _params_per_os(config: ResolvedCheck, spec: CheckSpec) -> dict[OsFamily, dict[str, Any]]:
    out: dict[OsFamily, dict[str, Any]] = {}
    for family in runs_on(config, spec):
        merged = {**config.params, **config.platform_params.get(family, {})}
        out[family] = spec.params.model_validate(merged).model_dump(mode="json")
    return out


class _NoParams(BaseModel):
    pass


def _rule_specs(loaded: LoadedBaseline) -> dict[str, CheckSpec]:
    rules = {**loaded.rules, **loaded.disabled_rules}
    return {
        cid: CheckSpec(_NoParams, rule.severity, frozenset(rule.platforms))
        for cid, rule in rules.items()
    }


def _rule_params(loaded: LoadedBaseline, cid: str) -> dict[OsFamily, dict[str, Any]]:
    """A rule's conditions (and applicability) per OS, compared like parameters
    (`baseline diff`)."""
    rule = loaded.rules[cid]
    out: dict[OsFamily, dict[str, Any]] = {}
    for family, tree in sorted(rule.platforms.items(), key=lambda kv: OS_ORDER.index(kv[0])):
        out[family] = {"conditions": tree.model_dump(mode="json", by_alias=True, exclude_none=True)}
        guard = rule.applies_tree(family)
        if guard is not None:
            out[family]["applies_when"] = guard.model_dump(
                mode="json", by_alias=True, exclude_none=True
            )
    return out


def effective_checks(
    loaded: LoadedBaseline, specs: Mapping[str, CheckSpec]
) -> dict[str, EffectiveCheck]:
    """Every check the baseline mentions (enabled or disabled), resolved against its spec."""
    out: dict[str, EffectiveCheck] = {}
    specs = {**specs, **_rule_specs(loaded)}
    for cid, config in loaded.checks.items():
        spec = specs[cid]
        if cid in loaded.rules:
            rule = loaded.rules[cid]
            out[cid] = EffectiveCheck(
                id=cid,
                enabled=True,
                severity=rule.severity,
                platforms=tuple(f for f in OS_ORDER if f in rule.platforms),
                params=_rule_params(loaded, cid),
                references=tuple(f"{r.framework}:{r.id}" for r in config.references),
            )
            continue
        out[cid] = EffectiveCheck(
            id=cid,
            enabled=True,
            severity=config.severity or spec.severity,
            platforms=runs_on(config, spec),
            params=_params_per_os(config, spec),
            references=tuple(f"{r.framework}:{r.id}" for r in config.references),
        )
    for cid in loaded.disabled:
        spec = specs[cid]
        out[cid] = EffectiveCheck(cid, False, spec.severity, (), {}, ())
    return dict(sorted(out.items()))


def _shared_and_per_os(per_os: Mapping[OsFamily, Mapping[str, Any]]) -> dict[str, Any]:
    """`params`: the values every OS shares; `platform_params`: per OS, only the values
    that differ from the shared ones (as a baseline writes them), so a per-OS parameter
    shows under its OS only."""
    tables = list(per_os.values())
    shared = {
        key: value
        for key, value in (tables[0].items() if tables else [])
        if all(key in other and other[key] == value for other in tables[1:])
    }
    own = {
        family.value: {k: v for k, v in values.items() if k not in shared}
        for family, values in per_os.items()
    }
    out: dict[str, Any] = {"params": shared}
    if any(own.values()):
        out["platform_params"] = {family: values for family, values in own.items() if values}
    return out


def effective_document(loaded: LoadedBaseline, specs: Mapping[str, CheckSpec]) -> dict[str, Any]:
    """The merged baseline as plain data (for YAML output): what a scan applies per OS."""
    checks: dict[str, Any] = {}
    for cid, eff in effective_checks(loaded, specs).items():
        if not eff.enabled:
            checks[cid] = {"enabled": False}
            continue
        config = loaded.checks[cid]
        if cid in loaded.rules:
            checks[cid] = loaded.rules[cid].model_dump(
                mode="json", by_alias=True, exclude_none=True
            )
            continue
        checks[cid] = {
            "enabled": True,
            "severity": eff.severity.value,
            "platforms": [f.value for f in eff.platforms],
            **_shared_and_per_os(eff.params),
            "references": [
                r.model_dump(mode="json", exclude_defaults=True) for r in config.references
            ],
        }
    return {
        "id": loaded.id,
        "title": loaded.title,
        "version": loaded.version,
        "source": loaded.source,
        "chain": loaded.chain,
        "sha256": loaded.sha256,
        "checks": checks,
        "waivers": [w.model_dump(mode="json", exclude_none=True) for w in loaded.waivers],
    }


class Change(Struct, frozen=True):
    """One difference. `kind`: added, removed, enabled, disabled, severity, platforms,
    param, references, waivers. `families` lists the OSes a param change applies to."""

    kind: str
    check: str
    key: str | None = None
    old: Any = None
    new: Any = None
    families: tuple[OsFamily, ...] = ()


def diff_baselines(
    old: LoadedBaseline, new: LoadedBaseline, specs: Mapping[str, CheckSpec]
) -> list[Change]:
    """What changes for a scan when `new` is used instead of `old`."""
    a, b = effective_checks(old, specs), effective_checks(new, specs)
    changes: list[Change] = []
    for cid in sorted(set(a) | set(b)):
        before, after = a.get(cid), b.get(cid)
        if before is None and after is not None:
            state = after.severity.value if after.enabled else "disabled"
            changes.append(Change("added", cid, new=state))
            continue
        if after is None and before is not None:
            changes.append(Change("removed", cid))
            continue
        assert before is not None and after is not None  # noqa: S101 - one of the two exists
        if before.enabled != after.enabled:
            changes.append(Change("enabled" if after.enabled else "disabled", cid))
            if not after.enabled:
                continue
        if before.severity != after.severity:
            changes.append(
                Change("severity", cid, old=before.severity.value, new=after.severity.value)
            )
        if before.platforms != after.platforms:
            changes.append(
                Change(
                    "platforms",
                    cid,
                    old=[f.value for f in before.platforms],
                    new=[f.value for f in after.platforms],
                )
            )
        changes.extend(_param_changes(cid, before, after))
        if before.enabled and after.enabled and before.references != after.references:
            changes.append(
                Change(
                    "references",
                    cid,
                    old=sorted(set(before.references) - set(after.references)),
                    new=sorted(set(after.references) - set(before.references)),
                )
            )
    old_w = {w.model_dump_json() for w in old.waivers}
    new_w = {w.model_dump_json() for w in new.waivers}
    if old_w != new_w:
        changes.append(Change("waivers", "*", old=len(old_w - new_w), new=len(new_w - old_w)))
    return changes


def _param_changes(cid: str, before: EffectiveCheck, after: EffectiveCheck) -> list[Change]:
    """Param differences, one per (key, old, new), listing the OSes where they occur."""
    grouped: dict[tuple[str, str, str], list[OsFamily]] = {}
    values: dict[tuple[str, str, str], tuple[Any, Any]] = {}
    for family in OS_ORDER:
        old_params = before.params.get(family)
        new_params = after.params.get(family)
        if old_params is None or new_params is None:
            continue
        for key in sorted(set(old_params) | set(new_params)):
            old_value, new_value = old_params.get(key), new_params.get(key)
            if old_value != new_value:
                ident = (key, repr(old_value), repr(new_value))
                grouped.setdefault(ident, []).append(family)
                values[ident] = (old_value, new_value)
    return [
        Change(
            "param",
            cid,
            key=ident[0],
            old=values[ident][0],
            new=values[ident][1],
            families=tuple(families),
        )
        for ident, families in grouped.items()
    ]
