"""Package versions compared as dpkg and rpm compare them: rpm's own test vectors
(rpm-software-management/rpm tests/rpmvercmp.at), Debian's rules (deb-version(7)), and
properties of an order that hold whatever text a host prints."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from endpoint_audit.rules.versions import compare, rpm_compare, rpmvercmp

# (a, b, rpmvercmp(a, b)) as rpm's test suite states them.
RPM_VECTORS = [
    ("1.0", "1.0", 0),
    ("1.0", "2.0", -1),
    ("2.0", "1.0", 1),
    ("2.0.1", "2.0.1", 0),
    ("2.0", "2.0.1", -1),
    ("2.0.1", "2.0", 1),
    ("2.0.1a", "2.0.1a", 0),
    ("2.0.1a", "2.0.1", 1),
    ("2.0.1", "2.0.1a", -1),
    ("5.5p1", "5.5p1", 0),
    ("5.5p1", "5.5p2", -1),
    ("5.5p2", "5.5p1", 1),
    ("5.5p10", "5.5p10", 0),
    ("5.5p1", "5.5p10", -1),
    ("5.5p10", "5.5p1", 1),
    ("10xyz", "10.1xyz", -1),
    ("10.1xyz", "10xyz", 1),
    ("xyz10", "xyz10", 0),
    ("xyz10", "xyz10.1", -1),
    ("xyz10.1", "xyz10", 1),
    ("xyz.4", "xyz.4", 0),
    ("xyz.4", "8", -1),
    ("8", "xyz.4", 1),
    ("xyz.4", "2", -1),
    ("2", "xyz.4", 1),
    ("5.5p2", "5.6p1", -1),
    ("5.6p1", "5.5p2", 1),
    ("5.6p1", "6.5p1", -1),
    ("6.5p1", "5.6p1", 1),
    ("6.0.rc1", "6.0", 1),
    ("6.0", "6.0.rc1", -1),
    ("10b2", "10a1", 1),
    ("10a2", "10b2", -1),
    ("1.0aa", "1.0aa", 0),
    ("1.0a", "1.0aa", -1),
    ("1.0aa", "1.0a", 1),
    ("10.0001", "10.0001", 0),
    ("10.0001", "10.1", 0),
    ("10.1", "10.0001", 0),
    ("10.0001", "10.0039", -1),
    ("10.0039", "10.0001", 1),
    ("4.999.9", "5.0", -1),
    ("5.0", "4.999.9", 1),
    ("20101121", "20101121", 0),
    ("20101121", "20101122", -1),
    ("20101122", "20101121", 1),
    ("2_0", "2_0", 0),
    ("2.0", "2_0", 0),
    ("2_0", "2.0", 0),
    ("a", "a", 0),
    ("a+", "a+", 0),
    ("a+", "a_", 0),
    ("a_", "a+", 0),
    ("+a", "+a", 0),
    ("+a", "_a", 0),
    ("_a", "+a", 0),
    ("+_", "+_", 0),
    ("_+", "+_", 0),
    ("_+", "_+", 0),
    ("+", "_", 0),
    ("_", "+", 0),
    ("1.0~rc1", "1.0~rc1", 0),
    ("1.0~rc1", "1.0", -1),
    ("1.0", "1.0~rc1", 1),
    ("1.0~rc1", "1.0~rc2", -1),
    ("1.0~rc2", "1.0~rc1", 1),
    ("1.0~rc1~git123", "1.0~rc1~git123", 0),
    ("1.0~rc1~git123", "1.0~rc1", -1),
    ("1.0~rc1", "1.0~rc1~git123", 1),
    ("1.0^", "1.0^", 0),
    ("1.0^", "1.0", 1),
    ("1.0", "1.0^", -1),
    ("1.0^git1", "1.0^git1", 0),
    ("1.0^git1", "1.0", 1),
    ("1.0", "1.0^git1", -1),
    ("1.0^git1", "1.0^git2", -1),
    ("1.0^git2", "1.0^git1", 1),
    ("1.0^git1", "1.01", -1),
    ("1.01", "1.0^git1", 1),
    ("1.0^20160101", "1.0^20160101", 0),
    ("1.0^20160101", "1.0.1", -1),
    ("1.0.1", "1.0^20160101", 1),
    ("1.0^20160101^git1", "1.0^20160101^git1", 0),
    ("1.0^20160102", "1.0^20160101^git1", 1),
    ("1.0^20160101^git1", "1.0^20160102", -1),
    ("1.0~rc1^git1", "1.0~rc1^git1", 0),
    ("1.0~rc1^git1", "1.0~rc1", 1),
    ("1.0~rc1", "1.0~rc1^git1", -1),
    ("1.0^git1~pre", "1.0^git1~pre", 0),
    ("1.0^git1", "1.0^git1~pre", 1),
    ("1.0^git1~pre", "1.0^git1", -1),
    # Documented there as arguably buggy, kept as rpm behaves (RhBug:811992).
    ("1b.fc17", "1b.fc17", 0),
    ("1b.fc17", "1.fc17", -1),
    ("1.fc17", "1b.fc17", 1),
    ("1g.fc17", "1g.fc17", 0),
    ("1g.fc17", "1.fc17", 1),
    ("1.fc17", "1g.fc17", -1),
]


@pytest.mark.parametrize(("a", "b", "expected"), RPM_VECTORS)
def test_rpm_vectors(a: str, b: str, expected: int) -> None:
    assert rpmvercmp(a, b) == expected


def test_rpm_epoch_and_release() -> None:
    assert compare("rpm", "1:0.17-85.el9", "0.18-1.el9") == 1  # the epoch wins
    assert compare("rpm", "0.17-85.el9", "0:0.17-85.el9") == 0  # no epoch is 0
    assert compare("rpm", "2.34-100.el9_4.2", "2.34-100.el9_4.10") == -1
    assert compare("rpm", "2.34-100.el9", "2.34") == 0  # no release given: not compared
    assert rpm_compare("2.34-99", "2.34-100") == -1


def test_dpkg_epoch_upstream_revision() -> None:
    assert compare("dpkg", "1:1.0-1", "2.0-1") == 1  # the epoch wins
    assert compare("dpkg", "1.0~rc1-1", "1.0-1") == -1  # ~ before the end
    assert compare("dpkg", "2.36.1-8+deb12u1", "2.36.1-8") == 1
    assert compare("dpkg", "1.0", "1.0-0") == 0  # no revision is "0"
    assert compare("dpkg", "0.17+2.4-2+deb12u3", "0.17+2.4-2+deb12u10") == -1
    assert compare("dpkg", "1.0a", "1.0+") == -1  # letters before other characters


def test_text_that_is_no_version_is_not_compared() -> None:
    for bad in ("", "(none)", "1.0 2.0", "1:", "abc", "1.0\n", "x" * 300):
        assert compare("dpkg", bad, "1.0") is None
    for bad in ("", "(none)", "1.0 2.0", "a:1.0", "1.0\n", "x" * 300):
        assert compare("rpm", bad, "1.0") is None


VERSIONS = st.from_regex(r"\A[0-9][0-9a-z.+~]{0,12}(-[0-9a-z.+~]{1,6})?\Z")
RPM_VERSIONS = st.from_regex(r"\A[0-9a-z._+~^]{1,12}(-[0-9a-z._+~^]{1,6})?\Z")


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["dpkg", "rpm"]), VERSIONS, VERSIONS, VERSIONS)
def test_an_order(scheme: str, a: str, b: str, c: str) -> None:
    """Reflexive, antisymmetric and transitive: a comparison a rule can rely on."""
    ab, ba = compare(scheme, a, b), compare(scheme, b, a)  # type: ignore[arg-type]
    assert compare(scheme, a, a) == 0  # type: ignore[arg-type]
    assert ab is not None and ba is not None and ab == -ba
    bc, ac = compare(scheme, b, c), compare(scheme, a, c)  # type: ignore[arg-type]
    if ab is not None and bc is not None and ab <= 0 and bc <= 0:
        assert ac is not None and ac <= 0


@settings(max_examples=300, deadline=None)
@given(RPM_VERSIONS, RPM_VERSIONS)
def test_rpm_antisymmetric(a: str, b: str) -> None:
    assert rpm_compare(a, b) == -rpm_compare(b, a)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40))
def test_any_text_a_host_prints_never_raises(a: str, b: str) -> None:
    for scheme in ("dpkg", "rpm"):
        assert compare(scheme, a, b) in (-1, 0, 1, None)  # type: ignore[arg-type]
