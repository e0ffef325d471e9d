"""`evaluate --max-age DAYS`: results too old to stand for a PC's current state, and
files named for another PC than the one they hold. Pure.

A PC whose probe script stopped running keeps its last file on the share, and each file
is judged as of its own collection time, so without this a PC broken for months would
stay compliant in every fleet report. A recorded host collected more than DAYS before
now, dated more than a day ahead of now (a wrong clock or an edited file), or with no
collection time at all is judged `unknown` on every finding: the file's own findings
stay listed, each saying what the file said and why it no longer counts, and any waiver
is dropped (a waiver accepts a risk; it does not vouch for a result nobody re-checked).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from msgspec import Struct

from endpoint_audit.model import i18n
from endpoint_audit.model.result import Evidence, Finding, HostReport, Status

# A PC's clock a few hours ahead (or a zone written wrong) is no reason to distrust it.
FUTURE_GRACE = timedelta(days=1)


class Stale(Struct, frozen=True):
    """Why a recorded host's results no longer count: the catalog key and its args."""

    key: str  # core.msg.stale_results, future_results, undated_results, misnamed_results
    args: dict[str, str | int]


def staleness(
    collected_at: datetime | None, file: str, max_age_days: int, now: datetime
) -> Stale | None:
    """None when results collected at `collected_at` are recent enough (within
    `max_age_days` of `now`, and not more than a day ahead of it)."""
    base: dict[str, str | int] = {"file": file, "max_age": max_age_days}
    if collected_at is None:
        return Stale("core.msg.undated_results", base)
    when = collected_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    age = now - collected_at
    if age < -FUTURE_GRACE:
        return Stale("core.msg.future_results", base | {"collected": when})
    if age > timedelta(days=max_age_days):
        return Stale("core.msg.stale_results", base | {"collected": when, "days": age.days})
    return None


def misnamed(file: str, named: str, inside: str) -> Stale:
    """Why a file whose name names the PC `named` but which holds the results of
    `inside` counts for neither (engine.recorded.file_names_other_host)."""
    return Stale("core.msg.misnamed_results", {"file": file, "named": named, "inside": inside})


def mark_stale(report: HostReport, stale: Stale, lang: str) -> HostReport:
    """The host report with every finding `unknown` for `stale`, the file's own finding
    kept as evidence. An unreachable host (the file could not be judged) stays as it is."""
    if report.status != "ok":
        return report
    findings = [_stale_finding(f, stale, lang) for f in report.findings]
    return report.model_copy(update={"findings": findings})


def _stale_finding(finding: Finding, stale: Stale, lang: str) -> Finding:
    was = i18n.t(lang, f"report.status.{finding.status.value}")
    args = stale.args | {"was": was}
    kept = Evidence(source=str(stale.args["file"]), excerpt=f"{was}: {finding.message}")
    return finding.model_copy(
        update={
            "status": Status.UNKNOWN,
            "message": i18n.t(lang, stale.key, **args),
            "message_key": stale.key,
            "message_args": args,
            "evidence": [kept, *finding.evidence],
            "waiver": None,
        }
    )


def notice_text(host: str, stale: Stale, limited: bool = True) -> str:
    """The stderr line for a host judged unknown by `--max-age`; with `limited` False,
    for one judged as it was, with no age limit (one file or a recording)."""
    args = stale.args
    if stale.key == "core.msg.misnamed_results":
        return (
            f"{host}: {args['file']} is named for {args['named']} but holds the results of "
            f"{args['inside']}; every check of it is judged unknown"
        )
    if stale.key == "core.msg.undated_results":
        why = "records no collection time"
    elif stale.key == "core.msg.future_results":
        why = f"was collected {args['collected']}, more than a day ahead of now"
    else:
        why = f"was collected {args['collected']}, {args['days']} days ago"
    if not limited:
        return (
            f"{host}: {args['file']} {why}; judged as it was then, with no age limit "
            f"(--max-age {args['max_age']} judges such results unknown)"
        )
    return (
        f"{host}: {args['file']} {why} (--max-age {args['max_age']}); "
        "every check of it is judged unknown"
    )
