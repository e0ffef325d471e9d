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

from endpoint_audit.cli.common import fail, resolve_lang
from endpoint_audit.cli.outputs import parse_outputs
from endpoint_audit.cli.recorded import judged_at, load_recorded, replay_targets_of
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
from endpoint_audit.engine.run import RunOptions
from endpoint_audit.errors import ConfigError
from endpoint_audit.model.result import Severity

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
) -> None:
    """Judge a facts bundle from `collect` against a baseline, as `scan` would have.

    Exit codes as for `scan`: 0 compliant, 1 failed, 2 bad bundle or baseline, 3 incomplete.

    Examples:

      endpoint-audit evaluate facts.json

      endpoint-audit evaluate facts.json -b minimal --lang ja -f json:report.json
    """
    language = resolve_lang(lang)
    outputs = parse_outputs(format, output)
    try:
        hosts = load_recorded(bundle)
        plan = prepare_plan(baseline, only, skip)
    except ConfigError as exc:
        fail(str(exc))
    now = None if as_of_now else judged_at(hosts)
    options = RunOptions(lang=language, now=now)
    runs, interrupted, started = execute(plan, replay_targets_of(hosts), options)
    finish(plan, [r.report for r in runs], outputs, language, fail_on, started, interrupted)
