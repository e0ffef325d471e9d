"""Windows reads of rules: they join the host's one PowerShell batch (a counting
transport proves one process for 50 reads across many rules, beside the built-in
probes), the reads travel as quoted data, and the probe's answer is read typed."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import msgspec.structs
from hypothesis import given
from hypothesis import strategies as st

from endpoint_audit.engine.pipeline import RunRequest, Selection, ThisMachine, make_plans
from endpoint_audit.engine.registry import load_registry
from endpoint_audit.engine.run import RunOptions, Target, audit_host
from endpoint_audit.model.commands import CommandResult
from endpoint_audit.model.rule import RegistryRead
from endpoint_audit.rules.windows import parse_rule_probe, rule_probe
from endpoint_audit.transport.transcript import HostTranscript
from tests.windows.conftest import RECORDED_AT, load_case
from tests.windows.test_one_process import CountingReplay, ScriptedWindowsHost

RULES = 10
READS_PER_RULE = 5


def fifty_reads_baseline(folder: Path) -> Path:
    lines = [
        "id: fifty-reads",
        "title: {ja: 五十, en: Fifty}",
        "version: 1",
        "extends: jp-municipal-telework",
        "checks:",
    ]
    for r in range(RULES):
        lines += [
            f"  jp.rule_{r}:",
            "    type: rule",
            "    severity: low",
            "    title: {ja: ルール, en: Rule}",
            "    remediation: {ja: 直す, en: Fix it}",
            "    platforms:",
            "      windows:",
            "        all:",
        ]
        for v in range(READS_PER_RULE):
            lines += [
                f"          - read: {{registry: 'HKLM\\SOFTWARE\\Policies\\Test\\R{r}', "
                f"value: V{v}, type: dword}}",
                "            expect: {eq: 1}",
            ]
    path = folder / "fifty.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def with_rule_answers(recorded: HostTranscript) -> HostTranscript:
    """The recorded host, with every rule probe answering DWORD 1 for each read."""
    commands = dict(recorded.commands)
    value = {"reads": [{"state": "value", "kind": "DWord", "value": 1}] * READS_PER_RULE}
    for r in range(RULES):
        commands[f"ps:rule.jp.rule_{r}"] = CommandResult(0, stdout=json.dumps(value))
    return msgspec.structs.replace(recorded, commands=commands)


def scan(transport: CountingReplay, baseline: Path) -> dict[str, str]:
    request = RunRequest(ThisMachine(), str(baseline), selection=Selection())
    plan = make_plans(request, [str(baseline)], load_registry(), print)[str(baseline)]
    run = asyncio.run(
        audit_host(Target(transport.target, lambda: transport), plan, RunOptions(), RECORDED_AT)
    )
    return {f.check_id: f.status.value for f in run.report.findings}


def test_fifty_registry_reads_start_powershell_once(tmp_path: Path) -> None:
    baseline = fifty_reads_baseline(tmp_path)
    transport = CountingReplay(with_rule_answers(load_case("win11-23h2-en-compliant")))
    findings = scan(transport, baseline)
    assert len(transport.batches) == 1
    (batch,) = transport.batches
    rule_probes = sorted(p for p in batch if p.startswith("rule.jp.rule_"))
    assert rule_probes == sorted(f"rule.jp.rule_{r}" for r in range(RULES))
    assert "screen_lock" in batch and "bitlocker" in batch  # beside the built-in probes
    assert all(findings[f"jp.rule_{r}"] == "pass" for r in range(RULES))


def test_the_real_batch_script_carries_every_rule_probe(tmp_path: Path) -> None:
    baseline = fifty_reads_baseline(tmp_path)
    host = ScriptedWindowsHost(with_rule_answers(load_case("win11-23h2-en-compliant")))
    findings = scan(host, baseline)
    assert len(host.batches) == 1
    assert all(findings[f"jp.rule_{r}"] == "pass" for r in range(RULES))


def _literal(script: str) -> str:
    """The text of the single-quoted literal given to ConvertFrom-Json, as PowerShell
    reads it ('' is one quote; a lone ' would end it)."""
    start = script.index("ConvertFrom-Json '") + len("ConvertFrom-Json '")
    out, i = [], start
    while True:
        c = script[i]
        if c == "'":
            if script[i + 1] == "'":
                out.append("'")
                i += 2
                continue
            assert script[i + 1] == "\n", "the literal must end its line"
            return "".join(out)
        assert c not in "\r\n\u2018\u2019\u201a\u201b", "no line break or smart quote inside"
        out.append(c)
        i += 1


names = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40)
# A key name holds anything but a backslash (and '/' is refused as a likely mistake).
key_names = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\\/"), min_size=1, max_size=40
)


@given(key=key_names, value=names)
def test_read_names_travel_as_data_whatever_they_hold(key: str, value: str) -> None:
    read = RegistryRead.model_validate({"registry": f"HKLM\\SOFTWARE\\{key}", "value": value})
    probe = rule_probe("jp.x", [read])
    # PowerShell also ends a single-quoted string at the typographic quotes; json.dumps
    # escapes every non-ASCII character, so none reaches the script.
    assert probe.script.isascii()
    assert json.loads(_literal(probe.script)) == [
        {"read": "registry", "hive": "HKLM", "path": read.key_path, "value": value, "users": False}
    ]


