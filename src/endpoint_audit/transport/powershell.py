"""Running PowerShell probes: one script, one process, one JSON document per host scan.

Windows PowerShell starts in 200 ms or more, so every probe of a scan runs inside one
`powershell.exe`. Each probe's script sets `$result` to plain data; the batch runs it in
its own scope inside try/catch and collects `{ok, value | error, ms}` per probe name into
one JSON document, printed between two marker lines so that anything else a host writes
to stdout (banners, warnings) cannot be mistaken for it.

The script is passed with `-EncodedCommand` (UTF-16LE, base64) when the command line is
short enough, and otherwise on stdin behind a fixed bootstrap, so no value is ever spliced
into a command line. The local transport and the SSH transport share these functions:
`build_batch_script`, `powershell_invocation`, `batch_results` / `parse_batch_output`.

The JSON is ASCII only (every other character as a \\uXXXX escape): Japanese Windows
consoles and OpenSSH sessions may use code page 932 whatever we ask for.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Sequence
from typing import Any

from msgspec import Struct

from endpoint_audit.model.commands import (
    EXIT_DENIED,
    EXIT_NOT_FOUND,
    EXIT_TIMEOUT,
    LANGUAGE_MODE_REFUSED,
    CommandResult,
    PowerShell,
)
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.model.valid_text import loads_json
from endpoint_audit.transport.base import dumps_value
from endpoint_audit.transport.detect import machine_guid

BEGIN_MARKER = "<<<ENDPOINT-AUDIT-JSON"
END_MARKER = "ENDPOINT-AUDIT-JSON>>>"

POWERSHELL_EXE = "powershell.exe"
POWERSHELL_FLAGS = ("-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass")
# CreateProcess refuses command lines longer than 32,767 characters (cmd.exe: 8,191,
# which an SSH transport whose remote shell is cmd.exe passes as `max_command_line`).
CREATE_PROCESS_LIMIT = 32_767
CMD_EXE_LIMIT = 8_191
# Seconds kept back from the batch's budget for serialising and writing the answer.
BATCH_RESERVE_SECONDS = 5

# Safe names only: they become PowerShell string literals and JSON keys.
_PROBE_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")

# Runs before the probes. It reads the session's language mode first, with constructs
# that every mode in which scripts run allows. Under Constrained Language Mode (CLM:
# PowerShell under an AppLocker or WDAC policy) only cmdlets, core language elements and
# the allowed types of about_Language_Modes (PowerShell 5.1: e.g. [string], [int],
# [datetime], [regex], [hashtable], [cultureinfo]) work; .NET static calls on other types
# (`[Console]`, `[Environment]`, `[PowerShell]::Create()`), `Add-Type`, most
# `New-Object` and COM but Scripting.Dictionary / Scripting.FileSystemObject /
# VBScript.RegExp fail. Everything outside `if ($EAFullLanguage) { }` below (and in the
# probes marked `clm_safe`) keeps to that; tests/windows/test_clm.py walks the syntax
# tree of every generated script to hold it there.
#
# Streams other than output are silenced so that nothing but the marked JSON is needed
# from stdout; progress records would otherwise reach stderr as CLIXML.
# `Invoke-EABounded` (FullLanguage only) runs a script block in a runspace of this same
# process and gives up after a time budget (capped by what is left of the batch's own
# budget). Under CLM no runspace can be made: probes run unbounded there, and the
# caller's timeout for the whole process still holds.
_PRELUDE = r"""
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$WarningPreference = 'SilentlyContinue'
$VerbosePreference = 'SilentlyContinue'
$InformationPreference = 'SilentlyContinue'
$EALanguageMode = [string]$ExecutionContext.SessionState.LanguageMode
$EAFullLanguage = $EALanguageMode -eq 'FullLanguage'
if ($EAFullLanguage) {
    try { [Console]::OutputEncoding = New-Object System.Text.UTF8Encoding($false) } catch { }
}
$EABatchStart = [datetime]::UtcNow
$EABatchBudget = __BUDGET__

