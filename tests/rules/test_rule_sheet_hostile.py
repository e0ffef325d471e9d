"""Sheets and finding lists are hostile input: whatever their cells, import gives rules or
one SheetError (a line naming the row and column), never another exception; every row of a
finding list is a rule or a named skip, and no rule passes on missing values."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from endpoint_audit.model.platform import OsFamily
from endpoint_audit.model.rule import condition_leaves
from endpoint_audit.rules import hardeningkitty, sheet
from endpoint_audit.rules.evaluate import HOLDS, judge_rule
from endpoint_audit.rules.facts import absent_value

HEADERS = [
    "id",
    "severity",
    "title_ja",
    "title_en",
    "remediation_ja",
    "remediation_en",
    "platform",
    "read",
    "target",
    "value_name",
    "type",
    "property",
    "key",
    "where",
    "conditions",
    "expect",
    "operator",
    "operand",
    "references",
    "enabled",
    "重要度",
    "備考",
]
PIECES = st.sampled_from(
    [
        "",
        " ",
        '"',
        '""',
        "'",
        "=1",
        "[",
        "]",
        "[1, 2",
        ",",
        "|",
        ">",
        "all 1",
        "any 2 > none 1",
        "all 99999999",
        "all 1 > " * 20,
        "eq",
        "in",
        "regex",
        "present",
        "1",
        "-1",
        "1e999",
        "9" * 5000,
        "true",
        "HKLM\\SOFTWARE\\X",
        "HKCU\\X",
        "registry",
        "secpol",
        "auditpol",
        "cim",
        "windows",
        "linux",
        "high",
        "a.b",
        "x.y",
        "\n",
        "\r\n",
        "SID ends_with -501",
        "Name = 1",
        "{0CCE9215-69AE-11D9-BED3-505054503030}",
        "System Access",
        "日本語",
    ]
)
CELL = st.lists(PIECES, max_size=4).map("".join) | st.text(max_size=8)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(HEADERS), min_size=1, max_size=12, unique=True),
    st.lists(st.lists(CELL, max_size=14), max_size=6),
)
def test_any_sheet_gives_rules_or_one_sheet_error(header: list[str], rows: list[list[str]]) -> None:
    try:
        rules = sheet.import_rows([header, *rows])
    except sheet.SheetError as exc:
        line = exc.line("x.csv")
        assert line.startswith("x.csv:") and "\n" not in line.replace(exc.message, "")
        return
    # Whatever was accepted writes back to the same rules.
    assert sheet.import_csv(sheet.export_csv(rules)) == rules


METHODS = st.sampled_from(
    ["Registry", "secedit", "accountpolicy", "auditpol", "service", "accesschk", "Other", ""]
)
HK_CELL = CELL | st.sampled_from(
    [
        "HKLM:\\SOFTWARE\\Policies\\X",
        "HKCU:\\X",
        "Success",
        "Success and Failure",
        "Disabled",
        "Account lockout threshold",
        "System Access\\LockoutBadCount",
        "<=!0",
        "=|0",
        "contains",
        ">=",
        "=",
        "!=",
        "Low",
        "High",
        "0",
        "10",
        "-1",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(METHODS, st.lists(HK_CELL, min_size=10, max_size=10)), max_size=6))
def test_any_finding_list_row_is_a_rule_or_a_named_skip(
    rows: list[tuple[str, list[str]]],
) -> None:
    header = list(hardeningkitty.COLUMNS)
    table = [header]
    for method, cells in rows:
        row = [cells[0], cells[1], cells[2], method, *cells[3:]]
        table.append(row)
    imported = hardeningkitty.import_rows(table)
    filled = [r for r in table[1:] if any(c.strip() for c in r)]
    assert len(imported.rules) + len(imported.skipped) == len(filled)
    assert all(s.reason and s.row >= 2 for s in imported.skipped)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    for rule in imported.rules.values():
        tree = rule.platforms[OsFamily.WINDOWS]
        reads = [absent_value("value", "x") for _ in condition_leaves(tree)]
        assert judge_rule(tree, reads, now).status is not HOLDS
