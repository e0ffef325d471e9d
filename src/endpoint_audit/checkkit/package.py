"""CheckPackage: everything the tool needs to know about one check, in one value.

A check package (a built-in folder under `endpoint_audit/checks/`, or a third-party
distribution) exposes one `PACKAGE = CheckPackage(...)`. The registry takes the check and
its collectors from it, the message catalogs take its texts (`texts/<lang>.toml` under
`texts`), and the replay-case tests take its cases (`cases/*.yaml` under `cases`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from endpoint_audit.checkkit.check import Check
from endpoint_audit.checkkit.collector import Collector
from endpoint_audit.checkkit.data import CheckData


@dataclass(frozen=True)
class CheckPackage:
    check: type[Check]
    collectors: tuple[type[Collector[Any]], ...] = ()
    # The package whose `texts/<lang>.toml` hold the check's texts; "" means the package
    # that defines the check class.
    texts: str = ""
    # The package holding `cases/*.yaml` (replay cases); "" means the check's package,
    # None means the package ships none.
    cases: str | None = ""
    # Dated data files the check judges against, which `endpoint-audit data` lists and
    # replaces offline.
    data: tuple[CheckData, ...] = ()

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
