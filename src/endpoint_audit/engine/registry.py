"""Plugins: the versioned entry-point groups of DESIGN.md §3, built-ins included.

`endpoint_audit.checks.v1` names check packages (a sequence of CheckPackage, or a function
returning one; the built-in entry point names the function that finds the folders under
`endpoint_audit/checks/`). A bare Check class is still accepted there, with its collectors
from `endpoint_audit.collectors.v1`. A broken plugin is recorded in `problems` (shown by
`plugins list`) and never aborts. Third-party ids must be namespaced (`acme.usb_policy`);
built-in ids are bare. A collector given as a `CollectorRef` is imported when a host of
its OS needs it (a scan of this PC loads no other OS's collectors), or when every
collector is asked for (`all_collectors()`: `plugins list`, probe export, `collect
--all-facts`).
"""

from __future__ import annotations

import os
import pkgutil
import re
from collections.abc import Iterable
from functools import cache
from typing import Any, ClassVar

from msgspec import Struct, field

from endpoint_audit.checkkit.check import Check
from endpoint_audit.checkkit.collector import Collector, Results
from endpoint_audit.checkkit.fact import Fact
from endpoint_audit.checkkit.package import CheckPackage, CollectorEntry, CollectorRef, load_entry
from endpoint_audit.errors import CollectorError
from endpoint_audit.model import i18n
from endpoint_audit.model.observed import Reason
from endpoint_audit.model.platform import PlatformInfo
from endpoint_audit.render.base import Renderer, RendererRef, Renderers
from endpoint_audit.user_cache import import_path_stamp, keep, read_kept

GROUPS = {
    "checks": "endpoint_audit.checks.v1",
    "collectors": "endpoint_audit.collectors.v1",
    "renderers": "endpoint_audit.renderers.v1",
}
OWN_DISTRIBUTION = "endpoint-audit"
CHECK_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$")
DISABLE_ENV = "ENDPOINT_AUDIT_DISABLE_PLUGINS"  # "1": load built-ins only


class PluginProblem(Struct, frozen=True):
    group: str
    name: str
    distribution: str
    error: str


class PluginSource(Struct, frozen=True):
    group: str
    name: str
    distribution: str
    version: str
    # Ids, and the collectors not imported yet (their ids are read when shown).
    provided: tuple[str | CollectorRef, ...]

    @property
    def provides(self) -> tuple[str, ...]:
        """The ids; a collector that cannot be imported is named by its target (the
        registry's `problems` say why, once `all_collectors()` has been asked)."""
        out: list[str] = []
        for item in self.provided:
            if isinstance(item, str):
                out.append(item)
            else:
                try:
                    out.append(item.load().id)
                except Exception:  # shown as a problem of its own
                    out.append(item.target)
        return tuple(out)


class Registry(Struct):
    checks: dict[str, type[Check]] = field(default_factory=dict)
    # The check packages by id (a bare Check class from an old plugin gets one without
    # collectors, texts or cases).
    packages: dict[str, CheckPackage] = field(default_factory=dict)
    # In the order registered (built-ins first): the first that applies to a host wins.
    collectors: list[CollectorEntry] = field(default_factory=list)
    renderers: Renderers = field(default_factory=Renderers)
    problems: list[PluginProblem] = field(default_factory=list)
    sources: list[PluginSource] = field(default_factory=list)

    # The facts the check of each CollectorRef's package needs: a ref that cannot be
    # imported leaves them to an error, not to "no collector" (not applicable).
    ref_facts: dict[CollectorRef, tuple[type[Fact], ...]] = field(default_factory=dict)

    def collector_for(self, fact_type: type[Fact], platform: PlatformInfo) -> Collector[Any] | None:
        broken: Collector[Any] | None = None
        for entry in self.collectors:
            if isinstance(entry, CollectorRef):
                if entry.family is not platform.family:
                    continue  # not imported: a host of another OS
                try:
                    cls = entry.load()
                except Exception as exc:  # a broken plugin must not stop the tool
                    self._broken(entry, exc)
                    if broken is None and fact_type in self.ref_facts.get(entry, ()):
                        broken = _unimportable(fact_type, entry, exc)
                    continue
            else:
                cls = entry
            if cls.fact_type is fact_type:
                collector = cls()
                if collector.applies(platform):
                    return collector
        return broken

    def all_collectors(self) -> list[type[Collector[Any]]]:
        """Every collector class, of every OS (imports those not imported yet)."""
        out: list[type[Collector[Any]]] = []
        for entry in self.collectors:
            try:
                out.append(load_entry(entry))
            except Exception as exc:  # a broken plugin must not stop the tool
                self._broken(entry, exc)
        return out

    def _broken(self, entry: CollectorEntry, exc: Exception) -> None:
        name = entry.target if isinstance(entry, CollectorRef) else str(entry)
        problem = PluginProblem(GROUPS["collectors"], name, "?", f"{type(exc).__name__}: {exc}")
        if problem not in self.problems:
            self.problems.append(problem)


