"""Third-party agents on Linux and macOS that a baseline may require.

Microsoft Defender for Endpoint: `mdatp health` prints one `field : value` line per
health field (learn.microsoft.com "Investigate agent health issues"); the field names
are identifiers and the values JSON (`true`, `"up_to_date"`, numbers), sometimes followed
by ` [managed]`. Real-time protection is on when it is enabled, available (enabled but not
available: its kernel or system extension is not approved) and not in passive mode, and
the agent passes only while it reports itself `healthy` ("true denotes that the product is
functioning as expected", Microsoft's Linux manual deployment guide). Only those are
read: `definitions_updated` is a date in English words and is left alone for
`definitions_updated_minutes_ago`.

ClamAV: the age of the signature database (daily.cld or daily.cvd): the older of the
build time in its header and the time freshclam wrote it (`stat`, seconds since the
epoch), and whether on-access scanning (clamonacc) runs, from systemd's ActiveState value.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from endpoint_audit.checkkit import Results, require
from endpoint_audit.checkkit.lines import host_lines
from endpoint_audit.checks.antivirus.facts import AgentStatus
from endpoint_audit.model.commands import Argv, CommandResult
from endpoint_audit.model.observed import Observed, Reason, seen, unknown

CLAMAV_DB = ("/var/lib/clamav/daily.cld", "/var/lib/clamav/daily.cvd")
CLAMAV_STAT = Argv(("stat", "-c", "%n %Y", *CLAMAV_DB))
# The 512-byte header of each database: "ClamAV-VDB:<build time>:<version>:<sigs>:<flevel>:
# <md5>:<dsig>:<builder>:<stime>", stime the build time in seconds since the epoch (a
# public daily.cvd header: "ClamAV-VDB:16 Apr 2020 07-58 -0400:25784:2267600:63:...:
# raynman:1587038339"; freshclam writes the .cld header from the applied update's .info).
# The file's modification time alone is when it was written, not how old its signatures
# are: a copied or packaged database (a container image with databases preloaded) is new
# on disk and old inside.
CLAMAV_HEADERS = {path: Argv(("head", "-c", "512", "--", path)) for path in CLAMAV_DB}
CLAMONACC = Argv(
    ("systemctl", "show", "--property=ActiveState", "--value", "clamav-clamonacc.service")
)
TAMPER_ON = ("block", "audit")  # mdatp tamper_protection values that keep settings locked
LAST_SECOND = 253402300799  # 9999-12-31T23:59:59Z: a later time is no date


def mdatp_command(path: str) -> Argv:
    return Argv((path, "health"))


def health_fields(text: str) -> dict[str, object]:
    """The JSON values of `mdatp health`; lines whose value is not JSON are skipped."""
    out: dict[str, object] = {}
    for line in host_lines(text):
        name, sep, raw = line.partition(" : ")
        name, raw = name.strip(), raw.strip()
        if not sep or not name.replace("_", "").isalnum():
            continue
        raw = raw.removesuffix("[managed]").strip()
        try:
            out[name] = json.loads(raw)
        except ValueError:
            continue
    return out


def mdatp_status(result: CommandResult) -> Observed[AgentStatus]:
    if result.not_found:
        return seen(
            AgentStatus(installed=False, detail=Reason(key="antivirus.reason.mdatp_not_found"))
        )
    if not result.ok:
        return unknown("antivirus.reason.agent_failed", agent="mdatp", output=result.excerpt(200))
    fields = health_fields(result.stdout)
    if "real_time_protection_enabled" not in fields:
        return unknown("antivirus.reason.agent_unreadable", agent="mdatp")
    real_time = fields.get("real_time_protection_enabled")
    # Enabled is the setting; available false means it cannot run (a kernel or system
    # extension not approved: Microsoft's mac-support-kext.md, microsoft-365-docs #9727).
    available = fields.get("real_time_protection_available")
    passive = fields.get("passive_mode_enabled")
    healthy = fields.get("healthy")
    minutes = fields.get("definitions_updated_minutes_ago")
    status = fields.get("definitions_status")
    tamper = fields.get("tamper_protection")
    issues = fields.get("health_issues")
    detail = (
        f"healthy={healthy}, health_issues={json.dumps(issues, ensure_ascii=False)[:200]}, "
        f"real_time_protection_enabled={real_time}, "
        f"real_time_protection_available={available}, passive_mode_enabled={passive}, "
        f"definitions_status={status}, definitions_updated_minutes_ago={minutes}, "
        f"tamper_protection={tamper}"
    )
    # On needs all three; any one of them plainly off turns it off; else not seen.
    on: bool | None = real_time is True and available is True and passive is False
    if not on:
        on = False if real_time is False or available is False or passive is True else None
    return seen(
        AgentStatus(
            installed=True,
            real_time=on,
            signature_age_minutes=(
                minutes
                if isinstance(minutes, int) and not isinstance(minutes, bool) and minutes >= 0
                else None
            ),
            tamper_protected=tamper in TAMPER_ON if isinstance(tamper, str) else None,
            has_tamper_protection=True,
            healthy=healthy if isinstance(healthy, bool) else None,
            has_health=True,
            detail=detail,
        )
    )


def header_time(result: CommandResult | None) -> tuple[int, int] | None:
    """(version, build time in seconds since the epoch) from a database's header; None
    when the output is not such a header."""
    if result is None or not result.ok:
        return None
    text = result.stdout[:512]
    if not text.startswith("ClamAV-VDB:"):
        return None
    fields = text.split(":")
    if len(fields) < 9:
        return None
    version, stime = fields[2].strip(), fields[8].strip(" \x00\r\n\t")
    if not (version.isascii() and version.isdigit() and stime.isascii() and stime.isdigit()):
        return None
    if len(stime) > 12 or int(stime) > LAST_SECOND:
        return None
    return int(version), int(stime)


def clamav_status(results: Results) -> Observed[AgentStatus]:
    """ClamAV from `stat` of its databases, their headers and clamonacc's state."""
    stat = require(results, CLAMAV_STAT)
    written: dict[str, int] = {}
    for line in host_lines(stat.stdout):
        path, _, stamp = line.rpartition(" ")
        if path in CLAMAV_DB and stamp.isascii() and stamp.isdigit() and len(stamp) <= 12:
            if int(stamp) <= LAST_SECOND:
                written[path] = int(stamp)
    times = list(written.values())
    if not times:
        if stat.not_found or stat.exit_status == 1:
            absent = Reason(key="antivirus.reason.clamav_no_database")
            return seen(AgentStatus(installed=False, detail=absent))
        return unknown("antivirus.reason.agent_failed", agent="clamav", output=stat.excerpt(200))
    onacc = require(results, CLAMONACC)
    state = onacc.stdout.strip() if onacc.ok else ""
    # Each database's age: the older of its build time and when it was written (neither is
    # trusted alone); the newest version present is the one clamd loads.
    best: tuple[int, int] | None = None  # (version, time)
    shown: list[str] = []
    for path, mtime in written.items():
        header = header_time(require(results, CLAMAV_HEADERS[path]))
        name = path.rsplit("/", 1)[-1]
        if header is None:
            shown.append(f"{name} written {_iso(mtime)}, header not read")
            continue
        version, built = header
        shown.append(f"{name} version {version} built {_iso(built)}, written {_iso(mtime)}")
        candidate = (version, min(built, mtime))
        if best is None or candidate > best:
            best = candidate
    return seen(
        AgentStatus(
            installed=True,
            real_time=(state == "active") if state else None,
            signature_updated=datetime.fromtimestamp(best[1], UTC) if best else None,
            detail=f"{'; '.join(shown)}; clamonacc ActiveState={state or '?'}",
        )
    )


def _iso(stamp: int) -> str:
    return datetime.fromtimestamp(stamp, UTC).isoformat()
