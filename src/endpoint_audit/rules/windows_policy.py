r"""Local security policy and audit policy for rules: two PowerShell probes shared by
every rule of a scan (`ps:rule-secpol`, `ps:rule-auditpol`), so that `secedit /export`
and `auditpol /backup` run once per host however many rules read them.

Both tools write a file, never localized where it matters: secedit's INF names sections
and keys in English ([System Access] MinimumPasswordLength, [Privilege Rights] SIDs as
`*S-1-5-32-544`), and auditpol's CSV holds each subcategory's GUID (column 4) and its
setting as a number (column 7: 0 none, 1 success, 2 failure, 3 both), beside names and
words that are localized and never read here (scipag/HardeningKitty reads the same
columns, HardeningKitty.psm1 @92b8ef7 l.968-1010). The file gets a fresh name in
%SystemRoot%\Temp (auditpol refuses to overwrite a file; that folder has no spaces or
user-name characters in its path) and is deleted in `finally`. The probes only
run native tools and cmdlets, so they are CLM-safe.

Both need an administrator: a standard user's export leaves settings out, which would
read as absent, so for a standard user they are not run and every such read is unknown,
named. Where the rights are not known they run (for the record), but only a known
administrator's export is read.
"""

from __future__ import annotations

import csv
import re

from endpoint_audit.checkkit.collector import Results
from endpoint_audit.checkkit.windows_probe import as_dict, as_list, probe_value
from endpoint_audit.errors import CollectorError, FactUnavailable
from endpoint_audit.model.commands import PowerShell
from endpoint_audit.model.observed import Reason
from endpoint_audit.model.platform import PlatformInfo
from endpoint_audit.model.rule import AuditpolRead, SecpolRead
from endpoint_audit.rules.facts import ReadValue, absent_value, seen_value, unknown_value

_EXPORT = r"""
$EAName = 'endpoint-audit-' + [guid]::NewGuid().ToString() + '.__EXT__'
$EAPath = Join-Path (Join-Path $env:SystemRoot 'Temp') $EAName
try {
    $null = & "$env:SystemRoot\System32\__TOOL__" __ARGS__
    $EACode = $LASTEXITCODE
    $EALines = @()
    if (Test-Path -LiteralPath $EAPath) {
        $EALines = @(Get-Content -LiteralPath $EAPath __ENCODING__)
    }
    $result = @{ exit = $EACode; lines = $EALines }
} finally {
    if (Test-Path -LiteralPath $EAPath) { Remove-Item -LiteralPath $EAPath -Force }
}
"""


def _export(name: str, tool: str, args: str, ext: str, encoding: str) -> PowerShell:
    script = (
        _EXPORT.replace("__TOOL__", tool)
        .replace("__ARGS__", args)
        .replace("__EXT__", ext)
        .replace("__ENCODING__", encoding)
    )
    return PowerShell(name, script, clm_safe=True)


# secedit writes UTF-16 (HardeningKitty reads it with -Encoding unicode).
SECPOL = _export(
    "rule-secpol",
    "secedit.exe",
    "/export /cfg $EAPath /areas SECURITYPOLICY USER_RIGHTS /quiet",
    "inf",
    "-Encoding Unicode",
)
# Get-Content tells the encoding by its byte order mark; GUIDs and digits are ASCII.
AUDITPOL = _export("rule-auditpol", "auditpol.exe", "/backup /file:$EAPath", "csv", "")


def _lines(results: Results, probe: PowerShell, tool: str) -> list[str]:
    data = as_dict(probe_value(results, probe), f"PowerShell probe {probe.name!r}")
    code = data.get("exit")
    lines = as_list(data.get("lines"))
    if isinstance(code, bool) or not isinstance(code, int):
        raise CollectorError(
            Reason(key="rule.reason.tool_failed", args={"tool": tool, "code": "?"})
        )
    if code != 0 or not lines:
        raise CollectorError(
            Reason(key="rule.reason.tool_failed", args={"tool": tool, "code": code})
        )
    if not all(isinstance(line, str) for line in lines):
        raise CollectorError(
            Reason(key="rule.reason.tool_failed", args={"tool": tool, "code": "not text"})
        )
    return [str(line) for line in lines]


