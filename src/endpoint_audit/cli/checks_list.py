"""`checks list`: every check with its title, default severity and platforms.

Built-in checks are listed from their packages' meta.toml files (model/check_index.py)
and the catalogs, importing no check, no pydantic and no Typer, so the list starts about
as fast as `--help`; when third-party checks are installed, the registry is loaded to
list them too.
"""

from __future__ import annotations

import json
import os
import sys

from rich.console import Console
from rich.table import Table
from rich.text import Text

from endpoint_audit.model import i18n
from endpoint_audit.model.check_index import builtin_index

CHECKS_GROUP = "endpoint_audit.checks.v1"  # engine.registry.GROUPS["checks"]
OWN_DISTRIBUTION = "endpoint-audit"  # engine.registry.OWN_DISTRIBUTION
DISABLE_ENV = "ENDPOINT_AUDIT_DISABLE_PLUGINS"  # engine.registry.DISABLE_ENV


def _path_stamp() -> list[list[object]]:
    """The import path's folders with their modification times: installing or removing
    a distribution adds or removes a *.dist-info folder, which changes its folder's time."""
    stamp: list[list[object]] = []
    for entry in sys.path:
        try:
            stamp.append([entry, os.stat(entry or ".").st_mtime_ns])
        except OSError:
            stamp.append([entry, None])
    return stamp


def _scan_third_party() -> bool:
    from importlib import metadata  # about a third of the list's start: only on a change

    return any(
        ep.dist is None or ep.dist.name != OWN_DISTRIBUTION
        for ep in metadata.entry_points(group=CHECKS_GROUP)
    )


def _third_party_checks() -> bool:
    """Whether a third-party check package is installed, from the last answer while the
    import path is unchanged (kept in the user's cache folder), else from a new scan."""
    if os.environ.get(DISABLE_ENV) == "1":
        return False
    from platformdirs import user_cache_path

    stamp = _path_stamp()
    kept = user_cache_path("endpoint-audit", appauthor=False) / "plugin-scan.json"
    try:
        last = json.loads(kept.read_text(encoding="utf-8"))
        if last.get("stamp") == stamp and isinstance(last.get("third_party"), bool):
            return bool(last["third_party"])
    except (OSError, ValueError, AttributeError):
        pass
    found = _scan_third_party()
    try:
        kept.parent.mkdir(parents=True, exist_ok=True)
        scratch = kept.with_name(f".{kept.name}.{os.getpid()}")
        scratch.write_text(json.dumps({"stamp": stamp, "third_party": found}), encoding="utf-8")
        os.replace(scratch, kept)
    except OSError:
        pass  # a cache that cannot be written only costs the next start the scan again
    return found


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
