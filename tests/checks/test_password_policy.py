"""password_policy: each rule from the number the OS enforces. A configuration file that
PAM does not load, a policy that cannot be interpreted and an export that needed rights
the audit lacked never pass; hostile configuration text never crashes the parsers."""

from __future__ import annotations

import json
import os
import plistlib
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from endpoint_audit.checkkit.check import EvalContext, FactView
from endpoint_audit.checks.password_policy import linux, macos, windows
from endpoint_audit.checks.password_policy.check import PasswordPolicy, PasswordPolicyParams
from endpoint_audit.checks.password_policy.facts import PasswordPolicyFacts, Setting
from endpoint_audit.errors import CollectorError
from endpoint_audit.model.commands import CommandResult
from endpoint_audit.model.observed import Reason, Seen, Unknown, seen, unknown
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.model.result import Status

NOW = datetime(2026, 12, 2, 9, tzinfo=UTC)


def judge(
    fact: PasswordPolicyFacts, family: OsFamily = OsFamily.LINUX, **params: object
) -> dict[str, tuple[Status, str]]:
    ctx = EvalContext(platform=PlatformInfo(family=family), now=NOW)
    outcomes = PasswordPolicy().evaluate(
        FactView({PasswordPolicyFacts: fact}), PasswordPolicyParams.model_validate(params), ctx
    )
    return {o.resource or "": (o.status, o.key) for o in outcomes}


def setting(value: int, unsure: Reason | None = None) -> Seen[Setting]:
    return seen(Setting(value=value, source="test", unsure=unsure))


UNSURE = Reason(key="password_policy.reason.pwpolicy_uninterpreted", args={"policies": "x"})


# --- evaluate -------------------------------------------------------------------------


def test_cis_values_pass_and_each_shortfall_fails() -> None:
    good = PasswordPolicyFacts(
        min_length=setting(14), lockout_threshold=setting(5), char_classes=setting(3)
    )
    assert {s for s, _ in judge(good).values()} == {Status.PASS}
    bad = PasswordPolicyFacts(
        min_length=setting(13), lockout_threshold=setting(6), char_classes=setting(2)
    )
    assert judge(bad) == {
        "min_length": (Status.FAIL, "min_length_short"),
        "lockout_threshold": (Status.FAIL, "lockout_lax"),
        "char_classes": (Status.FAIL, "char_classes_short"),
    }


def test_a_lockout_threshold_of_zero_never_locks_and_fails() -> None:
    fact = PasswordPolicyFacts(
        min_length=setting(20), lockout_threshold=setting(0), char_classes=setting(4)
    )
    assert judge(fact)["lockout_threshold"] == (Status.FAIL, "lockout_never")


def test_unknown_values_are_unknown_never_a_default() -> None:
    why = unknown("password_policy.reason.secedit_needs_admin")
    fact = PasswordPolicyFacts(min_length=why, lockout_threshold=why, char_classes=why)
    assert {s for s, _ in judge(fact, OsFamily.WINDOWS).values()} == {Status.UNKNOWN}
    assert {s for s, _ in judge(PasswordPolicyFacts()).values()} == {Status.UNKNOWN}


def test_an_unsure_value_that_falls_short_is_unknown_but_one_that_suffices_passes() -> None:
    short = PasswordPolicyFacts(
        min_length=setting(4, UNSURE),
        lockout_threshold=setting(10, UNSURE),
        char_classes=setting(1, UNSURE),
    )
    assert {s for s, _ in judge(short).values()} == {Status.UNKNOWN}
    enough = PasswordPolicyFacts(
        min_length=setting(15, UNSURE),
        lockout_threshold=setting(3, UNSURE),
        char_classes=setting(3, UNSURE),
    )
    assert {s for s, _ in judge(enough).values()} == {Status.PASS}


