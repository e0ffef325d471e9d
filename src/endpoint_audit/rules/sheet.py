"""Rule checks as a sheet (CSV for Excel) and back, without losing anything.

One row per comparison: the rule's own columns (id, severity, texts, references) repeat
on each of its rows, then the OS family, the read (its kind and fields), the operator and
its operand. Two path columns say where the row stands in the rule's trees: `conditions`
in the tree of conditions under the OS family, `expect` in the tree of expectations of
one read. A path is written `all 2 > any 1`: the second part of an `all`, which is an
`any` whose first part is this row. An empty path: the row is the whole tree. Positions
are numbers, so rows may be sorted in the spreadsheet and still rebuild the same rules.
Rows marked `true` in the `applies_when` column are the rule's applicability under their
OS family (the same columns and paths), not its conditions; the column is written only
when a rule has one.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, get_args

from msgspec import Struct, field
from pydantic import BaseModel, ValidationError

from endpoint_audit.model.platform import OsFamily
from endpoint_audit.model.result import Reference
from endpoint_audit.model.rule import (
    OPERATOR_NAMES,
    READ_KEYS,
    AllOf,
    AnyOf,
    Compare,
    Condition,
    Conditions,
    Expect,
    ExpectAll,
    ExpectAny,
    ExpectNone,
    NoneOf,
    Read,
    RuleEntry,
)
from endpoint_audit.rules.sheet_cells import (
    CellProblem,
    guard,
    read_text,
    read_value,
    split_lines,
    unguard,
    write_field,
    write_text,
    write_value,
)
from endpoint_audit.rules.sheet_files import parse_table

# Canonical column -> (English header, Japanese header). Export writes one of the two;
# import also takes the other names in ALIASES.
RULE_COLUMNS: dict[str, tuple[str, str]] = {
    "id": ("id", "ルールID"),
    "enabled": ("enabled", "有効"),
    "severity": ("severity", "重要度"),
    "title_ja": ("title_ja", "タイトル(日本語)"),
    "title_en": ("title_en", "タイトル(英語)"),
    "remediation_ja": ("remediation_ja", "対処(日本語)"),
    "remediation_en": ("remediation_en", "対処(英語)"),
    "rationale_ja": ("rationale_ja", "理由(日本語)"),
    "rationale_en": ("rationale_en", "理由(英語)"),
    "references": ("references", "参照"),
    "platform": ("platform", "OS"),
    "applies_when": ("applies_when", "適用条件"),
    "conditions": ("conditions", "条件の構成"),
    "read": ("read", "読み取り"),
    "target": ("target", "対象"),
}
# Fields of the reads besides the one naming the read (its `target`), by their YAML name.
READ_FIELD_COLUMNS: dict[str, tuple[str, str]] = {
    "value": ("value_name", "値の名前"),
    "type": ("type", "型"),
    "property": ("property", "プロパティ"),
    "section": ("section", "セクション"),
    "key": ("key", "キー"),
    "separator": ("separator", "区切り"),
    "subcategory": ("subcategory", "サブカテゴリ"),
    "namespace": ("namespace", "名前空間"),
    "where": ("where", "選択条件"),
}
# Read fields that few rules use: a column only in sheets whose rules use them.
OPTIONAL_FIELD_COLUMNS: dict[str, tuple[str, str]] = {
    "profile": ("profile", "プロファイル識別子"),
}
TAIL_COLUMNS: dict[str, tuple[str, str]] = {
    "expect": ("expect", "期待値の構成"),
    "operator": ("operator", "演算子"),
    "operand": ("operand", "期待値"),
}
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("ID", "rule id", "rule_id", "ルール ID"),
    "enabled": ("有効/無効",),
    "severity": ("重大度",),
    "title_ja": ("タイトル(ja)", "title (ja)", "タイトル"),
    "title_en": ("タイトル(en)", "title (en)", "title"),
    "remediation_ja": ("対策(日本語)", "対処方法(日本語)", "remediation (ja)"),
    "remediation_en": ("対策(英語)", "対処方法(英語)", "remediation (en)"),
    "rationale_ja": ("根拠(日本語)", "rationale (ja)"),
    "rationale_en": ("根拠(英語)", "rationale (en)"),
    "references": ("参考", "参照先", "根拠規程"),
    "platform": ("os_family", "プラットフォーム", "os family"),
    "applies_when": ("applies when", "適用条件の行"),
    "conditions": ("条件", "条件の組み合わせ"),
    "read": ("読み取り種別", "種別", "kind"),
    "target": ("読み取り対象", "パス"),
    "value": ("value name", "値の名前(レジストリ)"),
    "type": ("値の型",),
    "expect": ("期待値の組み合わせ",),
    "operator": ("比較", "比較演算子"),
    "operand": ("値", "期待する値"),
}
_SEVERITIES = {"重大": "critical", "高": "high", "中": "medium", "低": "low", "情報": "info"}
_OPERATOR_SYMBOLS = {"=": "eq", "==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt"}
_OPERATOR_SYMBOLS[">="] = "ge"
_GROUPS = ("all", "any", "none")
_GROUP_WORDS = {"すべて": "all", "いずれか": "any", "いずれでもない": "none"}


def columns(read_fields: Iterable[str] = (), applies_when: bool = True) -> list[str]:
    """The canonical columns in sheet order (with any further read fields at the end of
    the read's columns); `applies_when` only when a rule has an applicability."""
    extra = [f for f in read_fields if f not in READ_FIELD_COLUMNS]
    head = [c for c in RULE_COLUMNS if applies_when or c != "applies_when"]
    return [*head, *READ_FIELD_COLUMNS, *extra, *TAIL_COLUMNS]


def header_of(column: str, lang: str) -> str:
    names = {
        **RULE_COLUMNS,
        **READ_FIELD_COLUMNS,
        **OPTIONAL_FIELD_COLUMNS,
        **TAIL_COLUMNS,
    }.get(column)
    if names is None:
        return column
    return names[1] if lang == "ja" else names[0]


def _normal(header: str) -> str:
    text = unicodedata.normalize("NFKC", header).strip().lower()
    return re.sub(r"[\s_\-・]", "", text)


def header_names() -> dict[str, str]:
    """Every header name import accepts (normalized) -> canonical column."""
    names: dict[str, str] = {}
    for table in (RULE_COLUMNS, READ_FIELD_COLUMNS, OPTIONAL_FIELD_COLUMNS, TAIL_COLUMNS):
        for column, (en, ja) in table.items():
            for name in (column, en, ja, *ALIASES.get(column, ())):
                names[_normal(name)] = column
    return names


# --- export ---------------------------------------------------------------------------


def _path_text(path: Sequence[tuple[str, int]]) -> str:
    return " > ".join(f"{kind} {pos}" for kind, pos in path)


def _expect_rows(expect: Expect, path: tuple[tuple[str, int], ...]) -> list[tuple[str, Compare]]:
    if isinstance(expect, Compare):
        return [(_path_text(path), expect)]
    kind, parts = _expect_parts(expect)
    rows: list[tuple[str, Compare]] = []
    for pos, part in enumerate(parts, 1):
        rows += _expect_rows(part, (*path, (kind, pos)))
    return rows


def _expect_parts(expect: ExpectAll | ExpectAny | ExpectNone) -> tuple[str, list[Expect]]:
    if isinstance(expect, ExpectAll):
        return "all", expect.all
    if isinstance(expect, ExpectAny):
        return "any", expect.any
    return "none", expect.none


def _condition_parts(tree: AllOf | AnyOf | NoneOf) -> tuple[str, list[Conditions]]:
    if isinstance(tree, AllOf):
        return "all", tree.all
    if isinstance(tree, AnyOf):
        return "any", tree.any
    return "none", tree.none


def _condition_rows(
    tree: Conditions, path: tuple[tuple[str, int], ...]
) -> list[tuple[str, Condition]]:
    if isinstance(tree, Condition):
        return [(_path_text(path), tree)]
    kind, parts = _condition_parts(tree)
    rows: list[tuple[str, Condition]] = []
    for pos, part in enumerate(parts, 1):
        rows += _condition_rows(part, (*path, (kind, pos)))
    return rows


def read_fields(read: BaseModel) -> tuple[str, str, dict[str, Any]]:
    """(kind, target, other fields by YAML name) of a read."""
    data = read.model_dump(by_alias=True, exclude_none=True)
    kind = _first_field(read)
    target = data.pop(kind)
    return kind, target, data


def _first_field(read: BaseModel) -> str:
    # The field naming the read is each read model's first (registry, file, secpol, ...).
    first = next(iter(type(read).model_fields.values()))
    return first.alias or next(iter(type(read).model_fields))


# Read fields that may hold a list (a plist key path, a command's argv): written [a, b].
LIST_FIELDS = frozenset({"key", "command"})


def _write_field(name: str, value: Any) -> str:
    if name == "where":
        return write_where(value)
    if isinstance(value, list) and name in LIST_FIELDS:
        return write_value(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # a command's timeout; the model reads the digits back
    if not isinstance(value, str):
        raise CellProblem(f"the read's {name} {value!r} cannot be written in a sheet")
    return write_text(value)


def _read_field(name: str, cell: str) -> Any:
    if name == "where":
        return read_where(cell)
    if name in LIST_FIELDS and cell.startswith("["):
        return read_value(cell)
    return read_text(cell)


def write_where(selectors: Mapping[str, Any]) -> str:
    """CIM selectors, one a line: `Name = value` (a value written plainly), `Name eq value`
    (written `{eq: value}`) or `SID ends_with -501`, so the sheet gives back the same YAML."""
    lines = []
    for prop, match in selectors.items():
        if not isinstance(match, Mapping):
            lines.append(f"{prop} = {write_value(match)}")
        elif match.get("ends_with") is not None:
            lines.append(f"{prop} ends_with {write_text(match['ends_with'])}")
        else:
            lines.append(f"{prop} eq {write_value(match['eq'])}")
    return "\n".join(lines)


def read_where(cell: str) -> dict[str, Any]:
    selectors: dict[str, Any] = {}
    for line in split_lines(cell):
        match = re.fullmatch(
            r"([A-Za-z_][A-Za-z0-9_]*)\s*(=|\beq\b|\bends_with\b)\s*(.*)", line, re.S
        )
        if not match:
            raise CellProblem(
                f"{line!r}: write one selector a line: 'Name = value' or 'SID ends_with -501'"
            )
        prop, how, value = match.groups()
        if prop in selectors:
            raise CellProblem(f"{prop} is selected twice; one line per property")
        if how == "ends_with":
            selectors[prop] = {"ends_with": read_text(value.strip())}
        elif how == "eq":
            selectors[prop] = {"eq": read_value(value.strip())}
        else:
            selectors[prop] = read_value(value.strip())
    return selectors


def _references_cell(references: Sequence[Reference]) -> str:
    lines = []
    for ref in references:
        parts = [write_field(ref.framework), write_field(ref.id)]
        if ref.title is not None or ref.platforms:
            parts.append("" if ref.title is None else write_field(ref.title))
        if ref.platforms:
            for name in ref.platforms:
                if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
                    raise CellProblem(f"reference platform {name!r} is not a plain OS name")
            parts.append(" ".join(ref.platforms))
        lines.append(" | ".join(parts))
    return "\n".join(lines)


def export_rows(rules: Mapping[str, RuleEntry]) -> tuple[list[str], list[dict[str, str]]]:
    """The sheet's columns and rows (cells as the notation writes them, unguarded)."""
    rows: list[dict[str, str]] = []
    extra: list[str] = []
    for rule_id, rule in rules.items():
        head = {
            "id": rule_id,
            "enabled": "true" if rule.enabled else "false",
            "severity": rule.severity.value,
            "title_ja": write_text(rule.title.ja),
            "title_en": write_text(rule.title.en),
            "remediation_ja": write_text(rule.remediation.ja),
            "remediation_en": write_text(rule.remediation.en),
            "rationale_ja": write_text(rule.rationale.ja) if rule.rationale else "",
            "rationale_en": write_text(rule.rationale.en) if rule.rationale else "",
            "references": _references_cell(rule.references),
        }
        for family, guard_tree, tree in _trees(rule):
            for cond_path, condition in _condition_rows(tree, ()):
                kind, target, fields = read_fields(condition.read)
                extra += [f for f in fields if f not in READ_FIELD_COLUMNS and f not in extra]
                for expect_path, compare in _expect_rows(condition.expect, ()):
                    operator = compare.operator
                    operand = compare.operand
                    row = {
                        **head,
                        "platform": family.value,
                        "applies_when": "true" if guard_tree else "",
                        "conditions": cond_path,
                        "read": kind,
                        "target": _write_field(kind, target),
                        **{name: _write_field(name, v) for name, v in fields.items()},
                        "expect": expect_path,
                        "operator": operator,
                        "operand": ""
                        if operator in ("present", "absent")
                        else write_value(operand),
                    }
                    rows.append(row)
    return columns(extra, any(rule.applies_when for rule in rules.values())), rows


def _trees(rule: RuleEntry) -> list[tuple[OsFamily, bool, Conditions]]:
    """Per OS family its applicability (marked True) first, then its conditions."""
    out: list[tuple[OsFamily, bool, Conditions]] = []
    for family, tree in rule.platforms.items():
        guard_tree = rule.applies_tree(family)
        if guard_tree is not None:
            out.append((family, True, guard_tree))
        out.append((family, False, tree))
    return out


def export_csv(rules: Mapping[str, RuleEntry], lang: str = "en") -> str:
    """The sheet as CSV text (CRLF line ends; the caller writes it with a BOM)."""
    cols, rows = export_rows(rules)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([header_of(c, lang) for c in cols])
    for row in rows:
        writer.writerow([guard(row.get(c, "")) for c in cols])
    return out.getvalue()


# --- import ---------------------------------------------------------------------------


class SheetError(ValueError):
    """A problem at one cell: `file:row:column: message`."""

    def __init__(self, row: int, column: str, message: str) -> None:
        super().__init__(message)
        self.row, self.column, self.message = row, column, message

    def line(self, source: str) -> str:
        return f"{source}:{self.row}:{self.column}: {self.message}"


class _Row(Struct):
    number: int  # the spreadsheet's row number (the header is row 1)
    cells: dict[str, str]  # canonical column -> cell, unguarded and trimmed
    headers: dict[str, str]  # canonical column -> header as the file writes it

    def get(self, column: str) -> str:
        return self.cells.get(column, "")

    def error(self, column: str, message: str) -> SheetError:
        return SheetError(self.number, self.headers.get(column, column), message)


class _Leaf(Struct):
    path: list[tuple[str, int]]
    row: _Row
    column: str
    value: Any = None
    children: list[_Leaf] = field(default_factory=list)


# Deeper than any rule a person writes; the YAML of a deeper one would not load either.
MAX_TREE_DEPTH = 12


def parse_path(row: _Row, column: str) -> list[tuple[str, int]]:
    text = row.get(column)
    if not text:
        return []
    parts = text.split(">")
    if len(parts) > MAX_TREE_DEPTH:
        raise row.error(column, f"nested more than {MAX_TREE_DEPTH} levels deep")
    path = []
    for part in parts:
        match = re.fullmatch(r"\s*(\D+?)\s*(\d{1,6})\s*", unicodedata.normalize("NFKC", part))
        kind = match and _GROUP_WORDS.get(match.group(1), match.group(1).lower())
        if not match or kind not in _GROUPS:
            raise row.error(
                column,
                f"{text!r}: write the place in the tree as 'all 2 > any 1' "
                "(all, any or none, each with the part's position from 1)",
            )
        path.append((str(kind), int(match.group(2))))
    return path


def build_tree(items: list[_Leaf], column: str, depth: int = 0) -> Any:
    """The tree {kind: [parts]} (or the single leaf's value) the paths describe."""
    if len(items) == 1 and len(items[0].path) == depth:
        return items[0].value
    whole = [item for item in items if len(item.path) == depth]
    if whole:
        others = ", ".join(str(i.row.number) for i in items if i is not whole[0])
        raise whole[0].row.error(
            column,
            f"rows {whole[0].row.number} and {others} of one rule and OS stand at the same "
            f"place ({_path_text(whole[0].path) or 'the whole tree'}); give each row its own "
            f"place in the {column} column, e.g. 'all 1' and 'all 2'",
        )
    kinds = {item.path[depth][0] for item in items}
    if len(kinds) > 1:
        first = items[0]
        other = next(i for i in items if i.path[depth][0] != first.path[depth][0])
        raise other.row.error(
            column,
            f"at this level row {first.row.number} says {first.path[depth][0]}, this row says "
            f"{other.path[depth][0]}; one group has one kind",
        )
    kind = kinds.pop()
    by_pos: dict[int, list[_Leaf]] = {}
    for item in items:
        by_pos.setdefault(item.path[depth][1], []).append(item)
    for expected, pos in enumerate(sorted(by_pos), 1):
        if pos != expected:
            raise by_pos[pos][0].row.error(
                column, f"{kind} {pos}: there is no {kind} {expected}; number the parts from 1"
            )
    return {kind: [build_tree(by_pos[pos], column, depth + 1) for pos in sorted(by_pos)]}


def _loc_column(loc: Sequence[Any]) -> str:
    """The sheet column a validation problem of a condition is about."""
    clean = [p for p in loc if not (isinstance(p, str) and (p.startswith("~") or "-" in p))]
    if clean and clean[0] == "read":
        name = next((str(p) for p in clean[1:] if isinstance(p, str)), "")
        fields = {*READ_FIELD_COLUMNS, *OPTIONAL_FIELD_COLUMNS}
        if name in fields or (name and name not in READ_KEYS):
            return name if name in fields else "read"
        return "target" if name else "read"
    if clean and clean[0] == "expect":
        return "operand"
    return "read"


def _message(exc: ValidationError) -> str:
    err = exc.errors()[0]
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        message = f"{err['loc'][-1]} does not belong to this read"
    return message


def _rule_error(exc: ValidationError, row: _Row) -> SheetError:
    err = exc.errors()[0]
    loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("~"))]
    head = str(loc[0]) if loc else "id"
    column = {
        "severity": "severity",
        "enabled": "enabled",
        "platforms": "platform",
        "applies_when": "applies_when",
        "references": "references",
    }.get(head, "id")
    if head in ("title", "remediation", "rationale") and len(loc) > 1:
        column = f"{head}_{loc[1]}"
    return row.error(column, _message(exc))


