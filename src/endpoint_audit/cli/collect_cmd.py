"""`endpoint-audit collect`: record this machine's facts for judging later (`evaluate`).

`-o FILE` writes one facts bundle (platform, command transcript as evidence, parsed facts).
`--record DIR` writes one redacted transcript per host, fit to share and to replay with
`scan --replay` (host names, user names, serials, MAC addresses and recovery keys removed).
"""

from __future__ import annotations

import getpass
import json
import re
import socket
from pathlib import Path
from typing import Annotated

import typer
import yaml

from endpoint_audit import __version__
from endpoint_audit.checkkit.fact import Fact
from endpoint_audit.cli import interrupts
from endpoint_audit.cli.common import (
    check_output_paths,
    fail,
    note,
    resolve_lang,
    say,
    try_write_output,
    warn,
)
from endpoint_audit.engine.collect import (
    CollectFailed,
    all_fact_types,
    collect_targets,
    fact_types_of_plan,
)
from endpoint_audit.engine.exit_policy import ExitCode
from endpoint_audit.engine.plan import load_plan_baseline, make_plan
from endpoint_audit.engine.registry import Registry, load_registry
from endpoint_audit.engine.run import Target, local_target
from endpoint_audit.errors import ConfigError
from endpoint_audit.model import i18n
from endpoint_audit.transport.redact import RedactionSummary, redact_host
from endpoint_audit.transport.transcript import HostTranscript, bundle_to_data

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
            "Write one redacted transcript per host into DIR (host names, user names, serials, "
            "MAC addresses and recovery keys replaced), replayable with `scan --replay DIR`."
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
RedactOpt = Annotated[bool, typer.Option("--redact", help="Redact the -o bundle as --record does.")]
TimeoutOpt = Annotated[
    float, typer.Option("--timeout", min=1, help="Seconds each probe command may take.")
]
LangOpt = Annotated[
    str | None,
    typer.Option("--lang", help="Language of the progress messages: ja or en (default: locale)."),
]


def collect_targets_from_options() -> list[Target]:
    """The hosts to collect. Today this machine; remote hosts (--host, --inventory) are
    added here so every target goes through the same collection path."""
    return [local_target()]


def fact_types_for(baseline: str, all_facts: bool, registry: Registry) -> list[type[Fact]]:
    if all_facts:
        return all_fact_types(registry)
    plan = make_plan(load_plan_baseline(baseline, registry), registry)
    return fact_types_of_plan(plan)


class _BlockDumper(yaml.SafeDumper):
    """YAML with multi-line output as literal blocks, so recorded output reads as it was."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    literal = "\n" in value and all(line == line.rstrip() for line in value.splitlines())
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if literal else None)


_BlockDumper.add_representer(str, _str)


def bundle_text(hosts: list[HostTranscript], as_yaml: bool) -> str:
    data = bundle_to_data(hosts, __version__)
    if as_yaml:
        return yaml.dump(data, Dumper=_BlockDumper, allow_unicode=True, sort_keys=False, width=100)
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _is_yaml(path: str | Path) -> bool:
    return str(path).lower().endswith((".yaml", ".yml"))


def record_file_name(target: str) -> str:
    """A file name from a (redacted) target name: no separators, no leading dot."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", target).strip("._") or "host"
    return f"{safe}.yaml"


def _local_identity() -> tuple[list[str], list[str]]:
    """This machine's own user and host names, which the transcript may show anywhere."""
    users: list[str] = []
    try:
        users.append(getpass.getuser())
    except (KeyError, OSError):
        pass
    return users, [socket.gethostname()]


def _redact(host: HostTranscript) -> tuple[HostTranscript, RedactionSummary]:
    users, hosts = (
        _local_identity() if host.platform and host.platform.transport == "local" else ([], [])
    )
    return redact_host(host, extra_users=users, extra_hosts=hosts)


def _say(lang: str, key: str, **args: object) -> None:
    note(i18n.t(lang, f"collect.msg.{key}", **args))


