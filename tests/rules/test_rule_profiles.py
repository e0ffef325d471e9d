"""macOS reads of rules from the installed configuration profiles (`profile_payload`):
the recorded `profiles -C -o stdout-xml` output (tests/fixtures/macos_profiles/, sources in
its README) through the parser and through a replay scan; one `profiles` per host however
many reads; root or unknown; absent named; disagreeing payloads unknown; whatever the
command prints (hostile output) never becomes a pass."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from endpoint_audit.checkkit.cases import ReplayCase, case_bundle
from endpoint_audit.model.commands import EXIT_DENIED, SUDO_REFUSED, Command, CommandResult
from endpoint_audit.model.rule import ProfileRead
from endpoint_audit.rules.macos import all_commands, parse_read
from endpoint_audit.rules.macos_profiles import OUTPUT_LIMIT, PROFILES
from endpoint_audit.transport.replay import ReplayTransport
from tests.baselines.helpers import run
from tests.replay_cases import write_bundle

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "macos_profiles"
FLEET = (FIXTURES / "fleet-computerlevel.xml").read_text(encoding="utf-8")
ACCOUNTS = (FIXTURES / "apple-accounts-profile.xml").read_text(encoding="utf-8")
SOURCE = [
    "profiles -C -o stdout-xml as root: fleetdm/fleet orbit/pkg/profiles/profiles_darwin_test.go "
    "@ c01a2a14fab7150d6b5051c26d82c332b619fe96 (withFleetdConfigAndEnrollment)",
    "com.apple.MCX Accounts payload: Apple Device Management reference, Accounts, Profile "
    "Example (https://developer.apple.com/documentation/devicemanagement/accounts); keys: "
    "apple/device-management mdm/profiles/com.apple.MCX(Accounts).yaml "
    "@ 39e2a8223418ec2eeffb084177ea8bd706114eb0",
    "id -u prints the uid alone on a line; 0 is root",
]
# The end of the recorded `_computerlevel` array, where the Accounts profile is added.
END = "\t</dict>\n</array>\n</dict>\n</plist>"
assert FLEET.rstrip("\n").endswith(END)


def listing(*extra: str) -> str:
    """The recorded listing with more `_computerlevel` entries after its two."""
    head = FLEET.rstrip("\n")[: -len(END)]
    return head + "\t</dict>\n" + "".join(extra) + "</array>\n</dict>\n</plist>\n"


def accounts(enable: str = "<true/>", key: str = "EnableGuestAccount", ident: str = "") -> str:
    """Apple's Accounts example profile, its documented value changed as asked."""
    text = ACCOUNTS.replace("<key>EnableGuestAccount</key>", f"<key>{key}</key>")
    text = text.replace("<true/>", enable, 1)
    if ident:
        text = text.replace("com.example.myprofile", ident)
    return text


def as_root(stdout: str, uid: str = "0", status: int = 0) -> dict[str, CommandResult]:
    return {PROFILES.key: CommandResult(status, stdout=f"{uid}\n{stdout}")}


def read(payload: str, key: Any, **extra: Any) -> ProfileRead:
    return ProfileRead.model_validate({"profile_payload": payload, "key": key, **extra})


GUEST = read("com.apple.MCX", "EnableGuestAccount", type="bool")


def reason(got: Any) -> str:
    assert got.state == "unknown" and got.reason is not None, got
    return str(got.reason.key).removeprefix("rule.reason.")


# --- the parser on the recording ---------------------------------------------------------


def test_values_of_the_recorded_payloads() -> None:
    got = as_root(FLEET)
    assert parse_read(read("com.apple.mdm", "ServerURL"), got).value == "https://test.example.com"
    assert parse_read(read("com.apple.mdm", "AccessRights"), got).value == 8191
    caps = parse_read(read("com.apple.mdm", "ServerCapabilities"), got)
    assert (caps.kind, caps.value) == (
        "texts",
        ["com.apple.mdm.per-user-connections", "com.apple.mdm.bootstraptoken"],
    )
    assert parse_read(read("com.apple.mdm", "CheckOutWhenRemoved"), got).value is True
    assert parse_read(read("com.apple.mdm", ["ServerCapabilities", 1]), got).value == (
        "com.apple.mdm.bootstraptoken"
    )
    named = read("com.fleetdm.fleetd", "FleetURL", profile="com.fleetdm.fleetd.config")
    assert parse_read(named, got).value == "https://test.example.com"


