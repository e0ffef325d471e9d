"""The constant console-user probe of macOS probe scripts, run here against stand-ins
answering as the recorded Macs did: parse() derives the same facts from its frames as
from the scan's per-user commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from endpoint_audit.checks.screen_lock.macos import MacosScreenLock
from endpoint_audit.checks.screen_lock.macos.console_user import CONSOLE_USER_SETTINGS, parse_frames
from endpoint_audit.errors import CollectorError, FactUnavailable
from endpoint_audit.model.commands import CommandResult
from endpoint_audit.model.platform import PROBE_SCRIPT_TRANSPORT, PlatformInfo
from endpoint_audit.transport.replay import probe_script_capabilities
from endpoint_audit.transport.ssh import SshTransport
from endpoint_audit.transport.transcript import load_bundle
from tests.probe_export.macos_stubs import console_user_settings
from tests.replay_cases import recorded_paths

MACOS = recorded_paths("macos")


def as_scanned(platform: PlatformInfo) -> PlatformInfo:
    """The platform as a scan over SSH sees it: with follow-ups."""
    return platform.with_capabilities(SshTransport.capabilities_on(platform.family))


def as_probe_script(platform: PlatformInfo) -> PlatformInfo:
    """The platform as a probe script's bundle is replayed: without follow-ups."""
    labelled = platform.model_copy(update={"transport": PROBE_SCRIPT_TRANSPORT})
    return labelled.with_capabilities(probe_script_capabilities(platform.family))


@pytest.mark.parametrize("path", MACOS, ids=lambda p: p.stem)
def test_frames_give_the_facts_of_the_per_user_commands(path: Path, tmp_path: Path) -> None:
    (host,) = load_bundle(path)
    assert host.platform is not None
    collector = MacosScreenLock()
    settings = console_user_settings(host, tmp_path)
    assert settings is not None, "the recording lacks a per-user answer"
    assert settings.ok, settings.stderr
    scanned = collector.parse(host.commands, as_scanned(host.platform))
    probe = as_probe_script(host.platform)
    first = {c.key for c in collector.commands(probe, {})}
    assert CONSOLE_USER_SETTINGS.key in first
    recorded = {k: v for k, v in host.commands.items() if k in first}
    recorded[CONSOLE_USER_SETTINGS.key] = settings
    assert collector.parse(recorded, probe) == scanned


def test_frames_are_refused_when_cut_off_or_forged() -> None:
    good = (
        "EA0123456789abcdef\nEA0123456789abcdef U 501 alice\n"
        + "".join(
            f"EA0123456789abcdef O {n} 0\nx\nEA0123456789abcdef E {n}\n\n"
            for n in ("idle", "ask", "sysadminctl", "managed_user")
        )
        + "EA0123456789abcdef Z\n"
    )
    frames = parse_frames(CommandResult(0, stdout=good))
    assert frames.user == "alice" and frames.results["idle"].stdout == "x\n"
    with pytest.raises(CollectorError, match="cut off"):
        parse_frames(CommandResult(0, stdout=good.rsplit("EA0123456789abcdef Z", 1)[0]))
    with pytest.raises(CollectorError, match="marker"):
        parse_frames(CommandResult(0, stdout="EAxyz\n" + good.split("\n", 1)[1]))
    with pytest.raises(CollectorError, match="no frame for ask"):
        parse_frames(CommandResult(0, stdout=good.replace(" O ask 0", " O asx 0")))
    with pytest.raises(CollectorError, match="exit 4"):
        parse_frames(CommandResult(4))


def test_console_user_changed_between_probes_is_unknown(tmp_path: Path) -> None:
    path = next(p for p in MACOS if p.stem == "macos15-compliant")
    (host,) = load_bundle(path)
    assert host.platform is not None
    settings = console_user_settings(host, tmp_path)
    assert settings is not None
    owner_key = "stat -f '%u %Su' /dev/console"
    console = host.commands[owner_key].stdout.split()
    other = settings.stdout.replace(f" U {console[0]} {console[1]}", " U 502 bob")
    probe = as_probe_script(host.platform)
    collector = MacosScreenLock()
    recorded = {
        k: v
        for k, v in host.commands.items()
        if k in {c.key for c in collector.commands(probe, {})}
    }
    recorded[CONSOLE_USER_SETTINGS.key] = CommandResult(0, stdout=other)
    with pytest.raises(FactUnavailable, match="changed"):
        collector.parse(recorded, probe)
