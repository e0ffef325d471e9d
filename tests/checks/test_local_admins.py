"""local_admins: who holds administrator rights, judged against the allowed list. An empty
or unreadable list, an unreadable sudoers and an enabled state that was not read are
unknown; nested groups and unresolved SIDs are judged as themselves, never skipped."""

from __future__ import annotations

import asyncio
import grp
import os
import pwd
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from endpoint_audit.checkkit.check import EvalContext, FactView
from endpoint_audit.checks.local_admins import sudoers
from endpoint_audit.checks.local_admins.check import LocalAdmins, LocalAdminsParams
from endpoint_audit.checks.local_admins.facts import AdminMember, LocalAdminsFacts
from endpoint_audit.checks.local_admins.linux import (
    ADMIN_GROUPS,
    GROUP,
    PASSWD,
    ROOT_EQUIVALENT_GROUPS,
    SUDOERS_FILES,
    LinuxLocalAdmins,
    accounts,
    group_members,
    groups,
    read_frames,
)
from endpoint_audit.checks.local_admins.macos import members_of as mac_members
from endpoint_audit.checks.local_admins.windows import member_of, members_of
from endpoint_audit.engine.host_commands import gather_facts
from endpoint_audit.errors import CollectorError
from endpoint_audit.model.commands import EXIT_DENIED, SUDO_REFUSED, CommandResult
from endpoint_audit.model.observed import Observed, seen, unknown
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.model.result import Status
from endpoint_audit.transport.local import LocalTransport
from tests.conftest import require_tool
from tests.observed_view import reason_key, reason_text, seen_value

LINUX = PlatformInfo(family=OsFamily.LINUX, distro="debian", version="12")
PASSWD_TEXT = (
    "root:x:0:0:root:/root:/bin/bash\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "alice:x:1000:1000:Alice:/home/alice:/bin/bash\n"
    "bob:x:1001:27:Bob:/home/bob:/bin/bash\n"
)
GROUP_TEXT = "root:x:0:\nsudo:x:27:alice\nalice:x:1000:\nit-admins:x:2000:carol\n"
# No member in the administrator groups (bob's primary group is not 27 here).
QUIET_PASSWD = PASSWD_TEXT.replace(":1001:27:", ":1001:1001:")
QUIET_GROUP = "root:x:0:\nsudo:x:27:\nit-admins:x:2000:carol\n"
PC = "S-1-5-21-9526073513-1762370368-3942940353"
DOMAIN_ADMINS = "S-1-5-21-2202743274-2568467625-1232712444-512"


def judge(
    fact: LocalAdminsFacts, family: OsFamily = OsFamily.LINUX, **params: object
) -> list[tuple[Status, str, str | None]]:
    ctx = EvalContext(platform=PlatformInfo(family=family), now=datetime(2026, 12, 2, tzinfo=UTC))
    outcomes = LocalAdmins().evaluate(
        FactView({LocalAdminsFacts: fact}), LocalAdminsParams.model_validate(params), ctx
    )
    return [(o.status, o.key, o.resource) for o in outcomes]


def frame(
    files: dict[str, str], dirs: tuple[str, ...] = (), unreadable: tuple[str, ...] = ()
) -> str:
    out = [f"D {d}\n" for d in dirs] + [f"U {u}\n" for u in unreadable]
    for path, text in files.items():
        out.append(f"F {len(text.encode())} {path}\n{text}")
    return "".join(out)


def linux_fact(
    sudoers_files: dict[str, str] | CommandResult,
    passwd: str = PASSWD_TEXT,
    group: str = GROUP_TEXT,
    unreadable: tuple[str, ...] = (),
) -> LocalAdminsFacts:
    find = (
        sudoers_files
        if isinstance(sudoers_files, CommandResult)
        else CommandResult(0, stdout=frame(sudoers_files, ("/etc/sudoers.d",), unreadable))
    )
    results = {
        PASSWD.key: CommandResult(0, stdout=passwd),
        GROUP.key: CommandResult(0, stdout=group),
        SUDOERS_FILES.key: find,
    }
    return LinuxLocalAdmins().parse(results, LINUX)


def grantees(text: str) -> tuple[list[str], list[str]]:
    parsed = sudoers.Parsed()
    sudoers.read_file(parsed, "/etc/sudoers", text)
    sudoers.grantees(parsed)
    return [g.item for g in parsed.grantees], parsed.problems


# --- sudoers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "granted"),
    [
        ("root\tALL=(ALL:ALL) ALL", ["root"]),
        ("%sudo   ALL=(ALL:ALL) ALL", ["%sudo"]),
        ("%wheel ALL=(ALL) NOPASSWD: ALL", ["%wheel"]),
        ("alice ALL=(ALL) NOPASSWD:SETENV: ALL", ["alice"]),
        ("ALL ALL=(ALL) ALL", ["ALL"]),
        ("alice, bob  ALL = ALL", ["alice", "bob"]),
        ("alice ALL = (root) ALL", ["alice"]),
        ("#1000 ALL=(ALL) ALL", ["#1000"]),
        ("%#2000 ALL=(ALL) ALL", ["%#2000"]),
        (r"%domain\ admins ALL=(ALL) ALL", ["%domain admins"]),
        ('"%domain users" ALL=(ALL) ALL', ["%domain users"]),
        ("alice ALL = /usr/bin/apt, ALL", ["alice"]),
        ("alice ALL = CWD=/tmp ALL", ["alice"]),
        # The second host list grants ALL as root: the first list's Runas does not carry.
        ("alice ALL = (backup) /usr/bin/tar : pc2 = ALL", ["alice"]),
        # Not a grant of ALL as root:
        ("alice ALL = (backup) ALL", []),
        ("alice ALL = (:wheel) ALL", []),
        ("alice ALL = /usr/bin/apt", []),
        ("alice ALL = !ALL", []),
        ("Defaults:%sudo env_keep += ALL", []),
        ("# alice ALL=(ALL) ALL", []),
        ("alice ALL=(ALL) ALL # comment", ["alice"]),
    ],
)
def test_sudoers_grants_of_all(line: str, granted: list[str]) -> None:
    assert grantees(line + "\n") == (granted, [])