def test_absent_payload_and_absent_key_are_told_apart() -> None:
    got = as_root(FLEET)
    assert parse_read(GUEST, got).absent == "payload"
    # The payload type is there, in another profile than the one named.
    other = read("com.apple.mdm", "ServerURL", profile="com.fleetdm.fleetd.config")
    assert parse_read(other, got).absent == "payload"
    # The SCEP payload is there, with an empty PayloadContent.
    assert parse_read(read("com.apple.security.scep", "Subject"), got).absent == "payload_key"
    # No computer-level profile at all (Fleet's recording of an empty listing).
    empty = '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict/>\n</plist>\n'
    assert parse_read(GUEST, as_root(empty)).absent == "payload"
    # The sentence `profiles -C` prints then (wwwhtml/macos-mdm-profile-checker file2.sh
    # @ d25976c26ece6aab2ed975dd4e4ba9dc065640e6 compares its output with exactly it).
    none = "There are no configuration profiles installed in the system domain\n"
    assert parse_read(GUEST, as_root(none)).absent == "payload"
    # A user's empty list says nothing of the computer's profiles.
    user = "There are no configuration profiles installed for user 'hanako'\n"
    assert parse_read(GUEST, as_root(user)).state == "unknown"
    assert parse_read(GUEST, as_root(none, uid="501")).state == "unknown"


def test_apple_s_accounts_payload() -> None:
    on = parse_read(GUEST, as_root(listing(accounts())))
    assert (on.state, on.kind, on.value) == ("value", "bool", True)
    off = parse_read(GUEST, as_root(listing(accounts("<false/>"))))
    assert off.value is False
    disable = read("com.apple.MCX", "DisableGuestAccount", type="bool")
    assert parse_read(disable, as_root(listing(accounts()))).absent == "payload_key"
    got = parse_read(disable, as_root(listing(accounts(key="DisableGuestAccount"))))
    assert got.value is True
    assert (
        parse_read(
            read("com.apple.MCX", "EnableGuestAccount", type="number"), as_root(listing(accounts()))
        ).state
        == "unknown"
    )  # a boolean read as a number


def test_payloads_that_disagree_are_unknown_naming_the_profiles() -> None:
    two = listing(accounts(), accounts("<false/>", ident="jp.example.guest-off"))
    got = parse_read(GUEST, as_root(two))
    assert reason(got) == "profile_payloads_differ"
    assert got.reason is not None
    assert got.reason.args["profiles"] == "com.example.myprofile, jp.example.guest-off"
    # Agreeing payloads give their value; naming one profile reads it alone.
    same = listing(accounts("<false/>"), accounts("<false/>", ident="jp.example.guest-off"))
    assert parse_read(GUEST, as_root(same)).value is False
    one = read("com.apple.MCX", "EnableGuestAccount", type="bool", profile="jp.example.guest-off")
    assert parse_read(one, as_root(two)).value is False
    # A payload that does not set the key does not disagree.
    unset = listing(accounts(), accounts(key="DisableGuestAccount", ident="jp.example.other"))
    assert parse_read(GUEST, as_root(unset)).value is True


def test_without_root_the_reads_are_unknown_naming_why() -> None:
    got = parse_read(GUEST, as_root(FLEET, uid="501"))
    assert reason(got) == "profiles_needs_root"
    assert got.reason is not None and got.reason.args["uid"] == "501"
    refused = {PROFILES.key: CommandResult(EXIT_DENIED, stderr=f"{SUDO_REFUSED}: a password")}
    assert reason(parse_read(GUEST, refused)) == "denied"
    assert reason(parse_read(GUEST, {})) == "no_result"


@pytest.mark.parametrize(
    ("result", "why"),
    [
        (CommandResult(1, stdout="0\n", stderr="profiles: error"), "read_failed"),
        (CommandResult(127, stderr="sh: /usr/bin/profiles: not found"), "not_installed"),
        (CommandResult(0, stdout="0\n" + FLEET, timed_out=True), "read_failed"),
        (CommandResult(0, stdout=FLEET), "read_failed"),  # no uid line first
        (
            CommandResult(0, stdout="0\nThere are no configuration profiles installed\n"),
            "read_failed",
        ),
        (CommandResult(0, stdout="0\n" + FLEET[:-200]), "read_failed"),  # cut short
        (CommandResult(0, stdout="0\n" + " " * (OUTPUT_LIMIT + 1)), "output_too_long"),
    ],
)
def test_failures_and_hostile_output_are_unknown(result: CommandResult, why: str) -> None:
    assert reason(parse_read(GUEST, {PROFILES.key: result})) == why


