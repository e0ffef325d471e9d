"""The replay cases of the example rule pack (examples/rule-cases/<rule id>/*.yaml): data
in the format of the checks' cases, judged with examples/jp-municipal-rules.yaml."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from endpoint_audit.checkkit.cases import ReplayCase, parse_case

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "examples" / "jp-municipal-rules.yaml"
CASES = ROOT / "examples" / "rule-cases"


@cache
def rule_cases() -> dict[str, ReplayCase]:
    """Every case, as `<rule id>/<case>`."""
    out: dict[str, ReplayCase] = {}
    for path in sorted(CASES.glob("*/*.yaml")):
        case = parse_case(path.read_text(encoding="utf-8"), str(path))
        assert case.case == path.stem, path
        out[f"{path.parent.name}/{case.case}"] = case
    return out
