"""`endpoint-audit evaluate`: judge a facts bundle from `collect`, with any baseline.

The bundle is replayed through the same transport and engine as `scan --replay`, so the
collectors parse the recorded output again and the checks judge it exactly as a scan
would: the two cannot drift. Ages (days since the last update) are judged as of the
collection time recorded in the bundle, so the verdict does not change with the day the
bundle is evaluated; `--as-of-now` judges them as of today instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from endpoint_audit.cli.common import fail, resolve_lang, warn
from endpoint_audit.cli.outputs import OutputSpec, parse_outputs
from endpoint_audit.cli.recorded import judged_at, load_recorded, replay_targets_of, scan_folder
from endpoint_audit.cli.scan_cmd import (
    BaselineOpt,
    FailOnOpt,
    FormatOpt,
    LangOpt,
    OnlyOpt,
    OutputOpt,
    SkipOpt,
    execute,
    finish,
    prepare_plan,
)
from endpoint_audit.cli.store_opts import StoreOpt, check_store
from endpoint_audit.cli.waivers_opt import WaiversOpt
from endpoint_audit.engine.run import HostRun, RunOptions, Target
from endpoint_audit.errors import ConfigError
from endpoint_audit.model import i18n
from endpoint_audit.model.result import HostReport, Severity

BundleArg = Annotated[
    Path,
    typer.Argument(
        help="A facts bundle from `collect -o` (JSON or YAML), or a folder of them.",
        show_default=False,
    ),
]
AsOfNowOpt = Annotated[
    bool,
    typer.Option(
        "--as-of-now",
        help="Judge ages (days since the last update) as of now, not as of collection.",
    ),
]


def evaluate(
    bundle: BundleArg,
    baseline: BaselineOpt = "jp-municipal-telework",
    format: FormatOpt = None,
    output: OutputOpt = None,
    only: OnlyOpt = None,
    skip: SkipOpt = None,
    fail_on: FailOnOpt = Severity.INFO,
    lang: LangOpt = None,
    as_of_now: AsOfNowOpt = False,
    waivers: WaiversOpt = None,
    store: StoreOpt = None,
) -> None:
    """Judge a facts bundle from `collect` or a probe script, or a folder of them, against
    a baseline, as `scan` would have.

    A folder becomes one fleet report; a file in it that is corrupt or of an unknown
    version is reported (stderr, and as an unreachable host named by the file) and the
    others are judged. Waivers match a recorded PC by its file's name (a probe script's
    file `endpoint-audit-PC-0042-<time>.json` is PC-0042), never by the name written
    inside the file. Exit codes as for `scan`: 0 compliant, 1 failed, 2 bad bundle or
    baseline, 3 incomplete (also when a file of a folder could not be read).

    Examples:

      endpoint-audit evaluate facts.json

      endpoint-audit evaluate facts.json -b minimal --lang ja -f json:report.json

      endpoint-audit evaluate pc-0042.json --waivers waivers.yaml

      endpoint-audit evaluate //fileserver/audit$ -f html:fleet.html -f json:fleet.json
    """
    language = resolve_lang(lang)
    outputs = parse_outputs(format, output)
    check_store(store)
    if bundle.is_dir():
        evaluate_folder(
            bundle, baseline, outputs, only, skip, fail_on, language, as_of_now, waivers, store
        )
        return
    try:
        hosts = load_recorded(bundle)
        plan = prepare_plan(baseline, only, skip, waivers)
    except ConfigError as exc:
        fail(str(exc))
    now = None if as_of_now else judged_at(hosts)
    options = RunOptions(lang=language, now=now)
    targets = replay_targets_of(hosts)
    warn_name_conflicts(targets, language)
    runs, interrupted, started = execute(plan, targets, options)
    reports = [r.report for r in runs]
    finish(plan, reports, outputs, language, fail_on, started, interrupted, len(targets),
           store, f"evaluate {bundle}")  # fmt: skip


def warn_name_conflicts(targets: list[Target], lang: str) -> None:
    """One line per file whose host name other files also claim."""
    for target in targets:
        if target.name_conflicts:
            others = ", ".join(Path(o).name for o in target.name_conflicts)
            warn(
                i18n.t(
                    lang,
                    "cli.evaluate.name_conflict",
                    file=Path(target.source or target.name).name,
                    name=target.name,
                    others=others,
                )
            )


def evaluate_folder(
    folder: Path,
    baseline: str,
    outputs: list[OutputSpec],
    only: list[str] | None,
    skip: list[str] | None,
    fail_on: Severity,
    language: str,
    as_of_now: bool,
    waivers: Path | None = None,
    store: Path | None = None,
) -> None:
    """A folder of bundles (a share where many PCs dropped theirs) as one fleet report.

    A file that cannot be read is one line on stderr and one unreachable host in the
    report, named by its file; it never stops the others (exit 3 unless a failure).
    A PC that left several files is judged by its newest; files that name different PCs
    but claim one host name are all judged, each under its own file (a warning each).
    Only the report is kept of each host once it is judged.
    """
    try:
        plan = prepare_plan(baseline, only, skip, waivers)
        recorded = scan_folder(folder)
    except ConfigError as exc:
        fail(str(exc))
    for problem in recorded.unreadable:
        warn(f"skipped {problem.reason}")
    warn_name_conflicts(recorded.targets, language)
    if recorded.superseded:
        warn(
            f"{len(recorded.superseded)} older file(s) of PCs that also left a newer one were "
            "left out; each PC is judged by its newest file"
        )

    def keep_report_only(run: HostRun) -> None:
        run.transcript = {}
        run.facts = {}

    now = None if as_of_now else recorded.judged_at()
    options = RunOptions(lang=language, now=now)
    runs, interrupted, started = execute(plan, recorded.targets, options, keep_report_only)
    reports = [r.report for r in runs]
    reports += [
        HostReport(target=p.path.name, status="unreachable", reason=p.reason, source=str(p.path))
        for p in recorded.unreadable
    ]
    planned = len(recorded.targets) + len(recorded.unreadable)
    finish(plan, reports, outputs, language, fail_on, started, interrupted, planned, store,
           f"evaluate {folder}")  # fmt: skip
