"""Collectors that ask in rounds, judged from a probe script's recording: whatever they
ask for at evaluation was recorded; macOS reads the console user's settings through its
constant form; what a script cannot record (Linux per-session and per-user settings
behind ids and names from earlier output) is unknown, never a guess."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from endpoint_audit.baseline.load import DEFAULT_BASELINE
from endpoint_audit.checkkit.collector import Collector
from endpoint_audit.checks.screen_lock.macos.console_user import CONSOLE_USER_SETTINGS
from endpoint_audit.engine.collect import all_fact_types
from endpoint_audit.engine.export import probe_commands
from endpoint_audit.engine.plan import load_plan_baseline, with_rules
from endpoint_audit.engine.registry import load_registry
from endpoint_audit.model.commands import CommandResult
from endpoint_audit.model.platform import PROBE_SCRIPT_TRANSPORT, OsFamily
from endpoint_audit.transport.replay import probe_script_capabilities
from endpoint_audit.transport.transcript import HostTranscript, load_bundle
from tests.probe_export.bundles import posix_script_bundle
from tests.probe_export.macos_stubs import console_user_settings
from tests.replay_cases import path_id, recorded_paths

# Hosts recorded over SSH (or as such): a recording of the local transport holds psutil's
# answers (`native:`), which a probe script cannot give, so it is not one of them.
RECORDED = [
    p
    for p in [*recorded_paths("linux"), *recorded_paths("macos")]
    if not any(k.startswith("native:") for k in load_bundle(p)[0].commands)
]


def recorded(path: Path) -> HostTranscript:
    (host,) = load_bundle(path)
    assert host.platform is not None
    return host


@pytest.mark.parametrize("path", RECORDED, ids=path_id)
def test_every_round_asks_only_for_what_the_script_records(path: Path) -> None:
    host = recorded(path)
    assert host.platform is not None
    labelled = host.platform.model_copy(update={"transport": PROBE_SCRIPT_TRANSPORT})
    platform = labelled.with_capabilities(probe_script_capabilities(labelled.family))
    registry = load_registry()
    exported = {c.key for c in probe_commands(registry, platform.family)}
    results: dict[str, CommandResult] = {}
    for fact_type in all_fact_types(registry):
        collector = registry.collector_for(fact_type, platform)
        if collector is None:
            continue
        for _ in range(Collector.MAX_ROUNDS):
            asked = {c.key for c in collector.commands(platform, results)}
            assert asked <= exported, (collector.id, sorted(asked - exported))
            results.update({k: host.commands[k] for k in asked if k in host.commands})


def script_bundle_of(path: Path, folder: Path) -> Path:
    """The file the sh script would have written on the recorded host: the commands it
    runs, with the host's recorded output."""
    host = recorded(path)
    assert host.platform is not None
    # Exported with the default baseline, whose rules read too (`-b jp-municipal-telework`).
    registry = load_registry()
    registry = with_rules(registry, load_plan_baseline(DEFAULT_BASELINE, registry))
    exported = {c.key for c in probe_commands(registry, host.platform.family)}
    if host.platform.family is OsFamily.MACOS:
        # The constant console-user probe, run here against the recorded answers.
        settings = console_user_settings(host, folder.parent / f"{path.stem}-stubs")
        assert settings is not None
        host.commands[CONSOLE_USER_SETTINGS.key] = settings
    host.commands = {k: v for k, v in host.commands.items() if k in exported}
    data = posix_script_bundle(host, path.stem, host.platform.family.value)
    # The script records the platform questions; keep the recorded answers.
    data["hosts"][0]["platform"] = host.platform.model_dump(mode="json") | {
        "transport": PROBE_SCRIPT_TRANSPORT
    }
    folder.mkdir(exist_ok=True)
    out = folder / f"{path.stem}.json"
    out.write_text(json.dumps(data))
    return out


def judged(cli: Callable[..., Any], *args: str) -> dict[str, tuple[str, str]]:
    report = json.loads(cli(*args, "-f", "json").stdout)
    (host,) = report["hosts"]
    return {
        f"{f['check_id']} {f['resource']}": (f["status"], f["message_key"])
        for f in host["findings"]
    }


@pytest.mark.parametrize("path", RECORDED, ids=path_id)
def test_script_recording_judged_as_the_recorded_scan(
    path: Path, cli: Callable[..., Any], tmp_path: Path
) -> None:
    bundle = script_bundle_of(path, tmp_path / "share")
    from_script = judged(cli, "evaluate", str(bundle))
    from_scan = judged(cli, "scan", "--replay", str(path))
    user_level = {k: v for k, v in from_scan.items() if k.startswith("screen_lock")}
    assert {k: v for k, v in from_script.items() if not k.startswith("screen_lock")} == {
        k: v for k, v in from_scan.items() if not k.startswith("screen_lock")
    }
    script_lock = {k: v for k, v in from_script.items() if k.startswith("screen_lock")}
    sessions = any(k != "screen_lock None" for k in user_level) or any(
        status == "unknown" for status, _ in user_level.values()
    )
    if recorded(path).platform.family is OsFamily.MACOS:  # type: ignore[union-attr]
        # macOS probe scripts read the console user's settings in their constant form.
        assert script_lock == user_level
    elif sessions:
        # Someone was logged on: the script could not read their settings (or tell
        # whether their session is graphical), so it says unknown, never pass.
        assert [status for status, _ in script_lock.values()] == ["unknown"]
        if any(k != "screen_lock None" for k in user_level):
            assert list(script_lock.values()) == [("unknown", "core.msg.fact_unavailable")]
    else:
        assert script_lock == user_level


def test_family_is_known_for_every_recorded_fixture() -> None:
    assert {recorded(p).platform.family for p in RECORDED} == {  # type: ignore[union-attr]
        OsFamily.LINUX,
        OsFamily.MACOS,
    }
