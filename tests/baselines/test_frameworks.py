"""The framework view: compliance per requirement computed from a report, and its renderer."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from endpoint_audit.model.compliance import Verdict, framework_compliance, worst
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.model.result import (
    BaselineInfo,
    CheckInfo,
    Finding,
    HostReport,
    Reference,
    RunReport,
    Severity,
    Status,
    ToolInfo,
    WaiverRef,
)
from tests.baselines.helpers import COMPLIANT, RDP, run

WIN = PlatformInfo(family=OsFamily.WINDOWS)
MAC = PlatformInfo(family=OsFamily.MACOS)


def f(check: str, status: Status, waiver: WaiverRef | None = None) -> Finding:
    return Finding(
        check_id=check,
        status=status,
        severity=Severity.HIGH,
        message="m",
        message_key="k",
        waiver=waiver,
    )


def info(check: str, *refs: Reference) -> CheckInfo:
    return CheckInfo(
        id=check, title={"en": check}, severity=Severity.HIGH, platforms=[], references=list(refs)
    )


def report() -> RunReport:
    mic = Reference(framework="mic_telework", id="物理的セキュリティ")
    now = datetime(2026, 4, 1, tzinfo=UTC)
    waived = WaiverRef(justification="j", approver="a", expires="2026-12-31")
    return RunReport(
        tool=ToolInfo(version="0"),
        baseline=BaselineInfo(id="b", version="1", sha256="0"),
        started_at=now,
        finished_at=now,
        checks={
            "disk_encryption": info(
                "disk_encryption",
                mic,
                Reference(framework="cis_macos14", id="2.6.6", platforms=("macos",)),
            ),
            "screen_lock": info(
                "screen_lock",
                mic,
                Reference(framework="cis_windows11", id="2.3.7.4", platforms=("windows",)),
                Reference(framework="cis_macos14", id="2.10.1", platforms=("macos",)),
            ),
        },
        hosts=[
            HostReport(
                target="win-1",
                platform=WIN,
                findings=[
                    f("disk_encryption", Status.PASS),
                    f("disk_encryption", Status.FAIL, waived),
                    f("screen_lock", Status.PASS),
                ],
            ),
            HostReport(
                target="mac-1",
                platform=MAC,
                findings=[f("disk_encryption", Status.FAIL), f("screen_lock", Status.UNKNOWN)],
            ),
            HostReport(target="gone", status="unreachable", reason="timeout"),
        ],
    )


def test_requirements_roll_up_per_host() -> None:
    frameworks = {fw.framework: fw for fw in framework_compliance(report())}
    # MIC first, then CIS Windows before CIS macOS.
    assert list(frameworks) == ["mic_telework", "cis_windows11", "cis_macos14"]
    [physical] = frameworks["mic_telework"].requirements
    assert physical.checks == ("disk_encryption", "screen_lock")
    assert physical.hosts["win-1"].verdict is Verdict.WAIVED  # a waived failure stays visible
    assert physical.hosts["win-1"].checks == {
        "disk_encryption": Verdict.WAIVED,
        "screen_lock": Verdict.PASS,
    }
    assert physical.hosts["mac-1"].verdict is Verdict.FAIL
    assert physical.hosts["gone"].verdict is Verdict.UNKNOWN  # nothing was seen
    assert physical.verdict is Verdict.FAIL
    assert physical.counts == {Verdict.WAIVED: 1, Verdict.FAIL: 1, Verdict.UNKNOWN: 1}


def test_cis_items_apply_only_to_their_os() -> None:
    frameworks = {fw.framework: fw for fw in framework_compliance(report())}
    [win_lock] = frameworks["cis_windows11"].requirements
    assert win_lock.hosts["win-1"].verdict is Verdict.PASS
    assert win_lock.hosts["mac-1"].verdict is Verdict.NOT_APPLICABLE
    mac = {r.id: r for r in frameworks["cis_macos14"].requirements}
    assert list(mac) == ["2.6.6", "2.10.1"]  # natural order, not text order
    assert mac["2.6.6"].hosts["mac-1"].verdict is Verdict.FAIL
    assert mac["2.6.6"].hosts["win-1"].verdict is Verdict.NOT_APPLICABLE
    assert mac["2.10.1"].hosts["mac-1"].verdict is Verdict.UNKNOWN


def test_worst_order() -> None:
    assert worst([Verdict.PASS, Verdict.WAIVED]) is Verdict.WAIVED
    assert worst([Verdict.UNKNOWN, Verdict.ERROR]) is Verdict.ERROR
    assert worst([]) is Verdict.NOT_APPLICABLE


def test_scan_frameworks_format_in_both_languages() -> None:
    en = run("scan", "--replay", RDP, "-f", "frameworks", "--lang", "en")
    assert en.code == 1
    assert "MIC Telework Security Guideline" in en.stdout
    assert "6.5  不正アクセス対策" in en.stdout
    assert "2.3.7.4" in en.stdout  # CIS Windows screen lock item
    assert "CIS Apple macOS" not in en.stdout  # a Windows-only report leaves macOS out
    ja = run("scan", "--replay", COMPLIANT, "-f", "frameworks", "--lang", "ja")
    assert ja.code == 0
    assert "総務省 テレワークセキュリティガイドライン" in ja.stdout
    assert "適合" in ja.stdout and "不適合" not in ja.stdout


def test_saved_report_renders_the_framework_view(tmp_path: Path) -> None:
    saved = tmp_path / "r.json"
    assert run("scan", "--replay", RDP, "-f", f"json:{saved}").code == 1
    result = run("report", "render", saved, "-f", "frameworks", "--lang", "ja")
    assert result.code == 0, result.stderr
    assert "不適合" in result.stdout and "6.5" in result.stdout


def test_many_hosts_are_counted_and_host_text_is_cleaned() -> None:
    from endpoint_audit.render.base import RenderOptions
    from endpoint_audit.render.frameworks import FrameworksRenderer

    base = report()
    hosts = [
        HostReport(
            target=f"pc-{i}\x1b[2J",
            platform=WIN,
            findings=[f("disk_encryption", Status.PASS), f("screen_lock", Status.FAIL)],
        )
        for i in range(8)
    ]
    text = FrameworksRenderer().render(
        base.model_copy(update={"hosts": hosts}), RenderOptions(lang="en", width=160)
    )
    assert "\x1b" not in text
    assert "pc-0" not in text  # eight hosts: counts instead of a column each
    assert "FAIL 8" in text
