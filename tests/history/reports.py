"""Reports for history tests, built with the real model classes and written as JSON.

Fields that newer reports carry (a run id, the partial marker of an interrupted run, a
host's machine id and source file) are added to the JSON the way those versions write
them, so the store is tested on what it will meet before and after they arrive.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from endpoint_audit.model import i18n
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.model.result import (
    BaselineInfo,
    CheckInfo,
    Finding,
    HostReport,
    RunReport,
    Severity,
    Status,
    ToolInfo,
    WaiverRef,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
WEEK = timedelta(days=7)
SEVERITY = {
    "disk_encryption": Severity.CRITICAL,
    "patch_level": Severity.HIGH,
    "firewall": Severity.HIGH,
    "open_ports": Severity.HIGH,
    "screen_lock": Severity.MEDIUM,
}
TITLES = {
    "disk_encryption": ("ディスク暗号化", "Disk encryption"),
    "patch_level": ("更新プログラム", "Security updates"),
    "firewall": ("ファイアウォール", "Firewall"),
    "open_ports": ("待ち受けポート", "Listening ports"),
    "screen_lock": ("画面ロック", "Screen lock"),
}
WINDOWS = PlatformInfo(
    family=OsFamily.WINDOWS,
    distro="windows",
    version="10.0.22631",
    build="22631.3447",
    pretty_name="Windows 11 Pro 23H2",
    transport="ssh",
)


def finding(
    check_id: str,
    status: Status,
    resource: str | None = None,
    waiver: WaiverRef | None = None,
    **args: str | int,
) -> Finding:
    key = "core.msg.fact_unavailable"
    args = args or {"reason": f"{check_id} {resource or ''} {status.value}"}
    return Finding(
        check_id=check_id,
        resource=resource,
        status=status,
        severity=SEVERITY.get(check_id, Severity.LOW),
        message=i18n.t("en", key, **args),
        message_key=key,
        message_args=dict(args),
        waiver=waiver,
    )


def compliant_findings() -> list[Finding]:
    return [
        finding("disk_encryption", Status.PASS, "C:"),
        finding("firewall", Status.PASS),
        finding("open_ports", Status.PASS),
        finding("screen_lock", Status.PASS),
    ]


def with_status(
    findings: list[Finding], check_id: str, status: Status, resource: str | None = None,
    waiver: WaiverRef | None = None,
) -> list[Finding]:  # fmt: skip
    """The findings with `check_id`'s finding on `resource` replaced (or added)."""
    out = [f for f in findings if not (f.check_id == check_id and f.resource == resource)]
    out.append(finding(check_id, status, resource, waiver))
    return out


@dataclass
class Host:
    name: str
    findings: list[Finding] = field(default_factory=compliant_findings)
    reachable: bool = True
    machine_id: str | None = None
    groups: tuple[str, ...] = ()
    platform: PlatformInfo = WINDOWS


def run_report(hosts: list[Host], finished: datetime, lang: str = "en") -> RunReport:
    started = finished - timedelta(minutes=5)
    reports = []
    for host in hosts:
        if host.reachable:
            reports.append(
                HostReport(
                    target=host.name,
                    platform=host.platform,
                    started_at=started,
                    finished_at=finished,
                    findings=list(host.findings),
                    groups=list(host.groups),
                )
            )
        else:
            reports.append(
                HostReport(
                    target=host.name,
                    status="unreachable",
                    reason="connection timed out",
                    groups=list(host.groups),
                )
            )
    checks = {
        cid: CheckInfo(
            id=cid,
            title={"ja": ja, "en": en},
            severity=SEVERITY[cid],
            platforms=["windows", "linux", "macos"],
        )
        for cid, (ja, en) in TITLES.items()
        # The checks the run judged: a real run has a finding of each on each host it
        # reached (one with none counts as unknown).
        if any(f.check_id == cid for h in hosts for f in h.findings)
    }
    return RunReport(
        tool=ToolInfo(version="0.1.0"),
        baseline=BaselineInfo(id="jp-municipal-telework", version="2026.1", sha256="ab" * 32),
        lang=lang,
        started_at=started,
        finished_at=finished,
        checks=checks,
        hosts=reports,
    )


def report_data(
    hosts: list[Host],
    finished: datetime,
    run_id: str | None = None,
    partial: tuple[str, int] | None = None,
    lang: str = "en",
) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(run_report(hosts, finished, lang).model_dump_json())
    for host, raw in zip(hosts, data["hosts"], strict=True):
        if host.machine_id and raw.get("platform"):
            raw["platform"]["machine_id"] = host.machine_id
    if run_id is not None:
        data["run_id"] = run_id
    if partial is not None:
        reason, planned = partial
        data["partial"] = {
            "reason": reason,
            "hosts_planned": planned,
            "hosts_reported": len(hosts),
        }
    return data


def write_report(path: Path, data: dict[str, Any], indent: int | None = 2) -> Path:
    path.write_text(json.dumps(data, indent=indent, ensure_ascii=False), encoding="utf-8")
    return path
