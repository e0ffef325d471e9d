"""Render a synthetic 1,000-host fleet report to HTML: time, peak memory and file size.

    .venv/bin/python bench/render_html.py [--hosts 1000] [--lang ja] [--out fleet.html]

The fleet is made like a real one: Windows, macOS and Linux PCs, five checks, most hosts
compliant, some with failing disks, open RDP/SMB listeners, waivers (some expired),
unknown screen locks, and a few unreachable hosts; every check carries evidence. The
same report is also rendered as CSV, JUnit and Markdown for comparison.
"""

from __future__ import annotations

import argparse
import random
import resource
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from endpoint_audit.model import i18n
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.model.result import (
    BaselineInfo,
    CheckInfo,
    Evidence,
    Finding,
    HostReport,
    Reference,
    RunReport,
    Severity,
    Status,
    ToolInfo,
    WaiverRef,
)
from endpoint_audit.render.base import RenderOptions
from endpoint_audit.render.csv_report import CsvRenderer
from endpoint_audit.render.html import HtmlRenderer
from endpoint_audit.render.junit import JunitRenderer
from endpoint_audit.render.markdown import MarkdownRenderer

START = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
CHECKS = {
    "disk_encryption": Severity.CRITICAL,
    "patch_level": Severity.HIGH,
    "firewall": Severity.HIGH,
    "open_ports": Severity.HIGH,
    "screen_lock": Severity.MEDIUM,
}
PLATFORMS = [
    PlatformInfo(
        family=OsFamily.WINDOWS,
        distro="windows",
        version="10.0.22631",
        build="22631.3447",
        pretty_name="Windows 11 Pro 23H2",
        transport="ssh",
    ),
    PlatformInfo(
        family=OsFamily.WINDOWS,
        distro="windows",
        version="10.0.19045",
        build="19045.4291",
        pretty_name="Windows 10 Pro 22H2",
        transport="ssh",
    ),
    PlatformInfo(
        family=OsFamily.MACOS, distro="macos", version="14.4", pretty_name="macOS 14.4 Sonoma"
    ),
    PlatformInfo(
        family=OsFamily.LINUX, distro="ubuntu", version="24.04", pretty_name="Ubuntu 24.04 LTS"
    ),
]
EVIDENCE = (
    '[exit 0] {"MountPoint":"C:","VolumeStatus":1,"ProtectionStatus":1,'
    '"EncryptionMethod":7,"EncryptionPercentage":100,"KeyProtector":["Tpm","RecoveryPassword"]}'
) * 3


def check_infos() -> dict[str, CheckInfo]:
    out = {}
    for cid, severity in CHECKS.items():
        out[cid] = CheckInfo(
            id=cid,
            title={"ja": f"{cid}（日本語名）", "en": cid.replace("_", " ").capitalize()},
            description={"ja": "確認内容の説明です。" * 3, "en": "What the check reads. " * 3},
            rationale={"ja": "根拠の説明です。" * 3, "en": "Why it matters. " * 3},
            severity=severity,
            platforms=["linux", "macos", "windows"],
            remediation={
                os: {"ja": f"{os} での対処方法です。" * 4, "en": f"How to fix it on {os}. " * 4}
                for os in ("linux", "macos", "windows")
            },
            references=[
                Reference(framework="mic_telework", id="データ保護", title="第5版 対策分類"),
                Reference(framework="municipal_policy", id="3.2.4.4", title="端末の管理"),
                Reference(
                    framework="cis_windows11",
                    id="18.10.9",
                    title="BitLocker",
                    platforms=("windows",),
                ),
            ],
        )
    return out


def finding(
    cid: str,
    status: Status,
    lang: str,
    resource: str | None = None,
    waiver: WaiverRef | None = None,
) -> Finding:
    key = "core.msg.fact_unavailable"
    args: dict[str, str | int | float | bool | None] = {"reason": f"{cid} on {resource or 'host'}"}
    return Finding(
        check_id=cid,
        resource=resource,
        status=status,
        severity=CHECKS[cid],
        message=i18n.t(lang, key, **args),
        message_key=key,
        message_args=args,
        expected={"state": "on"},
        actual={"state": "on" if status is Status.PASS else "off"},
        evidence=[Evidence(source=f"ps:{cid}", excerpt=EVIDENCE)],
        waiver=waiver,
    )


