"""Bundles: recorded hosts (platform, command transcript, facts) as one JSON or YAML file.

`collect -o` writes them, `collect --record DIR` writes one file per host, `scan --replay`
and `evaluate` read them. A fixture under tests/fixtures is a bundle with one host.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from msgspec import Struct, field

from endpoint_audit.errors import ConfigError
from endpoint_audit.model.commands import CommandResult
from endpoint_audit.model.platform import PlatformInfo
from endpoint_audit.model.valid_text import clean_tree, loads_json
from endpoint_audit.safe_read import BUNDLE, read_input
from endpoint_audit.transport.base import result_from_json, result_to_json
from endpoint_audit.transport.powershell import document_results

BUNDLE_FORMAT = "endpoint-audit-bundle"
BUNDLE_VERSION = 1
BUNDLE_SUFFIXES = (".json", ".yaml", ".yml")
# A sliced collection's record in its bundle folder (engine.collect_manifest): not a
# bundle. Host bundles never start with "_" (inventory.safe_file_name).
COLLECT_MANIFEST = "_manifest.json"
# Bundles written by an exported probe script (`probe export`) carry `script_version`:
# the version of the script's output. Other versions are refused, never half-read.
PROBE_SCRIPT_VERSION = 1
SUPPORTED_SCRIPT_VERSIONS = frozenset({PROBE_SCRIPT_VERSION})
# A collection time outside these years is a PC clock that was never set or a forged
# file; judged as of it, ages would be meaningless (and dates near year 1 or 9999 cannot
# even be converted to UTC). Such a bundle is refused in one line.
COLLECTED_AT_YEARS = range(2000, 2100)
# libyaml parses about ten times faster than pure Python and caps nesting itself.
_SAFE_LOADER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE = "tag:yaml.org,2002:merge"


class _BundleLoader(_SAFE_LOADER):  # type: ignore[misc]
    """The safe loader, refusing a key written twice in one mapping: PyYAML keeps the
    last, so `commands` or a command named twice would make one file two recordings
    (as model.valid_text refuses it in JSON). Merge keys (`<<`) may still be overridden."""

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: set[tuple[str, str]] = set()
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE:
                    continue
                key = (key_node.tag, key_node.value)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key_node.value[:60]!r}", key_node.start_mark
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


_YAML_LOADER: type[Any] = _BundleLoader


class HostTranscript(Struct):
    target: str
    platform: PlatformInfo | None
    commands: dict[str, CommandResult] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)  # for people reading the bundle
    source: str | None = None  # the file it came from
    # When the commands ran (UTC). `evaluate` and `scan --replay` judge ages (days since
    # the last update) as of this time, so a bundle gives the same verdict on any day.
    collected_at: datetime | None = None
    # Set for hosts recorded by an exported probe script: their collectors ran in the
    # probe-script form (Collector.probe_commands), and replay says so to them.
    script_version: int | None = None
    # The host group a probe script was exported for (`probe export --group`), a label.
    group: str | None = None
    # Set when `collect` could not reach the host: why (it has no platform, no commands).
    # Judged again, the host is unreachable for that reason, as a scan would have said.
    unreachable: str | None = None


def bundle_to_data(hosts: list[HostTranscript], tool_version: str) -> dict[str, Any]:
    # `sealed` first and `end` last (the order YAML bundles are written in): a YAML file
    # cut off inside a command's output is still YAML, its output only shorter. A sealed
    # bundle without its end is refused; older bundles carry neither.
    return {
        "format": BUNDLE_FORMAT,
        "version": BUNDLE_VERSION,
        "tool_version": tool_version,
        "sealed": True,
        "hosts": [
            {
                "target": h.target,
                **({"collected_at": h.collected_at.isoformat()} if h.collected_at else {}),
                **({"group": h.group} if h.group else {}),
                **({"unreachable": h.unreachable} if h.unreachable is not None else {}),
                "platform": h.platform.model_dump(mode="json") if h.platform else None,
                "commands": {k: result_to_json(v) for k, v in sorted(h.commands.items())},
                "facts": h.facts,
            }
            for h in hosts
        ],
        "end": True,
    }


class _BlockDumper(yaml.SafeDumper):
    """YAML with multi-line output as literal blocks, so recorded output reads as it was."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    literal = "\n" in value and all(line == line.rstrip() for line in value.splitlines())
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if literal else None)


_BlockDumper.add_representer(str, _str)


def bundle_yaml(data: dict[str, Any]) -> str:
    """A bundle's data (bundle_to_data) as the YAML text of a bundle file."""
    return yaml.dump(data, Dumper=_BlockDumper, allow_unicode=True, sort_keys=False, width=100)


def load_bundle(path: Path, raw: bytes | None = None) -> list[HostTranscript]:
    """Every host in one bundle file (or in `raw`, the bytes already read from it).
    Raises ConfigError naming the file on bad input: a file that is not a regular file
    or is too large (safe_read), not UTF-8, not JSON or YAML, nested too deep. Text in it
    is made valid (no lone surrogates)."""
    if raw is None:
        raw = read_input(path, BUNDLE)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    try:
        if path.suffix == ".json":
            data = loads_json(text)
        else:
            data = clean_tree(yaml.load(text, Loader=_YAML_LOADER))  # noqa: S506 - safe loader
    except (ValueError, OverflowError, yaml.YAMLError) as exc:
        # OverflowError: a YAML time whose offset moves it past year 1 or 9999.
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"{path}: not a valid bundle: {first}") from None
    except RecursionError:  # the pure-Python YAML composer, where libyaml is missing
        raise ConfigError(f"{path}: not a valid bundle: nested too deep") from None
    return parse_bundle(data, str(path))


