"""A year of weekly audit rounds of a municipality's PCs, written as fleet JSON reports
with the real model classes (what `scan -i ... --output-dir` or `evaluate SHARE` write).

    .venv/bin/python bench/history_gen.py OUT_DIR [--hosts 500] [--rounds 52] [--seed 1]

Each PC belongs to a site and a 課 (inventory groups, outermost first), runs Windows 11,
Windows 10, macOS or Linux, and carries a machine id (most do; older PCs' reports lack
one). Week by week, PCs install updates (or not), problems appear and are fixed (a data
drive left unencrypted, the Public firewall profile off, RDP listening, a long screen
lock), a few PCs are away for weeks (telework), some are unreachable on the day, firewall
waivers expire, five PCs are renamed in week 20, and round 30 is interrupted part-way
(its report is marked partial, as an interrupted run's report is). Every finding carries
evidence the size real probes give. Reports carry a run id, as runs with --output-dir do.
"""

from __future__ import annotations

import argparse
import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from endpoint_audit.model import i18n
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.model.result import (
    BaselineInfo,
    CheckInfo,
    Evidence,
    Finding,
    HostReport,
    RunReport,
    Severity,
    Status,
    ToolInfo,
    WaiverRef,
)

START = datetime(2025, 4, 7, 0, 30, tzinfo=UTC)  # a Monday, 09:30 JST
WEEK = timedelta(days=7)
SITES = ("honcho", "kita-shisho", "minami-shisho")
KA = (
    "総務課",
    "税務課",
    "市民課",
    "福祉課",
    "建設課",
    "企画課",
    "会計課",
    "環境課",
    "教育総務課",
    "消防本部",
)
SEVERITY = {
    "disk_encryption": Severity.CRITICAL,
    "patch_level": Severity.HIGH,
    "firewall": Severity.HIGH,
    "open_ports": Severity.HIGH,
    "screen_lock": Severity.MEDIUM,
}
PLATFORMS = (
    (
        0.50,
        PlatformInfo(
            family=OsFamily.WINDOWS,
            distro="windows",
            version="10.0.26100",
            build="26100.4061",
            pretty_name="Windows 11 Pro 24H2",
            transport="ssh",
        ),
    ),
    (
        0.20,
        PlatformInfo(
            family=OsFamily.WINDOWS,
            distro="windows",
            version="10.0.22631",
            build="22631.5335",
            pretty_name="Windows 11 Pro 23H2",
            transport="ssh",
        ),
    ),
    (
        0.15,
        PlatformInfo(
            family=OsFamily.WINDOWS,
            distro="windows",
            version="10.0.19045",
            build="19045.5854",
            pretty_name="Windows 10 Pro 22H2",
            transport="ssh",
        ),
    ),
    (
        0.08,
        PlatformInfo(
            family=OsFamily.MACOS,
            distro="macos",
            version="14.7",
            pretty_name="macOS 14.7 Sonoma",
            transport="ssh",
        ),
    ),
    (
        0.07,
        PlatformInfo(
            family=OsFamily.LINUX,
            distro="ubuntu",
            version="24.04",
            pretty_name="Ubuntu 24.04.2 LTS",
            transport="ssh",
        ),
    ),
)
BITLOCKER = (
    '[exit 0] {{"MountPoint":"{v}","VolumeStatus":{s},"ProtectionStatus":{p},'
    '"EncryptionMethod":7,"EncryptionPercentage":{pct},"KeyProtector":["Tpm","RecoveryPassword"],'
    '"VolumeType":"{t}","CapacityGB":476.3}}'
)
FIREWALL = (
    '[exit 0] [{{"Name":"Domain","Enabled":1,"DefaultInboundAction":4}},'
    '{{"Name":"Private","Enabled":1,"DefaultInboundAction":4}},'
    '{{"Name":"Public","Enabled":{public},"DefaultInboundAction":4}}]'
)
LISTENERS = (
    '[exit 0] [{{"LocalAddress":"0.0.0.0","LocalPort":135,"OwningProcess":1104,"Name":"svchost"}},'
    '{{"LocalAddress":"0.0.0.0","LocalPort":445,"OwningProcess":4,"Name":"System"}},'
    '{{"LocalAddress":"::","LocalPort":5040,"OwningProcess":6404,"Name":"svchost"}}{rdp}]'
)
UPDATES = (
    '[exit 0] {{"LastSuccess":"{when}","History":[{{"Title":"2025-xx Cumulative Update for '
    'Windows 11 (KB50xxxxx)","Date":"{when}","ResultCode":2}}],"Pending":{pending},'
    '"RebootRequired":{reboot}}}'
)
SCREEN = (
    '[exit 0] {{"InactivityTimeoutSecs":{secs},"ScreenSaverGracePeriod":5,"Users":[{{"Sid":'
    '"S-1-5-21-REDACTED-1001","ScreenSaveActive":"1","ScreenSaverIsSecure":"1",'
    '"ScreenSaveTimeOut":"{secs}"}}]}}'
)


