"""`command` conditions: run for real on this machine as argv lists (no shell), bounded in
time and output; allowed only in a baseline file of this computer, never from a shipped
baseline (nor anything extending one that holds it); `baseline show` marks them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from endpoint_audit.baseline import load
from endpoint_audit.model.commands import CommandResult
from endpoint_audit.model.rule import CommandRead
from endpoint_audit.rules import command_read
from tests.baselines.helpers import run


def rule(rule_id: str, read: str, expect: str) -> str:
    return (
        f"  {rule_id}:\n    type: rule\n    severity: low\n    title: {{ja: 題, en: title}}\n"
        "    remediation: {ja: なし, en: none}\n    platforms:\n      linux:\n"
        f"        read: {read}\n        expect: {expect}\n"
    )


RULES = {
    "t.echo": ("{command: [/bin/echo, hello], property: output}", "{regex: '^hello$'}", "pass"),
    "t.no_shell": (
        "{command: [/bin/echo, '$(id -u); echo x'], property: output}",
        "{regex: '^\\$\\(id -u\\); echo x$'}",
        "pass",
    ),
    "t.false": ("{command: [/bin/false]}", "{eq: 0}", "fail"),
    "t.slow": ("{command: [/bin/sleep, '30'], timeout: 1}", "{eq: 0}", "unknown"),
    "t.long": (
        "{command: [/usr/bin/seq, '1', '20000'], property: output}",
        "{regex: '^1$'}",
        "unknown",
    ),
    "t.missing": ("{command: [/nonexistent/program]}", "{eq: 0}", "unknown"),
}


def baseline(folder: Path, rules: dict[str, tuple[str, str, str]] = RULES) -> Path:
    path = folder / "commands.yaml"
    body = "".join(rule(rid, r, e) for rid, (r, e, _) in rules.items())
    path.write_text(f"id: cmds\ntitle: {{ja: 題, en: t}}\nversion: 1\nchecks:\n{body}", "utf-8")
    return path


def test_commands_run_for_real_bounded(tmp_path: Path) -> None:
    ran = run("scan", "-b", baseline(tmp_path), "-f", "json")
    (host,) = ran.json()["hosts"]
    got = {f["check_id"]: f for f in host["findings"]}
    assert {k: f["status"] for k, f in got.items()} == {k: v[2] for k, v in RULES.items()}
    assert "1 s" in got["t.slow"]["message"]
    assert "65536" in got["t.long"]["message"]
    assert "/nonexistent/program" in got["t.missing"]["message"]


def test_a_shipped_baseline_may_not_hold_a_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = baseline(tmp_path, {"t.echo": RULES["t.echo"]}).read_text("utf-8")
    real = load.shipped_text
    monkeypatch.setattr(load, "shipped_text", lambda n: text if n == "evil" else real(n))
    ran = run("baseline", "validate", "evil")
    assert ran.code == 2
    (line,) = ran.stderr.strip().splitlines()
    assert "evil:12: checks.t.echo.platforms.linux.read.command: a command condition runs" in line
    assert "not in a shipped baseline" in line
    # Nor through a file that extends it: the rule comes from the shipped text.
    child = tmp_path / "child.yaml"
    child.write_text("id: c\ntitle: {ja: 子, en: c}\nversion: 1\nextends: evil\nchecks: {}\n")
    assert run("baseline", "validate", child).code == 2
    # The same rule in a file of this computer is allowed.
    assert run("baseline", "validate", tmp_path / "commands.yaml").code == 0


def test_validation_without_the_local_file_context_refuses() -> None:
    with pytest.raises(ValueError, match="a command condition runs a program"):
        CommandRead.model_validate({"command": ["/bin/true"]})
    ok = CommandRead.model_validate({"command": ["/bin/true"]}, context={"command_allowed": True})
    assert ok.timeout == 10
    for bad in (
        {"command": ["true"]},  # not an absolute path
        {"command": ["/bin/sh -c id"]},  # a shell line
        {"command": ["/bin/true"], "timeout": 600},
        {"command": ["/bin/echo", "a\x00b"]},
        {"command": "/bin/true"},
    ):
        with pytest.raises(ValueError):
            CommandRead.model_validate(bad, context={"command_allowed": True})


def test_baseline_show_marks_rules_that_run_programs(tmp_path: Path) -> None:
    path = baseline(tmp_path, {"t.echo": RULES["t.echo"], "t.false": RULES["t.false"]})
    for extra in ((), ("--effective",)):
        shown = run("baseline", "show", path, *extra)
        assert shown.code == 0, shown.stderr
        first = shown.stdout.splitlines()[0]
        assert first.startswith("# COMMAND CONDITIONS") and "t.echo, t.false" in first
    assert "COMMAND" not in run("baseline", "show", "jp-municipal-telework").stdout


def test_an_exported_script_carries_the_command_quoted(tmp_path: Path) -> None:
    path = baseline(tmp_path, {"t.no_shell": RULES["t.no_shell"]})
    exported = run("probe", "export", "--os", "linux", "-b", path)
    assert exported.code == 0, exported.stderr
    assert "'$(id -u); echo x'" in exported.stdout


def read(prop: str) -> CommandRead:
    return CommandRead.model_validate(
        {"command": ["/bin/x", "a b"], "property": prop}, context={"command_allowed": True}
    )


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-255, max_value=255), st.text(max_size=200), st.booleans())
def test_hostile_output_is_only_data(status: int, stdout: str, timed_out: bool) -> None:
    key = command_read.argv_of(read("output")).key
    result = CommandResult(status, stdout=stdout, timed_out=timed_out)
    exit_value = command_read.parse(read("exit_status"), {key: result})
    output_value = command_read.parse(read("output"), {key: result})
    if timed_out or status == 127:  # stopped, or no such program: nothing to compare
        assert exit_value.state == output_value.state == "unknown"
        return
    assert (exit_value.kind, exit_value.value) == ("number", status)
    assert (output_value.kind, output_value.value) == ("text", result.stdout)


def test_output_past_the_limit_is_never_judged() -> None:
    key = command_read.argv_of(read("output")).key
    big = CommandResult(0, stdout="x" * (command_read.OUTPUT_LIMIT + 1))
    got: Any = command_read.parse(read("output"), {key: big})
    assert got.state == "unknown" and got.reason.key == "rule.reason.output_too_long"
    assert json.dumps(got.model_dump(mode="json"))  # a reason, not the output


def test_a_long_output_is_shown_cut_in_messages_and_evidence(tmp_path: Path) -> None:
    rules = {
        "t.seq": ("{command: [/usr/bin/seq, '1', '3000'], property: output}", "{regex: '^1$'}", "")
    }
    ran = run("scan", "-b", baseline(tmp_path, rules), "-f", "json")
    (finding,) = ran.json()["hosts"][0]["findings"]
    assert finding["status"] == "pass"
    assert len(finding["message"]) < 600 and "…" in finding["message"]
    assert all(len(e["excerpt"]) < 800 for e in finding["evidence"])
    assert finding["actual"][0]["value"].endswith("3000\n")  # the value itself is kept whole
