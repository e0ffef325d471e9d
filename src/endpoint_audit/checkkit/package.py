"""CheckPackage: everything the tool needs to know about one check, in one value.

A check package (a built-in folder under `endpoint_audit/checks/`, or a third-party
distribution) exposes one `PACKAGE = CheckPackage(...)`. The registry takes the check and
its collectors from it, the message catalogs take its texts (`texts/<lang>.toml` under
`texts`), and the replay-case tests take its cases (`cases/*.yaml` under `cases`).

A collector is given as its class, or as a `CollectorRef` (the OS it serves and where its
class lives, `per_os()` for the usual `<package>.<os>` modules): a scan imports only the
collectors of the OS it audits, not every OS's parsers.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any

from msgspec import Struct

from endpoint_audit.checkkit.check import Check
from endpoint_audit.checkkit.collector import Collector
from endpoint_audit.checkkit.data import CheckData
from endpoint_audit.model.platform import OsFamily


class CollectorRef(Struct, frozen=True):
    """A collector of one OS family, named by `module:Class`, imported when first needed."""

    family: OsFamily
    target: str

    def load(self) -> type[Collector[Any]]:
        """The collector class; raises (ImportError, TypeError, ValueError) when `target`
        names none, or one that does not serve `family`."""
        return _load(self.family, self.target)


@cache
def _load(family: OsFamily, target: str) -> type[Collector[Any]]:
    module, _, name = target.partition(":")
    if not module or not name:
        raise ValueError(f"collector {target!r} is not written 'package.module:Class'")
    found = getattr(importlib.import_module(module), name)
    if not (isinstance(found, type) and issubclass(found, Collector)):
        raise TypeError(f"{target} is not a Collector class")
    if family not in found.platforms:
        raise ValueError(f"collector {target} does not serve {family.value}")
    return found


def per_os(package: str, **classes: str) -> tuple[CollectorRef, ...]:
    """The collectors of `package` (pass `__name__`) by OS, each class in the module named
    after its OS: `per_os(__name__, linux="LinuxX")` is `<package>.linux:LinuxX`."""
    return tuple(
        CollectorRef(OsFamily(family), f"{package}.{family}:{name}")
        for family, name in classes.items()
    )


CollectorEntry = type[Collector[Any]] | CollectorRef


class CheckPackage(Struct, frozen=True):
    check: type[Check]
    collectors: tuple[CollectorEntry, ...] = ()
    # The package whose `texts/<lang>.toml` hold the check's texts; "" means the package
    # that defines the check class.
    texts: str = ""
    # The package holding `cases/*.yaml` (replay cases); "" means the check's package,
    # None means the package ships none.
    cases: str | None = ""
    # Dated data files the check judges against, which `endpoint-audit data` lists and
    # replaces offline.
    data: tuple[CheckData, ...] = ()

    def collector_classes(self) -> tuple[type[Collector[Any]], ...]:
        """Every collector class of the package (imports every OS's collectors)."""
        return tuple(load_entry(c) for c in self.collectors)

    @property
    def id(self) -> str:
        return self.check.meta.id

    @property
    def home(self) -> str:
        """The package that defines the check class."""
        return self.check.__module__.rpartition(".")[0]

    @property
    def texts_package(self) -> str:
        return self.texts or self.home

    @property
    def cases_package(self) -> str | None:
        return self.home if self.cases == "" else self.cases


def load_entry(entry: CollectorEntry) -> type[Collector[Any]]:
    return entry.load() if isinstance(entry, CollectorRef) else entry
