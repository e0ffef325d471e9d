"""`endpoint-audit report weekly`: the weekly situation report from the history store."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Protocol

import typer

from endpoint_audit.cli.common import fail, resolve_lang, write_output
from endpoint_audit.cli.history_cmd import AsOfOpt, inventory_names, parse_as_of
from endpoint_audit.cli.store_opts import HistoryStoreOpt, open_store

if TYPE_CHECKING:
    from endpoint_audit.model.weekly import WeeklyReport

FORMATS = ("html", "markdown", "csv", "json")


class _Renderer(Protocol):
    encoding: str

    def render(self, report: WeeklyReport) -> str: ...


def _outputs(formats: list[str] | None, output: str | None) -> list[tuple[str, str | None]]:
    specs: list[tuple[str, str | None]] = []
    for raw in formats or ["html"]:
        name, sep, path = raw.partition(":")
        name = name.strip().lower()
        if name not in FORMATS:
            fail(f"--format {name}: choose from {', '.join(FORMATS)}")
        specs.append((name, path if sep else None))
    if output is not None:
        unpathed = [s for s in specs if s[1] is None]
        if len(unpathed) != 1:
            fail("--output applies to exactly one --format without its own :PATH")
        specs = [(n, output) if p is None else (n, p) for n, p in specs]
    if sum(1 for _, p in specs if p in (None, "-")) > 1:
        fail("only one --format may write to stdout; give the others a :PATH")
    return specs


def weekly(
    format: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            "-f",
            help=(
                "html (default), markdown, csv (one row per PC, for Excel) or json; repeat "
                "with paths to write several: `-f html:weekly.html -f csv:weekly.csv`."
            ),
        ),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", help="Write to FILE instead of stdout (`-` = stdout)."),
    ] = None,
    store: HistoryStoreOpt = None,
    lang: Annotated[
        str | None, typer.Option("--lang", help="ja or en (default: from the locale).")
    ] = None,
    rounds: Annotated[
        int, typer.Option("--rounds", min=2, max=520, help="Rounds in the trend.")
    ] = 12,
    stale_days: Annotated[
        int,
        typer.Option(
            "--stale-days", min=1, help="A PC not reached for this many days is not seen."
        ),
    ] = 14,
    expiring_days: Annotated[
        int,
        typer.Option("--expiring-days", min=1, help="List waivers expiring within this many days."),
    ] = 30,
    inventory: Annotated[
        list[Path] | None,
        typer.Option(
            "--inventory",
            "-i",
            help="The PCs that should be seen (inventory file); default: every PC in the store.",
        ),
    ] = None,
    as_of: AsOfOpt = None,
) -> None:
    """The weekly report from the history store: coverage and PCs not seen, the
    compliance trend over the last rounds with the change from the previous one, new and
    fixed failures, how long failures have been open, a deadline board (end of OS
    support, waivers expiring, antivirus signatures: where such checks ran), critical
    items, patch age, and a breakdown by host group.

    HTML is one self-contained file (inline SVG charts, no script, no request), printable
    on A4 and readable in black and white. Add rounds first with `history import` or
    `scan/evaluate/report merge --store`.

      endpoint-audit report weekly -o weekly.html --lang ja

      endpoint-audit report weekly -f html:weekly.html -f csv:weekly.csv -i fleet.yaml
    """
    from endpoint_audit.history.weekly import WeeklyOptions, weekly_report
    from endpoint_audit.render.weekly_html import WeeklyHtmlRenderer
    from endpoint_audit.render.weekly_text import WeeklyCsvRenderer, WeeklyMarkdownRenderer

    language = resolve_lang(lang)
    specs = _outputs(format, output)
    moment = parse_as_of(as_of)
    names = inventory_names(inventory) if inventory else None
    options = WeeklyOptions(moment, rounds, stale_days, expiring_days, names)
    with open_store(store, create=False) as opened:
        report = weekly_report(opened, language, options)
    renderers: dict[str, _Renderer] = {
        "html": WeeklyHtmlRenderer(),
        "markdown": WeeklyMarkdownRenderer(),
        "csv": WeeklyCsvRenderer(),
    }
    for name, path in specs:
        if name == "json":
            write_output(path, report.model_dump_json(indent=2) + "\n")
            continue
        renderer = renderers[name]
        write_output(path, renderer.render(report), renderer.encoding)
