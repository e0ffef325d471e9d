"""`probe export` with a share path in Japanese (or any non-ASCII argument).

Windows PowerShell 5.1 reads a .ps1 without a byte-order mark in the ANSI code page
(Microsoft: "Understanding file encoding in VS Code and PowerShell",
https://learn.microsoft.com/powershell/scripting/dev-cross-plat/vscode/understanding-file-encoding),
so the exporter writes ASCII only and spells other characters as [char] code units. These
tests parse the script with the PowerShell grammar and evaluate the default folder's
expression from the syntax tree, so a path that does not come back exactly fails.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import tree_sitter_powershell
from hypothesis import given, settings
from hypothesis import strategies as st
from tree_sitter import Language, Node, Parser

from endpoint_audit.engine.export import ExportOptions, export_script, powershell_string
from endpoint_audit.engine.registry import load_registry
from endpoint_audit.model.platform import OsFamily
from tests.conftest import require_tool
from tests.hostile.run import run_cli

PARSER = Parser(Language(tree_sitter_powershell.language()))
SHARES = [
    "\\\\fs01\\監査$\\端末",
    "\\\\fs01\\監査$\\総務課（本庁舎）\\2026年度",
    "D:\\監査 結果\\𠮷野家",  # a character beyond the BMP: two UTF-16 code units
    "\\\\fs01\\audit$\\it's ‘quoted’ $(Get-Date)",  # typographic quotes end '…' in PowerShell
    "C:\\Users\\yamada\\Desktop\\ｶﾅ",
]


def _errors(node: Node) -> list[Node]:
    found = [node] if node.type == "ERROR" or node.is_missing else []
    for child in node.children:
        found += _errors(child)
    return found


def _find(node: Node, kind: str) -> Node | None:
    if node.type == kind:
        return node
    for child in node.children:
        hit = _find(child, kind)
        if hit is not None:
            return hit
    return None


def _leaves(node: Node) -> list[Node]:
    if not node.children:
        return [node]
    return [leaf for child in node.children for leaf in _leaves(child)]


def evaluate_default(script: str) -> str:
    """The value PowerShell gives `$OutputPath` when the script runs without arguments,
    computed from the syntax tree: '...' literals and [char]0xNNNN joined by `+`.
    Anything else in the expression (a variable, a sub-expression, an expandable string)
    fails the test: nothing in the default may be evaluated by PowerShell."""
    source = script.encode("utf-8")
    tree = PARSER.parse(source)
    assert not _errors(tree.root_node)
    default = _find(tree.root_node, "script_parameter_default")
    assert default is not None
    units: list[int] = []
    allowed = {"=", "(", ")", "+", "[", "]", "char"}
    for leaf in _leaves(default):
        text = source[leaf.start_byte : leaf.end_byte].decode("ascii")
        parent = leaf.parent
        if leaf.type == "verbatim_string_characters":
            assert text.startswith("'") and text.endswith("'")
            units += list(text[1:-1].replace("''", "'").encode("utf-16-le"))
            continue
        if leaf.type == "hexadecimal_integer_literal":
            assert parent is not None and parent.parent is not None
            assert parent.parent.parent is not None
            assert parent.parent.parent.type == "cast_expression", parent.parent.parent.type
            units += list(int(text, 16).to_bytes(2, "little"))
            continue
        assert text in allowed, (leaf.type, text)
    return bytes(units).decode("utf-16-le")


@pytest.mark.parametrize("share", SHARES)
def test_windows_script_keeps_a_japanese_share_path(share: str) -> None:
    script = export_script(load_registry(), OsFamily.WINDOWS, ExportOptions(default_output=share))
    assert script.isascii()
    assert evaluate_default(script) == share
    # The usage comment names the folder without breaking out of the comment.
    comment = [line for line in script.splitlines() if "(default:" in line]
    assert comment and all(line.startswith("#") for line in comment)


def test_cli_exports_a_japanese_share_path(tmp_path: Path) -> None:
    share = SHARES[0]
    out = tmp_path / "監査-probe.ps1"
    done = run_cli("probe", "export", "--os", "windows", "--default-output", share, "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    script = out.read_bytes()
    assert script.isascii()
    assert evaluate_default(script.decode("ascii")) == share


@settings(max_examples=60, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1))
def test_any_one_line_path_round_trips(path: str) -> None:
    """Every path on one line (any script, quotes, $(...)) comes back exactly."""
    expression = powershell_string(path)
    script = f"param([string]$OutputPath = {expression})\n$EAStartedUtc = 1\n"
    assert script.isascii()
    assert evaluate_default(script) == path


@pytest.mark.parametrize("family", [OsFamily.LINUX, OsFamily.MACOS])
def test_sh_script_keeps_a_japanese_folder(family: OsFamily) -> None:
    """The sh script's default folder, evaluated by a real sh, is the folder given."""
    sh = require_tool("dash", "sh")
    folder = "/mnt/監査$/総務課 (本庁舎)/it's $(id)"
    script = export_script(load_registry(), family, ExportOptions(default_output=folder))
    [line] = [ln for ln in script.splitlines() if re.match(r"ea_default=", ln)]
    done = subprocess.run(
        [sh, "-c", f'{line}\nprintf %s "$ea_default"'],
        capture_output=True,
        check=False,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode("utf-8") == folder


@pytest.mark.parametrize(
    "bad", ["\\\\fs01\\a\nb", "\\\\fs01\\a\u2028b", "C:\\a\x1bb", "C:\\a\x85b"]
)
def test_a_path_with_a_line_break_or_control_is_a_usage_error(bad: str) -> None:
    done = run_cli("probe", "export", "--os", "windows", "--default-output", bad)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "--default-output" in done.stderr