def test_aliases_are_expanded_and_negation_kept() -> None:
    text = (
        "User_Alias ADMINS = alice, %it-admins, !bob\n"
        "Runas_Alias ROOTS = root\n"
        "Cmnd_Alias EVERYTHING = ALL\n"
        "ADMINS ALL = (ROOTS) EVERYTHING\n"
        "carol ALL = !EVERYTHING\n"
    )
    assert grantees(text) == (["alice", "%it-admins"], [])


def test_a_continued_line_is_one_specification() -> None:
    assert grantees("alice, \\\n  bob ALL = \\\n  (ALL) ALL\n") == (["alice", "bob"], [])


def test_a_line_that_cannot_be_read_is_a_problem_not_skipped() -> None:
    granted, problems = grantees("alice ALL=(ALL) ALL\nthis is not sudoers\n")
    assert granted == ["alice"] and problems == ["/etc/sudoers:2"]


# --- the Linux collector --------------------------------------------------------------


def test_default_debian_sudoers_grants_root_and_the_sudo_group() -> None:
    fact = linux_fact(
        {
            "/etc/sudoers": "root ALL=(ALL:ALL) ALL\n%sudo ALL=(ALL:ALL) ALL\n"
            "@includedir /etc/sudoers.d\n",
            "/etc/sudoers.d/README": "# comments only\n",
        }
    )
    granted = seen_value(fact.sudoers)
    # %sudo is local: its members are listed (alice in /etc/group, bob by primary gid).
    assert {(m.name, m.builtin) for m in granted} == {
        ("root", True),
        ("alice", False),
        ("bob", False),
    }
    assert judge(fact) == [
        (Status.FAIL, "unexpected_user", "alice"),
        (Status.FAIL, "unexpected_user", "bob"),
    ]
    assert judge(fact, allowed=["alice", "bob"])[0][0] == Status.PASS


def test_included_files_follow_sudo_rules() -> None:
    fact = linux_fact(
        {
            "/etc/sudoers": "#includedir /etc/sudoers.d\n",
            "/etc/sudoers.d/90-cloud-init-users": "ubuntu ALL=(ALL) NOPASSWD:ALL\n",
            # sudo skips names with a dot or ending in ~.
            "/etc/sudoers.d/old.bak": "mallory ALL=(ALL) ALL\n",
            "/etc/sudoers.d/tmp~": "mallory ALL=(ALL) ALL\n",
        }
    )
    assert [m.name for m in seen_value(fact.sudoers)] == ["ubuntu"]


def test_a_directory_group_is_judged_as_the_group() -> None:
    fact = linux_fact(
        {"/etc/sudoers": r"%domain\ admins ALL=(ALL) ALL" + "\n"}, QUIET_PASSWD, QUIET_GROUP
    )
    (member,) = seen_value(fact.sudoers)
    assert (member.name, member.kind) == ("domain admins", "group")
    assert judge(fact) == [(Status.FAIL, "unexpected_group", "domain admins")]
    assert judge(fact, allowed=["%domain admins"])[0][:2] == (Status.PASS, "only_allowed")


def test_a_local_group_granted_by_sudoers_is_expanded() -> None:
    fact = linux_fact({"/etc/sudoers": "%it-admins ALL=(ALL) ALL\n"}, QUIET_PASSWD, QUIET_GROUP)
    assert judge(fact) == [(Status.FAIL, "unexpected_user", "carol")]


def test_every_user_granted_all_is_one_finding() -> None:
    fact = linux_fact({"/etc/sudoers": "ALL ALL=(ALL) NOPASSWD: ALL\n"}, QUIET_PASSWD, QUIET_GROUP)
    assert judge(fact) == [(Status.FAIL, "unexpected_everyone", "ALL")]


@pytest.mark.parametrize(
    ("files", "unreadable", "reason"),
    [
        ({}, ("/etc/sudoers",), "local_admins.reason.sudoers_unreadable"),
        (
            {"/etc/sudoers": "@includedir /etc/sudoers.d\n"},
            ("/etc/sudoers.d/README",),
            "local_admins.reason.sudoers_unreadable",
        ),
        (
            {"/etc/sudoers": "@include /etc/sudoers.local\n"},
            (),
            "local_admins.reason.include_not_read",
        ),
        (
            {"/etc/sudoers": "#includedir /opt/sudoers.d\n"},
            (),
            "local_admins.reason.include_not_read",
        ),
        ({"/etc/sudoers": "@include sudoers.%h\n"}, (), "local_admins.reason.include_not_read"),
        (
            {"/etc/sudoers": "alice ALL=(ALL) ALL\nnonsense\n"},
            (),
            "local_admins.reason.sudoers_unparsed",
        ),
    ],
)
def test_what_cannot_be_read_makes_sudoers_unknown(
    files: dict[str, str], unreadable: tuple[str, ...], reason: str
) -> None:
    fact = linux_fact(files, unreadable=unreadable)
    assert reason_key(fact.sudoers) == reason
    outcomes = judge(fact)
    assert (Status.UNKNOWN, "sudoers_unknown", None) in outcomes
    assert all(status != Status.PASS for status, _, _ in outcomes)


