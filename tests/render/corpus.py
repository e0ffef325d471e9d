"""Reports for renderer tests: a fixed sample with every status and waiver state, and host
data that tries to break out of every format (markup, formulas, control characters)."""

from __future__ import annotations

from datetime import UTC, datetime

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

# Each of these must show as plain text in every format. The markers (`PWNED`) let a
# browser test tell whether any of them ran.
HOSTILE = {
    "script": "<script>document.documentElement.setAttribute('data-pwned','script')</script>",
    "img": "\"><img src=x onerror=\"document.documentElement.setAttribute('data-pwned','img')\">",
    "textarea": (
        "</textarea><svg onload=\"document.documentElement.setAttribute('data-pwned','svg')\">"
    ),
    "rich": "[red]not red[/red] [link=http://127.0.0.1:9/x]click[/link]",
    "formula_cmd": "=cmd|' /C calc'!A0",
    "formula_plus": "+SUM(1,2)",
    "formula_minus": "-2+3",
    "formula_at": "@SUM(A1)",
    "tab": "\t=1+1",
    "cr": "\r=1+1",
    "escape": "\x1b[31mred\x1b[0m\x1b]8;;http://127.0.0.1:9/\x07link\x1b]8;;\x07",
    "replacement": "bad-utf8-\ufffd\ufffd-name",
    "markdown": "**bold** _it_ `code` [x](http://127.0.0.1:9/) | pipe # hash",
    "remote_img": '<img src="http://127.0.0.1:9/beacon.png">',
    "style": "<style>body{display:none}</style><link rel=stylesheet href=http://127.0.0.1:9/x.css>",
    "braces": "{reason} {0} {{x}}",
    "japanese": "総務課-端末０１（山田）",
}

STARTED = datetime(2026, 4, 1, 0, 0, 0, tzinfo=UTC)
FINISHED = datetime(2026, 4, 1, 0, 0, 42, tzinfo=UTC)


def _info(cid: str, ja: str, en: str, severity: Severity) -> CheckInfo:
    return CheckInfo(
        id=cid,
        title={"ja": ja, "en": en},
        description={"ja": f"{ja}を確認します。", "en": f"Checks {en.lower()}."},
        rationale={"ja": "紛失・盗難への備えです。", "en": "Against loss and theft."},
        severity=severity,
        platforms=["linux", "macos", "windows"],
        remediation={
            "windows": {"ja": "設定アプリで有効にします。", "en": "Turn it on in Settings."},
            "linux": {"ja": "systemctl で有効にします。", "en": "Enable it with systemctl."},
            "macos": {"ja": "システム設定で有効にします。", "en": "Turn it on in System Settings."},
        },
        references=[
            Reference(framework="mic_telework", id="データ保護", title="第5版 対策分類"),
            Reference(
                framework="cis_windows11", id="18.10.9", title="BitLocker", platforms=("windows",)
            ),
            Reference(
                framework="cis_ubuntu2404", id="1.7.4", title="GNOME idle", platforms=("linux",)
            ),
        ],
    )


CHECKS = {
    "disk_encryption": _info(
        "disk_encryption", "ディスク暗号化", "Disk encryption", Severity.CRITICAL
    ),
    "firewall": _info("firewall", "ファイアウォール", "Firewall", Severity.HIGH),
    "open_ports": _info("open_ports", "待ち受けポート", "Listening ports", Severity.HIGH),
    "screen_lock": _info("screen_lock", "画面ロック", "Screen lock", Severity.MEDIUM),
}


def finding(
    check_id: str,
    status: Status,
    key: str = "core.msg.fact_unavailable",
    resource: str | None = None,
    lang: str = "en",
    waiver: WaiverRef | None = None,
    evidence: list[Evidence] | None = None,
    expected: object = None,
    actual: object = None,
    **args: str | int,
) -> Finding:
    return Finding(
        check_id=check_id,
        resource=resource,
        status=status,
        severity=CHECKS[check_id].severity if check_id in CHECKS else Severity.LOW,
        message=i18n.t(lang, key, **args),
        message_key=key,
        message_args=dict(args),
        expected=expected,
        actual=actual,
        evidence=evidence or [],
        waiver=waiver,
    )


WIN = PlatformInfo(
    family=OsFamily.WINDOWS,
    distro="windows",
    version="10.0.22631",
    build="22631.3447",
    pretty_name="Windows 11 Pro 23H2",
    transport="replay",
)
LINUX = PlatformInfo(
    family=OsFamily.LINUX, distro="ubuntu", version="24.04", pretty_name="Ubuntu 24.04 LTS"
)