class _Unimportable(Collector[Any]):
    """Stands in for a collector that cannot be imported: no commands, and the fact is a
    collector error, so the checks that need it say error."""

    error: ClassVar[Reason]

    def parse(self, results: Results, platform: PlatformInfo) -> Any:
        raise CollectorError(self.error)


def _unimportable(fact_type: type[Fact], ref: CollectorRef, exc: Exception) -> Collector[Any]:
    error = Reason(
        key="core.reason.collector_bug",
        args={"collector": ref.target, "error": f"{type(exc).__name__}: {exc}"},
    )
    attrs = {"fact_type": fact_type, "family": ref.family, "error": error}
    made: Collector[Any] = type("Unimportable", (_Unimportable,), attrs)()
    return made


def _builtin_list(kind: str) -> Iterable[Any]:
    if kind == "checks":
        from endpoint_audit.checks import builtin_packages

        return builtin_packages()
    if kind == "collectors":
        return ()  # built-in collectors come with their check packages
    from endpoint_audit.render.builtin import BUILTIN_RENDERER_REFS

    return BUILTIN_RENDERER_REFS


def _add_check(reg: Registry, item: Any, builtin: bool) -> list[str | CollectorRef]:
    if isinstance(item, CheckPackage):
        package = item
    elif isinstance(item, type) and issubclass(item, Check):
        package = CheckPackage(item, texts="", cases=None)
    else:
        raise TypeError(f"{item!r} is neither a CheckPackage nor a Check class")
    cid = package.id
    if not CHECK_ID.match(cid) or (not builtin and "." not in cid):
        raise ValueError(f"check id {cid!r} must be namespaced like 'vendor.check_name'")
    if cid in reg.checks:
        raise ValueError(f"check id {cid!r} is already registered")
    for collector in package.collectors:
        if isinstance(collector, CollectorRef):
            continue  # checked when imported
        if not (isinstance(collector, type) and issubclass(collector, Collector)):
            raise TypeError(f"{collector!r} is not a Collector class")
    if not builtin and isinstance(item, CheckPackage):
        # Built-in texts are found by the catalogs themselves (a scan of checks/*/texts/).
        i18n.add_package_texts(cid, package.texts_package)
    reg.checks[cid] = package.check
    reg.packages[cid] = package
    reg.collectors.extend(package.collectors)
    for collector in package.collectors:
        if isinstance(collector, CollectorRef):
            reg.ref_facts[collector] = tuple(package.check.requires)
    return [cid, *(c if isinstance(c, CollectorRef) else c.id for c in package.collectors)]