def test_without_etc_sudoers_the_vendor_file_is_read() -> None:
    """openSUSE: sudo reads /usr/etc/sudoers when /etc/sudoers is absent; a PC without
    /etc/sudoers is not taken as one whose sudo grants nothing."""
    fact = linux_fact(
        {
            "/usr/etc/sudoers": "@includedir /usr/etc/sudoers.d\n@includedir /etc/sudoers.d\n",
            "/usr/etc/sudoers.d/50-wheel": "%wheel ALL=(ALL:ALL) ALL\n",
            "/etc/sudoers.d/local": "carol ALL=(ALL) ALL\n",
        },
        QUIET_PASSWD,
        QUIET_GROUP,
    )
    # No local wheel group here: it is judged as the group.
    assert [(m.name, m.kind) for m in seen_value(fact.sudoers)] == [
        ("wheel", "group"),
        ("carol", "user"),
    ]
    unread = linux_fact({}, unreadable=("/usr/etc/sudoers",))
    assert reason_key(unread.sudoers) == "local_admins.reason.sudoers_unreadable"


def test_sudo_refused_names_root() -> None:
    refused = CommandResult(EXIT_DENIED, stderr=f"{SUDO_REFUSED}: a password is required")
    fact = linux_fact(refused)
    assert reason_key(fact.sudoers) == "local_admins.reason.sudoers_needs_root"
    assert "root" in (reason_text(fact.sudoers) or "")


def test_no_sudoers_file_means_sudo_grants_nothing() -> None:
    fact = linux_fact(CommandResult(0, stdout=""), QUIET_PASSWD, QUIET_GROUP)
    assert seen_value(fact.sudoers) == ()
    assert judge(fact) == [(Status.PASS, "only_allowed", None)]


def test_another_uid_0_account_is_an_administrator() -> None:
    fact = linux_fact({}, QUIET_PASSWD + "toor:x:0:0::/root:/bin/sh\n", QUIET_GROUP)
    assert judge(fact) == [(Status.FAIL, "unexpected_user", "toor")]


@pytest.mark.parametrize("group", ["docker", "lxd", "incus-admin", "disk"])
def test_a_group_that_is_root_by_another_door_makes_an_administrator(group: str) -> None:
    # `docker run -v /:/host`, an lxd container with the host's disk, a raw write to the
    # disk: each member is root whatever sudoers says.
    fact = linux_fact({}, QUIET_PASSWD, QUIET_GROUP + f"{group}:x:998:dave\n")
    members = seen_value(fact.members)
    assert any(m.name == "dave" and m.via == f"group:{group}" for m in members)
    assert judge(fact) == [(Status.FAIL, "unexpected_user", "dave")]
    assert judge(fact, allowed=["dave"]) == [(Status.PASS, "only_allowed", None)]
    # An empty group (Debian's disk group, docker without users) makes nobody one.
    empty = linux_fact({}, QUIET_PASSWD, QUIET_GROUP + f"{group}:x:998:\n")
    assert judge(empty) == [(Status.PASS, "only_allowed", None)]


def test_uid_and_gid_are_numbers_not_text() -> None:
    """ "00" is uid 0 to the C library, and a primary gid of "027" is the sudo group."""
    passwd = QUIET_PASSWD + "toor:x:00:0::/root:/bin/sh\nzed:x:1700:027::/home/zed:/bin/sh\n"
    fact = linux_fact({}, passwd, QUIET_GROUP)
    assert judge(fact) == [
        (Status.FAIL, "unexpected_user", "toor"),
        (Status.FAIL, "unexpected_user", "zed"),
    ]
    granted = linux_fact(
        {"/etc/sudoers": "#1001 ALL=(ALL) ALL\n%#0 ALL=(ALL) ALL\n"}, QUIET_PASSWD, QUIET_GROUP
    )
    assert [m.name for m in seen_value(granted.sudoers)] == ["bob", "root"]


def test_unreadable_account_files_are_unknown() -> None:
    results = {
        PASSWD.key: CommandResult(1, stderr="Permission denied"),
        GROUP.key: CommandResult(0, stdout=GROUP_TEXT),
        SUDOERS_FILES.key: CommandResult(0),
    }
    fact = LinuxLocalAdmins().parse(results, LINUX)
    assert judge(fact) == [
        (Status.UNKNOWN, "members_unknown", None),
        (Status.UNKNOWN, "sudoers_unknown", None),
    ]


def test_broken_frames_are_an_error() -> None:
    with pytest.raises(CollectorError):
        read_frames(CommandResult(0, stdout="F 100 /etc/sudoers\nroot ALL=ALL\n"))
    with pytest.raises(CollectorError):
        read_frames(CommandResult(0, stdout="garbage\n"))


