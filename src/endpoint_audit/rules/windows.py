"""Windows reads of a rule: one PowerShell probe per rule (`ps:rule.<id>`), which joins
the host's one batch like every other probe, reading every registry value of the rule.

The registry is always read through the 64-bit view
([Microsoft.Win32.RegistryKey]::OpenBaseKey with RegistryView.Registry64), so a 32-bit
PowerShell is never shown WOW6432Node's copy. Each value comes back typed: its kind
(DWord, String, ... as RegistryValueKind names it, never localized) and its value, a
DWORD or QWORD as an unsigned number whatever notation set it. A missing key and a
missing value are told apart. OpenBaseKey is not allowed in Constrained Language Mode,
so there the batch refuses the probe and the rule is unknown, naming the mode.

The reads are embedded as one JSON text in a single-quoted PowerShell string (every
quote doubled, every non-ASCII character escaped by json.dumps), never spliced as code.
"""

from __future__ import annotations

import json
from typing import Any

from endpoint_audit.checkkit.collector import Results
from endpoint_audit.checkkit.windows_probe import as_dict, probe_value
from endpoint_audit.errors import CollectorError
from endpoint_audit.model.commands import PowerShell
from endpoint_audit.model.observed import Reason
from endpoint_audit.model.rule import RegistryRead
from endpoint_audit.rules.facts import ReadValue, absent_value, seen_value, unknown_value

_SCRIPT = r"""
$EAReads = ConvertFrom-Json '__READS__'
$EAHives = @{
    HKLM = [Microsoft.Win32.RegistryHive]::LocalMachine
    HKU = [Microsoft.Win32.RegistryHive]::Users
}
$EAView = [Microsoft.Win32.RegistryView]::Registry64
$EANoExpand = [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames
$EAOutReads = @()
foreach ($r in @($EAReads)) {
    $entry = @{ state = 'unknown' }
    try {
        $hive = $EAHives[[string]$r.hive]
        $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey($hive, $EAView)
        $key = $base.OpenSubKey([string]$r.path, $false)
        if ($null -eq $key) {
            $entry.state = 'absent'; $entry.absent = 'key'
        } elseif (@($key.GetValueNames()) -notcontains [string]$r.value) {
            $entry.state = 'absent'; $entry.absent = 'value'
        } else {
            $kind = [string]$key.GetValueKind([string]$r.value)
            $raw = $key.GetValue([string]$r.value, $null, $EANoExpand)
            $entry.state = 'value'; $entry.kind = $kind
            if ($kind -eq 'DWord') {
                $entry.value = [BitConverter]::ToUInt32([BitConverter]::GetBytes([int32]$raw), 0)
            } elseif ($kind -eq 'QWord') {
                $entry.value = [BitConverter]::ToUInt64([BitConverter]::GetBytes([int64]$raw), 0)
            } elseif ($kind -eq 'MultiString') {
                $entry.value = @($raw | ForEach-Object { [string]$_ })
            } elseif ($kind -eq 'Binary') {
                $entry.value = (@($raw) | ForEach-Object { ([byte]$_).ToString('x2') }) -join ''
            } else {
                $entry.value = [string]$raw
            }
        }
    } catch [System.Security.SecurityException] {
        $entry.state = 'denied'
    } catch [System.UnauthorizedAccessException] {
        $entry.state = 'denied'
    } catch {
        $entry.state = 'error'; $entry.error = [string]$_.Exception.GetType().FullName
    }
    $EAOutReads += $entry
}
$result = @{ reads = $EAOutReads }
"""

# RegistryValueKind names -> the REG_ type names people know.
HOST_TYPES = {
    "DWord": "REG_DWORD",
    "QWord": "REG_QWORD",
    "String": "REG_SZ",
    "ExpandString": "REG_EXPAND_SZ",
    "MultiString": "REG_MULTI_SZ",
    "Binary": "REG_BINARY",
    "None": "REG_NONE",
}


def probe_name(rule_id: str) -> str:
    return f"rule.{rule_id}"


def registry_probe(rule_id: str, reads: list[RegistryRead]) -> PowerShell:
    data = [{"hive": r.hive, "path": r.key_path, "value": r.value} for r in reads]
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":")).replace("'", "''")
    return PowerShell(probe_name(rule_id), _SCRIPT.replace("__READS__", text))


def parse_registry(
    results: Results, probe: PowerShell, reads: list[RegistryRead]
) -> list[ReadValue]:
    """One value per registry read, from the probe's answer. A probe the batch refused
    (Constrained Language Mode) raises FactUnavailable; an answer of another shape is a
    CollectorError (never values made up)."""
    data = as_dict(probe_value(results, probe), f"PowerShell probe {probe.name!r}")
    entries = data.get("reads")
    if isinstance(entries, dict) and "value" in entries:  # PowerShell 5.1's wrapped array
        entries = entries["value"]
    if isinstance(entries, dict):  # one read, unrolled
        entries = [entries]
    if not isinstance(entries, list) or len(entries) != len(reads):
        raise CollectorError(
            Reason(
                key="rule.reason.reads_mismatch",
                args={"probe": probe.name, "expected": len(reads)},
            )
        )
    return [_one(entry, read, probe.key) for entry, read in zip(entries, reads, strict=True)]


def _one(entry: Any, read: RegistryRead, source: str) -> ReadValue:
    if not isinstance(entry, dict):
        return unknown_value(source, "read_failed", read=read.label(), output=str(entry)[:80])
    state = entry.get("state")
    if state == "absent" and entry.get("absent") in ("key", "value"):
        return absent_value(entry["absent"], source)
    if state == "denied":
        return unknown_value(source, "denied", read=read.label())
    if state != "value":
        return unknown_value(
            source, "read_failed", read=read.label(), output=str(entry.get("error") or state)
        )
    kind = str(entry.get("kind") or "")
    host_type = HOST_TYPES.get(kind, kind or None)
    value = entry.get("value")
    if kind in ("DWord", "QWord"):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return unknown_value(source, "read_failed", read=read.label(), output=repr(value))
        return seen_value("number", value, source, host_type)
    if kind == "MultiString":
        if isinstance(value, dict) and "value" in value:
            value = value["value"]
        items = [] if value is None else value if isinstance(value, list) else [value]
        if not all(isinstance(v, str) for v in items):
            return unknown_value(source, "read_failed", read=read.label(), output=repr(value))
        return seen_value("texts", [str(v) for v in items], source, host_type)
    if not isinstance(value, str):
        return unknown_value(source, "read_failed", read=read.label(), output=repr(value))
    return seen_value("text", value, source, host_type)
