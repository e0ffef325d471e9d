"""Property: `apt-cache policy` output is hostile input. For upgradable packages whose
candidate is not from a security suite, the collector asks for their version tables; in
apt's form (Debian/apt cmdline/apt-cache.cc, Policy: versions in VersionList order,
newest first, as apt-pkg/pkgcachegen.cc keeps it; the installed one marked `***`; each
version's sources below it) the count is exactly the packages with a security version
above the installed one, up to the candidate. Whatever reordering, truncation, dropped
lines or junk the tables come with, a count is either unknown or never below what
`apt list --upgradable` proves (the security candidates), and never read past a line
that is not apt's."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from endpoint_audit.checks.patch_level import linux as p
from endpoint_audit.model.commands import CommandResult
from endpoint_audit.model.observed import Reason, Seen
from tests.collectors.test_apt_all_versions_property import LISTINGS, Package, mangled


def _version(pkg: Package, i: int) -> str:
    return f"1.{len(pkg.suites) - i}"


def apt_list(pkgs: tuple[Package, ...]) -> str:
    lines = ["", "WARNING: apt does not have a stable CLI interface.", "", "Listing..."]
    lines += [
        f"{pkg.name}/{pkg.suites[pkg.candidate]} {_version(pkg, pkg.candidate)} {pkg.arch}"
        f" [upgradable from: {_version(pkg, pkg.installed)}]"
        for pkg in pkgs
    ]
    return "\n".join(lines) + "\n"


def policy_block(pkg: Package) -> list[str]:
    # apt names a package with its architecture only when foreign (amd64 is native).
    header = f"{pkg.name}:i386:" if pkg.arch == "i386" else f"{pkg.name}:"
    lines = [
        header,
        f"  Installed: {_version(pkg, pkg.installed)}",
        f"  Candidate: {_version(pkg, pkg.candidate)}",
        "  Version table:",
    ]
    for i, suites in enumerate(pkg.suites):
        mark = " *** " if i == pkg.installed else "     "
        lines.append(f"{mark}{_version(pkg, i)} 500")
        for suite in suites.split(","):
            uri = (
                "http://ppa.launchpadcontent.net/x/y/ubuntu"
                if suite == "ppa"
                else ("http://archive.ubuntu.com/ubuntu")
            )
            lines.append(f"        500 {uri} {suite}/main amd64 Packages")
        if i == pkg.installed:
            lines.append("        100 /var/lib/dpkg/status")
    return lines


def undecided(pkgs: tuple[Package, ...]) -> tuple[Package, ...]:
    return tuple(pkg for pkg in pkgs if "-security" not in pkg.suites[pkg.candidate])


def results_of(pkgs: tuple[Package, ...], policy_lines: list[str]) -> dict[str, CommandResult]:
    listing = apt_list(pkgs)
    results = {p.APT_LIST.key: CommandResult(0, stdout=listing)}
    upgradable = p.parse_apt_upgradable(listing)
    assert not isinstance(upgradable, Reason)
    commands = p.policy_commands(upgradable)
    assert len(commands) == (1 if undecided(pkgs) else 0)  # nothing to ask: no follow-up
    for command in commands:
        results[command.key] = CommandResult(0, stdout="\n".join(policy_lines) + "\n")
    return results


def tables(pkgs: tuple[Package, ...]) -> list[str]:
    return [line for pkg in undecided(pkgs) for line in policy_block(pkg)]


@settings(max_examples=300, deadline=None)
@given(LISTINGS)
def test_apt_s_own_form_counts_exactly(pkgs: tuple[Package, ...]) -> None:
    pending = p.apt_pending(results_of(pkgs, tables(pkgs)))
    assert isinstance(pending.count, Seen), pending
    assert pending.names == tuple(sorted(pkg.name for pkg in pkgs if pkg.security))
    assert pending.total == len(pkgs) and not pending.partial


JUNK = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "E: something unexpected",
            "     1.9 500",
            " *** 1.1 100",
            "        500 http://security.ubuntu.com/ubuntu jammy-security/main amd64 Packages",
            "  Candidate: 1.9",
            "openssl:",
            "  Version table:",
        ]
    ),
)


@settings(max_examples=500, deadline=None)
@given(
    LISTINGS,
    st.data(),
    st.sampled_from(["shuffle", "truncate", "junk", "drop", "blocks"]),
)
def test_mangled_tables_never_count_fewer_than_proven(
    pkgs: tuple[Package, ...], data: st.DataObject, how: str
) -> None:
    lines = mangled(tables(pkgs), data, how, JUNK)
    if how == "blocks":
        # Whole packages in another order: the same count.
        lines = [
            line
            for pkg in data.draw(st.permutations(undecided(pkgs)))
            for line in policy_block(pkg)
        ]
    pending = p.apt_pending(results_of(pkgs, lines))
    if not isinstance(pending.count, Seen):
        return
    proven = {pkg.name for pkg in pkgs if "-security" in pkg.suites[pkg.candidate]}
    assert set(pending.names) >= proven
    for line in lines if undecided(pkgs) else []:  # no follow-up: nothing read
        assert (
            not line.strip()
            or line.startswith(("N: ", "W: "))
            or (
                p._POLICY_HEADER.match(line)
                or p._POLICY_FIELD.match(line)
                or p._POLICY_VERSION.match(line)
                or p._POLICY_SOURCE.match(line)
                or line == "  Version table:"
            )
        ), line
    if how == "blocks":
        assert pending.names == tuple(sorted(pkg.name for pkg in pkgs if pkg.security))


@settings(max_examples=200, deadline=None)
@given(LISTINGS, st.data())
def test_a_security_source_dropped_from_its_only_line_is_unknown_not_fewer(
    pkgs: tuple[Package, ...], data: st.DataObject
) -> None:
    """A version apt lists always has a source: one left without any is not apt's."""
    lines = tables(pkgs)
    only = [
        i
        for i, line in enumerate(lines)
        if "-security/" in line
        and not lines[i - 1].startswith("        ")
        and (i + 1 == len(lines) or not lines[i + 1].startswith("        "))
    ]
    if not only:
        return
    del lines[data.draw(st.sampled_from(only))]
    pending = p.apt_pending(results_of(pkgs, lines))
    assert not isinstance(pending.count, Seen)
