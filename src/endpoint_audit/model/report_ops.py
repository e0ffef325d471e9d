"""Pure operations on JSON reports: merge per-host reports into one fleet report, and
compare two reports finding by finding. No I/O: the CLI reads and writes the files.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from pydantic import BaseModel

from endpoint_audit.model import i18n
from endpoint_audit.model.result import (
    Finding,
    HostReport,
    PartialInfo,
    RunReport,
    Severity,
    Status,
)
from endpoint_audit.model.slice_merge import (
    Slice,
    SliceMismatch,
    coverage_partial,
    slice_coverage,
)
from endpoint_audit.model.verdict import (
    Seen,
    check_rollup,
    counts_as_failure,
    is_waived,
    report_compliance,
    resource_state,
)


class MergeError(ValueError):
    """The reports cannot be merged; the message names the files."""


# A report and where it came from (for messages).
NamedReport = Slice


def _in_language(finding: Finding, source_lang: str, lang: str) -> Finding:
    """The finding with its message in `lang`, so a merged report speaks one language.
    A message the catalog does not know (a plugin's own text), or whose arguments do not
    fill the catalog text, stays as it was."""
    if source_lang == lang or not i18n.has(finding.message_key):
        return finding
    message = i18n.render_message(lang, finding.message_key, finding.message_args)
    if message is None:
        return finding
    return finding.model_copy(update={"message": message})


def merge_reports(reports: Sequence[NamedReport]) -> tuple[RunReport, list[str]]:
    """One fleet report from per-host (or per-batch) reports of the same baseline.

    All reports must carry the same baseline sha256: rates over hosts judged against
    different rules would mean nothing. A host found in several reports keeps its newest
    result; the notes say which one was dropped. Each host keeps its findings as judged
    (waivers included); a report that was partial keeps the merged one partial, so
    merging never turns an incomplete run into a complete one (model.verdict).
    """
    if not reports:
        raise MergeError("no reports to merge")
    try:
        coverage = slice_coverage(reports)
    except SliceMismatch as exc:
        raise MergeError(str(exc)) from None
    first = reports[0]
    for other in reports[1:]:
        if other.report.baseline.sha256 != first.report.baseline.sha256:
            raise MergeError(
                f"{other.name}: baseline {other.report.baseline.id} "
                f"{other.report.baseline.version} (sha256 {other.report.baseline.sha256[:12]}) "
                f"differs from {first.name}: {first.report.baseline.id} "
                f"{first.report.baseline.version} (sha256 {first.report.baseline.sha256[:12]}); "
                "merge only reports made with the same baseline"
            )
    # The first report's language, or the first one among them this version has texts
    # for: a merged report must be renderable.
    lang = next(
        (r.report.lang for r in reports if r.report.lang in i18n.LANGUAGES), i18n.DEFAULT_LANGUAGE
    )
    notes: list[str] = []
    if first.report.lang != lang:
        notes.append(
            f"{first.name}: language {first.report.lang!r} is not one of "
            f"{', '.join(i18n.LANGUAGES)}; the merged report is in {lang}"
        )
    chosen: dict[str, tuple[NamedReport, HostReport]] = {}
    order: list[str] = []
    checks = dict(first.report.checks)
    for named in reports:
        for cid, info in named.report.checks.items():
            checks.setdefault(cid, info)
        for host in named.report.hosts:
            host = host.model_copy(
                update={
                    "findings": [_in_language(f, named.report.lang, lang) for f in host.findings]
                }
            )
            key = _host_key(host)
            if key not in chosen:
                chosen[key] = (named, host)
                order.append(key)
                continue
            kept_from, kept = chosen[key]
            if _host_time(host, named.report) >= _host_time(kept, kept_from.report):
                notes.append(
                    f"host {host.target}: {named.name} replaces the older {kept_from.name}"
                )
                chosen[key] = (named, host)
            else:
                notes.append(
                    f"host {host.target}: kept {kept_from.name}; older {named.name} dropped"
                )
    merged = RunReport(
        tool=first.report.tool,
        baseline=first.report.baseline,
        lang=lang,
        started_at=min(r.report.started_at for r in reports),
        finished_at=max(r.report.finished_at for r in reports),
        fail_on=min((r.report.fail_on for r in reports), key=lambda s: s.rank),
        checks=checks,
        hosts=[chosen[k][1] for k in order],
        partial=_merged_partial(reports, len(order)),
    )
    if coverage is not None:
        # Slices of a round: the merged report says which it holds, and is partial
        # (the hosts planned being the whole inventory's) when any is missing.
        merged.shards = coverage
        merged.partial = coverage_partial(coverage, merged.partial, len(order))
    return merged, notes


def _host_key(host: HostReport) -> str:
    """Hosts that share a claimed name but came from different files stay apart: one must
    never replace (or, in a diff, hide) the other (see evaluate FOLDER)."""
    return f"{host.target}\0{host.source}" if host.name_conflicts else host.target


def _merged_partial(reports: Sequence[NamedReport], hosts: int) -> PartialInfo | None:
    """Partial when any report merged was: the hosts planned are each report's planned
    (or held) hosts, so the merged report says how many it lacks at most."""
    stopped = [r.report.partial for r in reports if r.report.partial is not None]
    if not stopped:
        return None
    planned = sum(
        r.report.partial.hosts_planned if r.report.partial is not None else len(r.report.hosts)
        for r in reports
    )
    return PartialInfo(
        reason=stopped[0].reason, hosts_planned=max(planned, hosts), hosts_reported=hosts
    )


def _host_time(host: HostReport, report: RunReport) -> tuple[float, float]:
    """When a host's evidence was taken: a recorded host's collection time, never the
    later time `evaluate` judged it at (an old bundle judged today is not newer than
    yesterday's scan); a recorded host that records no time is older than any other."""
    if host.collected_at is not None:
        taken = host.collected_at.timestamp()
    elif host.source is not None:
        taken = float("-inf")
    else:
        taken = (host.finished_at or report.finished_at).timestamp()
    return (taken, report.finished_at.timestamp())


class Change(StrEnum):
    FIXED = "fixed"  # failed before; the newer report saw it conclusively not failing
    REGRESSED = "regressed"  # verified or implicitly fine before (the check ran), fails now
    NEW = "new"  # fails on a host or check the old report did not cover
    GONE = "gone"  # failed before on a host or check the new report does not cover
    UNVERIFIED = "unverified"  # failed before; the newer report could not tell


class DiffEntry(BaseModel):
    change: Change
    host: str
    check_id: str
    resource: str | None = None
    severity: Severity
    old_status: Status | None = None  # None: no such finding
    new_status: Status | None = None
    waived: bool = False  # compliant now only through a waiver in force
    message: str  # the newer message that applies


class ReportDiff(BaseModel):
    old_baseline: str
    new_baseline: str
    baseline_changed: bool
    # The compliance figure of model.verdict in each report (percent; None: nothing judged).
    old_compliance: float | None = None
    new_compliance: float | None = None
    entries: list[DiffEntry]
    counts: dict[str, int]
    # (host, check) pairs the older report judged conclusively that the newer one could
    # not (host unreachable or absent, check unknown, errored or not run): no entry says
    # so when nothing failed there, yet a regression could hide in them.
    not_compared: int = 0

    @property
    def regressions(self) -> int:
        return self.counts.get(Change.REGRESSED.value, 0)

    @property
    def new_failures(self) -> int:
        """Failures on a host or check the old report did not cover."""
        return self.counts.get(Change.NEW.value, 0)


FindingKey = tuple[str, str | None]


def _by_key(host: HostReport) -> dict[FindingKey, Finding]:
    return {(f.check_id, f.resource): f for f in host.findings}


def _conclusive(host: HostReport) -> dict[str, bool]:
    """Per check of the host: its findings all saw (model.verdict's `conclusive`)."""
    by_check: dict[str, list[Finding]] = {}
    for finding in host.findings:
        by_check.setdefault(finding.check_id, []).append(finding)
    return {cid: check_rollup(found).conclusive for cid, found in by_check.items()}


def _after(
    host: HostReport | None,
    key: FindingKey,
    findings: dict[FindingKey, Finding],
    conclusive: dict[str, bool],
) -> tuple[Seen, str | None]:
    """What the newer report says of a resource that failed before."""
    if host is None:
        return resource_state(None, None, False, None)
    finding = findings.get(key)
    return resource_state(
        host.status == "ok",
        finding.status if finding is not None else None,
        finding is not None and counts_as_failure(finding),
        conclusive.get(key[0]),
    )


def _cleared(seen: Seen, reason: str | None) -> Change | None:
    """The change of a failure the newer report no longer counts; None: still failing."""
    if seen is Seen.FAILING:
        return None
    if seen in (Seen.CLEAR, Seen.WAIVED):
        return Change.FIXED
    if reason in ("not_in_report", "not_checked"):
        return Change.GONE
    return Change.UNVERIFIED  # unreachable, unknown, error, or the check did not see all


def diff_reports(old: RunReport, new: RunReport) -> ReportDiff:
    """Failures that appeared, cleared or moved between two reports, per host and check.

    A finding is keyed by (host, check, resource); a failure is one that counts
    (model.verdict: no waiver in force). When the check ran on the host in both reports,
    a failure not reported before is a regression. A failure is fixed only when the
    newer report saw it conclusively not failing (it passed, did not apply or is waived,
    or the check ran with no unknown or error and no longer names it: a check that lists
    ports, for one, reports a closed port by not naming it); when the newer report could
    not tell (host unreachable, unknown, error), it is unverified, never fixed.
    """
    entries: list[DiffEntry] = []
    not_compared = 0
    old_hosts = {_host_key(h): h for h in old.hosts}
    new_hosts = {_host_key(h): h for h in new.hosts}
    for key_of_host in [*new_hosts, *(k for k in old_hosts if k not in new_hosts)]:
        before = old_hosts.get(key_of_host)
        after = new_hosts.get(key_of_host)
        shown = after if after is not None else before
        target = shown.target if shown is not None else key_of_host
        old_f = _by_key(before) if before else {}
        new_f = _by_key(after) if after else {}
        old_checks = {cid for cid, _ in old_f}
        new_conclusive = _conclusive(after) if after else {}
        if before is not None and before.status == "ok":
            reached = after is not None and after.status == "ok"
            not_compared += sum(
                1
                for cid, seen in _conclusive(before).items()
                if seen and not (reached and new_conclusive.get(cid))
            )
        for key, finding in new_f.items():
            if not counts_as_failure(finding):
                continue
            prior = old_f.get(key)
            if prior is not None and counts_as_failure(prior):
                continue  # still failing: not a change
            change = Change.REGRESSED if key[0] in old_checks else Change.NEW
            entries.append(
                DiffEntry(
                    change=change,
                    host=target,
                    check_id=key[0],
                    resource=key[1],
                    severity=finding.severity,
                    old_status=prior.status if prior else None,
                    new_status=finding.status,
                    message=finding.message,
                )
            )
        for key, finding in old_f.items():
            if not counts_as_failure(finding):
                continue
            cleared = _cleared(*_after(after, key, new_f, new_conclusive))
            if cleared is None:
                continue
            now = new_f.get(key)
            entries.append(
                DiffEntry(
                    change=cleared,
                    host=target,
                    check_id=key[0],
                    resource=key[1],
                    severity=finding.severity,
                    old_status=finding.status,
                    new_status=now.status if now else None,
                    waived=now is not None and is_waived(now),
                    message=now.message if now else finding.message,
                )
            )
    order = (Change.REGRESSED, Change.NEW, Change.UNVERIFIED, Change.FIXED, Change.GONE)
    rank = {c: i for i, c in enumerate(order)}
    entries.sort(key=lambda e: (rank[e.change], e.host, e.check_id, e.resource or ""))
    counts = {c.value: sum(1 for e in entries if e.change is c) for c in Change}
    return ReportDiff(
        old_baseline=f"{old.baseline.id} {old.baseline.version}",
        new_baseline=f"{new.baseline.id} {new.baseline.version}",
        baseline_changed=old.baseline.sha256 != new.baseline.sha256,
        old_compliance=report_compliance(old).percent,
        new_compliance=report_compliance(new).percent,
        entries=entries,
        counts=counts,
        not_compared=not_compared,
    )