def test_classes_and_pin_are_judged_only_when_asked() -> None:
    fact = PasswordPolicyFacts(
        min_length=setting(14),
        lockout_threshold=setting(5),
        char_classes=setting(0),
        pin_min_length=setting(4),
    )
    assert set(judge(fact, OsFamily.WINDOWS, min_char_classes=0)) == {
        "min_length",
        "lockout_threshold",
    }
    both = judge(fact, OsFamily.WINDOWS, min_pin_length=6)
    assert both["pin_min_length"] == (Status.FAIL, "pin_min_length_short")
    assert "pin_min_length" not in judge(fact, OsFamily.LINUX, min_pin_length=6)


# --- Windows --------------------------------------------------------------------------


def probe(**over: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "is_admin": True,
        "secedit_exit": 0,
        "secedit_error": None,
        "system_access": {
            "MinimumPasswordLength": 14,
            "PasswordComplexity": 1,
            "LockoutBadCount": 5,
        },
        "pin_complexity": None,
        "part_of_domain": False,
    }
    value.update(over)
    return value


def test_windows_reads_the_secedit_numbers() -> None:
    fact = windows.parse_probe(probe())
    assert isinstance(fact.min_length, Seen) and fact.min_length.value.value == 14
    assert isinstance(fact.char_classes, Seen) and fact.char_classes.value.value == 3
    assert isinstance(fact.lockout_threshold, Seen) and fact.lockout_threshold.value.value == 5
    off = windows.parse_probe(probe(system_access={"PasswordComplexity": 0}))
    assert isinstance(off.char_classes, Seen) and off.char_classes.value.value == 0
    assert isinstance(off.min_length, Unknown)
    assert off.min_length.reason.key == "password_policy.reason.inf_key_missing"


def test_windows_without_elevation_names_the_right_even_if_values_were_sent() -> None:
    fact = windows.parse_probe(probe(is_admin=False))
    for observed in (fact.min_length, fact.lockout_threshold, fact.char_classes):
        assert isinstance(observed, Unknown)
        assert observed.reason.key == "password_policy.reason.secedit_needs_admin"
    assert isinstance(fact.pin_min_length, Seen)  # the registry needs no elevation


def test_a_failed_export_is_unknown() -> None:
    fact = windows.parse_probe(probe(system_access=None, secedit_exit=1))
    assert isinstance(fact.min_length, Unknown)
    assert fact.min_length.reason.args["exit_status"] == 1


@pytest.mark.parametrize(
    ("pin", "length"),
    [
        (None, 4),
        ({}, 4),
        ({"MinimumPINLength": 6}, 6),
        ({"MinimumPINLength": 3}, 4),  # below the lowest allowed: defaults apply
        ({"MinimumPINLength": 200}, 4),
        ({"MinimumPINLength": 8, "MaximumPINLength": 6}, 4),  # above its maximum
        ({"MinimumPINLength": "10"}, 10),
    ],
)
def test_the_pin_minimum_is_the_policy_only_when_windows_would_use_it(
    pin: Any, length: int
) -> None:
    assert windows.pin_length(pin).value == length


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=25), inner),
        max_leaves=20,
    )
)
def test_windows_hostile_probe_values_never_pass_without_an_elevated_export(value: Any) -> None:
    try:
        fact = windows.parse_probe(value)
    except CollectorError:
        return
    if not (isinstance(value, dict) and value.get("is_admin") is True):
        assert isinstance(fact.min_length, Unknown)
        assert isinstance(fact.lockout_threshold, Unknown)


# --- macOS ----------------------------------------------------------------------------

HEADER = "Getting global account policies\n"


def policies(**categories: list[dict[str, Any]]) -> str:
    return HEADER + plistlib.dumps(dict(categories), fmt=plistlib.FMT_XML).decode()


def content(pattern: str, ident: str = "p") -> dict[str, Any]:
    return {
        "policyContent": f"policyAttributePassword matches '{pattern}'",
        "policyIdentifier": ident,
    }


LOCK = "policyAttributeFailedAuthentications < policyAttributeMaximumFailedAuthentications"


def lock(limit: int, text: str = LOCK) -> dict[str, Any]:
    return {
        "policyContent": text,
        "policyIdentifier": "lock",
        "policyParameters": {"policyAttributeMaximumFailedAuthentications": limit},
    }


