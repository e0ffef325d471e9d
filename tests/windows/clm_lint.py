"""A static check of PowerShell text against Constrained Language Mode (CLM).

What CLM allows comes from about_Language_Modes for Windows PowerShell 5.1
(MicrosoftDocs/PowerShell-Docs reference/5.1/Microsoft.PowerShell.Core/About/
about_Language_Modes.md, "ConstrainedLanguage mode"): cmdlets and the language itself; only
the listed "Allowed Types" may be named, converted to, or have methods called; `New-Object`
only on those types; `Add-Type` cannot load code; COM only Scripting.Dictionary,
Scripting.FileSystemObject and VBScript.RegExp.

The check walks the tree-sitter syntax tree and reports, by line:
- a type literal (`[T]`, `[T]::Member`, `[T]$x`, `param([T]$p)`) whose type is not allowed;
- a method call on anything but a type literal, unless the method is one of the few that
  the scripts call on allowed types (strings, hashtables, datetimes, arrays);
- `New-Object`, `Add-Type` and `Invoke-Item`-style loaders (`New-Object` is refused
  outright: the scripts need none of the types it may create).
The body of `if ($EAFullLanguage) { ... }` is skipped: the scripts run it only when the
session is in FullLanguage. Its `else` branch is checked like everything else.
"""

from __future__ import annotations

import tree_sitter_powershell
from tree_sitter import Language, Node, Parser

PARSER = Parser(Language(tree_sitter_powershell.language()))
FULL_LANGUAGE_GUARD = "$EAFullLanguage"

# about_Language_Modes 5.1, "Allowed Types" (as written there, compared case-insensitively).
ALLOWED_TYPES = frozenset(
    t.lower()
    for t in """
adsi adsisearcher Alias AllowEmptyCollection AllowEmptyString AllowNull ArgumentCompleter
ArgumentCompletions array bigint bool byte char cimclass cimconverter ciminstance CimSession
cimtype CmdletBinding cultureinfo datetime decimal double DscLocalConfigurationManager
DscProperty DscResource ExperimentAction Experimental ExperimentalFeature float guid
hashtable int int16 int32 int64 ipaddress IPEndpoint long mailaddress
Microsoft.PowerShell.Commands.ModuleSpecification NullString Object[] ObjectSecurity ordered
OutputType Parameter PhysicalAddress pscredential pscustomobject PSDefaultValue
pslistmodifier psobject psprimitivedictionary PSTypeNameAttribute ref regex sbyte
securestring semver short single string SupportsWildcards switch timespan uint uint16
uint32 uint64 ulong uri ushort ValidateCount ValidateDrive ValidateLength ValidateNotNull
ValidateNotNullOrEmpty ValidatePattern ValidateRange ValidateScript ValidateSet
ValidateTrustedData ValidateUserDrive version void WildcardPattern wmi wmiclass wmisearcher
X500DistinguishedName X509Certificate xml
""".split()
)
# Full .NET names of some accelerators above, as scripts also spell them.
ALLOWED_TYPES |= {
    "system.string",
    "system.int32",
    "system.int64",
    "system.boolean",
    "system.datetime",
    "system.guid",
    "system.globalization.cultureinfo",
    "globalization.cultureinfo",
    "system.text.regularexpressions.regex",
    "system.collections.hashtable",
}

# Methods the CLM-safe scripts call on values of allowed types (string, hashtable,
# datetime, guid); CLM lets "the .NET methods of allowed types" and ToString() run.
ALLOWED_INSTANCE_METHODS = frozenset(
    {"tostring", "replace", "containskey", "trim", "tolower", "toupper", "split"}
)
FORBIDDEN_COMMANDS = frozenset({"new-object", "add-type"})


def _type_name(literal: Node) -> str:
    text = (literal.text or b"").decode("ascii", "replace").strip()
    return text.removeprefix("[").removesuffix("]").strip()


def _allowed_type(name: str) -> bool:
    lowered = name.lower()
    if lowered in ALLOWED_TYPES:
        return True
    if lowered.endswith("[]"):  # an array of an allowed type
        return _allowed_type(name[:-2])
    return False


def _is_guard(node: Node) -> bool:
    """`if ($EAFullLanguage)`: its first block runs only in FullLanguage."""
    condition = next((c for c in node.children if c.type == "pipeline"), None)
    return condition is not None and (condition.text or b"").strip() == FULL_LANGUAGE_GUARD.encode()


def clm_violations(script: str) -> list[str]:
    """Each construct of `script` that CLM would refuse, as 'line N: what'."""
    source = script.encode("utf-8")
    found: list[str] = []

    def report(node: Node, what: str) -> None:
        found.append(f"line {node.start_point[0] + 1}: {what}")

    def walk(node: Node) -> None:
        if node.type == "if_statement" and _is_guard(node):
            skipped_first_block = False
            for child in node.children:
                if child.type == "statement_block" and not skipped_first_block:
                    skipped_first_block = True
                    continue
                walk(child)
            return
        if node.type == "type_literal":
            name = _type_name(node)
            if not _allowed_type(name):
                report(node, f"type [{name}] is not allowed")
        elif node.type == "invokation_expression":
            target = node.children[0] if node.children else None
            member = next((c for c in node.children if c.type == "member_name"), None)
            method = (member.text or b"").decode("ascii", "replace") if member else "?"
            if target is not None and target.type != "type_literal":
                if method.lower() not in ALLOWED_INSTANCE_METHODS:
                    report(node, f"method call .{method}() on a value of unknown type")
        elif node.type == "command":
            name_node = next((c for c in node.children if c.type == "command_name"), None)
            name = (name_node.text or b"").decode("ascii", "replace") if name_node else ""
            if name.lower() in FORBIDDEN_COMMANDS:
                report(node, f"{name} is not allowed")
        for child in node.children:
            walk(child)

    tree = PARSER.parse(source)
    walk(tree.root_node)
    return found


def detection_comes_first(script: str) -> bool:
    """The language mode is read before the first FullLanguage guard."""
    read = script.find("$ExecutionContext.SessionState.LanguageMode")
    guard = script.find(f"if ({FULL_LANGUAGE_GUARD})")
    return read >= 0 and (guard < 0 or read < guard)
