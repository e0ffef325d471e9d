"""`endpoint-audit evaluate`: judge a facts bundle from `collect`, with any baseline.

The bundle is replayed through the same transport and engine as `scan --replay`, so the
collectors parse the recorded output again and the checks judge it exactly as a scan
would: the two cannot drift. Ages (days since the last update) are judged as of the
collection time recorded in the bundle, so the verdict does not change with the day the
bundle is evaluated; `--as-of-now` judges them as of today instead.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from endpoint_audit.cli.common import fail, resolve_lang
from endpoint_audit.cli.outputs import parse_outputs
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
from endpoint_audit.engine.run import RunOptions, Target
from endpoint_audit.errors import ConfigError
from endpoint_audit.model.result import Severity
from endpoint_audit.transport.replay import ReplayTransport
from endpoint_audit.transport.transcript import HostTranscript, bundle_files, load_bundle

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


def load_recorded(path: Path) -> list[HostTranscript]:
    """Every host of a bundle file or of a folder of bundles. ConfigError names the file."""
    if not path.exists():
        raise ConfigError(f"{path}: no such file or folder")
    hosts = [host for file in bundle_files(path) for host in load_bundle(file)]
    if not hosts:
        raise ConfigError(f"{path}: no bundle files (*.json, *.yaml) found")
    return hosts


def judged_at(hosts: list[HostTranscript]) -> datetime | None:
    """The time to judge recorded hosts at: the latest collection time recorded.

    With hosts collected at different times, the latest one is used: ages of the earlier
    hosts come out longer, never shorter, than they were (strict, never a false pass).
    None when no host records its collection time (then: now)."""
    times = [h.collected_at for h in hosts if h.collected_at is not None]
    return max(times) if times else None


def replay_targets_of(hosts: list[HostTranscript]) -> list[Target]:
    return [Target(host.target, partial(ReplayTransport, host)) for host in hosts]


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

    Exit codes are those of `scan`: 0 compliant, 1 a failed check, 2 a bad bundle or
    baseline, 3 incomplete.

    Examples:

      endpoint-audit evaluate facts.json

      endpoint-audit evaluate facts.json -b minimal --lang ja -f json -o report.json
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
