"""HardeningKitty finding lists as rule checks: real lists from scipag/HardeningKitty
(tests/fixtures/hardeningkitty/README.md), every row a rule or a named skip."""

from __future__ import annotations

import csv
import functools
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from endpoint_audit.engine.plan import load_plan_baseline
from endpoint_audit.engine.registry import load_registry
from endpoint_audit.model.members import well_known_sid
from endpoint_audit.model.platform import OsFamily
from endpoint_audit.model.rule import AuditpolRead, RegistryRead, SecpolRead, condition_leaves
from endpoint_audit.rules import hardeningkitty
from endpoint_audit.rules.evaluate import HOLDS, judge_rule
from endpoint_audit.rules.facts import absent_value, seen_value
from endpoint_audit.rules.sheet_files import read_sheet

LISTS = Path(__file__).parents[1] / "fixtures" / "hardeningkitty"
MACHINE = LISTS / "finding_list_msft_security_baseline_windows_11_24h2_machine.csv"
USER = LISTS / "finding_list_msft_security_baseline_windows_11_24h2_user.csv"
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _expected_skips(rows: list[dict[str, str]]) -> int:
    """Rows that no rule reads the way HardeningKitty does, counted from the list itself."""
    mapped = {"Registry", "secedit", "accountpolicy", "auditpol", "service", "accesschk"}
    operators = {"=", "!=", "<=", ">=", "<=!0", "=|0", "contains"}
    special = {"Machine", "EccCurves", "NullSessionPipes", "NullSessionShares", "ASRRules"}
    count = 0
    for row in rows:
        if row["Method"] not in mapped or row["Operator"] not in operators:
            count += 1
        elif row["Method"] == "accesschk" and any(
            well_known_sid(name) is None for name in row["RecommendedValue"].split(";") if name
        ):
            count += 1
        elif row["Method"] == "Registry" and (
            row["RegistryItem"] in special
            or row["RegistryPath"].lower().endswith("\\networkprovider\\hardenedpaths")
        ):
            count += 1
    return count


