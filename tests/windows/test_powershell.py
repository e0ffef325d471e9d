"""The PowerShell batch: script generation, invocation, result parsing, platform probe.

PowerShell cannot run on these machines, so every generated script is parsed with the
tree-sitter PowerShell grammar, and a stand-in `powershell.exe` (a Python program)
checks the command line and stdin the way PowerShell would read them.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import tree_sitter_powershell
from tree_sitter import Language, Node, Parser

from endpoint_audit.checks import builtin_packages
from endpoint_audit.model.commands import CommandResult, PowerShell
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.transport.powershell import (
    _STDIN_BOOTSTRAP,
    BEGIN_MARKER,
    CMD_EXE_LIMIT,
    END_MARKER,
    PLATFORM,
    POWERSHELL_FLAGS,
    batch_results,
    build_batch_script,
    command_line_length,
    encode_command,
    parse_batch_output,
    platform_from_probe,
    powershell_invocation,
    run_batch_locally,
)
from tests.windows.conftest import CASES, load_case

WINDOWS = PlatformInfo(family=OsFamily.WINDOWS, transport="ssh")
PARSER = Parser(Language(tree_sitter_powershell.language()))


def windows_probes() -> list[PowerShell]:
    probes: dict[str, PowerShell] = {}  # several collectors may ask for one probe
    for cls in [c for p in builtin_packages() for c in p.collector_classes()]:
        collector = cls()
        if collector.applies(WINDOWS):
            for c in collector.commands(WINDOWS, {}):
                if isinstance(c, PowerShell):
                    probes[c.name] = c
    return list(probes.values())


def rule_probes() -> list[PowerShell]:
    """The probes of the shipped baseline's Windows rules, and secedit's, which no shipped
    rule reads yet."""
    from endpoint_audit.engine.export import probe_commands
    from endpoint_audit.engine.plan import load_plan_baseline, with_rules
    from endpoint_audit.engine.registry import load_registry
    from endpoint_audit.rules.windows_policy import SECPOL

    registry = load_registry()
    registry = with_rules(registry, load_plan_baseline("jp-municipal-telework", registry))
    found = [
        c
        for c in probe_commands(registry, OsFamily.WINDOWS)
        if isinstance(c, PowerShell) and c.name.startswith("rule")
    ]
    return [*found, SECPOL]


def syntax_errors(script: str) -> list[str]:
    source = script.encode("utf-8")
    tree = PARSER.parse(source)
    found: list[str] = []

    def walk(node: Node) -> None:
        if node.type == "ERROR" or node.is_missing:
            line = node.start_point[0] + 1
            text = source[node.start_byte : node.end_byte][:60].decode("utf-8", "replace")
            found.append(f"line {line}: {node.type} {text!r}")
        for child in node.children:
            walk(child)

    walk(tree.root_node)
    return found


def test_windows_collectors_declare_the_expected_probes() -> None:
    names = sorted(p.name for p in windows_probes())
    assert names == [
        "antivirus_status",
        "bitlocker",
        "file_sharing",
        "firewall_products",
        "firewall_profiles",
        "listening_sockets",
        "local_admins",
        "os_edition",
        "password_policy",
        "screen_lock",
        "secure_boot",
        "windows_update",
        "windows_update_pending",
    ]


def test_the_shipped_rules_declare_the_expected_probes() -> None:
    assert sorted(p.name for p in rule_probes()) == [
        "rule-auditpol",
        "rule-secpol",
        "rule.jp.autologon_disabled",
        "rule.jp.bitlocker_to_go_required",
        "rule.jp.guest_account_disabled",
        "rule.jp.llmnr_disabled",
        "rule.jp.office_macros_blocked",
        "rule.jp.rdp_disabled",
        "rule.jp.removable_storage_restricted",
        "rule.jp.smb1_server_disabled",
    ]


def test_syntax_checker_catches_broken_powershell() -> None:
    assert syntax_errors("$a = @{ x = 1\nif ($a) { 'x' ") != []


@pytest.mark.parametrize(
    "probe", [*windows_probes(), *rule_probes(), PLATFORM], ids=lambda p: p.name
)
def test_every_probe_script_parses(probe: PowerShell) -> None:
    assert syntax_errors(probe.script) == []
    assert probe.script.isascii()
    assert "$result" in probe.script
    assert "__" not in probe.script  # every placeholder filled in


def test_every_shipped_script_belongs_to_a_probe() -> None:
    import endpoint_audit

    src = Path(endpoint_audit.__file__).parent
    shipped = sorted(p.stem for p in src.glob("**/probes/*.ps1"))
    assert shipped == sorted(p.name for p in windows_probes())


def test_the_whole_batch_and_the_stdin_bootstrap_parse() -> None:
    script = build_batch_script([*windows_probes(), PLATFORM], budget_seconds=60)
    assert syntax_errors(script) == []
    assert syntax_errors(_STDIN_BOOTSTRAP) == []


def test_batch_runs_each_probe_once_in_its_own_try() -> None:
    probes = windows_probes()
    script = build_batch_script([*probes, probes[0]], budget_seconds=45)
    for probe in probes:
        assert script.count(f"$EAOut['{probe.name}'] = @{{ ok = $true") == 1
    assert script.count("} catch {") >= len(probes)
    assert "ConvertTo-Json -InputObject $Value -Depth 12 -Compress" in script
    assert "$EABatchBudget = 45" in script
    assert BEGIN_MARKER in script and END_MARKER in script
    # Windows PowerShell 5.1 has none of these.
    for newer in ("??", "-AsHashtable", "?."):
        assert newer not in script


def test_recovery_passwords_are_never_asked_for() -> None:
    (bitlocker,) = [p for p in windows_probes() if p.name == "bitlocker"]
    assert "RecoveryPassword" not in bitlocker.script
    assert "KeyProtectorType" in bitlocker.script


@pytest.mark.parametrize(
    "name",
    ["Bad Name", "x;y", "a'b", "", "UPPER"],
)
def test_probe_names_are_checked(name: str) -> None:
    with pytest.raises(ValueError):
        build_batch_script([PowerShell(name, "$result = 1")])


def test_non_ascii_scripts_are_refused() -> None:
    with pytest.raises(ValueError, match="ASCII"):
        build_batch_script([PowerShell("x", "$result = '日本語'")])


def test_short_script_goes_in_encoded_command() -> None:
    invocation = powershell_invocation("$result = 1")
    assert invocation.stdin is None
    assert invocation.argv[:5] == (
        "powershell.exe",
        "-NoProfile",
        "-NonInteractive",
        "-ExecutionPolicy",
        "Bypass",
    )
    assert invocation.argv[5] == "-EncodedCommand"
    assert base64.b64decode(invocation.argv[6]).decode("utf-16-le") == "$result = 1"


def test_long_script_goes_on_stdin() -> None:
    script = build_batch_script(windows_probes())
    invocation = powershell_invocation(script)
    # The full batch does not fit in 32,767 characters once UTF-16 and base64 encoded.
    assert command_line_length(("powershell.exe", encode_command(script))) > 32_767
    assert invocation.stdin is not None
    assert command_line_length(invocation.argv) < CMD_EXE_LIMIT
    bootstrap = base64.b64decode(invocation.argv[-1]).decode("utf-16-le")
    assert bootstrap == _STDIN_BOOTSTRAP
    # Plain ASCII text: under Constrained Language Mode the bootstrap cannot decode base64.
    assert invocation.stdin.decode("ascii") == script + "\n"
    # No part of the script is on the command line.
    assert not any("Get-BitLockerVolume" in a for a in invocation.argv)


def test_cmd_exe_limit_moves_a_medium_script_to_stdin() -> None:
    script = "$result = 1\n" + "# padding\n" * 400
    assert powershell_invocation(script).stdin is None
    assert powershell_invocation(script, max_command_line=CMD_EXE_LIMIT).stdin is not None


def document(entries: dict[str, Any]) -> str:
    return f"\n{BEGIN_MARKER}\n{json.dumps(entries)}\n{END_MARKER}\n"


PROBES = [PowerShell("alpha", "$result = 1"), PowerShell("beta", "$result = 2")]


def test_parse_batch_output_per_probe() -> None:
    stdout = (
        "WARNING: a banner some hosts print\r\n"
        + document(
            {
                "alpha": {"ok": True, "value": {"name": "\u7dcf\u52d9\u8ab2"}, "ms": 250},
                "beta": {
                    "ok": False,
                    "error": "Access is denied.",
                    "error_type": "System.UnauthorizedAccessException",
                    "hresult": -2147024891,
                    "ms": 3,
                },
            }
        )
        + "trailing noise"
    )
    results = parse_batch_output(stdout, PROBES)
    assert results["ps:alpha"].ok
    assert json.loads(results["ps:alpha"].stdout) == {"name": "総務課"}
    assert results["ps:alpha"].duration == pytest.approx(0.25)
    assert results["ps:beta"].exit_status == 1
    assert "Access is denied." in results["ps:beta"].stderr
    assert "0x80070005" in results["ps:beta"].stderr


def test_a_probe_missing_from_the_document_is_a_failure() -> None:
    results = parse_batch_output(document({"alpha": {"ok": True, "value": 1}}), PROBES)
    assert results["ps:alpha"].ok
    assert not results["ps:beta"].ok
    assert "did not report" in results["ps:beta"].stderr


@pytest.mark.parametrize(
    "stdout",
    [
        "",
        "not json",
        f"{BEGIN_MARKER}\n{{broken\n{END_MARKER}",
        f"{BEGIN_MARKER}\n[1]\n{END_MARKER}",
    ],
)
def test_no_document_fails_every_probe(stdout: str) -> None:
    results = parse_batch_output(stdout, PROBES, stderr="#< CLIXML something broke")
    assert all(r.exit_status == 1 for r in results.values())
    assert all("no result document" in r.stderr for r in results.values())


def test_windows_powershell_array_wrappers_are_unwrapped() -> None:
    wrapped = {"value": [{"port": 135}], "Count": 1}
    results = parse_batch_output(
        document({"alpha": {"ok": True, "value": {"sockets": wrapped}}}), PROBES[:1]
    )
    assert json.loads(results["ps:alpha"].stdout) == {"sockets": [{"port": 135}]}


def test_process_timeout_and_missing_powershell() -> None:
    timed_out = batch_results(
        CommandResult(124, stderr="powershell.exe: timed out after 60 s", timed_out=True), PROBES
    )
    assert all(r.timed_out and r.exit_status == 124 for r in timed_out.values())
    missing = batch_results(CommandResult(127, stderr="powershell.exe: command not found"), PROBES)
    assert all(r.exit_status == 127 for r in missing.values())


# A stand-in for powershell.exe: checks the flags, decodes the script the way PowerShell
# does (-EncodedCommand is UTF-16LE base64; the stdin bootstrap reads the ASCII text), and
# answers every probe it finds in the script with its name and how the script arrived.
FAKE_POWERSHELL = r"""
import base64, json, re, sys
args = sys.argv[1:]
assert args[:4] == ["-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass"], args
assert args[4] == "-EncodedCommand" and len(args) == 6, args
script = base64.b64decode(args[5]).decode("utf-16-le")
mode = "encoded"
if "[Console]::In.ReadToEnd()" in script:
    script = sys.stdin.buffer.read().decode("ascii")
    mode = "stdin"