def _read_of(row: _Row, field_columns: Sequence[str]) -> dict[str, Any]:
    kind = row.get("read")
    if not kind:
        raise row.error("read", f"name what is read: {', '.join(_read_kinds())}")
    if kind not in _read_kinds():
        raise row.error("read", f"{kind!r} is not a read; use {', '.join(_read_kinds())}")
    target = row.get("target")
    if not target:
        raise row.error("target", f"write what the {kind} read reads")
    try:
        data: dict[str, Any] = {kind: _read_field(kind, target)}
    except CellProblem as exc:
        raise row.error("target", str(exc)) from None
    for name in field_columns:
        cell = row.get(name)
        if not cell:
            continue
        try:
            data[name] = _read_field(name, cell)
        except CellProblem as exc:
            raise row.error(name, str(exc)) from None
    return data


_NOTE_COLUMNS = {
    _normal(n) for n in ("notes", "note", "memo", "comment", "備考", "メモ", "コメント")
}


def _read_models() -> list[type[BaseModel]]:
    return [get_args(member)[0] for member in get_args(get_args(Read)[0])]


def _read_field_names() -> set[str]:
    """Every field name of every read, besides the one naming it."""
    names: set[str] = set()
    for model in _read_models():
        for name, info in list(model.model_fields.items())[1:]:
            names.add(info.alias or name)
    return names


