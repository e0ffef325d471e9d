"""The example rule pack's replay cases through the real engine (`evaluate` of the case's
bundle with the pack, `--only` the rule): each gives the status the case expects; every
rule has a pass, a fail and an unknown case; every recorded output names its source; and
changing the recorded value of a passing case turns it into no pass (mutation)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from endpoint_audit.checkkit.cases import ReplayCase, case_bundle
from tests.baselines.helpers import run
from tests.replay_cases import write_bundle
from tests.rules.cases import PACK, SHIPPED, rule_cases

CASES = rule_cases()


def judge(rule_id: str, case: ReplayCase, folder: Path, lang: str = "en") -> dict[str, Any]:
    bundle = write_bundle(case_bundle(case), folder / f"{case.case}.json")
    ran = run("evaluate", bundle, "-b", PACK, "--only", rule_id, "-f", "json", "--lang", lang)
    assert ran.code in (0, 1, 3), ran.stderr  # compliant, failed, incomplete
    (host,) = ran.json()["hosts"]
    findings: list[dict[str, Any]] = host["findings"]
    return {"findings": findings, "report": ran.json()}


@pytest.mark.parametrize("ref", sorted(CASES))
def test_case(ref: str, tmp_path: Path) -> None:
    rule_id = ref.split("/", 1)[0]
    case = CASES[ref]
    got = judge(rule_id, case, tmp_path)["findings"]
    assert [
        {"resource": f["resource"], "status": f["status"], "key": f["message_key"]} for f in got
    ] == [e.model_dump(mode="json") for e in case.expect]
    (finding,) = got
    if finding["message_key"].startswith("core."):
        return  # the engine's own finding (the batch refused the probe): no value was read
    # The evidence: each condition's value read and the expected value, from its command.
    assert finding["evidence"]
    for item in finding["evidence"]:
        # A read never run (secedit or auditpol for a standard user) names no command.
        assert item["source"] in case.commands or (
            item["source"] == "" and "not read" in item["excerpt"]
        )
        assert "expected" in item["excerpt"]
    assert finding["actual"] and finding["expected"]


@pytest.mark.parametrize("ref", sorted(CASES))
def test_japanese_message_is_japanese(ref: str, tmp_path: Path) -> None:
    rule_id = ref.split("/", 1)[0]
    (finding,) = judge(rule_id, CASES[ref], tmp_path, "ja")["findings"]
    message = finding["message"]
    assert any("\u3040" <= c <= "\u30ff" or "\u4e00" <= c <= "\u9fff" for c in message), message
    for english in ("Holds", "Does not hold", "Not enough evidence", "does not exist", "access"):
        assert english not in message


def test_every_rule_of_the_pack_has_pass_fail_and_unknown_cases() -> None:
    """The shipped baseline's rules and the example pack's, each with all three."""
    rules: list[str] = []
    for path in (SHIPPED, PACK):
        pack = yaml.safe_load(path.read_text(encoding="utf-8"))
        rules += [cid for cid, e in pack["checks"].items() if e.get("type") == "rule"]
    assert len(rules) >= 10
    for rule_id in rules:
        statuses = {
            e.status.value
            for ref, case in CASES.items()
            if ref.startswith(f"{rule_id}/")
            for e in case.expect
        }
        assert statuses >= {"pass", "fail", "unknown"}, rule_id
    assert {ref.split("/", 1)[0] for ref in CASES} == set(rules)


@pytest.mark.parametrize("ref", sorted(CASES))
def test_recorded_output_names_its_source(ref: str) -> None:
    case = CASES[ref]
    for key in case.commands:
        sources = case.command_sources(key)
        assert sources, f"{ref}: {key} has no source"
        if case.platform.family.value == "windows" and case.commands[key].exit_status == 0:
            assert any(
                s.startswith("https://learn.microsoft.com/") or "gist.github.com" in s
                for s in sources
            ), sources


def _changed(value: Any) -> Any:
    """Another value of the same kind, never an equal one: booleans flip, numbers move
    out of every enumeration the rules accept (+10), texts grow."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 10
    if isinstance(value, list):
        return [*value, "x"]
    return f"{value}1"


def _mutated_read(read: dict[str, Any]) -> dict[str, Any]:
    if read["state"] == "absent":
        return {"state": "value", "kind": "String", "value": "1"}
    if read["state"] == "users":
        return {**read, "users": [{**_mutated_read(u), "sid": u["sid"]} for u in read["users"]]}
    if read["state"] == "instances":
        return {
            **read,
            "instances": [{k: _changed(v) for k, v in i.items()} for i in read["instances"]],
        }
    if "value" in read:
        return {**read, "value": _changed(read["value"])}
    return read


def _mutated_reads(stdout: str) -> str:
    """Every value read changed (absent ones present)."""
    return json.dumps({"reads": [_mutated_read(r) for r in json.loads(stdout)["reads"]]})


def _mutated_audit(stdout: str) -> str:
    """auditpol's setting column moved to the next setting (3 -> 0, 1 -> 2, ...)."""
    data = json.loads(stdout)
    lines = []
    for line in data["lines"]:
        cells = line.split(",")
        if len(cells) == 7 and cells[6].isdigit():
            cells[6] = str((int(cells[6]) + 1) % 4)
        lines.append(",".join(cells))
    return json.dumps({**data, "lines": lines})


def _mutated(case: ReplayCase) -> ReplayCase:
    commands = {}
    for key, command in case.commands.items():
        if key.startswith("ps:rule.") and command.exit_status == 0:
            command = command.model_copy(update={"stdout": _mutated_reads(command.stdout)})
        elif key == "ps:rule-auditpol" and command.exit_status == 0:
            command = command.model_copy(update={"stdout": _mutated_audit(command.stdout)})
        elif key == "modprobe --showconfig":
            command = command.model_copy(update={"stdout": "options snd_pcsp index=-2\n"})
        commands[key] = command
    return case.model_copy(update={"commands": commands})


PASSING = sorted(ref for ref, c in CASES.items() if c.expect[0].status.value == "pass")


@pytest.mark.parametrize("ref", PASSING)
def test_changing_the_recorded_value_flips_a_pass(ref: str, tmp_path: Path) -> None:
    rule_id = ref.split("/", 1)[0]
    (finding,) = judge(rule_id, _mutated(CASES[ref]), tmp_path)["findings"]
    assert finding["status"] != "pass", finding["message"]


def test_a_case_without_the_rule_s_reads_is_never_a_pass(tmp_path: Path) -> None:
    """A bundle recorded without the rule's probe (collected with another baseline)."""
    for ref in PASSING:
        rule_id = ref.split("/", 1)[0]
        bare = CASES[ref].model_copy(update={"commands": {}})
        (finding,) = judge(rule_id, bare, tmp_path)["findings"]
        assert finding["status"] in ("error", "unknown"), (ref, finding)