def test_this_machine_for_real() -> None:
    """The Linux collector on this machine through the local transport, judged against
    what Python's pwd and grp modules and file permissions say independently."""

    async def run() -> object:
        async with LocalTransport() as transport:
            platform = await transport.detect_platform()
            facts = await gather_facts(transport, platform, [LinuxLocalAdmins()], 30)
            return facts[LocalAdminsFacts]

    fact = asyncio.run(run())
    assert isinstance(fact, LocalAdminsFacts), fact
    listed = {m.name for m in seen_value(fact.members)}
    expected = {u.pw_name for u in pwd.getpwall() if u.pw_uid == 0}
    for name in ("sudo", "wheel", "admin"):
        try:
            entry = grp.getgrnam(name)
        except KeyError:
            continue
        expected |= set(entry.gr_mem) | {
            u.pw_name for u in pwd.getpwall() if u.pw_gid == entry.gr_gid
        }
    assert listed == expected
    sudoers_file = Path("/etc/sudoers")
    if sudoers_file.exists() and not os.access(sudoers_file, os.R_OK):
        assert reason_key(fact.sudoers) is not None
        assert all(s != Status.PASS for s, _, _ in judge(fact))
    elif sudoers_file.exists():
        granted = seen_value(fact.sudoers)
        assert granted is not None, reason_text(fact.sudoers)
        text = sudoers_file.read_text()
        assert ("root" in {m.name for m in granted}) == any(
            line.split()[:1] == ["root"] and line.rstrip().endswith("ALL")
            for line in text.splitlines()
        )
    statuses = {s for s, _, _ in judge(fact)}
    unexpected = (listed | {m.name for m in seen_value(fact.sudoers) or ()}) - {"root"}
    assert (Status.PASS in statuses) == (not unexpected and seen_value(fact.sudoers) is not None)


# --- Windows and macOS --------------------------------------------------------------


def win(*members: dict[str, object], disabled: bool | None = True) -> LocalAdminsFacts:
    data = {
        "members": list(members),
        "members_error": None,
        "builtin": None if disabled is None else {"sid": f"{PC}-500", "disabled": disabled},
        "builtin_error": None,
    }
    return LocalAdminsFacts(members=members_of(data))


ADMIN = {"path": "WinNT://CORP/PC01/Administrator", "class": "User", "sid": f"{PC}-500"}
DA = {"path": "WinNT://CORP/Domain Admins", "class": "Group", "sid": DOMAIN_ADMINS}


def test_windows_built_in_administrator_counts_only_when_enabled() -> None:
    assert judge(win(ADMIN, DA), OsFamily.WINDOWS) == [(Status.PASS, "only_allowed", None)]
    assert judge(win(ADMIN, DA, disabled=False), OsFamily.WINDOWS) == [
        (Status.FAIL, "builtin_enabled", f"PC01\\Administrator ({PC}-500)")
    ]
    assert judge(win(ADMIN, DA, disabled=None), OsFamily.WINDOWS) == [
        (Status.UNKNOWN, "builtin_state_unknown", f"PC01\\Administrator ({PC}-500)")
    ]
    allowed = judge(
        win(ADMIN, disabled=False), OsFamily.WINDOWS, allow_enabled_builtin_administrator=True
    )
    assert allowed[0][0] == Status.PASS


def test_a_domain_administrator_is_not_the_built_in_one() -> None:
    domain = {
        "path": "WinNT://CORP/Administrator",
        "class": "User",
        "sid": DOMAIN_ADMINS[:-3] + "500",
    }
    member = member_of(domain, {"sid": f"{PC}-500", "disabled": True})
    assert not member.builtin
    assert judge(win(ADMIN, domain), OsFamily.WINDOWS)[0][:2] == (Status.FAIL, "unexpected_user")


def test_unresolved_sids_are_judged_by_sid_and_allowed_by_pattern() -> None:
    entra = "S-1-12-1-3145490437-1261976021-3131153818-889479219"
    fact = win(ADMIN, {"path": f"WinNT://{entra}", "class": None, "sid": entra})
    assert judge(fact, OsFamily.WINDOWS) == [(Status.FAIL, "unexpected_unresolved", entra)]
    # (S-1-12-1-* alone, every Entra ID account, is refused: see test_params_that_prove_nothing.)
    assert judge(fact, OsFamily.WINDOWS, allowed=["s-1-12-1-3145490437-*"])[0][0] == Status.PASS


def test_windows_names_compare_without_case_linux_names_with() -> None:
    helpdesk = {
        "path": "WinNT://CORP/IT-Admins",
        "class": "Group",
        "sid": DOMAIN_ADMINS[:-3] + "3846",
    }
    assert (
        judge(win(ADMIN, helpdesk), OsFamily.WINDOWS, allowed=["corp\\it-*"])[0][0] == Status.PASS
    )
    fact = LocalAdminsFacts(members=seen((AdminMember(name="Alice", via="group:sudo"),)))
    assert judge(fact, allowed=["alice"])[0][:2] == (Status.FAIL, "unexpected_user")


def test_an_empty_or_unreadable_list_is_unknown() -> None:
    assert judge(win(), OsFamily.WINDOWS) == [(Status.UNKNOWN, "no_members", None)]
    fact = LocalAdminsFacts(members=members_of({"members": None, "members_error": "-2147023107"}))
    assert judge(fact, OsFamily.WINDOWS) == [(Status.UNKNOWN, "members_unknown", None)]
    assert judge(LocalAdminsFacts(), OsFamily.WINDOWS) == [
        (Status.UNKNOWN, "members_unknown", None)
    ]


def test_a_member_without_sid_is_unknown_not_skipped() -> None:
    fact = win(ADMIN, {"path": "WinNT://CORP/x", "class": "User", "sid": None})
    assert reason_key(fact.members) == "local_admins.reason.member_without_sid"


