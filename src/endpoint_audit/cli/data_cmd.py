"""`endpoint-audit data`: the dated data files checks judge against (support periods),
listed and replaced offline. The kinds come from the check packages (CheckPackage.data),
so this module names no check."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer

from endpoint_audit.atomic_file import write_atomically
from endpoint_audit.checkkit.data import CheckData, DataFileError, DataInfo
from endpoint_audit.cli.common import fail, note, warn
from endpoint_audit.cli.interrupts import write_stdout
from endpoint_audit.engine.registry import load_registry
from endpoint_audit.errors import english

app = typer.Typer(
    help="List the dated data files checks judge against, and replace them offline.",
    no_args_is_help=True,
)


def _kinds() -> dict[str, tuple[str, CheckData]]:
    """Each data kind with the check that declares it."""
    out: dict[str, tuple[str, CheckData]] = {}
    for cid, package in sorted(load_registry().packages.items()):
        for data in package.data:
            out.setdefault(data.name, (cid, data))
    return out


def _in_use(data: CheckData) -> DataInfo | str:
    try:
        return data.in_use()
    except DataFileError as exc:
        return english(exc.reason)


@app.command("list")
def list_data(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of lines.")] = False,
) -> None:
    """List every data kind: the check using it, the date of the data in use, its age,
    its source and the file it comes from. Data older than a check's limit makes the
    check say unknown; `data update FILE` replaces it.

      endpoint-audit data list
    """
    today = date.today()
    rows = []
    for kind, (cid, data) in _kinds().items():
        info = _in_use(data)
        row: dict[str, object] = {"kind": kind, "check": cid, "installed": str(data.installed())}
        if isinstance(info, str):
            row.update(problem=info)
        else:
            age = (today - info.dated).days
            row.update(
                dated=info.dated.isoformat(),
                age_days=age,
                stale=age > data.stale_after_days,
                stale_after_days=data.stale_after_days,
                source=info.source,
                file=info.where,
            )
        rows.append(row)
    if as_json:
        write_stdout((json.dumps(rows, ensure_ascii=False, indent=2) + "\n").encode())
        return
    lines = []
    for row in rows:
        if "problem" in row:
            lines.append(f"{row['kind']} ({row['check']}): unusable: {row['problem']}")
            continue
        stale = " (stale: the check says unknown)" if row["stale"] else ""
        lines.append(
            f"{row['kind']} ({row['check']}): dated {row['dated']}, {row['age_days']} days old"
            f"{stale}; from {row['file']}; source: {row['source']}"
        )
    write_stdout(("\n".join(lines) + "\n" if lines else "").encode())


def _accepting(file: Path, kinds: dict[str, tuple[str, CheckData]]) -> list[tuple[str, DataInfo]]:
    accepted, problems = [], []
    for kind, (_, data) in kinds.items():
        try:
            accepted.append((kind, data.read(file)))
        except DataFileError as exc:
            problems.append(f"{kind}: {english(exc.reason)}")
    if not accepted:
        fail(f"{file}: not a data file of any kind ({'; '.join(problems) or 'no kinds'})")
    return accepted


@app.command("update")
def update(
    file: Annotated[Path, typer.Argument(help="The new data file (same format as shipped).")],
    kind: Annotated[
        str | None,
        typer.Option("--kind", help="The data kind (see `data list`); found from FILE if omitted."),
    ] = None,
    allow_older: Annotated[
        bool,
        typer.Option("--allow-older", help="Install data dated before the data in use."),
    ] = False,
) -> None:
    """Validate FILE and install it in the user's data folder, where scans read it from
    then on, replacing the shipped data without network access. A file that is not valid
    data, or older than the data in use (without --allow-older), is refused (exit 2).

      endpoint-audit data update os-support-2027-01.toml
    """
    kinds = _kinds()
    if kind is not None:
        if kind not in kinds:
            fail(f"--kind {kind}: no such data kind (kinds: {', '.join(kinds) or 'none'})")
        kinds = {kind: kinds[kind]}
    if not file.is_file():
        fail(f"{file}: no such file")
    accepted = _accepting(file, kinds)
    if len(accepted) > 1:
        fail(f"{file}: valid as {', '.join(k for k, _ in accepted)}; say which with --kind")
    ((name, info),) = accepted
    cid, data = kinds[name]
    # A day's grace for another time zone's today. Dated later, the file would never turn
    # stale (its dates trusted for ever) and would make every real update "older".
    if info.dated > date.today() + timedelta(days=1):
        fail(
            f"{file}: dated {info.dated}, after today ({date.today()}): no data file knows "
            "the future; check its `dated`"
        )
    current = _in_use(data)
    if isinstance(current, DataInfo) and info.dated < current.dated and not allow_older:
        fail(
            f"{file}: dated {info.dated}, older than the data in use ({current.dated}, "
            f"{current.where}); add --allow-older to install it anyway"
        )
    target = data.installed()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, file.read_bytes())
    except OSError as exc:
        fail(f"{target}: cannot be written ({exc.strerror or exc})", code=4)
    note(f"installed {name} data dated {info.dated} ({info.source}) as {target}; {cid} uses it")
    age = (date.today() - info.dated).days
    if age > data.stale_after_days:
        warn(f"{name} data is {age} days old: {cid} says unknown with data older than "
             f"{data.stale_after_days} days")  # fmt: skip
    now = _in_use(data)
    if isinstance(now, DataInfo) and Path(now.where) != target:
        warn(f"scans still use {now.where} (named by the environment), not {target}")


@app.command("reset")
def reset(kind: Annotated[str, typer.Argument(help="The data kind (see `data list`).")]) -> None:
    """Remove the installed data of KIND, so scans use the shipped data again.

    endpoint-audit data reset os-support
    """
    kinds = _kinds()
    if kind not in kinds:
        fail(f"{kind}: no such data kind (kinds: {', '.join(kinds) or 'none'})")
    target = kinds[kind][1].installed()
    if not target.exists():
        note(f"{kind}: nothing installed at {target}; the shipped data is in use")
        return
    try:
        target.unlink()
    except OSError as exc:
        fail(f"{target}: cannot be removed ({exc.strerror or exc})", code=4)
    note(f"removed {target}; {kind} uses the shipped data again")