def _add(reg: Registry, kind: str, items: Any, dist: str, ep_name: str) -> list[str | CollectorRef]:
    provided: list[str | CollectorRef] = []
    builtin = dist == OWN_DISTRIBUTION
    if kind == "checks" and callable(items) and not isinstance(items, type):
        items = items()  # a function that finds the packages (the built-ins' entry point)
    if isinstance(items, CheckPackage) or isinstance(items, type):
        items = (items,)
    for item in items:
        if kind == "checks":
            provided += _add_check(reg, item, builtin)
        elif kind == "collectors":
            if not (isinstance(item, type) and issubclass(item, Collector)):
                raise TypeError(f"{item!r} is not a Collector class")
            reg.collectors.append(item)
            provided.append(item.id)
        else:
            builtin_ref = builtin and isinstance(item, RendererRef)
            if not (builtin_ref or (isinstance(item, type) and issubclass(item, Renderer))):
                raise TypeError(f"{item!r} is not a Renderer class")
            reg.renderers.add(item)
            provided.append(item.name)
    return provided


ENTRY_POINTS_FILE = "entry-points.json"


def _scan_entry_points() -> list[list[str]]:
    """[group, name, value, distribution, version] of every entry point of GROUPS."""
    from importlib import metadata

    # One pass over the installed distributions for every group: each entry_points(group=)
    # call reads every distribution's metadata again.
    every = metadata.entry_points()
    # A Distribution's `.name` and `.version` each parse its whole METADATA file (ours
    # holds the README): each distribution's is read once here.
    named: dict[int, tuple[str, str]] = {}
    listed: list[list[str]] = []
    for group in GROUPS.values():
        for ep in every.select(group=group):
            dist, version = "?", "?"
            if ep.dist is not None:
                if id(ep.dist) not in named:
                    read = ep.dist.metadata
                    named[id(ep.dist)] = (read["Name"], read["Version"])
                dist, version = named[id(ep.dist)]
            listed.append([group, ep.name, ep.value, dist, version])
    return listed


def _kept_well(value: object) -> bool:
    return isinstance(value, list) and all(
        isinstance(row, list) and len(row) == 5 and all(isinstance(x, str) for x in row)
        for row in value
    )


def installed_entry_points() -> list[list[str]]:
    """Every entry point of GROUPS as [group, name, value, distribution, version]: the
    last scan's answer while the import path is unchanged (kept in the user's cache
    folder), else a new scan. Reading every distribution's metadata cost a scan more than
    the rest of the registry."""
    stamp = import_path_stamp()
    last = read_kept(ENTRY_POINTS_FILE)
    if isinstance(last, dict) and last.get("stamp") == stamp and _kept_well(last.get("rows")):
        rows: list[list[str]] = last["rows"]
        return rows
    rows = _scan_entry_points()
    keep(ENTRY_POINTS_FILE, {"stamp": stamp, "rows": rows})
    return rows


def _load_entry_point(value: str) -> Any:
    """What an entry point names: `module:attribute`, with any `[extras]` ignored (as
    importlib.metadata's EntryPoint.load ignores them)."""
    return pkgutil.resolve_name(value.split("[", 1)[0].strip())


@cache
def load_registry() -> Registry:
    """Every installed plugin, built-ins first. Cached for the process."""
    reg = Registry()
    only_builtin = os.environ.get(DISABLE_ENV) == "1"
    builtin_seen: set[str] = set()
    rows = installed_entry_points()
    for kind, group in GROUPS.items():
        eps = sorted(
            (row for row in rows if row[0] == group),
            key=lambda row: (row[3] != OWN_DISTRIBUTION, row[1]),
        )
        for _, name, value, dist, version in eps:
            if dist != OWN_DISTRIBUTION and only_builtin:
                continue
            try:
                provided = _add(reg, kind, _load_entry_point(value), dist, name)
            except Exception as exc:  # a broken plugin must not stop the tool
                problem = PluginProblem(group, name, dist, f"{type(exc).__name__}: {exc}")
                reg.problems.append(problem)
                continue
            if dist == OWN_DISTRIBUTION:
                builtin_seen.add(kind)
            reg.sources.append(PluginSource(group, name, dist, version, tuple(provided)))
    # Running from a source tree without installed metadata: built-ins still work.
    for kind in GROUPS:
        if kind not in builtin_seen and kind != "collectors":
            _add(reg, kind, _builtin_list(kind), OWN_DISTRIBUTION, "builtin")
    return reg