def _guarded(
    platform: PlatformInfo, results: Results, probe: PowerShell, tool: str, labels: list[str]
) -> tuple[list[str] | None, list[ReadValue]]:
    """The tool's lines; or None and one unknown per read saying why there are none."""
    if platform.is_admin is not True:
        # Not run, so no command is the source.
        return None, [unknown_value("", "needs_admin", read=label, tool=tool) for label in labels]
    try:
        return _lines(results, probe, tool), []
    except FactUnavailable as exc:
        mode = exc.language_mode or "unknown"
        return None, [
            unknown_value(probe.key, "registry_language_mode", read=label, mode=mode)
            for label in labels
        ]
    except CollectorError as exc:
        return None, [
            ReadValue(state="unknown", reason=_with_read(exc.reason, label), source=probe.key)
            for label in labels
        ]


def _with_read(reason: Reason | str, label: str) -> Reason:
    if isinstance(reason, str):
        return Reason(key="rule.reason.read_failed", args={"read": label, "output": reason[:80]})
    if reason.key == "rule.reason.tool_failed":
        return Reason(key=reason.key, args={**reason.args, "read": label})
    return Reason(key="rule.reason.read_failed", args={"read": label, "output": reason.key})


# --- secedit ---------------------------------------------------------------------------

_SECTION = re.compile(r"^\s*\[([^\]]+)\]\s*$")
_NUMBER = re.compile(r"^-?\d{1,18}$")


def parse_inf(lines: list[str]) -> dict[str, dict[str, str]]:
    """Sections of secedit's INF by lower-case name, each its keys (lower case) and raw
    values. The first line may carry a byte order mark; keys repeat only in corrupt
    files, and then the first one is kept."""
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for raw in lines:
        line = raw.lstrip("\ufeff").strip()
        if not line or line.startswith(";"):
            continue
        header = _SECTION.match(line)
        if header:
            current = sections.setdefault(header.group(1).strip().lower(), {})
            continue
        if current is None or "=" not in line:
            continue
        key, _, value = line.partition("=")
        current.setdefault(key.strip().lower(), value.strip())
    return sections


def secpol_value(sections: dict[str, dict[str, str]], read: SecpolRead, source: str) -> ReadValue:
    section = sections.get(read.secpol.lower())
    if section is None:
        return unknown_value(source, "section_missing", read=read.label(), section=read.secpol)
    raw = section.get(read.key.lower())
    if raw is None:
        return absent_value("setting", source)
    if read.rights:
        return seen_value("texts", [s.strip() for s in raw.split(",") if s.strip()], source)
    if _NUMBER.match(raw):
        return seen_value("number", int(raw), source)
    if len(raw) >= 2 and raw.startswith('"') and raw.endswith('"'):
        raw = raw[1:-1]
    return seen_value("text", raw, source)


def parse_secpol(
    results: Results, platform: PlatformInfo, reads: list[SecpolRead]
) -> list[ReadValue]:
    lines, unknown = _guarded(platform, results, SECPOL, "secedit", [r.label() for r in reads])
    if lines is None:
        return unknown
    sections = parse_inf(lines)
    return [secpol_value(sections, read, SECPOL.key) for read in reads]


# --- auditpol --------------------------------------------------------------------------

_GUID_CELL = re.compile(r"^\{[0-9A-Fa-f-]{36}\}$")


def parse_audit_csv(lines: list[str]) -> dict[str, set[str]]:
    """Each subcategory GUID (upper case, with braces) and the setting values its rows
    give. Rows are told by the shape of their cells, not by the header, whose words
    are localized."""
    out: dict[str, set[str]] = {}
    for row in csv.reader(line.lstrip("\ufeff") for line in lines):
        if len(row) < 7 or not _GUID_CELL.match(row[3].strip()):
            continue
        out.setdefault(row[3].strip().upper(), set()).add(row[6].strip())
    return out


def audit_value(settings: dict[str, set[str]], read: AuditpolRead, source: str) -> ReadValue:
    found = settings.get(read.auditpol)
    if not found:
        # auditpol /backup writes every subcategory the system knows, set or not.
        return unknown_value(source, "subcategory_missing", read=read.label())
    if len(found) > 1 or next(iter(found)) not in ("0", "1", "2", "3"):
        return unknown_value(
            source, "read_failed", read=read.label(), output=", ".join(sorted(found))[:80]
        )
    return seen_value("number", int(next(iter(found))), source)


def parse_auditpol(
    results: Results, platform: PlatformInfo, reads: list[AuditpolRead]
) -> list[ReadValue]:
    lines, unknown = _guarded(platform, results, AUDITPOL, "auditpol", [r.label() for r in reads])
    if lines is None:
        return unknown
    settings = parse_audit_csv(lines)
    return [audit_value(settings, read, AUDITPOL.key) for read in reads]
