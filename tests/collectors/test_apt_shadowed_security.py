"""apt: a security fix hidden behind a newer version of another suite.

A package whose `<suite>-security` version sits between the installed version and a
still newer candidate from `-updates` (an SRU after the fix, a point release, a PPA):
`apt list --upgradable` shows only the candidate, whose suites lack `-security`, while
the security fix is pending all the same. Ubuntu's update-notifier (`apt-check`) counts
such a package as a security update; so must we. The listings are in apt's format
(apt-private/private-list.cc, private-output.cc: `name/suites version arch [status]`,
versions newest first), with Ubuntu 22.04 version numbers; not from a capture."""

from __future__ import annotations

from endpoint_audit.checks.patch_level.linux import LinuxPatches
from endpoint_audit.model.commands import CommandResult
from endpoint_audit.model.observed import Seen
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from tests.collectors.test_patches_linux import apt_results

UBUNTU = PlatformInfo(family=OsFamily.LINUX, distro="ubuntu", distro_like=("debian",))

# What the host shows, both ways: the candidate only, and every version.
PLAIN = """Listing...
openssl/jammy-updates 3.0.2-0ubuntu1.14 amd64 [upgradable from: 3.0.2-0ubuntu1.10]
"""
ALL_VERSIONS = """Listing...
openssl/jammy-updates 3.0.2-0ubuntu1.14 amd64 [upgradable from: 3.0.2-0ubuntu1.10]
openssl/jammy-security 3.0.2-0ubuntu1.12 amd64
openssl/now 3.0.2-0ubuntu1.10 amd64 [installed,upgradable to: 3.0.2-0ubuntu1.14]

"""


def test_a_security_version_below_a_newer_updates_candidate_is_pending() -> None:
    results = apt_results()
    results["apt list --upgradable"] = CommandResult(0, stdout=PLAIN)
    results["apt list --upgradable --all-versions"] = CommandResult(0, stdout=ALL_VERSIONS)
    fact = LinuxPatches().parse(results, UBUNTU)
    pending = fact.pending_security_updates
    assert isinstance(pending, Seen), pending
    assert pending.value == 1  # not 0: that would pass the check
    assert fact.pending_security_names == ("openssl",)
    assert fact.pending_updates == 1