def test_an_entity_declaration_is_refused() -> None:
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE plist [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<plist version="1.0"><dict>'
        "<key>_computerlevel</key><string>&b;</string></dict></plist>"
    )
    assert reason(parse_read(GUEST, as_root(bomb))) == "read_failed"


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        (
            "<key>_computerlevel</key>\n\t<array>",
            "<key>_computerlevel</key><string>x</string><key>hanako</key><array>",
            "_computerlevel: string",
        ),
        ("<key>ProfileItems</key>", "<key>ProfileItemz</key>", "_computerlevel[0].ProfileItems: -"),
        (
            "<key>ProfileIdentifier</key>",
            "<key>ProfileIdentifiers</key>",
            "_computerlevel[0].ProfileIdentifier: -",
        ),
        (
            "<string>com.fleetdm.fleetd</string>",
            "<integer>1</integer>",
            "_computerlevel[0].ProfileItems[0].PayloadType: integer",
        ),
    ],
)
def test_another_shape_is_unknown_naming_where(old: str, new: str, where: str) -> None:
    # The Accounts profile comes after: a malformed profile before it could hide a payload.
    text = listing(accounts("<false/>")).replace(old, new, 1)
    got = parse_read(GUEST, as_root(text))
    assert reason(got) == "profiles_malformed"
    assert got.reason is not None and got.reason.args["what"] == where


def test_a_payload_without_settings_is_unknown() -> None:
    text = listing(accounts().replace("<key>PayloadContent</key>", "<key>PayloadContents</key>"))
    got = parse_read(GUEST, as_root(text))
    assert reason(got) == "profiles_malformed"


def test_validation_refuses_what_is_no_payload_type_or_key() -> None:
    for payload in ("MCX", "com.apple.MCX\n", "com..apple", "", "com.apple/MCX"):
        with pytest.raises(ValueError):
            read(payload, "k")
    for key in ("", "a..b", [], ["a", -1]):
        with pytest.raises(ValueError):
            read("com.apple.MCX", key)
    for ident in ("", "  ", "a\nb", "x" * 201):
        with pytest.raises(ValueError):
            read("com.apple.MCX", "k", profile=ident)


def test_one_command_however_many_reads() -> None:
    reads = [
        GUEST,
        read("com.apple.loginwindow", "DisableFDEAutoLogin"),
        read("com.apple.mdm", "x"),
    ]
    assert [c.key for c in all_commands(reads)] == [PROFILES.key]
    assert PROFILES.privileged  # run with sudo -n under --sudo


# --- the hostile-input properties --------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.integers(min_value=-1, max_value=2))
def test_whatever_profiles_prints_never_raises(stdout: str, status: int) -> None:
    got = parse_read(GUEST, {PROFILES.key: CommandResult(status, stdout=stdout)})
    assert got.state in ("value", "absent", "unknown")
    assert got.state == "unknown" or stdout.startswith("0\n")


_leaf = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),
)
_plist = st.recursive(
    _leaf,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "_computerlevel",
                    "ProfileIdentifier",
                    "ProfileItems",
                    "PayloadType",
                    "PayloadContent",
                    "EnableGuestAccount",
                    "x",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=25,
)
_payload = st.fixed_dictionaries(
    {"PayloadType": st.sampled_from(["com.apple.MCX", "com.apple.mdm"])},
    optional={
        "PayloadContent": st.dictionaries(
            st.sampled_from(["EnableGuestAccount", "y"]), _plist, max_size=2
        )
    },
)
_profile = st.fixed_dictionaries(
    {
        "ProfileIdentifier": st.sampled_from(["a", "b"]),
        "ProfileItems": st.lists(_payload | _plist, max_size=3),
    }
)
_listing = st.one_of(
    _plist, st.fixed_dictionaries({"_computerlevel": st.lists(_profile | _plist, max_size=3)})
)


def _expected_values(top: Any) -> list[Any]:
    """Every EnableGuestAccount of a com.apple.MCX payload of a well-formed listing."""
    return [
        item["PayloadContent"]["EnableGuestAccount"]
        for profile in top["_computerlevel"]
        for item in profile["ProfileItems"]
        if item["PayloadType"] == "com.apple.MCX" and "EnableGuestAccount" in item["PayloadContent"]
    ]


