"""A Windows rule of a baseline for `probe export --intune-compliance`: its own probe and
a snippet that judges the rule on the probe's answer in the discovery script, as
rules/windows.py reads it and rules/evaluate.py judges it, and one setting:

    Rule_<id>  Int64  0 holds, 1 does not apply (applies_when fails), 2 does not hold,
                      3 not judged (unknown, or the probe failed)     LessEquals 1

Intune has no "not applicable": a rule that does not apply to a PC does not make it
non-compliant, as `evaluate` passes it (not_applicable). A rule whose applicability
cannot be told is 3, never compliant.

The snippet is generated from the rule's validated model: the tree of all/any/none, each
condition's expectation as calls of compliance/rule_kit.ps1 with operands as PowerShell
literals (numbers, $true/$false, ASCII string expressions from `ps_string`), never the
host's text. Audit policy (auditpol) is read by a probe of its own beside the rule's,
whose CSV the kit reads as rules/windows_policy.py does (by GUID and number). Rules are
left out (`why_not_in_intune` says why) when they read what the script does not (secedit,
a command) or compare with an operator the kit does not have (regex, versions, dates,
sets): `evaluate` judges those.
"""

from __future__ import annotations

import math
import re
from typing import Any

from endpoint_audit.checkkit.intune import (
    PORTAL_LANGUAGES,
    IntuneSettings,
    compliance_script,
    ps_string,
)
from endpoint_audit.model import i18n
from endpoint_audit.model.commands import PowerShell
from endpoint_audit.model.intune import IntuneRule, RemediationString
from endpoint_audit.model.platform import OsFamily
from endpoint_audit.model.rule import (
    AllOf,
    AnyOf,
    AuditpolRead,
    CimRead,
    Compare,
    Condition,
    Conditions,
    Expect,
    ExpectAll,
    ExpectAny,
    NoneOf,
    OptionalFeatureRead,
    RegistryRead,
    RuleEntry,
    ServiceRead,
)
from endpoint_audit.rules import windows, windows_policy

# The comparisons the kit has (Test-EARuleCompare).
OPERATORS = ("present", "absent", "eq", "ne", "in", "lt", "le", "gt", "ge")
# Integers PowerShell and Python compare alike (beyond, PowerShell may use doubles).
_SAFE_INTEGER = 2**53
_READ_NAMES = {"SecpolRead": "secedit", "CommandRead": "a command"}
# The codes of the setting; the rule accepts the first two.
HOLDS, NOT_APPLICABLE, FAILS, UNKNOWN = 0, 1, 2, 3

# The probe runs in a runspace of its own in FullLanguage, without the batch's helper.
_ERROR_TYPE = r"""function Get-EAErrorType($Record) {
    if ($EAFullLanguage) { return [string]$Record.Exception.GetType().FullName }
    return [string]$Record.FullyQualifiedErrorId
}
"""
KIT = compliance_script(__name__, "rule_kit")

# auditpol's probe as the batch runs it (rules/windows_policy.py), run by an administrator
# only, as the rule check reads only a known administrator's export; the answer says
# which. The check of the rights is not CLM-safe: under CLM the read is not judged.
AUDITPOL = PowerShell(
    "rule-auditpol",
    "$EAIsAdmin = (New-Object Security.Principal.WindowsPrincipal("
    "[Security.Principal.WindowsIdentity]::GetCurrent())).IsInRole("
    "[Security.Principal.WindowsBuiltInRole]::Administrator)\n"
    "if ($EAIsAdmin -is [bool] -and $EAIsAdmin) {\n"
    + windows_policy.AUDITPOL.script.strip("\n")
    + "\n    if ($result -is [hashtable]) { $result['is_admin'] = $true }\n"
    "} else {\n    $result = @{ is_admin = $false }\n}\n",
    clm_safe=False,
)


def setting_name(rule_id: str) -> str:
    return "Rule_" + re.sub(r"[^A-Za-z0-9]", "_", rule_id)


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "$true" if value else "$false"
    if isinstance(value, int | float):
        # In parentheses: a command argument that starts with '-' must not read as a name.
        return f"({value!r})"
    return ps_string(str(value))


def _operand_fits(value: Any) -> bool:
    if isinstance(value, bool) or isinstance(value, str):
        return True
    if isinstance(value, int):
        return -_SAFE_INTEGER <= value <= _SAFE_INTEGER
    return isinstance(value, float) and math.isfinite(value) and abs(value) <= _SAFE_INTEGER