def _read_kinds() -> list[str]:
    kinds: list[str] = []
    for model in _read_models():
        first = next(iter(model.model_fields.items()))
        kinds.append(first[1].alias or first[0])
    return kinds


def _compare_of(row: _Row) -> dict[str, Any]:
    given = row.get("operator")
    name = _OPERATOR_SYMBOLS.get(given, given.lower())
    if name not in OPERATOR_NAMES:
        raise row.error(
            "operator", f"{given!r} is not an operator; use {', '.join(OPERATOR_NAMES)}"
        )
    cell = row.get("operand")
    if name in ("present", "absent"):
        if cell not in ("", "true"):
            raise row.error("operand", f"{name} takes no value; leave the cell empty")
        return {name: True}
    if not cell:
        raise row.error("operand", f"{name} needs a value")
    try:
        # version_* and regex take text only: a bare 10.0 or [a-z]+ is that text.
        text_only = name.startswith("version_") or name == "regex"
        value = read_text(cell) if text_only else read_value(cell)
    except CellProblem as exc:
        raise row.error("operand", str(exc)) from None
    return {name: value}


def _references_of(row: _Row) -> list[dict[str, Any]]:
    refs = []
    try:
        for line in split_lines(row.get("references")):
            parts = [read_text(p) if p else None for p in _raw_parts(line)]
            if len(parts) < 2 or len(parts) > 4 or parts[0] is None or parts[1] is None:
                raise CellProblem(
                    f"{line!r}: write one reference a line as 'framework | id | title'"
                )
            ref: dict[str, Any] = {"framework": parts[0], "id": parts[1]}
            if len(parts) > 2 and parts[2] is not None:
                ref["title"] = parts[2]
            if len(parts) > 3 and parts[3]:
                ref["platforms"] = parts[3].split()
            refs.append(ref)
    except CellProblem as exc:
        raise row.error("references", str(exc)) from None
    return refs