def values(fact: PasswordPolicyFacts) -> tuple[object, object, object]:
    def one(o: Any) -> object:
        if isinstance(o, Unknown):
            return "unknown"
        return (o.value.value, o.value.unsure is not None)

    return one(fact.min_length), one(fact.lockout_threshold), one(fact.char_classes)


def test_macos_reads_length_classes_and_lockout_after_the_header() -> None:
    text = policies(
        policyCategoryPasswordContent=[
            content(".{15,}+"),
            content("(.*[0-9].*){1,}+"),
            content("(.*[A-Z].*){1,}+"),
            content("(.*[a-z].*){2,}+"),
            content(".{4,}+", "com.apple.defaultpasswordpolicy.fde"),
        ],
        policyCategoryAuthentication=[lock(5)],
    )
    assert values(macos.parse_pwpolicy(text)) == ((15, False), (5, False), (3, False))


def test_macos_without_any_policy_fails_length_and_lockout() -> None:
    fact = macos.parse_pwpolicy(HEADER + plistlib.dumps({}).decode())
    assert values(fact) == ((0, False), (0, False), (0, False))
    assert judge(fact, OsFamily.MACOS)["min_length"][0] is Status.FAIL


@pytest.mark.parametrize(
    "pattern",
    ["^(?=.*[0-9]).{12,}$", ".{4}", ".{,8}", "[a-z]{16,}", ".{16,}|x", "(.*[a-z].*){0,}+"],
)
def test_macos_patterns_it_cannot_interpret_never_count(pattern: str) -> None:
    text = policies(policyCategoryPasswordContent=[content(".{4,}+"), content(pattern)])
    length, _, classes = values(macos.parse_pwpolicy(text))
    assert length == (4, True)
    assert classes == (0, True)


@pytest.mark.parametrize(
    "text",
    [
        "policyAttributeMaximumFailedAuthentications < policyAttributeFailedAuthentications",
        LOCK + " OR 1 == 1",
        LOCK + " AND policyAttributeCurrentTime > 0",
    ],
)
def test_macos_lockout_rules_it_cannot_interpret_are_unknown(text: str) -> None:
    fact = macos.parse_pwpolicy(policies(policyCategoryAuthentication=[lock(3, text)]))
    assert isinstance(fact.lockout_threshold, Unknown)


def test_macos_the_profile_lockout_with_an_unlock_time_counts() -> None:
    text = (
        f"({LOCK}) OR (policyAttributeCurrentTime > "
        "(policyAttributeLastFailedAuthenticationTime + autoEnableInSeconds))"
    )
    fact = macos.parse_pwpolicy(policies(policyCategoryAuthentication=[lock(5, text)]))
    assert values(fact)[1] == (5, False)


def test_macos_a_lockout_rule_under_another_category_is_not_ignored() -> None:
    text = policies(policyCategoryPasswordAuthentication=[lock(3)])
    assert isinstance(macos.parse_pwpolicy(text).lockout_threshold, Unknown)


@pytest.mark.parametrize(
    "stdout",
    ["", "Getting global account policies\n", "<plist><dict><key>a</key></plist>", "<?xml x"],
)
def test_macos_output_without_a_property_list_is_an_error(stdout: str) -> None:
    with pytest.raises(CollectorError):
        macos.parse_pwpolicy(stdout)


def test_macos_entity_declarations_are_refused() -> None:
    evil = (
        HEADER + '<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY a "aaaa">]>'
        "<plist><dict><key>&a;</key><string>x</string></dict></plist>"
    )
    with pytest.raises(CollectorError):
        macos.parse_pwpolicy(evil)


PLIST_VALUE = st.recursive(
    st.none().map(lambda _: "") | st.booleans() | st.integers(-5, 50) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=15,
)
POLICY = st.fixed_dictionaries(
    {
        "policyContent": st.one_of(
            st.text(max_size=60),
            st.builds(lambda p: f"policyAttributePassword matches '{p}'", st.text(max_size=30)),
            st.sampled_from([LOCK, LOCK + " OR x"]),
        ),
        "policyIdentifier": st.text(max_size=20),
    },
    optional={"policyParameters": st.dictionaries(st.text(max_size=50), PLIST_VALUE, max_size=3)},
)