if ($EAFullLanguage) {
    function Invoke-EABounded {
        param([scriptblock]$Block, [int]$Seconds)
        $spent = ([datetime]::UtcNow - $EABatchStart).TotalSeconds
        $left = [int]($EABatchBudget - $spent - __RESERVE__)
        if ($left -lt $Seconds) { $Seconds = $left }
        if ($Seconds -lt 1) { return @{ finished = $false; seconds = 0 } }
        $ps = [PowerShell]::Create()
        $null = $ps.AddScript($Block.ToString())
        $handle = $ps.BeginInvoke()
        if ($handle.AsyncWaitHandle.WaitOne($Seconds * 1000)) {
            $out = $ps.EndInvoke($handle)
            $ps.Dispose()
            $value = $null
            if ($out.Count -gt 0) { $value = $out[0] }
            return @{ finished = $true; seconds = $Seconds; value = $value }
        }
        $null = $ps.BeginStop($null, $null)
        return @{ finished = $false; seconds = $Seconds }
    }
}

function Get-EAMilliseconds($Since) {
    return [int](([datetime]::UtcNow - $Since).TotalMilliseconds)
}

function Get-EAErrorType($Record) {
    if ($EAFullLanguage) { return [string]$Record.Exception.GetType().FullName }
    return [string]$Record.FullyQualifiedErrorId
}

# Depth 12: a rule's CIM read nests a list of values in an instance in a list of
# instances in a read in the probe's list of reads, under the batch's own two levels.
# Every character outside ASCII as a \uXXXX escape (each UTF-16 unit on its own, so
# surrogate pairs stay valid JSON), with string methods only: no MatchEvaluator delegate.
function ConvertTo-EAAsciiJson {
    param($Value)
    $json = ConvertTo-Json -InputObject $Value -Depth 12 -Compress
    foreach ($m in [regex]::Matches($json, '[^\x00-\x7F]')) {
        $json = $json.Replace($m.Value, ('\u{0:x4}' -f [int][char]$m.Value))
    }
    return $json
}

