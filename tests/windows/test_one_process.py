"""One PowerShell process per Windows host scan, whatever the number of checks."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime

import pytest

from endpoint_audit.engine.pipeline import RunRequest, Selection, ThisMachine, make_plans
from endpoint_audit.engine.plan import Plan
from endpoint_audit.engine.registry import load_registry
from endpoint_audit.engine.run import RunOptions, Target, audit_host
from endpoint_audit.model.commands import CommandResult, PowerShell
from endpoint_audit.transport.powershell import (
    BEGIN_MARKER,
    END_MARKER,
    batch_results,
    build_batch_script,
)
from endpoint_audit.transport.replay import ReplayTransport
from endpoint_audit.transport.transcript import HostTranscript
from tests.windows.conftest import CASES, RECORDED_AT, load_case


class CountingReplay(ReplayTransport):
    """Replays a case and counts PowerShell processes (batches) it was asked to start."""

    def __init__(self, recorded: HostTranscript) -> None:
        super().__init__(recorded)
        self.batches: list[list[str]] = []

    async def _run_powershell_batch(
        self, probes: list[PowerShell], timeout: float
    ) -> dict[str, CommandResult]:
        self.batches.append([p.name for p in probes])
        return await super()._run_powershell_batch(probes, timeout)


class ScriptedWindowsHost(CountingReplay):
    """Goes through the real batch path: builds the one script, and answers it the way
    Windows PowerShell 5.1 prints the document (ASCII JSON, arrays sometimes wrapped as
    {"value": [...], "Count": n}), from the recorded probe values."""

    async def _run_powershell_batch(
        self, probes: list[PowerShell], timeout: float
    ) -> dict[str, CommandResult]:
        self.batches.append([p.name for p in probes])
        script = build_batch_script(probes, timeout)
        answered = re.findall(r"\$EAOut\['([a-z0-9_.-]+)'\] = @\{ ok = \$true", script)
        entries: dict[str, object] = {}
        for name in answered:
            recorded = self.recorded.commands[f"ps:{name}"]
            if recorded.ok:
                value = json.loads(recorded.stdout)
                if isinstance(value, list):
                    value = {"value": value, "Count": len(value)}
                entries[name] = {"ok": True, "value": value, "ms": 5}
            elif recorded.refused_language_mode:
                entries[name] = {"ok": False, "refused": recorded.refused_language_mode}
            else:
                entries[name] = {"ok": False, "error": recorded.stderr, "ms": 5}
        text = json.dumps(entries, ensure_ascii=True)
        stdout = f"\r\n{BEGIN_MARKER}\n{text}\n{END_MARKER}\n"
        return batch_results(CommandResult(0, stdout=stdout), probes)


def prepare_plan(baseline: str, only: list[str] | None, skip: list[str] | None) -> Plan:
    request = RunRequest(ThisMachine(), baseline, selection=Selection(tuple(only or ())))
    return make_plans(request, [baseline], load_registry(), print)[baseline]


def scan_with(transport: CountingReplay) -> dict[str, str]:
    plan = prepare_plan("jp-municipal-telework", None, None)
    run = asyncio.run(
        audit_host(Target(transport.target, lambda: transport), plan, RunOptions(), RECORDED_AT)
    )
    return {f"{f.check_id}|{f.resource}": f.status.value for f in run.report.findings}


# The probes of the shipped baseline's Windows rules: each rule's own, and auditpol's,
# shared, which runs only for an administrator.
RULE_PROBES = [
    "rule.jp.autologon_disabled",
    "rule.jp.bitlocker_to_go_required",
    "rule.jp.guest_account_disabled",
    "rule.jp.llmnr_disabled",
    "rule.jp.office_macros_blocked",
    "rule.jp.rdp_disabled",
    "rule.jp.removable_storage_restricted",
    "rule.jp.smb1_server_disabled",
]


@pytest.mark.parametrize("name", CASES)
def test_one_powershell_process_per_host(name: str) -> None:
    recorded = load_case(name)
    transport = CountingReplay(recorded)
    findings = scan_with(transport)
    assert len(transport.batches) == 1
    admin = recorded.platform is None or recorded.platform.is_admin is not False
    rules = sorted([*RULE_PROBES, *(["rule-auditpol"] if admin else [])])
    assert sorted(transport.batches[0]) == sorted(
        [
            *rules,
            "antivirus_status",
            "bitlocker",
            "file_sharing",
            "firewall_products",
            "firewall_profiles",
            "listening_sockets",
            "local_admins",
            "os_edition",
            "password_policy",
            "screen_lock",
            "secure_boot",
            "windows_update",
            "windows_update_pending",
        ]
    )
    assert findings


def test_one_process_whatever_the_number_of_checks() -> None:
    for only in (["firewall"], ["firewall", "open_ports"], None):
        transport = CountingReplay(load_case("win11-23h2-en-compliant"))
        plan = prepare_plan("jp-municipal-telework", only, None)
        asyncio.run(
            audit_host(
                Target(transport.target, lambda t=transport: t), plan, RunOptions(), RECORDED_AT
            )
        )
        assert len(transport.batches) == 1


@pytest.mark.parametrize("name", CASES)
def test_the_batch_path_gives_the_same_findings_as_the_recording(
    name: str, recorded_clock: datetime
) -> None:
    replayed = scan_with(CountingReplay(load_case(name)))
    scripted_host = ScriptedWindowsHost(load_case(name))
    scripted = scan_with(scripted_host)
    assert len(scripted_host.batches) == 1
    assert scripted == replayed
