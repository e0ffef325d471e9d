"""The built-in checks: one package per check (`<check_id>/`), found by looking, never
listed by hand. Each package's `__init__.py` holds `PACKAGE = CheckPackage(...)`."""

from __future__ import annotations

import importlib
import pkgutil

from endpoint_audit.checkkit.package import CheckPackage


def builtin_packages() -> tuple[CheckPackage, ...]:
    """Every check package in this folder, by id. The `endpoint_audit.checks.v1` entry
    point of this distribution points here."""
    found: list[CheckPackage] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if not info.ispkg:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        package = getattr(module, "PACKAGE", None)
        if not isinstance(package, CheckPackage):
            raise TypeError(f"{module.__name__} has no PACKAGE = CheckPackage(...)")
        if package.id != info.name:
            raise ValueError(f"{module.__name__}: folder name differs from check id {package.id!r}")
        found.append(package)
    return tuple(found)
