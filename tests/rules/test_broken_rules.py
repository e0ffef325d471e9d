"""The broken-rule corpus (tests/fixtures/broken_rules/): each file has one mistake in a
rule check; `baseline validate` says it in one line `file:line: path: message` (the line
where the mistake is written, the rule's path, the exact problem and, where one exists, a
suggestion), exits 2, and prints no traceback."""

from __future__ import annotations

import pytest

from tests.baselines.helpers import FIXTURES, run

BROKEN_RULES = FIXTURES / "broken_rules"

# file stem -> (line, path under the rule (or /path from the top), the start of the message)
CASES: dict[str, tuple[int, str, str]] = {
    "r01-unknown-hive-hkcu": (
        12,
        "platforms.windows.read.registry",
        "unknown hive 'HKCU': HKCU is the a",
    ),
    "r02-unknown-hive": (
        12,
        "platforms.windows.read.registry",
        "unknown hive 'HKXX'; start the pat",
    ),
    "r03-powershell-drive": (
        12,
        "platforms.windows.read.registry",
        "'HKLM:' is PowerShell drive syntax",
    ),
    "r04-forward-slashes": (
        12,
        "platforms.windows.read.registry",
        "'HKLM/SOFTWARE/Example': registry",
    ),
    "r05-dword-as-string": (
        13,
        "platforms.windows.expect",
        "HKLM\\SOFTWARE\\Policies\\Example\\Set",
    ),
    "r06-dword-as-hex-string": (
        13,
        "platforms.windows.expect",
        "HKLM\\SOFTWARE\\Policies\\Example\\Set",
    ),
    "r07-regex-does-not-compile": (
        13,
        "platforms.windows.expect",
        "regex '(unclosed' does not compile",
    ),
    "r08-regex-on-dword": (13, "platforms.windows.expect", "operator regex does not fit HKLM\\S"),
    "r09-lt-on-text": (13, "platforms.windows.expect", "operator lt does not fit HKLM\\SOFT"),
    "r10-lt-given-text": (13, "platforms.windows.expect.lt", "lt needs a number, not 'five'"),
    "r11-two-operators": (13, "platforms.windows.expect", "one operator per expectation, not"),
    "r12-no-operator": (13, "platforms.windows.expect", "an expectation needs one operator:"),
    "r13-unknown-operator": (
        13,
        "platforms.windows.expect.equals",
        "unknown key 'equals'; did you mean",
    ),
    "r14-misspelt-read": (12, "platforms.windows.read", "unknown read 'regsitry'; did you m"),
    "r15-no-value-name": (12, "platforms.windows.read.value", "required key is missing"),
    "r16-unknown-registry-type": (
        12,
        "platforms.windows.read.type",
        "Input should be 'dword', 'qword',",
    ),
    "r17-registry-under-linux": (10, "platforms", "HKLM\\SOFTWARE\\Policies\\Example\\Set"),
    "r18-file-under-windows": (10, "platforms", "/etc/passwd (mode) is read on linu"),
    "r19-relative-path": (12, "platforms.linux.read.file", "'etc/passwd': write an absolute pa"),
    "r20-unknown-file-property": (
        12,
        "platforms.linux.read.property",
        "Input should be 'exists', 'mode',",
    ),
    "r21-bad-sysctl-name": (
        12,
        "platforms.linux.read.sysctl",
        "'net/ipv4/ip_forward' is not a sys",
    ),
    "r22-unit-without-suffix": (
        12,
        "platforms.linux.read.systemd",
        "'sshd' is not a unit name with its",
    ),
    "r23-module-eq-number": (13, "platforms.linux.expect", "kernel module usb_storage (blackli"),
    "r24-bad-version": (13, "platforms.linux.expect", "version_ge: 'twelve' is not a dott"),
    "r25-empty-in": (13, "platforms.windows.expect", "in: needs at least one value"),
    "r26-empty-all": (12, "platforms.windows.all", "List should have at least 1 item a"),
    "r27-unknown-family": (11, "platforms.win11", "'win11' is not an OS family; use w"),
    "r28-misspelt-combinator": (12, "platforms.windows.alll", "unknown key 'alll'; did you mean '"),
    "r29-absent-false": (
        13,
        "platforms.windows.expect.absent",
        "absent takes only true; to say the",
    ),
    "r30-age-on-text": (13, "platforms.linux.expect", "operator age_days_le does not fit"),
    "r31-negative-age": (
        13,
        "platforms.linux.expect.age_days_le",
        "Input should be greater than or eq",
    ),
    "r32-operator-in-list-mixed": (
        13,
        "platforms.windows.expect",
        "HKLM\\SOFTWARE\\Policies\\Example\\Set",
    ),
    "r33-no-expect": (11, "platforms.windows.expect", "required key is missing"),
    "r34-rule-id-not-namespaced": (5, "/checks.sample_rule", "'sample_rule': a rule id is namesp"),
    "r35-rule-id-of-a-check": (5, "/checks.firewall", "'firewall' is a check of the tool;"),
    "r36-no-severity": (5, "severity", "required key is missing"),
    "r37-title-english-only": (8, "title.ja", "required key is missing"),
    "r38-no-platforms": (5, "platforms", "required key is missing"),
    "r39-bad-severity": (7, "severity", "Input should be 'critical', 'high'"),
    "r40-misspelt-rule-key": (9, "remedation", "unknown key 'remedation'; did you"),
    "r41-rule-id-too-long": (
        5,
        "/checks.jp.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "'jp.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ),
    "r42-secpol-misspelt-section": (
        12,
        "platforms.windows.read.secpol",
        "'System Acess' is not a section se",
    ),
    "r43-auditpol-guid-unquoted": (
        12,
        "platforms.windows.read.auditpol",
        "the GUID was read as a YAML mappin",
    ),
    "r44-auditpol-not-a-guid": (
        12,
        "platforms.windows.read.auditpol",
        "'Logon' is not a subcategory GUID ",
    ),
    "r45-cim-class-injection": (
        12,
        "platforms.windows.read.cim",
        '"Win32_Service\' or 1=1" is not a C',
    ),
    "r46-cim-selector-quote": (
        12,
        "platforms.windows.read.where",
        "\"x' OR '1'='1\": selector text may",
    ),
    "r47-service-display-name": (
        12,
        "platforms.windows.read.service",
        "'Print Spooler' is not a service k",
    ),
    "r48-rights-eq-number": (13, "platforms.windows.expect", "operator eq does not fit secpol [P"),
    "r49-auditpol-text-operand": (
        13,
        "platforms.windows.expect",
        "auditpol {0CCE9215-69AE-11D9-BED3-",
    ),
    "r50-set-not-a-list": (
        13,
        "platforms.windows.expect.subset_of",
        "subset_of takes a list of members, not '*S-1-5-32-544,*S-1-5-32-555'; "
        "write subset_of: ['*S-1-5-32-544', '*S-1-5-32-555']",
    ),
    "r51-empty-subset": (
        13,
        "platforms.windows.expect.subset_of",
        "subset_of: [] says the value holds no member at all; write equals_set: []",
    ),
    "r52-empty-contains-all": (
        13,
        "platforms.windows.expect.contains_all",
        "contains_all: [] holds for any value;",
    ),
    "r53-set-on-dword": (
        13,
        "platforms.windows.expect",
        "operator contains_all does not fit HKLM\\SOFTWARE\\Policies\\Example\\Setting, "
        "which is a number",
    ),
    "r54-set-account-name": (
        13,
        "platforms.windows.expect",
        "equals_set mixes SIDs and names ('Remote Desktop Users'); accounts are compared by "
        "SID only, since names are localized: write '*S-1-5-32-555' for 'Remote Desktop Users'",
    ),
    "r55-set-member-number": (
        13,
        "platforms.windows.expect.contains_none",
        "contains_none: the member 544 is not text",
    ),
    "r56-set-members-in-one-item": (
        13,
        "platforms.windows.expect.equals_set",
        "equals_set: '*S-1-5-32-544,*S-1-5-32-555' is not one member; write each member",
    ),
    "r57-set-name-only": (
        13,
        "platforms.windows.expect",
        "secpol [Privilege Rights] SeDenyNetworkLogonRight holds accounts as SIDs, but "
        "contains_all names 'Guests'; names are localized",
    ),
    # Searched in any value, '^.*$' always finds a match: the rule would prove nothing.
    "r86-regex-matches-any-text": (
        13,
        "platforms.windows.expect.any.1.regex",
        "regex '^.*$' finds a match in any text",
    ),
}


# Mistakes in a rule's applicability (applies_when): the same messages as in conditions.
APPLIES_WHEN_CASES: dict[str, tuple[int, str, str]] = {
    "r58-profile-payload-not-a-type": (
        12,
        "platforms.macos.read.profile_payload",
        "'MCX' is not a payload type such as com.apple.MCX",
    ),
    "r59-profile-payload-under-windows": (
        10,
        "platforms",
        "profile payload com.apple.MCX EnableGuestAccount is read on macos, not under windows",
    ),
    "r60-profile-payload-misspelt-field": (
        12,
        "platforms.macos.read.profil",
        "unknown key 'profil'; did you mean 'profile'?",
    ),
    "r61-profile-payload-bool-given-text": (
        13,
        "platforms.macos.expect",
        "profile payload com.apple.MCX EnableGuestAccount is true or false, but eq is given "
        "text 'false'",
    ),
    "r81-applies-when-hkcu": (
        12,
        "applies_when.windows.read.registry",
        "unknown hive 'HKCU': HKCU is the a",
    ),
    "r82-applies-when-family-not-judged": (
        10,
        "applies_when",
        "applies_when names linux, which th",
    ),
    "r83-applies-when-misspelt-operator": (
        13,
        "applies_when.windows.expect.presnt",
        "unknown key 'presnt'; did you mean",
    ),
    "r84-applies-when-misspelt": (10, "applies_whn", "unknown key 'applies_whn'; did yo"),
    "r85-applies-when-dword-as-string": (
        13,
        "applies_when.windows.expect",
        "HKLM\\SOFTWARE\\Vendor\\Product\\Inst",
    ),
}
CASES.update(APPLIES_WHEN_CASES)


def test_the_corpus_is_the_table() -> None:
    assert sorted(p.stem for p in BROKEN_RULES.glob("*.yaml")) == sorted(CASES)
    assert len(CASES) >= 30


@pytest.mark.parametrize("name", sorted(CASES))
def test_one_line_naming_the_mistake(name: str) -> None:
    line, path, start = CASES[name]
    path = path[1:] if path.startswith("/") else f"checks.jp.sample_rule.{path}"
    file = BROKEN_RULES / f"{name}.yaml"
    ran = run("baseline", "validate", file)
    assert ran.code == 2
    assert "Traceback" not in ran.stdout + ran.stderr
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    where = f"{file.name}:{line}: {path}: "
    assert where in lines[0], lines[0]
    assert lines[0].split(where, 1)[1].startswith(start), lines[0]
    # The line named holds the key the path ends in (the file's own text, not a guess).
    key = path.rsplit(".", 1)[-1]
    text = file.read_text(encoding="utf-8").splitlines()[line - 1]
    if not start.startswith("required key"):  # a missing key is written nowhere
        assert key in text or path.count(".") == 1, text
