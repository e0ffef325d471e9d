"""`endpoint-audit collect`: record the facts of this PC, or of hosts over SSH, for judging
later (`evaluate`).

`-o FILE` writes one facts bundle of every host (platform, command transcript as
evidence, parsed facts). `--bundle-dir DIR` writes one bundle per host as each host
finishes (`evaluate DIR` judges them as one fleet). `--record DIR` writes one redacted
transcript per host, fit to share and to replay with `scan --replay` (host names, user
names, serials, MAC addresses and recovery keys removed); `--redact` redacts the `-o` and
`--bundle-dir` bundles the same way, down to the bundle folder's file names
(engine.host_outputs.RedactedLabels). The hosts go through the same pipeline as `scan`
(engine.pipeline), without judging.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from endpoint_audit.cli.common import check_output_paths, fail, resolve_lang
from endpoint_audit.cli.run_request import run_request
from endpoint_audit.cli.sign_opts import PasswordFileOpt, RoundOpt, SignOpt, signer
from endpoint_audit.cli.ssh_opts import (
    AcceptNewOpt,
    CollectShardOpt,
    ConnectTimeoutOpt,
    InventoryOpt,
    LimitOpt,
    SshFlags,
    SudoOpt,
    shard_spec,
    warn_ignored,
)

OutputOpt = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        help="Write the facts bundle to FILE (.json, or .yaml/.yml for YAML; `-` = stdout).",
    ),
]
RecordOpt = Annotated[
    Path | None,
    typer.Option(
        "--record",
        help=(
            "Write one redacted transcript per host into DIR (host names, the address a host "
            "was reached at, user names, serials, MAC addresses and recovery keys replaced), "
            "replayable with `scan --replay DIR`."
        ),
    ),
]
BaselineOpt = Annotated[
    str,
    typer.Option(
        "--baseline",
        "-b",
        help="Collect the facts this baseline's checks need (shipped name, or ./FILE.yaml).",
    ),
]
AllFactsOpt = Annotated[
    bool,
    typer.Option(
        "--all-facts", help="Collect every fact family this platform has a collector for."
    ),
]
RedactOpt = Annotated[
    bool,
    typer.Option(
        "--redact",
        help=(
            "Redact the -o and --bundle-dir bundles as --record does, file names and "
            "signature comments included: each host is host-<digest> (DIR/host-<digest>.json), "
            "the same for a PC on every run (a digest of its machine id); unreachable hosts "
            "are left out."
        ),
    ),
]
TimeoutOpt = Annotated[
    float, typer.Option("--timeout", min=1, help="Seconds each probe command may take.")
]
LangOpt = Annotated[
    str | None,
    typer.Option("--lang", help="Language of the progress messages: ja or en (default: locale)."),
]
BundleDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--bundle-dir",
        help=(
            "Write one facts bundle per host into DIR (DIR/<host>.json; with --redact "
            "DIR/host-<digest>.json) as each host finishes; `evaluate DIR` judges them as "
            "one fleet report."
        ),
    ),
]
HostOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--host",
        help="Collect from this host over SSH: HOST, USER@HOST, HOST:PORT, [IPv6]:PORT (repeat).",
    ),
]
ConcurrencyOpt = Annotated[
    int, typer.Option("--concurrency", "-j", min=1, max=1024, help="Hosts collected at once.")
]


def _check_folder(flag: str, folder: Path | None) -> None:
    if folder is not None and folder.exists() and not folder.is_dir():
        fail(f"{flag} {folder}: not a folder")


def collect(
    output: OutputOpt = None,
    record: RecordOpt = None,
    baseline: BaselineOpt = "jp-municipal-telework",
    all_facts: AllFactsOpt = False,
    redact: RedactOpt = False,
    timeout: TimeoutOpt = 60.0,
    lang: LangOpt = None,
    bundle_dir: BundleDirOpt = None,
    host: HostOpt = None,
    inventory: InventoryOpt = None,
    limit: LimitOpt = None,
    concurrency: ConcurrencyOpt = 32,
    sudo: SudoOpt = False,
    accept_new_host_keys: AcceptNewOpt = False,
    connect_timeout: ConnectTimeoutOpt = 15.0,
    sign: SignOpt = None,
    password_file: PasswordFileOpt = None,
    round_id: RoundOpt = None,
    shard: CollectShardOpt = None,
) -> None:
    """Record the facts of this PC or of SSH hosts (and their command output) for judging later.

    Hosts over SSH are reached as `scan` reaches them (same host-key rules, --sudo, -j);
    a host that cannot be reached is named on stderr, kept in the bundles with the reason
    (judged, it is unreachable), and the others are collected (exit 3). Exit 0 when every
    host was collected, 2 for bad options or inventories, 4 when a file was not written.

    `--shard I/N` collects slice I of N as `scan --shard` audits it; DIR/_manifest.json
    of `--bundle-dir` records the slice and each bundle's sha256, `evaluate DIR` judges
    it as that slice, and `report merge` joins the judged slices of one round.

    Examples:

      endpoint-audit collect -o facts.json    (then: endpoint-audit evaluate facts.json)

      endpoint-audit collect --all-facts -o facts.yaml

      endpoint-audit collect --record recorded/  (redacted; scan --replay recorded/)

      endpoint-audit collect -i fleet.yaml --sudo --bundle-dir bundles/  (evaluate bundles/)

      endpoint-audit collect -i fleet.yaml --shard 2/8 --round 2026-W14 --bundle-dir slice-2
    """
    from endpoint_audit.engine.pipeline import (
        Outputs,
        RunOptions,
        RunRequest,
        Selection,
        ThisMachine,
    )

    language = resolve_lang(lang)
    if output is None and record is None and bundle_dir is None:
        output = "-"
    # Before collecting: a path that cannot be written is said now, not after the probes.
    check_output_paths([output])
    _check_folder("--record", record)
    _check_folder("--bundle-dir", bundle_dir)
    if record is not None and bundle_dir is not None and record.resolve() == bundle_dir.resolve():
        fail("--record and --bundle-dir need different folders")
    ssh = SshFlags(list(host or []), list(inventory or []), limit, concurrency, sudo,
                   accept_new_host_keys, connect_timeout)  # fmt: skip
    slice_spec = shard_spec(shard, ssh.wanted)
    if slice_spec is not None and bundle_dir is None:
        fail("--shard needs --bundle-dir (the slice's folder records the round in _manifest.json)")
    if slice_spec is not None and redact:
        fail("--shard cannot be combined with --redact: a slice's manifest names its hosts")
    if not ssh.wanted:
        warn_ignored(ssh.given(), language)
    key = signer(sign, password_file)
    request = RunRequest(
        ssh.targets(slice_spec) if ssh.wanted else ThisMachine(),
        baseline,
        selection=Selection(all_facts=all_facts),
        outputs=Outputs(
            bundle=output,
            bundle_dir=bundle_dir,
            record_dir=record,
            redact=redact,
            signer=key,
            round_id=round_id,
        ),
        options=RunOptions(lang=language, command_timeout=timeout, concurrency=concurrency),
        kind="collect",
    )
    run_request(request, "hosts" if ssh.wanted else None)