def test_macos_members_by_name_uid_and_nested_group() -> None:
    record = {
        "dsAttrTypeStandard:GroupMembership": ["root", "david"],
        "dsAttrTypeStandard:GroupMembers": ["FFFFEEEE-DDDD-CCCC-BBBB-AAAA00000000", "0A1B"],
        "dsAttrTypeStandard:NestedGroups": ["C0FFEE00-0000-0000-0000-000000000001"],
    }
    users = {"FFFFEEEE-DDDD-CCCC-BBBB-AAAA00000000": "root"}
    fact = LocalAdminsFacts(members=mac_members(record, users, {}))
    assert judge(fact, OsFamily.MACOS) == [
        (Status.FAIL, "unexpected_user", "david"),
        (Status.FAIL, "unexpected_unresolved", "0A1B"),
        (Status.FAIL, "unexpected_group", "C0FFEE00-0000-0000-0000-000000000001"),
    ]


def test_a_fail_and_an_unknown_part_never_pass() -> None:
    members: Observed[tuple[AdminMember, ...]] = seen((AdminMember(name="root", builtin=True),))
    fact = LocalAdminsFacts(members=members, sudoers=unknown("local_admins.reason.find_missing"))
    assert judge(fact) == [(Status.UNKNOWN, "sudoers_unknown", None)]


# --- hostile input --------------------------------------------------------------------

NAMES = st.from_regex(r"[a-z_][a-z0-9_-]{0,15}", fullmatch=True).filter(lambda n: n != "root")
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=400)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_sudoers_parsing_never_raises(text: str) -> None:
    granted, problems = grantees(text)
    assert all(isinstance(g, str) for g in granted)
    assert all(p.startswith("/etc/sudoers:") for p in problems)


@settings(max_examples=200, deadline=None)
@given(
    NAMES,
    st.lists(
        st.sampled_from(
            [
                "Defaults env_reset",
                "# a comment",
                "",
                "Host_Alias PCS = pc1, pc2",
                "root ALL=(ALL:ALL) ALL",
                "%sudo ALL=(ALL:ALL) ALL",
                "bob ALL = /usr/bin/apt",
                "Cmnd_Alias APT = /usr/bin/apt",
                "@includedir /etc/sudoers.d",
            ]
        ),
        max_size=8,
    ),
    st.sampled_from(
        [
            "{u} ALL=(ALL) ALL",
            "{u} ALL=(ALL:ALL) NOPASSWD: ALL",
            "{u}  ALL = ALL",
            "{u} pc1 = (root) ALL",
            "{u} ALL = /bin/ls, ALL",
        ]
    ),
)
def test_a_grant_among_any_other_lines_is_found(name: str, others: list[str], form: str) -> None:
    lines = [*others, form.format(u=name)]
    granted, problems = grantees("\n".join(lines) + "\n")
    assert name in granted and not problems


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.from_regex(r"/etc/sudoers\.d/[a-z0-9]{1,8}", fullmatch=True), TEXT, max_size=4
    )
)
def test_file_contents_cannot_forge_frames(files: dict[str, str]) -> None:
    # Content may hold lines that look like headers ("F 3 /etc/x"); the sizes decide.
    forged = {p: f"{t}\nF 3 /etc/evil\nD /x\n" for p, t in files.items()}
    got = read_frames(CommandResult(0, stdout=frame(forged, ("/etc/sudoers.d",))))
    assert got.files == forged


@settings(max_examples=200, deadline=None)
@given(TEXT, TEXT)
def test_account_files_never_raise(passwd: str, group: str) -> None:
    users, table = accounts(passwd), groups(group)
    for name in table:
        assert group_members(name, table, users) is not None


@settings(max_examples=200, deadline=None)
@given(NAMES, st.lists(NAMES, max_size=5, unique=True))
def test_group_members_are_listed_and_primary(group: str, listed: list[str]) -> None:
    passwd = "root:x:0:0::/root:/bin/sh\nprimary:x:1500:4242::/home/p:/bin/sh\n"
    table = groups(f"{group}:x:4242:{','.join(listed)}\n")
    found = {u for u, _ in group_members(group, table, accounts(passwd)) or []}
    assert found == {*listed, "primary"}


@pytest.mark.parametrize("uid", ["+0", "-0", " +0", "0x0", "4294967296", "٠", ""])
def test_a_uid_that_is_not_a_plain_number_is_unknown_never_a_pass(uid: str) -> None:
    """glibc reads "+0" with strtoul, as root: such an id could hide an administrator."""
    fact = linux_fact({}, QUIET_PASSWD + f"sneaky:x:{uid}:0::/root:/bin/sh\n", QUIET_GROUP)
    assert reason_key(fact.members) == "local_admins.reason.odd_id"
    assert "sneaky" in reason_text(fact.members, "en")
    assert [s for s, _, _ in judge(fact)] == [Status.UNKNOWN]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_characters=":\n\r"), max_size=12))
def test_no_uid_text_passes_unless_it_is_a_plain_number_of_no_admin(uid: str) -> None:
    fact = linux_fact({}, QUIET_PASSWD + f"x1:x:{uid}:1000::/home/x1:/bin/sh\n", QUIET_GROUP)
    statuses = [s for s, _, _ in judge(fact)]
    plain = uid.strip().isascii() and uid.strip().isdigit()
    if Status.PASS in statuses:
        assert plain and int(uid.strip()) != 0