def _raw_parts(line: str) -> list[str]:
    # Like split_fields, but an empty part (a title left out) is kept as "".
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        if char == "|" and not quoted:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    if quoted:
        raise CellProblem(f"{line!r}: a quote is not closed")
    parts.append("".join(current).strip())
    return parts


def _text_pair(row: _Row, name: str) -> dict[str, str] | None:
    ja, en = row.get(f"{name}_ja"), row.get(f"{name}_en")
    if not ja and not en:
        return None
    try:
        return {"ja": read_text(ja), "en": read_text(en)}
    except CellProblem as exc:
        raise row.error(f"{name}_ja", str(exc)) from None


_RULE_LEVEL = (
    "enabled",
    "severity",
    "title_ja",
    "title_en",
    "remediation_ja",
    "remediation_en",
    "rationale_ja",
    "rationale_en",
    "references",
)


def _rule_head(rows: list[_Row]) -> _Row:
    """One row holding the rule's own columns: each taken from the rows that fill it,
    which must agree."""
    first = rows[0]
    cells = dict(first.cells)
    for column in _RULE_LEVEL:
        filled = [r for r in rows if r.get(column)]
        if not filled:
            continue
        for other in filled[1:]:
            if other.get(column) != filled[0].get(column):
                raise other.error(
                    column,
                    f"differs from row {filled[0].number} of the same rule; a rule's own "
                    "columns hold one value (or are left empty on its further rows)",
                )
        cells[column] = filled[0].get(column)
    return _Row(first.number, cells, first.headers)


