"""macOS plist rules at scale: N rules reading R keys each from D preference domains on
the recorded host tests/hosts/macos15-compliant (every domain's two files answered).

    .venv/bin/python bench/rules_plist.py [--rules 200] [--reads 5] [--domains 4]

Prints the time to load and validate the baseline, to make the plan, to audit the host
(every built-in check plus the rules, replayed), and how many plutil commands the audit
ran: one per distinct file, however many rules and keys read it.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.replay_cases import host_path

from endpoint_audit.engine.plan import load_plan_baseline, make_plan
from endpoint_audit.engine.registry import load_registry
from endpoint_audit.engine.run import RunOptions, Target, audit_host
from endpoint_audit.model.commands import Command, CommandResult
from endpoint_audit.transport.replay import ReplayTransport
from endpoint_audit.transport.transcript import HostTranscript, load_bundle

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN"'
    ' "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">\n<dict>\n'
)


class Counting(ReplayTransport):
    def __init__(self, recorded: HostTranscript) -> None:
        super().__init__(recorded)
        self.asked: Counter[str] = Counter()

    async def _run(self, command: Command, timeout: float) -> CommandResult:
        self.asked[command.key] += 1
        return await super()._run(command, timeout)


def baseline_text(rules: int, reads: int, domains: int) -> str:
    lines = ["id: bench", "title: {ja: 計測, en: Bench}", "version: 1", "checks:"]
    for r in range(rules):
        lines += [
            f"  bench.rule_{r}:",
            "    type: rule",
            "    severity: low",
            "    title: {ja: ルール, en: Rule}",
            "    remediation: {ja: 直す, en: Fix}",
            "    platforms:",
            "      macos:",
            "        all:",
        ]
        for k in range(reads):
            domain = f"jp.bench.domain{(r + k) % domains}"
            lines += [
                f"          - read: {{plist: {domain}, key: K{k}, type: bool}}",
                "            expect: {eq: true}",
            ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--reads", type=int, default=5)
    parser.add_argument("--domains", type=int, default=4)
    args = parser.parse_args()
    registry = load_registry()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.yaml"
        path.write_text(baseline_text(args.rules, args.reads, args.domains), encoding="utf-8")
        start = time.perf_counter()
        loaded = load_plan_baseline(str(path), registry)
        loaded_s = time.perf_counter() - start
    start = time.perf_counter()
    plan = make_plan(loaded, registry)
    plan_s = time.perf_counter() - start
    (recorded,) = load_bundle(host_path("macos15-compliant"))
    body = "".join(f"\t<key>K{k}</key>\n\t<true/>\n" for k in range(args.reads))
    commands = dict(recorded.commands)
    for d in range(args.domains):
        managed = f"/Library/Managed Preferences/jp.bench.domain{d}.plist"
        missing = f"{managed}: file does not exist or is not readable (Code=260 no such file.)"
        commands[f"plutil -convert xml1 -o - '{managed}'"] = CommandResult(1, stdout=missing)
        own = f"plutil -convert xml1 -o - /Library/Preferences/jp.bench.domain{d}.plist"
        commands[own] = CommandResult(0, stdout=HEAD + body + "</dict>\n</plist>\n")
    transport = Counting(dataclasses.replace(recorded, commands=commands))
    when = datetime.fromisoformat("2026-11-20T09:00:00+00:00")
    start = time.perf_counter()
    run = asyncio.run(
        audit_host(Target(transport.target, lambda: transport), plan, RunOptions(), when)
    )
    audit_s = time.perf_counter() - start
    rules = [f for f in run.report.findings if f.check_id.startswith("bench.")]
    passed = sum(f.status.value == "pass" for f in rules)
    plutil = {k: n for k, n in transport.asked.items() if "jp.bench.domain" in k}
    print(f"rules: {args.rules} x {args.reads} plist reads over {args.domains} domains")
    print(f"load + validate baseline: {loaded_s * 1000:.0f} ms")
    print(f"make plan: {plan_s * 1000:.0f} ms")
    print(f"audit the host (built-in checks + rules, replayed): {audit_s * 1000:.0f} ms")
    print(f"plutil commands for the rules: {len(plutil)} files, {sum(plutil.values())} runs")
    print(f"rule findings: {len(rules)}, pass: {passed}")


if __name__ == "__main__":
    main()