def sample_hosts(lang: str = "en") -> list[HostReport]:
    """Three hosts: one failing with waivers, one clean, one unreachable."""
    ev = [
        Evidence(source="ps:bitlocker", excerpt='[exit 0] {"volumes": [{"C:": "FullyEncrypted"}]}')
    ]
    win = HostReport(
        target="pc-soumu-001",
        platform=WIN,
        started_at=STARTED,
        finished_at=FINISHED,
        duration_seconds=1.5,
        findings=[
            finding(
                "disk_encryption",
                Status.PASS,
                "core.msg.fact_unavailable",
                "C:",
                lang,
                reason="ok",
                evidence=ev,
                expected="FullyEncrypted",
                actual="FullyEncrypted",
            ),
            finding(
                "disk_encryption",
                Status.FAIL,
                "core.msg.fact_unavailable",
                "D:",
                lang,
                reason="D: is not encrypted",
                evidence=ev,
                expected="FullyEncrypted",
                actual="FullyDecrypted",
            ),
            finding(
                "firewall",
                Status.FAIL,
                "core.msg.fact_unavailable",
                "Public",
                lang,
                reason="the Public profile is off",
                expected=True,
                actual=False,
                waiver=WaiverRef(
                    id="W-1",
                    justification="VPN 製品が代替",
                    approver="情報政策課",
                    expires="2026-12-31",
                    approved="2026-01-05",
                    timezone="Asia/Tokyo",
                ),
            ),
            finding(
                "open_ports",
                Status.FAIL,
                "open_ports.msg.forbidden_port",
                "0.0.0.0:3389/tcp",
                lang,
                endpoint="0.0.0.0:3389/tcp",
                process="svchost.exe",
                user="SYSTEM",
                expected={"forbidden": ["3389"]},
                actual={"port": 3389},
                waiver=WaiverRef(
                    justification="old exception", approver="IT", expires="2026-01-31", expired=True
                ),
            ),
            finding(
                "screen_lock",
                Status.UNKNOWN,
                "core.msg.needs_privilege",
                None,
                lang,
                reason="nobody is logged on",
                privilege="administrator",
            ),
        ],
    )
    clean = HostReport(
        target="pc-kikaku-002",
        platform=LINUX,
        source="share/endpoint-audit-pc-kikaku-002-20260401T000000Z.json",
        collected_at=datetime(2026, 3, 31, 23, 58, 7, tzinfo=UTC),
        started_at=STARTED,
        finished_at=FINISHED,
        findings=[
            finding(
                "disk_encryption", Status.PASS, "core.msg.fact_unavailable", "/", lang, reason="ok"
            ),
            finding("firewall", Status.PASS, "core.msg.fact_unavailable", None, lang, reason="ok"),
            finding(
                "open_ports",
                Status.PASS,
                "open_ports.msg.none_forbidden",
                None,
                lang,
                count=2,
                listening="0.0.0.0:22/tcp, [::]:631/tcp",
                processes="sshd, cupsd",
            ),
            finding(
                "screen_lock",
                Status.NOT_APPLICABLE,
                "core.msg.not_applicable",
                None,
                lang,
                reason="no desktop session",
            ),
        ],
    )
    down = HostReport(target="pc-zaimu-003", status="unreachable", reason="connection refused")
    return [win, clean, down]


def hostile_host(lang: str = "en") -> HostReport:
    """One host whose every piece of text is hostile."""
    findings = [
        finding(
            "open_ports",
            Status.FAIL,
            "open_ports.msg.forbidden_port",
            resource=value,
            lang=lang,
            endpoint=value,
            process=value,
            user=value,
            expected=value,
            actual={"process": value},
            evidence=[Evidence(source=value, excerpt=value)],
        )
        for value in HOSTILE.values()
    ]
    findings.append(
        finding(
            "firewall",
            Status.FAIL,
            "core.msg.fact_error",
            resource=HOSTILE["formula_cmd"],
            lang=lang,
            reason=HOSTILE["script"],
            waiver=WaiverRef(
                justification=HOSTILE["img"], approver=HOSTILE["formula_at"], expires="2099-01-01"
            ),
        )
    )
    return HostReport(
        target=HOSTILE["script"] + HOSTILE["formula_cmd"],
        platform=PlatformInfo(family=OsFamily.LINUX, pretty_name=HOSTILE["img"]),
        source=HOSTILE["script"],
        name_conflicts=[HOSTILE["escape"], HOSTILE["img"]],
        findings=findings,
    )


def hostile_unreachable() -> HostReport:
    return HostReport(target=HOSTILE["textarea"], status="unreachable", reason=HOSTILE["escape"])


def make_report(hosts: list[HostReport], lang: str = "en") -> RunReport:
    return RunReport(
        tool=ToolInfo(version="0.1.0"),
        baseline=BaselineInfo(
            id="jp-municipal-telework",
            title={
                "ja": "地方公共団体 テレワーク端末ベースライン",
                "en": "Municipal telework baseline",
            },
            version="1.0",
            sha256="9f2c" * 16,
            source="jp-municipal-telework",
        ),
        lang=lang,
        started_at=STARTED,
        finished_at=FINISHED,
        checks=dict(CHECKS),
        hosts=hosts,
    )


def sample_report(lang: str = "en") -> RunReport:
    return make_report(sample_hosts(lang), lang)


def single_host_report(lang: str = "en") -> RunReport:
    return make_report(sample_hosts(lang)[:1], lang)


def hostile_report(lang: str = "en") -> RunReport:
    return make_report([hostile_host(lang), hostile_unreachable(), *sample_hosts(lang)[:1]], lang)
