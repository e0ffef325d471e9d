"""Pure operations on JSON reports: merge per-host reports into one fleet report, and
compare two reports finding by finding. No I/O: the CLI reads and writes the files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel

from endpoint_audit.model import i18n
from endpoint_audit.model.result import Finding, HostReport, RunReport, Severity, Status
from endpoint_audit.model.verdict import report_compliance


class MergeError(ValueError):
    """The reports cannot be merged; the message names the files."""


@dataclass(frozen=True)
class NamedReport:
    """A report and where it came from (for messages)."""

    name: str
    report: RunReport


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
    result; the notes say which one was dropped.
    """
    if not reports:
        raise MergeError("no reports to merge")
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
            # Hosts that share a claimed name but came from different files stay apart:
            # one must never replace the other (see evaluate FOLDER).
            key = f"{host.target}\0{host.source}" if host.name_conflicts else host.target
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
    )
    return merged, notes


def _host_time(host: HostReport, report: RunReport) -> tuple[float, float]:
    finished = host.finished_at or report.finished_at
    return (finished.timestamp(), report.finished_at.timestamp())


class Change(StrEnum):
    FIXED = "fixed"  # failed before, not any more
    REGRESSED = "regressed"  # verified or implicitly fine before (the check ran), fails now
    NEW = "new"  # fails on a host or check the old report did not cover
    GONE = "gone"  # failed before on a host or check the new report does not cover


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

    @property
    def regressions(self) -> int:
        return self.counts.get(Change.REGRESSED.value, 0)

    @property
    def new_failures(self) -> int:
        """Failures on a host or check the old report did not cover."""
        return self.counts.get(Change.NEW.value, 0)


def _failing(finding: Finding) -> bool:
    return finding.counts_as_failure


FindingKey = tuple[str, str | None]


def _by_key(host: HostReport) -> dict[FindingKey, Finding]:
    return {(f.check_id, f.resource): f for f in host.findings}


def diff_reports(old: RunReport, new: RunReport) -> ReportDiff:
    """Failures that appeared, cleared or moved between two reports, per host and check.

    A finding is keyed by (host, check, resource). When the check ran on the host in both
    reports, a failure that is no longer reported is fixed (a check that lists ports, for
    one, reports a closed port by not naming it), and a failure not reported before is a
    regression.
    """
    entries: list[DiffEntry] = []
    old_hosts = {h.target: h for h in old.hosts}
    new_hosts = {h.target: h for h in new.hosts}
    for target in [*new_hosts, *(t for t in old_hosts if t not in new_hosts)]:
        before = old_hosts.get(target)
        after = new_hosts.get(target)
        old_f = _by_key(before) if before else {}
        new_f = _by_key(after) if after else {}
        old_checks = {cid for cid, _ in old_f}
        new_checks = {cid for cid, _ in new_f}
        for key, finding in new_f.items():
            if not _failing(finding):
                continue
            prior = old_f.get(key)
            if prior is not None and _failing(prior):
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
            if not _failing(finding):
                continue
            now = new_f.get(key)
            if now is not None and _failing(now):
                continue
            change = Change.FIXED if key[0] in new_checks else Change.GONE
            entries.append(
                DiffEntry(
                    change=change,
                    host=target,
                    check_id=key[0],
                    resource=key[1],
                    severity=finding.severity,
                    old_status=finding.status,
                    new_status=now.status if now else None,
                    waived=now is not None and now.waiver is not None and not now.waiver.expired,
                    message=now.message if now else finding.message,
                )
            )
    rank = {c: i for i, c in enumerate((Change.REGRESSED, Change.NEW, Change.FIXED, Change.GONE))}
    entries.sort(key=lambda e: (rank[e.change], e.host, e.check_id, e.resource or ""))
    counts = {c.value: sum(1 for e in entries if e.change is c) for c in Change}
    return ReportDiff(
        old_baseline=f"{old.baseline.id} {old.baseline.version}",
        new_baseline=f"{new.baseline.id} {new.baseline.version}",
        baseline_changed=old.baseline.sha256 != new.baseline.sha256,
        old_compliance=report_compliance(old.hosts).percent,
        new_compliance=report_compliance(new.hosts).percent,
        entries=entries,
        counts=counts,
    )