@dataclass
class Pc:
    name: str
    groups: tuple[str, ...]
    platform: PlatformInfo
    machine_id: str | None
    last_update: datetime
    problems: set[str] = field(default_factory=set)
    away_until: int = -1  # teleworking: no result until this round
    waiver_until: date | None = None
    data_drive: bool = False


def _finding(
    check_id: str,
    status: Status,
    key: str,
    resource: str | None,
    evidence: str,
    waiver: WaiverRef | None = None,
    **args: Any,
) -> Finding:
    full = f"{check_id}.msg.{key}"
    return Finding(
        check_id=check_id,
        resource=resource,
        status=status,
        severity=SEVERITY[check_id],
        message=i18n.t("ja", full, **args),
        message_key=full,
        message_args=args,
        evidence=[Evidence(source=f"ps:{check_id}", excerpt=evidence)],
        waiver=waiver,
    )


def findings(pc: Pc, now: datetime, rng: random.Random) -> list[Finding]:
    out: list[Finding] = []
    windows = pc.platform.family is OsFamily.WINDOWS
    volumes = ["C:", "D:"] if windows and pc.data_drive else ["C:" if windows else "/"]
    for volume in volumes:
        bad = volume == "D:" and "disk" in pc.problems
        ev = BITLOCKER.format(
            v=volume,
            s=0 if bad else 1,
            p=0 if bad else 1,
            pct=0 if bad else 100,
            t="Data" if volume == "D:" else "OperatingSystem",
        )
        if bad:
            out.append(
                _finding(
                    "disk_encryption",
                    Status.FAIL,
                    "not_encrypted",
                    volume,
                    ev,
                    volume=volume,
                    detail="VolumeStatus FullyDecrypted",
                )
            )
        else:
            out.append(
                _finding(
                    "disk_encryption",
                    Status.PASS,
                    "encrypted",
                    volume,
                    ev,
                    volume=volume,
                    method="XtsAes256",
                    detail="Protection On",
                )
            )
    days = max(0, (now - pc.last_update).days)
    reboot = "reboot" in pc.problems
    ev = UPDATES.format(when=pc.last_update.isoformat(), pending=0, reboot=str(reboot).lower())
    out.append(
        _finding(
            "patch_level",
            Status.PASS,
            "pending_pass",
            "pending_security_updates",
            ev,
            count=0,
            limit=0,
            manager="Windows Update",
        )
    )
    out.append(
        _finding(
            "patch_level",
            Status.FAIL if days > 30 else Status.PASS,
            "age_fail" if days > 30 else "age_pass",
            "days_since_update",
            ev,
            days=days,
            limit=30,
            date=pc.last_update.strftime("%Y-%m-%d"),
            source="Windows Update",
        )
    )
    out[-1] = out[-1].model_copy(update={"actual": {"days": days}})
    reboot_finding = _finding(
        "patch_level",
        Status.FAIL if reboot else Status.PASS,
        "reboot_fail" if reboot else "reboot_pass",
        "reboot_required",
        ev,
        detail="RebootRequired" if reboot else "no markers",
    )
    out.append(reboot_finding.model_copy(update={"actual": {"reboot_required": reboot}}))
    public_off = "firewall" in pc.problems
    ev = FIREWALL.format(public=0 if public_off else 1)
    for profile in ("Domain", "Private", "Public"):
        if profile == "Public" and public_off:
            waiver = None
            if pc.waiver_until is not None:
                waiver = WaiverRef(
                    id=f"W-{pc.name}",
                    justification="VPN クライアントのファイアウォールで代替（情報政策課確認済み）",
                    approver="情報政策課長",
                    expires=pc.waiver_until.isoformat(),
                    expired=now.date() > pc.waiver_until,
                )
            out.append(
                _finding(
                    "firewall", Status.FAIL, "profile_off", profile, ev, waiver, profile=profile
                )
            )
        else:
            out.append(
                _finding(
                    "firewall",
                    Status.PASS,
                    "profile_on",
                    profile,
                    ev,
                    profile=profile,
                    inbound="Block",
                )
            )
    rdp = "rdp" in pc.problems
    ev = LISTENERS.format(
        rdp=',{"LocalAddress":"0.0.0.0","LocalPort":3389,"OwningProcess":1320,"Name":"svchost"}'
        if rdp
        else ""
    )
    if rdp:
        out.append(
            _finding(
                "open_ports",
                Status.FAIL,
                "forbidden_port",
                "0.0.0.0:3389/tcp",
                ev,
                endpoint="0.0.0.0:3389/tcp",
                process="svchost.exe",
                user="NETWORK SERVICE",
            )
        )
    else:
        out.append(
            _finding(
                "open_ports",
                Status.PASS,
                "none_forbidden",
                None,
                ev,
                count=3,
                processes="svchost, System",
            )
        )
    long_lock = "screen" in pc.problems
    secs = 1800 if long_lock else 600
    ev = SCREEN.format(secs=secs)
    if windows:
        status, key = (
            (Status.FAIL, "machine_too_long") if long_lock else (Status.PASS, "machine_ok")
        )
        out.append(_finding("screen_lock", status, key, None, ev, seconds=secs, max=900))
    elif rng.random() < 0.1:
        out.append(
            _finding(
                "screen_lock", Status.UNKNOWN, "no_user", None, ev, reason="nobody is logged on"
            )
        )
    else:
        status, key = (Status.FAIL, "idle_too_long") if long_lock else (Status.PASS, "ok")
        out.append(
            _finding(
                "screen_lock",
                status,
                key,
                "user1",
                ev,
                user="user1",
                desktop="GNOME",
                idle=secs,
                max_idle=900,
                delay=5,
            )
        )
    return out


