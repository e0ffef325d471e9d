"""Standalone probe scripts (`probe export`): audit PCs that have neither Python nor an
SSH server. IT staff push the script with the tools they have (Intune, Configuration
Manager, a logon task); it writes one bundle file that `evaluate` judges.

One source of truth: the script is generated from the collectors' own commands
(`Collector.probe_commands`, for every platform variant the script may meet) and, on
Windows, from the same PowerShell batch body the transports run. A script cannot call
back into Python between rounds, so it runs every command the collectors may ask for;
evaluation then replays the rounds and each collector picks what it needs.
"""

from __future__ import annotations

import json
import shlex
import unicodedata
from collections.abc import Sequence

from msgspec import Struct

from endpoint_audit import __version__
from endpoint_audit.engine.collect import all_fact_types
from endpoint_audit.engine.registry import Registry
from endpoint_audit.model.commands import Argv, Command, PowerShell, ReadFile
from endpoint_audit.model.platform import PROBE_SCRIPT_TRANSPORT, OsFamily, PlatformInfo
from endpoint_audit.transport.detect import (
    DBUS_MACHINE_ID,
    ID_U,
    IOREG_PLATFORM,
    MACHINE_ID,
    OS_RELEASE,
    SW_VERS,
    UNAME,
)
from endpoint_audit.transport.posix_batch import MAX_STREAM_BYTES
from endpoint_audit.transport.powershell import PLATFORM, batch_body
from endpoint_audit.transport.replay import probe_script_capabilities
from endpoint_audit.transport.transcript import (
    BUNDLE_FORMAT,
    BUNDLE_VERSION,
    PROBE_SCRIPT_VERSION,
)

EXPORTABLE = (OsFamily.WINDOWS, OsFamily.MACOS, OsFamily.LINUX)
DEFAULT_COMMAND_SECONDS = 60
DEFAULT_TOTAL_SECONDS = 600
# A fixed PATH: the script often runs as root or SYSTEM from a management agent, whose
# inherited PATH is not ours to trust.
POSIX_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def _probe_platform(family: OsFamily, **fields: object) -> PlatformInfo:
    """A platform a script may meet, with what a script can do there (no follow-ups)."""
    platform = PlatformInfo.model_validate(
        {"family": family, "transport": PROBE_SCRIPT_TRANSPORT, **fields}
    )
    return platform.with_capabilities(probe_script_capabilities(family))


# The platforms a script for each OS may meet. Collectors choose commands by os-release
# ID/ID_LIKE (apt on Debian-likes, dnf on RHEL-likes, both probed elsewhere) and by macOS
# version, so the script runs the union of what each variant asks for.
PLATFORM_VARIANTS: dict[OsFamily, tuple[PlatformInfo, ...]] = {
    OsFamily.LINUX: (
        _probe_platform(OsFamily.LINUX, distro="debian", version="12"),
        _probe_platform(OsFamily.LINUX, distro="ubuntu", distro_like=("debian",), version="24.04"),
        _probe_platform(OsFamily.LINUX, distro="rhel", distro_like=("fedora",), version="9.4"),
        _probe_platform(OsFamily.LINUX, distro="fedora", version="40"),
        _probe_platform(OsFamily.LINUX, distro="opensuse-leap", distro_like=("suse",)),
        _probe_platform(OsFamily.LINUX),
    ),
    OsFamily.MACOS: tuple(
        _probe_platform(OsFamily.MACOS, distro="macos", version=v, is_admin=admin)
        for v in ("13.7", "14.7", "15.1")
        for admin in (True, False)
    ),
    OsFamily.WINDOWS: tuple(
        _probe_platform(OsFamily.WINDOWS, distro="windows", version=v, is_admin=admin)
        for v in ("10.0.19045", "10.0.22631", "10.0.26100")
        for admin in (True, False)
    ),
}

# What `evaluate` needs to tell the platform (transport/detect.py, platform_from_probe).
DETECTION: dict[OsFamily, tuple[Command, ...]] = {
    OsFamily.LINUX: (UNAME, ID_U, OS_RELEASE, MACHINE_ID, DBUS_MACHINE_ID),
    OsFamily.MACOS: (UNAME, ID_U, SW_VERS, IOREG_PLATFORM),
    OsFamily.WINDOWS: (PLATFORM,),
}