def _answer(stdout: str) -> dict[str, CommandResult]:
    return {"ps:rule.jp.x": CommandResult(0, stdout=stdout)}


def test_values_are_read_typed() -> None:
    reads = [
        RegistryRead.model_validate({"registry": "HKLM\\SOFTWARE\\A", "value": n})
        for n in ("d", "s", "m", "k", "v", "x")
    ]
    probe = rule_probe("jp.x", reads)
    answer = {
        "reads": [
            {"state": "value", "kind": "DWord", "value": 4294967295},
            {"state": "value", "kind": "String", "value": "1"},
            {"state": "value", "kind": "MultiString", "value": {"value": ["a"], "Count": 1}},
            {"state": "absent", "absent": "key"},
            {"state": "absent", "absent": "value"},
            {"state": "denied"},
        ]
    }
    got = parse_rule_probe(_answer(json.dumps(answer)), probe, reads)
    assert [(g.state, g.kind, g.value, g.host_type, g.absent) for g in got] == [
        ("value", "number", 4294967295, "REG_DWORD", None),
        ("value", "text", "1", "REG_SZ", None),
        ("value", "texts", ["a"], "REG_MULTI_SZ", None),
        ("absent", None, None, None, "key"),
        ("absent", None, None, None, "value"),
        ("unknown", None, None, None, None),
    ]
    assert got[5].reason is not None and got[5].reason.key == "rule.reason.denied"


def test_a_dword_that_is_not_a_number_is_never_a_value() -> None:
    reads = [RegistryRead.model_validate({"registry": "HKLM\\SOFTWARE\\A", "value": "d"})]
    probe = rule_probe("jp.x", reads)
    for bad in ("1", None, True, -1, 1.5):
        answer = {"reads": [{"state": "value", "kind": "DWord", "value": bad}]}
        (got,) = parse_rule_probe(_answer(json.dumps(answer)), probe, reads)
        assert got.state == "unknown", bad


def test_the_batch_with_rule_probes_parses_as_powershell() -> None:
    from endpoint_audit.transport.powershell import build_batch_script
    from tests.windows.clm_lint import PARSER

    reads = [
        RegistryRead.model_validate(
            {"registry": "HKLM\\SOFTWARE\\O'Brien $x `n", "value": "A'b\""}
        ),
        RegistryRead.model_validate({"registry": "HKU\\S-1-5-21-1\\Software\\P", "value": "v"}),
    ]
    script = build_batch_script([rule_probe("jp.x", reads)], 60)

    def broken(node: object) -> list[object]:
        found = [node] if node.type == "ERROR" or node.is_missing else []  # type: ignore[attr-defined]
        for child in node.children:  # type: ignore[attr-defined]
            found += broken(child)
        return found

    assert not broken(PARSER.parse(script.encode()).root_node)
    assert "ConvertFrom-Json" in script and "RegistryView]::Registry64" in script


def with_applies_when(baseline: Path, present: bool) -> tuple[Path, HostTranscript]:
    """The fifty reads, each rule also applying only where a product's key holds a value,
    and the recorded host answering that read first (present or not)."""
    lines = baseline.read_text(encoding="utf-8").splitlines()
    out: list[str] = []
    for line in lines:
        if line == "    platforms:":
            out += [
                "    applies_when:",
                "      windows:",
                "        read: {registry: 'HKLM\\SOFTWARE\\Vendor\\Product', value: Installed}",
                "        expect: {present: true}",
            ]
        out.append(line)
    path = baseline.with_name("fifty-applies.yaml")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    recorded = with_rule_answers(load_case("win11-23h2-en-compliant"))
    guard = (
        {"state": "value", "kind": "String", "value": "1"}
        if present
        else {"state": "absent", "absent": "key"}
    )
    commands = dict(recorded.commands)
    own = [{"state": "value", "kind": "DWord", "value": 1}] * READS_PER_RULE
    for r in range(RULES):
        commands[f"ps:rule.jp.rule_{r}"] = CommandResult(
            0, stdout=json.dumps({"reads": [guard, *own]})
        )
    return path, msgspec.structs.replace(recorded, commands=commands)


def test_applies_when_reads_join_the_rule_probe_and_start_no_process(tmp_path: Path) -> None:
    for present, status in ((True, "pass"), (False, "not_applicable")):
        baseline, recorded = with_applies_when(fifty_reads_baseline(tmp_path), present)
        transport = CountingReplay(recorded)
        findings = scan(transport, baseline)
        assert len(transport.batches) == 1  # one PowerShell for the host, as without it
        (batch,) = transport.batches
        assert sorted(p for p in batch if p.startswith("rule.jp.rule_")) == sorted(
            f"rule.jp.rule_{r}" for r in range(RULES)
        )
        assert all(findings[f"jp.rule_{r}"] == status for r in range(RULES)), findings
