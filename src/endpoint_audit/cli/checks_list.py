"""`checks list`: every check with its title, default severity and platforms.

Built-in checks are listed from their packages' meta.toml files (model/check_index.py)
and the catalogs, importing no check, no pydantic and no Typer, so the list starts about
as fast as `--help`; when third-party checks are installed, the registry is loaded to
list them too.
"""

from __future__ import annotations

import os
from importlib import metadata

from rich.console import Console
from rich.table import Table
from rich.text import Text

from endpoint_audit.model import i18n
from endpoint_audit.model.check_index import builtin_index

CHECKS_GROUP = "endpoint_audit.checks.v1"  # engine.registry.GROUPS["checks"]
OWN_DISTRIBUTION = "endpoint-audit"  # engine.registry.OWN_DISTRIBUTION
DISABLE_ENV = "ENDPOINT_AUDIT_DISABLE_PLUGINS"  # engine.registry.DISABLE_ENV


def _third_party_checks() -> bool:
    if os.environ.get(DISABLE_ENV) == "1":
        return False
    return any(
        ep.dist is None or ep.dist.name != OWN_DISTRIBUTION
        for ep in metadata.entry_points(group=CHECKS_GROUP)
    )


def _rows(lang: str) -> list[tuple[str, str, str, list[str]]]:
    """(id, title, severity, platforms) of every check, by id."""
    if not _third_party_checks():
        return [
            (cid, i18n.t(lang, f"{cid}.title"), entry.severity, list(entry.platforms))
            for cid, entry in sorted(builtin_index().items())
        ]
    from endpoint_audit.engine.registry import load_registry

    return [
        (
            cid,
            cls.meta.title.get(lang) or cls.meta.title.get("en", cid),
            cls.meta.severity.value,
            sorted(f.value for f in cls.meta.platforms),
        )
        for cid, cls in sorted(load_registry().checks.items())
    ]


def os_label(family: str, lang: str) -> str:
    key = f"html.os.{family}"
    return i18n.t(lang, key) if i18n.has(key) else family


def print_checks(lang: str | None) -> None:
    """The table of `checks list`, on stdout."""
    language = lang or i18n.default_language()
    table = Table(header_style="bold")
    table.add_column(i18n.t(language, "cli.checks.col.id"), no_wrap=True)
    # Titles wrap (and fold where Japanese has no spaces); they are never cut with "…".
    table.add_column(i18n.t(language, "cli.checks.col.title"), overflow="fold", ratio=1)
    table.add_column(i18n.t(language, "cli.checks.col.severity"), no_wrap=True)
    table.add_column(i18n.t(language, "cli.checks.col.platforms"), overflow="fold")
    for cid, title, severity, platforms in _rows(language):
        table.add_row(
            Text(cid),
            Text(title),
            Text(i18n.t(language, f"report.severity.{severity}")),
            Text(", ".join(os_label(p, language) for p in platforms)),
        )
    console = Console(highlight=False)
    console.print(table)
    console.print(Text(i18n.t(language, "cli.checks.more"), style="dim"))
    console.print(Text("  endpoint-audit checks show ID"))
