"""patch_level for `probe export --intune-compliance`: the settings of
compliance/intune_settings.ps1 and the rules that judge them with the baseline's parameters
and the release table in use at export, embedded in the script.

    PatchPendingSecurityUpdates  Int64  security and critical updates the last automatic
                                        scan lists (definition updates not counted);
                                        99999 not searched (no FullLanguage, the search
                                        failed or timed out, no scan, a scan older than 7
                                        days or in the future)
                                                        LessEquals max_pending_security_updates
    PatchDaysSinceUpdate         Int64  days since the newest monthly cumulative update of
                                        the build the table lists was installed; 99999 not
                                        read      LessEquals max_days_since_update
    PatchRebootPending           Int64  1 a restart marker is set, 0 none, -1 not read
                                        IsEquals 0 (GreaterEquals 0 with allow_reboot_pending)
    PatchMonthlyUpdate           String Current | Behind | NotServiced | NotInTable |
                                        TooNew | TableStale | Server | Unknown
                                                        IsEquals Current

Together the rules pass only where the check passes every outcome. The table is the one
`evaluate` would use on the exporting machine (releases.py): days counted from 0001-01-01,
each build's monthly releases and the KB articles of every release. Stricter than the
check where a PC runs a hotpatch release (credited by the check, not here), where an
InstalledOn is a FILETIME rather than M/d/yyyy, where the scan time is not in the probe's
form (yyyy-MM-ddTHH:mm:ssZ), and where a text is not ASCII (docs/deploy-probes.md).
"""

from __future__ import annotations

from msgspec import Struct

from endpoint_audit.checkkit.intune import (
    IntuneSettings,
    RuleMaker,
    compliance_script,
    ps_string,
)
from endpoint_audit.checkkit.windows_probe import windows_script
from endpoint_audit.checks.patch_level.check import PatchLevelParams
from endpoint_audit.checks.patch_level.releases import (
    ReleaseKind,
    ReleaseTable,
    ReleaseTableError,
    release_table,
)
from endpoint_audit.checks.patch_level.windows import WINDOWS_UPDATE
from endpoint_audit.model.commands import PowerShell
from endpoint_audit.model.intune import IntuneRule, Operator

TEXT = "patch_level.intune"
# Seconds the pending-update search may take here: under a check's share of the budget.
SEARCH_SECONDS = 12
# The collectors' batch prelude gives windows_update_pending.ps1 this; the discovery
# script has none, and runs the probe in FullLanguage only.
_BOUNDED = r"""
function Invoke-EABounded {
    param([scriptblock]$Block, [int]$Seconds)
    $ps = [PowerShell]::Create()
    $null = $ps.AddScript($Block.ToString())
    $handle = $ps.BeginInvoke()
    if ($handle.AsyncWaitHandle.WaitOne($Seconds * 1000)) {
        $out = $ps.EndInvoke($handle)
        $ps.Dispose()
        $value = $null
        if ($out.Count -gt 0) { $value = $out[0] }
        return @{ finished = $true; seconds = $Seconds; value = $value }
    }
    $null = $ps.BeginStop($null, $null)
    return @{ finished = $false; seconds = $Seconds }
}
"""
PENDING_SEARCH = PowerShell(
    "windows_update_pending",
    _BOUNDED
    + windows_script("endpoint_audit.checks.patch_level.windows", "windows_update_pending").replace(
        "__SECONDS__", str(SEARCH_SECONDS)
    ),
)
UNREAD = 99999  # the snippet's $EAPatchUnread


class BuildData(Struct, frozen=True):
    # Monthly releases as (day, UBR, month yyyymm), by date then UBR.
    monthly: tuple[tuple[int, int, int], ...]
    kbs: dict[str, int]  # every release's KB article -> its month (yyyymm)


class TableData(Struct, frozen=True):
    as_of: int
    monthly_days: tuple[tuple[int, int], ...]  # every build's monthly releases: (day, month)
    builds: dict[int, BuildData]