def probe_commands(registry: Registry, family: OsFamily) -> list[Command]:
    """Every command a script for `family` runs: detection first, then each collector's
    `probe_commands` for every platform variant, without repeats (by key)."""
    if family not in EXPORTABLE:
        raise ValueError(f"no probe script for {family.value}")
    out: dict[str, Command] = {c.key: c for c in DETECTION[family]}
    fact_types = all_fact_types(registry)
    for variant in PLATFORM_VARIANTS[family]:
        for fact_type in fact_types:
            collector = registry.collector_for(fact_type, variant)
            if collector is None:
                continue
            for command in collector.probe_commands(variant):
                out.setdefault(command.key, command)
    return list(out.values())


class ExportOptions(Struct, frozen=True):
    command_seconds: int = DEFAULT_COMMAND_SECONDS
    total_seconds: int = DEFAULT_TOTAL_SECONDS
    # Where the script writes when run without an argument (Intune passes none).
    default_output: str = "."
    # The host group the PCs running this script belong to (a 課, a site): written into
    # every bundle, so their reports and history can be broken down by it.
    group: str | None = None

    def __post_init__(self) -> None:
        # Any language is fine (a share named 監査$); line breaks and other controls are not.
        if not self.default_output or any(
            unicodedata.category(c) in ("Cc", "Zl", "Zp", "Cs") for c in self.default_output
        ):
            raise ValueError("the default output folder must be a path on one line")
        if self.group is not None and (
            not self.group.strip() or not self.group.isprintable() or len(self.group) > 100
        ):
            raise ValueError("the group must be a name on one line of at most 100 characters")


def group_field(options: ExportOptions) -> str:
    """`,"group":"..."` for the bundle's host entry (JSON, ASCII-escaped), or ""."""
    if options.group is None:
        return ""
    return ',"group":' + json.dumps(options.group.strip(), ensure_ascii=True)


def export_script(
    registry: Registry, family: OsFamily, options: ExportOptions | None = None
) -> str:
    """The standalone script for `family`: PowerShell 5.1 for Windows, POSIX sh else."""
    options = options or ExportOptions()
    if options.command_seconds < 1 or options.total_seconds < options.command_seconds:
        raise ValueError("time budgets: 1 <= per command <= total")
    commands = probe_commands(registry, family)
    if family is OsFamily.WINDOWS:
        probes = [c for c in commands if isinstance(c, PowerShell)]
        if len(probes) != len(commands):
            raise ValueError("a Windows collector asked for a command that is not PowerShell")
        return powershell_script(probes, options)
    return posix_script(commands, family, options)


def suggested_name(family: OsFamily) -> str:
    suffix = "ps1" if family is OsFamily.WINDOWS else "sh"
    return f"endpoint-audit-probe-{family.value}.{suffix}"


# --- POSIX sh --------------------------------------------------------------------------


def posix_line(command: Command) -> str:
    """The command as one sh line, every word quoted; never a value from the host."""
    if isinstance(command, Argv):
        env = [f"{name}={value}" for name, value in command.env]
        return shlex.join(["env", *env, *command.argv])
    if isinstance(command, ReadFile):
        return shlex.join(["cat", "--", command.path])
    raise ValueError(f"{command.key}: a POSIX probe script cannot run {type(command).__name__}")