def _recorded(lang: str, path: Path, summary: RedactionSummary) -> None:
    _say(
        lang,
        "recorded",
        path=path,
        hosts=summary.hosts,
        users=summary.users,
        serials=summary.serials,
        macs=summary.macs,
        keys=summary.recovery_keys,
    )


def collect(
    output: OutputOpt = None,
    record: RecordOpt = None,
    baseline: BaselineOpt = "jp-municipal-telework",
    all_facts: AllFactsOpt = False,
    redact: RedactOpt = False,
    timeout: TimeoutOpt = 60.0,
    lang: LangOpt = None,
) -> None:
    """Record this PC's facts (and the command output they come from) for judging later.

    Examples:

      endpoint-audit collect -o facts.json    (then: endpoint-audit evaluate facts.json)

      endpoint-audit collect --all-facts -o facts.yaml

      endpoint-audit collect --record recorded/  (redacted; scan --replay recorded/)
    """
    language = resolve_lang(lang)
    registry = load_registry()
    for problem in registry.problems:
        warn(f"plugin {problem.name} from {problem.distribution} not loaded: {problem.error}")
    try:
        fact_types = fact_types_for(baseline, all_facts, registry)
    except ConfigError as exc:
        fail(str(exc))
    if output is None and record is None:
        output = "-"
    # Before collecting: a path that cannot be written is said now, not after the probes.
    check_output_paths([output])
    if record is not None and record.exists() and not record.is_dir():
        fail(f"--record {record}: not a folder")
    targets = collect_targets_from_options()
    try:
        got = interrupts.run_async(collect_targets(targets, fact_types, registry, timeout))
    except KeyboardInterrupt:
        _say(language, "interrupted")
        interrupts.mark_reported()
        raise typer.Exit(interrupts.exit_code()) from None
    hosts = [h for h in got if isinstance(h, HostTranscript)]
    for failure in got:
        if isinstance(failure, CollectFailed):
            warn(i18n.t(language, "collect.msg.not_collected", reason=str(failure)))
    for host in hosts:
        for name, fact in sorted(host.facts.items()):
            if isinstance(fact, dict) and set(fact) == {"error"}:
                # Kept in the bundle too: `evaluate` reports it as unknown or error.
                warn(
                    i18n.t(
                        language,
                        "collect.msg.fact_error",
                        host=host.target,
                        fact=name,
                        reason=fact["error"],
                    )
                )
    failures: list[str] = []
    if output is not None and hosts:
        written = [_redact(h)[0] for h in hosts] if redact else hosts
        not_written = try_write_output(output, bundle_text(written, _is_yaml(output)))
        if not_written is not None:
            failures.append(not_written)
        elif output != "-":
            _say(language, "wrote", count=len(hosts), path=output)
    if record is not None and hosts:
        failures += _write_records(record, hosts, language)
    for line in failures:
        say(f"error: {line}")
    if failures:
        raise typer.Exit(ExitCode.OUTPUT)
    raise typer.Exit(ExitCode.OK if len(hosts) == len(targets) else ExitCode.INCOMPLETE)


def _write_records(folder: Path, hosts: list[HostTranscript], lang: str) -> list[str]:
    """One redacted file per host; the problems of those that could not be written."""
    used: set[str] = set()
    failures: list[str] = []
    for host in hosts:
        redacted, summary = _redact(host)
        name = record_file_name(redacted.target)
        # With a machine id the redacted name is the PC's own (host-<pseudonym>), so a new
        # recording of the same PC replaces its last one. Without one, every PC would be
        # host-1: a file already there is then kept and the new one gets another name.
        keep_existing = redacted.platform is None or redacted.platform.machine_id is None
        stem, number = name[: -len(".yaml")], 2
        while name in used or (keep_existing and (folder / name).exists()):
            name, number = f"{stem}-{number}.yaml", number + 1
        used.add(name)
        path = folder / name
        problem = try_write_output(str(path), bundle_text([redacted], as_yaml=True))
        if problem is not None:
            failures.append(problem)
            continue
        _recorded(lang, path, summary)
    return failures
