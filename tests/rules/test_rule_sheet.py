"""Rule checks as a CSV sheet and back: lossless, typed, and safe to open in Excel."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from endpoint_audit.engine.plan import load_plan_baseline
from endpoint_audit.engine.registry import load_registry
from endpoint_audit.model.members import is_sid
from endpoint_audit.model.rule import RuleEntry
from endpoint_audit.rules import sheet
from endpoint_audit.rules.sheet_cells import CellProblem, guard, read_value, unguard, write_value

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "jp-municipal-rules.yaml"

_TEXT = st.text(
    alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
    max_size=12,
)
TRICKY = st.sampled_from(
    [
        "1",
        "-1",
        "1.5",
        "true",
        "False",
        "",
        " pad ",
        "=cmd|' /c calc'!A1",
        "+1",
        "-x",
        "@SUM(1)",
        "\tTab",
        "'quoted",
        '"q"',
        '"',
        '""',
        "[a]",
        "a,b",
        "x | y",
        "改行\r\nあり",
        "タイトル",
    ]
)
TEXT = st.one_of(TRICKY, _TEXT)
NONEMPTY = TEXT.filter(bool)
NUMBER = st.one_of(st.integers(-(2**40), 2**40), st.floats(allow_nan=False, allow_infinity=False))
SCALAR = st.one_of(NUMBER, st.booleans(), TEXT)
REGEX = st.sampled_from(["^a", "1", "x|y", r"\d+", "[a-z]+", "=1", '"'])
VERSION = st.sampled_from(["10.0.22631", "1", "10.0"])
SID_MEMBER = st.sampled_from(
    ["*S-1-5-32-544", "S-1-5-32-555", "*s-1-5-19", " *S-1-1-0 ", "*S-1-5-21-1-2-3-1001"]
)
NAME_MEMBER = TEXT.filter(lambda t: bool(t.strip()) and "," not in t and not is_sid(t))
SET_NAMES = ["contains_all", "contains_none", "subset_of", "equals_set"]


def _set_compare(members: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda name, items: {name: items if items or name == "equals_set" else ["*S-1-1-0"]},
        st.sampled_from(SET_NAMES),
        st.lists(members, max_size=3),
    )


def _compare(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    options = [st.just({"present": True}), st.just({"absent": True})]
    if kind in ("any", "number"):
        options += [
            st.builds(lambda v: {"eq": v}, NUMBER),
            st.builds(lambda v: {"ne": v}, NUMBER),
            st.builds(lambda v: {"le": v}, NUMBER),
            st.builds(lambda v: {"gt": v}, NUMBER),
            st.builds(
                lambda v: {"in": v}, st.lists(st.integers(-9, 2**33), min_size=1, max_size=3)
            ),
        ]
    if kind in ("any", "text"):
        options += [
            st.builds(lambda v: {"eq": v}, TEXT),
            st.builds(lambda v: {"in": v}, st.lists(TEXT, min_size=1, max_size=3)),
            st.builds(lambda v: {"regex": v}, REGEX),
            st.builds(lambda v: {"version_ge": v}, VERSION),
            _set_compare(SID_MEMBER),
            _set_compare(NAME_MEMBER),
        ]
    if kind == "any":
        options += [
            st.builds(lambda v: {"eq": v}, SCALAR),
            st.builds(
                lambda v: {"in": v},
                st.lists(SCALAR.filter(lambda x: not isinstance(x, bool)), min_size=1, max_size=3),
            ),
        ]
    if kind == "bool":
        options += [st.builds(lambda v: {"eq": v}, st.booleans())]
    if kind == "rights":
        options += [_set_compare(SID_MEMBER), st.builds(lambda v: {"regex": v}, REGEX)]
    return st.one_of(options)


def _expect(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.recursive(
        _compare(kind),
        lambda parts: st.builds(
            lambda group, items: {group: items},
            st.sampled_from(["all", "any", "none"]),
            st.lists(parts, min_size=1, max_size=3),
        ),
        max_leaves=4,
    )


GUID = "{0CCE9215-69AE-11D9-BED3-505054503030}"
WINDOWS_READS = st.one_of(
    st.tuples(
        st.builds(lambda v: {"registry": "HKLM\\SOFTWARE\\Policies\\X y", "value": v}, NONEMPTY),
        st.just("any"),
    ),
    st.tuples(
        st.just({"registry": "HKU\\S-1-5-21-1\\Software", "value": "V", "type": "dword"}),
        st.just("number"),
    ),
    st.tuples(st.just({"secpol": "System Access", "key": "LockoutBadCount"}), st.just("any")),
    st.tuples(
        st.just({"secpol": "Privilege Rights", "key": "SeRemoteInteractiveLogonRight"}),
        st.just("rights"),
    ),
    st.tuples(
        st.builds(lambda s: {"auditpol": GUID, **({"subcategory": s} if s else {})}, TEXT),
        st.just("number"),
    ),
    st.tuples(
        st.just(
            {
                "cim": "Win32_UserAccount",
                "property": "Disabled",
                "where": {
                    "SID": {"ends_with": "-501"},
                    "LocalAccount": {"eq": True},
                    "N": {"eq": "1"},
                },
            }
        ),
        st.just("any"),
    ),
    st.tuples(st.just({"service": "Spooler", "property": "start_type"}), st.just("number")),
)
LINUX_READS = st.one_of(
    st.tuples(st.just({"file": "/etc/ssh/sshd_config", "property": "mode"}), st.just("text")),
    st.tuples(
        st.builds(
            lambda k, sec: {
                "ini": "/etc/x.conf",
                "key": k,
                "separator": " ",
                **({"section": sec} if sec is not None else {}),
            },
            NONEMPTY,
            st.none() | TEXT,
        ),
        st.just("text"),
    ),
    st.tuples(st.just({"sysctl": "net.ipv4.ip_forward"}), st.just("any")),
    st.tuples(st.just({"kernel_module": "usb-storage", "property": "loaded"}), st.just("bool")),
)

# Keys as rules write them: dotted, or a list for keys holding dots and array positions.
PLIST_KEY = st.one_of(
    st.sampled_from(["GuestEnabled", "a.b", "EnableGuestAccount"]),
    st.lists(
        st.one_of(
            st.sampled_from(["com.apple.login.mcx.DisableAutoLoginClient", "Items"]),
            st.integers(0, 3),
        ),
        min_size=1,
        max_size=3,
    ),
)
MACOS_READS = st.one_of(
    st.tuples(
        st.builds(lambda k: {"plist": "com.apple.loginwindow", "key": k}, PLIST_KEY),
        st.just("any"),
    ),
    st.tuples(
        st.builds(
            lambda k, ident: {
                "profile_payload": "com.apple.MCX",
                "key": k,
                "type": "bool",
                **({"profile": ident} if ident is not None else {}),
            },
            PLIST_KEY,
            st.none() | st.sampled_from(["com.example.myprofile", "8CD28A9D-625E", "所属の設定"]),
        ),
        st.just("bool"),
    ),
)


def _condition(reads: st.SearchStrategy[tuple[dict[str, Any], str]]) -> st.SearchStrategy[Any]:
    return reads.flatmap(
        lambda pair: st.builds(lambda e: {"read": pair[0], "expect": e}, _expect(pair[1]))
    )


def _tree(reads: st.SearchStrategy[tuple[dict[str, Any], str]]) -> st.SearchStrategy[Any]:
    return st.recursive(
        _condition(reads),
        lambda parts: st.builds(
            lambda group, items: {group: items},
            st.sampled_from(["all", "any", "none"]),
            st.lists(parts, min_size=1, max_size=3),
        ),
        max_leaves=4,
    )


PAIR = st.builds(lambda ja, en: {"ja": ja, "en": en}, NONEMPTY, NONEMPTY)
REFERENCE = st.builds(
    lambda f, i, t, p: {
        "framework": f,
        "id": i,
        **({"title": t} if t is not None else {}),
        "platforms": p,
    },
    TEXT,
    TEXT,
    st.none() | TEXT,
    st.lists(st.sampled_from(["windows", "linux", "macos"]), max_size=2, unique=True),
)
PLATFORMS = st.one_of(
    st.builds(lambda w: {"windows": w}, _tree(WINDOWS_READS)),
    st.builds(lambda lx: {"linux": lx}, _tree(LINUX_READS)),
    st.builds(lambda w, lx: {"windows": w, "linux": lx}, _tree(WINDOWS_READS), _tree(LINUX_READS)),
    st.builds(lambda m: {"macos": m}, _tree(MACOS_READS)),
)
RULE = st.builds(
    lambda enabled, severity, title, remediation, rationale, refs, platforms: (
        RuleEntry.model_validate(
            {
                "type": "rule",
                "enabled": enabled,
                "severity": severity,
                "title": title,
                "remediation": remediation,
                **({"rationale": rationale} if rationale else {}),
                "references": refs,
                "platforms": platforms,
            }
        )
    ),
    st.booleans(),
    st.sampled_from(["critical", "high", "medium", "low", "info"]),
    PAIR,
    PAIR,
    st.none() | PAIR,
    st.lists(REFERENCE, max_size=2),
    PLATFORMS,
)
RULE_IDS = st.from_regex(r"[a-z][a-z0-9_]{0,10}\.[a-z][a-z0-9_]{0,10}", fullmatch=True)
RULES = st.dictionaries(RULE_IDS, RULE, min_size=1, max_size=3)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(RULES)
def test_export_then_import_gives_the_same_rules(rules: dict[str, RuleEntry]) -> None:
    text = sheet.export_csv(rules)
    assert sheet.import_csv(text) == rules
    # Rows sorted in the spreadsheet still rebuild the same rules.
    table = list(csv.reader(io.StringIO(text, newline="")))
    reordered = [table[0], *reversed(table[1:])]
    assert sheet.import_rows(reordered) == rules


@settings(max_examples=300, deadline=None)
@given(st.one_of(SCALAR, st.lists(SCALAR, min_size=1, max_size=4)))
def test_an_operand_cell_keeps_its_type(value: Any) -> None:
    cell = guard(write_value(value))
    back = read_value(unguard(cell))
    assert back == value
    assert type(back) is type(value)
    if isinstance(value, list):
        assert [type(v) for v in back] == [type(v) for v in value]


def test_a_dword_1_and_the_text_1_are_different_cells() -> None:
    assert write_value(1) == "1"
    assert write_value("1") == '"1"'
    assert read_value("1") == 1 and isinstance(read_value("1"), int)
    assert read_value('"1"') == "1"
    assert read_value("true") is True and read_value('"true"') == "true"
    assert read_value('[1, "1"]') == [1, "1"]


def test_formula_cells_get_an_apostrophe_and_lose_it_on_import() -> None:
    attack = '=HYPERLINK("http://example.invalid","x")'
    rules = sheet.import_csv(sheet.export_csv(_example_rules()))
    rule = next(iter(rules.values()))
    hostile = rule.model_copy(
        update={
            "title": rule.title.model_copy(update={"ja": attack, "en": "+cmd"}),
            "remediation": rule.remediation.model_copy(update={"ja": "@SUM(A1)", "en": "-2+3"}),
        }
    )
    text = sheet.export_csv({"jp.hostile": hostile})
    cells = [c for row in csv.reader(io.StringIO(text, newline="")) for c in row]
    for payload in (attack, "+cmd", "@SUM(A1)", "-2+3"):
        assert payload not in cells  # never a cell starting with the formula
        assert "'" + payload in cells
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)
    assert sheet.import_csv(text) == {"jp.hostile": hostile}


def _example_rules() -> dict[str, RuleEntry]:
    from endpoint_audit.engine.plan import load_plan_baseline
    from endpoint_audit.engine.registry import load_registry

    loaded = load_plan_baseline(str(EXAMPLE), load_registry())
    return {**loaded.rules, **loaded.disabled_rules}


def test_japanese_headers_and_trimmed_cells_are_read() -> None:
    text = (
        "ルールID,重要度,タイトル（日本語）,タイトル(英語),対処(日本語),対処(英語),OS,"
        "読み取り,対象,値の名前,型,演算子,期待値,備考\r\n"
        " city.smb1 , 高 , SMBv1 が無効 ,SMBv1 is off,無効にする,Turn it off,windows,"
        "registry, HKLM\\SYSTEM\\CurrentControlSet\\Services\\LanmanServer\\Parameters ,"
        "SMB1,dword,=, 0 ,チームのメモ\r\n"
    )
    rules = sheet.import_csv(text)
    rule = rules["city.smb1"]
    assert rule.severity.value == "high"
    assert rule.title.ja == "SMBv1 が無効"
    leaf = rule.leaves(next(iter(rule.platforms)))[0]
    assert leaf.read.label().endswith("\\Parameters\\SMB1")
    assert leaf.expect.model_dump(exclude_none=True) == {"eq": 0}


def test_export_headers_in_japanese_read_back(tmp_path: Path) -> None:
    rules = _example_rules()
    text = sheet.export_csv(rules, "ja")
    assert text.splitlines()[0].startswith("ルールID,有効,重要度,タイトル(日本語)")
    assert sheet.import_csv(text) == rules


def _sheet(tmp_path: Path, rows: list[list[str]]) -> Path:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path = tmp_path / "rules.csv"
    path.write_bytes(out.getvalue().encode("utf-8-sig"))
    return path


HEAD = [
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
    "operator",
    "operand",
]
GOOD = [
    "city.smb1",
    "high",
    "無効",
    "off",
    "直す",
    "fix",
    "windows",
    "registry",
    "HKLM\\SYSTEM\\X",
    "SMB1",
    "dword",
    "eq",
    "0",
]


def test_cli_round_trip_of_the_example_pack(cli: Any, tmp_path: Path) -> None:
    sheet_file = tmp_path / "rules.csv"
    result = cli("baseline", "rules", "export", str(EXAMPLE), "-f", "csv", "-o", str(sheet_file))
    assert result.exit_code == 0, result.output
    raw = sheet_file.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for Japanese
    # Every row ends with CRLF; a line break inside a cell (Alt+Enter) stays LF.
    records = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert raw.count(b"\r\n") == len(records) and raw.endswith(b"\r\n")
    out = tmp_path / "back.yaml"
    result = cli("baseline", "rules", "import", str(sheet_file), "-o", str(out))
    assert result.exit_code == 0, result.output
    from endpoint_audit.engine.plan import load_plan_baseline
    from endpoint_audit.engine.registry import load_registry

    back = load_plan_baseline(str(out), load_registry())
    assert {**back.rules, **back.disabled_rules} == _example_rules()
    result = cli("baseline", "validate", str(out))
    assert result.exit_code == 0 and "OK" in result.output


def test_import_into_a_baseline_replaces_and_adds(cli: Any, tmp_path: Path) -> None:
    base = tmp_path / "city.yaml"
    base.write_text(
        "# our city\nid: city\ntitle: {ja: 市, en: City}\nversion: '1'\nchecks:\n"
        "  # the old SMB rule\n  city.smb1:\n    type: rule\n    severity: low\n"
        "    title: {ja: 古い, en: old}\n    remediation: {ja: 古い, en: old}\n"
        "    platforms:\n      windows:\n        read: {registry: 'HKLM\\X', value: Y}\n"
        "        expect: {eq: 5}\n  # keep me\n  firewall: {enabled: true}\n"
        "waivers: []\n",
        encoding="utf-8",
    )
    other = [*GOOD]
    other[0] = "city.new_rule"
    path = _sheet(tmp_path, [HEAD, GOOD, other])
    result = cli("baseline", "rules", "import", str(path), "--into", str(base))
    assert result.exit_code == 0, result.output
    text = base.read_text(encoding="utf-8")
    assert "# our city" in text and "# keep me" in text and "firewall" in text
    assert "# the old SMB rule" in text  # a comment above a replaced rule stays
    assert "en: old" not in text and "severity: low" not in text and "city.new_rule" in text
    from endpoint_audit.engine.plan import load_plan_baseline
    from endpoint_audit.engine.registry import load_registry

    loaded = load_plan_baseline(str(base), load_registry())
    assert loaded.rules["city.smb1"].severity.value == "high"
    assert "firewall" in loaded.checks


def _error_of(cli: Any, tmp_path: Path, rows: list[list[str]]) -> str:
    path = _sheet(tmp_path, rows)
    result = cli("baseline", "rules", "import", str(path))
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


def _with(column: str, value: str) -> list[str]:
    row = [*GOOD]
    row[HEAD.index(column)] = value
    return row


def test_import_errors_name_file_row_and_column(cli: Any, tmp_path: Path) -> None:
    second = _with("operand", '"0"')
    second[0] = "city.second"
    line = _error_of(cli, tmp_path, [HEAD, GOOD, second])
    # Row 3 holds a DWORD compared with the text "0".
    assert "rules.csv:3:" in line and "operand" in line and "write 0 without quotes" in line

    line = _error_of(cli, tmp_path, [HEAD, _with("severity", "urgent")])
    assert "rules.csv:2:severity:" in line

    line = _error_of(cli, tmp_path, [HEAD, _with("target", "HKCU\\Software\\X")])
    assert "rules.csv:2:target:" in line and "HKCU" in line

    line = _error_of(cli, tmp_path, [HEAD, _with("operator", "equals-ish")])
    assert "rules.csv:2:operator:" in line

    line = _error_of(cli, tmp_path, [[*HEAD, "colour"], [*GOOD, "red"]])
    assert "rules.csv:1:colour:" in line and "unknown column" in line

    two = _with("severity", "low")
    line = _error_of(cli, tmp_path, [[*HEAD, "conditions"], [*GOOD, "all 1"], [*two, "all 2"]])
    assert "rules.csv:3:severity:" in line and "differs from row 2" in line

    line = _error_of(cli, tmp_path, [HEAD, GOOD, GOOD])
    assert "rules.csv:2:expect:" in line and "same place" in line


def test_tree_positions_are_checked(tmp_path: Path) -> None:
    head = [*HEAD, "expect"]
    rows = [head, [*GOOD, "any 1"], [*GOOD, "any 3"]]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    try:
        sheet.import_csv(out.getvalue())
    except sheet.SheetError as exc:
        assert exc.row == 3 and exc.column == "expect" and "no any 2" in exc.message
    else:
        raise AssertionError("a gap in the positions was accepted")


def test_a_shift_jis_sheet_from_excel_is_read(cli: Any, tmp_path: Path) -> None:
    # Excel's plain "CSV (Comma delimited)" on a Japanese Windows writes code page 932.
    rows = [
        [
            "ルールID",
            "重要度",
            "タイトル(日本語)",
            "タイトル(英語)",
            "対処(日本語)",
            "対処(英語)",
            "OS",
            "読み取り",
            "対象",
            "値の名前",
            "演算子",
            "期待値",
        ],
        [
            "city.smb1",
            "高",
            "SMBv1 が無効",
            "SMBv1 is off",
            "無効にする",
            "Turn it off",
            "windows",
            "registry",
            "HKLM\\SYSTEM\\X",
            "SMB1",
            "=",
            "0",
        ],
    ]
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path = tmp_path / "sjis.csv"
    path.write_bytes(out.getvalue().encode("cp932"))
    result = cli("baseline", "rules", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "SMBv1 が無効" in result.output and "eq: 0" in result.output


def test_cim_selectors_are_one_line_each() -> None:
    cell = 'SID ends_with -501\nLocalAccount = true\nName = "1"\nDomain eq PC01'
    assert sheet.read_where(cell) == {
        "SID": {"ends_with": "-501"},
        "LocalAccount": True,  # written plainly in the YAML
        "Name": "1",
        "Domain": {"eq": "PC01"},  # written {eq: ...}
    }
    assert sheet.read_where(sheet.write_where(sheet.read_where(cell))) == sheet.read_where(cell)
    for bad in ("SID ends_with -501\nSID = 1", "not a selector"):
        try:
            sheet.read_where(bad)
        except CellProblem:
            continue
        raise AssertionError(f"{bad!r} was accepted")


def test_set_operators_round_trip_with_their_cells() -> None:
    rule = RuleEntry.model_validate(
        {
            "type": "rule",
            "severity": "high",
            "title": {"ja": "RDP", "en": "RDP"},
            "remediation": {"ja": "直す", "en": "Fix"},
            "platforms": {
                "windows": {
                    "all": [
                        {
                            "read": {
                                "secpol": "Privilege Rights",
                                "key": "SeRemoteInteractiveLogonRight",
                            },
                            "expect": {"subset_of": ["*S-1-5-32-544", "*S-1-5-32-555"]},
                        },
                        {
                            "read": {"secpol": "Privilege Rights", "key": "SeTcbPrivilege"},
                            "expect": {"equals_set": []},
                        },
                    ]
                }
            },
        }
    )
    text = sheet.export_csv({"t.rdp": rule})
    header, *table = csv.reader(io.StringIO(text, newline=""))
    rows = [dict(zip(header, row, strict=True)) for row in table]
    assert [(r["operator"], r["operand"]) for r in rows] == [
        ("subset_of", '["*S-1-5-32-544", "*S-1-5-32-555"]'),
        ("equals_set", "[]"),
    ]
    assert sheet.import_csv(text) == {"t.rdp": rule}


# --- applies_when: rows marked true are the rule's applicability ------------------------


def _with_applies(rule: RuleEntry, guards: dict[str, Any]) -> RuleEntry:
    """The rule with an applicability under some of its own OS families."""
    chosen = {f.value: guards[f.value] for f in rule.platforms if f.value in guards}
    if not chosen:
        return rule
    data = rule.model_dump(mode="json", by_alias=True, exclude_none=True)
    return RuleEntry.model_validate({**data, "applies_when": chosen})


GUARDS = st.fixed_dictionaries(
    {},
    optional={"windows": _tree(WINDOWS_READS), "linux": _tree(LINUX_READS)},
)
APPLYING_RULES = st.dictionaries(
    RULE_IDS,
    st.builds(_with_applies, RULE, GUARDS),
    min_size=1,
    max_size=3,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(APPLYING_RULES)
def test_applies_when_round_trips_through_the_sheet(rules: dict[str, RuleEntry]) -> None:
    text = sheet.export_csv(rules)
    assert sheet.import_csv(text) == rules
    header = text.splitlines()[0].split(",")
    assert ("applies_when" in header) == any(r.applies_when for r in rules.values())
    table = list(csv.reader(io.StringIO(text, newline="")))
    reordered = [table[0], *reversed(table[1:])]
    assert sheet.import_rows(reordered) == rules


def test_the_shipped_office_rule_round_trips_with_a_japanese_column() -> None:
    loaded = load_plan_baseline(
        str(ROOT / "baselines" / "jp-municipal-telework.yaml"), load_registry()
    )
    rules = {"jp.office_macros_blocked": loaded.rules["jp.office_macros_blocked"]}
    text = sheet.export_csv(rules, "ja")
    header = next(csv.reader(io.StringIO(text)))
    assert "適用条件" in header
    rows = list(csv.DictReader(io.StringIO(text)))
    marked = [r for r in rows if r["適用条件"] == "true"]
    assert len(marked) == 5 and all(r["OS"] == "windows" for r in marked)
    assert sheet.import_csv(text) == rules


def test_applies_when_cell_errors_name_the_row_and_column(cli: Any, tmp_path: Path) -> None:
    head = [*HEAD, "applies_when"]
    line = _error_of(cli, tmp_path, [head, [*GOOD, "yes"], [*GOOD, ""]])
    assert "rules.csv:2:applies_when:" in line and "write true" in line
    linux = [*GOOD]
    linux[HEAD.index("platform")] = "linux"
    linux[HEAD.index("read")] = "sysctl"
    linux[HEAD.index("target")] = "kernel.x"
    linux[HEAD.index("value_name")] = linux[HEAD.index("type")] = ""
    line = _error_of(cli, tmp_path, [head, [*linux, "true"], [*GOOD, ""]])
    assert "rules.csv:2:applies_when:" in line and "applies_when names linux" in line


def test_a_profile_payload_read_round_trips_with_japanese_headers() -> None:
    rule = RuleEntry.model_validate(
        {
            "type": "rule",
            "severity": "high",
            "title": {"ja": "ゲスト無効", "en": "guest off"},
            "remediation": {"ja": "なし", "en": "none"},
            "platforms": {
                "macos": {
                    "all": [
                        {
                            "read": {
                                "profile_payload": "com.apple.MCX",
                                "profile": "com.example.myprofile",
                                "key": "EnableGuestAccount",
                                "type": "bool",
                            },
                            "expect": {"any": [{"absent": True}, {"eq": False}]},
                        },
                        {
                            "read": {"profile_payload": "com.apple.loginwindow", "key": ["a.b", 0]},
                            "expect": {"present": True},
                        },
                    ]
                }
            },
        }
    )
    rules = {"jp.guest_profile": rule}
    text = sheet.export_csv(rules, "ja")
    header = next(csv.reader(io.StringIO(text)))
    assert "プロファイル識別子" in header and "profile" not in header
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["読み取り"] for r in rows] == ["profile_payload"] * 3
    assert (
        rows[0]["対象"] == "com.apple.MCX"
        and rows[0]["プロファイル識別子"] == "com.example.myprofile"
    )
    assert rows[2]["プロファイル識別子"] == ""
    assert sheet.import_csv(text) == rules
    # English headers too; a sheet without any profile read has no profile column.
    assert sheet.import_csv(sheet.export_csv(rules)) == rules
    assert "profile" in next(csv.reader(io.StringIO(sheet.export_csv(rules))))
    plist_only = RuleEntry.model_validate(
        {
            **rule.model_dump(by_alias=True, exclude_none=True),
            "platforms": {
                "macos": {
                    "read": {"plist": "com.apple.MCX", "key": "x"},
                    "expect": {"present": True},
                }
            },
        }
    )
    header = next(csv.reader(io.StringIO(sheet.export_csv({"jp.plist": plist_only}))))
    assert "profile" not in header