def _compares(expect: Expect) -> list[Compare]:
    if isinstance(expect, Compare):
        return [expect]
    if isinstance(expect, ExpectAll):
        parts = expect.all
    elif isinstance(expect, ExpectAny):
        parts = expect.any
    else:
        parts = expect.none
    return [c for p in parts for c in _compares(p)]


def why_not_in_intune(rule: RuleEntry) -> str | None:
    """Why the rule has no Intune setting (one phrase), or None when it has one."""
    if OsFamily.WINDOWS not in rule.platforms:
        return "no Windows conditions"
    for leaf in rule.read_leaves(OsFamily.WINDOWS):
        if not isinstance(leaf.read, windows.ProbeRead | AuditpolRead):
            return f"reads {_READ_NAMES.get(type(leaf.read).__name__, 'another source')}"
        for cmp in _compares(leaf.expect):
            if cmp.operator not in OPERATORS:
                return f"compares with {cmp.operator}"
            operands = cmp.operand if cmp.operator == "in" else [cmp.operand]
            if cmp.operator not in ("present", "absent") and not all(
                _operand_fits(o) for o in operands
            ):
                return f"compares with a number beyond 2^53 ({cmp.describe()})"
    return None


def _selector(name: str, match: Any) -> str:
    if match.ends_with is not None:
        # Ends with the text lowered as the collector lowers it; \uXXXX escapes only, so
        # .NET and Python read the expression alike.
        pattern = "".join(f"\\u{ord(c):04X}" for c in match.ends_with.lower()) + "\\z"
        return f"@{{ name = {ps_string(name)}; ends = {ps_string(pattern)} }}"
    eq = match.eq.lower() if isinstance(match.eq, str) else match.eq
    return f"@{{ name = {ps_string(name)}; eq = {_literal(eq)} }}"


def _spec(read: windows.ProbeRead | AuditpolRead) -> str:
    if isinstance(read, AuditpolRead):
        return f"@{{ type = 'auditpol'; guid = {ps_string(read.auditpol.lower())} }}"
    if isinstance(read, RegistryRead):
        users = "$true" if read.every_user else "$false"
        return f"@{{ type = 'registry'; users = {users} }}"
    if isinstance(read, ServiceRead) and read.prop == "start_type":
        return "@{ type = 'service_start' }"
    if isinstance(read, CimRead):
        kind, prop, selectors = "cim", read.prop, read.selectors
    elif isinstance(read, ServiceRead):
        kind, prop, selectors = "service", "State", windows.service_selector(read)
    else:
        assert isinstance(read, OptionalFeatureRead)  # noqa: S101 - ProbeRead has four kinds
        kind, prop, selectors = "feature", "InstallState", windows.feature_selector(read)
    items = ", ".join(_selector(n, m) for n, m in selectors.items())
    return f"@{{ type = '{kind}'; property = {ps_string(prop)}; selectors = @({items}) }}"


def _expect(expect: Expect, declared: str) -> str:
    if isinstance(expect, Compare):
        op = expect.operator
        if op in ("present", "absent"):
            operand = "$null"
        elif op == "in":
            operand = "@(" + ", ".join(_literal(v) for v in expect.operand) + ")"
        else:
            operand = _literal(expect.operand)
        return f"(Test-EARuleCompare $V '{op}' {operand} '{declared}')"
    if isinstance(expect, ExpectAll):
        kind, parts = "all", expect.all
    elif isinstance(expect, ExpectAny):
        kind, parts = "any", expect.any
    else:
        kind, parts = "none", expect.none
    joined = ", ".join(_expect(p, declared) for p in parts)
    return f"(Join-EARuleTruth '{kind}' @({joined}))"


def _tree(tree: Conditions, leaves: list[Condition], start: int) -> tuple[str, int]:
    """The tree as an expression of truth values; its leaves are $EAReads[start...]."""
    if isinstance(tree, Condition):
        read = tree.read
        declared = (
            f"REG_{read.type.upper()}" if isinstance(read, RegistryRead) and read.type else ""
        )
        body = _expect(tree.expect, declared)
        return f"(Get-EARuleLeaf $EAReads[{start}] {{ param($V) {body} }})", start + 1
    if isinstance(tree, AllOf):
        kind, parts = "all", tree.all
    elif isinstance(tree, AnyOf):
        kind, parts = "any", tree.any
    else:
        assert isinstance(tree, NoneOf)  # noqa: S101 - the union has four members
        kind, parts = "none", tree.none
    out: list[str] = []
    at = start
    for part in parts:
        text, at = _tree(part, leaves, at)
        out.append(text)
    return f"(Join-EARuleTruth '{kind}' @({', '.join(out)}))", at


