"""Rule checks at scale: a baseline of N rules with R registry reads each, on a recorded
Windows host (tests/hosts/win11-23h2-en-compliant) whose rule probes answer.

    .venv/bin/python bench/rules.py [--rules 200] [--reads 5]

Prints the time to load and validate the baseline, to make the plan (a check, fact
family and collector per rule), to audit the host (every built-in check plus the rules),
and how many PowerShell processes the audit started (a counting transport).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.windows.conftest import RECORDED_AT, load_case
from tests.windows.test_one_process import CountingReplay

from endpoint_audit.engine.plan import load_plan_baseline, make_plan
from endpoint_audit.engine.registry import load_registry
from endpoint_audit.engine.run import RunOptions, Target, audit_host
from endpoint_audit.model.commands import CommandResult


def baseline_text(rules: int, reads: int) -> str:
    lines = [
        "id: bench",
        "title: {ja: 計測, en: Bench}",
        "version: 1",
        "extends: jp-municipal-telework",
        "checks:",
    ]
    for r in range(rules):
        lines += [
            f"  bench.rule_{r}:",
            "    type: rule",
            "    severity: low",
            "    title: {ja: ルール, en: Rule}",
            "    remediation: {ja: 直す, en: Fix}",
            "    platforms:",
            "      windows:",
            "        all:",
        ]
        for v in range(reads):
            lines += [
                f"          - read: {{registry: 'HKLM\\SOFTWARE\\Bench\\R{r}', "
                f"value: V{v}, type: dword}}",
                "            expect: {eq: 1}",
            ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--reads", type=int, default=5)
    args = parser.parse_args()
    registry = load_registry()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.yaml"
        path.write_text(baseline_text(args.rules, args.reads), encoding="utf-8")
        start = time.perf_counter()
        loaded = load_plan_baseline(str(path), registry)
        loaded_s = time.perf_counter() - start
    start = time.perf_counter()
    plan = make_plan(loaded, registry)
    plan_s = time.perf_counter() - start
    recorded = load_case("win11-23h2-en-compliant")
    answer = json.dumps({"reads": [{"state": "value", "kind": "DWord", "value": 1}] * args.reads})
    commands = dict(recorded.commands)
    for r in range(args.rules):
        commands[f"ps:rule.bench.rule_{r}"] = CommandResult(0, stdout=answer)
    transport = CountingReplay(dataclasses.replace(recorded, commands=commands))
    start = time.perf_counter()
    run = asyncio.run(
        audit_host(Target(transport.target, lambda: transport), plan, RunOptions(), RECORDED_AT)
    )
    audit_s = time.perf_counter() - start
    rules = [f for f in run.report.findings if f.check_id.startswith("bench.")]
    passed = sum(f.status.value == "pass" for f in rules)
    print(f"rules: {args.rules} x {args.reads} registry reads = {args.rules * args.reads} reads")
    print(f"load + validate baseline: {loaded_s * 1000:.0f} ms")
    print(f"make plan: {plan_s * 1000:.0f} ms")
    print(f"audit the host (built-in checks + rules, replayed): {audit_s * 1000:.0f} ms")
    print(f"PowerShell processes started: {len(transport.batches)}")
    print(f"probes in the batch: {len(transport.batches[0])}")
    print(f"rule findings: {len(rules)}, pass: {passed}")


if __name__ == "__main__":
    main()
