"""A small history for weekly-report tests: two 課 at two sites over five weekly rounds,
with every case the report must get right (a waiver running out, an expired one, a PC
unreachable this week, one not seen for weeks, an interrupted round, critical failures,
an os_support and an antivirus finding, patch ages), and host text that tries to break
out of HTML, Markdown and CSV."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from endpoint_audit.history.ingest import from_data
from endpoint_audit.history.store import HistoryStore
from endpoint_audit.model.result import Finding, Severity, Status, WaiverRef
from tests.history.reports import T0, WEEK, Host, compliant_findings, finding, report_data

HOSTILE_HOST = "<script>document.documentElement.setAttribute('data-pwned','1')</script>"
HOSTILE_GROUP = "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned','2')\">"
FORMULA_HOST = '=HYPERLINK("http://127.0.0.1:9/")'
AS_OF = T0 + 4 * WEEK + timedelta(days=1)
SOUMU = ("honcho", "総務課")
ZEIMU = ("kita-shisho", "税務課")


def patch(days: int) -> Finding:
    return finding(
        "patch_level",
        Status.FAIL if days > 30 else Status.PASS,
        "days_since_update",
        days=days,
        limit=30,
    )


def base(days: int = 3) -> list[Finding]:
    return [*compliant_findings(), patch(days)]


def waived(expires: str, expired: bool) -> Finding:
    waiver = WaiverRef(
        id="W-9",
        justification="VPN で代替",
        approver="情報政策課",
        expires=expires,
        expired=expired,
    )
    return finding("firewall", Status.FAIL, "Public", waiver)


def os_support(deadline: str) -> Finding:
    f = finding(
        "os_support", Status.FAIL, "Windows 10 22H2", end_of_support=deadline, reason="support ends"
    )
    return f.model_copy(update={"severity": Severity.HIGH})


def antivirus() -> Finding:
    return finding("antivirus", Status.FAIL, "signatures", reason="definitions 9 days old")


def week_hosts(week: int) -> list[Host]:
    disk = finding("disk_encryption", Status.FAIL, "D:")
    hosts = [
        Host("pc-soumu-01", [*base(), disk], groups=SOUMU, machine_id="m-01"),
        Host(
            "pc-soumu-02",
            [*[f for f in base() if f.check_id != "firewall"], waived("2026-04-08", expired=False)],
            groups=SOUMU,
        ),
        Host("pc-soumu-03", base(40 + 7 * week), groups=SOUMU),
        Host(HOSTILE_HOST, [*base(), disk], groups=(HOSTILE_GROUP,)),
        Host("pc-zeimu-01", base(), groups=ZEIMU),
        Host(
            "pc-zeimu-02",
            [
                *[f for f in base() if f.check_id != "firewall"],
                waived("2026-03-20", expired=week >= 3),
            ],
            groups=ZEIMU,
        ),
        Host(FORMULA_HOST, [*base(10), os_support("2026-10-13"), antivirus()], groups=ZEIMU),
        Host("pc-zeimu-04", base(), groups=ZEIMU, reachable=week != 4),
    ]
    if week < 2:
        hosts.append(Host("pc-away", base(), groups=ZEIMU))  # not seen since week 1
    if week == 2:
        hosts = hosts[:5]  # the round was interrupted
    return hosts


def build(path: Path) -> HistoryStore:
    store = HistoryStore.open(path)
    for week in range(5):
        when: datetime = T0 + week * WEEK
        partial = ("interrupted", 9) if week == 2 else None
        data = report_data(week_hosts(week), when, run_id=f"run-{week}", partial=partial, lang="ja")
        store.add(from_data(data), f"audit-{week}/fleet.json")
    return store
