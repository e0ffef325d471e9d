"""Property: the apt parser never reports a value as seen that it could not read. On
arbitrary output of every command it asks for, a pending count is seen only when every
line of `apt list` (and of the `apt-cache policy` follow-up, or of a probe script's
all-versions listing) was read and a security suite's list gives the index age (from a
recording with the candidates only, "none" only when nothing is upgradable at all); a last
update only when a log records an upgrade; "no restart pending" only with evidence
(a hook that keeps the flag, or the running kernel among the images). Whatever is
unknown carries a patch_level reason that renders in both languages."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from endpoint_audit.checks.patch_level import linux as p
from endpoint_audit.checks.patch_level.facts import PatchFacts
from endpoint_audit.model import i18n
from endpoint_audit.model.commands import CommandResult
from endpoint_audit.model.observed import Reason, Seen, Unknown
from endpoint_audit.model.platform import OsFamily, PlatformInfo

DEBIAN = PlatformInfo(family=OsFamily.LINUX, distro="debian")
APT_LINES = [
    "Listing...",
    "openssl/jammy-security 3.0.2-0ubuntu1.15 amd64 [upgradable from: 3.0.2-0ubuntu1.14]",
    "curl/jammy-updates 7.81.0-1ubuntu1.16 amd64 [upgradable from: 7.81.0-1ubuntu1.15]",
    "bash/bookworm-security,bookworm 5.2.15-2+b7 amd64",
    "openssl/now 3.0.2-0ubuntu1.14 amd64 [installed,upgradable to: 3.0.2-0ubuntu1.15]",
    "WARNING: apt does not have a stable CLI interface.",
    "",
]
RELEASE_LINES = [
    "1709880000.5 /var/lib/apt/lists/security.debian.org_dists_bookworm-security_InRelease",
    "1709880000 /var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease",
]
POLICY_LINES = [
    "curl:",
    "  Installed: 7.81.0-1ubuntu1.15",
    "  Candidate: 7.81.0-1ubuntu1.16",
    "  Version table:",
    "     7.81.0-1ubuntu1.16 500",
    "        500 http://archive.ubuntu.com/ubuntu jammy-updates/main amd64 Packages",
    "     7.81.0-1ubuntu1.16 500",
    "        500 http://security.ubuntu.com/ubuntu jammy-security/main amd64 Packages",
    " *** 7.81.0-1ubuntu1.15 100",
    "        100 /var/lib/dpkg/status",
]
HISTORY_LINES = [
    "Start-Date: 2024-03-08  12:00:01",
    "Upgrade: openssl:amd64 (3.0.2-0ubuntu1.14, 3.0.2-0ubuntu1.15)",
    "Install: htop:amd64 (3.0.5-7build2)",
    "Error: Sub-process /usr/bin/dpkg returned an error code (1)",
    "End-Date: 2024-03-08  12:03:19",
]


def _lines(pool: list[str]) -> st.SearchStrategy[str]:
    line = st.one_of(st.sampled_from(pool), st.text(max_size=60))
    return st.lists(line, max_size=8).map("\n".join)


def _result(output: st.SearchStrategy[str]) -> st.SearchStrategy[CommandResult]:
    return st.builds(
        lambda status, out: CommandResult(status, stdout=out),
        st.sampled_from([0, 0, 0, 1, 2, 100, 127]),
        output,
    )


ANY = _lines(["", "x"])


@settings(max_examples=300, deadline=None)
@given(
    mode=st.sampled_from(["live", "script", "old"]),
    apt_list=_result(_lines(APT_LINES)),
    policy=_result(_lines(POLICY_LINES)),
    lists=_result(_lines(RELEASE_LINES)),
    history=_result(_lines(HISTORY_LINES)),
    dpkg=_result(ANY),
    offset=_result(st.sampled_from(["+0900", "-0500", "", "garbage"])),
    flag=_result(ANY),
    hooks=_result(st.sampled_from(["", "update-notifier\n", "zz-update-grub\n"])),
    running=_result(st.sampled_from(["6.1.0-18-amd64", "", "x"])),
    images=_result(st.sampled_from(["", "vmlinuz-6.1.0-18-amd64\n", "vmlinuz-6.1.0-20-amd64"])),
)
def test_apt_parse_sees_only_what_it_read(
    mode: str,
    apt_list: CommandResult,
    policy: CommandResult,
    lists: CommandResult,
    history: CommandResult,
    dpkg: CommandResult,
    offset: CommandResult,
    flag: CommandResult,
    hooks: CommandResult,
    running: CommandResult,
    images: CommandResult,
) -> None:
    if apt_list.not_found:
        return  # apt missing: the fact family is unavailable, tested elsewhere
    results = {
        # A probe script's bundle (the all-versions listing beside the candidates), or a
        # recording with the candidates only (no policy follow-up).
        **({p.APT_ALL.key: apt_list} if mode == "script" else {}),
        p.APT_LIST.key: apt_list,
        p.APT_LISTS.key: lists,
        p.APT_HISTORY.key: history,
        p.DPKG_LOG.key: dpkg,
        p.UTC_OFFSET.key: offset,
        p.REBOOT_FLAG.key: flag,
        p.REBOOT_PKGS.key: CommandResult(1),
        p.KERNEL_HOOKS.key: hooks,
        p.KERNEL_RUNNING.key: running,
        p.KERNEL_IMAGES.key: images,
    }
    upgradable = p.parse_apt_upgradable(apt_list.stdout)
    follow_ups = [] if isinstance(upgradable, Reason) else p.policy_commands(upgradable)
    if mode == "live":
        results.update((c.key, policy) for c in follow_ups)
    full = mode == "script"
    fact = p.LinuxPatches().parse(results, DEBIAN)
    pending = fact.pending_security_updates
    if isinstance(pending, Seen):
        assert apt_list.ok
        for line in apt_list.stdout.splitlines():
            line = line.strip()
            skipped = not line or line.startswith(("Listing...", "N: ", "WARNING:", "W: "))
            assert skipped or (p._APT_VERSION_LINE if full else p._APT_LINE).match(line), line
        if mode == "live" and follow_ups:
            assert policy.ok
            for line in policy.stdout.splitlines():
                assert (
                    not line.strip()
                    or any(
                        r.match(line)
                        for r in (
                            p._POLICY_HEADER,
                            p._POLICY_FIELD,
                            p._POLICY_VERSION,
                            p._POLICY_SOURCE,
                        )
                    )
                    or line == "  Version table:"
                ), line
        assert pending.value == len(fact.pending_security_names)
        if (
            mode == "old" or (mode == "live" and follow_ups and not policy.ok)
        ) and pending.value == 0:
            assert fact.pending_updates == 0  # candidates only: "none" beside others unknown
        assert fact.index_refreshed is not None and "security" in (fact.index_source or "")
    else:
        assert fact.index_refreshed is None
    if isinstance(fact.last_update, Seen):
        logged = (history.ok and "Upgrade:" in history.stdout) or (
            dpkg.ok and " upgrade " in dpkg.stdout
        )
        assert logged
    if isinstance(fact.reboot_required, Seen) and fact.reboot_required.value is False:
        assert flag.exit_status == 1  # no flag file, and...
        assert (hooks.ok and "update-notifier" in hooks.stdout) or (
            running.stdout.strip() and running.stdout.strip() in images.stdout
        )
    _assert_reasons_render(fact)


def _assert_reasons_render(fact: PatchFacts) -> None:
    for value in (fact.pending_security_updates, fact.last_update, fact.reboot_required):
        if isinstance(value, Unknown):
            key = value.reason.key
            assert key.startswith("patch_level.reason."), key
            for lang in ("en", "ja"):
                assert i18n.render_message(lang, key, dict(value.reason.args)), (lang, key)
