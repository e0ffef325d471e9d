"""`probe export --intune-compliance` for the disk_encryption check: for every recorded
Windows answer the rules judge the script's settings as `evaluate` judges the PC, and no
answer, recorded or made up, is compliant in Intune where the check does not pass.
Stricter only where docs/deploy-probes.md says: a text of the answer outside printable
ASCII, and a fixed-drive entry that is not a text."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from endpoint_audit.checkkit.check import EvalContext, FactView
from endpoint_audit.checkkit.intune import ps_string
from endpoint_audit.checks.disk_encryption.check import DiskEncryption, DiskEncryptionParams
from endpoint_audit.checks.disk_encryption.facts import DiskEncryptionFacts
from endpoint_audit.checks.disk_encryption.intune import INTUNE, excluded_names
from endpoint_audit.checks.disk_encryption.windows import parse_bitlocker
from endpoint_audit.errors import CollectorError, FactUnavailable
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from tests.probe_export import intune_harness
from tests.probe_export.intune_harness import (
    MISSING,
    PASSING,
    SCHEMA,
    URL,
    drop_missing,
    export,
    windows_cases,
    write_baseline,
)
from tests.probe_export.intune_operators import compliant
from tests.probe_export.intune_settings_disk_encryption import disk_encryption_settings
from tests.probe_export.recorded import recorded_answer
from tests.replay_cases import all_cases, case_path
from tests.windows.clm_lint import clm_violations
from tests.windows.probe_values import bitlocker, vol
from tests.windows.test_powershell import syntax_errors


def mostly(good: Any, *others: Any) -> st.SearchStrategy[Any]:
    return intune_harness.mostly(good, *others, keep=7)


NOW = datetime(2026, 12, 1, tzinfo=UTC)
KEY = "ps:bitlocker"
CASES = windows_cases(KEY)
STRICTER = {"Unrecognised", "Malformed"}


def intune_rules(params: DiskEncryptionParams) -> dict[str, Any]:
    return {"Rules": [r.model_dump(by_alias=True) for r in INTUNE.rules(params, URL)]}


def unchecked(excluded: list[str]) -> DiskEncryptionParams:
    """Exclusions as given, also those a baseline may not hold (the system volume)."""
    return DiskEncryptionParams().model_copy(update={"exclude_volumes": excluded})


def intune_compliant(answer: Any, params: DiskEncryptionParams) -> bool:
    found = disk_encryption_settings(answer, excluded_names(params))
    return compliant(intune_rules(params), json.dumps(found, separators=(",", ":")))


# --- the rules file and the script ----------------------------------------------------


def test_the_rules_validate_and_the_script_keeps_to_the_limits(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    odd = ["D:\\", "it's", "データ", "'; exit 0; '", "E:\u2019"]
    script, rules = export(
        cli,
        tmp_path / "o",
        "-b",
        str(write_baseline(tmp_path, "disk_encryption", {"exclude_volumes": odd})),
    )
    jsonschema.validate(rules, SCHEMA)
    assert [r["SettingName"] for r in rules["Rules"]] == list(INTUNE.settings)
    for rule in rules["Rules"]:
        en, ja = rule["RemediationStrings"]
        assert (en["Language"], ja["Language"]) == ("en_US", "ja_JP")
        assert re.search(r"[ぁ-んァ-ヶ一-龯]", ja["Title"] + ja["Description"])
        assert "{ActualValue}" in en["Title"] and "{ActualValue}" in ja["Title"]
    assert script.isascii() and syntax_errors(script) == [] and clm_violations(script) == []
    assert "Checks: disk_encryption." in script
    assert "Get-BitLockerVolume" in script
    # The probe CLM refuses runs only in FullLanguage (under CLM: every setting unread).
    assert "# --- disk_encryption: probe bitlocker (FullLanguage only)" in script
    # The exclusions reach the script as data, quotes spelled as characters.
    quote = "[string][char]0x0027"
    spelled = f"({quote} + '; exit 0; ' + {quote}), 'd:', ('it' + {quote} + 's')"
    assert f"$EABitLockerExcluded = @({spelled})" in script
    # Names outside printable ASCII are left out (no volume the snippet judges has one).
    names = excluded_names(DiskEncryptionParams(exclude_volumes=odd))
    assert names == ["'; exit 0; '", "d:", "it's"]


def test_the_exclusions_are_the_checks_normalised_names() -> None:
    params = DiskEncryptionParams(exclude_volumes=[" D:\\ ", "E:/", "/data/", "データ", "\u212a:"])
    # U+212A folds to an ASCII k in Python: kept, as check.py compares it.
    assert excluded_names(params) == ["/data", "d:", "e:", "k:"]
    for text in ("", "it's", "a'b'", "\u2019", "x\U0001f600y", "$(exit)"):
        literal = ps_string(text)
        assert literal.isascii() and syntax_errors(f"$x = {literal}") == []
        assert "$(" not in literal.replace("'$(exit)'", "")


def test_the_snippet_writes_the_vocabulary_of_the_rules_and_the_python_reading() -> None:
    snippet = INTUNE.settings_script
    assert syntax_errors(snippet) == [] and clm_violations(snippet) == []
    values = set(re.findall(r"\$EAAnswer = '(\w+)'", snippet))
    assert values == {"Read", "Unread", "NeedsAdmin", "Malformed", "NoVolumes", "Unrecognised"}
    head = snippet.split("if ($null -ne $EAProbe)")[0]
    assert "$EASettings['BitLockerAnswer'] = 'Unknown'" in head
    assert "$EASettings['BitLockerVolumesJudged'] = [int64]-1" in head
    assert "$EASettings['BitLockerVolumesUnprotected'] = [int64]-1" in head
    assert set(disk_encryption_settings(None)) == set(INTUNE.settings)
    # No culture-dependent case change: ASCII letters are folded by hand.
    assert ".ToLower()" not in snippet and ".ToUpper()" not in snippet
    assert "-eq '" not in snippet  # texts are compared case-sensitively (-ceq)


# --- the same verdicts as evaluate ------------------------------------------------------


def case_params(ref: str) -> dict[str, Any]:
    return all_cases()[ref].params if ref.startswith("disk_encryption/") else {}


@pytest.mark.parametrize("ref", CASES)
def test_every_recorded_windows_answer_gets_the_verdict_evaluate_gives(
    ref: str, cli: Callable[..., Any], tmp_path: Path
) -> None:
    baseline = write_baseline(tmp_path, "disk_encryption", case_params(ref))
    result = cli("evaluate", str(case_path(ref)), "-b", str(baseline), "-f", "json")
    (host,) = json.loads(result.stdout)["hosts"]
    findings = [f for f in host["findings"] if f["check_id"] == "disk_encryption"]
    assert findings
    evaluated = host["status"] == "ok" and all(f["status"] in PASSING for f in findings)
    params = DiskEncryptionParams.model_validate(case_params(ref))
    assert intune_compliant(recorded_answer(ref, KEY), params) is evaluated


def test_the_recorded_cases_cover_both_verdicts() -> None:
    verdicts = {intune_compliant(recorded_answer(r, KEY), DiskEncryptionParams()) for r in CASES}
    assert verdicts == {True, False}


def test_no_answer_is_compliant_and_exclusions_count() -> None:
    params = DiskEncryptionParams()
    assert not intune_compliant(None, params)
    assert not intune_compliant({}, params)
    good = recorded_answer("disk_encryption/win11-24h2-en-bitlocker-locked-data", KEY)
    assert intune_compliant(good, params)
    assert not intune_compliant({**good, "volumes": [*good["volumes"], 1]}, params)
    assert not intune_compliant({**good, "fixed_drives": ["C:", "D:", "E:"]}, params)
    # E: not reported, but excluded; everything excluded: none judged, as the check says.
    with_e = {**good, "fixed_drives": ["C:", "D:", "E:"]}
    assert intune_compliant(with_e, DiskEncryptionParams(exclude_volumes=["e:\\"]))
    # C: cannot be excluded (the baseline is refused); were it, the OS volume is still
    # judged, by the script as by the check: D: excluded, C: protected, compliant.
    both = unchecked(["C:", "d:"])
    assert disk_encryption_settings(good, excluded_names(both))["BitLockerVolumesJudged"] == 1
    assert intune_compliant(good, both) and evaluated_compliant(good, both)
    unprotected_os = {**good, "volumes": [{**v, "protection_status": 0} for v in good["volumes"]]}
    assert not intune_compliant(unprotected_os, both)
    assert not evaluated_compliant(unprotected_os, both)


# --- made-up answers ----------------------------------------------------------------------


def volume(mount: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "mount": mostly(
                mount,
                mount.lower(),
                mount + "\\",
                " " + mount,
                "",
                None,
                3,
                "\\\\?\\Volume{x}\\",
                "E:",
                "C:\u3000",
                "Ｃ:",
            ),
            "volume_type": mostly(0 if mount == "C:" else 1, 0, 1, 2, None, "1", 1.0, True, 7),
            "volume_status": mostly(1, 0, 2, 4, 5, None, "1", 1.5, True, 9),
            "volume_status_name": mostly(
                "FullyEncrypted",
                None,
                "fullyencrypted",
                "FullyEncryptedWipeInProgress",
                "FullyDecrypted",
                "EncryptionSuspended",
                "Fully\u017fEncrypted",
                " FullyEncrypted",
                "",
                "  ",
                "Other",
                1,
            ),
            "protection_status": mostly(1, 0, 2, None, "1", " 1 ", True, 1.0),
            "lock_status": mostly(0, 1, None, "1", True),
            "percent": mostly(100.0, 55.5, None),
            "protectors": mostly([1, 3], [], None),
            "device_id": mostly(MISSING, DATA_ID, DATA_ID.upper(), "", None, 3),
        }
    ).map(drop_missing)


# The GUID path BitLocker.psm1 gives as an example device id; C:\Data\ an example folder.
DATA_ID = "\\\\?\\Volume{cb96dd9a-4f54-11e0-8d6c-806e6f6e6963}\\"
FOLDER = "C:\\Data\\"


answers = st.fixed_dictionaries(
    {
        "is_admin": mostly(True, False, None),
        "source": mostly(
            "Get-BitLockerVolume", "Win32_EncryptableVolume", None, "", " ", "\x1c", "ソース", 1
        ),
        "fixed_drives": mostly(
            ["C:", "D:"],
            ["C:"],
            [],
            None,
            "C:",
            ["c:\\", "D:"],
            ["C:", "E:"],
            ["C:", ""],
            ["C:", 0],
            ["C:", None],
            ["C:", " "],
        ),
        "volumes": st.one_of(
            st.lists(st.one_of(volume("C:"), volume("D:")), max_size=3),
            st.tuples(volume("C:"), volume("D:")).map(list),
            volume("C:"),
            st.sampled_from([None, [None], "x", [[]]]),
            st.tuples(volume("C:"), volume(DATA_ID)).map(list),
        ),
        "mounted_volumes": mostly(
            [],
            [{"device_id": DATA_ID, "path": FOLDER}],
            [
                {"device_id": DATA_ID.lower(), "path": FOLDER},
                {"device_id": DATA_ID, "path": "E:\\"},
            ],
            [{"device_id": DATA_ID, "path": DATA_ID}],
            [{"path": FOLDER}],
            [{"device_id": DATA_ID, "path": "C:\\データ\\"}],
            [{"device_id": DATA_ID}],
            {"device_id": DATA_ID, "path": FOLDER},
            None,
            [None],
            "x",
        ),
        "failures": mostly([], [{"source": "Win32_Volume", "error": "x"}], [{"source": 1}]),
    }
).map(drop_missing)
exclusions = st.sampled_from(
    [
        list(DiskEncryptionParams().exclude_volumes),
        [],
        ["D:"],
        ["d:\\"],
        ["C:", "D:"],
        [" E: "],
        ["?"],
        ["\\\\?\\volume{x}"],
        ["\u212a:"],
    ]
)


def evaluated_compliant(answer: Any, params: DiskEncryptionParams) -> bool:
    try:
        fact = parse_bitlocker(answer)
    except (CollectorError, FactUnavailable):
        return False
    ctx = EvalContext(platform=PlatformInfo(family=OsFamily.WINDOWS), now=NOW)
    outcomes = DiskEncryption().evaluate(FactView({DiskEncryptionFacts: fact}), params, ctx)
    return all(o.status.value in PASSING for o in outcomes)


@settings(max_examples=800, deadline=None)
@given(answers, exclusions)
def test_made_up_answers_get_the_checks_verdict_or_a_stricter_one(
    answer: dict[str, Any], excluded: list[str]
) -> None:
    params = unchecked(excluded)
    verdict = intune_compliant(answer, params)
    evaluated = evaluated_compliant(answer, params)
    if verdict:
        assert evaluated, answer
    elif evaluated:
        # Stricter only where documented.
        assert disk_encryption_settings(answer)["BitLockerAnswer"] in STRICTER, answer


def test_an_answer_without_the_os_volume_is_not_compliant() -> None:
    written = disk_encryption_settings(bitlocker([vol("D:", 1, 1, 1)], fixed=["D:"]))
    assert written["BitLockerAnswer"] == "Read"
    assert (written["BitLockerVolumesJudged"], written["BitLockerVolumesUnprotected"]) == (2, 1)


def test_an_answer_without_the_fixed_drives_is_not_compliant() -> None:
    # Win32_LogicalDisk unread: every volume BitLocker lists is protected, but a fixed
    # drive it does not list would go unseen (the check says unknown).
    value = bitlocker([vol("C:", 0, 1, 1), vol("D:", 1, 1, 1)], fixed=[])
    written = disk_encryption_settings(value)
    assert written["BitLockerAnswer"] == "Read"
    assert (written["BitLockerVolumesJudged"], written["BitLockerVolumesUnprotected"]) == (3, 1)


def test_a_fixed_drive_the_wmi_class_calls_portable_counts() -> None:
    answer = bitlocker(
        [vol("C:", 0, 1, 1), vol("E:", 2, 0, 0)],
        fixed=["C:", "E:"],
        source="Win32_EncryptableVolume",
    )
    written = disk_encryption_settings(answer)
    assert (written["BitLockerVolumesJudged"], written["BitLockerVolumesUnprotected"]) == (2, 1)


def test_a_fixed_volume_mounted_into_a_folder_counts() -> None:
    # Plain, encrypted, and not listed by BitLocker: judged under its folder as the check
    # judges it; removable or with no folder (the recovery partition), it is left out.
    mounted = ({"device_id": DATA_ID, "path": FOLDER},)
    plain = vol(DATA_ID, 1, 0, 0, method=0)
    for volumes, mounts, expected in (
        ([vol("C:", 0, 1, 1), plain], mounted, (2, 1)),
        ([vol("C:", 0, 1, 1), vol(DATA_ID, 1, 1, 1)], mounted, (2, 0)),
        ([vol("C:", 0, 1, 1)], mounted, (2, 1)),
        ([vol("C:", 0, 1, 1), {**vol("", 1, 0, 0), "device_id": DATA_ID}], mounted, (2, 1)),
        ([vol("C:", 0, 1, 1), plain], ({"device_id": DATA_ID, "path": DATA_ID},), (1, 0)),
        ([vol("C:", 0, 1, 1), vol(DATA_ID, 2, 0, 0)], (), (1, 0)),
        ([vol("C:", 0, 1, 1)], None, (2, 1)),
    ):
        answer = bitlocker(volumes, fixed=["C:"], mounted=mounts)
        written = disk_encryption_settings(answer)
        assert written["BitLockerAnswer"] == "Read"
        got = (written["BitLockerVolumesJudged"], written["BitLockerVolumesUnprotected"])
        assert got == expected, answer
        judged = parse_bitlocker(answer).volumes
        assert len(judged) == expected[0]
        params = DiskEncryptionParams()
        assert intune_compliant(answer, params) == evaluated_compliant(answer, params)
    excluded = bitlocker([vol("C:", 0, 1, 1), plain], fixed=["C:"], mounted=mounted)
    assert intune_compliant(excluded, DiskEncryptionParams(exclude_volumes=["c:\\data"]))


@pytest.mark.parametrize(
    "folder", ["C:\\データ\\", "D:\\Daten\\Übersicht\\", "C:\\共有 フォルダ\\"]
)
def test_a_folder_named_in_any_language_is_read(folder: str) -> None:
    # Folder names are the PC's users' words (a Japanese office names them in Japanese):
    # the answer is still read, and the volume judged under its folder as the check does;
    # only the values the probe itself writes (drive letters, enum names) are ASCII.
    mounted = ({"device_id": DATA_ID, "path": folder},)
    for data, expected in ((vol(DATA_ID, 1, 1, 1), (2, 0)), (vol(DATA_ID, 1, 0, 0), (2, 1))):
        answer = bitlocker([vol("C:", 0, 1, 1), data], fixed=["C:"], mounted=mounted)
        written = disk_encryption_settings(answer)
        assert written["BitLockerAnswer"] == "Read", written
        got = (written["BitLockerVolumesJudged"], written["BitLockerVolumesUnprotected"])
        assert got == expected
        assert folder in [v.volume for v in parse_bitlocker(answer).volumes]
        params = DiskEncryptionParams()
        assert intune_compliant(answer, params) == evaluated_compliant(answer, params)
