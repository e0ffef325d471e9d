"""Linux updates (apt, dnf) from recorded outputs, one file per case.

The -debian12-recorded files are captures on this project's Debian 12 test container
(2026-12-03, LC_ALL=C): `apt list --upgradable`, `apt-cache policy` of the packages
whose candidate is not from a security suite, and `apt list --upgradable --all-versions`
(what a probe script runs). The other apt-policy-*.txt files are built in the format
apt-cache prints (Debian/apt cmdline/apt-cache.cc, Policy: `NAME:`, Installed,
Candidate, Version table, ` *** V PRIO` or `     V PRIO` and `       PRIO SOURCE`
lines), and the other apt-all-versions-*.txt files are the apt-list-*.txt listings in the
all-versions form (apt-private/private-output.cc, ListSingleVersion); not captures."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from endpoint_audit.checks.patch_level import linux as p
from endpoint_audit.checks.patch_level.facts import PatchFacts
from endpoint_audit.checks.patch_level.linux import LinuxPatches
from endpoint_audit.engine.run import gather_facts
from endpoint_audit.errors import FactUnavailable
from endpoint_audit.model.capabilities import Capability
from endpoint_audit.model.commands import Argv, Command, CommandResult
from endpoint_audit.model.observed import Reason, seen
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.transport.local import LocalTransport
from tests.conftest import FIXTURES
from tests.observed_view import detail_text, reason_text, seen_value

LINUX = FIXTURES / "linux"
# As a live transport reaches them: with follow-ups (a probe script's bundle has none).
LIVE = frozenset({Capability.FOLLOW_UPS})
UBUNTU = PlatformInfo(
    family=OsFamily.LINUX, distro="ubuntu", distro_like=("debian",)
).with_capabilities(LIVE)
DEBIAN = PlatformInfo(family=OsFamily.LINUX, distro="debian").with_capabilities(LIVE)
RHEL = PlatformInfo(family=OsFamily.LINUX, distro="rhel", distro_like=("fedora",))
ARCH = PlatformInfo(family=OsFamily.LINUX, distro="arch").with_capabilities(LIVE)
MISSING = CommandResult(1, stderr="No such file or directory")
NOT_FOUND = CommandResult(127, stderr="command not found")


def out(name: str, status: int = 0) -> CommandResult:
    return CommandResult(status, stdout=(LINUX / name).read_text("utf-8"))


def text(value: str, status: int = 0) -> CommandResult:
    return CommandResult(status, stdout=value)


def apt_results(**over: CommandResult) -> dict[str, CommandResult]:
    """A Ubuntu 22.04 PC: security updates pending, fresh lists, reboot pending. Its
    `apt-cache policy` follow-up (`policy`, for the packages apt_list cannot decide) is
    keyed by what apt_list names; `policy=None`-like absence: pass `policy=NO_POLICY`."""
    base: dict[Command, CommandResult] = {
        p.APT_LIST: out("apt-list-jammy-security.txt"),
        p.APT_LISTS: out("apt-release-mtimes-jammy.txt"),
        p.APT_HISTORY: out("apt-history.log"),
        p.UTC_OFFSET: text("+0900\n"),
        p.REBOOT_FLAG: out("reboot-required.txt"),
        p.REBOOT_PKGS: out("reboot-required-pkgs.txt"),
        p.KERNEL_HOOKS: out("kernel-postinst-ubuntu.txt"),
        p.KERNEL_RUNNING: text("5.15.0-101-generic\n"),
        p.KERNEL_IMAGES: out("boot-images-ubuntu.txt"),
    }
    results = {c.key: r for c, r in base.items()}
    names: dict[str, Command] = {
        "apt_list": p.APT_LIST,
        "all_versions": p.APT_ALL,  # what a probe script runs
        "lists": p.APT_LISTS,
        "history": p.APT_HISTORY,
        "dpkg": p.DPKG_LOG,
        "offset": p.UTC_OFFSET,
        "flag": p.REBOOT_FLAG,
        "pkgs": p.REBOOT_PKGS,
        "hooks": p.KERNEL_HOOKS,
        "running": p.KERNEL_RUNNING,
        "images": p.KERNEL_IMAGES,
    }
    policy = over.pop("policy", out("apt-policy-jammy-security.txt"))
    for name, result in over.items():
        results[names[name].key] = result
    for command in follow_ups(results):
        if policy is not NO_POLICY:
            results[command.key] = policy
    return results


NO_POLICY = CommandResult(0, stdout="(not recorded)")


def follow_ups(results: dict[str, CommandResult]) -> list[Command]:
    listing = p.parse_apt_upgradable(results[p.APT_LIST.key].stdout)
    return [] if isinstance(listing, Reason) else list(p.policy_commands(listing))


def parse(results: dict[str, CommandResult], platform: PlatformInfo = UBUNTU) -> PatchFacts:
    return LinuxPatches().parse(results, platform)


# --- apt: pending security updates ----------------------------------------------------


def test_apt_jammy_security_updates_are_counted_by_suite() -> None:
    fact = parse(apt_results())
    assert fact.manager == "apt"
    assert seen_value(fact.pending_security_updates) == 4
    assert fact.pending_security_names == ("accountsservice", "openssl", "sudo", "vim")
    assert fact.pending_updates == 5  # apt-utils comes from jammy-updates only
    assert reason_text(fact.pending_security_updates) is None
    # The security suite's Release file dates the index.
    assert fact.index_refreshed == datetime.fromtimestamp(1709878802, UTC)
    assert fact.index_source is not None and "jammy-security" in fact.index_source


def test_apt_debian_bookworm_and_stable_security_suites() -> None:
    fact = parse(
        apt_results(
            apt_list=out("apt-list-bookworm-security.txt"),
            policy=out("apt-policy-bookworm-security.txt"),
        ),
        DEBIAN,
    )
    assert fact.pending_security_names == ("libc-bin", "libc6", "openssh-client")
    assert fact.pending_updates == 4


def old_recording(**over: CommandResult) -> dict[str, CommandResult]:
    """apt_results as recorded before the policy follow-up: candidates only."""
    return apt_results(policy=NO_POLICY, **over)


def test_apt_recorded_on_debian12() -> None:
    results = apt_results(
        apt_list=out("apt-list-debian12-recorded.txt"),
        lists=out("apt-release-mtimes-debian12.txt"),
        policy=out("apt-policy-debian12-recorded.txt"),
    )
    [policy] = follow_ups(results)  # 50 names: one apt-cache, architecture-all ones bare
    assert len(policy.argv) == 52 and "curl:amd64" in policy.argv
    assert "distro-info-data" in policy.argv
    fact = parse(results, DEBIAN)
    assert fact.pending_updates == 143
    # curl's oldstable-security version is older than the installed one: not pending.
    assert seen_value(fact.pending_security_updates) == 93
    assert "curl" not in fact.pending_security_names
    assert fact.pending_security_names[:4] == (
        "apt",
        "apt-transport-https",
        "ca-certificates",
        "jq",
    )
    assert not fact.pending_incomplete
    # The probe script's listing of the same machine counts the same packages.
    script = apt_results(
        apt_list=out("apt-list-debian12-recorded.txt"),
        all_versions=out("apt-all-versions-debian12-recorded.txt"),
        lists=out("apt-release-mtimes-debian12.txt"),
        policy=NO_POLICY,
    )
    assert parse(script, DEBIAN).pending_security_names == fact.pending_security_names


def test_apt_recorded_on_debian12_as_oldstable_security() -> None:
    fact = parse(
        old_recording(
            apt_list=out("apt-list-debian12-oldstable-security.txt"),
            lists=out("apt-release-mtimes-debian12.txt"),
        ),
        DEBIAN,
    )
    assert fact.pending_updates == 120
    assert seen_value(fact.pending_security_updates) == 74
    assert fact.pending_incomplete  # candidates only, others waiting: a lower bound
    # Names are kept sorted and capped; the count stays complete.
    assert len(fact.pending_security_names) == p.MAX_NAMES
    assert fact.pending_security_names[:3] == ("apt", "apt-transport-https", "ca-certificates")
    assert fact.index_source is not None and "bookworm-security" in fact.index_source


def test_apt_jammy_as_a_probe_script_runs_it() -> None:
    fact = parse(
        apt_results(all_versions=out("apt-all-versions-jammy-security.txt"), policy=NO_POLICY)
    )
    assert fact.pending_security_names == ("accountsservice", "openssl", "sudo", "vim")
    assert fact.pending_updates == 5 and not fact.pending_incomplete


@pytest.mark.parametrize(
    ("listing", "policy", "all_versions"),
    [
        ("apt-list-none.txt", None, "apt-all-versions-none.txt"),
        ("apt-list-updates-only.txt", "apt-policy-updates-only.txt", None),
        ("apt-list-updates-only.txt", None, "apt-all-versions-updates-only.txt"),
    ],
)
def test_apt_nothing_pending_from_security(
    listing: str, policy: str | None, all_versions: str | None
) -> None:
    over = {"all_versions": out(all_versions)} if all_versions else {}
    fact = parse(
        apt_results(apt_list=out(listing), policy=out(policy) if policy else NO_POLICY, **over)
    )
    assert seen_value(fact.pending_security_updates) == 0
    assert fact.pending_security_names == ()
    assert fact.index_refreshed is not None  # the check decides whether it is fresh


def test_apt_old_recording_none_from_security_with_others_waiting_is_unknown() -> None:
    fact = parse(old_recording(apt_list=out("apt-list-updates-only.txt")))
    assert seen_value(fact.pending_security_updates) is None
    assert "lacks `apt-cache policy`" in (reason_text(fact.pending_security_updates) or "")
    assert fact.pending_updates == 2


def test_apt_old_recording_with_nothing_upgradable_still_counts_zero() -> None:
    fact = parse(old_recording(apt_list=out("apt-list-none.txt")))
    assert seen_value(fact.pending_security_updates) == 0
    assert not fact.pending_incomplete


def test_apt_security_candidates_only_need_no_follow_up() -> None:
    only = text(
        out("apt-list-jammy-security.txt").stdout.replace(
            "apt-utils/jammy-updates 2.4.9 amd64 [upgradable from: 2.4.8]\n", ""
        )
    )
    assert follow_ups(apt_results(apt_list=only)) == []
    assert not [c for c in LinuxPatches().commands(UBUNTU, apt_results(apt_list=only))
                if c.key.startswith("apt-cache")]  # fmt: skip
    fact = parse(old_recording(apt_list=only))
    assert seen_value(fact.pending_security_updates) == 4 and fact.pending_updates == 4
    assert not fact.pending_incomplete  # nothing else waits that could hide a fix


def test_apt_collector_asks_policy_only_for_undecided_packages() -> None:
    collector = LinuxPatches()
    first = collector.commands(DEBIAN, {})
    assert p.APT_LIST in first and p.APT_ALL not in first
    assert not [c for c in first if c.key.startswith("apt-cache")]
    second = collector.commands(UBUNTU, apt_results())
    [policy] = [c for c in second if c.key.startswith("apt-cache")]
    assert policy.key == "apt-cache policy apt-utils:amd64"  # not the security candidates
    assert isinstance(policy, Argv) and dict(policy.env) == {"LC_ALL": "C"}
    assert policy.may_be_unrecorded
    # A probe script's bundle gets no follow-ups: it runs the all-versions listing.
    assert p.APT_ALL in collector.probe_commands(DEBIAN)
    script = DEBIAN.with_capabilities(frozenset())
    assert p.APT_ALL in collector.commands(script, apt_results())
    assert not [
        c for c in collector.commands(script, apt_results()) if c.key.startswith("apt-cache")
    ]


def test_apt_policy_names_are_debian_names_and_chunked() -> None:
    lines = [f"pkg{i:04d}/jammy-updates 1.1 amd64 [upgradable from: 1.0]" for i in range(450)]
    lines.append("libc6/jammy-updates 2.35-0ubuntu3.6 i386 [upgradable from: 2.35-0ubuntu3.5]")
    chunks = follow_ups(apt_results(apt_list=text("Listing...\n" + "\n".join(lines) + "\n")))
    assert [len(c.argv) - 2 for c in chunks if isinstance(c, Argv)] == [200, 200, 51]
    assert "libc6:i386" in chunks[0].key
    hostile = "Listing...\n--config-file=/tmp/x/jammy-updates 1.1 amd64 [upgradable from: 1.0]\n"
    assert follow_ups(apt_results(apt_list=text(hostile))) == []
    fact = parse(apt_results(apt_list=text(hostile)))
    assert seen_value(fact.pending_security_updates) is None
    assert "not a Debian package name" in (reason_text(fact.pending_security_updates) or "")


POLICY_SHADOWED = """openssl:
  Installed: 3.0.2-0ubuntu1.10
  Candidate: 3.0.2-0ubuntu1.14
  Version table:
     3.0.2-0ubuntu1.14 500
        500 http://archive.ubuntu.com/ubuntu jammy-updates/main amd64 Packages
     3.0.2-0ubuntu1.12 500
        500 http://security.ubuntu.com/ubuntu jammy-security/main amd64 Packages
 *** 3.0.2-0ubuntu1.10 100
        100 /var/lib/dpkg/status