def make_host(index: int, rng: random.Random, lang: str) -> HostReport:
    name = f"pc-{index:04d}.soumu.city.example.lg.jp"
    if rng.random() < 0.02:
        return HostReport(target=name, status="unreachable", reason="connection timed out")
    platform = rng.choice(PLATFORMS)
    findings: list[Finding] = []
    for cid in CHECKS:
        roll = rng.random()
        if cid == "open_ports" and roll < 0.15:
            ports = rng.sample([139, 445, 3389, 5900, 5985], k=rng.randint(1, 3))
            findings.extend(finding(cid, Status.FAIL, lang, f"0.0.0.0:{p}/tcp") for p in ports)
            continue
        if roll < 0.08:
            findings.append(finding(cid, Status.FAIL, lang, "C:"))
        elif roll < 0.11:
            expired = rng.random() < 0.3
            waiver = WaiverRef(
                justification="代替策あり（VPN 経由のみ接続）",
                approver="情報政策課長",
                expires="2026-01-31" if expired else "2026-12-31",
                expired=expired,
            )
            findings.append(finding(cid, Status.FAIL, lang, "C:", waiver))
        elif roll < 0.15:
            findings.append(finding(cid, Status.UNKNOWN, lang))
        elif roll < 0.16:
            findings.append(finding(cid, Status.ERROR, lang))
        else:
            findings.append(
                finding(cid, Status.PASS, lang, "C:" if cid == "disk_encryption" else None)
            )
    started = START + timedelta(seconds=index)
    return HostReport(
        target=name,
        platform=platform,
        started_at=started,
        finished_at=started + timedelta(seconds=2),
        duration_seconds=2.0,
        findings=findings,
    )


def make_fleet(hosts: int, lang: str, seed: int = 7) -> RunReport:
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    return RunReport(
        tool=ToolInfo(version="bench"),
        baseline=BaselineInfo(
            id="jp-municipal-telework",
            title={"ja": "地方公共団体 テレワーク端末ベースライン", "en": "Municipal telework"},
            version="1.0",
            sha256="ab" * 32,
        ),
        lang=lang,
        started_at=START,
        finished_at=START + timedelta(minutes=20),
        checks=check_infos(),
        hosts=[make_host(i, rng, lang) for i in range(hosts)],
    )


def measure(render: object, report: RunReport, lang: str) -> tuple[float, int, str]:
    """Wall time of a plain run, then peak Python memory of a second, traced run (tracing
    slows Python down several times, so it never overlaps the timing)."""
    assert callable(render)
    clock = time.perf_counter()
    text = render(report, RenderOptions(lang=lang))
    elapsed = time.perf_counter() - clock
    del text
    tracemalloc.start()
    text = render(report, RenderOptions(lang=lang))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert isinstance(text, str)
    return elapsed, peak, text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--lang", default="ja", choices=i18n.LANGUAGES)
    parser.add_argument("--out", type=Path, default=None, help="also write the HTML here")
    args = parser.parse_args()

    report = make_fleet(args.hosts, args.lang)
    findings = sum(len(h.findings) for h in report.hosts)
    print(f"fleet: {len(report.hosts)} hosts, {findings} findings, lang={args.lang}")
    HtmlRenderer().render(make_fleet(2, args.lang), RenderOptions(lang=args.lang))  # warm up
    for name, renderer in (
        ("html", HtmlRenderer()),
        ("csv", CsvRenderer()),
        ("junit", JunitRenderer()),
        ("markdown", MarkdownRenderer()),
    ):
        elapsed, peak, text = measure(renderer.render, report, args.lang)
        size = len(text.encode(renderer.encoding))
        print(
            f"{name:9s} time {elapsed:6.2f} s   peak memory {peak / 2**20:7.1f} MiB   "
            f"size {size / 2**20:6.2f} MiB ({size / max(1, len(report.hosts)) / 1024:.1f} KiB/host)"
        )
        if name == "html" and args.out is not None:
            args.out.write_text(text, encoding="utf-8")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS {rss:.0f} MiB (report model, renderers and interpreter)")


if __name__ == "__main__":
    main()
