"""`endpoint-audit baseline rules export|import`: a baseline's rule checks as a sheet for
Excel and back, and HardeningKitty finding lists as rules."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer

from endpoint_audit.baseline.yaml_lines import read_text
from endpoint_audit.cli.app import ManualGroup
from endpoint_audit.cli.common import check_output_paths, fail, note, say, write_output
from endpoint_audit.engine.exit_policy import ExitCode
from endpoint_audit.engine.plan import load_plan_baseline
from endpoint_audit.engine.registry import load_registry
from endpoint_audit.errors import ConfigError
from endpoint_audit.model.rule import RuleEntry
from endpoint_audit.rules import hardeningkitty, sheet
from endpoint_audit.rules.baseline_text import merge_rules, new_baseline
from endpoint_audit.rules.sheet_cells import CellProblem
from endpoint_audit.rules.sheet_files import read_sheet

app = typer.Typer(
    cls=ManualGroup,  # subcommands listed with their whole first paragraph, as elsewhere
    subcommand_metavar="COMMAND",  # fits one line of a narrow terminal
    rich_markup_mode=None,
    help="Keep a baseline's rule checks in a spreadsheet: export them as CSV for Excel, "
    "import the edited sheet back, or import a HardeningKitty finding list.",
    no_args_is_help=True,
)


@app.command("export")
def export(
    baseline: Annotated[
        str, typer.Argument(help="The baseline whose rules are written: a file or a shipped name.")
    ],
    fmt: Annotated[
        str,
        typer.Option(
            "--format", "-f", metavar="csv", help="csv: one row per comparison (docs/rules.md)."
        ),
    ] = "csv",
    output: Annotated[
        str | None,
        typer.Option(
            "--output", "-o", help="Write to FILE (UTF-8 with a byte-order mark, for Excel)."
        ),
    ] = None,
    headers: Annotated[
        str,
        typer.Option(
            "--headers", metavar="en|ja", help="Header row in en (id, severity, ...) or ja."
        ),
    ] = "en",
) -> None:
    """Write a baseline's rule checks as CSV for Excel, one row per comparison.

    The rules of the baseline and of those it extends are written, turned-off ones too:
    one row per comparison, each row with its rule's id, severity, texts and
    references, the OS family, what is read, the operator and the expected value. Cells
    that a spreadsheet would run as a formula are written with an apostrophe first.
    `baseline rules import` reads the file back into the same rules."""
    if fmt != "csv":
        fail(f"--format {fmt}: the one format is csv")
    if headers not in ("en", "ja"):
        fail(f"--headers {headers}: choose en or ja")
    check_output_paths([output], "--output")
    try:
        loaded = load_plan_baseline(baseline, load_registry())
    except ConfigError as exc:
        fail(str(exc))
    rules = {**loaded.rules, **loaded.disabled_rules}
    if not rules:
        fail(f"{baseline}: the baseline has no rule checks (type: rule) to export")
    try:
        text = sheet.export_csv(rules, headers)
    except CellProblem as exc:
        fail(f"{baseline}: {exc}")
    write_output(output, text, encoding="utf-8-sig")
    if output not in (None, "-"):
        note(f"{output}: {len(rules)} rules")


def _baseline_id(output: str | None) -> str:
    stem = Path(output).stem if output and output != "-" else "imported-rules"
    return re.sub(r"[^A-Za-z0-9._-]", "-", stem).lstrip("._-") or "imported-rules"


def _validate(text: str, folder: Path, shown: str) -> None:
    """Load `text` as a baseline file in `folder` (so a relative `extends` resolves as it
    will); one error line and exit 2 when it does not validate."""
    try:
        handle, temp = tempfile.mkstemp(prefix=".import-", suffix=".yaml", dir=folder)
    except OSError as exc:
        fail(
            f"{shown}: cannot check the result in {folder}: {exc.strerror or exc}",
            ExitCode.OUTPUT,
        )
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        try:
            load_plan_baseline(temp, load_registry())
        except ConfigError as exc:
            fail(f"the imported rules do not validate: {str(exc).replace(temp, shown)}")
    finally:
        Path(temp).unlink(missing_ok=True)


def _validated_write(path: Path, text: str) -> None:
    """Write `text` to `path` only once it validates there."""
    _validate(text, path.resolve().parent, str(path))
    write_output(str(path), text)


@app.command("import")
def import_rules(
    file: Annotated[Path, typer.Argument(help="The CSV file to read.")],
    source: Annotated[
        str,
        typer.Option(
            "--from",
            metavar="sheet|hardeningkitty",
            help="sheet: a file written by `rules export` (or laid out the same way); "
            "hardeningkitty: a HardeningKitty finding list.",
        ),
    ] = "sheet",
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", help="Write a new baseline holding the rules to FILE."),
    ] = None,
    into: Annotated[
        Path | None,
        typer.Option(
            "--into",
            metavar="BASELINE",
            help="Write the rules into this baseline file: a rule of the same id is "
            "replaced, a new one added; the rest of the file stays as written.",
        ),
    ] = None,
    baseline_id: Annotated[
        str | None,
        typer.Option("--id", help="Id of the new baseline (default: the output file's name)."),
    ] = None,
    extends: Annotated[
        str | None,
        typer.Option("--extends", help="The new baseline extends this one (name or path)."),
    ] = None,
    namespace: Annotated[
        str,
        typer.Option("--namespace", help="HardeningKitty: rule ids are NAMESPACE.<the list's ID>."),
    ] = "hk",
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing -o file.")] = False,
) -> None:
    """Read rule checks from a CSV sheet or a HardeningKitty list into a baseline.

    The rules go into a new baseline (-o, or the standard output), or into an existing
    baseline file (--into). Nothing is written
    unless the result validates. A problem in the file is one line `file:row:column:
    problem` and exit 2. With --from hardeningkitty, each row that cannot be read as a
    rule is named on its own line with the reason, and counted."""
    if output is not None and into is not None:
        fail("give -o FILE (a new baseline) or --into BASELINE, not both")
    if source not in ("sheet", "hardeningkitty"):
        fail(f"--from {source}: choose sheet or hardeningkitty")
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,19}", namespace):
        fail(f"--namespace {namespace}: lower-case letters, digits and '_', e.g. hk or city_hk")
    if output not in (None, "-") and Path(output).exists() and not force:
        fail(f"{output}: already exists (use --force to overwrite, or --into to add to it)")
    check_output_paths([output], "--output")
    try:
        table = read_sheet(file)
    except ConfigError as exc:
        fail(str(exc))
    rules: Mapping[str, RuleEntry]
    try:
        if source == "sheet":
            rules = sheet.import_rows(table)
        else:
            imported = hardeningkitty.import_rows(table, namespace)
            for skip in imported.skipped:
                say(f"skipped: {file}:{skip.row}: {skip.finding}: {skip.reason}")
            rules = imported.rules
            note(f"{file}: {len(rules)} rules imported, {len(imported.skipped)} rows skipped")
    except sheet.SheetError as exc:
        fail(exc.line(str(file)))
    if not rules:
        fail(f"{file}: no rules to import")
    if into is not None:
        try:
            text = merge_rules(read_text(into), str(into), rules)
        except ConfigError as exc:
            fail(str(exc))
        _validated_write(into, text)
        note(f"{into}: {len(rules)} rules written")
        return
    title = {"ja": f"{file.name} から取り込んだルール", "en": f"Rules imported from {file.name}"}
    text = new_baseline(rules, baseline_id or _baseline_id(output), title, extends)
    if output in (None, "-"):
        # The standard output: still validated first, from the working folder.
        _validate(text, Path.cwd(), "(standard output)")
        write_output(None, text)
        return
    _validated_write(Path(output), text)
    note(f"{output}: {len(rules)} rules written")
