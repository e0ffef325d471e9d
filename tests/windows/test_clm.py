"""Constrained Language Mode (AppLocker/WDAC): the generated scripts read the language mode
first, keep to what CLM allows outside `if ($EAFullLanguage) { }`, and the batch's answer
under CLM turns into `unknown` naming the mode for every probe it refused.

Allowed constructs: about_Language_Modes for Windows PowerShell 5.1 (see clm_lint.py).
"""

from __future__ import annotations

import json

import pytest

from endpoint_audit.checkkit.windows_probe import probe_value
from endpoint_audit.engine.export import ExportOptions, export_script
from endpoint_audit.engine.registry import load_registry
from endpoint_audit.errors import FactUnavailable
from endpoint_audit.model.commands import LANGUAGE_MODE_REFUSED, CommandResult, PowerShell
from endpoint_audit.model.observed import Reason
from endpoint_audit.model.platform import OsFamily
from endpoint_audit.transport.powershell import (
    _STDIN_BOOTSTRAP,
    BEGIN_MARKER,
    END_MARKER,
    PLATFORM,
    build_batch_script,
    document_prelude,
    document_results,
    extract_batch_document,
    parse_batch_output,
)
from tests.windows.clm_lint import clm_violations, detection_comes_first
from tests.windows.test_powershell import rule_probes, windows_probes

# What CLM lets run: the probes marked clm_safe. The others are refused under CLM.
CLM_SAFE = {
    "antivirus_status",
    "platform",
    "firewall_profiles",
    "firewall_products",
    "file_sharing",
    "os_edition",
    "screen_lock",
    "secure_boot",
    "windows_update",
    # The shipped baseline's rules: registry reads inside refuse themselves under CLM,
    # CIM, services, features, secedit and auditpol run.
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
}
# local_admins: ADSI member enumeration calls COM methods (Invoke, InvokeMember); CIM would
# drop the members no name resolves for, so under CLM the check says unknown instead.
REFUSED_UNDER_CLM = {
    "bitlocker",
    "listening_sockets",
    "local_admins",
    "password_policy",
    "windows_update_pending",
}


def every_probe() -> list[PowerShell]:
    return [*windows_probes(), *rule_probes(), PLATFORM]


def generated_scripts() -> dict[str, str]:
    return {
        "batch": build_batch_script(every_probe(), budget_seconds=60),
        "stdin bootstrap": _STDIN_BOOTSTRAP,
        "exported script": export_script(load_registry(), OsFamily.WINDOWS, ExportOptions()),
    }


@pytest.mark.parametrize("name", sorted(generated_scripts()))
def test_every_generated_script_uses_only_constructs_clm_allows_in_its_detection_prelude(
    name: str,
) -> None:
    script = generated_scripts()[name]
    # The language mode is read before anything that needs FullLanguage ...
    assert detection_comes_first(script), name
    # ... and nothing outside the FullLanguage guards would fail under CLM.
    assert clm_violations(script) == [], name


def test_the_split_of_probes_under_clm() -> None:
    flags = {p.name: p.clm_safe for p in every_probe()}
    assert {n for n, safe in flags.items() if safe} == CLM_SAFE
    assert {n for n, safe in flags.items() if not safe} == REFUSED_UNDER_CLM


@pytest.mark.parametrize("probe", every_probe(), ids=lambda p: p.name)
def test_clm_flags_are_true_to_the_scripts(probe: PowerShell) -> None:
    """A probe marked CLM-safe passes the check; one not marked really needs more (else it
    would be refused under CLM for nothing)."""
    violations = clm_violations(probe.script)
    if probe.clm_safe:
        assert violations == []
    else:
        assert violations != []