def _rule_data(rule_id: str, rows: list[_Row], field_columns: Sequence[str]) -> dict[str, Any]:
    head = _rule_head(rows)
    enabled = head.get("enabled").lower() or "true"
    if enabled not in ("true", "false"):
        raise head.error("enabled", f"{enabled!r}: write true or false")
    severity = head.get("severity")
    data: dict[str, Any] = {
        "type": "rule",
        "enabled": enabled == "true",
        "severity": _SEVERITIES.get(severity, severity.lower()),
        "title": _text_pair(head, "title"),
        "remediation": _text_pair(head, "remediation"),
        "references": _references_of(head),
    }
    rationale = _text_pair(head, "rationale")
    if rationale is not None:
        data["rationale"] = rationale
    platforms: dict[str, list[_Row]] = {}
    guards: dict[str, list[_Row]] = {}
    for row in rows:
        family = row.get("platform").lower()
        if not family:
            raise row.error("platform", "name the OS family: windows, macos or linux")
        (guards if _applies_row(row) else platforms).setdefault(family, []).append(row)
    data["platforms"] = {
        family: _platform_tree(family_rows, field_columns)
        for family, family_rows in platforms.items()
    }
    if guards:
        data["applies_when"] = {
            family: _platform_tree(family_rows, field_columns)
            for family, family_rows in guards.items()
        }
    return data