@settings(max_examples=300, deadline=None)
@given(_listing)
def test_a_value_comes_only_from_payloads_of_the_type_that_agree(top: Any) -> None:
    import plistlib

    text = plistlib.dumps(top, fmt=plistlib.FMT_XML).decode("utf-8")
    got = parse_read(read("com.apple.MCX", "EnableGuestAccount"), as_root(text))
    assert got.state in ("value", "absent", "unknown")
    if got.state == "value":
        values = _expected_values(top)  # a value means the listing had the expected shape
        assert values and all(v == got.value and type(v) is type(got.value) for v in values)
    if got.state == "absent" and isinstance(top, dict) and "_computerlevel" in top:
        assert not _expected_values(top)


# --- through a replay scan ---------------------------------------------------------------

RULES = """id: mac-profiles
title: {ja: プロファイル, en: profiles}
version: 1
checks:
  t.guest_off:
    type: rule
    severity: high
    title: {ja: ゲスト無効, en: guest off}
    remediation: {ja: なし, en: none}
    platforms:
      macos:
        read: {profile_payload: com.apple.MCX, key: EnableGuestAccount, type: bool}
        expect: {eq: false}
  t.no_guest_profile:
    type: rule
    severity: high
    title: {ja: ゲストを有効にするプロファイルがない, en: no profile turns the guest on}
    remediation: {ja: なし, en: none}
    platforms:
      macos:
        all:
          - read: {profile_payload: com.apple.MCX, key: EnableGuestAccount, type: bool}
            expect: {any: [{absent: true}, {eq: false}]}
          - read: {profile_payload: com.apple.mdm, key: ServerURL}
            expect: {regex: '^https://'}
          - read:
              profile_payload: com.apple.mdm
              profile: com.fleetdm.fleet.mdm.apple
              key: AccessRights
            expect: {ge: 1}
"""
PLATFORM = {
    "family": "macos",
    "distro": "macos",
    "distro_like": [],
    "version": "15.1",
    "build": "24B83",
    "pretty_name": "macOS 15.1",
    "arch": "arm64",
    "hostname": "tw-mac-01.local",
    "is_admin": False,  # reached over SSH as a user; `profiles` ran with sudo -n
    "transport": "ssh",
}


def scan(
    tmp_path: Path, stdout: str, only: str = "t.guest_off,t.no_guest_profile", rules: str = RULES
) -> dict[str, Any]:
    case = ReplayCase.model_validate(
        {
            "case": "profiles",
            "platform": PLATFORM,
            "collected_at": "2026-12-01T09:00:00+00:00",
            "commands": {PROFILES.key: {"exit_status": 0, "stdout": stdout, "source": SOURCE}},
            "expect": [],
        }
    )
    baseline = tmp_path / "mac.yaml"
    baseline.write_text(rules, encoding="utf-8")
    bundle = write_bundle(case_bundle(case), tmp_path / "bundle.json")
    ran = run("scan", "--replay", bundle, "-b", baseline, "-f", "json", "--only", only)
    assert ran.code in (0, 1, 3), ran.stderr
    (host,) = ran.json()["hosts"]
    return {f["check_id"]: f for f in host["findings"]}


def test_pass_fail_unknown_and_absent_through_a_replay_scan(tmp_path: Path) -> None:
    passed = scan(tmp_path, "0\n" + listing(accounts("<false/>")))
    assert {k: f["status"] for k, f in passed.items()} == {
        "t.guest_off": "pass",
        "t.no_guest_profile": "pass",
    }
    assert passed["t.guest_off"]["evidence"][0]["source"] == PROFILES.key
    failed = scan(tmp_path, "0\n" + listing(accounts()))
    assert {k: f["status"] for k, f in failed.items()} == {
        "t.guest_off": "fail",
        "t.no_guest_profile": "fail",
    }
    assert (
        "profile payload com.apple.MCX EnableGuestAccount is true"
        in failed["t.guest_off"]["message"]
    )
    unknown = scan(tmp_path, "501\n" + listing(accounts("<false/>")))
    assert {f["status"] for f in unknown.values()} == {"unknown"}
    assert "only to root" in unknown["t.guest_off"]["message"]
    # No Accounts payload: absent, which one rule allows and the other does not cover.
    absent = scan(tmp_path, "0\n" + FLEET)
    assert absent["t.no_guest_profile"]["status"] == "pass"
    assert absent["t.guest_off"]["status"] == "unknown"
    assert absent["t.guest_off"]["actual"][0]["absent"] == "payload"
    assert "no installed computer-level profile has a payload" in absent["t.guest_off"]["message"]


