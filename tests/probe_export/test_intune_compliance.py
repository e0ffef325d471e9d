"""`probe export --intune-compliance`: the rules file is what Microsoft documents, the
discovery script keeps to Intune's limits and parses, and for every recorded Windows
answer the rules judge the script's settings as `evaluate` judges the PC; no answer,
recorded or made up, is compliant in Intune where the check does not pass."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from endpoint_audit.checkkit.check import EvalContext, FactView
from endpoint_audit.checks.firewall.check import FirewallParams
from endpoint_audit.checks.firewall.intune import INTUNE as FIREWALL
from endpoint_audit.checks.secure_boot.check import SecureBoot, SecureBootParams
from endpoint_audit.checks.secure_boot.facts import SecureBootFacts
from endpoint_audit.checks.secure_boot.intune import INTUNE
from endpoint_audit.checks.secure_boot.windows import parse_secure_boot
from endpoint_audit.engine.exit_policy import ExitCode
from endpoint_audit.errors import CollectorError
from endpoint_audit.model.intune import MAX_SCRIPT_BYTES, MAX_WINDOWS_SECONDS
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from tests.packages.test_replay_cases import run_case
from tests.probe_export import intune_harness
from tests.probe_export.intune_harness import (
    PASSING,
    SCHEMA,
    URL,
    drop_missing,
    export,
)
from tests.probe_export.intune_operators import compliant, rule_holds
from tests.probe_export.intune_settings import secure_boot_settings
from tests.probe_export.recorded import recorded_answer
from tests.replay_cases import all_cases
from tests.windows.clm_lint import clm_violations
from tests.windows.test_powershell import syntax_errors


def mostly(good: Any, *others: Any) -> st.SearchStrategy[Any]:
    return intune_harness.mostly(good, *others, keep=1)


NOW = datetime(2026, 12, 1, tzinfo=UTC)
WINDOWS_CASES = sorted(
    ref for ref, case in all_cases().items() if case.platform.family is OsFamily.WINDOWS
)
PROBE_KEY = f"ps:{INTUNE.probe.name}"


def baseline(folder: Path, params: dict[str, Any]) -> Path:
    path = folder / "city.yaml"
    data = {
        "id": "city",
        "title": {"ja": "市", "en": "City"},
        "version": "1",
        "checks": {"secure_boot": {"params": params}, "firewall": {}},
    }
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


# --- the rules file ------------------------------------------------------------------


def test_the_rules_file_is_the_documented_structure(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    _, rules = export(cli, tmp_path / "out")
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(rules, SCHEMA)
    names = [r["SettingName"] for r in rules["Rules"]]
    secure_boot = ["SecureBootState", "TpmSpecVersion", "TpmReady", "SecureBootCa2023"]
    assert [n for n in names if n in INTUNE.settings] == secure_boot
    assert [n for n in names if n.startswith("Firewall")] == [
        r.setting_name for r in FIREWALL.rules(FirewallParams(), URL)
    ]
    for rule in rules["Rules"]:
        assert rule["MoreInfoUrl"] == URL
        languages = [s["Language"] for s in rule["RemediationStrings"]]
        assert languages == ["en_US", "ja_JP"]
        ja = rule["RemediationStrings"][1]
        assert re.search(r"[ぁ-んァ-ヶ一-龯]", ja["Title"] + ja["Description"])
    assert len((tmp_path / "out" / "endpoint-audit-compliance.json").read_bytes()) < 100 * 1024


def test_the_rules_take_the_baselines_parameters(cli: Callable[..., Any], tmp_path: Path) -> None:
    city = baseline(tmp_path, {"min_tpm_version": 1, "certificate_update": False})
    _, rules = export(cli, tmp_path / "out", "-b", str(city))
    jsonschema.validate(rules, SCHEMA)
    by_name = {r["SettingName"]: r for r in rules["Rules"]}
    assert {n for n in by_name if not n.startswith("Firewall")} == {
        "SecureBootState", "TpmSpecVersion", "TpmReady"
    }  # fmt: skip
    assert by_name["TpmSpecVersion"]["Operand"] == 1
    assert "TPM 1.0" in by_name["TpmSpecVersion"]["RemediationStrings"][0]["Title"]


@pytest.mark.parametrize(
    "broken",
    [
        lambda r: r["Rules"][0].update(Operator="Between"),
        lambda r: r["Rules"][0].update(DataType="Integer"),
        lambda r: r["Rules"][0].update(RemediationStrings=r["Rules"][0]["RemediationStrings"][1:]),
        lambda r: r["Rules"][0]["RemediationStrings"][0].update(Language="ja-JP"),
        lambda r: next(x for x in r["Rules"] if x["DataType"] == "Int64").update(Operand="2"),
        lambda r: r["Rules"][0].pop("MoreInfoUrl"),
        lambda r: r.update(Rules=r["Rules"] * 26),  # 104 rules
    ],
)
def test_the_schema_refuses_what_the_document_does_not_allow(
    broken: Callable[[dict[str, Any]], object], cli: Callable[..., Any], tmp_path: Path
) -> None:
    _, rules = export(cli, tmp_path / "out")
    broken(rules)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(rules, SCHEMA)


@pytest.mark.parametrize(
    ("args", "why"),
    [
        ((), "--more-info-url"),
        (("--more-info-url", "javascript:alert(1)"), "--more-info-url"),
        (("--more-info-url", URL, "--os", "linux"), "Windows discovery script"),
    ],
)
def test_bad_options_are_one_line_exit_2(
    args: tuple[str, ...], why: str, cli: Callable[..., Any], tmp_path: Path
) -> None:
    result = cli("probe", "export", "--intune-compliance", "-o", str(tmp_path / "o"), *args)
    assert result.exit_code == ExitCode.CONFIG
    assert why in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_a_baseline_without_intune_settings_is_refused(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    # A shipped rule for Linux only: nothing of it runs on Windows.
    shipped = Path(__file__).parents[2] / "baselines" / "jp-municipal-telework.yaml"
    rule = yaml.safe_load(shipped.read_text(encoding="utf-8"))["checks"][
        "jp.gdm_autologin_disabled"
    ]
    path = tmp_path / "gdm.yaml"
    data = {"id": "gdm", "title": {"ja": "GDM", "en": "GDM"}, "version": "1",
            "checks": {"city.gdm_autologin_disabled": rule}}  # fmt: skip
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = cli("probe", "export", "--intune-compliance", "-o", str(tmp_path / "o"),
                 "--more-info-url", URL, "-b", str(path))  # fmt: skip
    assert result.exit_code == ExitCode.CONFIG
    assert "offers Intune custom compliance settings" in result.output


# --- the discovery script --------------------------------------------------------------


def test_the_script_keeps_to_intunes_limits_and_parses(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    script, rules = export(cli, tmp_path / "out")
    assert script.isascii() and len(script.encode()) < MAX_SCRIPT_BYTES
    assert syntax_errors(script) == []
    assert clm_violations(script) == []  # what runs outside `if ($EAFullLanguage)`
    # The 32-bit host runs it again in the 64-bit PowerShell.
    assert "SysNative\\WindowsPowerShell\\v1.0\\powershell.exe" in script
    assert "PROCESSOR_ARCHITEW6432" in script
    # Its one output: the settings as one compressed JSON line, last.
    assert script.rstrip().endswith("return $EASettings | ConvertTo-Json -Compress")
    for writer in ("Write-Output", "Write-Host", "Out-Host", "Write-Information"):
        assert writer not in script
    seconds = [int(s) for s in re.findall(r"Invoke-EAProbe -Seconds (\d+)", script)]
    assert seconds and sum(seconds) < MAX_WINDOWS_SECONDS
    # Every setting a rule names is set before the probe's answer is read.
    heads = [part.split("if ($null -ne $EAProbe)")[0] for part in script.split("# --- ")[1:]]
    checks = re.search(r"Checks: (.*)\.", script)
    assert checks and len(heads) == len(checks.group(1).split(", ")) >= 2
    for rule in rules["Rules"]:
        name = rule["SettingName"]
        profile = re.fullmatch(r"Firewall(Domain|Private|Public)(\w+)", name)
        written = (
            f'$EASettings["Firewall${{EAName}}{profile.group(2)}"] = '
            if profile
            else (f"$EASettings['{name}'] = ")
        )
        assert any(written in head for head in heads), name
    # The snippet's vocabulary is the one the rules and the Python reading use.
    assigned = set(re.findall(r"\$EASettings\['(\w+)'\] = '(\w+)'", INTUNE.settings_script))
    assert {v for _, v in assigned} == {
        "Unknown", "Legacy", "On", "Off", "NoTpm", "NotReady", "Ready", "NotApplicable",
        "Error", "Missing", "Unrecognised",
    }  # fmt: skip
    assert {n for n, _ in assigned} | {"TpmSpecVersion"} == set(INTUNE.settings)


# --- the same verdicts as evaluate ---------------------------------------------------


def intune_compliant(answer: Any, params: SecureBootParams) -> bool:
    rules = {"Rules": [r.model_dump(by_alias=True) for r in INTUNE.rules(params, URL)]}
    return compliant(rules, json.dumps(secure_boot_settings(answer), separators=(",", ":")))


@pytest.mark.parametrize("ref", [r for r in WINDOWS_CASES if PROBE_KEY in all_cases()[r].commands])
def test_every_recorded_windows_answer_gets_the_verdict_evaluate_gives(
    ref: str, cli: Callable[..., Any], tmp_path: Path
) -> None:
    case = all_cases()[ref]
    _, report = run_case(cli, ref, tmp_path)
    (host,) = report["hosts"]
    findings = [f for f in host["findings"] if f["check_id"] == INTUNE.check_id]
    assert findings
    evaluated = host["status"] == "ok" and all(f["status"] in PASSING for f in findings)
    params = SecureBootParams.model_validate(case.params)
    assert intune_compliant(recorded_answer(ref, PROBE_KEY), params) is evaluated


def test_the_recorded_cases_cover_both_verdicts() -> None:
    refs = [r for r in WINDOWS_CASES if PROBE_KEY in all_cases()[r].commands]
    verdicts = {intune_compliant(recorded_answer(r, PROBE_KEY), SecureBootParams()) for r in refs}
    assert verdicts == {True, False}


def test_no_answer_is_compliant() -> None:
    assert not intune_compliant(None, SecureBootParams())
    assert not intune_compliant({}, SecureBootParams())
    rules = {"Rules": [r.model_dump(by_alias=True) for r in INTUNE.rules(SecureBootParams(), URL)]}
    good = json.dumps(
        secure_boot_settings(recorded_answer("secure_boot/win11-23h2-compliant", PROBE_KEY))
    )
    assert compliant(rules, good)
    assert not compliant(rules, good + "\n" + good)  # not one line
    assert not compliant(rules, "{not json")
    settings_ = json.loads(good)
    del settings_["TpmReady"]  # 65008
    assert not compliant(rules, json.dumps(settings_))
    assert not rule_holds(rules["Rules"][1], {"TpmSpecVersion": "2"})  # 65010


def evaluated_compliant(answer: Any, params: SecureBootParams) -> bool:
    try:
        fact = parse_secure_boot(answer, True)
    except CollectorError:
        return False  # the check is an error: never compliant
    ctx = EvalContext(platform=PlatformInfo(family=OsFamily.WINDOWS), now=NOW)
    outcomes = SecureBoot().evaluate(FactView({SecureBootFacts: fact}), params, ctx)
    return all(o.status.value in PASSING for o in outcomes)


flag = mostly(True, False, None, "True", 1)
tpm_entry = st.fixed_dictionaries(
    {
        "is_enabled": flag,
        "is_activated": flag,
        "is_owned": flag,
        "spec_version": mostly("2.0, 0, 1.59", "1.2, 2, 3", " 2", "", "x2", None, 2),
        "is_ready": flag,
    }
).map(drop_missing)
answers = st.fixed_dictionaries(
    {
        "firmware_type": mostly("UEFI", "Legacy", "legacy ", "uefi", "", None, "Other"),
        "secure_boot_enabled": mostly(1, 0, 2, -1, None, "1", " 0 ", True, False),
        "state_error": mostly(None, "-2147024891"),
        "tpm": st.one_of(st.lists(tpm_entry, min_size=1, max_size=2), st.none(), tpm_entry),
        "tpm_error": mostly(None, "-2147217405"),
        "servicing_error": mostly(None, "-2147024891"),
        "ca2023_status": mostly(
            "Updated", "NotStarted", "InProgress", "updated", " Updated", "", None, "Done", 3
        ),
        "ca2023_error": mostly(None, 0, 1, -2147024891, "0", "0x1", True),
    }
).map(drop_missing)


@settings(max_examples=500, deadline=None)
@given(answers, st.sampled_from([1, 2]), st.booleans())
def test_made_up_answers_never_pass_in_intune_where_the_check_does_not(
    answer: dict[str, Any], min_tpm: int, certificates: bool
) -> None:
    params = SecureBootParams(min_tpm_version=min_tpm, certificate_update=certificates)
    assert intune_compliant(answer, params) is evaluated_compliant(answer, params), answer