@settings(max_examples=150)
@given(
    st.dictionaries(
        st.sampled_from(
            ["policyCategoryPasswordContent", "policyCategoryAuthentication", "other", "x"]
        ),
        st.lists(POLICY, max_size=4) | PLIST_VALUE,
        max_size=3,
    )
)
def test_macos_hostile_policies_never_crash_and_a_length_proof_is_a_real_pattern(
    value: dict[str, Any],
) -> None:
    try:
        text = policies(**value)
    except (TypeError, OverflowError, ValueError):
        return  # not a property list plistlib can write (control characters, huge ints)
    try:
        fact = macos.parse_pwpolicy(text)
    except CollectorError:
        return
    length = fact.min_length
    if isinstance(length, Seen) and length.value.value > 0:
        items = value.get("policyCategoryPasswordContent")
        assert isinstance(items, list)
        patterns = [p["policyContent"] for p in items if isinstance(p, dict)]
        assert any(f".{{{length.value.value}," in p for p in patterns)


@given(st.text(max_size=300))
def test_macos_hostile_text_raises_only_collector_errors(text: str) -> None:
    try:
        macos.parse_pwpolicy(text)
    except CollectorError:
        pass


# --- Linux ----------------------------------------------------------------------------

UNIX_ONLY = "password\t[success=1 default=ignore]\tpam_unix.so obscure yescrypt\n"
PWQ = "password\trequisite\t\t\tpam_pwquality.so retry=3\n" + UNIX_ONLY
AUTH = "auth\t[success=1 default=ignore]\tpam_unix.so nullok\nauth\trequisite\tpam_deny.so\n"
FAILLOCK_AUTH = (
    "auth\trequisite\tpam_faillock.so preauth\n"
    + AUTH
    + "auth\t[default=die]\tpam_faillock.so authfail\n"
)
ABSENT = CommandResult(1, stderr="grep: /etc/security/pwquality.conf.d: No such file or directory")


def files(**text: str | None) -> linux.Files:
    paths = {
        "password": "/etc/pam.d/common-password",
        "auth": "/etc/pam.d/common-auth",
        "pwquality": linux.PWQUALITY,
        "faillock": linux.FAILLOCK,
        "defs": linux.LOGIN_DEFS,
    }
    return linux.Files({paths[k]: v for k, v in text.items()}, {})


def test_pam_lines_read_bracketed_controls_paths_and_dashes() -> None:
    lines = linux.pam_lines(
        "# comment\n@include common-auth\n"
        "password [success=1 default=ignore] /lib/security/pam_unix.so obscure\n"
        "-password optional pam_gnome_keyring.so use_authtok # trailing\n"
    )
    assert [(p.kind, p.control, p.module, p.args) for p in lines] == [
        ("password", "[success=1 default=ignore]", "pam_unix", ("obscure",)),
        ("password", "optional", "pam_gnome_keyring", ("use_authtok",)),
    ]


def test_a_pwquality_conf_that_pam_does_not_load_proves_nothing() -> None:
    strict = "minlen = 30\nminclass = 4\n"
    fact = linux.parse_files(files(password=UNIX_ONLY, auth=AUTH, pwquality=strict), ABSENT)
    assert values(fact) == ((6, False), (0, False), (0, False))
    loaded = linux.parse_files(files(password=PWQ, auth=AUTH, pwquality=strict), ABSENT)
    assert values(loaded)[0] == (30, False) and values(loaded)[2] == (4, False)