def test_changing_the_recorded_value_flips_the_verdict(tmp_path: Path) -> None:
    """Mutation: the same recording with only the documented value changed."""
    for value, status in (
        ("<false/>", "pass"),
        ("<true/>", "fail"),
        ("<integer>0</integer>", "pass"),
        ("<integer>1</integer>", "fail"),
        ("<string>NO</string>", "pass"),
    ):
        got = scan(tmp_path, "0\n" + listing(accounts(value)), only="t.guest_off")
        assert got["t.guest_off"]["status"] == status, value


def test_one_profiles_per_host_in_a_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: Counter[str] = Counter()
    replay = ReplayTransport._run

    async def counting(self: ReplayTransport, command: Command, timeout: float) -> CommandResult:
        asked[command.key] += 1
        return await replay(self, command, timeout)

    monkeypatch.setattr(ReplayTransport, "_run", counting)
    scan(tmp_path, "0\n" + listing(accounts("<false/>")))
    # Four profile reads of two rules: one command.
    assert asked[PROFILES.key] == 1
    assert not [k for k in asked if "profiles" in k and k != PROFILES.key]


def test_japanese_messages(tmp_path: Path) -> None:
    case = scan(tmp_path, "501\n" + FLEET)
    bundle = tmp_path / "bundle.json"
    ran = run(
        "scan",
        "--replay",
        bundle,
        "-b",
        tmp_path / "mac.yaml",
        "-f",
        "json",
        "--only",
        "t.guest_off",
        "--lang",
        "ja",
    )
    (finding,) = json.loads(ran.stdout)["hosts"][0]["findings"]
    assert "root" in finding["message"] and "コンピュータレベル" in finding["message"]
    assert case["t.guest_off"]["status"] == "unknown"


def test_the_macos_probe_script_runs_profiles_once(tmp_path: Path) -> None:
    baseline = tmp_path / "mac.yaml"
    baseline.write_text(RULES, encoding="utf-8")
    script = tmp_path / "probe.sh"
    ran = run("probe", "export", "--os", "macos", "-b", baseline, "-o", script)
    assert ran.code == 0, ran.stderr
    text = script.read_text(encoding="utf-8")
    # Run once (in a subshell with LC_ALL=C), however many profile reads the rules make.
    assert (
        text.count("( exec env LC_ALL=C /bin/sh -c '/usr/bin/id -u && exec /usr/bin/profiles") == 1
    )
    other = run("probe", "export", "--os", "macos", "-b", "minimal", "-o", tmp_path / "plain.sh")
    assert other.code == 0, other.stderr
    assert "/usr/bin/profiles" not in (tmp_path / "plain.sh").read_text(encoding="utf-8")


def test_baseline_show_prints_the_read(tmp_path: Path) -> None:
    baseline = tmp_path / "mac.yaml"
    baseline.write_text(RULES, encoding="utf-8")
    shown = run("baseline", "show", baseline, "--effective")
    assert shown.code == 0, shown.stderr
    assert "profile_payload: com.apple.MCX" in shown.stdout
    assert "profile: com.fleetdm.fleet.mdm.apple" in shown.stdout
    listed = run("checks", "show", "t.guest_off", "-b", baseline)
    assert listed.code == 0, listed.stderr
    assert "profile payload com.apple.MCX EnableGuestAccount" in listed.stdout


def test_the_example_of_docs_rules_md_judges_the_recording(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "rules.md").read_text(encoding="utf-8")
    blocks = [
        part.split("```", 1)[0]
        for part in text.split("```yaml\n")[1:]
        if "city.no_guest_profile:" in part.split("```", 1)[0]
    ]
    assert len(blocks) == 2 and blocks[0] == blocks[1]  # the Japanese and the English part
    rules = "id: city\ntitle: {ja: 市, en: city}\nversion: 1\nchecks:\n" + blocks[0]
    only = "city.no_guest_profile"
    for stdout, status in (
        ("0\n" + FLEET, "pass"),  # no Accounts payload
        ("0\n" + listing(accounts("<false/>")), "pass"),
        ("0\n" + listing(accounts()), "fail"),
        ("501\n" + FLEET, "unknown"),
    ):
        assert scan(tmp_path, stdout, only, rules)[only]["status"] == status