_POSIX_HEAD = r"""#!/bin/sh
# endpoint-audit probe script for __FAMILY__ (script version __SCRIPT_VERSION__, generated by
# endpoint-audit __TOOL_VERSION__ with `endpoint-audit probe export --os __FAMILY__`).
#
# Usage: sh __NAME__ [OUTPUT_FILE_OR_FOLDER]
#
# Runs read-only commands (no administrator rights needed; those that need them record
# their refusal), without network access of its own, and writes one JSON bundle to the
# folder given (default: the current folder), named after the host and the UTC time,
# through a temporary file in that same folder. Nothing else is written anywhere.
# Judge the files with `endpoint-audit evaluate FILE_OR_FOLDER`.
# Generated file: do not edit (the commands must match what the tool expects).

PATH=__PATH__
export PATH
LC_ALL=C
export LC_ALL
umask 077

EA_COMMAND_SECONDS=__COMMAND_SECONDS__
EA_TOTAL_SECONDS=__TOTAL_SECONDS__
EA_MAX_BYTES=__MAX_BYTES__

ea_fail() {
    printf 'endpoint-audit probe: %s\n' "$1" >&2
    exit 3
}

for ea_tool in base64 date head mktemp mv tr uname; do
    command -v "$ea_tool" >/dev/null 2>&1 || ea_fail "needs $ea_tool"
done

ea_default=__DEFAULT_OUTPUT__
ea_out=${1:-$ea_default}
if [ -d "$ea_out" ]; then
    ea_dir=$ea_out
    ea_file=
else
    ea_dir=$(dirname -- "$ea_out")
    ea_file=$(basename -- "$ea_out")
    [ -d "$ea_dir" ] || ea_fail "no such folder: $ea_dir"
fi
ea_host=$(uname -n 2>/dev/null | tr -c 'A-Za-z0-9._-' '_')
ea_host=${ea_host%_}
[ -n "$ea_host" ] || ea_host=unknown-host
ea_stamp=$(date -u +%Y%m%dT%H%M%SZ)
ea_collected=$(date -u +%Y-%m-%dT%H:%M:%SZ)
[ -n "$ea_file" ] || ea_file="endpoint-audit-$ea_host-$ea_stamp.json"

# The work folder lies in the output folder, so the final rename is atomic and nothing is
# written outside it.
ea_work=$(mktemp -d "$ea_dir/.endpoint-audit-probe.XXXXXX") || ea_fail "cannot write in $ea_dir"
trap 'rm -rf "$ea_work"' EXIT
trap 'exit 130' HUP INT TERM
ea_start=$(date +%s)
ea_deadline=$((ea_start + EA_TOTAL_SECONDS))
ea_sep=
ea_n=0
: >"$ea_work/commands"

ea_b64() {
    head -c "$EA_MAX_BYTES" "$1" | base64 | tr -d '\r\n'
}

# ea_record KEY_JSON STATUS TIMED_OUT SECONDS: append one command's result (base64, since
# sh cannot escape arbitrary bytes into JSON).
ea_record() {
    {
        printf '%s%s:{"exit_status":%s,"timed_out":%s,"duration":%s,"stdout_b64":"' \
            "$ea_sep" "$1" "$2" "$3" "$4"
        ea_b64 "$ea_work/o"
        printf '","stderr_b64":"'
        ea_b64 "$ea_work/e"
        printf '"}'
    } >>"$ea_work/commands"
    ea_sep=,
}

# ea_watch STARTED KEY_JSON: wait for the command started as $ea_pid under a watchdog
# (macOS has no `timeout`): after its share of the budget it is killed and recorded as
# timed out. The watchdog polls for the command's done-file instead of being signalled,
# so no signal can be lost, and it never kills a process that has already been reaped.
ea_watch() {
    ea_n=$((ea_n + 1))
    ea_left=$((ea_deadline - $1))
    ea_limit=$EA_COMMAND_SECONDS
    [ "$ea_left" -lt "$ea_limit" ] && ea_limit=$ea_left
    ( i=0
      while [ "$i" -lt "$ea_limit" ]; do
          sleep 1
          [ -e "$ea_work/x$ea_n" ] && exit 0
          i=$((i + 1))
      done
      [ -e "$ea_work/x$ea_n" ] || { : >"$ea_work/t$ea_n"; kill -9 "$ea_pid"; } ) \
        </dev/null >/dev/null 2>&1 &
    wait "$ea_pid"
    ea_status=$?
    : >"$ea_work/x$ea_n"
    ea_seconds=$(($(date +%s) - $1))
    if [ -e "$ea_work/t$ea_n" ]; then
        printf '\ntimed out after %s s' "$ea_limit" >>"$ea_work/e"
        ea_record "$2" 124 true "$ea_seconds"
    else
        ea_record "$2" "$ea_status" false "$ea_seconds"
    fi
}

# ea_budget_left KEY_JSON: false (and the command recorded as not run) once the script's
# own time budget is spent.
ea_budget_left() {
    ea_now=$(date +%s)
    if [ "$ea_now" -lt "$ea_deadline" ]; then
        return 0
    fi
    : >"$ea_work/o"
    printf 'not run: the probe script time budget of %s s was used up' "$EA_TOTAL_SECONDS" \
        >"$ea_work/e"
    ea_record "$1" 124 true 0
    return 1
}
"""

_POSIX_COMMAND = r"""
if ea_budget_left __KEY__; then
    ( exec __LINE__ ) </dev/null >"$ea_work/o" 2>"$ea_work/e" &
    ea_pid=$!
    ea_watch "$ea_now" __KEY__
fi
"""