def ps_rows(rows: list[tuple[int, ...]]) -> str:
    """Rows of numbers as a PowerShell array of arrays. One row needs the unary comma:
    `@(@(1, 2))` would be the flat array 1, 2."""
    cells = [f"@({', '.join(str(v) for v in row)})" for row in rows]
    return f"@(, {cells[0]})" if len(cells) == 1 else f"@({', '.join(cells)})"


def table_for_export() -> TableData | None:
    """The table `evaluate` would judge with here; None when it is unusable (every PC is
    then not compliant, as the check says error)."""
    try:
        table: ReleaseTable = release_table()
    except ReleaseTableError:
        return None
    builds: dict[int, BuildData] = {}
    every: set[tuple[int, int]] = set()
    for build, entry in table.builds.items():
        monthly = sorted(
            (r.date.toordinal() - 1, r.ubr, r.date.year * 100 + r.date.month)
            for r in entry.releases
            if r.type is ReleaseKind.MONTHLY
        )
        kbs: dict[str, tuple[int, int]] = {}
        for r in entry.releases:
            known = kbs.get(r.kb)
            if known is None or r.ubr < known[0]:  # the lowest UBR, as by_kb
                kbs[r.kb] = (r.ubr, r.date.year * 100 + r.date.month)
        builds[build] = BuildData(tuple(monthly), {k: m for k, (_, m) in kbs.items()})
        every |= {(d, m) for d, _, m in monthly}
    return TableData(table.as_of.toordinal() - 1, tuple(sorted(every)), builds)


def prelude(params: PatchLevelParams) -> str:
    data = table_for_export()
    if data is None:
        return "# No usable release table.\n$EAPatchAsOf = [int64]-1\n$EAPatchBuilds = @{}\n" + (
            f"$EAPatchMonths = @()\n$EAPatchGraceDays = [int64]{params.monthly_update_grace_days}\n"
        )
    lines = [
        f"$EAPatchAsOf = [int64]{data.as_of}",
        f"$EAPatchGraceDays = [int64]{params.monthly_update_grace_days}",
        f"$EAPatchMonths = {ps_rows(list(data.monthly_days))}",
        "$EAPatchBuilds = @{",
    ]
    for build, entry in sorted(data.builds.items()):
        monthly = ps_rows(list(entry.monthly))
        kbs = "; ".join(f"{ps_string(k)} = {m}" for k, m in sorted(entry.kbs.items()))
        lines.append(f"    '{build}' = @{{ monthly = {monthly}; kbs = @{{ {kbs} }} }}")
    lines.append("}")
    return "\n".join(lines) + "\n"


_rule = RuleMaker(TEXT)


def rules(params: PatchLevelParams, more_info_url: str) -> list[IntuneRule]:
    # A baseline's maximum never reaches the unread value: that must never pass.
    pending = min(params.max_pending_security_updates, UNREAD - 1)
    days = min(params.max_days_since_update, UNREAD - 1)
    reboot: tuple[Operator, int] = (
        ("GreaterEquals", 0) if params.allow_reboot_pending else ("IsEquals", 0)
    )
    return [
        _rule("PatchPendingSecurityUpdates", "LessEquals", pending, "pending", more_info_url,
              maximum=pending),
        _rule("PatchDaysSinceUpdate", "LessEquals", days, "age", more_info_url, maximum=days),
        _rule("PatchRebootPending", *reboot, "reboot", more_info_url),
        _rule("PatchMonthlyUpdate", "IsEquals", "Current", "monthly", more_info_url),
    ]  # fmt: skip


INTUNE = IntuneSettings(
    check_id="patch_level",
    probe=WINDOWS_UPDATE,
    extra_probes=(PENDING_SEARCH,),
    # The search's own bound and a margin for the probe around it.
    min_seconds=SEARCH_SECONDS + 3,
    settings_script=compliance_script(__name__, "intune_settings"),
    settings=(
        "PatchPendingSecurityUpdates",
        "PatchDaysSinceUpdate",
        "PatchRebootPending",
        "PatchMonthlyUpdate",
    ),
    rules=rules,
    prelude=prelude,
)
