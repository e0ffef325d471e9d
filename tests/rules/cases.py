"""The replay cases of rule checks: those of the shipped baseline's rules
(src/endpoint_audit/baselines/rule-cases/<rule id>/*.yaml) and of the example pack
(examples/rule-cases/), in the format of the checks' cases, judged with
examples/jp-municipal-rules.yaml, which extends the shipped baseline."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from endpoint_audit.checkkit.cases import ReplayCase, parse_case

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "examples" / "jp-municipal-rules.yaml"
SHIPPED = ROOT / "src" / "endpoint_audit" / "baselines" / "jp-municipal-telework.yaml"
SHIPPED_CASES = ROOT / "src" / "endpoint_audit" / "baselines" / "rule-cases"
EXAMPLE_CASES = ROOT / "examples" / "rule-cases"


@cache
def rule_cases() -> dict[str, ReplayCase]:
    """Every case, as `<rule id>/<case>`."""
    out: dict[str, ReplayCase] = {}
    for folder in (SHIPPED_CASES, EXAMPLE_CASES):
        for path in sorted(folder.glob("*/*.yaml")):
            case = parse_case(path.read_text(encoding="utf-8"), str(path))
            assert case.case == path.stem, path
            out[f"{path.parent.name}/{case.case}"] = case
    return out
