"""`endpoint-audit report schema` (and more report tools)."""

from __future__ import annotations

from typing import Annotated

import typer

from endpoint_audit.cli.common import write_output
from endpoint_audit.render.json_report import schema_text

app = typer.Typer(help="Work with JSON reports: publish their schema.", no_args_is_help=True)


@app.command("schema")
def schema(
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.")
    ] = None,
) -> None:
    """Print the JSON Schema (draft 2020-12) of the JSON report (`scan -f json`)."""
    write_output(output, schema_text())
