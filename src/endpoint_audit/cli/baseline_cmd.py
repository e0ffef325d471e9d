"""`endpoint-audit baseline list|show|validate`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console
from rich.table import Table
from rich.text import Text

from endpoint_audit.baseline.load import shipped_names
from endpoint_audit.cli.common import fail, resolve_lang
from endpoint_audit.engine.plan import load_plan_baseline
from endpoint_audit.engine.registry import load_registry
from endpoint_audit.errors import ConfigError
from endpoint_audit.model import i18n

app = typer.Typer(help="List, show and validate baselines.", no_args_is_help=True)


@app.command("list")
def list_baselines(
    lang: Annotated[str | None, typer.Option("--lang", help="ja or en.")] = None,
) -> None:
    """List the shipped baselines. Pass any of them, or a file path, to `scan --baseline`."""
    language = resolve_lang(lang)
    registry = load_registry()
    table = Table(header_style="bold")
    for key in ("name", "title", "version", "checks"):
        table.add_column(i18n.t(language, f"cli.baseline.col.{key}"))
    for name in shipped_names():
        try:
            loaded = load_plan_baseline(name, registry)
        except ConfigError as exc:
            fail(str(exc))
        table.add_row(
            Text(name),
            Text(loaded.title.get(language, "")),
            Text(loaded.version),
            Text(str(len(loaded.checks))),
        )
    Console(highlight=False).print(table)


@app.command("show")
def show_baseline(
    baseline: Annotated[
        str, typer.Argument(help="Shipped name or path.")
    ] = "jp-municipal-telework",
) -> None:
    """Print the effective baseline (after `extends`) as YAML."""
    try:
        loaded = load_plan_baseline(baseline, load_registry())
    except ConfigError as exc:
        fail(str(exc))
    data = loaded.effective()
    data["sha256"] = loaded.sha256
    data["chain"] = loaded.chain
    typer.echo(yaml.safe_dump(data, allow_unicode=True, sort_keys=False).rstrip())


@app.command("validate")
def validate(
    files: Annotated[list[Path], typer.Argument(help="Baseline files (or shipped names).")],
) -> None:
    """Validate baselines. Prints `OK` per file, or one line `file:line: path: message`
    for the first problem and exits 2."""
    registry = load_registry()
    bad = False
    for file in files:
        try:
            loaded = load_plan_baseline(str(file), registry)
        except ConfigError as exc:
            typer.echo(f"endpoint-audit: error: {exc}", err=True)
            bad = True
            continue
        typer.echo(f"OK {file}: {loaded.id} {loaded.version}, {len(loaded.checks)} checks")
    if bad:
        raise typer.Exit(2)


__all__ = ["app"]
