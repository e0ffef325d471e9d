"""`endpoint-audit plugins list`: where every check, collector and renderer comes from."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from endpoint_audit.engine.registry import load_registry
from endpoint_audit.model.printable import one_line

app = typer.Typer(help="Show installed plugins (built-ins included).", no_args_is_help=True)


@app.command("list")
def list_plugins() -> None:
    """List plugin entry points, what each provides, and any that failed to load."""
    registry = load_registry()
    registry.all_collectors()  # every OS's: a collector that cannot be imported is a problem
    table = Table(header_style="bold")
    for col in ("group", "name", "distribution", "version", "provides / error"):
        table.add_column(col)
    for src in registry.sources:
        table.add_row(
            Text(one_line(src.group)),
            Text(one_line(src.name)),
            Text(one_line(src.distribution)),
            Text(one_line(src.version)),
            Text(one_line(", ".join(src.provides))),
        )
    for problem in registry.problems:
        table.add_row(
            Text(one_line(problem.group)),
            Text(one_line(problem.name)),
            Text(one_line(problem.distribution)),
            Text("?"),
            Text(f"FAILED: {one_line(problem.error)}", style="red"),
        )
    Console(highlight=False).print(table)