"""
OPENSSL = (
    "Listing...\n"
    "openssl/jammy-updates 3.0.2-0ubuntu1.14 amd64 [upgradable from: 3.0.2-0ubuntu1.10]\n"
)


@pytest.mark.parametrize(
    ("policy", "why"),
    [
        # Missing from the output (apt found no such package).
        ("", "placed"),
        # No *** line.
        (POLICY_SHADOWED.replace(" *** ", "     "), "placed"),
        # The installed version above the candidate: not apt's order.
        (
            POLICY_SHADOWED.replace(
                "     3.0.2-0ubuntu1.14 500", " *** 3.0.2-0ubuntu1.14 500"
            ).replace(" *** 3.0.2-0ubuntu1.10 100", "     3.0.2-0ubuntu1.10 100"),
            "placed",
        ),
        # Installed and Candidate that disagree with apt list.
        (
            POLICY_SHADOWED.replace("Installed: 3.0.2-0ubuntu1.10", "Installed: 3.0.2-0ubuntu1.9"),
            "placed",
        ),
        (POLICY_SHADOWED.replace("Candidate: 3.0.2-0ubuntu1.14", "Candidate: (none)"), "placed"),
        (POLICY_SHADOWED.replace("  Installed: 3.0.2-0ubuntu1.10\n", ""), "placed"),
        # A package nobody asked for.
        (POLICY_SHADOWED + POLICY_SHADOWED.replace("openssl:", "libssl3:"), "libssl3"),
        # The same package twice.
        (POLICY_SHADOWED + POLICY_SHADOWED, "placed"),
        # An unreadable line.
        (POLICY_SHADOWED.replace("  Version table:", "  Versions:"), "could not be read"),
        (POLICY_SHADOWED + "garbage\n", "could not be read"),
    ],
)
def test_apt_policy_that_cannot_be_placed_is_never_zero(policy: str, why: str) -> None:
    fact = parse(apt_results(apt_list=text(OPENSSL), policy=text(policy)))
    assert seen_value(fact.pending_security_updates) is None
    assert why in (reason_text(fact.pending_security_updates) or "")


def test_apt_policy_failure_is_unknown_and_the_shadowed_fix_counts() -> None:
    fact = parse(apt_results(apt_list=text(OPENSSL), policy=CommandResult(100, stderr="E: x")))
    assert seen_value(fact.pending_security_updates) is None
    assert "apt-cache policy exited 100" in (reason_text(fact.pending_security_updates) or "")
    fact = parse(apt_results(apt_list=text(OPENSSL), policy=text(POLICY_SHADOWED)))
    assert seen_value(fact.pending_security_updates) == 1
    # A foreign architecture is named with it, and so printed.
    i386 = OPENSSL.replace(" amd64 ", " i386 ")
    foreign = POLICY_SHADOWED.replace("openssl:", "openssl:i386:")
    fact = parse(apt_results(apt_list=text(i386), policy=text(foreign)))
    assert seen_value(fact.pending_security_updates) == 1
    # A security version older than the installed one is no pending fix.
    below = POLICY_SHADOWED.replace("jammy-security", "jammy-backports") + (
        "     3.0.2-0ubuntu1.9 500\n"
        "        500 http://security.ubuntu.com/ubuntu jammy-security/main amd64 Packages\n"
    )
    fact = parse(apt_results(apt_list=text(OPENSSL), policy=text(below)))
    assert seen_value(fact.pending_security_updates) == 0


@pytest.mark.parametrize(
    ("listing", "why"),
    [
        # No installed line.
        (
            "openssl/jammy-updates 3.0.2-0ubuntu1.14 amd64 [upgradable from: 3.0.2-0ubuntu1.10]",
            "placed",
        ),
        # The installed line above the candidate: not apt's order.
        (
            "openssl/now 3.0.2-0ubuntu1.10 amd64 [installed,upgradable to: 3.0.2-0ubuntu1.14]\n"
            "openssl/jammy-security 3.0.2-0ubuntu1.12 amd64\n"
            "openssl/jammy-updates 3.0.2-0ubuntu1.14 amd64 [upgradable from: 3.0.2-0ubuntu1.10]",
            "placed",
        ),
        # Flags that disagree on the versions.
        (
            "openssl/jammy-updates 3.0.2-0ubuntu1.14 amd64 [upgradable from: 3.0.2-0ubuntu1.9]\n"
            "openssl/now 3.0.2-0ubuntu1.10 amd64 [installed,upgradable to: 3.0.2-0ubuntu1.14]",
            "placed",
        ),
        # An unreadable line.
        ("openssl 3.0.2-0ubuntu1.14", "could not be read"),
    ],
)
def test_apt_all_versions_that_cannot_be_placed_are_never_zero(listing: str, why: str) -> None:
    fact = parse(apt_results(all_versions=text(f"Listing...\n{listing}\n")))
    assert seen_value(fact.pending_security_updates) is None
    assert why in (reason_text(fact.pending_security_updates) or "")


def test_apt_without_a_security_suite_cannot_count() -> None:
    fact = parse(apt_results(lists=out("apt-release-mtimes-no-security.txt")))
    assert seen_value(fact.pending_security_updates) is None
    assert reason_text(fact.pending_security_updates) is not None
    assert "no security suite" in reason_text(fact.pending_security_updates)
    assert fact.index_refreshed is None


def test_apt_without_package_lists_cannot_count() -> None:
    fact = parse(apt_results(lists=text("", 1)))
    assert seen_value(fact.pending_security_updates) is None
    assert reason_text(fact.pending_security_updates) is not None
    assert "could not be listed" in reason_text(fact.pending_security_updates)
    fact = parse(apt_results(lists=text("")))
    assert (
        reason_text(fact.pending_security_updates)
        == "no package lists in /var/lib/apt/lists; run apt update"
    )


def test_apt_unreadable_line_is_never_zero() -> None:
    fact = parse(apt_results(apt_list=text("Listing...\nE: something unexpected\n")))
    assert seen_value(fact.pending_security_updates) is None
    assert "could not be read" in (reason_text(fact.pending_security_updates) or "")


def test_apt_list_failure_and_missing_apt() -> None:
    fact = parse(apt_results(apt_list=CommandResult(100, stderr="E: Could not open lock file")))
    assert seen_value(fact.pending_security_updates) is None
    assert (
        reason_text(fact.pending_security_updates)
        == "apt list exited 100: E: Could not open lock file"
    )
    with pytest.raises(FactUnavailable, match="apt is not installed"):
        parse(apt_results(apt_list=NOT_FOUND))


# --- apt: last update ------------------------------------------------------------------


def test_apt_history_newest_successful_upgrade_in_local_time() -> None:
    fact = parse(apt_results())
    # 2024-03-08 12:03:19 +0900; the later removal and the failed upgrade do not count.
    assert seen_value(fact.last_update) == datetime(2024, 3, 8, 3, 3, 19, tzinfo=UTC)
    assert fact.last_update_source == "/var/log/apt/history.log"


def test_apt_falls_back_to_dpkg_log_in_a_second_round() -> None:
    collector = LinuxPatches()
    first = collector.commands(DEBIAN, {})
    assert p.DPKG_LOG not in first and p.APT_LIST in first and p.APT_ALL not in first
    results = apt_results(history=out("apt-history-removals-only.log"), offset=text("+0000\n"))
    second = collector.commands(DEBIAN, results)
    assert p.DPKG_LOG in second
    results[p.DPKG_LOG.key] = out("dpkg.log")
    fact = collector.parse(results, DEBIAN)
    # The newest `status installed` line; the later removal is not an update.
    assert seen_value(fact.last_update) == datetime(2024, 3, 1, 6, 25, 16, tzinfo=UTC)
    assert fact.last_update_source == "/var/log/dpkg.log"


def test_apt_rotated_logs_leave_the_last_update_unknown() -> None:
    results = apt_results(history=MISSING)
    results[p.DPKG_LOG.key] = text("")
    fact = parse(results)
    assert seen_value(fact.last_update) is None
    assert "neither /var/log/apt/history.log nor /var/log/dpkg.log" in (
        reason_text(fact.last_update) or ""
    )


def test_apt_unknown_time_zone_is_read_as_utc_and_said() -> None:
    fact = parse(apt_results(offset=CommandResult(1, stderr="date: invalid")))
    assert seen_value(fact.last_update) == datetime(2024, 3, 8, 12, 3, 19, tzinfo=UTC)
    assert detail_text(fact.last_update_source) == (
        "/var/log/apt/history.log (host time zone unknown: read as UTC)"
    )


# Installing a tool is not an update: a PC that installed one today after months without
# upgrades must not look freshly updated. The two logs are excerpts of this project's
# Debian 12 build machine (/var/log/apt/history.log and /var/log/dpkg.log, 2025-06-24):
# an `apt-get upgrade`, then an `apt-get install` of new packages four seconds later.
# dpkg.log's line shapes are those plaso documents (log2timeline/plaso, parsers/dpkg.py):
# `install PKG <none> NEW` for a first install, `upgrade PKG OLD NEW` for an upgrade.


def test_apt_history_install_after_the_last_upgrade_does_not_count() -> None:
    fact = parse(
        apt_results(history=out("apt-history-install-after-upgrade.log"), offset=text("+0000\n"))
    )
    assert seen_value(fact.last_update) == datetime(2025, 6, 24, 14, 36, 25, tzinfo=UTC)
    only_installs = "\n".join(
        line
        for line in out("apt-history-install-after-upgrade.log").stdout.splitlines()
        if not line.startswith("Upgrade:")
    )
    fact = parse(apt_results(history=text(only_installs), dpkg=text(""), offset=text("+0000\n")))
    assert seen_value(fact.last_update) is None
    assert "plain installs do not count" in (reason_text(fact.last_update) or "")


def test_dpkg_log_counts_the_finished_upgrade_not_the_later_install() -> None:
    log = out("dpkg-install-after-upgrade.log").stdout
    # lsb-release was installed (`status installed` at 14:36:55), libsystemd0 upgraded.
    assert p.dpkg_log_last(log, UTC) == datetime(2025, 6, 24, 14, 36, 25, tzinfo=UTC)
    installs_only = "\n".join(line for line in log.splitlines() if "libsystemd0" not in line)
    assert p.dpkg_log_last(installs_only, UTC) is None
    # An upgrade that never reached `status installed` (dpkg failed) is no update.
    unfinished = "\n".join(line for line in log.splitlines() if "status installed" not in line)
    assert p.dpkg_log_last(unfinished, UTC) is None


# dnf.rpm.log: the action words (Installed, Reinstall/Reinstalled, Downgrade/Downgraded,
# Upgrade/Upgraded, Erase) are those dnf's own tests expect in the log
# (rpm-software-management/ci-dnf-stack, dnf-behave-tests/dnf/logs.feature, bz1739457);
# each line starts with its ISO 8601 time and UTC offset.


def test_dnf_rpm_log_counts_upgrades_only() -> None:
    log = out("dnf.rpm.log")
    assert p.dnf_last_upgrade(log) == seen(datetime(2026, 2, 20, 1, 10, 5, tzinfo=UTC))
    no_upgrade = text("\n".join(x for x in log.stdout.splitlines() if "Upgrade" not in x))
    when = p.dnf_last_upgrade(no_upgrade)
    assert seen_value(when) is None and "plain installs do not count" in (reason_text(when) or "")
    # Offsets as dnf writes them: +0000, +09:00 (no colon in dnf, accepted), Z, +00.
    for stamp, expected in (
        ("2026-03-01T18:00:00+0900", datetime(2026, 3, 1, 9, tzinfo=UTC)),
        ("2026-03-01T09:00:00Z", datetime(2026, 3, 1, 9, tzinfo=UTC)),
        ("2026-03-01T09:00:00+00", datetime(2026, 3, 1, 9, tzinfo=UTC)),
    ):
        line = text(f"{stamp} SUBDEBUG Upgrade: bash-5.1.8-10.el9.aarch64\n")
        assert p.dnf_last_upgrade(line) == seen(expected)


# --- apt: reboot ------------------------------------------------------------------------


def test_apt_reboot_required_flag_with_packages() -> None:
    fact = parse(apt_results())
    assert seen_value(fact.reboot_required) is True
    assert detail_text(fact.reboot_detail) == (
        "/var/run/reboot-required is present (for linux-base, linux-image-5.15.0-101-generic)"
    )


def test_apt_no_flag_with_the_notifier_hook_means_no_reboot() -> None:
    fact = parse(apt_results(flag=MISSING, pkgs=MISSING))
    assert seen_value(fact.reboot_required) is False
    assert (
        detail_text(fact.reboot_detail) == "no /var/run/reboot-required (kept by update-notifier)"
    )


def test_apt_newer_kernel_installed_means_reboot_even_without_the_flag() -> None:
    fact = parse(
        apt_results(
            flag=MISSING,
            pkgs=MISSING,
            hooks=text(""),
            running=text("6.1.0-18-amd64\n"),
            images=out("boot-images-debian-newer.txt"),
        ),
        DEBIAN,
    )
    assert seen_value(fact.reboot_required) is True
    assert (
        detail_text(fact.reboot_detail)
        == "kernel 6.1.0-20-amd64 is installed but 6.1.0-18-amd64 is running"
    )
    assert detail_text(fact.reboot_detail, "ja") == (
        "カーネル 6.1.0-20-amd64 がインストールされていますが、実行中なのは 6.1.0-18-amd64 です"
    )


def test_apt_no_hook_but_running_kernel_is_newest() -> None:
    fact = parse(
        apt_results(
            flag=MISSING,
            pkgs=MISSING,
            hooks=text(""),
            running=text("6.1.0-18-amd64\n"),
            images=out("boot-images-debian-same.txt"),
        ),
        DEBIAN,
    )
    assert seen_value(fact.reboot_required) is False


def test_apt_no_hook_and_no_kernel_image_is_unknown() -> None:
    fact = parse(
        apt_results(
            flag=MISSING,
            pkgs=MISSING,
            hooks=text(""),
            running=text("6.18.44-fc-v669\n"),
            images=text(""),
        ),
        DEBIAN,
    )
    assert seen_value(fact.reboot_required) is None
    assert "nothing on this host creates it" in (reason_text(fact.reboot_required) or "")


def test_newer_kernel_compares_within_a_flavour() -> None:
    assert p.newer_kernel("5.15.0-94-generic", ["vmlinuz-5.15.0-101-generic"]) == (
        "5.15.0-101-generic"
    )
    assert (
        p.newer_kernel("6.1.0-20-amd64", ["vmlinuz-6.1.0-18-amd64", "vmlinuz-6.1.0-20-amd64"])
        is None
    )
    assert p.newer_kernel("6.1.0-20-cloud-amd64", ["vmlinuz-6.1.0-25-amd64"]) is None
    assert (
        p.newer_kernel(
            "5.14.0-362.8.1.el9_3.x86_64",
            ["vmlinuz-5.14.0-362.8.1.el9_3.x86_64", "vmlinuz-0-rescue-0123abcd"],
        )
        is None
    )


# --- dnf ------------------------------------------------------------------------------


def dnf_results(**over: CommandResult) -> dict[str, CommandResult]:
    results = {
        p.DNF_SECURITY.key: out("dnf-security-rhel9.txt"),
        p.DNF_CACHE.key: out("dnf-cache-mtimes.txt"),
        p.DNF_RPM_LOG.key: out("dnf.rpm.log"),
        p.NEEDS_RESTARTING.key: out("needs-restarting-required.txt", 1),
    }
    keys: dict[str, Command] = {
        "security": p.DNF_SECURITY,
        "cache": p.DNF_CACHE,
        "rpm_log": p.DNF_RPM_LOG,
        "restart": p.NEEDS_RESTARTING,
    }
    for name, result in over.items():
        results[keys[name].key] = result
    return results


def test_dnf_rhel9_security_updates() -> None:
    assert LinuxPatches().commands(RHEL, {}) == list(p.DNF_COMMANDS)
    fact = parse(dnf_results(), RHEL)
    assert fact.manager == "dnf"
    assert seen_value(fact.pending_security_updates) == 5  # packages, not advisories
    assert fact.pending_security_names == (
        "NetworkManager",
        "NetworkManager-libnm",
        "kernel",
        "kernel-core",
        "openssl-libs",
    )
    # The older of the two repositories with advisories (appstream, half a second older).
    assert fact.index_refreshed == datetime.fromtimestamp(1772524799.654321, UTC)
    # The newest upgrade; the later install, reinstall, downgrade and removal do not count.
    assert seen_value(fact.last_update) == datetime(2026, 2, 20, 1, 10, 5, tzinfo=UTC)
    assert fact.last_update_source == "/var/log/dnf.rpm.log"
    assert seen_value(fact.reboot_required) is True
    assert (
        detail_text(fact.reboot_detail)
        == "needs-restarting -r: updated since boot: kernel, systemd"
    )


def test_dnf_no_security_updates_and_no_reboot() -> None:
    fact = parse(dnf_results(security=text(""), restart=out("needs-restarting-ok.txt")), RHEL)
    assert seen_value(fact.pending_security_updates) == 0
    assert seen_value(fact.reboot_required) is False


def test_dnf_error_exit_1_is_not_read_as_reboot_required() -> None:
    failed = CommandResult(1, stderr="Error: rpmdb open failed")
    fact = parse(dnf_results(restart=failed), RHEL)
    assert seen_value(fact.reboot_required) is None
    assert (
        reason_text(fact.reboot_required)
        == "needs-restarting -r exited 1: Error: rpmdb open failed"
    )


def test_dnf5_table_format() -> None:
    fact = parse(dnf_results(security=out("dnf5-security-fedora.txt")), RHEL)
    assert fact.pending_security_names == ("curl", "libcurl")


def test_dnf_without_cache_is_unknown_never_zero() -> None:
    no_cache = CommandResult(1, stderr=(LINUX / "dnf-no-cache.stderr").read_text("utf-8"))
    fact = parse(dnf_results(security=no_cache), RHEL)
    assert seen_value(fact.pending_security_updates) is None
    assert (reason_text(fact.pending_security_updates) or "").startswith(
        "dnf has no cached repository metadata"
    )
    fact = parse(dnf_results(security=text(""), cache=text("", 1)), RHEL)
    assert seen_value(fact.pending_security_updates) is None
    assert reason_text(fact.pending_security_updates) == (
        "no cached dnf repository metadata was found; run dnf makecache"
    )


def test_dnf_repositories_without_advisories_cannot_count() -> None:
    fact = parse(
        dnf_results(security=text(""), cache=out("dnf-cache-mtimes-no-updateinfo.txt")), RHEL
    )
    assert seen_value(fact.pending_security_updates) is None
    assert reason_text(fact.pending_security_updates) == (
        "the cached repositories carry no security advisories (updateinfo), so security "
        "updates cannot be told apart"
    )


def test_dnf_missing_tools() -> None:
    fact = parse(dnf_results(restart=NOT_FOUND, rpm_log=MISSING), RHEL)
    assert seen_value(fact.reboot_required) is None
    assert "needs-restarting" in (reason_text(fact.reboot_required) or "")
    assert seen_value(fact.last_update) is None
    assert (reason_text(fact.last_update) or "").startswith("/var/log/dnf.rpm.log is missing")
    with pytest.raises(FactUnavailable, match="dnf is not installed"):
        parse(dnf_results(security=NOT_FOUND), RHEL)


def test_unknown_distribution_probes_both_managers() -> None:
    collector = LinuxPatches()
    assert collector.commands(ARCH, {}) == [p.APT_LIST, p.DNF_SECURITY]
    none = {p.APT_LIST.key: NOT_FOUND, p.DNF_SECURITY.key: NOT_FOUND}
    assert collector.commands(ARCH, none) == [p.APT_LIST, p.DNF_SECURITY]
    with pytest.raises(FactUnavailable, match="no supported package manager"):
        collector.parse(none, ARCH)
    dnf_only = {p.APT_LIST.key: NOT_FOUND, p.DNF_SECURITY.key: text("")}
    assert collector.commands(ARCH, dnf_only) == list(p.DNF_COMMANDS)
    # apt answered: its commands, and the follow-up for what the listing cannot decide.
    apt_only = {p.APT_LIST.key: out("apt-list-updates-only.txt"), p.DNF_SECURITY.key: NOT_FOUND}
    asked = collector.commands(ARCH, apt_only)
    assert asked[: len(p.APT_COMMANDS)] == list(p.APT_COMMANDS)
    assert [c.key for c in asked[len(p.APT_COMMANDS) :]] == [
        "apt-cache policy apt-utils:amd64 tzdata"
    ]


def test_this_machine_for_real() -> None:
    """The collector on this machine through the local transport: every part is either
    seen or unknown with a reason."""
    if not Path("/proc/self/mountinfo").exists():
        pytest.skip("not a Linux machine")

    async def run() -> object:
        async with LocalTransport() as transport:
            platform = await transport.detect_platform()
            facts = await gather_facts(transport, platform, [LinuxPatches()], 60)
            return facts[PatchFacts]

    fact = asyncio.run(run())
    if isinstance(fact, FactUnavailable):
        assert "package manager" in fact.reason or "not installed" in fact.reason
        return
    assert isinstance(fact, PatchFacts), fact
    assert fact.manager in ("apt", "dnf")
    if seen_value(fact.pending_security_updates) is None:
        assert reason_text(fact.pending_security_updates)
    else:
        assert fact.index_refreshed is not None  # a count always comes with its index age
        assert len(fact.pending_security_names) == min(
            seen_value(fact.pending_security_updates), p.MAX_NAMES
        )
    if seen_value(fact.last_update) is None:
        assert reason_text(fact.last_update)
    else:
        assert seen_value(fact.last_update).tzinfo is not None
    if seen_value(fact.reboot_required) is None:
        assert reason_text(fact.reboot_required)
    else:
        assert fact.reboot_detail


@pytest.mark.parametrize("where", ["stderr", "stdout"])
def test_dnf_that_ignored_a_repository_without_cache_cannot_count(where: str) -> None:
    """dnf -C with skip_if_unavailable skips a repository it has no cache for and goes on
    (exit 0) without that repository's advisories. Its words, from a public report of
    `dnf -C info git` (shiftkey/desktop issue #936, Fedora 38)."""
    said = (
        "Error: Cache-only enabled but no cache for 'mwt-packages'\n"
        "Ignoring repositories: mwt-packages\n"
    )
    skipped = CommandResult(0, **{where: said})
    fact = parse(dnf_results(security=skipped), RHEL)
    assert seen_value(fact.pending_security_updates) is None
    assert reason_text(fact.pending_security_updates) == (
        "dnf skipped repositories it has no usable metadata for (mwt-packages), so their "
        "security updates are not counted; run dnf makecache"
    )
