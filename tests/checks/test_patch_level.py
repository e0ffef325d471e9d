"""patch_level: three outcomes (pending, age, reboot), every branch with its message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from endpoint_audit.checkkit.check import EvalContext, FactView, Outcome
from endpoint_audit.checks import builtin_packages
from endpoint_audit.checks.patch_level.check import PatchLevel
from endpoint_audit.checks.patch_level.facts import PatchFacts
from endpoint_audit.checks.patch_level.linux import dnf_index_age
from endpoint_audit.engine.run import message_args
from endpoint_audit.model import i18n
from endpoint_audit.model.commands import CommandResult
from endpoint_audit.model.observed import Reason, Seen, Unknown, seen, unknown
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.model.result import Severity, Status

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CTX = EvalContext(platform=PlatformInfo(family=OsFamily.LINUX), now=NOW)
GOOD = PatchFacts(
    manager="apt",
    pending_security_updates=seen(0),
    pending_updates=3,
    index_refreshed=NOW - timedelta(hours=5),
    index_source="/var/lib/apt/lists/security.ubuntu.com_ubuntu_dists_jammy-security_InRelease",
    last_update=seen(NOW - timedelta(days=2, hours=1)),
    last_update_source="/var/log/apt/history.log",
    reboot_required=seen(False),
    reboot_detail="no /var/run/reboot-required (kept by update-notifier)",
)


def run(fact: PatchFacts, **params: Any) -> dict[str, Outcome]:
    check = PatchLevel()
    outcomes = list(check.evaluate(FactView({PatchFacts: fact}), check.Params(**params), CTX))
    assert [o.resource for o in outcomes] == [
        "pending_security_updates",
        "days_since_update",
        "reboot_required",
    ]
    return {o.resource or "": o for o in outcomes}


def pending(fact: PatchFacts, **params: Any) -> Outcome:
    return run(fact, **params)["pending_security_updates"]


def age(fact: PatchFacts, **params: Any) -> Outcome:
    return run(fact, **params)["days_since_update"]


def reboot(fact: PatchFacts, **params: Any) -> Outcome:
    return run(fact, **params)["reboot_required"]


def message(outcome: Outcome, lang: str = "en") -> str:
    return i18n.t(lang, f"patch_level.msg.{outcome.key}", **message_args(outcome.args, lang))


OBSERVED = ("pending_security_updates", "last_update", "reboot_required", "os_build")


def with_(**changes: Any) -> PatchFacts:
    """GOOD with `changes`; a plain value of an Observed field is taken as seen."""
    for name in OBSERVED:
        if name in changes and not isinstance(changes[name], Seen | Unknown):
            changes[name] = seen(changes[name])
    return GOOD.model_copy(update=changes)


def test_registered_with_texts_and_high_default() -> None:
    assert PatchLevel in [p.check for p in builtin_packages()]
    assert PatchLevel.meta.severity is Severity.HIGH
    params = PatchLevel.Params()
    assert params.model_dump() == {
        "max_pending_security_updates": 0,
        "max_days_since_update": 30,
        "allow_reboot_pending": False,
        "monthly_update_grace_days": 30,
    }
    assert PatchLevel.meta.title["ja"] == "セキュリティ更新が適用され、再起動も済んでいる"


def test_a_patched_pc_passes_all_three() -> None:
    outcomes = run(GOOD)
    assert all(o.status is Status.PASS for o in outcomes.values())
    assert message(outcomes["pending_security_updates"]) == (
        "Security updates waiting to be installed: 0 (allowed: 0; apt)."
    )
    assert message(outcomes["days_since_update"]) == (
        "Days since updates were last installed: 2, on 2026-02-27 (allowed: 30; "
        "from /var/log/apt/history.log)."
    )
    assert message(outcomes["reboot_required"]) == (
        "No restart is pending (no /var/run/reboot-required (kept by update-notifier))."
    )
    assert message(outcomes["pending_security_updates"], "ja") == (
        "インストール待ちのセキュリティ更新は 0 件です（許容: 0 件、apt）。"
    )


# --- pending security updates ----------------------------------------------------------


def test_pending_security_updates_fail_with_names() -> None:
    names = tuple(f"pkg{i:02d}" for i in range(12))
    outcome = pending(with_(pending_security_updates=12, pending_security_names=names))
    assert outcome.status is Status.FAIL
    assert message(outcome) == (
        "Security updates waiting to be installed: 12 (allowed: 0): pkg00, pkg01, pkg02, "
        "pkg03, pkg04, pkg05, pkg06, pkg07, pkg08, pkg09 (+2)."
    )


def test_pending_within_the_allowed_number_passes() -> None:
    fact = with_(pending_security_updates=2, pending_security_names=("a", "b"))
    assert pending(fact, max_pending_security_updates=2).status is Status.PASS
    assert pending(fact, max_pending_security_updates=1).status is Status.FAIL


def test_apt_lower_bound_fails_above_the_limit_and_is_unknown_within_it() -> None:
    # A recording with apt's candidates only, other updates waiting (linux.py).
    partial = with_(pending_security_updates=2, pending_incomplete=True, pending_updates=5)
    assert pending(partial).status is Status.FAIL
    within = pending(partial, max_pending_security_updates=3)
    assert (within.status, within.key) == (Status.UNKNOWN, "pending_incomplete_apt")
    assert "candidate versions" in message(within) and "2 security updates" in message(within)
    assert "候補版" in message(within, "ja")


def test_stale_index_makes_zero_pending_unknown() -> None:
    fact = with_(index_refreshed=NOW - timedelta(days=9, hours=2))
    outcome = pending(fact)
    assert outcome.status is Status.UNKNOWN
    assert message(outcome) == (
        "Security updates waiting according to apt: 0, but its update list was last "
        f"refreshed on {(NOW - timedelta(days=9, hours=2)):%Y-%m-%d}, 9 days ago (more than "
        "7), so newer updates would not show; refresh it (apt update, dnf makecache, a "
        "Windows Update search, or Software Update in System Settings on a Mac) and scan "
        "again. List: "
        "/var/lib/apt/lists/security.ubuntu.com_ubuntu_dists_jammy-security_InRelease."
    )


def test_stale_index_still_fails_when_updates_are_already_pending() -> None:
    fact = with_(
        index_refreshed=NOW - timedelta(days=40),
        pending_security_updates=1,
        pending_security_names=("openssl",),
    )
    outcome = pending(fact)
    assert outcome.status is Status.FAIL
    assert message(outcome) == "Security updates waiting to be installed: 1 (allowed: 0): openssl."


def test_index_exactly_seven_days_old_is_still_trusted() -> None:
    assert pending(with_(index_refreshed=NOW - timedelta(days=7))).status is Status.PASS


def test_pending_count_not_seen_is_unknown_with_reason() -> None:
    fact = with_(
        manager="dnf",
        pending_security_updates=unknown("patch_level.reason.dnf_metadata_missing"),
        index_refreshed=None,
    )
    outcome = pending(fact)
    assert outcome.status is Status.UNKNOWN
    assert message(outcome) == (
        "Pending security updates could not be counted (dnf): no cached dnf repository "
        "metadata was found; run dnf makecache."
    )
    assert message(outcome, "ja") == (
        "インストール待ちのセキュリティ更新の数を確認できませんでした（dnf）: dnf のリポジトリの"
        "メタデータのキャッシュが見つかりません。dnf makecache を実行してください。"
    )


def test_live_count_without_an_index_time_is_trusted() -> None:
    # Collectors that query live (no local index) leave index_refreshed unset.
    fact = with_(manager="softwareupdate", index_refreshed=None, index_source=None)
    assert pending(fact).status is Status.PASS


# --- days since the last update --------------------------------------------------------


def test_old_last_update_fails() -> None:
    fact = with_(last_update=datetime(2026, 1, 15, 9, 0, tzinfo=UTC))
    outcome = age(fact)
    assert outcome.status is Status.FAIL
    assert message(outcome) == (
        "Days since updates were last installed: 45, on 2026-01-15 (allowed: 30; "
        "from /var/log/apt/history.log)."
    )
    assert message(outcome, "ja") == (
        "最後に更新を適用したのは 45 日前（2026-01-15）です（許容: 30 日、"
        "/var/log/apt/history.log による）。"
    )


def test_age_boundary_counts_whole_days() -> None:
    thirty = with_(last_update=NOW - timedelta(days=30, hours=23))
    assert age(thirty).status is Status.PASS
    thirty_one = with_(last_update=NOW - timedelta(days=31))
    assert age(thirty_one).status is Status.FAIL
    assert age(thirty_one, max_days_since_update=31).status is Status.PASS


def test_age_uses_the_run_clock_not_the_wall_clock() -> None:
    # NOW is in 2026; a 2026-02-27 update is 2 days old whatever today is.
    assert age(GOOD).args["days"] == 2


def test_naive_timestamps_are_read_as_utc() -> None:
    fact = with_(last_update=datetime(2026, 2, 20, 12, 0))
    assert age(fact).args["days"] == 9


def test_last_update_not_seen_is_unknown() -> None:
    fact = with_(
        last_update=unknown("patch_level.reason.apt_upgrade_not_logged"),
        last_update_source=None,
    )
    outcome = age(fact)
    assert outcome.status is Status.UNKNOWN
    assert message(outcome) == (
        "When updates were last installed could not be seen: neither /var/log/apt/history.log "
        "nor /var/log/dpkg.log records an upgrade of an installed package (the logs may have "
        "been rotated; plain installs do not count)."
    )


def test_last_update_in_the_future_is_not_believed() -> None:
    fact = with_(last_update=NOW + timedelta(days=3))
    outcome = age(fact)
    assert outcome.status is Status.UNKNOWN
    assert message(outcome) == (
        "The last update time (2026-03-04 12:00 UTC, from /var/log/apt/history.log) lies in "
        "the future; the PC's clock may be wrong."
    )
    # A few hours ahead (time zones, small skew) is fine.
    assert age(with_(last_update=NOW + timedelta(hours=3))).status is Status.PASS


# --- reboot ----------------------------------------------------------------------------


def test_pending_reboot_fails_unless_allowed() -> None:
    fact = with_(
        reboot_required=True,
        reboot_detail="/var/run/reboot-required is present (for linux-image-5.15.0-101-generic)",
    )
    outcome = reboot(fact)
    assert outcome.status is Status.FAIL
    assert message(outcome) == (
        "Installed updates wait for a restart: /var/run/reboot-required is present "
        "(for linux-image-5.15.0-101-generic)."
    )
    allowed = reboot(fact, allow_reboot_pending=True)
    assert allowed.status is Status.PASS
    assert message(allowed) == (
        "Installed updates wait for a restart, which the baseline allows: "
        "/var/run/reboot-required is present (for linux-image-5.15.0-101-generic)."
    )


def test_reboot_not_seen_is_unknown_even_when_allowed() -> None:
    fact = with_(
        reboot_required=unknown("patch_level.reason.needs_restarting_missing"),
        reboot_detail=None,
    )
    for params in ({}, {"allow_reboot_pending": True}):
        outcome = reboot(fact, **params)
        assert outcome.status is Status.UNKNOWN
        assert message(outcome) == (
            "Whether a restart is pending could not be seen: needs-restarting (package "
            "dnf-utils or yum-utils) is not installed."
        )


def test_a_fact_without_its_values_is_refused_and_unknown_ones_never_pass() -> None:
    # A collector must say, for each value, what it saw or why it could not: no default.
    with pytest.raises(ValidationError):
        PatchFacts()  # type: ignore[call-arg]
    not_read = unknown("patch_level.reason.dpkg_log_not_read")
    fact = PatchFacts(
        pending_security_updates=not_read, last_update=not_read, reboot_required=not_read
    )
    outcomes = run(fact)
    assert [o.status for o in outcomes.values()] == [Status.UNKNOWN] * 3
    assert message(outcomes["pending_security_updates"]) == (
        "Pending security updates could not be counted (?): dpkg.log was not read."
    )


def test_params_are_strict_and_non_negative() -> None:
    with pytest.raises(ValidationError):
        PatchLevel.Params(max_days=3)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        PatchLevel.Params(max_days_since_update=-1)


def _dnf_cache(*entries: tuple[datetime, str]) -> CommandResult:
    return CommandResult(0, stdout="".join(f"{w.timestamp():.3f} {p}\n" for w, p in entries))


DAY = datetime(2026, 12, 1, tzinfo=UTC)


def test_the_dnf_list_is_as_old_as_its_oldest_repository_with_advisories() -> None:
    """skip_if_unavailable lets `dnf makecache` skip a repository it could not reach and
    keep its old metadata; `dnf -C` then lists that repository's advisories as of then.
    A fresh index of another repository says nothing of it."""
    baseos = "/var/cache/dnf/baseos-1a2b/repodata"
    epel = "/var/cache/dnf/epel-3c4d/repodata"
    cached = _dnf_cache(
        (DAY - timedelta(days=40), f"{baseos}/repomd.xml"),
        (DAY - timedelta(days=40), f"{baseos}/0f-updateinfo.xml.zck"),
        (DAY - timedelta(days=1), f"{epel}/repomd.xml"),
        (DAY - timedelta(days=1), f"{epel}/9e-updateinfo.xml.zck"),
        # A repository without advisories lists no security update, old or new.
        (DAY - timedelta(days=90), "/var/cache/dnf/extras-5e6f/repodata/repomd.xml"),
    )
    refreshed, source, reason = dnf_index_age(cached)
    assert reason is None
    assert refreshed == DAY - timedelta(days=40)
    assert source == f"{baseos}/repomd.xml"


def test_dnf_repositories_without_advisories_are_unknown() -> None:
    cached = _dnf_cache((DAY, "/var/cache/dnf/extras-5e6f/repodata/repomd.xml"))
    assert dnf_index_age(cached)[2] == Reason(key="patch_level.reason.dnf_advisories_missing")
