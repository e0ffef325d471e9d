"""Plugins: the versioned entry-point groups of DESIGN.md §3, built-ins included.

A broken plugin is recorded in `problems` (shown by `plugins list`) and never aborts.
Third-party ids must be namespaced (`acme.usb_policy`); built-in ids are bare.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from typing import Any

from endpoint_audit.checks.base import Check
from endpoint_audit.collectors.base import Collector
from endpoint_audit.model.facts.base import Fact
from endpoint_audit.model.platform import PlatformInfo
from endpoint_audit.render.base import Renderer

GROUPS = {
    "checks": "endpoint_audit.checks.v1",
    "collectors": "endpoint_audit.collectors.v1",
    "renderers": "endpoint_audit.renderers.v1",
    "transports": "endpoint_audit.transports.v1",
}
OWN_DISTRIBUTION = "endpoint-audit"
CHECK_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$")
DISABLE_ENV = "ENDPOINT_AUDIT_DISABLE_PLUGINS"  # "1": load built-ins only


@dataclass(frozen=True)
class PluginProblem:
    group: str
    name: str
    distribution: str
    error: str


@dataclass(frozen=True)
class PluginSource:
    group: str
    name: str
    distribution: str
    version: str
    provides: tuple[str, ...]


@dataclass
class Registry:
    checks: dict[str, type[Check]] = field(default_factory=dict)
    collectors: list[type[Collector[Any]]] = field(default_factory=list)
    renderers: dict[str, type[Renderer]] = field(default_factory=dict)
    transports: dict[str, type[Any]] = field(default_factory=dict)
    problems: list[PluginProblem] = field(default_factory=list)
    sources: list[PluginSource] = field(default_factory=list)

    def collector_for(self, fact_type: type[Fact], platform: PlatformInfo) -> Collector[Any] | None:
        for cls in self.collectors:
            if cls.fact_type is fact_type:
                collector = cls()
                if collector.applies(platform):
                    return collector
        return None

    def collectors_of(self, fact_type: type[Fact]) -> list[type[Collector[Any]]]:
        return [c for c in self.collectors if c.fact_type is fact_type]


def _builtin_list(kind: str) -> Iterable[Any]:
    if kind == "checks":
        from endpoint_audit.checks.builtin import BUILTIN_CHECKS

        return BUILTIN_CHECKS
    if kind == "collectors":
        from endpoint_audit.collectors.builtin import BUILTIN_COLLECTORS

        return BUILTIN_COLLECTORS
    if kind == "renderers":
        from endpoint_audit.render.builtin import BUILTIN_RENDERERS

        return BUILTIN_RENDERERS
    from endpoint_audit.transport.builtin import BUILTIN_TRANSPORTS

    return BUILTIN_TRANSPORTS


def _add(reg: Registry, kind: str, items: Iterable[Any], dist: str, ep_name: str) -> list[str]:
    provided: list[str] = []
    builtin = dist == OWN_DISTRIBUTION
    for item in items:
        if kind == "checks":
            if not (isinstance(item, type) and issubclass(item, Check)):
                raise TypeError(f"{item!r} is not a Check class")
            cid = item.meta.id
            if not CHECK_ID.match(cid) or (not builtin and "." not in cid):
                raise ValueError(f"check id {cid!r} must be namespaced like 'vendor.check_name'")
            if cid in reg.checks:
                raise ValueError(f"check id {cid!r} is already registered")
            reg.checks[cid] = item
            provided.append(cid)
        elif kind == "collectors":
            if not (isinstance(item, type) and issubclass(item, Collector)):
                raise TypeError(f"{item!r} is not a Collector class")
            reg.collectors.append(item)
            provided.append(item.id)
        elif kind == "renderers":
            if not (isinstance(item, type) and issubclass(item, Renderer)):
                raise TypeError(f"{item!r} is not a Renderer class")
            reg.renderers[item.name] = item
            provided.append(item.name)
        else:
            name = getattr(item, "scheme", None) or getattr(item, "name", None)
            if not isinstance(name, str):
                raise TypeError(f"{item!r} is not a Transport class")
            reg.transports[name] = item
            provided.append(name)
    return provided


@cache
def load_registry() -> Registry:
    """Every installed plugin, built-ins first. Cached for the process."""
    reg = Registry()
    only_builtin = os.environ.get(DISABLE_ENV) == "1"
    builtin_seen: set[str] = set()
    for kind, group in GROUPS.items():
        eps = sorted(
            metadata.entry_points(group=group),
            key=lambda e: (e.dist is None or e.dist.name != OWN_DISTRIBUTION, e.name),
        )
        for ep in eps:
            dist = ep.dist.name if ep.dist else "?"
            version = ep.dist.version if ep.dist else "?"
            if dist != OWN_DISTRIBUTION and only_builtin:
                continue
            try:
                provided = _add(reg, kind, ep.load(), dist, ep.name)
            except Exception as exc:  # a broken plugin must not stop the tool
                problem = PluginProblem(group, ep.name, dist, f"{type(exc).__name__}: {exc}")
                reg.problems.append(problem)
                continue
            if dist == OWN_DISTRIBUTION:
                builtin_seen.add(kind)
            reg.sources.append(PluginSource(group, ep.name, dist, version, tuple(provided)))
    # Running from a source tree without installed metadata: built-ins still work.
    for kind in GROUPS:
        if kind not in builtin_seen:
            _add(reg, kind, _builtin_list(kind), OWN_DISTRIBUTION, "builtin")
    return reg