@pytest.mark.parametrize("mark", ["\x1e", "\x1c", "\x85", "\u2028", "\v", "\f"])
def test_a_line_break_only_python_sees_does_not_hide_a_root_account(mark: str) -> None:
    """glibc splits /etc/passwd at newlines only: `evil<mark>:x:0:0` is one entry, uid 0."""
    fact = linux_fact({}, QUIET_PASSWD + f"evil{mark}:x:0:0::/root:/bin/sh\n", QUIET_GROUP)
    assert [(s, r) for s, _, r in judge(fact)] == [(Status.FAIL, f"evil{mark}")]


@pytest.mark.parametrize(
    "extra",
    [
        "sudo:x:27:mallory\n",  # a second line of the same group: getgrouplist reads it too
        "sudo2:x:27:mallory\n",  # another name for gid 27: mallory has gid 27
        "sudo:x:4000:mallory\n",  # same name, another gid: sudo matches %sudo by name too
    ],
)
def test_every_group_line_that_makes_a_user_an_administrator_counts(extra: str) -> None:
    fact = linux_fact({}, QUIET_PASSWD, QUIET_GROUP + extra)
    assert (Status.FAIL, "unexpected_user", "mallory") in judge(fact)
    granted = linux_fact(
        {"/etc/sudoers": "%sudo ALL=(ALL:ALL) ALL\n"}, QUIET_PASSWD, QUIET_GROUP + extra
    )
    assert (Status.FAIL, "unexpected_user", "mallory") in judge(granted)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from((*ADMIN_GROUPS, *ROOT_EQUIVALENT_GROUPS)),
    NAMES,
    st.lists(st.tuples(NAMES, st.integers(1, 5000)), max_size=4),
    st.booleans(),
)
def test_a_member_on_any_line_of_an_administrator_group_is_found(
    group: str, member: str, others: list[tuple[str, int]], by_gid: bool
) -> None:
    lines = [f"{group}:x:27:"] + [f"{n}:x:{g}:" for n, g in others]
    lines.append(f"{'other' if by_gid else group}:x:27:{member}")
    users, table = accounts(QUIET_PASSWD), groups("\n".join(lines) + "\n")
    assert member in {u for u, _ in group_members(group, table, users) or []}


@pytest.mark.parametrize("odd", ["CORP\\mallory", 7, None, ["x"], True])
def test_a_member_entry_that_is_not_an_object_is_unknown_not_dropped(odd: object) -> None:
    """Garbled probe output must not shrink the list to the members that parsed."""
    members = members_of({"members": [DA, odd], "builtin": None})
    assert reason_key(members) == "local_admins.reason.member_without_sid"
    fact = LocalAdminsFacts(members=members)
    assert judge(fact, OsFamily.WINDOWS) == [(Status.UNKNOWN, "members_unknown", None)]


@pytest.mark.parametrize("family", [OsFamily.LINUX, OsFamily.MACOS])
@pytest.mark.parametrize("name", ["S-1-5-21-0-512", "s-1-5-21-1-2-3-512"])
def test_an_account_named_like_a_sid_is_not_allowed_by_the_windows_sid_pattern(
    family: OsFamily, name: str
) -> None:
    fact = LocalAdminsFacts(members=seen((AdminMember(name=name, via="group:sudo"),)))
    assert judge(fact, family) == [(Status.FAIL, "unexpected_user", name)]
    group = AdminMember(name=name, kind="group", via="/etc/sudoers:3")
    fact = LocalAdminsFacts(members=seen((group,)))
    assert judge(fact, family) == [(Status.FAIL, "unexpected_group", name)]
    # Patterns for names still match them.
    assert judge(fact, family, allowed=[f"%{name}"])[0][0] is Status.PASS


# --- macOS: accounts with UniqueID 0, sudoers -------------------------------------------

MACOS = PlatformInfo(family=OsFamily.MACOS, distro="macos", version="15.1")
# `dscl . -list /Users UniqueID` as a Mac prints it (NixOS/nix issue #5928), cut short.
UNIQUE_IDS_TEXT = (
    "nobody                         -2\n"
    "root                           0\n"
    "daemon                         1\n"
    "david                          501\n"
)
# Apple's /etc/sudoers (apple-oss-distributions/sudo files/sudoers), its grants only.
MAC_SUDOERS = (
    "Defaults\tenv_reset\n"
    "root\t\tALL = (ALL) ALL\n"
    "%admin\t\tALL = (ALL) ALL\n"
    "#includedir /private/etc/sudoers.d\n"
)


def mac_results(
    admin: list[str],
    unique_ids: str | CommandResult = UNIQUE_IDS_TEXT,
    sudoers_files: dict[str, str] | CommandResult | None = None,
    unreadable: tuple[str, ...] = (),
) -> dict[str, CommandResult]:
    import plistlib

    from endpoint_audit.checks.local_admins import macos

    record = {
        "dsAttrTypeStandard:GroupMembership": admin,
        "dsAttrTypeStandard:PrimaryGroupID": ["80"],
        "dsAttrTypeStandard:RecordName": ["admin"],
    }
    files = {"/private/etc/sudoers": MAC_SUDOERS} if sudoers_files is None else sudoers_files
    find = (
        files
        if isinstance(files, CommandResult)
        else CommandResult(0, stdout=frame(files, ("/private/etc/sudoers.d",), unreadable))
    )
    ids = unique_ids if isinstance(unique_ids, CommandResult) else CommandResult(0, unique_ids)
    return {
        macos.ADMIN_GROUP.key: CommandResult(0, plistlib.dumps(record).decode()),
        macos.USERS.key: CommandResult(0, plistlib.dumps([]).decode()),
        macos.GROUPS.key: CommandResult(0, plistlib.dumps([]).decode()),
        macos.UNIQUE_IDS.key: ids,
        macos.SUDOERS_FILES.key: find,
    }


