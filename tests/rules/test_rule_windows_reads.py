"""The Windows reads beyond the registry: fifty reads of every kind start PowerShell once
(secedit and auditpol run once for all rules), each answer is read typed, and the
answers a host could forge (an instance the selectors exclude, a user that is no SID, a
line that is no INF) never become values."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import msgspec.structs
from hypothesis import given
from hypothesis import strategies as st

from endpoint_audit.engine.pipeline import RunRequest, Selection, ThisMachine, make_plans
from endpoint_audit.engine.registry import load_registry
from endpoint_audit.engine.run import RunOptions, Target, audit_host
from endpoint_audit.model.commands import CommandResult
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.model.rule import (
    AuditpolRead,
    CimMatch,
    CimRead,
    OptionalFeatureRead,
    RegistryRead,
    SecpolRead,
    ServiceRead,
)
from endpoint_audit.rules.windows import parse_rule_probe, rule_probe, wql_filter
from endpoint_audit.rules.windows_policy import (
    AUDITPOL,
    SECPOL,
    parse_audit_csv,
    parse_auditpol,
    parse_inf,
    parse_secpol,
)
from endpoint_audit.transport.powershell import build_batch_script
from endpoint_audit.transport.transcript import HostTranscript
from tests.windows.clm_lint import clm_violations
from tests.windows.conftest import RECORDED_AT, load_case
from tests.windows.test_one_process import CountingReplay, ScriptedWindowsHost
from tests.windows.test_powershell import syntax_errors

ADMIN = PlatformInfo(family=OsFamily.WINDOWS, is_admin=True)
USER = PlatformInfo(family=OsFamily.WINDOWS, is_admin=False)
LOGON = "{0CCE9215-69AE-11D9-BED3-505054503030}"
LOGOFF = "{0CCE9216-69AE-11D9-BED3-505054503030}"
SID = "S-1-5-21-1004336348-1177238915-682003330"

# secedit's INF as [MS-GPSB] 2.2 defines it (System Access keys, Privilege Rights SID
# lists with '*'), in the shape public exports show: a [Unicode] head, quoted names,
# Registry Values as type,value.
INF = [
    "\ufeff[Unicode]",
    "Unicode=yes",
    "[System Access]",
    "MinimumPasswordAge = 1",
    "MaximumPasswordAge = -1",
    "MinimumPasswordLength = 14",
    "LockoutBadCount = 5",
    'NewGuestName = "Guest"',
    "EnableGuestAccount = 0",
    "[Event Audit]",
    "AuditLogonEvents = 3",
    "[Registry Values]",
    "MACHINE\\System\\CurrentControlSet\\Control\\Lsa\\LimitBlankPasswordUse=4,1",
    "[Privilege Rights]",
    "SeNetworkLogonRight = *S-1-5-32-544,*S-1-5-32-545",
    "SeDenyNetworkLogonRight = *S-1-5-32-546",
    "[Version]",
    'signature="$CHICAGO$"',
    "Revision=1",
]
CSV = [
    "Machine Name,Policy Target,Subcategory,Subcategory GUID,Inclusion Setting,"
    "Exclusion Setting,Setting Value",
    f"WS-GA-0057,System,Logon,{LOGON},Success and Failure,,3",
    f"WS-GA-0057,System,ログオフの監査,{LOGOFF.lower()},成功,,1",
    ",,Option:CrashOnAuditFail,,Disabled,,0",
]


def exported(lines: list[str], code: int = 0) -> CommandResult:
    return CommandResult(0, stdout=json.dumps({"exit": code, "lines": lines}))


# --- fifty reads of every kind, one process ------------------------------------------------

KINDS = (
    "    - read: {registry: 'HKLM\\SOFTWARE\\Policies\\Test\\R__R', value: V__V, type: dword}\n"
    "      expect: {eq: 1}",
    "    - read: {secpol: System Access, key: MinimumPasswordLength}\n      expect: {ge: 14}",
    f"    - read: {{auditpol: '{LOGON}', subcategory: Logon}}\n      expect: {{eq: 3}}",
    "    - read: {cim: Win32_UserAccount, property: Disabled, where: "
    "{LocalAccount: true, SID: {ends_with: '-501'}}}\n      expect: {eq: true}",
    "    - read: {service: RemoteRegistry, property: start_type}\n      expect: {eq: 4}",
    "    - read: {optional_feature: SMB1Protocol}\n      expect: {in: [2, 3]}",
    "    - read: {secpol: Privilege Rights, key: SeDenyNetworkLogonRight}\n"
    "      expect: {regex: '^\\*S-1-5-32-546$'}",
)
RULES, READS = 10, 5


def fifty_reads(folder: Path) -> tuple[Path, list[list[int]]]:
    lines = ["id: fifty", "title: {ja: 五十, en: Fifty}", "version: 1", "checks:"]
    kinds: list[list[int]] = []
    for r in range(RULES):
        lines += [
            f"  t.rule_{r}:",
            "    type: rule",
            "    severity: low",
            "    title: {ja: ルール, en: Rule}",
            "    remediation: {ja: 直す, en: Fix it}",
            "    platforms:",
            "      windows:",
            "        all:",
        ]
        mine = [(r * READS + v) % len(KINDS) for v in range(READS)]
        kinds.append(mine)
        for v, k in enumerate(mine):
            text = KINDS[k].replace("__R", str(r)).replace("__V", str(v))
            lines += ["    " + line for line in text.splitlines()]
    path = folder / "fifty.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, kinds


ANSWERS: dict[int, dict[str, Any]] = {
    0: {"state": "value", "kind": "DWord", "value": 1},
    3: {
        "state": "instances",
        "instances": [{"Disabled": True, "LocalAccount": True, "SID": f"{SID}-501"}],
    },
    4: {"state": "value", "kind": "DWord", "value": 4},
    5: {"state": "instances", "instances": [{"InstallState": 2, "Name": "SMB1Protocol"}]},
}


def with_answers(recorded: HostTranscript, kinds: list[list[int]]) -> HostTranscript:
    commands = dict(recorded.commands)
    for r, mine in enumerate(kinds):
        own = [ANSWERS[k] for k in mine if k in ANSWERS]
        if own:
            commands[f"ps:rule.t.rule_{r}"] = CommandResult(0, stdout=json.dumps({"reads": own}))
    commands[SECPOL.key] = exported(INF)
    commands[AUDITPOL.key] = exported(CSV)
    return msgspec.structs.replace(recorded, commands=commands)


def scan(transport: CountingReplay, baseline: Path) -> dict[str, str]:
    request = RunRequest(ThisMachine(), str(baseline), selection=Selection())
    plan = make_plans(request, [str(baseline)], load_registry(), print)[str(baseline)]
    run = asyncio.run(
        audit_host(Target(transport.target, lambda: transport), plan, RunOptions(), RECORDED_AT)
    )
    return {f.check_id: f.status.value for f in run.report.findings}


def test_fifty_reads_of_every_kind_start_powershell_once(tmp_path: Path) -> None:
    baseline, kinds = fifty_reads(tmp_path)
    assert sum(len(k) for k in kinds) == 50 and {k for m in kinds for k in m} == set(
        range(len(KINDS))
    )
    transport = CountingReplay(with_answers(load_case("win11-23h2-en-compliant"), kinds))
    findings = scan(transport, baseline)
    assert len(transport.batches) == 1
    (batch,) = transport.batches
    # secedit and auditpol once for all rules; each rule with other reads its own probe.
    assert batch.count("rule-secpol") == 1 and batch.count("rule-auditpol") == 1
    assert len([p for p in batch if p.startswith("rule.t.")]) == RULES
    assert all(findings[f"t.rule_{r}"] == "pass" for r in range(RULES)), findings


def test_the_real_batch_script_of_fifty_reads(tmp_path: Path) -> None:
    baseline, kinds = fifty_reads(tmp_path)
    host = ScriptedWindowsHost(with_answers(load_case("win11-23h2-en-compliant"), kinds))
    findings = scan(host, baseline)
    assert len(host.batches) == 1
    assert all(findings[f"t.rule_{r}"] == "pass" for r in range(RULES)), findings


def test_a_standard_user_runs_neither_secedit_nor_auditpol(tmp_path: Path) -> None:
    baseline, kinds = fifty_reads(tmp_path)
    recorded = with_answers(load_case("win11-23h2-ja-not-admin"), kinds)
    transport = CountingReplay(recorded)
    findings = scan(transport, baseline)
    (batch,) = transport.batches
    assert "rule-secpol" not in batch and "rule-auditpol" not in batch
    # Every rule reads secedit or auditpol somewhere: none passes.
    assert {findings[f"t.rule_{r}"] for r in range(RULES)} <= {"unknown", "fail"}


# --- the scripts -----------------------------------------------------------------------------


def every_kind() -> list[Any]:
    return [
        RegistryRead.model_validate({"registry": "HKLM\\SOFTWARE\\P", "value": "v"}),
        RegistryRead.model_validate(
            {"registry": "HKU\\*\\Software\\Policies\\Microsoft\\Office\\16.0\\word\\security",
             "value": "blockcontentexecutionfrominternet"}
        ),
        CimRead.model_validate(
            {"cim": "Win32_UserAccount", "property": "Disabled",
             "where": {"LocalAccount": True, "SID": {"ends_with": "-501"}}}
        ),
        ServiceRead.model_validate({"service": "USBSTOR", "property": "start_type"}),
        ServiceRead.model_validate({"service": "Spooler", "property": "state"}),
        OptionalFeatureRead.model_validate({"optional_feature": "SMB1Protocol"}),
    ]  # fmt: skip


def test_the_scripts_parse_and_keep_to_clm_outside_the_full_language_guard() -> None:
    probe = rule_probe("jp.x", every_kind())
    for script in (probe.script, SECPOL.script, AUDITPOL.script):
        assert syntax_errors(script) == [] and script.isascii()
        assert clm_violations(script) == []
    assert probe.clm_safe and SECPOL.clm_safe and AUDITPOL.clm_safe
    batch = build_batch_script([probe, SECPOL, AUDITPOL, probe, SECPOL], 60)
    assert batch.count("secedit.exe") == 1 and batch.count("auditpol.exe") == 1
    # The export goes to a fresh file that is deleted, whatever happens.
    for script in (SECPOL.script, AUDITPOL.script):
        assert "NewGuid()" in script and "finally {" in script and "Remove-Item" in script
    assert "/areas SECURITYPOLICY USER_RIGHTS" in SECPOL.script
    assert "/backup /file:$EAPath" in AUDITPOL.script


def test_wql_is_made_of_validated_names_and_quoted_values() -> None:
    read = every_kind()[2]
    assert wql_filter(read.selectors) == "LocalAccount = TRUE AND SID LIKE '%-501'"
    assert wql_filter({"Name": CimMatch(eq="SMB1Protocol"), "N": CimMatch(eq=7)}) == (
        "Name = 'SMB1Protocol' AND N = 7"
    )
    # No selectors, no filter: the script then leaves -Filter out (it refuses '').
    assert wql_filter({}) == ""
    assert "if ([string]$r.filter) { $query.Filter" in rule_probe("jp.x", [read]).script


selector_text = st.text(st.characters(codec="ascii"), max_size=30)


@given(name=st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True), text=selector_text)
def test_any_accepted_selector_makes_a_filter_with_balanced_quotes(name: str, text: str) -> None:
    try:
        read = CimRead.model_validate(
            {"cim": "Win32_Service", "property": "State", "where": {name: text}}
        )
    except ValueError:
        return
    wql = wql_filter(read.selectors)
    assert wql == f"{name} = '{text}'" and wql.count("'") == 2
    probe = rule_probe("jp.x", [read])
    assert probe.script.isascii() and syntax_errors(probe.script) == []


# --- the answers -------------------------------------------------------------------------------


def answer(*entries: Any) -> dict[str, CommandResult]:
    return {"ps:rule.jp.x": CommandResult(0, stdout=json.dumps({"reads": list(entries)}))}


def test_every_kind_is_read_typed() -> None:
    reads = every_kind()
    got = parse_rule_probe(
        answer(
            {"state": "refused", "mode": "ConstrainedLanguage"},
            {"state": "users", "users": [
                {"sid": f"{SID}-1001", "state": "value", "kind": "DWord", "value": 1},
                {"sid": f"{SID}-1002", "state": "absent", "absent": "key"},
            ]},
            {"state": "instances", "instances": [
                {"Disabled": True, "LocalAccount": True, "SID": f"{SID}-501"}
            ]},
            {"state": "absent", "absent": "service"},
            {"state": "instances", "instances": [{"Name": "Spooler", "State": "Running"}]},
            {"state": "instances", "instances": []},
        ),
        rule_probe("jp.x", reads),
        reads,
    )  # fmt: skip
    assert got[0].state == "unknown" and got[0].reason is not None
    assert got[0].reason.key == "rule.reason.registry_language_mode"
    assert got[0].reason.args["mode"] == "ConstrainedLanguage"
    assert got[1].state == "each" and got[1].each is not None
    assert [(v.who, v.state, v.value) for v in got[1].each] == [
        (f"{SID}-1001", "value", 1),
        (f"{SID}-1002", "absent", None),
    ]
    assert (got[2].state, got[2].kind, got[2].value) == ("value", "bool", True)
    assert (got[3].state, got[3].absent) == ("absent", "service")
    assert (got[4].kind, got[4].value) == ("text", "Running")
    assert (got[5].state, got[5].absent) == ("absent", "feature")


def test_instances_the_host_should_not_have_answered_are_never_values() -> None:
    (cim,) = [r for r in every_kind() if isinstance(r, CimRead)]
    probe = rule_probe("jp.x", [cim])
    foreign = {"Disabled": True, "LocalAccount": True, "SID": f"{SID}-500"}
    mine = {"Disabled": True, "LocalAccount": True, "SID": f"{SID}-501"}
    other = {"Disabled": False, "LocalAccount": True, "SID": f"{SID.replace('1004', '2004')}-501"}
    for instances, reason in (
        ([foreign], "rule.reason.cim_inconsistent"),
        ([mine, other], "rule.reason.cim_many"),
        ([{**mine, "LocalAccount": False}], "rule.reason.cim_inconsistent"),
    ):
        (got,) = parse_rule_probe(
            answer({"state": "instances", "instances": instances}), probe, [cim]
        )
        assert got.state == "unknown" and got.reason is not None
        assert got.reason.key == reason


def test_feature_states_outside_the_documented_ones_are_unknown() -> None:
    feature = OptionalFeatureRead.model_validate({"optional_feature": "SMB1Protocol"})
    probe = rule_probe("jp.x", [feature])
    for state in (4, 0, "2", True, None):
        entry = {
            "state": "instances",
            "instances": [{"Name": "SMB1Protocol", "InstallState": state}],
        }
        (got,) = parse_rule_probe(answer(entry), probe, [feature])
        assert got.state == "unknown", state
    for state in (1, 2, 3):
        entry = {
            "state": "instances",
            "instances": [{"Name": "SMB1Protocol", "InstallState": state}],
        }
        (got,) = parse_rule_probe(answer(entry), probe, [feature])
        assert (got.kind, got.value) == ("number", state)


def test_a_user_that_is_no_user_sid_is_never_read() -> None:
    (_, users) = every_kind()[:2]
    probe = rule_probe("jp.x", [users])
    for sid in ("S-1-5-18", ".DEFAULT", f"{SID}-1001_Classes", None):
        entry = {
            "state": "users",
            "users": [{"sid": sid, "state": "value", "kind": "DWord", "value": 1}],
        }
        (got,) = parse_rule_probe(answer(entry), probe, [users])
        assert got.state == "unknown", sid


def test_secpol_values_by_section_and_key() -> None:
    reads = [
        SecpolRead(secpol="System Access", key="minimumpasswordlength"),
        SecpolRead(secpol="System Access", key="MaximumPasswordAge"),
        SecpolRead(secpol="System Access", key="NewGuestName"),
        SecpolRead(secpol="Privilege Rights", key="SeNetworkLogonRight"),
        SecpolRead(secpol="Privilege Rights", key="SeDebugPrivilege"),
        SecpolRead(
            secpol="Registry Values",
            key="MACHINE\\System\\CurrentControlSet\\Control\\Lsa\\LimitBlankPasswordUse",
        ),
        SecpolRead(secpol="Kerberos Policy", key="MaxTicketAge"),
    ]
    got = parse_secpol({SECPOL.key: exported(INF)}, ADMIN, reads)
    assert [(g.state, g.kind, g.value) for g in got[:6]] == [
        ("value", "number", 14),
        ("value", "number", -1),
        ("value", "text", "Guest"),
        ("value", "texts", ["*S-1-5-32-544", "*S-1-5-32-545"]),
        ("absent", None, None),  # nobody holds the right
        ("value", "text", "4,1"),
    ]
    assert got[6].state == "unknown" and got[6].reason is not None
    assert got[6].reason.key == "rule.reason.section_missing"


def test_secpol_and_auditpol_need_a_known_administrator_and_a_good_export() -> None:
    secpol = [SecpolRead(secpol="System Access", key="LockoutBadCount")]
    audit = [AuditpolRead(auditpol=LOGON)]
    for platform in (USER, PlatformInfo(family=OsFamily.WINDOWS)):
        (got,) = parse_secpol({SECPOL.key: exported(INF)}, platform, secpol)
        assert got.reason is not None and got.reason.key == "rule.reason.needs_admin"
        (got,) = parse_auditpol({AUDITPOL.key: exported(CSV)}, platform, audit)
        assert got.reason is not None and got.reason.key == "rule.reason.needs_admin"
    for bad in (exported(INF, code=1), exported([]), CommandResult(0, stdout='{"exit": "0"}')):
        (got,) = parse_secpol({SECPOL.key: bad}, ADMIN, secpol)
        assert got.state == "unknown", bad


def test_auditpol_by_guid_never_by_name() -> None:
    reads = [
        AuditpolRead(auditpol=LOGON, subcategory="Logon"),
        AuditpolRead(auditpol=LOGOFF, subcategory="ログオフ"),
        AuditpolRead(auditpol="{0CCE9217-69AE-11D9-BED3-505054503030}"),
    ]
    got = parse_auditpol({AUDITPOL.key: exported(CSV)}, ADMIN, reads)
    assert [(g.state, g.value) for g in got[:2]] == [("value", 3), ("value", 1)]
    assert got[2].reason is not None and got[2].reason.key == "rule.reason.subcategory_missing"
    # Two rows that disagree (a per-user row beside the system's) are not guessed between.
    twice = [*CSV, f"WS-GA-0057,S-1-5-21-1-2-3-1001,Logon,{LOGON},Success,,1"]
    (got,) = parse_auditpol({AUDITPOL.key: exported(twice)}, ADMIN, reads[:1])
    assert got.state == "unknown"


@given(st.lists(st.text(max_size=60), max_size=30))
def test_any_inf_text_parses_into_what_its_lines_say(lines: list[str]) -> None:
    sections = parse_inf(lines)
    for keys in sections.values():
        for key, value in keys.items():
            assert key == key.lower() and "\n" not in value
            assert any(key in line.lower() and "=" in line for line in lines)


@given(st.lists(st.text(max_size=80), max_size=30))
def test_any_csv_text_gives_only_guid_rows(lines: list[str]) -> None:
    for guid, settings in parse_audit_csv(lines).items():
        assert guid.startswith("{") and guid.endswith("}") and guid == guid.upper()
        assert all(isinstance(s, str) for s in settings)


def test_probe_export_carries_secedit_and_auditpol_once(tmp_path: Path) -> None:
    from endpoint_audit.engine.export import ExportOptions, export_script
    from endpoint_audit.engine.plan import load_plan_baseline, with_rules

    baseline, _ = fifty_reads(tmp_path)
    registry = load_registry()
    registry = with_rules(registry, load_plan_baseline(str(baseline), registry))
    script = export_script(registry, OsFamily.WINDOWS, ExportOptions())
    for shared in ("rule-secpol", "rule-auditpol"):
        assert script.count(f"$EAOut['{shared}'] = @{{ ok = $true") == 1
    for r in range(RULES):
        assert f"$EAOut['rule.t.rule_{r}'] = @{{ ok = $true" in script
    assert syntax_errors(script) == [] and clm_violations(script) == []