$EAOut = @{}
$EAOut['_prelude'] = @{
    language_mode = $EALanguageMode
    ps_version = [string]$PSVersionTable.PSVersion
    process_arch = [string]$env:PROCESSOR_ARCHITECTURE
    wow64_arch = [string]$env:PROCESSOR_ARCHITEW6432
}
"""

_PROBE_TEMPLATE = r"""
$EAStart = [datetime]::UtcNow
try {
    $EAValue = & {
        $result = $null
        $null = . {
__SCRIPT__
        }
        @{ v = $result }
    }
    $EAOut['__NAME__'] = @{ ok = $true; value = $EAValue.v; ms = (Get-EAMilliseconds $EAStart) }
} catch {
    $EAOut['__NAME__'] = @{
        ok = $false
        error = [string]$_.Exception.Message
        error_type = (Get-EAErrorType $_)
        hresult = $_.Exception.HResult
        ms = (Get-EAMilliseconds $EAStart)
    }
}
"""

# A probe that needs more than CLM allows runs only in FullLanguage; otherwise its entry
# says it was refused, which the collectors turn into `unknown` naming the mode.
_FULL_LANGUAGE_ONLY = r"""
if ($EAFullLanguage) {
__BLOCK__
} else {
    $EAOut['__NAME__'] = @{ ok = $false; refused = $EALanguageMode; ms = 0 }
}
"""

_EPILOGUE = r"""
$EAJson = ConvertTo-EAAsciiJson -Value $EAOut
$EADocument = "`n__BEGIN__`n" + $EAJson + "`n__END__`n"
if ($EAFullLanguage) {
    [Console]::Out.Write($EADocument)
    [Console]::Out.Flush()
    [Environment]::Exit(0)
}
Write-Output $EADocument
exit 0
"""

# Given on the command line when the script comes on stdin: read all of stdin (the ASCII
# script, which no console code page can alter), then run it. Under CLM `[Console]` and
# `[scriptblock]::Create` are not allowed, but `$input` (stdin's lines) and
# Invoke-Expression are.
_STDIN_BOOTSTRAP = (
    "$ErrorActionPreference = 'Stop'; "
    "$EAFullLanguage = $ExecutionContext.SessionState.LanguageMode -eq 'FullLanguage'; "
    "if ($EAFullLanguage) { "
    "& ([scriptblock]::Create([Console]::In.ReadToEnd())) "
    '} else { Invoke-Expression (@($input) -join "`n") }'
)

# The name of the batch document's own entry (not a probe: probe names start with a letter).
PRELUDE_ENTRY = "_prelude"


def _check_name(name: str) -> str:
    if not _PROBE_NAME.match(name):
        raise ValueError(f"PowerShell probe name {name!r} must match {_PROBE_NAME.pattern}")
    return name


def _indent(script: str, spaces: int) -> str:
    pad = " " * spaces
    return "\n".join(pad + line if line.strip() else "" for line in script.strip().splitlines())


def build_batch_script(probes: Sequence[PowerShell], budget_seconds: float = 60.0) -> str:
    """One script that runs every probe and prints one marked JSON document.

    Probes run in the order given, each in its own scope and try/catch, so one failing
    probe never hides the others. `budget_seconds` is the time the caller will wait for
    the whole process; bounded probes (`Invoke-EABounded`) stop in time to report.
    """
    script = batch_body(probes, budget_seconds) + _EPILOGUE.replace(
        "__BEGIN__", BEGIN_MARKER
    ).replace("__END__", END_MARKER)
    if not script.isascii():
        # Keeps the script independent of code pages; probes spell non-ASCII as [char].
        raise ValueError("PowerShell probe scripts must be ASCII")
    return script


def batch_body(probes: Sequence[PowerShell], budget_seconds: float) -> str:
    """The batch without its epilogue: it leaves every probe's answer in `$EAOut`, and
    `ConvertTo-EAAsciiJson` defined. Exported probe scripts (`probe export`) run the same
    body and store `$EAOut` in a bundle file instead of printing it."""
    seen: set[str] = set()
    parts = [
        _PRELUDE.replace("__BUDGET__", str(max(1, int(budget_seconds)))).replace(
            "__RESERVE__", str(BATCH_RESERVE_SECONDS)
        )
    ]
    for probe in probes:
        name = _check_name(probe.name)
        if name in seen:
            continue
        seen.add(name)
        block = _PROBE_TEMPLATE.replace("__SCRIPT__", _indent(probe.script, 12)).replace(
            "__NAME__", name
        )
        if not probe.clm_safe:
            block = _FULL_LANGUAGE_ONLY.replace("__NAME__", name).replace(
                "__BLOCK__", block.strip("\n")
            )
        parts.append(block)
    return "".join(parts)


def encode_command(script: str) -> str:
    """The `-EncodedCommand` form: base64 of the UTF-16LE script."""
    return base64.b64encode(script.encode("utf-16-le")).decode("ascii")


def powershell_argv(script: str, executable: str = POWERSHELL_EXE) -> tuple[str, ...]:
    """argv that runs `script` from the command line alone (`-EncodedCommand`)."""
    return (executable, *POWERSHELL_FLAGS, "-EncodedCommand", encode_command(script))


class PowerShellInvocation(Struct, frozen=True):
    """How to start PowerShell for one script: argv, plus bytes for stdin when the
    script is too long for a command line."""

    argv: tuple[str, ...]
    stdin: bytes | None = None


def command_line_length(argv: Sequence[str]) -> int:
    """Characters of the Windows command line for argv (quotes around spaced words)."""
    return sum(len(a) + (2 if " " in a else 0) for a in argv) + max(0, len(argv) - 1)


def powershell_invocation(
    script: str,
    executable: str = POWERSHELL_EXE,
    max_command_line: int = CREATE_PROCESS_LIMIT,
) -> PowerShellInvocation:
    """argv with `-EncodedCommand` if it fits in `max_command_line`, else a constant
    bootstrap on the command line and the script (ASCII, as batch scripts are) on stdin."""
    argv = powershell_argv(script, executable)
    if command_line_length(argv) <= max_command_line:
        return PowerShellInvocation(argv)
    bootstrap = powershell_argv(_STDIN_BOOTSTRAP, executable)
    return PowerShellInvocation(bootstrap, stdin=script.encode("ascii") + b"\n")


def _unwrap_arrays(value: Any) -> Any:
    """Windows PowerShell 5.1 serialises a PSObject-wrapped array as
    {"value": [...], "Count": n}; turn that back into the list."""
    if isinstance(value, list):
        return [_unwrap_arrays(v) for v in value]
    if isinstance(value, dict):
        if (
            set(value) == {"value", "Count"}
            and isinstance(value["value"], list)
            and value["Count"] == len(value["value"])
        ):
            return [_unwrap_arrays(v) for v in value["value"]]
        return {k: _unwrap_arrays(v) for k, v in value.items()}
    return value


def extract_batch_document(stdout: str) -> dict[str, Any] | None:
    """The JSON document between the markers (the last one if there are several)."""
    end = stdout.rfind(END_MARKER)
    if end < 0:
        return None
    begin = stdout.rfind(BEGIN_MARKER, 0, end)
    if begin < 0:
        return None
    # ConvertTo-Json -Compress writes no line breaks (they are \n escapes inside strings),
    # so any the console host inserted (Write-Output under CLM) are dropped.
    text = stdout[begin + len(BEGIN_MARKER) : end].replace("\r", "").replace("\n", "")
    try:
        data = loads_json(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _probe_result(entry: Any) -> CommandResult:
    if not isinstance(entry, dict):
        return CommandResult(1, stderr="the probe's answer is not an object")
    refused = entry.get("refused")
    if entry.get("ok") is not True and isinstance(refused, str) and refused:
        mode = re.sub(r"[^A-Za-z]", "", refused)[:40] or "unknown"
        return CommandResult(
            EXIT_DENIED,
            stderr=f"{LANGUAGE_MODE_REFUSED} {mode}: the probe needs .NET or COM calls "
            "that this language mode does not allow, so it was not run",
        )
    duration = entry.get("ms")
    seconds = float(duration) / 1000 if isinstance(duration, int | float) else 0.0
    if entry.get("ok") is True:
        return CommandResult(
            0, stdout=dumps_value(_unwrap_arrays(entry.get("value"))), duration=seconds
        )
    message = str(entry.get("error") or "the probe failed without a message")
    kind = entry.get("error_type")
    hresult = entry.get("hresult")
    detail = message.strip()
    if isinstance(kind, str) and kind:
        detail += f" [{kind}"
        if isinstance(hresult, int):
            detail += f", HRESULT 0x{hresult & 0xFFFFFFFF:08X}"
        detail += "]"
    return CommandResult(1, stderr=detail, duration=seconds)


def document_results(document: dict[str, Any]) -> dict[str, CommandResult]:
    """Each probe's CommandResult by key from a batch document already parsed, e.g. the
    one an exported probe script stores in its bundle (`powershell_batch`)."""
    return {
        PowerShell(_check_name(str(name)), "").key: _probe_result(entry)
        for name, entry in document.items()
        if name != PRELUDE_ENTRY
    }


def document_prelude(document: dict[str, Any]) -> dict[str, Any]:
    """What the batch's prelude saw before any probe ran: `language_mode`
    (FullLanguage, ConstrainedLanguage), `ps_version`, `process_arch` and `wow64_arch`
    (set only in a 32-bit process on 64-bit Windows). Empty for older documents."""
    entry = document.get(PRELUDE_ENTRY)
    return entry if isinstance(entry, dict) else {}


def parse_batch_output(
    stdout: str, probes: Sequence[PowerShell], stderr: str = ""
) -> dict[str, CommandResult]:
    """Each probe's CommandResult by key: exit 0 with the JSON of its value in stdout,
    or exit 1 with the error in stderr. A probe missing from the document (or no
    document at all) is exit 1 naming why, never a success."""
    document = extract_batch_document(stdout)
    out: dict[str, CommandResult] = {}
    if document is None:
        why = (stderr.strip() or stdout.strip()).replace("\r", "")[:400]
        reason = "PowerShell printed no result document" + (f": {why}" if why else "")
        return {p.key: CommandResult(1, stderr=reason) for p in probes}
    for probe in probes:
        entry = document.get(probe.name)
        if entry is None:
            out[probe.key] = CommandResult(1, stderr=f"probe {probe.name!r} did not report")
        else:
            out[probe.key] = _probe_result(entry)
    return out


def batch_results(process: CommandResult, probes: Sequence[PowerShell]) -> dict[str, CommandResult]:
    """Per-probe results from the result of the one PowerShell process."""
    if process.timed_out or process.exit_status == EXIT_TIMEOUT:
        failed = CommandResult(
            EXIT_TIMEOUT,
            stderr=f"PowerShell batch: {process.stderr.strip() or 'timed out'}",
            duration=process.duration,
            timed_out=True,
        )
        return {p.key: failed for p in probes}
    if process.exit_status == EXIT_NOT_FOUND:
        failed = CommandResult(EXIT_NOT_FOUND, stderr=process.stderr or "powershell not found")
        return {p.key: failed for p in probes}
    return parse_batch_output(process.stdout, probes, process.stderr)


async def run_batch_locally(
    probes: Sequence[PowerShell], timeout: float, executable: str = POWERSHELL_EXE
) -> dict[str, CommandResult]:
    """Run every probe in one local PowerShell process."""
    from endpoint_audit.transport.local import run_argv
    from endpoint_audit.transport.windows_text import decode_windows_output

    invocation = powershell_invocation(build_batch_script(probes, timeout), executable)
    process = await run_argv(
        invocation.argv, dict(os.environ), timeout, invocation.stdin, decode_windows_output
    )
    return batch_results(process, probes)


# --- platform detection --------------------------------------------------------------

# CLM-safe. Elevation: in FullLanguage from the token (WindowsPrincipal); under CLM from
# the token's mandatory label as `whoami /groups` lists it (SIDs are never localized):
# High (S-1-16-12288) or System (S-1-16-16384) integrity is what an elevated
# Administrators token has under UAC. Bitness from the WOW64 variables
# (PROCESSOR_ARCHITEW6432 exists only in a 32-bit process on 64-bit Windows), which CLM
# can read where [Environment]::Is64BitProcess is not allowed. A 32-bit process reads
# HKLM\SOFTWARE through WOW6432Node (MicrosoftDocs/win32
# desktop-src/WinProg64/shared-registry-keys.md), so `is_64bit_process` tells whether
# the registry facts of a batch are those of the 64-bit view.
PLATFORM = PowerShell(
    "platform",
    r"""