def mac_judge(
    results: dict[str, CommandResult], **params: object
) -> list[tuple[Status, str, str | None]]:
    from endpoint_audit.checks.local_admins.macos import MacosLocalAdmins

    return judge(MacosLocalAdmins().parse(results, MACOS), OsFamily.MACOS, **params)


def test_macos_stock_sudoers_and_root_alone_pass() -> None:
    assert mac_judge(mac_results(["root"])) == [(Status.PASS, "only_allowed", None)]


def test_a_macos_account_with_uniqueid_0_besides_root_fails() -> None:
    ids = UNIQUE_IDS_TEXT + "toor                           0\n"
    assert mac_judge(mac_results(["root"], ids)) == [(Status.FAIL, "unexpected_user", "toor")]
    assert mac_judge(mac_results(["root"], ids), allowed=["toor"])[0][0] == Status.PASS


@pytest.mark.parametrize(
    ("extra", "member", "kind"),
    [
        ("carol ALL=(ALL) NOPASSWD: ALL\n", "carol", "unexpected_user"),
        ("%staff ALL=(ALL) ALL\n", "staff", "unexpected_group"),
        ("User_Alias HELP = erin, frank\nHELP ALL = (root) ALL\n", "erin", "unexpected_user"),
        ("#501 ALL=(ALL) ALL\n", "david", "unexpected_user"),
        ("ALL ALL=(ALL) ALL\n", "ALL", "unexpected_everyone"),
    ],
)
def test_a_macos_sudoers_grant_of_all_outside_admin_fails(
    extra: str, member: str, kind: str
) -> None:
    files = {"/private/etc/sudoers": MAC_SUDOERS, "/private/etc/sudoers.d/it": extra}
    got = mac_judge(mac_results(["root"], sudoers_files=files))
    assert (Status.FAIL, kind, member) in got
    assert all(s != Status.PASS for s, _, _ in got)


def test_macos_include_of_etc_is_the_private_etc_folder() -> None:
    main = MAC_SUDOERS.replace("#includedir /private/etc/sudoers.d", "@includedir /etc/sudoers.d")
    files = {"/private/etc/sudoers": main, "/private/etc/sudoers.d/it": "gina ALL=ALL\n"}
    assert mac_judge(mac_results(["root"], sudoers_files=files)) == [
        (Status.FAIL, "unexpected_user", "gina")
    ]


def test_macos_admin_group_in_sudoers_is_its_members() -> None:
    got = mac_judge(mac_results(["root", "david"]))
    assert got == [(Status.FAIL, "unexpected_user", "david")]


@pytest.mark.parametrize(
    ("files", "unreadable", "reason"),
    [
        ({}, ("/private/etc/sudoers",), "sudoers_unreadable"),
        (
            {"/private/etc/sudoers": MAC_SUDOERS},
            ("/private/etc/sudoers.d/it",),
            "sudoers_unreadable",
        ),
        (
            {"/private/etc/sudoers": MAC_SUDOERS + "#include /etc/sudoers.local\n"},
            (),
            "include_not_read_macos",
        ),
        ({"/private/etc/sudoers": MAC_SUDOERS + "alice ALL\n"}, (), "sudoers_unparsed"),
    ],
)
def test_macos_sudoers_not_read_is_unknown_never_pass(
    files: dict[str, str], unreadable: tuple[str, ...], reason: str
) -> None:
    from endpoint_audit.checks.local_admins.macos import MacosLocalAdmins

    fact = MacosLocalAdmins().parse(
        mac_results(["root"], sudoers_files=files, unreadable=unreadable), MACOS
    )
    assert fact.sudoers is not None
    assert reason_key(fact.sudoers) == f"local_admins.reason.{reason}"
    assert judge(fact, OsFamily.MACOS) == [(Status.UNKNOWN, "sudoers_unknown", None)]


def test_macos_sudoers_without_root_names_the_right() -> None:
    from endpoint_audit.checks.local_admins.macos import MacosLocalAdmins

    refused = CommandResult(EXIT_DENIED, stderr=f"{SUDO_REFUSED}: a password is required")
    fact = MacosLocalAdmins().parse(mac_results(["root"], sudoers_files=refused), MACOS)
    assert fact.sudoers is not None and "root" in reason_text(fact.sudoers)
    unread = MacosLocalAdmins().parse(
        mac_results(["root"], sudoers_files={}, unreadable=("/private/etc/sudoers",)), MACOS
    )
    assert unread.sudoers is not None and "root" in reason_text(unread.sudoers)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "root\n",
        "root 0\ngarbage line without a number\n",
        "root 0\nevil 0x0\n",
        "root 0\nevil 0abc 5\n",
        "daemon 1\n",  # no root at all: not a listing of this Mac's users
        "root 0\n\n",
    ],
)
def test_macos_unique_ids_that_cannot_be_read_are_unknown(text: str) -> None:
    got = mac_judge(mac_results(["root"], text))
    assert got == [(Status.UNKNOWN, "uid0_unknown", None)]