@pytest.mark.parametrize(
    ("snippet", "what"),
    [
        ("$w = [System.Diagnostics.Stopwatch]::StartNew()", "Stopwatch"),
        ("[Console]::OutputEncoding = 1", "Console"),
        ("$h = [Environment]::MachineName", "Environment"),
        ("$ps = [PowerShell]::Create()", "PowerShell"),
        ("$s = New-Object -ComObject 'Microsoft.Update.Session'", "New-Object"),
        ("Add-Type -TypeDefinition 'public class X {}'", "Add-Type"),
        ("$v = $key.GetValue('x', $null)", "GetValue"),
        ("function F { param([scriptblock]$B) }", "scriptblock"),
        ("if ($other) { $p = [PowerShell]::Create() }", "PowerShell"),
        ("if ($EAFullLanguage) { } else { [Console]::Out.Flush() }", "Console"),
    ],
)
def test_the_check_catches_what_clm_refuses(snippet: str, what: str) -> None:
    found = clm_violations(snippet)
    assert found and any(what in f for f in found), found


def test_the_check_accepts_what_clm_allows() -> None:
    allowed = """
$mode = [string]$ExecutionContext.SessionState.LanguageMode
$t = [datetime]::UtcNow
$c = [cultureinfo]::InvariantCulture
$m = [regex]::Matches('a', 'a')
$h = @{ a = [int]'1'; b = [int64]2 }
if ($h.ContainsKey('a')) { $s = 'x'.Replace('x', 'y') }
$j = ConvertTo-Json -InputObject $h -Compress
if ($EAFullLanguage) { $w = [System.Diagnostics.Stopwatch]::StartNew() }
"""
    assert clm_violations(allowed) == []


def clm_batch_output(probes: list[PowerShell]) -> str:
    """What the batch prints under CLM (the prelude's entry, the safe probes' values, a
    refusal for each other probe), shaped as the script writes it."""
    entries: dict[str, object] = {
        "_prelude": {
            "language_mode": "ConstrainedLanguage",
            "ps_version": "5.1.22621.4391",
            "process_arch": "AMD64",
            "wow64_arch": "",
        }
    }
    for probe in probes:
        if probe.clm_safe:
            entries[probe.name] = {"ok": True, "value": {"seen": probe.name}, "ms": 12}
        else:
            entries[probe.name] = {"ok": False, "refused": "ConstrainedLanguage", "ms": 0}
    text = json.dumps(entries)
    # Write-Output through the console host may break the line; the parser must not care.
    broken = "\r\n".join(text[i : i + 80] for i in range(0, len(text), 80))
    return f"\r\n{BEGIN_MARKER}\r\n{broken}\r\n{END_MARKER}\r\n"


def test_refused_probes_become_unknown_naming_clm() -> None:
    probes = every_probe()
    results = parse_batch_output(clm_batch_output(probes), probes)
    for probe in probes:
        result = results[probe.key]
        if probe.clm_safe:
            assert result.ok and json.loads(result.stdout) == {"seen": probe.name}
            continue
        assert result.exit_status == 126
        assert result.stderr.startswith(LANGUAGE_MODE_REFUSED)
        assert result.refused_language_mode == "ConstrainedLanguage"
        with pytest.raises(FactUnavailable) as caught:
            probe_value({probe.key: result}, probe)
        assert caught.value.language_mode == "ConstrainedLanguage"
        # The mode is named by the message (core.msg.language_mode); the reason, which
        # reports render in their own language, names the probe that was not run.
        assert caught.value.reason == Reason(
            key="core.reason.probe_not_run", args={"probe": probe.name}
        )


def test_the_prelude_entry_is_no_probe() -> None:
    document = extract_batch_document(clm_batch_output(every_probe()))
    assert document is not None
    assert document_prelude(document)["language_mode"] == "ConstrainedLanguage"
    assert "ps:_prelude" not in document_results(document)
    assert set(document_results(document)) == {p.key for p in every_probe()}


def test_an_ordinary_failure_is_not_a_language_mode_refusal() -> None:
    denied = CommandResult(126, stderr="Access is denied.")
    assert denied.refused_language_mode is None
    assert CommandResult(0, stdout="{}").refused_language_mode is None


def test_batch_wraps_only_unsafe_probes_in_the_full_language_guard() -> None:
    script = build_batch_script(every_probe(), budget_seconds=60)
    for probe in every_probe():
        refusal = f"$EAOut['{probe.name}'] = @{{ ok = $false; refused = $EALanguageMode"
        assert (refusal in script) is (not probe.clm_safe), probe.name
    # Under CLM the answer is printed with Write-Output and `exit`, not [Console].
    assert "Write-Output $EADocument" in script