@pytest.mark.parametrize(
    ("password", "conf", "length", "classes"),
    [
        (PWQ, None, 8, 0),  # pwquality's defaults
        (PWQ, "minlen = 4\n", 6, 0),  # never below 6
        (PWQ, "minlen = 14\ndcredit = 1\nucredit = 2\n", 11, 0),  # credits shorten it
        (PWQ, "minlen = 14\ndcredit = -1\nucredit = -1\nlcredit = -1\n", 14, 3),
        (PWQ, "minlen = 14\nminlen = 10\n", 10, 0),  # the weakest of two values
        (PWQ, "minlen = 14\nenforcing = 0\n", 6, 0),  # only warns: pam_unix decides
        (PWQ.replace("retry=3", "retry=3 minlen=16 minclass=2"), "minlen = 9\n", 16, 2),
        (PWQ.replace("requisite", "optional", 1), "minlen = 14\n", 6, 0),
        (UNIX_ONLY + "password requisite pam_pwquality.so\n", "minlen = 14\n", 6, 0),  # jumped
        (UNIX_ONLY.replace("yescrypt", "yescrypt minlen=12"), None, 12, 0),
    ],
)
def test_linux_length_and_classes(
    password: str, conf: str | None, length: int, classes: int
) -> None:
    fact = linux.parse_files(files(password=password, auth=AUTH, pwquality=conf), ABSENT)
    assert values(fact)[0] == (length, False)
    assert values(fact)[2] == (classes, False)


def test_drop_ins_are_read_and_the_weakest_wins() -> None:
    dropin = CommandResult(
        0,
        stdout="/etc/security/pwquality.conf.d/a.conf:minlen = 9\n"
        "/etc/security/pwquality.conf.d/b.conf:# minlen = 2\n",
    )
    fact = linux.parse_files(files(password=PWQ, auth=AUTH, pwquality="minlen = 14\n"), dropin)
    assert values(fact)[0] == (9, False)
    denied = CommandResult(2, stderr="grep: /etc/security/pwquality.conf.d: Permission denied")
    blocked = linux.parse_files(files(password=PWQ, auth=AUTH), denied)
    assert isinstance(blocked.min_length, Unknown)


@pytest.mark.parametrize(
    ("auth", "conf", "deny"),
    [
        (AUTH, "deny = 3\n", 0),  # faillock.conf without pam_faillock
        (FAILLOCK_AUTH, None, 3),  # the default
        (FAILLOCK_AUTH, "# deny = 3\ndeny = 5\n", 5),
        (FAILLOCK_AUTH.replace("authfail", "authfail deny=7"), "deny = 5\n", 7),
        (FAILLOCK_AUTH, "deny = 0\n", 0),
        (FAILLOCK_AUTH.replace(" authfail", ""), "deny = 3\n", 0),  # nothing counts failures
    ],
)
def test_linux_lockout(auth: str, conf: str | None, deny: int) -> None:
    fact = linux.parse_files(files(password=PWQ, auth=auth, faillock=conf), ABSENT)
    assert values(fact)[1] == (deny, False)


def test_a_rule_pam_may_skip_for_a_missing_module_proves_nothing() -> None:
    """`-password` / `-auth` (pam.conf(5)): "if the module is missing from the system,
    the line is silently ignored"; such a rule is as good as the module file, which is not
    read, so what it would enforce is unknown."""
    optional = PWQ.replace(
        "password\trequisite\t\t\tpam_pwquality", "-password requisite pam_pwquality"
    )
    assert optional.startswith("-password")
    fact = linux.parse_files(files(password=optional, auth=AUTH, pwquality="minlen = 14\n"), ABSENT)
    assert isinstance(fact.min_length, Unknown) and isinstance(fact.char_classes, Unknown)
    assert fact.min_length.reason.key == "password_policy.reason.pam_optional_module"
    dashed = FAILLOCK_AUTH.replace("auth\trequisite\tpam_faillock", "-auth requisite pam_faillock")
    assert dashed.startswith("-auth")
    lock = linux.parse_files(files(password=PWQ, auth=dashed, faillock="deny = 3\n"), ABSENT)
    assert isinstance(lock.lockout_threshold, Unknown)
    assert lock.lockout_threshold.reason.key == "password_policy.reason.pam_optional_module"
    # A dash on another module changes nothing.
    keyring = PWQ + "-password optional pam_gnome_keyring.so use_authtok\n"
    kept = linux.parse_files(files(password=keyring, auth=AUTH, pwquality="minlen = 14\n"), ABSENT)
    assert values(kept)[0] == (14, False)


