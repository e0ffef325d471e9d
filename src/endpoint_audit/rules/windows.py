"""Windows reads of a rule: one PowerShell probe per rule (`ps:rule.<id>`), which joins
the host's one batch like every other probe, reading the rule's registry values, CIM
instances, services and optional features. Local security policy and audit policy come
from two probes shared by every rule (rules/windows_policy.py), so that `secedit` and
`auditpol` run once per host however many rules read them.

The registry is always read through the 64-bit view
([Microsoft.Win32.RegistryKey]::OpenBaseKey with RegistryView.Registry64), so a 32-bit
PowerShell is never shown WOW6432Node's copy. Each value comes back typed: its kind
(DWord, String, ... as RegistryValueKind names it, never localized) and its value, a
DWORD or QWORD as an unsigned number whatever notation set it. A missing key and a
missing value are told apart. `HKU\\*\\...` reads the value in every loaded user hive
(S-1-5-21-... and Entra ID S-1-12-1-... SIDs), since per-user policies live there and
HKCU is the auditing account's own.

OpenBaseKey is not allowed in Constrained Language Mode, so there each registry read
says it was refused, naming the mode; the probe itself is CLM-safe, and its CIM reads
(Get-CimInstance, a cmdlet) and service start types (the registry provider, under
HKLM\\SYSTEM, which WOW64 does not redirect) still run.

The reads are embedded as one JSON text in a single-quoted PowerShell string (every
quote doubled, every non-ASCII character escaped by json.dumps), never spliced as code.
CIM instances are chosen with a WQL filter made here from validated names and quoted
values only (model/rule.py refuses quotes, backslashes and LIKE wildcards in them), and
the answer's instances are checked against the selectors again before a value is used.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from endpoint_audit.checkkit.collector import Results
from endpoint_audit.checkkit.windows_probe import as_dict, probe_value
from endpoint_audit.errors import CollectorError
from endpoint_audit.model.commands import PowerShell
from endpoint_audit.model.observed import Reason
from endpoint_audit.model.rule import (
    FEATURE_STATES,
    CimMatch,
    CimRead,
    OptionalFeatureRead,
    RegistryRead,
    ServiceRead,
)
from endpoint_audit.rules.facts import (
    ReadValue,
    absent_value,
    each_value,
    seen_value,
    unknown_value,
)

# The reads the rule's own probe answers (secpol and auditpol have shared probes).
ProbeRead = RegistryRead | CimRead | ServiceRead | OptionalFeatureRead

_SCRIPT = r"""
$EAReads = ConvertFrom-Json '__READS__'
$EAOutReads = @()
if ($EAFullLanguage) {
    $EAView = [Microsoft.Win32.RegistryView]::Registry64
    $EANoExpand = [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames
    $EAHives = @{
        HKLM = [Microsoft.Win32.RegistryKey]::OpenBaseKey(
            [Microsoft.Win32.RegistryHive]::LocalMachine, $EAView)
        HKU = [Microsoft.Win32.RegistryKey]::OpenBaseKey(
            [Microsoft.Win32.RegistryHive]::Users, $EAView)
    }
    function Read-EAValue($Base, $Path, $Name) {
        $entry = @{ state = 'unknown' }
        try {
            $key = $Base.OpenSubKey([string]$Path, $false)
            if ($null -eq $key) {
                $entry.state = 'absent'; $entry.absent = 'key'
            } elseif (@($key.GetValueNames()) -notcontains [string]$Name) {
                $entry.state = 'absent'; $entry.absent = 'value'
            } else {
                $kind = [string]$key.GetValueKind([string]$Name)
                $raw = $key.GetValue([string]$Name, $null, $EANoExpand)
                $entry.state = 'value'; $entry.kind = $kind
                if ($kind -eq 'DWord') {
                    $bytes = [BitConverter]::GetBytes([int32]$raw)
                    $entry.value = [BitConverter]::ToUInt32($bytes, 0)
                } elseif ($kind -eq 'QWord') {
                    $bytes = [BitConverter]::GetBytes([int64]$raw)
                    $entry.value = [BitConverter]::ToUInt64($bytes, 0)
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
        return $entry
    }
}
# A CIM value as JSON can carry it: numbers, booleans and text as they are, dates in
# ISO 8601, arrays as lists of text, anything else as its text.
function ConvertTo-EAPlain($Value) {
    if ($null -eq $Value) { return $null }
    if ($Value -is [bool] -or $Value -is [string]) { return $Value }
    if ($Value -is [datetime]) { return $Value.ToString('o') }
    if ($Value -is [array]) { return @($Value | ForEach-Object { [string]$_ }) }
    if ($Value -is [int] -or $Value -is [uint32] -or $Value -is [int64] -or
        $Value -is [uint64] -or $Value -is [int16] -or $Value -is [uint16] -or
        $Value -is [byte] -or $Value -is [sbyte] -or $Value -is [double] -or
        $Value -is [single]) { return $Value }
    return [string]$Value
}
foreach ($r in @($EAReads)) {
    $entry = @{ state = 'unknown' }
    try {
        if ($r.read -eq 'registry') {
            if ($EAFullLanguage) {
                if ($r.users) {
                    $users = @()
                    foreach ($sid in @($EAHives.HKU.GetSubKeyNames())) {
                        if ($sid -match '^S-1-(5-21|12-1)-[0-9-]+$') {
                            $one = Read-EAValue $EAHives.HKU ($sid + '\' + [string]$r.path) $r.value
                            $one.sid = $sid
                            $users += $one
                        }
                    }
                    $entry.state = 'users'; $entry.users = $users
                } else {
                    $entry = Read-EAValue $EAHives[[string]$r.hive] $r.path $r.value
                }
            } else {
                $entry.state = 'refused'; $entry.mode = $EALanguageMode
            }
        } elseif ($r.read -eq 'service_start') {
            $path = 'HKLM:\SYSTEM\CurrentControlSet\Services\' + [string]$r.name
            if (-not (Test-Path -LiteralPath $path)) {
                $entry.state = 'absent'; $entry.absent = 'service'
            } else {
                $start = (Get-ItemProperty -LiteralPath $path).Start
                if ($null -eq $start) {
                    $entry.state = 'absent'; $entry.absent = 'value'
                } elseif ($start -is [int]) {
                    $entry.state = 'value'; $entry.kind = 'DWord'; $entry.value = $start
                } else {
                    $entry.state = 'error'; $entry.error = 'Start is not a DWORD'
                }
            }
        } else {
            $found = @(Get-CimInstance -Namespace ([string]$r.namespace) `
                -ClassName ([string]$r.class) -Filter ([string]$r.filter) `
                -Property @($r.properties) -OperationTimeoutSec 30 -ErrorAction Stop)
            $instances = @()
            foreach ($i in $found) {
                $props = @{}
                foreach ($p in @($r.properties)) { $props[[string]$p] = ConvertTo-EAPlain $i.$p }
                $instances += $props
            }
            $entry.state = 'instances'; $entry.instances = $instances
        }
    } catch {
        $entry.state = 'error'; $entry.error = (Get-EAErrorType $_)
        $entry.message = [string]$_.Exception.Message
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

# Win32_Service State values (CIM schema: English words, never localized).
SERVICE_STATES = (
    "Stopped",
    "Start Pending",
    "Stop Pending",
    "Running",
    "Continue Pending",
    "Pause Pending",
    "Paused",
    "Unknown",
)


def probe_name(rule_id: str) -> str:
    return f"rule.{rule_id}"


def wql_filter(where: dict[str, CimMatch]) -> str:
    """A WQL WHERE clause of equality and ends-with tests: names match a strict
    pattern, texts hold no quote, backslash or LIKE wildcard (model/rule.py)."""
    parts = []
    for name, match in where.items():
        if match.ends_with is not None:
            parts.append(f"{name} LIKE '%{match.ends_with}'")
        elif isinstance(match.eq, bool):
            parts.append(f"{name} = {'TRUE' if match.eq else 'FALSE'}")
        elif isinstance(match.eq, int):
            parts.append(f"{name} = {match.eq}")
        else:
            parts.append(f"{name} = '{match.eq}'")
    return " AND ".join(parts)


def _cim_spec(namespace: str, cls: str, where: dict[str, CimMatch], prop: str) -> dict[str, Any]:
    properties = list(dict.fromkeys([prop, *where]))
    return {
        "read": "cim",
        "namespace": namespace,
        "class": cls,
        "filter": wql_filter(where),
        "properties": properties,
    }


def _spec(read: ProbeRead) -> dict[str, Any]:
    if isinstance(read, RegistryRead):
        return {
            "read": "registry",
            "hive": read.hive,
            "path": read.key_path,
            "value": read.value,
            "users": read.every_user,
        }
    if isinstance(read, CimRead):
        return _cim_spec(read.namespace, read.cim, read.where, read.prop)
    if isinstance(read, ServiceRead):
        if read.prop == "start_type":
            return {"read": "service_start", "name": read.service}
        return _cim_spec("root/cimv2", "Win32_Service", service_selector(read), "State")
    return _cim_spec("root/cimv2", "Win32_OptionalFeature", feature_selector(read), "InstallState")


def service_selector(read: ServiceRead) -> dict[str, CimMatch]:
    return {"Name": CimMatch(eq=read.service)}


def feature_selector(read: OptionalFeatureRead) -> dict[str, CimMatch]:
    return {"Name": CimMatch(eq=read.optional_feature)}


def rule_probe(rule_id: str, reads: Sequence[ProbeRead]) -> PowerShell:
    data = [_spec(r) for r in reads]
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":")).replace("'", "''")
    return PowerShell(probe_name(rule_id), _SCRIPT.replace("__READS__", text), clm_safe=True)


def parse_rule_probe(
    results: Results, probe: PowerShell, reads: Sequence[ProbeRead]
) -> list[ReadValue]:
    """One value per read, from the probe's answer. A probe the batch refused raises
    FactUnavailable; an answer of another shape is a CollectorError (never values made
    up)."""
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


def _one(entry: Any, read: ProbeRead, source: str) -> ReadValue:
    label = read.label()
    if not isinstance(entry, dict):
        return unknown_value(source, "read_failed", read=label, output=str(entry)[:80])
    state = entry.get("state")
    if state == "refused":
        mode = re.sub(r"[^A-Za-z]", "", str(entry.get("mode") or ""))[:40] or "unknown"
        return unknown_value(source, "registry_language_mode", read=label, mode=mode)
    if state == "denied":
        return unknown_value(source, "denied", read=label)
    if state == "error":
        what = str(entry.get("error") or "error")[:120]
        return unknown_value(source, "read_failed", read=label, output=what)
    if isinstance(read, RegistryRead):
        return _registry(entry, read, source)
    if isinstance(read, ServiceRead) and read.prop == "start_type":
        return _service_start(entry, read, source)
    return _instances(entry, read, source)


def _registry(entry: dict[str, Any], read: RegistryRead, source: str) -> ReadValue:
    if read.every_user:
        if entry.get("state") != "users":
            return unknown_value(source, "read_failed", read=read.label(), output="no users")
        users = entry.get("users")
        if isinstance(users, dict) and "value" in users:
            users = users["value"]
        items = [] if users is None else users if isinstance(users, list) else [users]
        values = []
        for item in items:
            sid = item.get("sid") if isinstance(item, dict) else None
            if not isinstance(sid, str) or not _USER_SID.match(sid):
                return unknown_value(source, "read_failed", read=read.label(), output=repr(item))
            values.append(_registry_value(item, read, source).model_copy(update={"who": sid}))
        return each_value(values, source)
    return _registry_value(entry, read, source)


_USER_SID = re.compile(r"^S-1-(5-21|12-1)-[0-9-]+$")


def _registry_value(entry: dict[str, Any], read: RegistryRead, source: str) -> ReadValue:
    label = read.label()
    state = entry.get("state")
    if state == "absent" and entry.get("absent") in ("key", "value"):
        return absent_value(entry["absent"], source)
    if state == "denied":
        return unknown_value(source, "denied", read=label)
    if state != "value":
        return unknown_value(
            source, "read_failed", read=label, output=str(entry.get("error") or state)
        )
    kind = str(entry.get("kind") or "")
    host_type = HOST_TYPES.get(kind, kind or None)
    value = entry.get("value")
    if kind in ("DWord", "QWord"):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return unknown_value(source, "read_failed", read=label, output=repr(value))
        return seen_value("number", value, source, host_type)
    if kind == "MultiString":
        if isinstance(value, dict) and "value" in value:
            value = value["value"]
        items = [] if value is None else value if isinstance(value, list) else [value]
        if not all(isinstance(v, str) for v in items):
            return unknown_value(source, "read_failed", read=label, output=repr(value))
        return seen_value("texts", [str(v) for v in items], source, host_type)
    if not isinstance(value, str):
        return unknown_value(source, "read_failed", read=label, output=repr(value))
    return seen_value("text", value, source, host_type)


def _service_start(entry: dict[str, Any], read: ServiceRead, source: str) -> ReadValue:
    state = entry.get("state")
    if state == "absent" and entry.get("absent") in ("service", "value"):
        return absent_value(entry["absent"], source)
    value = entry.get("value")
    if state != "value" or isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return unknown_value(source, "read_failed", read=read.label(), output=repr(value)[:80])
    return seen_value("number", value, source, "REG_DWORD")


def _selectors(read: CimRead | ServiceRead | OptionalFeatureRead) -> dict[str, CimMatch]:
    if isinstance(read, CimRead):
        return read.where
    if isinstance(read, ServiceRead):
        return service_selector(read)
    return feature_selector(read)


def _property(read: CimRead | ServiceRead | OptionalFeatureRead) -> str:
    if isinstance(read, CimRead):
        return read.prop
    return "State" if isinstance(read, ServiceRead) else "InstallState"


def _matches(value: Any, match: CimMatch) -> bool:
    # WQL compares text without regard to case.
    if match.ends_with is not None:
        return isinstance(value, str) and value.lower().endswith(match.ends_with.lower())
    if isinstance(match.eq, str):
        return isinstance(value, str) and value.lower() == match.eq.lower()
    if isinstance(match.eq, bool):
        return value is match.eq
    return not isinstance(value, bool) and value == match.eq


def _instances(
    entry: dict[str, Any], read: CimRead | ServiceRead | OptionalFeatureRead, source: str
) -> ReadValue:
    label = read.label()
    if entry.get("state") != "instances":
        return unknown_value(source, "read_failed", read=label, output=str(entry.get("state")))
    found = entry.get("instances")
    if isinstance(found, dict) and "value" in found and isinstance(found["value"], list):
        found = found["value"]
    items = [] if found is None else found if isinstance(found, list) else [found]
    selectors = _selectors(read)
    for item in items:
        if not isinstance(item, dict) or not all(
            _matches(item.get(name), match) for name, match in selectors.items()
        ):
            # The host answered an instance the filter excludes: not to be trusted.
            return unknown_value(source, "cim_inconsistent", read=label)
    if not items:
        if isinstance(read, ServiceRead):
            return absent_value("service", source)
        if isinstance(read, OptionalFeatureRead):
            return absent_value("feature", source)
        return absent_value("instance", source)
    if len(items) > 1:
        return unknown_value(source, "cim_many", read=label, count=len(items))
    value = items[0].get(_property(read))
    if isinstance(read, OptionalFeatureRead):
        if isinstance(value, bool) or value not in FEATURE_STATES:
            return unknown_value(source, "feature_state", read=label, value=repr(value)[:40])
        return seen_value("number", value, source)
    if isinstance(read, ServiceRead):
        if value not in SERVICE_STATES:
            return unknown_value(source, "read_failed", read=label, output=repr(value)[:80])
        return seen_value("text", value, source)
    return _plain(value, label, source)


def _plain(value: Any, label: str, source: str) -> ReadValue:
    if value is None:
        return absent_value("value", source)
    if isinstance(value, bool):
        return seen_value("bool", value, source)
    if isinstance(value, int | float):
        return seen_value("number", value, source)
    if isinstance(value, str):
        return seen_value("text", value, source)
    if isinstance(value, dict) and isinstance(value.get("value"), list):
        value = value["value"]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return seen_value("texts", [str(v) for v in value], source)
    return unknown_value(source, "read_failed", read=label, output=repr(value)[:80])