def rule_snippet(rule_id: str, rule: RuleEntry) -> str:
    leaves = rule.read_leaves(OsFamily.WINDOWS)
    reads = [leaf.read for leaf in leaves]
    assert all(isinstance(r, windows.ProbeRead | AuditpolRead) for r in reads)  # noqa: S101 - why_not_in_intune
    specs = ", ".join(_spec(r) for r in reads)  # type: ignore[arg-type]
    own, audit = _answers(rule)
    name = setting_name(rule_id)
    guard = rule.applies_tree(OsFamily.WINDOWS)
    at = 0
    lines = [
        f"# rule {rule_id}: {NOT_APPLICABLE} where it does not apply, {UNKNOWN} where not judged.",
        f"$EASettings['{name}'] = [int64]{UNKNOWN}",
        f"$EAReads = Get-EARuleReads {own} {audit} @({specs})",
        "if ($null -ne $EAReads) {",
    ]
    if guard is not None:
        text, at = _tree(guard, leaves, at)
        lines.append(f"    $EAApplies = {text}")
    else:
        lines.append("    $EAApplies = 'H'")
    text, at = _tree(rule.platforms[OsFamily.WINDOWS], leaves, at)
    assert at == len(leaves)  # noqa: S101 - every leaf is read once, applicability first
    lines += [
        "    if ($EAApplies -ceq 'F') {",
        f"        $EASettings['{name}'] = [int64]{NOT_APPLICABLE}",
        "    } elseif ($EAApplies -ceq 'H') {",
        f"        $EAVerdict = {text}",
        f"        if ($EAVerdict -ceq 'H') {{ $EASettings['{name}'] = [int64]{HOLDS} }}",
        f"        elseif ($EAVerdict -ceq 'F') {{ $EASettings['{name}'] = [int64]{FAILS} }}",
        "    }",
        "}",
    ]
    return "\n".join(lines) + "\n"


def _own_reads(rule: RuleEntry) -> list[windows.ProbeRead]:
    leaves = rule.read_leaves(OsFamily.WINDOWS)
    return [leaf.read for leaf in leaves if isinstance(leaf.read, windows.ProbeRead)]


def _reads_auditpol(rule: RuleEntry) -> bool:
    return any(isinstance(leaf.read, AuditpolRead) for leaf in rule.read_leaves(OsFamily.WINDOWS))


def _answers(rule: RuleEntry) -> tuple[str, str]:
    """Where the snippet finds the answers: the rule's own probe's, auditpol's."""
    if not _own_reads(rule):
        # auditpol's probe is the rule's probe.
        return "$null", "$EAProbe"
    audit = f"$EAProbes['{AUDITPOL.name}']" if _reads_auditpol(rule) else "$null"
    return "$EAProbe", audit


def _remediation(rule: RuleEntry) -> list[RemediationString]:
    title = rule.title.model_dump()
    fix = rule.remediation.model_dump()
    return [
        RemediationString(
            language=portal,
            title=i18n.t(lang, "rule.intune.title", title=title[lang]),
            description=i18n.t(lang, "rule.intune.description", remediation=fix[lang]),
        )
        for lang, portal in PORTAL_LANGUAGES.items()
    ]


def rule_intune(rule_id: str, rule: RuleEntry) -> IntuneSettings | None:
    """The rule's Intune settings; None when it has none (why_not_in_intune)."""
    if why_not_in_intune(rule) is not None:
        return None
    extra: tuple[PowerShell, ...] = ()
    if _own_reads(rule):
        own = windows.rule_probe(rule_id, _own_reads(rule))
        probe = PowerShell(own.name, _ERROR_TYPE + own.script, clm_safe=own.clm_safe)
        if _reads_auditpol(rule):
            extra = (AUDITPOL,)
    else:
        probe = AUDITPOL
    name = setting_name(rule_id)
    snippet = rule_snippet(rule_id, rule)

    def rules(params: Any, more_info_url: str) -> list[IntuneRule]:
        return [
            IntuneRule(
                setting_name=name,
                operator="LessEquals",
                data_type="Int64",
                operand=NOT_APPLICABLE,
                more_info_url=more_info_url,
                remediation_strings=_remediation(rule),
            )
        ]

    return IntuneSettings(
        check_id=rule_id,
        probe=probe,
        settings_script=snippet,
        settings=(name,),
        rules=rules,
        extra_probes=extra,
        shared=KIT,
    )


__all__ = [
    "AUDITPOL",
    "KIT",
    "OPERATORS",
    "rule_intune",
    "rule_snippet",
    "setting_name",
    "why_not_in_intune",
]
