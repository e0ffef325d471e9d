"""Parameters that would make a check pass on any PC are refused when the baseline loads:
an allow-list matching everyone, allowed ports covering every port, a signature age that
never runs out, a rule regex found in any text. Each is one `file:line` error, exit 2."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from endpoint_audit.checks.antivirus.check import (
    MAX_SIGNATURE_AGE_DAYS,
    MAX_XPROTECT_AGE_DAYS,
    AntivirusParams,
)
from endpoint_audit.checks.local_admins.check import (
    DOMAIN_ADMINS,
    EVERY_KIND,
    LocalAdminsParams,
    allows_every_user,
    matches_everyone,
)
from endpoint_audit.checks.open_ports.check import (
    DEFAULT_FORBIDDEN,
    OpenPortsParams,
    covers_every_port,
)
from endpoint_audit.checks.password_policy.check import MAX_FAILED_ATTEMPTS, PasswordPolicyParams
from endpoint_audit.checks.patch_level.check import MAX_UPDATE_DAYS, PatchLevelParams
from endpoint_audit.checks.screen_lock.check import ScreenLockParams
from endpoint_audit.model.rule import Compare, matches_every_text
from tests.baselines.helpers import run


def refused(model: type[object], **params: object) -> str:
    with pytest.raises(ValidationError) as caught:
        model(**params)
    (error,) = caught.value.errors()
    return str(error["msg"]).removeprefix("Value error, ")


# --- local_admins ------------------------------------------------------------------------

EVERYONE = {
    "*": "every account and group",
    "**": "every account and group",
    "?*": "every account and group",
    "*?": "every account and group",
    "%*": "every group",
    "*\\*": "every account of every domain",
    "?*\\*": "every account of every domain",
    "S-1-*": "every SID that starts S-1-",
    "s-1-5-*": "every SID that starts s-1-5-",
    "S-1-5-21-*": "every SID that starts S-1-5-21-",
    "S-1-5-21-*-*": "every SID that starts S-1-5-21-",
    "S-1-5-21*": "every SID that starts S-1-5-21",
    "S-1-5-32-*": "every SID that starts S-1-5-32-",
    "S-1-12-1-*": "every SID that starts S-1-12-1-",
    "S*": "every SID",
    "*-*": "every SID",
    "*1*": "every SID",
    "[sS]-1-*": "every SID",
}


@pytest.mark.parametrize("pattern", sorted(EVERYONE))
def test_a_pattern_matching_everyone_of_a_kind_is_refused(pattern: str) -> None:
    message = refused(LocalAdminsParams, allowed=[DOMAIN_ADMINS, pattern])
    assert message.startswith(f"{pattern!r} matches {EVERYONE[pattern]}"), message
    assert "could never fail" in message and "CORP\\IT-Admins" in message


@pytest.mark.parametrize(
    "pattern",
    [
        DOMAIN_ADMINS,  # the default: the RID is fixed
        "S-1-5-21-*-519",
        "S-1-5-32-544",
        "S-1-12-1-3145490437-1261976021-3131153818-889479219",
        "S-1-12-1-3145490437-*",  # every account of one tenant's range: named, not all
        "S-1-5-21-1004336348-1177238915-682003330-*",  # one domain's accounts
        "CORP\\IT-Admins",
        "corp\\it-*",
        "*\\ITAdmin",
        "*-500",
        "%admin",
        "%wheel",
        "toor",
        "???",  # names of three characters only
        "総務課\\*",
    ],
)
def test_a_pattern_naming_someone_is_accepted(pattern: str) -> None:
    assert matches_everyone(pattern) is None
    assert LocalAdminsParams(allowed=[pattern]).allowed == [pattern]


# Groups every user of a PC is in: allowed as administrators, every user is one and the
# check passes on the very PC it exists to fail (name or SID, any case, any domain part).
EVERY_USER = {
    "S-1-1-0": "Everyone",
    "s-1-5-11": "NT AUTHORITY\\Authenticated Users",
    "S-1-5-4": "NT AUTHORITY\\INTERACTIVE",
    "S-1-5-32-545": "BUILTIN\\Users",
    "S-1-5-21-*-513": "Domain Users",
    "*-513": "Domain Users",
    "everyone": "Everyone",
    "*\\Authenticated Users": "NT AUTHORITY\\Authenticated Users",
    "NT AUTHORITY\\*": "NT AUTHORITY\\Authenticated Users",
    "builtin\\users": "BUILTIN\\Users",
    "*\\Domain Users": "Domain Users",
}


@pytest.mark.parametrize("pattern", sorted(EVERY_USER))
def test_a_pattern_allowing_a_group_of_every_user_is_refused(pattern: str) -> None:
    message = refused(LocalAdminsParams, allowed=[DOMAIN_ADMINS, pattern])
    assert message.startswith(f"{pattern!r} allows {EVERY_USER[pattern]}"), message
    assert "every user of the PC" in message and "CORP\\IT-Admins" in message


def test_the_default_and_an_empty_list_load() -> None:
    assert LocalAdminsParams().allowed == [DOMAIN_ADMINS]
    assert LocalAdminsParams(allowed=[]).allowed == []  # nobody allowed: stricter


# Names at least as long as the `?`s of a pattern below (each `?` asks for a character).
NAME = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_. -]{3,19}", fullmatch=True)
NUMBER = st.integers(min_value=0, max_value=2**32 - 1).map(str)
# What each kind of member is matched by: a Windows name, a group on Linux or macOS, a SID.
MEMBERS = {
    "plain": NAME,
    "group": NAME.map(lambda n: f"%{n}"),
    "windows": st.tuples(NAME, NAME).map(lambda t: f"{t[0]}\\{t[1]}"),
    "sid": st.lists(NUMBER, min_size=1, max_size=7).map(lambda ns: "S-1-" + "-".join(ns)),
}
WILD = st.text(alphabet="*?", min_size=0, max_size=3).map(lambda w: f"{w}*")


@settings(max_examples=200)
@given(
    st.one_of(
        WILD.map(lambda w: ("plain", w)),
        WILD.map(lambda w: ("group", f"%{w}")),
        st.tuples(WILD, WILD).map(lambda t: ("windows", f"{t[0]}\\{t[1]}")),
    ),
    st.data(),
)
def test_wildcards_only_are_refused_and_match_every_member_of_their_kind(
    case: tuple[str, str], data: st.DataObject
) -> None:
    kind, pattern = case
    assert matches_everyone(pattern) is not None
    # The refusal is no guess: the pattern matches every member of that kind.
    for member in data.draw(st.lists(MEMBERS[kind], min_size=1, max_size=10)):
        assert fnmatchcase(member.casefold(), pattern.casefold()), (pattern, member)


@settings(max_examples=200)
@given(
    st.sampled_from(["S-1-", "S-1-5-", "S-1-5-21-", "S-1-5-32-", "S-1-12-1-"]),
    st.text(alphabet="*?", max_size=3).map(lambda w: f"{w}*"),
    st.booleans(),
    st.lists(NUMBER, min_size=4, max_size=4),
)
def test_a_sid_prefix_then_wildcards_is_refused_and_matches_every_sid_under_it(
    prefix: str, tail: str, again: bool, numbers: list[str]
) -> None:
    pattern = prefix + tail + ("-*" if again else "")
    assert matches_everyone(pattern) is not None
    # A SID of that kind: four numbers after the prefix, as an account's SID has.
    sid = prefix + "-".join(numbers)
    assert fnmatchcase(sid.casefold(), pattern.casefold()), (pattern, sid)


LITERAL = st.sampled_from("abcdefghijklmnopqrtuvwxyz")  # any letter but s: no SID holds it


@settings(max_examples=300)
@given(
    st.lists(st.one_of(LITERAL, st.sampled_from(["*", "?", "\\", "%", "-"])), max_size=12),
    LITERAL,
    st.integers(min_value=0, max_value=12),
    st.data(),
)
def test_a_pattern_with_a_letter_of_its_own_is_accepted_and_misses_someone(
    parts: list[str], letter: str, where: int, data: st.DataObject
) -> None:
    parts.insert(min(where, len(parts)), letter)
    pattern = "".join(parts)
    assert matches_everyone(pattern) is None, pattern
    # ('b*' lets in BUILTIN\\Users, 'e*' Everyone: refused for that, tested above.)
    if allows_every_user(pattern) is None:
        assert LocalAdminsParams(allowed=[pattern]).allowed == [pattern]
    # It misses the SIDs (they hold no such letter), so some members stay judged.
    for sid in EVERY_KIND:
        assert not fnmatchcase(sid.casefold(), pattern.casefold())
    assert not fnmatchcase(data.draw(MEMBERS["sid"]).casefold(), pattern.casefold())


@settings(max_examples=300)
@given(st.text(alphabet="Ss-1205*?[]!\\%", max_size=10))
def test_every_pattern_matching_every_kind_of_sid_is_refused(pattern: str) -> None:
    # The rule is decided on the text; whatever the text, a pattern that lets in Everyone,
    # Users, a local and an Entra ID account alike never loads.
    matches_all = all(fnmatchcase(sid.casefold(), pattern.casefold()) for sid in EVERY_KIND)
    if matches_all:
        assert matches_everyone(pattern) is not None, pattern


# --- open_ports --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("allowed", "protocol"),
    [
        (["1-65535"], "tcp"),
        (["1-65535/udp"], "udp"),
        (["1-1000", "1001-65535/tcp"], "tcp"),
        (["1-30000", "20000-65535"], "tcp"),  # overlapping ranges
        (["1-65535/tcp", "53"], "tcp"),
    ],
)
def test_allowed_ports_covering_every_port_are_refused(allowed: list[str], protocol: str) -> None:
    message = refused(OpenPortsParams, allowed_ports=allowed, only_allowed=True)
    assert message.startswith(f"covers every {protocol} port (1-65535)"), message


def test_every_forbidden_port_allowed_judges_nothing() -> None:
    # The defaults all lie below 65535: allowing 1-65534 excuses every one of them.
    refused(OpenPortsParams, allowed_ports=["1-65534"])
    message = refused(
        OpenPortsParams, forbidden_ports=["445", "3389"], allowed_ports=["3389", "445"]
    )
    assert message.startswith("could never fail: every port of forbidden_ports is also in")
    refused(OpenPortsParams, forbidden_ports=["5900-5903"], allowed_ports=["5000-6000"])


@pytest.mark.parametrize(
    "allowed",
    [
        ["2-65535"],
        ["1-65534"],
        ["1-1000", "1001-65534"],
        list(DEFAULT_FORBIDDEN),  # exactly the ports forbidden by default, nothing else
    ],
)
def test_only_allowed_with_every_default_forbidden_port_allowed_is_refused(
    allowed: list[str],
) -> None:
    # Under only_allowed an allow-list holding FTP, telnet, rsh, SMB, RDP, VNC and X11
    # all at once lets almost any listener through: no PC needs them all.
    message = refused(OpenPortsParams, allowed_ports=allowed, only_allowed=True)
    assert message.startswith("could hardly fail: under only_allowed"), message
    # forbidden_ports added on top are allowed too: still refused.
    refused(OpenPortsParams, allowed_ports=[*allowed, "8080"], only_allowed=True,
            forbidden_ports=["8080"])  # fmt: skip


@pytest.mark.parametrize(
    "params",
    [
        {"allowed_ports": ["135"]},  # the shipped baselines
        # only_allowed, and telnet, SMB or RDP left out of the allowed ports: judged.
        {"allowed_ports": ["22/tcp", "443", "5353/udp"], "only_allowed": True},
        {"allowed_ports": ["1024-65535"], "only_allowed": True},
        {"allowed_ports": ["2-65535"], "only_allowed": True, "forbidden_processes": ["nc"]},
        {"forbidden_ports": ["445"], "allowed_ports": ["445/tcp"]},  # 445/udp still forbidden
        {"forbidden_ports": ["445"], "allowed_ports": ["445"], "only_allowed": True},
        {"forbidden_ports": ["445"], "allowed_ports": ["445"], "forbidden_processes": ["nc"]},
        {"forbidden_ports": [], "forbidden_processes": ["nc"]},  # processes only
    ],
)
def test_ports_that_still_judge_something_load(params: dict[str, object]) -> None:
    OpenPortsParams.model_validate(params)


@given(
    st.lists(
        st.tuples(
            st.integers(1, 65535), st.integers(0, 70000), st.sampled_from(["", "/tcp", "/udp"])
        ),
        max_size=6,
    )
)
def test_coverage_is_the_union_of_the_ranges(ranges: list[tuple[int, int, str]]) -> None:
    specs = [f"{low}-{min(65535, low + span)}{proto}" for low, span, proto in ranges]
    for protocol in ("tcp", "udp"):
        ports: set[int] = set()
        for low, span, proto in ranges:
            if proto in ("", f"/{protocol}"):
                ports |= set(range(low, min(65535, low + span) + 1))
        assert covers_every_port(specs, protocol) == (len(ports) == 65535)


# --- antivirus ---------------------------------------------------------------------------


def test_a_signature_age_that_never_runs_out_is_refused() -> None:
    assert AntivirusParams(max_signature_age_days=MAX_SIGNATURE_AGE_DAYS)
    message = refused(AntivirusParams, max_signature_age_days=MAX_SIGNATURE_AGE_DAYS + 1)
    assert message.startswith("31 days would pass signatures long out of date")
    assert "write at most 30" in message
    assert AntivirusParams(xprotect_max_age_days=MAX_XPROTECT_AGE_DAYS)
    assert "write at most 90" in refused(AntivirusParams, xprotect_max_age_days=10**6)


@pytest.mark.parametrize("name", ["*", "Trend*", "ES?T", "av", " e "])
def test_a_product_name_that_would_accept_most_products_is_refused(name: str) -> None:
    message = refused(AntivirusParams, accepted_products=["ESET", name])
    assert "not patterns" in message or "at least 3 characters" in message


def test_named_products_load() -> None:
    names = ["ESET", "Trend Micro", "ノートン", "AVG"]
    assert AntivirusParams(accepted_products=names).accepted_products == names


# --- password_policy and patch_level -------------------------------------------------


def test_a_lockout_threshold_that_hardly_slows_guessing_is_refused() -> None:
    assert PasswordPolicyParams(max_failed_attempts=MAX_FAILED_ATTEMPTS)
    message = refused(PasswordPolicyParams, max_failed_attempts=MAX_FAILED_ATTEMPTS + 1)
    assert message.startswith("a lockout after 101 failed sign-ins hardly slows guessing")
    assert "write at most 100" in message


@pytest.mark.parametrize("name", ["max_days_since_update", "monthly_update_grace_days"])
def test_an_update_age_that_never_runs_out_is_refused(name: str) -> None:
    assert getattr(PatchLevelParams(**{name: MAX_UPDATE_DAYS}), name) == MAX_UPDATE_DAYS
    message = refused(PatchLevelParams, **{name: 10**6})
    assert message.startswith("1000000 days would pass a ") and "write at most 90" in message


# --- limits already refused by their ranges ------------------------------------------


@pytest.mark.parametrize(
    ("model", "params"),
    [
        (PasswordPolicyParams, {"min_length": 0}),
        (PasswordPolicyParams, {"max_failed_attempts": 0}),  # 0 never locks
        (ScreenLockParams, {"max_idle_seconds": 0}),
        (ScreenLockParams, {"max_lock_delay_seconds": -1}),
    ],
)
def test_zero_limits_meaning_anything_goes_are_refused(
    model: type[object], params: dict[str, object]
) -> None:
    assert "greater than or equal" in refused(model, **params)


# --- rule regex ------------------------------------------------------------------------

ANY_TEXT = ["", ".*", ".*?", "^.*$", "a*", "x?", "(x|)", "|", "^", "$", "\\A", "\\Z", "(?i).*",
            "[0-9]*", "\\S*", "(?s).*", "(?x) .* # anything"]  # fmt: skip
SOME_TEXT = ["^$", ".", "\\b", "1", "^1$", "^(?i:false|0|no)$", "(?i)enabled", "^\\s*$",
             "^[^#]*$", "^.?$", "^(?!Disabled$)", "(?=a)", "[", "\\d+"]  # fmt: skip


@pytest.mark.parametrize("pattern", ANY_TEXT)
def test_a_regex_found_in_any_text_is_refused(pattern: str) -> None:
    assert matches_every_text(pattern)
    message = refused(Compare, regex=pattern)
    assert message.startswith(f"regex {pattern!r} finds a match in any text"), message
    assert "present: true" in message


@pytest.mark.parametrize("pattern", ["a{4294967296}", "x{2,99999999999999999999}"])
def test_a_regex_with_a_repeat_count_beyond_re_is_a_clear_error(pattern: str) -> None:
    # re raises OverflowError, not re.error, for such counts: a traceback (exit 70) for
    # what is a typo in the baseline, worth its file:line like any regex that won't compile.
    assert not matches_every_text(pattern)
    assert refused(Compare, regex=pattern).startswith(f"regex {pattern!r} does not compile")


@pytest.mark.parametrize("pattern", SOME_TEXT)
def test_a_regex_that_asks_for_something_is_left_alone(pattern: str) -> None:
    assert not matches_every_text(pattern)


@settings(max_examples=300)
@given(st.text(alphabet="ab.*?+|^$()\\0-", max_size=10), st.lists(st.text(max_size=8), max_size=8))
def test_a_refused_regex_finds_a_match_in_any_text(pattern: str, texts: list[str]) -> None:
    if not matches_every_text(pattern):
        return
    compiled = re.compile(pattern, re.MULTILINE)
    for text in texts:
        assert compiled.search(text) is not None, (pattern, text)


# --- the command line -----------------------------------------------------------------


def test_scan_with_an_allow_everyone_baseline_stops_with_the_line(tmp_path: Path) -> None:
    baseline = tmp_path / "city.yaml"
    baseline.write_text(
        "id: city\ntitle: {ja: 市, en: City}\nversion: '1'\nchecks:\n  local_admins:\n"
        "    params:\n      allowed: ['*']\n",
        encoding="utf-8",
    )
    for args in (("baseline", "validate", baseline), ("scan", "-b", baseline)):
        ran = run(*args)
        assert ran.code == 2, (args, ran.stdout, ran.stderr)
        assert "Traceback" not in ran.stdout + ran.stderr
        (line,) = ran.stderr.strip().splitlines()
        assert line.endswith(
            "city.yaml:7: checks.local_admins.params.allowed.0: '*' matches every account "
            "and group, so the check could never fail; name the accounts and groups allowed, "
            "e.g. 'CORP\\IT-Admins' or its SID 'S-1-5-21-...-1105', or turn the check off with "
            "enabled: false"
        ), line