def _applies_row(row: _Row) -> bool:
    """Whether the row belongs to the rule's applicability (`applies_when`: true)."""
    cell = row.get("applies_when").lower()
    if cell not in ("", "true", "false"):
        raise row.error(
            "applies_when",
            f"{cell!r}: write true on the rows of the rule's applicability (applies_when), "
            "or leave the cell empty on its condition rows",
        )
    return cell == "true"


def _platform_tree(rows: list[_Row], field_columns: Sequence[str]) -> Any:
    by_condition: dict[tuple[tuple[str, int], ...], list[_Row]] = {}
    for row in rows:
        by_condition.setdefault(tuple(parse_path(row, "conditions")), []).append(row)
    leaves = []
    for path, cond_rows in by_condition.items():
        read = _read_of(cond_rows[0], field_columns)
        for other in cond_rows[1:]:
            if _read_of(other, field_columns) != read:
                raise other.error(
                    "target",
                    f"row {cond_rows[0].number} has the same place in the conditions "
                    "but another read; rows of one condition read the same value",
                )
        expects = [_Leaf(parse_path(r, "expect"), r, "expect", _compare_of(r)) for r in cond_rows]
        data = {"read": read, "expect": build_tree(expects, "expect")}
        try:
            Condition.model_validate(data)
        except ValidationError as exc:
            raise cond_rows[0].error(_loc_column(exc.errors()[0]["loc"]), _message(exc)) from None
        leaves.append(_Leaf(list(path), cond_rows[0], "conditions", data))
    return build_tree(leaves, "conditions")