def test_drop_ins_are_read_through_symbolic_links() -> None:
    """libpwquality opens every *.conf that scandir lists in pwquality.conf.d, a symbolic
    link too; `grep -r` skips links it meets inside the folder, `grep -R` follows them."""
    assert linux.PWQUALITY_DROPINS.argv[:2] == ("grep", "-R")


def test_modules_the_check_does_not_read_make_a_shortfall_unknown() -> None:
    cracklib = "password requisite pam_cracklib.so minlen=20\n" + UNIX_ONLY
    tally = "auth required pam_tally2.so deny=3\n" + AUTH
    fact = linux.parse_files(files(password=cracklib, auth=tally), ABSENT)
    assert values(fact)[0] == (6, True)
    assert isinstance(fact.lockout_threshold, Unknown)
    assert judge(fact)["min_length"][0] is Status.UNKNOWN


def test_no_pam_stack_or_an_unreadable_file_is_unknown() -> None:
    fact = linux.parse_files(files(), ABSENT)
    assert isinstance(fact.min_length, Unknown) and isinstance(fact.lockout_threshold, Unknown)
    unreadable = linux.Files(
        {"/etc/pam.d/common-password": PWQ, "/etc/pam.d/common-auth": FAILLOCK_AUTH},
        {linux.PWQUALITY: "Permission denied"},
    )
    fact = linux.parse_files(unreadable, ABSENT)
    assert isinstance(fact.min_length, Unknown)
    assert isinstance(fact.lockout_threshold, Seen)


CONF_LINE = st.one_of(
    st.text(max_size=40),
    st.builds(
        lambda k, v: f"{k} = {v}",
        st.sampled_from(["minlen", "minclass", "dcredit", "ocredit", "enforcing", "deny"]),
        st.text(max_size=8),
    ),
)


@settings(max_examples=200)
@given(st.lists(CONF_LINE, max_size=8), st.lists(CONF_LINE, max_size=8))
def test_configuration_files_pam_does_not_load_never_raise_the_length(
    pwquality: list[str], faillock: list[str]
) -> None:
    """Whatever pwquality.conf and faillock.conf say, PAM without pam_pwquality and
    pam_faillock enforces pam_unix's length, no classes and no lockout."""
    fact = linux.parse_files(
        files(
            password=UNIX_ONLY,
            auth=AUTH,
            pwquality="\n".join(pwquality),
            faillock="\n".join(faillock),
        ),
        ABSENT,
    )
    assert values(fact) == ((6, False), (0, False), (0, False))


@settings(max_examples=200)
@given(st.text(max_size=400), st.lists(CONF_LINE, max_size=8), st.text(max_size=300))
def test_hostile_pam_and_conf_text_never_crashes_nor_passes_without_a_module(
    pam: str, conf: list[str], auth: str
) -> None:
    fact = linux.parse_files(
        files(password=pam, auth=auth, pwquality="\n".join(conf), faillock="\n".join(conf)),
        ABSENT,
    )
    length = fact.min_length
    if isinstance(length, Seen) and length.value.value >= 7:
        assert "pam_pwquality" in pam or "pam_unix" in pam
    lock = fact.lockout_threshold
    if isinstance(lock, Seen) and lock.value.value > 0:
        assert "pam_faillock" in auth


# --- the real Linux host --------------------------------------------------------------


