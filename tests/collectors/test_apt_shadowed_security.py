"""apt: a security fix hidden behind a newer version of another suite.

A package whose `<suite>-security` version sits between the installed version and a
still newer candidate from `-updates` (an SRU after the fix, a point release, a PPA):
`apt list --upgradable` shows only the candidate, whose suites lack `-security`, while
the security fix is pending all the same. Ubuntu's update-notifier (`apt-check`) counts
such a package as a security update; so must we. A scan asks `apt-cache policy` for such
a package (Debian/apt cmdline/apt-cache.cc, Policy: the version table newest first, the
installed version marked `***`, each version's sources below it); a probe script runs
`apt list --upgradable --all-versions` (apt-private/private-list.cc, private-output.cc:
`name/suites version arch [status]`, versions newest first). Both are built in apt's
format with Ubuntu 22.04 version numbers; not from a capture."""

from __future__ import annotations

from endpoint_audit.checks.patch_level.linux import LinuxPatches
from endpoint_audit.model.commands import CommandResult
from endpoint_audit.model.observed import Seen
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from tests.collectors.test_patches_linux import apt_results

UBUNTU = PlatformInfo(family=OsFamily.LINUX, distro="ubuntu", distro_like=("debian",))

# What the host shows: the candidate only, every version of it, or the policy table.
PLAIN = """Listing...
openssl/jammy-updates 3.0.2-0ubuntu1.14 amd64 [upgradable from: 3.0.2-0ubuntu1.10]
"""
POLICY = """openssl:
  Installed: 3.0.2-0ubuntu1.10
  Candidate: 3.0.2-0ubuntu1.14
  Version table:
     3.0.2-0ubuntu1.14 500
        500 http://archive.ubuntu.com/ubuntu jammy-updates/main amd64 Packages
     3.0.2-0ubuntu1.12 500
        500 http://security.ubuntu.com/ubuntu jammy-security/main amd64 Packages
 *** 3.0.2-0ubuntu1.10 100
        100 /var/lib/dpkg/status
     3.0.2-0ubuntu1 500
        500 http://archive.ubuntu.com/ubuntu jammy/main amd64 Packages
"""
ALL_VERSIONS = """Listing...
openssl/jammy-updates 3.0.2-0ubuntu1.14 amd64 [upgradable from: 3.0.2-0ubuntu1.10]
openssl/jammy-security 3.0.2-0ubuntu1.12 amd64
openssl/now 3.0.2-0ubuntu1.10 amd64 [installed,upgradable to: 3.0.2-0ubuntu1.14]

"""


def _assert_one_pending(results: dict[str, CommandResult]) -> None:
    fact = LinuxPatches().parse(results, UBUNTU)
    pending = fact.pending_security_updates
    assert isinstance(pending, Seen), pending
    assert pending.value == 1  # not 0: that would pass the check
    assert fact.pending_security_names == ("openssl",)
    assert fact.pending_updates == 1


def test_a_security_version_below_a_newer_updates_candidate_is_pending() -> None:
    results = apt_results()
    results["apt list --upgradable"] = CommandResult(0, stdout=PLAIN)
    results["apt-cache policy openssl:amd64"] = CommandResult(0, stdout=POLICY)
    _assert_one_pending(results)


def test_the_same_from_a_probe_script_s_all_versions_listing() -> None:
    results = apt_results()
    results["apt list --upgradable"] = CommandResult(0, stdout=PLAIN)
    results["apt list --upgradable --all-versions"] = CommandResult(0, stdout=ALL_VERSIONS)
    _assert_one_pending(results)
