"""secure_boot: Secure Boot, the TPM and the 2023 certificate update, judged from parsed
probe output; what a probe could not see is unknown (naming the right it lacks), never a
pass. The Linux probe also runs for real on this machine."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from endpoint_audit.checkkit.check import EvalContext, FactView, Outcome
from endpoint_audit.checks.secure_boot import linux, macos
from endpoint_audit.checks.secure_boot.check import SecureBoot, SecureBootParams
from endpoint_audit.checks.secure_boot.facts import (
    CertificateUpdate,
    SecureBootFacts,
    TpmState,
)
from endpoint_audit.checks.secure_boot.windows import parse_secure_boot, spec_major
from endpoint_audit.errors import CollectorError
from endpoint_audit.model.commands import EXIT_DENIED, CommandResult
from endpoint_audit.model.observed import Reason, Seen, Unknown, seen, unknown
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.model.result import Status

ROOT = Path(__file__).resolve().parents[2]
TPM2 = {"is_enabled": True, "is_activated": True, "is_owned": True, "spec_version": "2.0, 0, 1.59"}


def judge(
    fact: SecureBootFacts, family: OsFamily = OsFamily.WINDOWS, **params: object
) -> dict[str, Outcome]:
    ctx = EvalContext(platform=PlatformInfo(family=family), now=datetime(2026, 12, 1, tzinfo=UTC))
    outcomes = SecureBoot().evaluate(
        FactView({SecureBootFacts: fact}), SecureBootParams.model_validate(params), ctx
    )
    return {o.resource or "": o for o in outcomes}


def answer(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "firmware_type": "UEFI",
        "state_found": True,
        "state_error": None,
        "secure_boot_enabled": 1,
        "servicing_found": True,
        "servicing_error": None,
        "ca2023_status": "Updated",
        "ca2023_error": None,
        "ca2023_capable": 2,
        "available_updates": 0x4000,
        "tpm": [TPM2],
        "tpm_error": None,
    }
    data.update(over)
    return data


def windows(is_admin: bool | None = True, **over: Any) -> dict[str, Outcome]:
    return judge(parse_secure_boot(answer(**over), is_admin))


def statuses(outcomes: dict[str, Outcome]) -> dict[str, tuple[Status, str]]:
    return {r: (o.status, o.key) for r, o in outcomes.items()}


def test_a_compliant_windows_pc_passes_all_three() -> None:
    assert statuses(windows()) == {
        "secure_boot": (Status.PASS, "secure_boot_on"),
        "tpm": (Status.PASS, "tpm_ready"),
        "uefi_ca_2023": (Status.PASS, "ca2023_updated"),
    }


def test_legacy_bios_fails_even_if_the_registry_says_on() -> None:
    got = windows(firmware_type="Legacy", secure_boot_enabled=1)
    assert statuses(got)["secure_boot"] == (Status.FAIL, "legacy_boot")
    assert statuses(got)["uefi_ca_2023"] == (Status.NOT_APPLICABLE, "ca2023_legacy")


@pytest.mark.parametrize(
    ("over", "expected"),
    [
        ({"secure_boot_enabled": 0}, (Status.FAIL, "secure_boot_off")),
        ({"secure_boot_enabled": None}, (Status.UNKNOWN, "secure_boot_unknown")),
        ({"secure_boot_enabled": 7}, (Status.UNKNOWN, "secure_boot_unknown")),
        (
            {"secure_boot_enabled": None, "state_error": "-2147024891"},
            (Status.UNKNOWN, "secure_boot_unknown"),
        ),
        # UEFISecureBootEnabled 1 without the firmware type: a legacy BIOS start, which
        # fails whatever the registry says, cannot be ruled out.
        ({"firmware_type": ""}, (Status.UNKNOWN, "secure_boot_unknown")),
        ({"firmware_type": "Unknown"}, (Status.UNKNOWN, "secure_boot_unknown")),
        ({"firmware_type": None}, (Status.UNKNOWN, "secure_boot_unknown")),
        ({"firmware_type": "", "secure_boot_enabled": 0}, (Status.FAIL, "secure_boot_off")),
    ],
)
def test_windows_secure_boot_values(over: dict[str, Any], expected: tuple[Status, str]) -> None:
    assert statuses(windows(**over))["secure_boot"] == expected


def test_without_elevation_the_tpm_is_unknown_naming_the_administrator_right() -> None:
    got = windows(is_admin=False, tpm=None, tpm_error="-2147217405")
    tpm = got["tpm"]
    assert tpm.status is Status.UNKNOWN
    reason = tpm.args["reason"]
    assert not isinstance(reason, str | int | float | bool) and reason is not None
    assert reason.key == "secure_boot.reason.tpm_needs_admin"
    assert reason.args["hresult"] == "0x80041003"
    # The registry is still read without elevation: the other findings are judged.
    assert got["secure_boot"].status is Status.PASS


@pytest.mark.parametrize(
    ("tpm", "expected"),
    [
        ([], (Status.FAIL, "no_tpm")),
        ([{**TPM2, "spec_version": "1.2, 2, 3"}], (Status.FAIL, "tpm_too_old")),
        ([{**TPM2, "is_owned": False}], (Status.FAIL, "tpm_not_ready")),
        ([{**TPM2, "is_activated": None}], (Status.UNKNOWN, "tpm_state_missing")),
        # None of Win32_Tpm's states read: unknown, never the Linux "registered" pass.
        (
            [{**TPM2, "is_enabled": None, "is_activated": None, "is_owned": None}],
            (Status.UNKNOWN, "tpm_state_missing"),
        ),
        ([{**TPM2, "spec_version": ""}], (Status.UNKNOWN, "tpm_version_unknown")),
        # Win32_Tpm.IsReady: "TRUE if the TPM and system are fully provisioned for TPM
        # use"; enabled, activated and owned with IsReady false is not ready.
        ([{**TPM2, "is_ready": False}], (Status.FAIL, "tpm_not_ready")),
        ([{**TPM2, "is_ready": True}], (Status.PASS, "tpm_ready")),
        # Not read (an older probe's answer, or the method failed): the three states decide.
        ([{**TPM2, "is_ready": None}], (Status.PASS, "tpm_ready")),
        # Windows drives one TPM: two instances are no answer to judge, whichever is first.
        ([TPM2, {**TPM2, "is_owned": False}], (Status.UNKNOWN, "tpm_unknown")),
        ([TPM2, TPM2], (Status.UNKNOWN, "tpm_unknown")),
    ],
)
def test_windows_tpm_states(tpm: list[dict[str, Any]], expected: tuple[Status, str]) -> None:
    assert statuses(windows(tpm=tpm))["tpm"] == expected


def test_tpm_12_passes_when_the_baseline_accepts_version_1() -> None:
    fact = parse_secure_boot(answer(tpm=[{**TPM2, "spec_version": "1.2, 2, 3"}]), True)
    assert judge(fact, min_tpm_version=1)["tpm"].status is Status.PASS


def test_an_answer_without_its_tpm_entry_is_an_error_not_a_missing_tpm() -> None:
    data = answer()
    del data["tpm"]
    with pytest.raises(CollectorError):
        parse_secure_boot(data, True)


@pytest.mark.parametrize(
    ("over", "expected"),
    [
        ({"ca2023_status": "NotStarted"}, (Status.FAIL, "ca2023_not_started")),
        ({"ca2023_status": "InProgress"}, (Status.FAIL, "ca2023_in_progress")),
        ({"ca2023_status": None}, (Status.UNKNOWN, "ca2023_no_status")),
        ({"ca2023_status": "Failed"}, (Status.UNKNOWN, "ca2023_unrecognised")),
        # An error recorded beside a status that says Updated is still a failure.
        ({"ca2023_error": -2147024809}, (Status.FAIL, "ca2023_error")),
        ({"ca2023_error": 0}, (Status.PASS, "ca2023_updated")),
        ({"servicing_error": "-2147024891"}, (Status.UNKNOWN, "ca2023_unknown")),
    ],
)
def test_certificate_update_states(over: dict[str, Any], expected: tuple[Status, str]) -> None:
    assert statuses(windows(**over))["uefi_ca_2023"] == expected


def test_the_certificate_finding_can_be_switched_off() -> None:
    fact = parse_secure_boot(answer(ca2023_status="NotStarted"), True)
    assert set(judge(fact, certificate_update=False)) == {"secure_boot", "tpm"}


def test_error_code_is_printed_as_an_unsigned_hresult() -> None:
    got = windows(ca2023_error=-2147024809)["uefi_ca_2023"]
    assert got.args["error"] == "0x80070057"


@pytest.mark.parametrize(
    ("spec", "major"),
    [("2.0, 0, 1.59", 2), ("1.2, 2, 3", 1), ("", None), ("x, 2", None), (" 2 ", 2)],
)
def test_spec_major(spec: str, major: int | None) -> None:
    assert spec_major(spec) == major


JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(st.dictionaries(st.sampled_from(sorted(answer())), JSON_VALUE))
def test_hostile_windows_answers_never_pass_what_they_do_not_show(data: dict[str, Any]) -> None:
    """Any answer either fails to parse (error) or gives outcomes; a pass needs the value
    that proves it."""
    data.setdefault("tpm", None)
    try:
        fact = parse_secure_boot(data, None)
    except CollectorError:
        return
    got = judge(fact)
    if got["secure_boot"].status is Status.PASS:
        assert data.get("secure_boot_enabled") in (1, "1")
        assert str(data.get("firmware_type")).strip().lower() == "uefi"
    if got["tpm"].status is Status.PASS:
        assert isinstance(data["tpm"], list | dict) and data["tpm"]
    if "uefi_ca_2023" in got and got["uefi_ca_2023"].status is Status.PASS:
        assert str(data.get("ca2023_status")).strip() == "Updated"


# Linux


def ls(*names: str) -> CommandResult:
    return CommandResult(0, stdout="".join(f"{n}\n" for n in names))


MISSING = CommandResult(2, stderr="ls: cannot access: No such file or directory\n")
NO_FILE = CommandResult(1, stderr="No such file or directory")


UEFI_PC = {
    "firmware": ls("acpi", "dmi", "efi"),
    "var": CommandResult(0, stdout="\x06\x00\x00\x00\x01"),
    "variables": ls("SecureBoot-x"),
    "tpm": ls("tpm0"),
    "version": CommandResult(0, stdout="2\n"),
    # User Mode (SetupMode 0) and no MokSBStateRT: shim checks what it starts.
    "setup": CommandResult(0, stdout="\x06\x00\x00\x00\x00"),
    "mok": NO_FILE,
}


def linux_fact(**over: CommandResult) -> SecureBootFacts:
    got = {**UEFI_PC, **over}
    results = {
        linux.FIRMWARE.key: got["firmware"],
        linux.SECURE_BOOT_VAR.key: got["var"],
        linux.VARIABLES.key: got["variables"],
        linux.TPM_CLASS.key: got["tpm"],
        linux.TPM_VERSION.key: got["version"],
        linux.SETUP_MODE_VAR.key: got["setup"],
        linux.MOK_SB_STATE_VAR.key: got["mok"],
    }
    return linux.LinuxSecureBoot().parse(results, PlatformInfo(family=OsFamily.LINUX))


def test_linux_secure_boot_on_with_a_tpm2() -> None:
    got = statuses(judge(linux_fact(), OsFamily.LINUX))
    assert got == {
        "secure_boot": (Status.PASS, "secure_boot_on"),
        "tpm": (Status.PASS, "tpm_registered"),
    }


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"firmware": ls("acpi", "memmap")}, (Status.FAIL, "legacy_boot")),
        ({"firmware": ls()}, (Status.UNKNOWN, "secure_boot_unknown")),
        ({"firmware": MISSING}, (Status.UNKNOWN, "secure_boot_unknown")),
        (
            {"var": CommandResult(0, stdout="\x06\x00\x00\x00\x00")},
            (Status.FAIL, "secure_boot_off"),
        ),
        (
            {"var": CommandResult(0, stdout="\x06\x00\x00\x00\x02")},
            (Status.UNKNOWN, "secure_boot_unknown"),
        ),
        ({"var": CommandResult(0, stdout="\x06\x00")}, (Status.UNKNOWN, "secure_boot_unknown")),
        (
            {"var": CommandResult(0, stdout="\x06\x00\x00\x00\ufffd")},
            (Status.UNKNOWN, "secure_boot_unknown"),
        ),
        (
            {"var": CommandResult(EXIT_DENIED, stderr="Permission denied")},
            (Status.UNKNOWN, "secure_boot_unknown"),
        ),
        # efivarfs lists variables but the firmware set no SecureBoot: no Secure Boot.
        ({"var": NO_FILE}, (Status.FAIL, "secure_boot_off")),
        # efivarfs not mounted: nothing seen.
        ({"var": NO_FILE, "variables": ls()}, (Status.UNKNOWN, "secure_boot_unknown")),
        # SecureBoot 1 but the firmware in Setup Mode (no Platform Key): the kernel and
        # mokutil both call that disabled (libstub secureboot.c, mokutil --sb-state).
        (
            {"setup": CommandResult(0, stdout="\x06\x00\x00\x00\x01")},
            (Status.FAIL, "secure_boot_off"),
        ),
        ({"setup": NO_FILE}, (Status.UNKNOWN, "secure_boot_unknown")),
        (
            {"setup": CommandResult(EXIT_DENIED, stderr="Permission denied")},
            (Status.UNKNOWN, "secure_boot_unknown"),
        ),
        (
            {"setup": CommandResult(0, stdout="\x06\x00\x00\x00\x07")},
            (Status.UNKNOWN, "secure_boot_unknown"),
        ),
        # shim told not to check signatures (mokutil --disable-validation): shim mirrors
        # MokSBState 1 into MokSBStateRT and starts unsigned kernels.
        (
            {"mok": CommandResult(0, stdout="\x06\x00\x00\x00\x01")},
            (Status.FAIL, "secure_boot_off"),
        ),
        (
            {"mok": CommandResult(0, stdout="\x06\x00\x00\x00\x00")},
            (Status.UNKNOWN, "secure_boot_unknown"),
        ),
        (
            {"mok": CommandResult(EXIT_DENIED, stderr="Permission denied")},
            (Status.UNKNOWN, "secure_boot_unknown"),
        ),
        # Secure Boot off: Setup Mode and shim do not matter.
        (
            {"var": CommandResult(0, stdout="\x06\x00\x00\x00\x00"), "setup": NO_FILE},
            (Status.FAIL, "secure_boot_off"),
        ),
    ],
)
def test_linux_secure_boot_values(
    kwargs: dict[str, CommandResult], expected: tuple[Status, str]
) -> None:
    assert statuses(judge(linux_fact(**kwargs), OsFamily.LINUX))["secure_boot"] == expected


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"tpm": MISSING}, (Status.FAIL, "no_tpm")),
        ({"tpm": ls()}, (Status.FAIL, "no_tpm")),
        ({"version": NO_FILE}, (Status.UNKNOWN, "tpm_version_unknown")),
        ({"version": CommandResult(0, stdout="1\n")}, (Status.FAIL, "tpm_too_old")),
        ({"tpm": CommandResult(127, stderr="ls: not found")}, (Status.UNKNOWN, "tpm_unknown")),
    ],
)
def test_linux_tpm_values(kwargs: dict[str, CommandResult], expected: tuple[Status, str]) -> None:
    assert statuses(judge(linux_fact(**kwargs), OsFamily.LINUX))["tpm"] == expected


@given(st.text(max_size=12))
def test_any_efi_variable_content_passes_only_with_the_byte_1(text: str) -> None:
    fact = linux_fact(var=CommandResult(0, stdout=text))
    if judge(fact)["secure_boot"].status is Status.PASS:
        assert len(text) > 4 and text[4] == "\x01"


@given(st.text(max_size=12), st.one_of(st.none(), st.text(max_size=12)))
def test_secure_boot_passes_only_in_user_mode_without_shim_insecure_mode(
    setup: str, mok: str | None
) -> None:
    fact = linux_fact(
        setup=CommandResult(0, stdout=setup),
        mok=NO_FILE if mok is None else CommandResult(0, stdout=mok),
    )
    if judge(fact)["secure_boot"].status is Status.PASS:
        assert len(setup) > 4 and setup[4] == "\x00" and mok is None


def test_the_linux_probe_runs_here_and_never_passes_without_efi() -> None:
    """The real probe on this machine, through the CLI: a truthful verdict."""
    env = {**os.environ, "ENDPOINT_AUDIT_LANG": "en"}
    run = subprocess.run(
        [sys.executable, "-m", "endpoint_audit", "scan", "--only", "secure_boot", "-f", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=ROOT,
    )
    (host,) = json.loads(run.stdout)["hosts"]
    found = {f["resource"]: f for f in host["findings"] if f["check_id"] == "secure_boot"}
    assert set(found) == {"secure_boot", "tpm"}
    secure_boot = found["secure_boot"]
    if not Path("/sys/firmware/efi").is_dir():
        assert secure_boot["status"] in ("fail", "unknown"), secure_boot
    if secure_boot["status"] == "pass":
        var = Path(linux.SECURE_BOOT_VAR.path).read_bytes()
        assert var[4] == 1
    if not Path("/sys/class/tpm").is_dir():
        assert found["tpm"]["status"] == "fail"


# macOS


# The lines of `sudo /usr/libexec/mdmclient QuerySecurityInfo | grep "SecureBoot =" -A 4`
# on a T2 MacBook Pro (Secure Boot section of the macOS security compliance guide this
# check's cases cite), without the WindowsBootLevel line Apple silicon has no use for.
SECURITY_INFO_FULL = (
    "    SecureBoot = {\n"
    "     ExternalBootLevel = disallowed;\n"
    "     SecureBootLevel = full;\n"
    "    };\n"
)


def fact_reason(finding: Outcome) -> str | None:
    reason = finding.args.get("reason")
    return reason.key if isinstance(reason, Reason) else None


def security_info(level: str) -> CommandResult:
    return CommandResult(0, stdout=SECURITY_INFO_FULL.replace("= full;", f"= {level};"))


def mac_fact(
    arm: CommandResult,
    policy: CommandResult,
    mdm: CommandResult | None = None,
    is_admin: bool | None = True,
) -> SecureBootFacts:
    results = {macos.ARM64.key: arm, macos.POLICY.key: policy}
    if mdm is not None:
        results[macos.SECURITY_INFO.key] = mdm
    platform = PlatformInfo(family=OsFamily.MACOS, is_admin=is_admin)
    return macos.MacosSecureBoot().parse(results, platform)


APPLE_SILICON = CommandResult(0, stdout="hw.optional.arm64: 1\n")


NOT_SET = CommandResult(1, stderr="nvram: Error getting variable")


def policy(value: str) -> CommandResult:
    return CommandResult(0, stdout=f"{macos.POLICY_VARIABLE}\t{value}\n")


@pytest.mark.parametrize(
    ("arm", "nvram", "expected"),
    [
        (
            CommandResult(0, stdout="hw.optional.arm64: 0\n"),
            NOT_SET,
            ("no_apple_secure_boot", "no_secure_enclave"),
        ),
        (CommandResult(0, stdout="1"), NOT_SET, ("secure_boot_unknown", "tpm_unknown")),
        (CommandResult(0, stdout=""), policy("%02"), ("secure_boot_on", "secure_enclave")),
        (CommandResult(0, stdout=""), policy("%01"), ("medium_security", "secure_enclave")),
        (CommandResult(0, stdout=""), policy("%00"), ("secure_boot_off", "secure_enclave")),
        (CommandResult(0, stdout=""), NOT_SET, ("no_apple_secure_boot", "no_secure_enclave")),
        (CommandResult(0, stdout=""), policy("%7f"), ("secure_boot_unknown", "tpm_unknown")),
        (CommandResult(0), CommandResult(0, stdout="0"), ("secure_boot_unknown", "tpm_unknown")),
        (CommandResult(0, stdout=""), CommandResult(127), ("secure_boot_unknown", "tpm_unknown")),
        (CommandResult(127), NOT_SET, ("secure_boot_unknown", "tpm_unknown")),
    ],
)
def test_mac_chips_and_policies(
    arm: CommandResult, nvram: CommandResult, expected: tuple[str, str]
) -> None:
    got = judge(mac_fact(arm, nvram), OsFamily.MACOS)
    assert (got["secure_boot"].key, got["tpm"].key) == expected


def test_medium_security_passes_only_when_the_baseline_allows_it() -> None:
    fact = mac_fact(CommandResult(0, stdout=""), policy("%01"))
    assert judge(fact)["secure_boot"].status is Status.FAIL
    allowed = judge(fact, allow_medium_security=True)["secure_boot"]
    assert (allowed.status, allowed.key) == (Status.PASS, "medium_security_allowed")


def test_facts_without_values_are_unknown_never_pass() -> None:
    got = judge(SecureBootFacts(certificates=unknown("secure_boot.reason.not_read")))
    assert {o.status for o in got.values()} == {Status.UNKNOWN}


def test_an_observed_tpm_and_update_round_trip_as_data() -> None:
    fact = SecureBootFacts(
        firmware=seen("uefi"),
        secure_boot=seen("on"),
        tpm=seen(TpmState(present=True, version=2, enabled=True, activated=True, owned=True)),
        certificates=seen(CertificateUpdate(status="Updated")),
    )
    again = SecureBootFacts.model_validate(json.loads(fact.model_dump_json()))
    assert again == fact
    assert isinstance(again.tpm, Seen) and not isinstance(again.firmware, Unknown)


@pytest.mark.parametrize(
    ("mdm", "is_admin", "expected"),
    [
        (security_info("full"), True, (Status.PASS, "apple_silicon", None)),
        (security_info("medium"), True, (Status.FAIL, "reduced_security", None)),
        (security_info("off"), True, (Status.FAIL, "apple_silicon_level_off", None)),
        # Apple's schema also has "not supported", which is no level this check judges.
        (
            security_info('"not supported"'),
            True,
            (Status.UNKNOWN, "secure_boot_unknown", "level_unrecognised"),
        ),
        (
            security_info("FULL"),
            True,
            (Status.UNKNOWN, "secure_boot_unknown", "level_unrecognised"),
        ),
        (
            CommandResult(EXIT_DENIED, stderr="sudo -n refused: sudo: a password is required"),
            False,
            (Status.UNKNOWN, "secure_boot_unknown", "security_info_needs_root"),
        ),
        (
            CommandResult(1, stderr="must be root"),
            False,
            (Status.UNKNOWN, "secure_boot_unknown", "security_info_needs_root"),
        ),
        (
            CommandResult(0, stdout="SecurityInfo = {\n};\n"),
            None,
            (Status.UNKNOWN, "secure_boot_unknown", "security_info_needs_root"),
        ),
        (
            CommandResult(1, stderr="crashed"),
            True,
            (Status.UNKNOWN, "secure_boot_unknown", "mdmclient_failed"),
        ),
        (
            CommandResult(127, stderr="not found"),
            True,
            (Status.UNKNOWN, "secure_boot_unknown", "mdmclient_failed"),
        ),
        (
            CommandResult(0, stdout="SecurityInfo = {\n};\n"),
            True,
            (Status.UNKNOWN, "secure_boot_unknown", "level_missing"),
        ),
        (
            CommandResult(0, stdout=SECURITY_INFO_FULL + "SecureBootLevel = off;\n"),
            True,
            (Status.UNKNOWN, "secure_boot_unknown", "level_repeated"),
        ),
        (
            CommandResult(0, stdout=SECURITY_INFO_FULL + " " * macos.MAX_OUTPUT),
            True,
            (Status.UNKNOWN, "secure_boot_unknown", "security_info_too_long"),
        ),
    ],
)
def test_apple_silicon_security_levels(
    mdm: CommandResult, is_admin: bool | None, expected: tuple[Status, str, str | None]
) -> None:
    got = judge(mac_fact(APPLE_SILICON, NOT_SET, mdm, is_admin), OsFamily.MACOS)
    finding = got["secure_boot"]
    reason = fact_reason(finding)
    short = reason.rsplit(".", 1)[-1] if reason is not None else None
    assert (finding.status, finding.key, short) == expected
    # The Secure Enclave is there whatever the boot policy says.
    assert (got["tpm"].status, got["tpm"].key) == (Status.PASS, "secure_enclave")


def test_reduced_security_passes_only_when_the_baseline_allows_it() -> None:
    fact = mac_fact(APPLE_SILICON, NOT_SET, security_info("medium"))
    assert judge(fact, OsFamily.MACOS)["secure_boot"].status is Status.FAIL
    allowed = judge(fact, OsFamily.MACOS, allow_medium_security=True)["secure_boot"]
    assert (allowed.status, allowed.key) == (Status.PASS, "reduced_security_allowed")
    off = judge(mac_fact(APPLE_SILICON, NOT_SET, security_info("off")), allow_medium_security=True)
    assert off["secure_boot"].status is Status.FAIL


def test_mdmclient_is_asked_as_root_and_only_of_apple_silicon() -> None:
    collector = macos.MacosSecureBoot()
    platform = PlatformInfo(family=OsFamily.MACOS)
    assert macos.SECURITY_INFO.privileged
    assert macos.SECURITY_INFO not in collector.commands(platform, {})
    intel = {macos.ARM64.key: CommandResult(0, stdout="")}
    assert macos.SECURITY_INFO not in collector.commands(platform, intel)
    silicon = {macos.ARM64.key: APPLE_SILICON}
    assert macos.SECURITY_INFO in collector.commands(platform, silicon)
    assert macos.SECURITY_INFO in collector.probe_commands(platform)


def test_apple_silicon_without_the_security_info_answer_is_an_error() -> None:
    with pytest.raises(CollectorError):
        mac_fact(APPLE_SILICON, NOT_SET)


_LEVEL_TEXT = st.sampled_from(
    [
        "SecureBootLevel = full;",
        "SecureBootLevel = medium;",
        "SecureBootLevel = off;",
        "SecureBootLevel=full;",
        "SecureBootLevel = full",
        "SecureBootLevel = full; off",
        'SecureBootLevel = "full";',
        "  SecureBootLevel = full;  ",
        "\tSecureBootLevel = full;",
        "XSecureBootLevel = full;",
        "SecureBootLevel = fullest;",
        "ExternalBootLevel = full;",
        "SecureBoot = {",
        "};",
    ]
)


@given(
    lines=st.lists(st.one_of(_LEVEL_TEXT, st.text(max_size=40)), max_size=8),
    allow_medium=st.booleans(),
    is_admin=st.sampled_from([True, False, None]),
)
def test_hostile_security_info_passes_only_on_one_exact_level_line(
    lines: list[str], allow_medium: bool, is_admin: bool | None
) -> None:
    text = "\n".join(lines)
    fact = mac_fact(APPLE_SILICON, NOT_SET, CommandResult(0, stdout=text), is_admin)
    finding = judge(fact, OsFamily.MACOS, allow_medium_security=allow_medium)["secure_boot"]
    keyed = [line for line in text.splitlines() if "SecureBootLevel" in line]
    exact = re.compile(r"[ \t]*SecureBootLevel = (full|medium|off);[ \t]*")
    only = exact.fullmatch(keyed[0]) if len(keyed) == 1 else None
    level = only.group(1) if only else None
    if finding.status is Status.PASS:
        assert level == "full" or (level == "medium" and allow_medium)
    if level is None:
        assert finding.status is Status.UNKNOWN