@pytest.mark.skipif(
    sys.platform != "linux" and os.environ.get("CI") != "true",
    reason="reads this machine's PAM files (CI runs on Linux and never skips it)",
)
def test_this_linux_machine_is_judged_from_its_own_files(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    """The collector runs for real here; its verdict agrees with the files themselves."""
    baseline = tmp_path / "b.yaml"
    baseline.write_text(
        "id: t\ntitle: {ja: テスト, en: Test}\nversion: '1'\nchecks:\n  password_policy: {}\n",
        encoding="utf-8",
    )
    result = cli("scan", "-b", str(baseline), "-f", "json", "--lang", "en")
    (host,) = json.loads(result.stdout)["hosts"]
    found = {f["resource"]: f for f in host["findings"] if f["check_id"] == "password_policy"}
    assert set(found) == {"min_length", "lockout_threshold", "char_classes"}
    stacks = [Path(p) for p in linux.PASSWORD_STACKS if Path(p).exists()]
    auth = [Path(p) for p in linux.AUTH_STACKS if Path(p).exists()]
    assert stacks and auth, "this machine has PAM stacks to read"
    loaded = any(
        line.module == "pam_pwquality"
        for p in stacks
        for line in linux.pam_lines(p.read_text(encoding="utf-8"))
    )
    locks = all(
        any(line.module == "pam_faillock" for line in linux.pam_lines(p.read_text("utf-8")))
        for p in auth
    )
    if not loaded:
        assert found["min_length"]["status"] == "fail", found["min_length"]
        assert found["char_classes"]["status"] == "fail"
    if not locks:
        assert found["lockout_threshold"]["status"] == "fail"
        assert found["lockout_threshold"]["message_key"] == "password_policy.msg.lockout_never"
    assert all(f["status"] in ("pass", "fail") for f in found.values()), found


# --- what pam_faillock and libpwquality read, not only `key = value` --------------------


def test_a_deny_of_zero_on_any_faillock_line_never_locks() -> None:
    """pam_faillock with deny=0 never refuses (preauth checks the tally against its own
    deny); a higher deny on the authfail line does not make the account lock."""
    auth = FAILLOCK_AUTH.replace("preauth", "preauth deny=0").replace("authfail", "authfail deny=3")
    fact = linux.parse_files(files(password=PWQ, auth=auth), ABSENT)
    assert values(fact)[1] == (0, False)
    assert judge(fact)["lockout_threshold"][0] is Status.FAIL


def test_a_faillock_line_without_deny_uses_the_configuration_file() -> None:
    """preauth without deny= reads faillock.conf (deny = 10); the authfail line's deny=3
    does not make preauth refuse after 3 failures."""
    auth = FAILLOCK_AUTH.replace("authfail", "authfail deny=3")
    fact = linux.parse_files(files(password=PWQ, auth=auth, faillock="deny = 10\n"), ABSENT)
    assert values(fact)[1] == (10, False)
    assert judge(fact)["lockout_threshold"][0] is Status.FAIL


@pytest.mark.parametrize(
    "conf",
    [
        "deny 0\n",  # faillock.conf(5) parsing: the `=` is optional
        "deny=0\n",
        "deny = 3\ndeny 0\n",
        "deny = 3\ndeny = 0\n",  # the last value is in force
    ],
)
def test_faillock_conf_forms_pam_faillock_reads_are_read(conf: str) -> None:
    fact = linux.parse_files(files(password=PWQ, auth=FAILLOCK_AUTH, faillock=conf), ABSENT)
    assert values(fact)[1] == (0, False)
    assert judge(fact)["lockout_threshold"][0] is Status.FAIL


@pytest.mark.parametrize(
    ("conf", "length"),
    [
        ("minlen = 14\nminlen 8\n", 8),  # libpwquality: name, blanks, optional `=`, value
        ("minlen = 14\nMINLEN = 8\n", 8),  # names compared without case
        ("minlen = 14\nDCredit = 3\n", 11),
        ("minlen=14\nminlen=9\n", 9),
    ],
)
def test_pwquality_conf_forms_libpwquality_reads_are_read(conf: str, length: int) -> None:
    fact = linux.parse_files(files(password=PWQ, auth=AUTH, pwquality=conf), ABSENT)
    assert values(fact)[0] == (length, False)
    assert judge(fact)["min_length"][0] is Status.FAIL


def test_pam_pwquality_arguments_are_read_without_case() -> None:
    password = PWQ.replace("retry=3", "retry=3 MINLEN=8")
    fact = linux.parse_files(files(password=password, auth=AUTH, pwquality="minlen = 14\n"), ABSENT)
    assert values(fact)[0] == (8, False)


KEY = st.sampled_from(["minlen", "MinLen", "dcredit", "DCREDIT", "deny"])
SEP = st.sampled_from(["=", " = ", " ", "\t", "  =", "= "])


@settings(max_examples=200)
@given(st.lists(st.tuples(KEY, SEP, st.integers(-5, 40)), max_size=6), st.integers(8, 30))
def test_no_written_form_of_a_weaker_pwquality_value_is_missed(
    extra: list[tuple[str, str, int]], base: int
) -> None:
    """Whatever form a later line takes, the length judged is never above what the
    weakest line allows (a shorter minlen, or credits that shorten it)."""
    lines = [f"minlen = {base}"] + [f"{k}{sep}{v}" for k, sep, v in extra]
    fact = linux.parse_files(files(password=PWQ, auth=AUTH, pwquality="\n".join(lines)), ABSENT)
    lengths = [v for k, _, v in extra if k.lower() == "minlen"] + [base]
    credit = max([v for k, _, v in extra if k.lower() == "dcredit"] + [0])
    bound = max(max(min(lengths), linux.PWQUALITY_FLOOR) - max(credit, 0), 1)
    assert isinstance(fact.min_length, Seen)
    assert fact.min_length.value.value <= bound


def test_enforcing_switched_off_in_any_case_leaves_pam_unix_deciding() -> None:
    password = PWQ.replace("retry=3", "retry=3 ENFORCING=0")
    fact = linux.parse_files(files(password=password, auth=AUTH, pwquality="minlen = 14\n"), ABSENT)
    assert values(fact)[0] == (6, False)
    fact = linux.parse_files(
        files(password=PWQ, auth=AUTH, pwquality="minlen = 14\nEnforcing 0\n"), ABSENT
    )
    assert values(fact)[0] == (6, False)


def test_a_faillock_line_reading_another_configuration_file_is_unknown() -> None:
    auth = FAILLOCK_AUTH.replace("preauth", "preauth conf=/etc/security/other.conf")
    fact = linux.parse_files(files(password=PWQ, auth=auth, faillock="deny = 3\n"), ABSENT)
    assert isinstance(fact.lockout_threshold, Unknown)
    assert fact.lockout_threshold.reason.key == "password_policy.reason.faillock_other_conf"
    assert judge(fact)["lockout_threshold"][0] is Status.UNKNOWN
    # With deny= on every line the other file's deny is not used.
    both = auth.replace("preauth", "preauth deny=3").replace("authfail", "authfail deny=3")
    fact = linux.parse_files(files(password=PWQ, auth=both), ABSENT)
    assert values(fact)[1] == (3, False)


UNLOCK_AFTER = (
    f"({LOCK}) OR (policyAttributeCurrentTime > "
    "(policyAttributeLastFailedAuthenticationTime + autoEnableInSeconds))"
)


@pytest.mark.parametrize("seconds", [0, -60, "900", True, 1.5])
def test_macos_a_lockout_that_unlocks_at_once_or_after_no_time_read_is_unknown(
    seconds: object,
) -> None:
    """autoEnableInSeconds 0: the OR branch lets sign-ins through right after every
    failure, so the threshold locks nobody out; a value that is no whole number of
    seconds cannot be read. Neither passes."""
    policy = lock(5, UNLOCK_AFTER)
    policy["policyParameters"]["autoEnableInSeconds"] = seconds
    fact = macos.parse_pwpolicy(policies(policyCategoryAuthentication=[policy]))
    assert isinstance(fact.lockout_threshold, Unknown)
    assert judge(fact, OsFamily.MACOS)["lockout_threshold"][0] is Status.UNKNOWN


def test_macos_a_lockout_with_an_unlock_time_counts() -> None:
    policy = lock(5, UNLOCK_AFTER)
    policy["policyParameters"]["autoEnableInSeconds"] = 900
    fact = macos.parse_pwpolicy(policies(policyCategoryAuthentication=[policy]))
    assert values(fact)[1] == (5, False)