def parse_bundle(data: Any, source: str) -> list[HostTranscript]:
    if not isinstance(data, dict) or data.get("format") != BUNDLE_FORMAT:
        raise ConfigError(f"{source}: not an endpoint-audit bundle (format: {BUNDLE_FORMAT})")
    version = data.get("version")
    if version != BUNDLE_VERSION:
        raise ConfigError(
            f"{source}: bundle version {version!r} is not supported (expected {BUNDLE_VERSION})"
        )
    script_version = data.get("script_version")
    if script_version is not None and (
        isinstance(script_version, bool) or script_version not in SUPPORTED_SCRIPT_VERSIONS
    ):
        raise ConfigError(
            f"{source}: probe script version {script_version!r} is not supported "
            f"(expected {', '.join(map(str, sorted(SUPPORTED_SCRIPT_VERSIONS)))}); "
            "export the script again with `probe export`"
        )
    if data.get("sealed") is True and data.get("end") is not True:
        raise ConfigError(f"{source}: cut off: the bundle ends before its end mark (end: true)")
    hosts = data.get("hosts")
    if not isinstance(hosts, list) or not hosts:
        raise ConfigError(f"{source}: bundle has no hosts")
    out: list[HostTranscript] = []
    seen: dict[str, int] = {}
    for index, host in enumerate(hosts):
        where = f"{source}: hosts[{index}]"
        if not isinstance(host, dict) or not isinstance(host.get("target"), str):
            raise ConfigError(f"{where}: needs a 'target' name")
        # Which of two results of one host counts is anyone's guess (a run folder keeps
        # one host file, the one written last): `collect` writes each host once.
        first = seen.setdefault(host["target"], index)
        if first != index:
            raise ConfigError(
                f"{where}: host {host['target'][:80]!r} again "
                f"(also hosts[{first}]); a bundle holds each host once"
            )
        commands = host.get("commands") or {}
        if not isinstance(commands, dict):
            raise ConfigError(f"{where}.commands: must be a mapping of command to result")
        try:
            platform = (
                PlatformInfo.model_validate(host["platform"]) if host.get("platform") else None
            )
        except ValueError as exc:
            raise ConfigError(f"{where}.platform: {str(exc).splitlines()[0]}") from exc
        results: dict[str, CommandResult] = {}
        for key, value in commands.items():
            try:
                if not isinstance(value, dict):
                    raise ValueError("must be a mapping with exit_status, stdout, stderr")
                results[str(key)] = result_from_json(value)
            except ValueError as exc:
                raise ConfigError(f"{where}.commands[{key!r}]: {exc}") from exc
        batch = host.get("powershell_batch")
        if batch is not None:
            # The batch document of a PowerShell probe script, read as the transports
            # read it (one source of truth for what a probe's answer means).
            if not isinstance(batch, dict):
                raise ConfigError(f"{where}.powershell_batch: must be a mapping of probes")
            try:
                results.update(document_results(batch))
            except ValueError as exc:
                raise ConfigError(f"{where}.powershell_batch: {exc}") from exc
        out.append(
            HostTranscript(
                target=host["target"],
                platform=platform,
                commands=results,
                facts=host.get("facts") or {},
                source=source,
                collected_at=_collected_at(host.get("collected_at"), where),
                script_version=script_version,
                group=_group(host.get("group"), where),
                unreachable=_unreachable(host.get("unreachable"), where),
            )
        )
    return out


MAX_REASON_LENGTH = 2000


def _unreachable(value: Any, where: str) -> str | None:
    """Why `collect` could not reach the host, or absent (a host that was collected)."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}.unreachable: must be the reason the host was not reached")
    return value[:MAX_REASON_LENGTH]


MAX_GROUP_LENGTH = 100


def _group(value: Any, where: str) -> str | None:
    """A bundle's host group: printable text on one line, or absent (older bundles)."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or not value.isprintable():
        raise ConfigError(f"{where}.group: must be a group name on one line")
    if len(value) > MAX_GROUP_LENGTH:
        raise ConfigError(f"{where}.group: longer than {MAX_GROUP_LENGTH} characters")
    return value.strip()


def _collected_at(value: Any, where: str) -> datetime | None:
    """An ISO 8601 time (YAML may already have made it a datetime); naive means UTC.
    A time outside COLLECTED_AT_YEARS (UTC) is refused, naming the file and host."""
    if value is None:
        return None
    shown = repr(value)[:60]
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ConfigError(f"{where}.collected_at: not an ISO 8601 time: {shown}") from None
    if not isinstance(value, datetime):
        raise ConfigError(f"{where}.collected_at: not an ISO 8601 time: {shown}")
    try:
        utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (OverflowError, ValueError):
        utc = None
    first, last = COLLECTED_AT_YEARS.start, COLLECTED_AT_YEARS.stop - 1
    if utc is None or utc.year not in COLLECTED_AT_YEARS:
        raise ConfigError(
            f"{where}.collected_at: {shown} is not between {first} and {last} (UTC); "
            "was the PC's clock set?"
        )
    return utc


def bundle_files(path: Path) -> list[Path]:
    """A bundle file, or every bundle file in a folder (sorted). In a folder, anything
    named like a bundle that is not a folder counts, so that a pipe or a link to a
    device named `pc-01.json` is reported when it is refused, not silently passed by."""
    if path.is_dir():
        return sorted(
            p
            for p in path.iterdir()
            if p.suffix in BUNDLE_SUFFIXES and not p.is_dir() and p.name != COLLECT_MANIFEST
        )
    return [path]
