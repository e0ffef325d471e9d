"""Whole recorded hosts (tests/hosts/*.yaml), composed from the checks' replay cases:
`scan --replay` of each gives every case's findings and the host's exit code, and a
Windows host is audited with one PowerShell process."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from endpoint_audit.model.commands import CommandResult, PowerShell
from endpoint_audit.transport.replay import ReplayTransport
from tests.replay_cases import host_cases, host_names, host_path, host_spec, judged_ids

HOSTS = host_names()


def test_hosts_of_every_platform() -> None:
    families = {host_spec(n)["platform"]["family"] for n in HOSTS}
    assert families == {"windows", "macos", "linux"}
    assert len(host_names("windows")) >= 12 and len(host_names("macos")) >= 9


@pytest.mark.parametrize("name", HOSTS)
def test_host(name: str, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    batches: list[list[str]] = []
    replay_batch = ReplayTransport._run_powershell_batch

    async def counting(
        self: ReplayTransport, probes: list[PowerShell], timeout: float
    ) -> dict[str, CommandResult]:
        batches.append([p.name for p in probes])
        return await replay_batch(self, probes, timeout)

    monkeypatch.setattr(ReplayTransport, "_run_powershell_batch", counting)
    spec = host_spec(name)
    result = cli("scan", "--replay", str(host_path(name)), "-f", "json")
    (host,) = json.loads(result.stdout)["hosts"]
    assert host["platform"]["family"] == spec["platform"]["family"]
    cases = host_cases(name)
    assert sorted(ref.split("/")[0] for ref, _ in cases) == sorted(judged_ids(host["findings"]))
    for ref, case in cases:
        check_id = ref.split("/")[0]
        got = [
            {"resource": f["resource"], "status": f["status"], "key": f["message_key"]}
            for f in host["findings"]
            if f["check_id"] == check_id
        ]
        assert got == [e.model_dump(mode="json") for e in case.expect], ref
    for finding in host["findings"]:  # rendered from the catalogs, every placeholder filled
        assert finding["message"] and not re.search(r"\{[a-z_]+\}", finding["message"])
    assert result.exit_code == spec["exit_code"]
    if spec["platform"]["family"] == "windows":
        assert len(batches) == 1, batches
    else:
        assert batches == []
