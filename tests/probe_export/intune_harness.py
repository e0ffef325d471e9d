"""What the Intune custom-compliance tests of every check share: the documented rules-file
schema, one export through the CLI, a one-check baseline, the Windows replay cases of a
probe, and hypothesis answers that are mostly those of a compliant PC."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from endpoint_audit.model.platform import OsFamily
from endpoint_audit.model.result import Status
from tests.replay_cases import all_cases

SCHEMA = json.loads((Path(__file__).parent / "intune_compliance.schema.json").read_text())
URL = "https://intra.city.lg.jp/pc-audit"
PASSING = {Status.PASS.value, Status.NOT_APPLICABLE.value}
# A value left out of a generated answer (drop_missing removes its key).
MISSING = object()


def export(cli: Callable[..., Any], folder: Path, *extra: str) -> tuple[str, dict[str, Any]]:
    """`probe export --intune-compliance` into folder: the script and the rules file."""
    result = cli(
        "probe", "export", "--intune-compliance", "-o", str(folder), "--more-info-url", URL, *extra
    )
    assert result.exit_code == 0, result.output
    script = (folder / "endpoint-audit-compliance.ps1").read_text(encoding="utf-8")
    rules = json.loads((folder / "endpoint-audit-compliance.json").read_text(encoding="utf-8"))
    return script, rules


def write_baseline(folder: Path, check: str, params: dict[str, Any]) -> Path:
    """A baseline of one check with these parameters (its defaults when none)."""
    path = folder / f"{check}.yaml"
    data = {
        "id": check.replace("_", "-"),
        "title": {"ja": check, "en": check},
        "version": "1",
        "checks": {check: {"params": params} if params else {}},
    }
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def windows_cases(key: str, check: str | None = None) -> list[str]:
    """The Windows replay cases that record the probe `key` (of `check`'s own cases only,
    when given), in name order."""
    return sorted(
        ref
        for ref, case in all_cases().items()
        if (check is None or ref.startswith(f"{check}/"))
        and case.platform.family is OsFamily.WINDOWS
        and key in case.commands
    )


def mostly(good: Any, *others: Any, keep: int) -> st.SearchStrategy[Any]:
    """The value of a compliant PC `keep` times in keep + 1, else another one or none at
    all: a false pass hides in answers that are right but for one value. `good` may be a
    strategy."""
    rest = st.sampled_from([*others, MISSING])
    kept = good if isinstance(good, st.SearchStrategy) else st.just(good)
    return st.sampled_from([True] * keep + [False]).flatmap(lambda g: kept if g else rest)


def drop_missing(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not MISSING}
