"""Property: `apt list --upgradable --all-versions` (what a probe script runs in place of
a scan's `apt-cache policy` follow-ups) is hostile input. Whatever reordering,
truncation or junk it comes with, the parser never counts fewer pending security updates
than its lines prove (packages whose candidate line is from a security suite), and never
reports a count, zero above all, from a line it could not read. On a listing in apt's
form (versions newest first: apt-private/private-list.cc, apt-pkg/pkgcachegen.cc) it
counts exactly the packages with a security version above the installed one, up to the
candidate, as update-notifier's apt-check does."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from endpoint_audit.checks.patch_level import linux as p
from endpoint_audit.model.observed import Seen

SUITES = ["jammy-updates", "jammy-security", "jammy-updates,jammy-security", "jammy", "ppa"]


@dataclass(frozen=True)
class Package:
    name: str
    arch: str
    suites: tuple[str, ...]  # of each version, newest first
    candidate: int  # index of the candidate; the installed version is below it
    installed: int

    def lines(self) -> list[str]:
        out = []
        for i, suites in enumerate(self.suites):
            version = f"1.{len(self.suites) - i}"
            status = ""
            if i == self.candidate:
                status = f" [upgradable from: 1.{len(self.suites) - self.installed}]"
            if i == self.installed:
                suites = f"{suites},now" if suites != "ppa" else "now"
                status = f" [installed,upgradable to: 1.{len(self.suites) - self.candidate}]"
            out.append(f"{self.name}/{suites} {version} {self.arch}{status}")
        return out

    @property
    def security(self) -> bool:
        between = self.suites[self.candidate : self.installed]
        return any("-security" in s for s in between)


@st.composite
def packages(draw: st.DrawFn, name: str) -> Package:
    suites = tuple(draw(st.lists(st.sampled_from(SUITES), min_size=2, max_size=5)))
    installed = draw(st.integers(1, len(suites) - 1))
    candidate = draw(st.integers(0, installed - 1))
    arch = draw(st.sampled_from(["amd64", "all", "i386"]))
    return Package(name, arch, suites, candidate, installed)


NAMES = ["openssl", "curl", "libc6", "sudo", "vim", "tzdata"]
LISTINGS = st.lists(st.sampled_from(NAMES), unique=True, max_size=6).flatmap(
    lambda names: st.tuples(*(packages(n) for n in names))
)


def listing(pkgs: tuple[Package, ...]) -> list[str]:
    lines = ["", "WARNING: apt does not have a stable CLI interface.", "", "Listing..."]
    for pkg in pkgs:
        lines += [*pkg.lines(), ""]
    return lines


def proven(text: str) -> int:
    """Packages whose candidate line itself is from a security suite."""
    names = set()
    for line in text.splitlines():
        match = p._APT_VERSION_LINE.match(line.strip())
        if match and (match["status"] or "").startswith("upgradable from: "):
            if any("-security" in s for s in match["suites"].split(",")):
                names.add(match["name"])
    return len(names)


@settings(max_examples=300, deadline=None)
@given(LISTINGS)
def test_apt_s_own_form_counts_exactly(pkgs: tuple[Package, ...]) -> None:
    pending = p.parse_apt_all_versions("\n".join(listing(pkgs)))
    assert isinstance(pending.count, Seen), pending
    assert pending.count.value == sum(pkg.security for pkg in pkgs)
    assert pending.names == tuple(sorted(pkg.name for pkg in pkgs if pkg.security))
    assert pending.total == len(pkgs)


JUNK = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "E: something unexpected",
            "openssl/jammy-security 1.9 amd64",
            "openssl/now 1.1 amd64 [installed,automatic]",
            "curl/jammy-updates 1.9 amd64 [upgradable from: 1.1]",
            "N: There is 1 additional version.",
        ]
    ),
)


def mangled(
    lines: list[str], data: st.DataObject, how: str, junk: st.SearchStrategy[str]
) -> list[str]:
    """`lines` shuffled, cut short, with a `junk` line inserted or one line dropped, as
    `how` says; any other `how` leaves them as they are."""
    if how == "shuffle":
        return list(data.draw(st.permutations(lines)))
    if how == "truncate":
        return lines[: data.draw(st.integers(0, len(lines)))]
    if how == "junk":
        at = data.draw(st.integers(0, len(lines)))
        return [*lines[:at], data.draw(junk), *lines[at:]]
    if how == "drop" and lines:
        at = data.draw(st.integers(0, len(lines) - 1))
        return [*lines[:at], *lines[at + 1 :]]
    return lines


@settings(max_examples=500, deadline=None)
@given(
    LISTINGS,
    st.data(),
    st.sampled_from(["shuffle", "truncate", "junk", "drop", "blocks"]),
)
def test_mangled_listings_never_count_fewer_than_proven(
    pkgs: tuple[Package, ...], data: st.DataObject, how: str
) -> None:
    lines = mangled(listing(pkgs), data, how, JUNK)
    if how == "blocks":
        # Whole packages in another order: the same count.
        order = data.draw(st.permutations(pkgs))
        lines = listing(tuple(order))
    text = "\n".join(lines)
    pending = p.parse_apt_all_versions(text)
    if not isinstance(pending.count, Seen):
        return
    assert pending.count.value >= proven(text)
    for line in text.splitlines():
        line = line.strip()
        assert not line or line.startswith(p._APT_NOISE) or p._APT_VERSION_LINE.match(line)
    if how == "blocks":
        assert pending.count.value == sum(pkg.security for pkg in pkgs)
