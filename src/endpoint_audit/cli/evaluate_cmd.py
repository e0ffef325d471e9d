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
from endpoint_audit.cli.run_request import run_request
from endpoint_audit.cli.scan_cmd import (
    FOLDER_MAX_AGE,
    BaselineOpt,
    FailOnOpt,
    FormatOpt,
    LangOpt,
    OnlyOpt,
    OutputOpt,
    Signing,
    SkipOpt,
    report_outputs,
    selection,
)
from endpoint_audit.cli.sign_opts import (
    PasswordFileOpt,
    PreviousRoundOpt,
    RoundOpt,
    SignOpt,
    signer,
)
from endpoint_audit.cli.store_opts import StoreOpt, check_store
from endpoint_audit.cli.waivers_opt import WaiversOpt
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

MaxAgeOpt = Annotated[
    int | None,
    typer.Option(
        "--max-age",
        metavar="DAYS",
        min=0,
        help=(
            "Judge every check unknown on a PC whose newest file was collected more than "
            "DAYS days ago, dated more than a day ahead, or undated (default: 14 for a "
            "folder; 0: no limit). One file has no limit unless given: results older "
            "than 14 days, dated ahead or undated are then judged as they were, and "
            "stderr says so."
        ),
        show_default=False,
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
    max_age: MaxAgeOpt = None,
    waivers: WaiversOpt = None,
    store: StoreOpt = None,
    sign: SignOpt = None,
    password_file: PasswordFileOpt = None,
    round_id: RoundOpt = None,
    output_dir: Annotated[
        Path | None,
        typer.Option(
            "--output-dir",
            metavar="DIR",
            help=(
                "Write each PC's JSON report to DIR/hosts/, then DIR/fleet.json; "
                "DIR/manifest.json records the round and each file's sha256 (a folder of "
                "bundles, as a fleet scan does)."
            ),
        ),
    ] = None,
    previous_round: PreviousRoundOpt = None,
) -> None:
    """Judge a facts bundle from `collect` or a probe script, or a folder of them, against
    a baseline, as `scan` would have.

    A folder becomes one fleet report; a file in it that is corrupt or of an unknown version
    is reported (stderr, and as an unreachable host named by the file) and the others are
    judged. Waivers match a recorded PC by its file's name (a probe script's file
    `endpoint-audit-PC-0042-<time>.json` is PC-0042), never by the name written inside the
    file; a file whose name names one PC but which holds another host's results (a probe
    script's file anywhere; in a folder any file of one host, named `<host>.json` as
    `collect --bundle-dir` names it) was copied over, renamed or forged: every check of it
    is judged unknown, for neither PC, and stderr says so. Each file is judged as of its own
    collection time; a PC that stopped reporting keeps its last file, so with --max-age
    (default 14 days for a folder) a PC whose newest file is older than that, dated more
    than a day ahead, or undated is judged unknown on every check, its file's findings
    listed as evidence, never compliant. One file has no limit unless --max-age is given (as
    `scan --replay`): it is judged as it was collected, and stderr says so when that was
    more than 14 days ago, more than a day ahead, or is not recorded. Exit codes as for
    `scan`: 0 compliant, 1 failed, 2 bad bundle or baseline, 3 incomplete (also when a file
    of a folder could not be read, when a PC's file is older than --max-age or named for
    another PC, or when every check was not applicable on a PC: nothing verified).

    Examples:

      endpoint-audit evaluate facts.json

      endpoint-audit evaluate facts.json -b minimal --lang ja -f json:report.json

      endpoint-audit evaluate pc-0042.json --waivers waivers.yaml

      endpoint-audit evaluate //fileserver/audit$ -f html:fleet.html -f json:fleet.json

      endpoint-audit evaluate //fileserver/audit$ --output-dir audit-2026-12 --sign team.key

      endpoint-audit evaluate //fileserver/audit$ --max-age 7 -f html:fleet.html

      endpoint-audit evaluate //fileserver/audit$ --max-age 0   # no age limit (an archive)
    """
    from endpoint_audit.engine.pipeline import RecordedHosts, RunOptions, RunRequest

    language = resolve_lang(lang)
    outputs = parse_outputs(format, output)
    check_store(store)
    if previous_round is not None and output_dir is None:
        fail("--previous-round needs --output-dir (the round's manifest records the chain)")
    signing = Signing(signer(sign, password_file), round_id, previous_round)
    # A folder is a share many PCs dropped their files into: one fleet report, a file that
    # cannot be read is one unreachable host, each PC is judged by its newest file.
    request = RunRequest(
        RecordedHosts(bundle, share=bundle.is_dir()),
        baseline,
        waivers,
        selection(only, skip),
        report_outputs(outputs, store, f"evaluate {bundle}", output_dir, signing=signing),
        RunOptions(lang=language, fail_on=fail_on),
        judge_as_of_now=as_of_now,
        max_age_days=_max_age(max_age, bundle.is_dir()),
        age_note_days=FOLDER_MAX_AGE if max_age is None else None,
    )
    run_request(request)


def _max_age(days: int | None, folder: bool) -> int | None:
    """The age limit in days, None for none: as given (0: none), else 14 for a folder
    (a share PCs drop their files into), none for one file (judged as it was)."""
    if days is None:
        return FOLDER_MAX_AGE if folder else None
    return days or None