def import_rows(table: list[list[str]]) -> dict[str, RuleEntry]:
    """Rules from a parsed sheet (its first row the headers). Raises SheetError."""
    if not table or not any(c.strip() for c in table[0]):
        raise SheetError(1, "(header)", "the sheet is empty; the first row names the columns")
    names = header_names()
    header = table[0]
    index: dict[str, int] = {}
    written: dict[str, str] = {}
    for pos, raw in enumerate(header):
        name = unguard(raw)
        if not name:
            continue
        column = names.get(_normal(name))
        if column is None and _normal(name) in _NOTE_COLUMNS:
            continue  # the team's own notes: kept in the sheet, not in the rules
        if column is None:
            column = name.strip()
            if column not in _read_field_names():
                raise SheetError(
                    1, name, f"unknown column {name!r}; docs/rules.md lists the column names"
                )
        if column in index:
            raise SheetError(1, name, f"the column {column} is named twice")
        index[column] = pos
        written[column] = name
    for required in ("id", "severity", "platform", "read", "target", "operator"):
        if required not in index:
            en, ja = {**RULE_COLUMNS, **TAIL_COLUMNS}[required]
            raise SheetError(1, "(header)", f"no {en} ({ja}) column")
    known = {*RULE_COLUMNS, *TAIL_COLUMNS}
    field_columns = [c for c in index if c not in known]
    rules: dict[str, list[_Row]] = {}
    for number, cells in enumerate(table[1:], 2):
        if not any(c.strip() for c in cells):
            continue  # a blank line between rules
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            raise SheetError(number, "(row)", "more cells than the header has columns")
        row = _Row(
            number,
            {c: unguard(cells[p]) if p < len(cells) else "" for c, p in index.items()},
            written,
        )
        rule_id = row.get("id")
        if not rule_id:
            raise row.error("id", "every row names its rule's id")
        rules.setdefault(rule_id, []).append(row)
    out: dict[str, RuleEntry] = {}
    for rule_id, rows in rules.items():
        data = _rule_data(rule_id, rows, field_columns)
        try:
            out[rule_id] = RuleEntry.model_validate(data)
        except ValidationError as exc:
            raise _rule_error(exc, _rule_head(rows)) from None
    return out


def import_csv(text: str) -> dict[str, RuleEntry]:
    return import_rows(parse_table(text, "(sheet)"))


def rule_document(rule: RuleEntry) -> dict[str, Any]:
    """A rule as the baseline YAML writes it (defaults left out)."""
    data = rule.model_dump(mode="json", by_alias=True, exclude_none=True)
    if rule.enabled:
        data.pop("enabled")
    data["references"] = [
        r.model_dump(mode="json", exclude_none=True, exclude_defaults=True) for r in rule.references
    ]
    if not data["references"]:
        data.pop("references")
    return data
