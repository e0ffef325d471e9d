"""The options of runs over SSH (`scan` and `collect` with --host / --inventory)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from msgspec import Struct

from endpoint_audit.cli.common import fail, warn
from endpoint_audit.model import i18n

if TYPE_CHECKING:
    from endpoint_audit.engine.pipeline import SshHosts
    from endpoint_audit.model.shard import ShardSpec


class SshFlags(Struct, frozen=True):
    """The SSH options as given."""

    hosts: list[str]
    inventories: list[Path]
    limit: str | None
    concurrency: int
    sudo: bool
    accept_new_host_keys: bool
    connect_timeout: float

    @property
    def wanted(self) -> bool:
        """Whether the run is over SSH (some host or inventory was named)."""
        return bool(self.hosts or self.inventories)

    def targets(self, shard: ShardSpec | None = None) -> SshHosts:
        from endpoint_audit.engine.pipeline import SshHosts
        from endpoint_audit.transport.ssh import SshOptions

        return SshHosts(
            hosts=tuple(self.hosts),
            inventories=tuple(self.inventories),
            limit=self.limit,
            shard=shard,
            ssh=SshOptions(
                connect_timeout=self.connect_timeout,
                sudo=self.sudo,
                accept_new_host_keys=self.accept_new_host_keys,
            ),
        )

    def given(self) -> list[str]:
        """The SSH-only options given (they mean nothing without hosts)."""
        given = {
            "--limit": self.limit is not None,
            "--concurrency": self.concurrency != SSH_DEFAULTS["concurrency"],
            "--sudo": self.sudo,
            "--accept-new-host-keys": self.accept_new_host_keys,
            "--connect-timeout": self.connect_timeout != SSH_DEFAULTS["connect_timeout"],
        }
        return [name for name, set_ in given.items() if set_]


# Defaults of the SSH-only options, as the commands declare them.
SSH_DEFAULTS = {"concurrency": 32, "connect_timeout": 15.0}


def warn_ignored(options: list[str], lang: str) -> None:
    """A run of this PC or of recordings: say which fleet options it does not use."""
    for option in options:
        key = "output_dir_ignored" if option == "--output-dir" else "fleet_option_ignored"
        warn(i18n.t(lang, f"cli.outputs.{key}", option=option))


def shard_spec(text: str | None, over_ssh: bool) -> ShardSpec | None:
    """--shard I/N, checked before anything else is read (one line, exit 2)."""
    from endpoint_audit.model.shard import ShardSpecError, parse_shard

    if text is None:
        return None
    if not over_ssh:
        fail("--shard slices the hosts of --host/--inventory; give an inventory to slice")
    try:
        return parse_shard(text)
    except ShardSpecError as exc:
        fail(str(exc))


HostOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--host",
        help="Audit this host over SSH: HOST, USER@HOST, HOST:PORT, [IPv6]:PORT (repeat).",
    ),
]
InventoryOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--inventory",
        "-i",
        help="Hosts from a file: YAML (hosts, groups, vars), Ansible YAML, or one host a line.",
    ),
]
LimitOpt = Annotated[
    str | None,
    typer.Option("--limit", help="Only hosts or groups matching these patterns (`kyoto*,!pc-9*`)."),
]
ConcurrencyOpt = Annotated[
    int, typer.Option("--concurrency", "-j", min=1, max=1024, help="Hosts audited at once.")
]
SudoOpt = Annotated[
    bool,
    typer.Option("--sudo", help="Run probes that need root as `sudo -n` (never asks a password)."),
]
AcceptNewOpt = Annotated[
    bool,
    typer.Option(
        "--accept-new-host-keys",
        help="Add unknown host keys to known_hosts (changed keys are still refused).",
    ),
]
ConnectTimeoutOpt = Annotated[
    float, typer.Option("--connect-timeout", min=1, help="Seconds to connect and log in.")
]
OutputDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--output-dir",
        help=(
            "Fleet scans: write each host's JSON report to DIR/hosts/ as it finishes, then "
            "DIR/fleet.json; DIR/manifest.json records the run and each file's sha256."
        ),
    ),
]
ShardOpt = Annotated[
    str | None,
    typer.Option(
        "--shard",
        metavar="I/N",
        help=(
            "Audit only slice I of N of the hosts (after --limit), chosen by a stable hash "
            "of each host name; run I=1..N as parallel jobs and join them with `report merge`."
        ),
    ),
]
CollectShardOpt = Annotated[
    str | None,
    typer.Option(
        "--shard",
        metavar="I/N",
        help=(
            "Collect only slice I of N of the hosts (after --limit), chosen by a stable hash "
            "of each host name, as `scan --shard` slices; needs --bundle-dir, where "
            "_manifest.json records the slice. `evaluate DIR` judges it as that slice."
        ),
    ),
]
ResumeOpt = Annotated[
    bool,
    typer.Option(
        "--resume",
        help=(
            "Continue the run recorded in --output-dir: reuse the host reports its manifest "
            "lists (same files, same baseline); audit the others again."
        ),
    ),
]