def fleet(hosts: int, rng: random.Random) -> list[Pc]:
    pcs: list[Pc] = []
    weights = [w for w, _ in PLATFORMS]
    for i in range(hosts):
        site = SITES[i % len(SITES)]
        ka = KA[(i * 7) % len(KA)]
        platform = rng.choices([p for _, p in PLATFORMS], weights)[0]
        pc = Pc(
            name=f"pc-{site}-{i:04d}",
            groups=(site, ka),
            platform=platform,
            machine_id=str(uuid.UUID(int=rng.getrandbits(128))) if rng.random() < 0.9 else None,
            last_update=START - timedelta(days=rng.randint(0, 40)),
            data_drive=i % 3 == 0,
        )
        for problem, chance in (
            ("disk", 0.04),
            ("firewall", 0.05),
            ("rdp", 0.03),
            ("screen", 0.08),
            ("reboot", 0.1),
        ):
            if rng.random() < chance:
                pc.problems.add(problem)
        if "firewall" in pc.problems and rng.random() < 0.5:
            pc.waiver_until = (START + timedelta(days=rng.randint(30, 330))).date()
        pcs.append(pc)
    return pcs


def checks() -> dict[str, CheckInfo]:
    return {
        cid: CheckInfo(
            id=cid,
            title=i18n.both(f"{cid}.title"),
            severity=severity,
            platforms=["linux", "macos", "windows"],
        )
        for cid, severity in SEVERITY.items()
    }


