"""`endpoint-audit report`: work with JSON reports after the scan.

schema  publish the JSON Schema of the report
render  turn a JSON report into any format (html, junit, csv, markdown, terminal, json)
merge   one fleet report from per-host reports of the same baseline
diff    fixed, regressed and new failures between two reports (exit 1 on regressions;
        with --fail-on-new also on new failures; 3 when the newer report could not
        judge something the older one did)
weekly  the weekly situation report from the history store (see `history`)
sign    sign files (FILE.minisig, minisign-compatible)
verify  verify signatures against a public key or a trusted-keys file
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from endpoint_audit.cli.common import fail, note, warn, write_output
from endpoint_audit.cli.outputs import exit_after, parse_outputs, render_outputs
from endpoint_audit.cli.signing_cmd import (
    PubkeyOpt,
    TrustedKeysOpt,
    sign,
    verified_note,
    verify,
)
from endpoint_audit.cli.store_opts import StoreOpt, add_to_store, check_store
from endpoint_audit.cli.weekly_cmd import weekly
from endpoint_audit.engine.exit_policy import ExitCode
from endpoint_audit.model import i18n
from endpoint_audit.model.report_ops import (
    Change,
    MergeError,
    NamedReport,
    diff_reports,
    merge_reports,
)
from endpoint_audit.model.result import SCHEMA_VERSION, RunReport
from endpoint_audit.model.slice_merge import missing_text
from endpoint_audit.model.valid_text import model_json
from endpoint_audit.render.diff_table import diff_text
from endpoint_audit.render.json_report import schema_text
from endpoint_audit.safe_read import REPORT, InputKind, InputRefused, read_input
from endpoint_audit.transport.transcript import COLLECT_MANIFEST

app = typer.Typer(
    help=(
        "Work with JSON reports: render in other formats, merge, compare, publish the schema, "
        "sign and verify; the weekly report from the history store."
    ),
    no_args_is_help=True,
)
app.command("weekly")(weekly)
app.command("sign")(sign)
app.command("verify")(verify)

OutputOpt = Annotated[
    str | None,
    typer.Option("--output", "-o", help="Write to FILE instead of stdout (`-` = stdout)."),
]
LangOpt = Annotated[
    str | None,
    typer.Option("--lang", help="Language: ja or en (default: the report's own language)."),
]


def read_report(path: Path) -> bytes:
    """The bytes of a JSON report file; refused input is one line, exit 2."""
    try:
        return read_input(path, REPORT)
    except InputRefused as exc:
        fail(str(exc))


def load_report(path: Path, data: bytes | None = None) -> RunReport:
    """A JSON report from `scan -f json` (or `report merge`): `data` when given (the
    bytes already read from `path`), else the file's. Bad input is one line
    naming the file, exit 2: not a regular file or too large (safe_read), not JSON,
    nested too deep, a lone surrogate, a time out of range, a wrong field."""
    if data is None:
        data = read_report(path)
    try:
        report = RunReport.model_validate_json(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "(top)"
        why = str(first.get("msg", exc)).removeprefix("Value error, ")
        fail(f"{path}: not an endpoint-audit JSON report: {where}: {why}")
    major = report.schema_version.split(".", 1)[0]
    if major != SCHEMA_VERSION.split(".", 1)[0]:
        fail(
            f"{path}: report schema {report.schema_version} is not supported "
            f"(this version reads {SCHEMA_VERSION})"
        )
    return report


def _report_lang(lang: str | None, report: RunReport, source: Path) -> str:
    """--lang, else the report's own language; a report in a language this version has
    no texts for is shown in English, and says so."""
    if lang is not None:
        if lang not in i18n.LANGUAGES:
            fail(f"--lang {lang}: choose one of {', '.join(i18n.LANGUAGES)}")
        return lang
    if report.lang in i18n.LANGUAGES:
        return report.lang
    warn(
        f"{source}: the report's language {report.lang!r} is not one of "
        f"{', '.join(i18n.LANGUAGES)}; shown in {i18n.DEFAULT_LANGUAGE} (choose with --lang)"
    )
    return i18n.DEFAULT_LANGUAGE


@app.command("schema")
def schema(output: OutputOpt = None) -> None:
    """Print the JSON Schema (draft 2020-12) of the JSON report (`scan -f json`)."""
    write_output(output, schema_text())


@app.command("render")
def render(
    results: Annotated[Path, typer.Argument(help="A JSON report from `scan -f json`.")],
    format: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            "-f",
            help=(
                "html, junit, csv, markdown, terminal or json; repeat with a path to write "
                "several: `-f html:r.html -f csv:r.csv`. Default: what the extension of -o "
                "names (.json, .html, .csv, .md, .xml for junit), else terminal."
            ),
        ),
    ] = None,
    output: OutputOpt = None,
    lang: LangOpt = None,
    pubkey: PubkeyOpt = None,
    trusted: TrustedKeysOpt = None,
) -> None:
    """Render a JSON report in another format, exactly as `scan` would have written it.

    With --pubkey or --trusted-keys the report's signature (FILE.minisig) is verified
    first: one that does not verify is one line, exit 1; one that does is named in the
    HTML and terminal reports, with its key.

    Examples:

      endpoint-audit report render results.json -f html -o report.html

      endpoint-audit report render fleet.json -f csv:fleet.csv -f junit:fleet.xml --lang ja
    """
    specs = parse_outputs(format, output)
    # One read: the bytes whose signature is checked are the bytes rendered.
    data = read_report(results)
    signature = verified_note(results, data, pubkey, trusted)
    report = load_report(results, data)
    written = render_outputs(report, specs, _report_lang(lang, report, results), signature)
    exit_after(written, ExitCode.OK, interrupted=False)


def _run_folder_report(folder: Path) -> Path:
    """A run folder (`scan --output-dir`, one slice of a round): its fleet report, which
    must be the file its manifest recorded (sha256)."""
    from endpoint_audit.engine.run_folder import (
        FLEET_PARTIAL,
        FLEET_REPORT,
        MANIFEST,
        RunManifest,
    )

    try:
        data = read_input(folder / MANIFEST, InputKind(MANIFEST, 256 * 1024 * 1024))
        manifest = RunManifest.model_validate_json(data)
    except InputRefused as exc:
        fail(str(exc))
    except ValidationError as exc:
        fail(f"{folder / MANIFEST}: not a run manifest: {exc.errors()[0]['msg']}")
    for name in (FLEET_REPORT, FLEET_PARTIAL):
        entry = manifest.outputs.get(name)
        if entry is None:
            continue
        path = folder / entry.path
        try:
            digest = hashlib.sha256(read_input(path, REPORT)).hexdigest()
        except InputRefused as exc:
            fail(str(exc))
        if digest != entry.sha256:
            fail(f"{path}: changed since the run wrote it (sha256 differs from {MANIFEST})")
        return path
    fail(f"{folder}: the run recorded in {MANIFEST} wrote no fleet report (state {manifest.state})")


def _report_files(inputs: list[Path], output: str) -> list[Path]:
    skip = Path(output).resolve() if output != "-" else None
    files: list[Path] = []
    for item in inputs:
        if item.is_dir() and (item / COLLECT_MANIFEST).exists():
            fail(
                f"{item}: collected facts of a slice (`collect --shard`), not a report; judge "
                f"it first (`evaluate {item} --output-dir DIR`) and merge DIR"
            )
        if item.is_dir() and (item / "manifest.json").exists():
            files.append(_run_folder_report(item))
        elif item.is_dir():
            # Not only regular files: a pipe named x.json is refused by name, not skipped.
            found = sorted(p for p in item.iterdir() if p.suffix == ".json" and not p.is_dir())
            files.extend(p for p in found if p.resolve() != skip)
        elif item.exists():
            files.append(item)
        else:
            fail(f"{item}: no such file or folder")
    if not files:
        fail(f"{', '.join(map(str, inputs))}: no JSON reports (*.json) found")
    return files


@app.command("merge")
def merge(
    inputs: Annotated[
        list[Path], typer.Argument(help="JSON reports, or folders of them (*.json).")
    ],
    output: Annotated[
        str, typer.Option("--output", "-o", help="The fleet report to write (`-` = stdout).")
    ],
    store: StoreOpt = None,
) -> None:
    """Merge per-host JSON reports into one fleet report (same baseline sha256 required).

    A host found in several reports keeps its newest result. A folder holding a run
    manifest (`scan --output-dir`) gives its fleet report.

    Slices of a round (`scan --shard I/N`, or `collect --shard I/N` judged by `evaluate`)
    join only with the slices of the same round:
    same N, inventory and --round (otherwise exit 2, nothing written). With a slice
    missing, the report is written marked partial, naming the missing slices, and the
    exit code is 3; with every slice, 0.

      endpoint-audit report merge reports/ -o fleet.json

      endpoint-audit report merge slice-1/ slice-2/ slice-3/ -o fleet.json

      endpoint-audit report render fleet.json -f html -o fleet.html
    """
    check_store(store)
    files = _report_files(inputs, output)
    named = [NamedReport(str(path), load_report(path)) for path in files]
    try:
        merged, notes = merge_reports(named)
    except MergeError as exc:
        fail(str(exc))
    for line in notes:
        warn(line)
    write_output(output, model_json(merged) + "\n")
    note(f"merged {len(merged.hosts)} host(s) from {len(files)} report(s)")
    coverage = merged.shards
    if coverage is not None and coverage.missing:
        warn(
            f"slice(s) {missing_text(coverage)} missing: the report holds "
            f"{len(merged.hosts)} of the inventory's {coverage.inventory_hosts} host(s) and is "
            "marked partial"
        )
    if add_to_store(merged, store, f"report merge {output}", merged.lang) is not None:
        raise typer.Exit(ExitCode.OUTPUT)
    if coverage is not None and coverage.missing:
        raise typer.Exit(ExitCode.INCOMPLETE)


@app.command("diff")
def diff(
    old: Annotated[Path, typer.Argument(help="The earlier JSON report.")],
    new: Annotated[Path, typer.Argument(help="The later JSON report.")],
    format: Annotated[
        str, typer.Option("--format", "-f", metavar="text|json", help="A table, or JSON.")
    ] = "text",
    output: OutputOpt = None,
    lang: LangOpt = None,
    fail_on_new: Annotated[
        bool,
        typer.Option(
            "--fail-on-new",
            help=(
                "Exit 1 also for a new failure: one on a host or check the old report did "
                "not cover (for CI gates, where every failure not already known counts)."
            ),
        ),
    ] = False,
) -> None:
    """Compare two reports: fixed, regressed and new failures (exit 1 on regressions).

    Per host and check: fixed (failed before; the new report saw it clear), not verified
    (failed before; the new report could not tell: unreachable, unknown or error),
    regressed (fails now where the check ran before and passed or named nothing), new
    (fails on a host or check the old report did not cover), no longer reported. Exit 1
    when something regressed (with --fail-on-new, also when a new failure appeared);
    else 3 when the new report could not judge something the old one did (a failure not
    verified or no longer reported, a host unreachable or missing, a check unknown,
    errored or not run: a regression may hide there); else 0.

      endpoint-audit report diff last-month.json today.json
    """
    if format not in ("text", "json"):
        fail(f"--format {format}: choose text or json")
    before = load_report(old)
    after = load_report(new)
    language = _report_lang(lang, after, new)
    result = diff_reports(before, after)
    if format == "json":
        text = model_json(result) + "\n"
    else:
        color = output in (None, "-") and sys.stdout.isatty()
        text = diff_text(result, language, color=color)
    write_output(output, text)
    failing = result.regressions or (fail_on_new and result.new_failures)
    if failing:
        raise typer.Exit(ExitCode.FAILED)
    # "No regression" only counts where the new report could look (see ReportDiff).
    blind = result.not_compared or any(
        result.counts.get(c.value, 0) for c in (Change.UNVERIFIED, Change.GONE)
    )
    raise typer.Exit(ExitCode.INCOMPLETE if blind else ExitCode.OK)