def test_the_machine_list_imports_and_validates(cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "hk.yaml"
    result = cli(
        "baseline", "rules", "import", "--from", "hardeningkitty", str(MACHINE), "-o", str(out)
    )
    assert result.exit_code == 0, result.output
    rows = _rows(MACHINE)
    skipped = [line for line in result.output.splitlines() if "skipped: " in line]
    assert len(skipped) == _expected_skips(rows) == 18
    # Each skip names the file's row and why.
    for line in skipped:
        assert re.search(r"skipped: .*\.csv:\d+: \S+ .*: \S", line), line
    assert f"{len(rows) - 18} rules imported, 18 rows skipped" in result.output
    assert len(rows) - 18 == 421
    result = cli("baseline", "validate", str(out))
    assert result.exit_code == 0, result.output
    assert "421 checks" in result.output
    loaded = load_plan_baseline(str(out), load_registry())
    assert len(loaded.rules) == 421
    # Every method that is read is there: registry, secedit, accountpolicy, auditpol.
    kinds = {
        type(leaf.read) for rule in loaded.rules.values() for leaf in rule.leaves(OsFamily.WINDOWS)
    }
    assert {RegistryRead, SecpolRead, AuditpolRead} <= kinds


def test_the_user_list_reads_every_signed_in_users_hive(cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "user.yaml"
    result = cli(
        "baseline", "rules", "import", "--from", "hardeningkitty", str(USER), "-o", str(out)
    )
    assert result.exit_code == 0, result.output
    assert "5 rules imported, 0 rows skipped" in result.output
    loaded = load_plan_baseline(str(out), load_registry())
    rows = {f"hk.id_{r['ID']}": r for r in _rows(USER)}
    assert set(loaded.rules) == set(rows)
    for rule_id, rule in loaded.rules.items():
        (leaf,) = rule.leaves(OsFamily.WINDOWS)
        assert isinstance(leaf.read, RegistryRead)
        # HKCU:\X (the user running HardeningKitty) is HKU\*\X: every loaded user hive.
        assert leaf.read.every_user
        hkcu = rows[rule_id]["RegistryPath"].removeprefix("HKCU:\\")
        assert leaf.read.key_path == hkcu
    # "no" stays text; 1 is a number.
    assert loaded.rules["hk.id_10002"].leaves(OsFamily.WINDOWS)[0].expect.model_dump(
        exclude_none=True
    ) == {"eq": "no"}
    assert loaded.rules["hk.id_10003"].leaves(OsFamily.WINDOWS)[0].expect.model_dump(
        exclude_none=True
    ) == {"eq": 1}


@functools.cache
def _imported() -> hardeningkitty.Imported:
    return hardeningkitty.import_rows(read_sheet(MACHINE))


def test_no_imported_rule_passes_on_missing_values() -> None:
    # HardeningKitty takes DefaultValue for a value it does not find; here a missing
    # value never makes a rule pass. The one exception is Windows' own meaning: a user
    # right secedit does not export is held by no one, which is what "no one" expects.
    nobody = 0
    for rule_id, rule in _imported().rules.items():
        tree = rule.platforms[OsFamily.WINDOWS]
        leaves = condition_leaves(tree)
        reads = [absent_value("setting", "x") for _ in leaves]
        status = judge_rule(tree, reads, NOW).status
        no_one = [leaf.expect.model_dump(exclude_none=True) for leaf in leaves] == [
            {"equals_set": []}
        ]
        nobody += no_one
        assert (status is HOLDS) == no_one, rule_id
    empty = [r for r in _rows(MACHINE) if r["Method"] == "accesschk" and not r["RecommendedValue"]]
    assert nobody == len(empty) == 6  # the list's user rights with no one recommended


def _rule_for(name: str) -> Any:
    imported = _imported()
    ids = [row["ID"] for row in _rows(MACHINE) if row["Name"] == name]
    rule_id = f"hk.id_{re.sub(r'[^a-z0-9]+', '_', ids[0].lower())}"
    return imported.rules[rule_id]


def _judge(rule: Any, value: Any, kind: str = "number") -> Any:
    tree = rule.platforms[OsFamily.WINDOWS]
    reads = [seen_value(kind, value, "x") for _ in condition_leaves(tree)]  # type: ignore[arg-type]
    return judge_rule(tree, reads, NOW).status.value


def test_account_policy_reads_secedit_and_fails_where_net_accounts_says_never() -> None:
    rule = _rule_for("Account lockout threshold")  # <= 10 in the list
    leaf = condition_leaves(rule.platforms[OsFamily.WINDOWS])[0]
    assert isinstance(leaf.read, SecpolRead)
    assert (leaf.read.secpol, leaf.read.key) == ("System Access", "LockoutBadCount")
    assert _judge(rule, 5) == "holds"
    assert _judge(rule, 11) == "fails"
    # 0 is "Never" in `net accounts`, which HardeningKitty's number comparison fails.
    assert _judge(rule, 0) == "fails"


def test_auditpol_rows_read_the_guid_and_compare_numbers() -> None:
    rows = [r for r in _rows(MACHINE) if r["Method"] == "auditpol"]
    imported = _imported()
    for row in rows:
        rule = imported.rules[f"hk.id_{re.sub(r'[^a-z0-9]+', '_', row['ID'].lower())}"]
        leaf = condition_leaves(rule.platforms[OsFamily.WINDOWS])[0]
        assert isinstance(leaf.read, AuditpolRead)
        assert leaf.read.auditpol == row["MethodArgument"].upper()
        expected = {"No Auditing": 0, "Success": 1, "Failure": 2, "Success and Failure": 3}
        value = expected[row["RecommendedValue"]]
        assert _judge(rule, value) == "holds"
        if row["Operator"] == "contains" and row["RecommendedValue"] in ("Success", "Failure"):
            assert _judge(rule, 3) == "holds"  # "Success and Failure" contains it
            assert _judge(rule, 0) == "fails"


def test_a_registry_dword_is_a_number_from_hklm() -> None:
    rows = [
        r
        for r in _rows(MACHINE)
        if r["Method"] == "Registry" and r["Operator"] == "=" and r["RecommendedValue"].isdigit()
    ]
    row = rows[0]
    rule = _imported().rules[f"hk.id_{re.sub(r'[^a-z0-9]+', '_', row['ID'].lower())}"]
    leaf = condition_leaves(rule.platforms[OsFamily.WINDOWS])[0]
    assert isinstance(leaf.read, RegistryRead)
    assert leaf.read.hive == "HKLM"
    assert leaf.read.value == row["RegistryItem"]
    assert leaf.expect.model_dump(exclude_none=True) == {"eq": int(row["RecommendedValue"])}
    assert _judge(rule, int(row["RecommendedValue"])) == "holds"
    # The same digits as text (REG_SZ) are not the number: never compared, never a pass.
    assert _judge(rule, row["RecommendedValue"], "text") == "unknown"


def _one(row: dict[str, str]) -> hardeningkitty.Imported:
    header = list(hardeningkitty.COLUMNS)
    return hardeningkitty.import_rows([header, [row.get(c, "") for c in header]])


BASE = {
    "ID": "9",
    "Category": "C",
    "Name": "N",
    "Method": "Registry",
    "RegistryPath": "HKLM:\\SOFTWARE\\Policies\\X",
    "RegistryItem": "V",
    "RecommendedValue": "1",
    "Operator": "=",
    "Severity": "Medium",
}


def test_operators_map_and_unknown_ones_are_skipped() -> None:
    def expect(op: str, value: str = "1") -> Any:
        imported = _one({**BASE, "Operator": op, "RecommendedValue": value})
        assert not imported.skipped, imported.skipped
        rule = imported.rules["hk.id_9"]
        return condition_leaves(rule.platforms[OsFamily.WINDOWS])[0].expect.model_dump(
            exclude_none=True, by_alias=True
        )

    assert expect("=") == {"eq": 1}
    assert expect("=", "Block") == {"eq": "Block"}
    assert expect("!=", "") == {"ne": ""}
    assert expect(">=", "4") == {"ge": 4}
    assert expect("<=!0", "900") == {"all": [{"le": 900}, {"ne": 0}]}
    assert expect("=|0", "4") == {"any": [{"eq": 4}, {"eq": ""}]}
    assert expect("contains", "a.b") == {"regex": r"a\.b"}
    for op in (">", "", "~"):
        imported = _one({**BASE, "Operator": op})
        assert not imported.rules and len(imported.skipped) == 1
        assert imported.skipped[0].row == 2 and "never passes" in imported.skipped[0].reason


def test_hostile_rows_are_skipped_never_crash() -> None:
    for row in (
        {**BASE, "RegistryPath": "HKLM:\\SOFTWARE\\X'; Remove-Item C:\\ -Recurse #"},
        {**BASE, "Method": "secedit", "MethodArgument": "System Access\\x;$(calc)"},
        {
            **BASE,
            "Method": "auditpol",
            "MethodArgument": "{not-a-guid}",
            "RecommendedValue": "Success",
        },
        {**BASE, "Method": "service", "MethodArgument": "a b'c", "RecommendedValue": "Disabled"},
        {**BASE, "Severity": "Passed"},
        {**BASE, "Name": ""},
    ):
        imported = _one(row)
        rules_ok = all(
            isinstance(leaf.read, RegistryRead)
            for rule in imported.rules.values()
            for leaf in rule.leaves(OsFamily.WINDOWS)
        )
        assert (len(imported.rules), len(imported.skipped)) in ((0, 1), (1, 0)), row
        assert rules_ok
    # A registry path with a quote is still only a registry path (the probe quotes it);
    # the secedit key, GUID and service name above are refused by the read models.
    assert (
        len(
            _one(
                {**BASE, "Method": "secedit", "MethodArgument": "System Access\\x;$(calc)"}
            ).skipped
        )
        == 1
    )


def test_user_rights_become_set_rules_of_well_known_sids() -> None:
    rows = [r for r in _rows(MACHINE) if r["Method"] == "accesschk"]
    assert len(rows) == 23
    rule = _rule_for("Allow log on locally")  # BUILTIN\Users;BUILTIN\Administrators
    leaf = condition_leaves(rule.platforms[OsFamily.WINDOWS])[0]
    assert isinstance(leaf.read, SecpolRead) and leaf.read.rights
    assert leaf.read.key == "SeInteractiveLogonRight"
    assert leaf.expect.model_dump(exclude_none=True) == {
        "equals_set": ["*S-1-5-32-545", "*S-1-5-32-544"]
    }
    assert _judge(rule, ["*S-1-5-32-544", "*S-1-5-32-545"], "texts") == "holds"
    # Windows' default also lets Backup Operators and Guest log on locally.
    assert _judge(rule, ["*S-1-5-32-544", "*S-1-5-32-545", "*S-1-5-32-551"], "texts") == "fails"
    # An account secedit wrote by name is never compared.
    assert _judge(rule, ["*S-1-5-32-544", "Users"], "texts") == "unknown"
    nobody = _rule_for("Act as part of the operating system")  # RecommendedValue empty
    leaf = condition_leaves(nobody.platforms[OsFamily.WINDOWS])[0]
    assert leaf.expect.model_dump(exclude_none=True) == {"equals_set": []}
    assert _judge(nobody, ["*S-1-5-18"], "texts") == "fails"


def test_user_rights_rows_map_names_or_are_skipped_naming_them() -> None:
    right = {**BASE, "Method": "accesschk", "MethodArgument": "SeDenyNetworkLogonRight"}
    imported = _one(
        {
            **right,
            "Operator": "contains",
            "RecommendedValue": "BUILTIN\\Guests;NT AUTHORITY\\Local account",
        }
    )
    rule = imported.rules["hk.id_9"]
    leaf = condition_leaves(rule.platforms[OsFamily.WINDOWS])[0]
    assert leaf.expect.model_dump(exclude_none=True) == {
        "contains_all": ["*S-1-5-32-546", "*S-1-5-113"]
    }
    for name in ("Domain Admins", "Guest", "NT SERVICE\\autotimesvc"):
        imported = _one({**right, "RecommendedValue": f"BUILTIN\\Administrators;{name}"})
        assert not imported.rules, name
        (skip,) = imported.skipped
        assert repr(name) in skip.reason and "never by their localized names" in skip.reason
    imported = _one({**right, "Operator": "contains", "RecommendedValue": ""})
    assert not imported.rules and "does not fit a user right" in imported.skipped[0].reason
    imported = _one({**right, "MethodArgument": "SeX'; calc", "RecommendedValue": ""})
    assert not imported.rules and len(imported.skipped) == 1


def test_no_one_remediation_names_no_one() -> None:
    # An empty RecommendedValue once read "Set X as recommended (= )", which told nobody what to do.
    empty = [r for r in _rows(MACHINE) if r["Method"] == "accesschk" and not r["RecommendedValue"]]
    assert empty
    for row in empty:
        rule = _rule_for(row["Name"])
        assert rule.remediation.en.endswith("as recommended (no one).")
        assert "なし" in rule.remediation.ja
        assert "= )" not in rule.remediation.en
