"""One run path: `scan`, `collect` and `evaluate` build a RunRequest and hand it to the one
place that runs it (cli.run_request), which holds the one interrupt handler; the engine
holds the one loop over hosts (engine.pipeline)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from endpoint_audit.cli import collect_cmd, evaluate_cmd, scan_cmd
from endpoint_audit.engine.pipeline import (
    RecordedHosts,
    RunRequest,
    SshHosts,
    ThisMachine,
)

SRC = Path(__file__).resolve().parents[2] / "src" / "endpoint_audit"


def _files_matching(pattern: str) -> list[str]:
    return [
        str(path.relative_to(SRC))
        for path in sorted(SRC.rglob("*.py"))
        if re.search(pattern, path.read_text(encoding="utf-8"))
    ]


def test_one_interrupt_handler_and_one_host_loop() -> None:
    # The event loop of every run is started in one place, where its interrupt is caught.
    assert _files_matching(r"run_async\(") == ["cli/interrupts.py", "cli/run_request.py"]
    assert _files_matching(r"asyncio\.run\(") == ["cli/interrupts.py"]
    # The hosts of a run are bounded by --concurrency in one loop.
    assert _files_matching(r"options\.concurrency") == ["engine/pipeline.py"]


class Asked(Exception):
    """Stops the command where it hands its request over."""


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> list[tuple[RunRequest, Any]]:
    got: list[tuple[RunRequest, Any]] = []

    def capture(request: RunRequest, progress: Any = None) -> None:
        got.append((request, progress))
        raise Asked

    for module in (scan_cmd, collect_cmd, evaluate_cmd):
        monkeypatch.setattr(module, "run_request", capture)
    return got


def _ask(call: Callable[[], None], captured: list[tuple[RunRequest, Any]]) -> RunRequest:
    with pytest.raises(Asked):
        call()
    assert len(captured) == 1
    return captured.pop()[0]


def test_each_command_builds_a_run_request(
    captured: list[tuple[RunRequest, Any]], tmp_path: Path
) -> None:
    bundle = tmp_path / "b.json"
    bundle.write_text("{}")
    folder = tmp_path / "share"
    folder.mkdir()

    local = _ask(lambda: scan_cmd.scan(only=["firewall"], lang="en"), captured)
    assert local.targets == ThisMachine() and local.kind == "audit"
    assert local.selection.only == ("firewall",)

    replay = _ask(lambda: scan_cmd.scan(replay=bundle, lang="en"), captured)
    assert replay.targets == RecordedHosts(bundle, share=False)
    assert replay.outputs.history_source == f"scan --replay {bundle}"

    fleet = _ask(
        lambda: scan_cmd.scan(host=["pc-1", "pc-2"], sudo=True, output_dir=tmp_path / "o"),
        captured,
    )
    assert isinstance(fleet.targets, SshHosts) and fleet.targets.hosts == ("pc-1", "pc-2")
    assert fleet.targets.ssh.sudo and fleet.outputs.run_folder == tmp_path / "o"

    ssh_collect = _ask(
        lambda: collect_cmd.collect(host=["pc-1"], bundle_dir=tmp_path / "bundles", lang="en"),
        captured,
    )
    assert ssh_collect.kind == "collect" and isinstance(ssh_collect.targets, SshHosts)
    assert ssh_collect.outputs.bundle_dir == tmp_path / "bundles"
    assert ssh_collect.outputs.bundle is None  # --bundle-dir alone: nothing on stdout

    me = _ask(lambda: collect_cmd.collect(all_facts=True, lang="en"), captured)
    assert me.targets == ThisMachine() and me.selection.all_facts and me.outputs.bundle == "-"

    one = _ask(lambda: evaluate_cmd.evaluate(bundle, as_of_now=True, lang="en"), captured)
    assert one.targets == RecordedHosts(bundle, share=False) and one.judge_as_of_now
    share = _ask(lambda: evaluate_cmd.evaluate(folder, lang="en"), captured)
    assert share.targets == RecordedHosts(folder, share=True) and not share.judge_as_of_now
