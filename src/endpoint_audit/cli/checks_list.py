"""`checks list`: every check with its title, default severity and platforms.

Built-in checks are listed from their packages' meta.toml files (model/check_index.py)
and the catalogs, importing no check, no pydantic and no Typer, so the list starts about
as fast as `--help`; when third-party checks are installed, the registry is loaded to
list them too.

The table of the built-in checks is kept as written (in the user's cache folder, beside
the plugin scan), with everything its text depends on: the language, the files it is read
from (their sizes and times), the import path (an upgrade of the program or of Rich), the
terminal (whether stdout is one, its size, its encoding) and the variables Rich reads. While
all of them are unchanged the next `checks list` writes the same text without importing
Rich or parsing a catalog: those two are most of its start.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from endpoint_audit.model import i18n
from endpoint_audit.user_cache import import_path_stamp, keep, read_kept

if TYPE_CHECKING:
    from rich.console import Console

CHECKS_GROUP = "endpoint_audit.checks.v1"  # engine.registry.GROUPS["checks"]
OWN_DISTRIBUTION = "endpoint-audit"  # engine.registry.OWN_DISTRIBUTION
DISABLE_ENV = "ENDPOINT_AUDIT_DISABLE_PLUGINS"  # engine.registry.DISABLE_ENV


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
    stamp = import_path_stamp()
    last = read_kept("plugin-scan.json")
    if (
        isinstance(last, dict)
        and last.get("stamp") == stamp
        and isinstance(last.get("third_party"), bool)
    ):
        return bool(last["third_party"])
    found = _scan_third_party()
    keep("plugin-scan.json", {"stamp": stamp, "third_party": found})
    return found


# What Rich reads from the environment to lay out and colour its output (rich.console).
RICH_ENVIRON = (
    "COLUMNS", "LINES", "JUPYTER_COLUMNS", "JUPYTER_LINES", "NO_COLOR", "FORCE_COLOR",
    "TTY_COMPATIBLE", "TTY_INTERACTIVE", "TERM", "COLORTERM",
)  # fmt: skip
RENDER_FILE = "checks-list.json"


def _files_stamp(lang: str) -> list[list[object]]:
    """Size and time of every file the built-in table is read from: each check's
    meta.toml and texts, and the core catalogs (both languages: English is the fallback)."""
    root = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    stamp: list[list[object]] = []
    folders = [os.path.join(root, "locales", x) for x in (lang, i18n.DEFAULT_LANGUAGE)]
    try:
        checks = sorted(e.path for e in os.scandir(os.path.join(root, "checks")) if e.is_dir())
    except OSError:
        checks = []
    paths = [os.path.join(c, name) for c in checks for name in ("meta.toml", "texts")]
    for folder in [*folders, *(os.path.join(c, "texts") for c in checks)]:
        try:
            paths += sorted(e.path for e in os.scandir(folder))
        except OSError:
            continue
    for path in paths:
        try:
            info = os.stat(path)
            stamp.append([path, info.st_size, info.st_mtime_ns])
        except OSError:
            stamp.append([path, None, None])
    return stamp


def _terminal() -> list[object]:
    sizes: list[object] = []
    for fd in (0, 1, 2):  # Rich asks each of these in turn for the terminal's size
        try:
            sizes.append(list(os.get_terminal_size(fd)))
        except (OSError, ValueError):
            sizes.append(None)
    try:
        tty = sys.stdout.isatty()
    except (OSError, ValueError):
        tty = False
    return [tty, sizes, getattr(sys.stdout, "encoding", None)]


def _render_key(lang: str) -> list[object]:
    from endpoint_audit import __version__

    environ = {name: os.environ.get(name) for name in RICH_ENVIRON}
    return [__version__, lang, import_path_stamp(), _files_stamp(lang), _terminal(), environ]


def _rows(lang: str) -> list[tuple[str, str, str, list[str]]]:
    """(id, title, severity, platforms) of every check, by id."""
    from endpoint_audit.model.check_index import builtin_index

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
    """The table of `checks list`, on stdout: the one kept, while what it depends on is
    unchanged (built-in checks only, not on Windows consoles, which Rich writes to through
    their own calls), else written anew with Rich."""
    language = lang or i18n.default_language()
    if os.name != "posix" or _third_party_checks():
        _print_table(_new_console(), language)
        return
    key = _render_key(language)
    kept = read_kept(RENDER_FILE)
    if isinstance(kept, dict) and kept.get("key") == key and isinstance(kept.get("text"), str):
        sys.stdout.write(kept["text"])
        sys.stdout.flush()
        return
    console = _new_console()
    with console.capture() as captured:
        _print_table(console, language)
    text = captured.get()
    sys.stdout.write(text)
    sys.stdout.flush()
    keep(RENDER_FILE, {"key": key, "text": text})


def _new_console() -> Console:
    from rich.console import Console

    return Console(highlight=False)


def _print_table(console: Console, language: str) -> None:
    from rich.table import Table
    from rich.text import Text

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
    console.print(table)
    console.print(Text(i18n.t(language, "cli.checks.more"), style="dim"))
    console.print(Text("  endpoint-audit checks show ID"))