$cv = Get-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
$caption = $null
try { $caption = [string](Get-CimInstance -ClassName Win32_OperatingSystem).Caption } catch { }
$isAdmin = $null
if ($EAFullLanguage) {
    $identity = [Security.Principal.WindowsIdentity]::GetCurrent()
    $principal = New-Object Security.Principal.WindowsPrincipal($identity)
    $isAdmin = $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)
} else {
    try {
        $groups = @(& "$env:SystemRoot\System32\whoami.exe" /groups /fo csv /nh)
        $labels = @($groups -match '"S-1-16-(12288|16384)"')
        if ($LASTEXITCODE -eq 0) { $isAdmin = $labels.Count -gt 0 }
    } catch { }
}
$processArch = [string]$env:PROCESSOR_ARCHITECTURE
$wow64Arch = [string]$env:PROCESSOR_ARCHITEW6432
$osArch = $processArch
if ($wow64Arch) { $osArch = $wow64Arch }
$is64Process = @('AMD64', 'ARM64', 'IA64') -contains $processArch
$result = @{
    current_build = [string]$cv.CurrentBuildNumber
    ubr = $cv.UBR
    display_version = [string]$cv.DisplayVersion
    edition_id = [string]$cv.EditionID
    installation_type = [string]$cv.InstallationType
    product_name = [string]$cv.ProductName
    caption = $caption
    hostname = [string]$env:COMPUTERNAME
    arch = $osArch
    process_arch = $processArch
    is_64bit_process = $is64Process
    is_64bit_os = $is64Process -or [bool]$wow64Arch
    language_mode = [string]$ExecutionContext.SessionState.LanguageMode
    is_admin = $isAdmin
    machine_guid = $null
}
# MachineGuid (HKLM\SOFTWARE\Microsoft\Cryptography): in FullLanguage from the 64-bit
# registry view whatever the process's bitness; under CLM through the registry provider,
# which a 32-bit process sees redirected to WOW6432Node, where the value is absent (so
# the id is then unknown, never another key's).
if ($EAFullLanguage) {
    try {
        $hklm = [Microsoft.Win32.RegistryKey]::OpenBaseKey(
            [Microsoft.Win32.RegistryHive]::LocalMachine,
            [Microsoft.Win32.RegistryView]::Registry64)
        $crypto = $hklm.OpenSubKey('SOFTWARE\Microsoft\Cryptography')
        $result.machine_guid = [string]$crypto.GetValue('MachineGuid')
    } catch { }
}
if (-not $result.machine_guid) {
    try {
        $crypto = Get-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\Cryptography' -ErrorAction Stop
        $result.machine_guid = [string]$crypto.MachineGuid
    } catch { }
}
""",
    clm_safe=True,
)

# EditionID (registry, never localized) -> the name Microsoft sells it under.
_EDITIONS = {
    "core": "Home",
    "coresinglelanguage": "Home Single Language",
    "professional": "Pro",
    "professionalworkstation": "Pro for Workstations",
    "professionaleducation": "Pro Education",
    "enterprise": "Enterprise",
    "enterprises": "Enterprise LTSC",
    "education": "Education",
    "iotenterprise": "IoT Enterprise",
    "iotenterprises": "IoT Enterprise LTSC",
    "serverstandard": "Server Standard",
    "serverdatacenter": "Server Datacenter",
}

WINDOWS_11_FIRST_BUILD = 22000


def windows_name(build: int, edition_id: str | None, installation_type: str | None) -> str:
    """ "Windows 11 Pro" from the build number, never from ProductName (which says
    "Windows 10" on Windows 11)."""
    if (installation_type or "").lower().startswith("server"):
        base = "Windows Server"
    else:
        base = "Windows 11" if build >= WINDOWS_11_FIRST_BUILD else "Windows 10"
    edition = _EDITIONS.get((edition_id or "").lower(), edition_id or "")
    if base == "Windows Server" and edition.startswith("Server "):
        edition = edition.removeprefix("Server ")
    return f"{base} {edition}".strip()


def platform_from_probe(result: CommandResult, transport: str = "ssh") -> PlatformInfo:
    """PlatformInfo from the PLATFORM probe; family UNKNOWN when it failed."""
    if not result.ok:
        said = (result.stderr.strip() or result.stdout.strip()).splitlines()
        return _undetected(
            f"the PowerShell platform probe exited {result.exit_status}"
            + (f": {said[0][:80]!r}" if said else ""),
            transport,
        )
    try:
        data = loads_json(result.stdout)
    except ValueError:
        return _undetected("the PowerShell platform probe did not answer in JSON", transport)
    if not isinstance(data, dict):
        return _undetected("the PowerShell platform probe did not answer an object", transport)
    machine_id = machine_guid(data.get("machine_guid"))
    build_text = str(data.get("current_build") or "").strip()
    if not build_text.isdigit():
        return PlatformInfo(
            family=OsFamily.WINDOWS,
            distro="windows",
            hostname=_text(data.get("hostname")),
            is_admin=_bool(data.get("is_admin")),
            transport=transport,
            machine_id=machine_id,
        )
    build = int(build_text)
    ubr = data.get("ubr")
    full_build = f"{build}.{ubr}" if isinstance(ubr, int) and ubr >= 0 else str(build)
    name = windows_name(build, _text(data.get("edition_id")), _text(data.get("installation_type")))
    display = _text(data.get("display_version"))
    pretty = f"{name} {display}" if display else name
    return PlatformInfo(
        family=OsFamily.WINDOWS,
        distro="windows",
        version=f"10.0.{build}",
        build=full_build,
        pretty_name=f"{pretty} (build {full_build})",
        arch=_text(data.get("arch")),
        hostname=_text(data.get("hostname")),
        is_admin=_bool(data.get("is_admin")),
        transport=transport,
        machine_id=machine_id,
    )


def _undetected(reason: str, transport: str) -> PlatformInfo:
    return PlatformInfo(family=OsFamily.UNKNOWN, detection_error=reason, transport=transport)


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None