_POSIX_TAIL = r"""
wait  # the watchdogs: each ends within a second of its command
{
    printf '{"format":"__FORMAT__","version":__BUNDLE_VERSION__,'
    printf '"script_version":__SCRIPT_VERSION__,'
    printf '"tool_version":"__TOOL_VERSION__","hosts":[{"target":"%s",' "$ea_host"
    printf '"collected_at":"%s"' "$ea_collected"
    printf '%s' __GROUP_FIELD__
    printf ',"platform":null,'
    printf '"probe":{"os":"__FAMILY__","command_seconds":%s,"total_seconds":%s},' \
        "$EA_COMMAND_SECONDS" "$EA_TOTAL_SECONDS"
    printf '"commands":{'
    cat "$ea_work/commands"
    printf '}}]}\n'
} >"$ea_work/bundle.json" || ea_fail "cannot write in $ea_dir"
mv -f "$ea_work/bundle.json" "$ea_dir/$ea_file" || ea_fail "cannot write $ea_dir/$ea_file"
printf '%s\n' "$ea_dir/$ea_file"
exit 0
"""


def _sh_quote_json(key: str) -> str:
    """The key as a JSON string, quoted once more for sh."""
    return shlex.quote(json.dumps(key))


def posix_script(commands: Sequence[Command], family: OsFamily, options: ExportOptions) -> str:
    values = {
        "__FAMILY__": family.value,
        "__SCRIPT_VERSION__": str(PROBE_SCRIPT_VERSION),
        "__TOOL_VERSION__": _plain(__version__),
        "__NAME__": suggested_name(family),
        "__PATH__": POSIX_PATH,
        "__COMMAND_SECONDS__": str(int(options.command_seconds)),
        "__TOTAL_SECONDS__": str(int(options.total_seconds)),
        "__MAX_BYTES__": str(MAX_STREAM_BYTES),
        "__DEFAULT_OUTPUT__": shlex.quote(options.default_output),
        "__FORMAT__": BUNDLE_FORMAT,
        "__BUNDLE_VERSION__": str(BUNDLE_VERSION),
    }
    # Filled last: text from the command line must not be taken for a placeholder.
    values["__GROUP_FIELD__"] = shlex.quote(group_field(options))
    parts = [_fill(_POSIX_HEAD, values)]
    parts.extend(
        _POSIX_COMMAND.replace("__LINE__", posix_line(c)).replace("__KEY__", _sh_quote_json(c.key))
        for c in commands
    )
    parts.append(_fill(_POSIX_TAIL, values))
    return "".join(parts)