def test_macos_dscl_list_failing_is_unknown() -> None:
    got = mac_judge(mac_results(["root"], CommandResult(1, stderr="DS Error: -14136")))
    assert got == [(Status.UNKNOWN, "uid0_unknown", None)]


_ZERO = st.sampled_from(["0", "00", "-0", "+0", "4294967296"])
_OTHER = st.integers(min_value=-2, max_value=2**31).filter(lambda n: n % 2**32 != 0).map(str)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            NAMES,
            st.lists(st.one_of(_ZERO, _OTHER), min_size=1, max_size=3),
            st.sampled_from([" ", "  ", "\t", " " * 20]),
        ),
        max_size=12,
    )
)
def test_hostile_dscl_lines_never_hide_a_uid_0_account(
    lines: list[tuple[str, list[str], str]],
) -> None:
    from endpoint_audit.checks.local_admins.macos import uid0_accounts

    text = "root                     0\n" + "".join(
        f"{name}{gap}{' '.join(values)}\n" for name, values, gap in lines
    )
    proven = {n for n, values, _ in lines if any(int(v) % 2**32 == 0 for v in values)}
    got = {m.name for m in seen_value(uid0_accounts(text))}
    assert proven | {"root"} <= got


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_dscl_junk_is_unknown_or_proven(text: str) -> None:
    from endpoint_audit.checks.local_admins.macos import uid0_accounts
    from endpoint_audit.model.observed import Unknown

    got = uid0_accounts(text)
    if isinstance(got, Unknown):
        return
    # Seen only when every line is a name and then numbers, root with 0 among them.
    lines = text.split("\n")
    assert lines[-1] == "" and all(re.fullmatch(r"\S+(\s+[+-]?[0-9]+)+", x) for x in lines[:-1])
    assert "root" in {m.name for m in got.value}


def test_the_macos_probe_script_runs_the_new_reads_with_bsd_tools_only() -> None:
    from endpoint_audit.checks.local_admins import macos
    from endpoint_audit.engine.export import export_script, posix_line
    from endpoint_audit.engine.registry import load_registry

    script = export_script(load_registry(), OsFamily.MACOS)
    for command in (macos.UNIQUE_IDS, macos.SUDOERS_FILES):
        assert posix_line(command) in script
    # macOS's find has neither -printf nor -readable (GNU only), which the Linux one uses.
    assert not {"-printf", "-readable"} & set(macos.SUDOERS_FILES.argv)
    assert macos.SUDOERS_FILES.privileged


_BSD_STAT = """#!/bin/sh
# stat -L -f FORMAT FILE as macOS's stat prints it, through GNU stat (%z size, %N name).
fmt=$(printf '%s' "$3" | sed 's/%z/%s/g; s/%N/%n/g')
exec GNU_STAT -L -c "$fmt" "$4"
"""


def test_the_macos_sudoers_listing_frames_what_it_finds(tmp_path: Path) -> None:
    """The collector's find run here, on a copy of /private/etc under tmp_path, with a
    stand-in for BSD stat: the framing reads back every sudoers file whole, and nothing
    else of /etc."""
    import subprocess

    from endpoint_audit.checks.local_admins import macos
    from endpoint_audit.checks.local_admins.sudoers_files import read_frames

    find = require_tool("find")
    etc = tmp_path / "private" / "etc"
    (etc / "sudoers.d").mkdir(parents=True)
    (etc / "ssh").mkdir()
    (etc / "ssh" / "sshd_config").write_text("PermitRootLogin no\n")
    (etc / "hosts").write_text("127.0.0.1 localhost\n")
    files = {
        "sudoers": MAC_SUDOERS,
        "sudoers.d/it": "carol ALL=(ALL) ALL",  # no final newline
        # Skipped by sudo (a dot in the name); its header-like line must not forge a frame.
        "sudoers.d/README.txt": "F 3 /private/etc/evil\nD /x\n",
    }
    for name, text in files.items():
        (etc / name).write_text(text)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "stat").write_text(_BSD_STAT.replace("GNU_STAT", require_tool("stat")))
    (bin_dir / "stat").chmod(0o755)
    argv = [
        a.replace(macos.PRIVATE_ETC, str(etc)) if a.startswith(macos.PRIVATE_ETC) else a
        for a in macos.SUDOERS_FILES.argv
    ]
    argv[0] = find
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "LC_ALL": "C"}
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    out = done.stdout.replace(str(tmp_path), "")
    frames = read_frames(CommandResult(0, stdout=out))
    assert frames.files == {f"/private/etc/{n}": t for n, t in files.items()}
    assert frames.dirs == {"/private/etc/sudoers.d"} and frames.unreadable == ()
    fact = mac_parse(CommandResult(0, stdout=out))
    assert (Status.FAIL, "unexpected_user", "carol") in judge(fact, OsFamily.MACOS)


def mac_parse(find: CommandResult) -> LocalAdminsFacts:
    from endpoint_audit.checks.local_admins.macos import MacosLocalAdmins

    return MacosLocalAdmins().parse(mac_results(["root"], sudoers_files=find), MACOS)


@pytest.mark.parametrize("gap", ["\u00a0", "\u2003", "\x0b", "\r"])
def test_a_dscl_blank_only_python_sees_is_not_a_separator(gap: str) -> None:
    from endpoint_audit.checks.local_admins.macos import uid0_accounts

    got = uid0_accounts(f"root 0\ntoor 5{gap}0\n")
    assert reason_key(got) == "local_admins.reason.unique_ids_unreadable"
