"""Replay cases (data in each check package's `cases/`) and the whole-host compositions of
tests/hosts/: loading them, and writing them as bundles that `scan --replay` and
`evaluate` read."""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from endpoint_audit.checkkit.cases import (
    CaseCommand,
    ReplayCase,
    case_bundle,
    compose,
    load_cases,
    parse_case,
)
from endpoint_audit.checks import builtin_packages
from endpoint_audit.model.platform import PlatformInfo
from endpoint_audit.transport.transcript import HostTranscript, load_bundle

HOSTS = Path(__file__).resolve().parent / "hosts"
SHIPPED_RULE_CASES = (
    Path(__file__).resolve().parents[1] / "src" / "endpoint_audit" / "baselines" / "rule-cases"
)


@cache
def _bundles() -> Path:
    """A folder for the bundles written in this test process, removed at its end."""
    folder = Path(tempfile.mkdtemp(prefix="endpoint-audit-cases-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


@cache
def package_cases() -> dict[str, ReplayCase]:
    """Every case of every built-in package, as `<check_id>/<case>`."""
    out: dict[str, ReplayCase] = {}
    for package in builtin_packages():
        if package.cases_package is not None:
            for case in load_cases(package.cases_package):
                out[f"{package.id}/{case.case}"] = case
    return out


# Every check's case (the rules' cases are composable_cases' and tests/rules').
all_cases = package_cases


@cache
def composable_cases() -> dict[str, ReplayCase]:
    """The cases a recorded host is made of: every check's, and every case of a rule of
    the shipped baseline (`<rule id>/<case>`, tested on their own in tests/rules)."""
    out = dict(package_cases())
    for path in sorted(SHIPPED_RULE_CASES.glob("*/*.yaml")):
        case = parse_case(path.read_text(encoding="utf-8"), str(path))
        out[f"{path.parent.name}/{case.case}"] = case
    return out


def host_names(family: str | None = None) -> list[str]:
    names = sorted(p.stem for p in HOSTS.glob("*.yaml"))
    return [n for n in names if family is None or host_spec(n)["platform"]["family"] == family]


@cache
def host_spec(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((HOSTS / f"{name}.yaml").read_text(encoding="utf-8"))
    return data


def host_cases(name: str) -> list[tuple[str, ReplayCase]]:
    cases = composable_cases()
    return [(ref, cases[ref]) for ref in host_spec(name)["cases"]]


def host_bundle(name: str) -> dict[str, Any]:
    """The recorded host `name` composed from its cases and its own commands."""
    spec = host_spec(name)
    extra = {k: CaseCommand.model_validate(v) for k, v in (spec.get("commands") or {}).items()}
    platform = PlatformInfo.model_validate(spec["platform"])
    when = datetime.fromisoformat(str(spec["collected_at"]))
    return compose(spec["host"], platform, when, [c for _, c in host_cases(name)], extra)


def write_bundle(data: dict[str, Any], path: Path) -> Path:
    """`data` as JSON, or as YAML when `path` ends in .yaml (as `collect` writes either)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".yaml":
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000)
    else:
        text = json.dumps(data, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return path


@cache
def host_path(name: str) -> Path:
    """A bundle file of the composed host (written once per test session)."""
    return write_bundle(host_bundle(name), _bundles() / f"{name}.json")


@cache
def host_yaml_path(name: str) -> Path:
    """The composed host as a YAML bundle, for tests that edit a bundle's text."""
    return write_bundle(host_bundle(name), _bundles() / "yaml" / f"{name}.yaml")


def host_transcript(name: str) -> HostTranscript:
    (host,) = load_bundle(host_path(name))
    return host


def case_path(ref: str) -> Path:
    """A bundle file of one case alone (`<check_id>/<case>`)."""
    check_id, name = ref.split("/", 1)
    return write_bundle(
        case_bundle(all_cases()[ref]), _bundles() / "cases" / check_id / f"{name}.json"
    )


def recorded_paths(family: str) -> list[Path]:
    """Bundle files of every recorded host of `family`: the composed hosts, and for Linux
    also each case of a check recorded on its own (the firewall and screen lock hosts)."""
    paths = [host_path(name) for name in host_names(family)]
    if family == "linux":
        paths += [
            case_path(ref)
            for ref, case in sorted(package_cases().items())
            if case.platform.family.value == "linux" and not ref.endswith("debian12-container")
        ]
    return paths


def path_id(path: Path) -> str:
    """A test id: the host's name, or `<check_id>/<case>` for a case alone."""
    return f"{path.parent.name}/{path.stem}" if path.parent.parent.name == "cases" else path.stem


def with_cases(bundle: Path, refs: tuple[str, ...]) -> Path:
    """A copy of a recorded bundle (a frozen one) with the commands of the replay cases
    `refs` added: the same PC as recorded then, as checks added since would see it."""
    data = yaml.safe_load(bundle.read_text(encoding="utf-8"))
    cases = composable_cases()
    for host in data["hosts"]:
        for ref in refs:
            for key, command in cases[ref].commands.items():
                host["commands"].setdefault(key, command.result())
    return write_bundle(data, _bundles() / "with-cases" / bundle.name)


def judged_ids(findings: list[dict[str, Any]]) -> set[str]:
    """The check ids of a host's findings but the rules written for other OS families,
    which are not applicable there and need no case (rule ids have a dot)."""
    return {
        f["check_id"]
        for f in findings
        if not ("." in f["check_id"] and f["message_key"] == "core.msg.not_applicable")
    }