def _fill(template: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        template = template.replace(name, value)
    return template


def _plain(text: str) -> str:
    """A constant of ours placed inside quotes in a script: letters, digits, . + -."""
    if not all(c.isalnum() or c in ".+-_" for c in text):
        raise ValueError(f"unexpected characters in {text!r}")
    return text


# --- PowerShell ------------------------------------------------------------------------

_PS_HEAD = r"""# endpoint-audit probe script for Windows (script version __SCRIPT_VERSION__,
# generated by endpoint-audit __TOOL_VERSION__ with `endpoint-audit probe export --os windows`).
#
# Usage: powershell.exe -NoProfile -ExecutionPolicy Bypass -File __NAME__ [OUTPUT_FILE_OR_FOLDER]
#
# Windows PowerShell 5.1. Reads the registry, CIM and Windows Update state; changes
# nothing and opens no connection of its own. Needs no administrator rights: probes that
# need them record their refusal and are judged unknown. Writes one JSON bundle to the
# folder given (default: __DEFAULT_OUTPUT__), named after the PC and the UTC time,
# through a temporary file in that same folder. Judge the files with
# `endpoint-audit evaluate FILE_OR_FOLDER`.
# A 32-bit host on 64-bit Windows (Intune's default) runs the script again in the 64-bit
# PowerShell. Under Constrained Language Mode (AppLocker, WDAC) only the probes that mode
# allows run; the others are recorded as refused and judged unknown.
# Generated file: do not edit (the probes must match what the tool expects).
param([string]$OutputPath = __DEFAULT_OUTPUT__)

# The language mode first, with what every mode that runs scripts allows.
$EALanguageMode = [string]$ExecutionContext.SessionState.LanguageMode
$EAFullLanguage = $EALanguageMode -eq 'FullLanguage'

function Stop-EAProbe([string]$Message) {
    if ($EAFullLanguage) {
        [Console]::Error.WriteLine('endpoint-audit probe: ' + $Message)
        [Environment]::Exit(3)
    }
    Write-Error -Message ('endpoint-audit probe: ' + $Message) -ErrorAction Continue
    exit 3
}

# A 32-bit process sees HKLM\SOFTWARE through WOW6432Node. PROCESSOR_ARCHITEW6432 is set
# only in such a process (an environment read works in every language mode), and
# SysNative is how it reaches the 64-bit PowerShell. The output path goes to the new
# process in an environment variable, never through a command line.
$EARelaunched = [bool]$env:ENDPOINT_AUDIT_PROBE_RELAUNCHED
if ($env:PROCESSOR_ARCHITEW6432 -and $PSCommandPath -and -not $EARelaunched) {
    $EANative = Join-Path $env:SystemRoot 'SysNative\WindowsPowerShell\v1.0\powershell.exe'
    if (Test-Path -LiteralPath $EANative) {
        $env:ENDPOINT_AUDIT_PROBE_RELAUNCHED = '1'
        $env:ENDPOINT_AUDIT_PROBE_OUTPUT = $OutputPath
        & $EANative -NoProfile -NonInteractive -ExecutionPolicy Bypass -File $PSCommandPath
        exit $LASTEXITCODE
    }
}
if ($EARelaunched -and $env:ENDPOINT_AUDIT_PROBE_OUTPUT) {
    $OutputPath = $env:ENDPOINT_AUDIT_PROBE_OUTPUT
}

$EAStartedUtc = [datetime]::UtcNow
$EAFormat = [cultureinfo]::InvariantCulture
$EAHostName = ([string]$env:COMPUTERNAME) -replace '[^A-Za-z0-9._-]', '_'
if (-not $EAHostName) { $EAHostName = 'unknown-host' }

# Where the file goes, settled before any probe runs: an unreachable share (a PC off the
# VPN) ends the script at once, and the next scheduled run tries again.
try {
    if (Test-Path -LiteralPath $OutputPath -PathType Container) {
        $EADir = (Resolve-Path -LiteralPath $OutputPath).ProviderPath
        $EAStamp = $EAStartedUtc.ToString("yyyyMMdd'T'HHmmss'Z'", $EAFormat)
        $EAFile = 'endpoint-audit-' + $EAHostName + '-' + $EAStamp + '.json'
    } else {
        $EAParent = Split-Path -Parent $OutputPath
        if (-not $EAParent) { $EAParent = '.' }
        $EADir = (Resolve-Path -LiteralPath $EAParent).ProviderPath
        $EAFile = Split-Path -Leaf $OutputPath
    }
} catch {
    Stop-EAProbe ('no output folder: ' + $_.Exception.Message)
}

# The probes: the batch the tool runs over SSH, verbatim. In FullLanguage it runs in a
# runspace of this process, so that the whole run stops at its time budget even if a
# probe hangs (under an application control policy that runspace gets the policy's
# language mode, and the batch keeps to what that mode allows). Under CLM no runspace
# can be made: the block runs here, bounded only by the management agent's own limit.
$EABody = {
"""

_PS_TAIL = r"""
ConvertTo-EAAsciiJson -Value $EAOut
}

$EABudget = __TOTAL_SECONDS__
$EABatchJson = $null
$EAPlatform = 'null'
$EAReason = 'the probes did not finish within the time budget of ' + $EABudget + ' s'
if ($EAFullLanguage) {
    $EAWorker = [PowerShell]::Create()
    $null = $EAWorker.AddScript($EABody.ToString())
    $EAHandle = $EAWorker.BeginInvoke()
    if ($EAHandle.AsyncWaitHandle.WaitOne($EABudget * 1000)) {
        try {
            $EABatchJson = [string]($EAWorker.EndInvoke($EAHandle) | Select-Object -Last 1)
        } catch {
            $EASafe = $_.Exception.Message -replace '[^A-Za-z0-9 .,:;()_-]', '?'
            $EAReason = 'the probe batch failed: ' + $EASafe
        }
    } else {
        $null = $EAWorker.BeginStop($null, $null)
    }
} else {
    try {
        $EABatchJson = [string](& $EABody | Select-Object -Last 1)
    } catch {
        $EASafe = $_.Exception.Message -replace '[^A-Za-z0-9 .,:;()_-]', '?'
        $EAReason = 'the probe batch failed: ' + $EASafe
    }
}
if (-not $EABatchJson) {
    # Every probe is recorded as failed, with the reason: judged error, never a pass.
    $EAParts = foreach ($EAName in @(__PROBE_NAMES__)) {
        '"' + $EAName + '":{"ok":false,"error":"' + $EAReason + '"}'
    }
    $EABatchJson = '{' + ($EAParts -join ',') + '}'
    $EAPlatform = '{"family":"windows","distro":"windows","transport":"probe-script"}'
}

try {
    $EACollected = $EAStartedUtc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", $EAFormat)
    $EABundle = '{"format":"__FORMAT__","version":__BUNDLE_VERSION__,' +
        '"script_version":__SCRIPT_VERSION__,' +
        '"tool_version":"__TOOL_VERSION__","hosts":[{"target":"' + $EAHostName + '",' +
        '"collected_at":"' + $EACollected + '"' + __GROUP_FIELD__ + ',' +
        '"platform":' + $EAPlatform + ',' +
        '"probe":{"os":"windows","total_seconds":' + $EABudget + '},' +
        '"commands":{},"powershell_batch":' + $EABatchJson + '}]}'
    $EAPath = Join-Path $EADir $EAFile
    $EATemp = Join-Path $EADir ('.' + $EAFile + '.' + [guid]::NewGuid().ToString('N') + '.tmp')
    # The bundle is ASCII (its JSON escapes everything else), so it is UTF-8 as well.
    Set-Content -LiteralPath $EATemp -Value $EABundle -Encoding Ascii -NoNewline
    try {
        if ($EAFullLanguage) {
            if (Test-Path -LiteralPath $EAPath) {
                [IO.File]::Replace($EATemp, $EAPath, $null)
            } else {
                [IO.File]::Move($EATemp, $EAPath)
            }
        } else {
            Move-Item -LiteralPath $EATemp -Destination $EAPath -Force
        }
    } catch {
        Remove-Item -LiteralPath $EATemp -Force -ErrorAction SilentlyContinue
        throw
    }
    Write-Output $EAPath
    exit 0
} catch {
    Stop-EAProbe ('cannot write the bundle: ' + $_.Exception.Message)
}
"""


def powershell_string(text: str) -> str:
    """`text` as a PowerShell expression written in ASCII only.

    Windows PowerShell 5.1 reads a .ps1 without a byte-order mark in the ANSI code page,
    so a UTF-8 `監査` would arrive garbled; the script stays ASCII, and every other
    character is spelled as its UTF-16 code unit, `[char]0x76E3` (two for a character
    beyond the BMP). ASCII runs are single-quoted literals, in which nothing expands. The
    leading '' makes `+` join strings even when the text starts with a [char]. Spelling
    non-ASCII this way also keeps out the typographic quotes (U+2018-U+201B) that
    PowerShell would take as the end of a single-quoted literal.
    """
    if text.isascii():
        return "'" + text.replace("'", "''") + "'"
    parts = ["''"]
    run = ""
    for char in text:
        if char.isascii():
            run += char
            continue
        if run:
            parts.append("'" + run.replace("'", "''") + "'")
            run = ""
        units = char.encode("utf-16-le")
        parts.extend(
            f"[char]0x{int.from_bytes(units[i : i + 2], 'little'):04X}"
            for i in range(0, len(units), 2)
        )
    if run:
        parts.append("'" + run.replace("'", "''") + "'")
    return "(" + " + ".join(parts) + ")"


def powershell_script(probes: Sequence[PowerShell], options: ExportOptions) -> str:
    values = {
        "__SCRIPT_VERSION__": str(PROBE_SCRIPT_VERSION),
        "__TOOL_VERSION__": _plain(__version__),
        "__NAME__": suggested_name(OsFamily.WINDOWS),
        "__TOTAL_SECONDS__": str(int(options.total_seconds)),
        "__FORMAT__": BUNDLE_FORMAT,
        "__BUNDLE_VERSION__": str(BUNDLE_VERSION),
        "__DEFAULT_OUTPUT__": powershell_string(options.default_output),
    }
    values["__PROBE_NAMES__"] = ", ".join(f"'{p.name}'" for p in probes)
    # Filled last: text from the command line must not be taken for a placeholder.
    values["__GROUP_FIELD__"] = "'" + group_field(options).replace("'", "''") + "'"
    body = batch_body(probes, options.total_seconds)
    script = _fill(_PS_HEAD, values) + body + _fill(_PS_TAIL, values)
    if not script.isascii():
        raise ValueError("PowerShell probe scripts must be ASCII")
    return script