def week(pcs: list[Pc], index: int, rng: random.Random) -> tuple[RunReport, dict[str, Any]]:
    now = START + index * WEEK
    reports: list[HostReport] = []
    partial = index == 30  # interrupted part-way: 320 hosts finished
    for n, pc in enumerate(pcs):
        if partial and n >= 320:
            break
        # The week's changes on the PC.
        if rng.random() < 0.7:
            pc.last_update = now - timedelta(days=rng.randint(0, 6), hours=rng.randint(0, 20))
        for problem, fix, appear in (
            ("disk", 0.15, 0.004),
            ("firewall", 0.1, 0.005),
            ("rdp", 0.3, 0.004),
            ("screen", 0.2, 0.006),
            ("reboot", 0.6, 0.08),
        ):
            if problem in pc.problems and rng.random() < fix:
                pc.problems.discard(problem)
            elif problem not in pc.problems and rng.random() < appear:
                pc.problems.add(problem)
        if index == 20 and n % 100 == 7:
            pc.name = pc.name + "-r"  # renamed (reimaged with a new name, same machine id)
        if pc.away_until < index and rng.random() < 0.01:
            pc.away_until = index + rng.randint(2, 8)  # teleworking, off the VPN
        if pc.away_until >= index:
            continue
        started = now + timedelta(seconds=rng.randint(0, 1800))
        if rng.random() < 0.03:
            reports.append(
                HostReport(
                    target=pc.name,
                    status="unreachable",
                    reason="connect timed out after 15 s",
                    groups=list(pc.groups),
                )
            )
            continue
        reports.append(
            HostReport(
                target=pc.name,
                platform=pc.platform,
                started_at=started,
                finished_at=started + timedelta(seconds=rng.uniform(2, 9)),
                duration_seconds=4.2,
                findings=findings(pc, started, rng),
                groups=list(pc.groups),
            )
        )
    report = RunReport(
        tool=ToolInfo(version="0.1.0"),
        baseline=BaselineInfo(
            id="jp-municipal-telework",
            title={
                "ja": "地方公共団体 テレワーク端末ベースライン",
                "en": "Japanese local government telework endpoint baseline",
            },
            version="2026.1",
            sha256="5f" * 32,
            source="shipped:jp-municipal-telework",
        ),
        lang="ja",
        started_at=now,
        finished_at=now + timedelta(minutes=40),
        checks=checks(),
        hosts=reports,
    )
    data: dict[str, Any] = json.loads(report.model_dump_json())
    # What newer reports carry: the run id, each PC's machine id, the partial marker.
    data["run_id"] = str(uuid.UUID(int=rng.getrandbits(128)))
    by_name = {pc.name: pc for pc in pcs}
    for host in data["hosts"]:
        pc = by_name.get(host["target"])
        if pc is not None and pc.machine_id and host.get("platform"):
            host["platform"]["machine_id"] = pc.machine_id
    if partial:
        data["partial"] = {
            "reason": "interrupted",
            "hosts_planned": len(pcs),
            "hosts_reported": len(reports),
        }
    return report, data


def generate(out: Path, hosts: int = 500, rounds: int = 52, seed: int = 1) -> list[Path]:
    rng = random.Random(seed)  # noqa: S311 - synthetic test data, not secrets
    pcs = fleet(hosts, rng)
    paths: list[Path] = []
    for index in range(rounds):
        _, data = week(pcs, index, rng)
        folder = out / f"audit-{index + 1:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "fleet.json"
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--hosts", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=52)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    paths = generate(args.out, args.hosts, args.rounds, args.seed)
    size = sum(p.stat().st_size for p in paths)
    print(f"{len(paths)} rounds of {args.hosts} PCs in {args.out} ({size / 1e6:.1f} MB of JSON)")


if __name__ == "__main__":
    main()