names = re.findall(r"\$EAOut\['([a-z0-9_.-]+)'\] = @\{ ok = \$true", script)
answer = {n: {"ok": True, "value": {"probe": n, "mode": mode, "bytes": len(script)}, "ms": 1}
          for n in names}
text = json.dumps(answer, ensure_ascii=True)
sys.stdout.write("\n<<<ENDPOINT-AUDIT-JSON\n" + text + "\nENDPOINT-AUDIT-JSON>>>\n")
"""


@pytest.fixture
def fake_powershell(tmp_path: Path) -> str:
    path = tmp_path / "powershell.exe"
    path.write_text(f"#!{sys.executable}\n{FAKE_POWERSHELL}", encoding="utf-8")
    path.chmod(0o755)
    return str(path)


def test_run_batch_locally_with_encoded_command(fake_powershell: str) -> None:
    probes = [PowerShell("alpha", "$result = 1"), PowerShell("beta", "$result = 2")]
    results = asyncio.run(run_batch_locally(probes, 30, executable=fake_powershell))
    assert set(results) == {"ps:alpha", "ps:beta"}
    for probe in probes:
        value = json.loads(results[probe.key].stdout)
        assert value["probe"] == probe.name
        assert value["mode"] == "encoded"


def test_run_batch_locally_with_the_full_batch_on_stdin(fake_powershell: str) -> None:
    probes = windows_probes()
    results = asyncio.run(run_batch_locally(probes, 30, executable=fake_powershell))
    assert {json.loads(r.stdout)["mode"] for r in results.values()} == {"stdin"}
    assert sorted(json.loads(r.stdout)["probe"] for r in results.values()) == sorted(
        p.name for p in probes
    )


def test_run_batch_locally_without_powershell(tmp_path: Path) -> None:
    results = asyncio.run(
        run_batch_locally(PROBES, 5, executable=str(tmp_path / "no-such-powershell.exe"))
    )
    assert all(r.exit_status == 127 for r in results.values())


@pytest.mark.parametrize("name", CASES)
def test_platform_probe_matches_recorded_platform(name: str) -> None:
    host = load_case(name)
    detected = platform_from_probe(host.commands["ps:platform"], transport="replay")
    assert detected == host.platform


def test_windows_11_is_told_by_build_not_product_name() -> None:
    value = {
        "current_build": "22631",
        "ubr": 4460,
        "display_version": "23H2",
        "edition_id": "Professional",
        "installation_type": "Client",
        "product_name": "Windows 10 Pro",
        "caption": "Microsoft Windows 11 Pro",
        "hostname": "総務課-PC01",
        "arch": "AMD64",
        "is_admin": False,
    }
    info = platform_from_probe(CommandResult(0, stdout=json.dumps(value)))
    assert info.family == OsFamily.WINDOWS
    assert info.build == "22631.4460"
    assert info.version == "10.0.22631"
    assert info.pretty_name is not None and info.pretty_name.startswith("Windows 11 Pro 23H2")
    assert info.hostname == "総務課-PC01"
    assert info.is_admin is False
    win10 = platform_from_probe(
        CommandResult(0, stdout=json.dumps({**value, "current_build": "19045", "ubr": 5131}))
    )
    assert win10.pretty_name is not None and win10.pretty_name.startswith("Windows 10 Pro")


def test_failed_platform_probe_is_unknown() -> None:
    assert platform_from_probe(CommandResult(1, stderr="x")).family == OsFamily.UNKNOWN
    assert platform_from_probe(CommandResult(0, stdout="[]")).family == OsFamily.UNKNOWN


def test_no_script_splices_values_into_the_command_line() -> None:
    # Everything variable travels as base64; the argv is flags plus one base64 word.
    script = build_batch_script(windows_probes())
    for argv in (powershell_invocation(script).argv, powershell_invocation("$result = 1").argv):
        assert re.fullmatch(r"[A-Za-z0-9+/=]+", argv[-1])
        assert argv[:-1] == ("powershell.exe", *POWERSHELL_FLAGS, "-EncodedCommand")


@pytest.mark.parametrize(
    ("python_64bit", "env", "expected"),
    [
        # 32-bit Python on 64-bit Windows: System32 would be redirected to SysWOW64.
        (
            False,
            {"SystemRoot": "C:\\WINDOWS", "PROCESSOR_ARCHITEW6432": "AMD64"},
            "C:\\WINDOWS\\Sysnative\\WindowsPowerShell\\v1.0\\powershell.exe",
        ),
        (
            True,
            {"SystemRoot": "C:\\WINDOWS"},
            "C:\\WINDOWS\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        ),
        # 32-bit Windows: no WOW64, System32 is the only PowerShell.
        (
            False,
            {"WINDIR": "D:\\Win"},
            "D:\\Win\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        ),
    ],
)
def test_local_powershell_is_the_64bit_one(
    python_64bit: bool, env: dict[str, str], expected: str
) -> None:
    from endpoint_audit.transport.local import powershell_path

    assert powershell_path(env, python_64bit) == expected


@pytest.mark.parametrize("name", ["file_sharing", "firewall_products", "firewall_profiles"])
def test_firewall_probes_use_cmdlets_only(name: str) -> None:
    """These probes call cmdlets and cast to core types only, no .NET types or COM: the
    constructs Constrained Language Mode allows."""
    (probe,) = [p for p in windows_probes() if p.name == name]
    for blocked in ("::", "New-Object", "Add-Type", "[System.", "[Security.", "[Environment]"):
        assert blocked not in probe.script, blocked
    assert "-PolicyStore ActiveStore" in probe.script or name == "firewall_products"


def test_sharing_probe_never_reads_the_localized_group_name() -> None:
    (probe,) = [p for p in windows_probes() if p.name == "file_sharing"]
    assert "DisplayGroup" not in probe.script
    assert "$_.Group" in probe.script and "Win32_Share" in probe.script
    # Every list is read once for the whole store, not once per rule.
    assert "AssociatedNetFirewallRule" not in probe.script


def test_patch_probe_reads_values_without_dotnet_registry_calls() -> None:
    (probe,) = [p for p in windows_probes() if p.name == "windows_update"]
    script = "\n".join(
        line for line in probe.script.splitlines() if not line.lstrip().startswith("#")
    )
    # Win32_QuickFixEngineering through CIM, InstalledOn raw: Get-HotFix parses it with the
    # current culture.
    assert "Get-HotFix" not in script
    assert "Get-CimInstance -ClassName Win32_QuickFixEngineering" in script
    assert "CimInstanceProperties" in script
    # The 64-bit view through a native program (allowed under Constrained Language Mode),
    # never through .NET registry classes; only for a 32-bit process.
    assert "[Microsoft.Win32" not in script and "OpenBaseKey" not in script
    assert "/reg:64" in script and "PROCESSOR_ARCHITEW6432" in script
    assert "[Math]" not in script
