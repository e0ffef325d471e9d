"""patch_level on Windows: the build and UBR against the table of monthly releases, the
managed-offer note on WSUS / Windows Update for Business PCs, PendingFileRenameOperations,
and installed updates the table does not list."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from endpoint_audit.checkkit.check import EvalContext, FactView, Outcome
from endpoint_audit.checks.patch_level.check import PatchLevel, PatchLevelParams, build_outcome
from endpoint_audit.checks.patch_level.facts import PatchFacts
from endpoint_audit.checks.patch_level.releases import (
    RELEASES_ENV,
    ReleaseTableError,
    parse_release_table,
    shipped_release_table,
)
from endpoint_audit.checks.patch_level.windows import WINDOWS_UPDATE_PENDING
from endpoint_audit.engine.run import message_args
from endpoint_audit.model import i18n
from endpoint_audit.model.observed import Seen, Unknown, seen, unknown
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.model.result import Status

# A week after the November 2024 updates (released 2024-11-12).
NOW = datetime(2024, 11, 20, 3, 0, tzinfo=UTC)
CTX = EvalContext(platform=PlatformInfo(family=OsFamily.WINDOWS), now=NOW)
TABLE = shipped_release_table()
PATCHED = PatchFacts(
    manager="windows_update",
    pending_security_updates=seen(0),
    pending_updates=0,
    index_refreshed=NOW - timedelta(hours=6),
    index_source="last automatic Windows Update scan",
    last_update=seen(datetime(2024, 11, 13, tzinfo=UTC)),
    last_update_source="Win32_QuickFixEngineering: KB5046633",
    reboot_required=seen(False),
    reboot_detail="RebootPending=0",
    pending_file_renames=0,
    os_build=seen("22631.4460"),
    os_installation_type="Client",
)
OBSERVED = ("pending_security_updates", "last_update", "reboot_required", "os_build")


def fact(**changes: Any) -> PatchFacts:
    """PATCHED with `changes`; a plain value of an Observed field is taken as seen."""
    for name in OBSERVED:
        if name in changes and not isinstance(changes[name], Seen | Unknown):
            changes[name] = seen(changes[name])
    return PATCHED.model_copy(update=changes)


def evaluate(f: PatchFacts, now: datetime = NOW, **params: Any) -> dict[str, Outcome]:
    check = PatchLevel()
    ctx = EvalContext(platform=CTX.platform, now=now)
    outcomes = list(check.evaluate(FactView({PatchFacts: f}), check.Params(**params), ctx))
    assert [o.resource for o in outcomes] == [
        "pending_security_updates",
        "days_since_update",
        "reboot_required",
        "monthly_update",
    ]
    return {o.resource or "": o for o in outcomes}


def build(f: PatchFacts, now: datetime = NOW, **params: Any) -> Outcome:
    return build_outcome(f, PatchLevelParams(**params), now, TABLE)


def text(outcome: Outcome, lang: str = "en") -> str:
    return i18n.t(lang, f"patch_level.msg.{outcome.key}", **message_args(outcome.args, lang))


def test_a_patched_pc_passes_all_four_and_names_the_table() -> None:
    outcomes = evaluate(PATCHED)
    assert all(o.status is Status.PASS for o in outcomes.values())
    assert text(outcomes["monthly_update"]) == (
        "Build 22631.4460 has the monthly cumulative update of 2024-11 (KB5046633, released "
        "2024-11-12), and every monthly update older than 30 days (the newest: 2024-10, build "
        "22631.4317). Release table: windows-monthly-releases.yaml, as of 2026-08-12."
    )
    assert "2026-08-12" in text(outcomes["monthly_update"], "ja")


def test_linux_and_macos_get_no_build_outcome() -> None:
    check = PatchLevel()
    apt = fact(manager="apt", os_build="5.15.0-91-generic")
    outcomes = list(check.evaluate(FactView({PatchFacts: apt}), check.Params(), CTX))
    assert "monthly_update" not in [o.resource for o in outcomes]


def test_october_build_passes_until_november_is_older_than_the_grace() -> None:
    october = fact(os_build="22631.4317")
    assert build(october).status is Status.PASS
    # 2024-12-13: November's update (2024-11-12) is 31 days old.
    later = datetime(2024, 12, 13, tzinfo=UTC)
    failed = build(october, later)
    assert failed.status is Status.FAIL and failed.key == "build_fail"
    assert failed.args["month"] == "2024-10" and failed.args["required_kb"] == "KB5046633"
    assert build(october, later, monthly_update_grace_days=45).status is Status.PASS


def test_msrt_only_pc_with_an_august_build_fails() -> None:
    # Whatever else installed lately (MSRT, Defender, .NET), the build says August.
    outcome = build(fact(os_build="22631.4037"))
    assert outcome.status is Status.FAIL
    assert text(outcome) == (
        "Build 22631.4037 has the monthly cumulative updates up to 2024-08 (KB5041585) only: "
        "2024-10 (KB5044285, build 22631.4317) was released more than 30 days ago and is "
        "missing. Release table: windows-monthly-releases.yaml, as of 2026-08-12."
    )


def test_a_build_older_than_the_table_fails() -> None:
    outcome = build(fact(os_build="22631.2428"))  # the 23H2 release build, October 2023
    assert outcome.status is Status.FAIL and outcome.key == "build_fail_older"


def test_a_build_the_table_does_not_know_is_unknown() -> None:
    outcome = build(fact(os_build="22635.4000"))
    assert outcome.status is Status.UNKNOWN and outcome.key == "build_not_in_table"
    assert "does not list build 22635" in text(outcome)


def test_a_server_is_unknown_even_with_a_high_ubr() -> None:
    # Server 2025 shares build 26100 but has its own UBRs (26100.32230 in January 2026).
    outcome = build(fact(os_build="26100.32230", os_installation_type="Server"))
    assert outcome.status is Status.UNKNOWN and outcome.key == "build_server"


def test_missing_build_or_installation_type_is_unknown() -> None:
    why = unknown("patch_level.reason.registry_64bit_unread", view="reg.exe /reg:64")
    no_build = build(fact(os_build=why))
    assert no_build.status is Status.UNKNOWN and "32-bit PowerShell" in text(no_build)
    assert "32 ビット版 PowerShell" in text(no_build, "ja")
    garbled = build(fact(os_build="22631"))
    assert garbled.status is Status.UNKNOWN and "22631" in text(garbled)
    no_kind = build(fact(os_installation_type=None))
    assert no_kind.status is Status.UNKNOWN and "installation type" in text(no_kind)


def test_a_build_out_of_servicing_fails() -> None:
    # 22621 (Windows 11 22H2) got its last monthly update in October 2025.
    now = datetime(2026, 3, 1, tzinfo=UTC)
    outcome = build(fact(os_build="22621.6060"), now)
    assert outcome.status is Status.FAIL and outcome.key == "build_not_serviced"
    assert outcome.args["expected_month"] == "2026-01"


def test_a_table_older_than_the_grace_cannot_vouch_for_a_pass() -> None:
    # 2026-12-01: the shipped table (as of 2026-08-12) ends before the 30-day cutoff.
    now = datetime(2026, 12, 1, tzinfo=UTC)
    newest = fact(os_build="22631.7517")  # August 2026
    stale = build(newest, now)
    assert stale.status is Status.UNKNOWN and stale.key == "build_table_stale"
    assert "ends on 2026-08-12" in text(stale)
    # ... but a PC behind a release the table lists still fails.
    behind = build(fact(os_build="22631.7376"), now)  # July 2026
    assert behind.status is Status.FAIL


def test_a_brand_new_build_is_not_judged_yet() -> None:
    # 28000 (26H1) was first released on 2026-02-10.
    outcome = build(fact(os_build="28000.1575"), datetime(2026, 2, 20, tzinfo=UTC))
    assert outcome.status is Status.UNKNOWN and outcome.key == "build_too_new"


def test_hotpatch_pc_at_the_months_hotpatch_passes() -> None:
    # February 2026 hotpatch 26100.7781, judged on 2026-03-20 (February's update is due).
    outcome = build(fact(os_build="26100.7781"), datetime(2026, 3, 20, tzinfo=UTC))
    assert outcome.status is Status.PASS


def test_an_unreadable_table_is_an_error_never_a_pass(tmp_path: Path) -> None:
    error = ReleaseTableError("/srv/x.yaml: format is not 'endpoint-audit-windows-releases'")
    outcome = build_outcome(PATCHED, PatchLevelParams(), NOW, error)
    assert outcome.status is Status.ERROR and "/srv/x.yaml" in text(outcome)


def test_the_check_reads_the_replacement_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "releases.yaml"
    path.write_text("format: nothing\n", encoding="utf-8")
    monkeypatch.setenv(RELEASES_ENV, str(path))
    outcome = evaluate(PATCHED)["monthly_update"]
    assert outcome.status is Status.ERROR and str(path) in text(outcome)


def test_a_small_replacement_table_decides(tmp_path: Path) -> None:
    data = {
        "format": "endpoint-audit-windows-releases",
        "version": 1,
        "as_of": "2024-11-19",
        "source": "city IT",
        "builds": {
            "22631": {
                "name": "Windows 11 23H2",
                "releases": [
                    {"date": "2024-10-08", "ubr": 4317, "kb": "KB5044285", "type": "monthly"}
                ],
            }
        },
    }
    table = parse_release_table(yaml.safe_dump(data), "/srv/city.yaml")
    outcome = build_outcome(fact(os_build="22631.4317"), PatchLevelParams(), NOW, table)
    assert outcome.status is Status.PASS and "/srv/city.yaml" in text(outcome)
    assert table.as_of == date(2024, 11, 19)


# --- managed offer (WSUS, Windows Update for Business) --------------------------------


def test_wsus_pc_with_zero_pending_says_managed_offer_only() -> None:
    managed = fact(managed_by="WSUS", managed_detail="WUServer=https://wsus:8531, UseWUServer=1")
    outcome = evaluate(managed)["pending_security_updates"]
    assert outcome.status is Status.PASS and outcome.key == "pending_pass_managed"
    assert "managed offer only" in text(outcome)
    assert "WUServer=https://wsus:8531" in text(outcome)
    assert "管理された配信分のみ" in text(outcome, "ja")


def test_wsus_pc_with_a_stale_scan_is_unknown() -> None:
    stale = fact(managed_by="WSUS", index_refreshed=NOW - timedelta(days=15))
    outcome = evaluate(stale)["pending_security_updates"]
    assert outcome.status is Status.UNKNOWN and outcome.key == "index_stale_managed"
    assert "15 days ago" in text(outcome)


def test_wsus_pc_with_pending_updates_still_fails() -> None:
    waiting = fact(managed_by="WSUS", pending_security_updates=1, pending_security_names=("KB1",))
    assert evaluate(waiting)["pending_security_updates"].status is Status.FAIL


# --- restart markers ------------------------------------------------------------------


def test_pending_file_renames_alone_do_not_fail() -> None:
    outcome = evaluate(fact(pending_file_renames=6))["reboot_required"]
    assert outcome.status is Status.PASS and outcome.key == "reboot_pass_renames"
    assert "6 entries" in text(outcome)


def test_a_restart_marker_fails_whatever_the_renames() -> None:
    outcome = evaluate(fact(reboot_required=True, pending_file_renames=0))["reboot_required"]
    assert outcome.status is Status.FAIL


# --- installed updates the table does not list ---------------------------------------


def test_an_unlisted_update_newer_than_an_old_cumulative_update_is_unknown() -> None:
    # The table ends in August; an update installed in November may be November's.
    old = fact(
        last_update=datetime(2024, 8, 14, tzinfo=UTC),
        newest_unlisted_update=datetime(2024, 11, 13, tzinfo=UTC),
        newest_unlisted_update_id="KB5099999",
    )
    outcome = evaluate(old)["days_since_update"]
    assert outcome.status is Status.UNKNOWN and outcome.key == "age_unlisted"
    assert "KB5099999" in text(outcome)


def test_an_unlisted_update_as_old_as_the_limit_does_not_save_the_age() -> None:
    old = fact(
        last_update=datetime(2024, 8, 14, tzinfo=UTC),
        newest_unlisted_update=datetime(2024, 9, 1, tzinfo=UTC),
        newest_unlisted_update_id="KB5099999",
    )
    assert evaluate(old)["days_since_update"].status is Status.FAIL


# --- a clock that was wrong ------------------------------------------------------------


def test_an_update_list_refreshed_in_the_future_cannot_vouch_for_none_waiting() -> None:
    future = fact(index_refreshed=NOW + timedelta(days=30))
    outcome = evaluate(future)["pending_security_updates"]
    assert outcome.status is Status.UNKNOWN and outcome.key == "index_future"
    assert "2024-12-20" in text(outcome) and "未来" in text(outcome, "ja")


def test_a_list_refreshed_hours_ahead_is_within_the_clock_slack() -> None:
    ahead = fact(index_refreshed=NOW + timedelta(hours=3))
    assert evaluate(ahead)["pending_security_updates"].status is Status.PASS


def test_waiting_updates_still_fail_whatever_the_list_date() -> None:
    waiting = fact(
        index_refreshed=NOW + timedelta(days=30),
        pending_security_updates=2,
        pending_security_names=("KB1", "KB2"),
    )
    assert evaluate(waiting)["pending_security_updates"].status is Status.FAIL


def test_the_pending_search_lists_updates_a_user_hid() -> None:
    """A hidden update (wushowhide, IUpdate.IsHidden: "hidden by a user") is still not
    installed: a security update hidden from Windows Update is still missing. The search
    criteria name no IsHidden term, so IUpdateSearcher lists hidden and shown updates."""
    (criteria,) = re.findall(r"\.Search\(\"([^\"]*)\"\)", WINDOWS_UPDATE_PENDING.script)
    terms = {t.split("=")[0].strip().lower() for t in re.split(r"\s+and\s+", criteria)}
    assert terms == {"isinstalled", "type"}, criteria
