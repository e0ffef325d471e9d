"""Merging per-host reports and comparing two reports, as pure functions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from endpoint_audit.model import i18n
from endpoint_audit.model.report_ops import (
    Change,
    MergeError,
    NamedReport,
    diff_reports,
    merge_reports,
)
from endpoint_audit.model.result import PartialInfo, Status, WaiverRef
from endpoint_audit.model.verdict import RunVerdict, run_verdict
from endpoint_audit.render.diff_table import diff_text
from tests.render.corpus import FINISHED, finding, make_report, sample_hosts


def test_merge_keeps_hosts_in_order_and_the_newest_duplicate() -> None:
    win, clean, down = sample_hosts()
    a = make_report([win, clean])
    newer_clean = clean.model_copy(update={"finished_at": FINISHED + timedelta(hours=1)})
    b = make_report([down, newer_clean]).model_copy(
        update={"finished_at": FINISHED + timedelta(hours=1)}
    )
    merged, notes = merge_reports([NamedReport("a.json", a), NamedReport("b.json", b)])
    assert [h.target for h in merged.hosts] == ["pc-soumu-001", "pc-kikaku-002", "pc-zaimu-003"]
    assert merged.hosts[1].finished_at == newer_clean.finished_at
    assert notes == ["host pc-kikaku-002: b.json replaces the older a.json"]
    assert merged.finished_at == b.finished_at and merged.started_at == a.started_at


def test_merge_never_folds_hosts_that_only_claim_one_name() -> None:
    """evaluate FOLDER kept two files that both say pc-kikaku-002: merging that report with
    others must keep both, while a rerun of the same file still replaces its older copy."""
    _, clean, _ = sample_hosts()
    own = clean.model_copy(update={"source": "own.json", "name_conflicts": ["forged.json"]})
    forged = clean.model_copy(update={"source": "forged.json", "name_conflicts": ["own.json"]})
    later = own.model_copy(update={"finished_at": FINISHED + timedelta(hours=1)})
    merged, notes = merge_reports(
        [
            NamedReport("a.json", make_report([own, forged])),
            NamedReport("b.json", make_report([later])),
        ]
    )
    assert [(h.target, h.source) for h in merged.hosts] == [
        ("pc-kikaku-002", "own.json"),
        ("pc-kikaku-002", "forged.json"),
    ]
    assert merged.hosts[0].finished_at == later.finished_at
    assert notes == ["host pc-kikaku-002: b.json replaces the older a.json"]


def test_merge_refuses_different_baselines() -> None:
    a = make_report(sample_hosts()[:1])
    b = make_report(sample_hosts()[1:2])
    b = b.model_copy(update={"baseline": b.baseline.model_copy(update={"sha256": "0" * 64})})
    with pytest.raises(MergeError, match=r"b\.json: .*differs from a\.json"):
        merge_reports([NamedReport("a.json", a), NamedReport("b.json", b)])


def test_merge_speaks_the_first_reports_language() -> None:
    ja = make_report(sample_hosts("ja")[:1], "ja")
    en = make_report(sample_hosts("en")[1:2], "en")
    merged, _ = merge_reports([NamedReport("ja.json", ja), NamedReport("en.json", en)])
    assert merged.lang == "ja"
    message = merged.hosts[1].findings[2].message  # recorded in English, now in Japanese
    assert "待ち受け" in message and "listeners" not in message


def _host(findings: list[object]) -> object:
    win = sample_hosts()[0]
    return win.model_copy(update={"findings": findings})


def test_diff_classifies_fixed_regressed_new_and_gone() -> None:
    old_win = _host(
        [
            finding("disk_encryption", Status.FAIL, resource="D:"),  # will be fixed
            finding("open_ports", Status.FAIL, resource="0.0.0.0:445/tcp"),  # port closed
            finding("firewall", Status.PASS, resource="Public"),  # will regress
            finding("screen_lock", Status.FAIL),  # check not run any more: gone
        ]
    )
    new_win = _host(
        [
            finding("disk_encryption", Status.PASS, resource="D:"),
            finding("open_ports", Status.PASS),  # no forbidden listener named any more
            finding("open_ports", Status.FAIL, resource="0.0.0.0:3389/tcp"),  # regressed
            finding("firewall", Status.FAIL, resource="Public"),
            finding("patch", Status.FAIL),  # a check the old report did not run: new
        ]
    )
    diff = diff_reports(make_report([old_win]), make_report([new_win]))
    got = {(e.change, e.check_id, e.resource) for e in diff.entries}
    assert got == {
        (Change.FIXED, "disk_encryption", "D:"),
        (Change.FIXED, "open_ports", "0.0.0.0:445/tcp"),
        (Change.REGRESSED, "firewall", "Public"),
        (Change.REGRESSED, "open_ports", "0.0.0.0:3389/tcp"),
        (Change.NEW, "patch", None),
        (Change.GONE, "screen_lock", None),
    }
    assert diff.regressions == 2
    assert diff.entries[0].change is Change.REGRESSED  # regressions first


def test_diff_waiver_and_still_failing() -> None:
    waiver = WaiverRef(justification="j", approver="a", expires="2099-01-01")
    old = _host([finding("firewall", Status.FAIL), finding("disk_encryption", Status.FAIL)])
    new = _host(
        [finding("firewall", Status.FAIL, waiver=waiver), finding("disk_encryption", Status.FAIL)]
    )
    diff = diff_reports(make_report([old]), make_report([new]))
    [entry] = diff.entries  # the still-failing disk is no change
    assert entry.change is Change.FIXED and entry.waived and entry.check_id == "firewall"
    assert diff.regressions == 0


def test_diff_new_host_is_new_not_regressed() -> None:
    old = make_report([])
    new = make_report(sample_hosts()[:1])
    diff = diff_reports(old, new)
    assert {e.change for e in diff.entries} == {Change.NEW}
    assert diff.regressions == 0


def test_a_failure_the_newer_report_could_not_see_is_not_fixed() -> None:
    """It used to be `fixed` when the newer report said unknown, or the host was down."""
    old = _host(
        [
            finding("disk_encryption", Status.FAIL, resource="D:"),
            finding("open_ports", Status.FAIL, resource="0.0.0.0:445/tcp"),
            finding("firewall", Status.FAIL, resource="Public"),
        ]
    )
    new = _host(
        [
            finding("disk_encryption", Status.UNKNOWN, resource="D:"),  # could not read it
            # open_ports ran but one probe broke: a port it no longer names is not closed.
            finding("open_ports", Status.ERROR),
            finding("firewall", Status.PASS, resource="Public"),
        ]
    )
    diff = diff_reports(make_report([old]), make_report([new]))
    got = {(e.change, e.check_id) for e in diff.entries}
    assert got == {
        (Change.UNVERIFIED, "disk_encryption"),
        (Change.UNVERIFIED, "open_ports"),
        (Change.FIXED, "firewall"),
    }
    down = new.model_copy(update={"status": "unreachable", "findings": []})
    unreachable = diff_reports(make_report([old]), make_report([down]))
    assert {e.change for e in unreachable.entries} == {Change.UNVERIFIED}
    for lang in ("en", "ja"):
        text = diff_text(diff, lang)
        assert i18n.t(lang, "report_diff.unverified") in text
        assert "report_diff." not in text


def test_merging_a_stopped_run_keeps_the_merged_report_partial() -> None:
    done = make_report(sample_hosts()[:1])
    stopped = make_report(sample_hosts()[1:2]).model_copy(
        update={"partial": PartialInfo(reason="interrupted", hosts_planned=3, hosts_reported=1)}
    )
    merged, _ = merge_reports([NamedReport("a.json", done), NamedReport("b.json", stopped)])
    assert merged.partial is not None and merged.partial.hosts_reported == 2
    assert merged.partial.hosts_planned == 4
    assert run_verdict(merged) is not RunVerdict.COMPLIANT
    whole, _ = merge_reports([NamedReport("a.json", done), NamedReport("c.json", done)])
    assert whole.partial is None


def test_diff_counts_what_the_older_report_judged_and_the_newer_could_not() -> None:
    """A PC that passed before and is unreachable now, or a check that passed before and
    is unknown now, has no entry (nothing failed), yet a regression could hide there:
    the diff says how many such (PC, check) pairs it could not compare."""
    old = _host([finding("firewall", Status.PASS), finding("disk_encryption", Status.PASS)])
    down = old.model_copy(update={"status": "unreachable", "findings": [], "reason": "timeout"})
    diff = diff_reports(make_report([old]), make_report([down]))
    assert diff.entries == [] and diff.regressions == 0
    assert diff.not_compared == 2
    blind = _host([finding("firewall", Status.UNKNOWN), finding("disk_encryption", Status.PASS)])
    assert diff_reports(make_report([old]), make_report([blind])).not_compared == 1
    assert diff_reports(make_report([old]), make_report([old])).not_compared == 0
    # Nothing was judged before, so nothing is lost: a new unknown is not counted.
    unknown_before = _host([finding("firewall", Status.UNKNOWN)])
    assert diff_reports(make_report([unknown_before]), make_report([blind])).not_compared == 0
    text = diff_text(diff, "en").replace("\n", "")
    assert "2 (PC, check) pair(s)" in text
    assert "2 件" in diff_text(diff, "ja").replace("\n", "")


def test_diff_keeps_apart_hosts_that_only_claim_one_name() -> None:
    """Two files in one report both say pc-kikaku-002: a regression on the first must not
    be hidden behind the second (the later one in the report used to win)."""
    _, clean, _ = sample_hosts()
    own = clean.model_copy(update={"source": "own.json", "name_conflicts": ["forged.json"]})
    forged = clean.model_copy(update={"source": "forged.json", "name_conflicts": ["own.json"]})
    broken = own.model_copy(
        update={"findings": [*own.findings, finding("firewall", Status.FAIL, resource="Public")]}
    )
    for order in ([broken, forged], [forged, broken]):
        diff = diff_reports(make_report([own, forged]), make_report(order))
        assert diff.regressions == 1, order
        [entry] = diff.entries
        assert entry.host == "pc-kikaku-002" and entry.check_id == "firewall"


@settings(max_examples=60, deadline=None)
@given(
    plan=st.lists(
        st.tuples(st.integers(0, 1000), st.sampled_from(["pass", "fail", "unknown", "down"])),
        min_size=2,
        max_size=5,
        unique_by=lambda p: p[0],
    ),
    order=st.randoms(use_true_random=False),
)
def test_merge_keeps_the_newest_collection_in_any_order(
    plan: list[tuple[int, str]], order: object
) -> None:
    """Whatever order the files come in, a PC in several keeps its newest collection, not
    its best result: a newer unreachable or unknown beats an older pass."""
    win = sample_hosts()[0]
    reports = []
    for minutes, state in plan:
        at = FINISHED + timedelta(minutes=minutes)
        if state == "down":
            host = win.model_copy(
                update={"status": "unreachable", "findings": [], "finished_at": None}
            )
        else:
            host = win.model_copy(
                update={"findings": [finding("firewall", Status(state))], "finished_at": at}
            )
        reports.append(make_report([host]).model_copy(update={"finished_at": at}))
    shuffled = list(enumerate(reports))
    order.shuffle(shuffled)  # type: ignore[attr-defined]
    merged, _ = merge_reports([NamedReport(f"r{i}.json", r) for i, r in shuffled])
    [kept] = merged.hosts
    newest = max(plan)
    if newest[1] == "down":
        assert kept.status == "unreachable"
    else:
        assert kept.status == "ok" and kept.findings[0].status.value == newest[1]


def test_merge_keeps_the_newer_evidence_not_the_later_judging() -> None:
    """A PC scanned live (failing) and, a day later, an old bundle of it judged by
    `evaluate` (passing as it was a month before): the merged fleet report kept the
    pass, since it was judged last. The evidence's own time decides."""
    win = sample_hosts()[0]
    live = win.model_copy(update={"findings": [finding("firewall", Status.FAIL)]})
    judged_later = FINISHED + timedelta(days=1)
    old = win.model_copy(
        update={
            "findings": [finding("firewall", Status.PASS)],
            "source": "share/pc-soumu-001.json",
            "collected_at": FINISHED - timedelta(days=30),
            "started_at": judged_later,
            "finished_at": judged_later,
        }
    )
    scan = NamedReport("scan.json", make_report([live]))
    evaluated = NamedReport(
        "evaluate.json", make_report([old]).model_copy(update={"finished_at": judged_later})
    )
    for reports in ([scan, evaluated], [evaluated, scan]):
        merged, notes = merge_reports(reports)
        [kept] = merged.hosts
        assert kept.findings[0].status is Status.FAIL, notes
    # A recorded host that records no collection time never replaces a dated result.
    undated = old.model_copy(update={"collected_at": None})
    merged, _ = merge_reports(
        [scan, NamedReport("u.json", make_report([undated]).model_copy(
            update={"finished_at": judged_later}
        ))]
    )  # fmt: skip
    assert merged.hosts[0].findings[0].status is Status.FAIL
    # Newer evidence still wins: the same bundle collected after the scan replaces it.
    fresh = old.model_copy(update={"collected_at": FINISHED + timedelta(hours=1)})
    merged, _ = merge_reports(
        [scan, NamedReport("f.json", make_report([fresh]).model_copy(
            update={"finished_at": judged_later}
        ))]
    )  # fmt: skip
    assert merged.hosts[0].findings[0].status is Status.PASS
