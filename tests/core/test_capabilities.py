"""Capabilities, not transport names: each transport declares what it can do, stamps it on
the platform it detected, and replay stamps what the recording transport could do. A probe
script's bundle never gets a follow-up command; a scan of this machine reads it natively."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from endpoint_audit.checkkit.collector import Collector, Results, require
from endpoint_audit.checkkit.fact import Fact
from endpoint_audit.checks.open_ports.linux import NATIVE, SS, LinuxListeningPorts
from endpoint_audit.checks.screen_lock.linux import LinuxScreenLock
from endpoint_audit.checks.screen_lock.macos import MacosScreenLock
from endpoint_audit.engine.export import PLATFORM_VARIANTS
from endpoint_audit.engine.host_commands import gather_facts
from endpoint_audit.engine.host_outputs import redacted
from endpoint_audit.model.capabilities import Capability
from endpoint_audit.model.commands import Argv, Command, CommandResult
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.transport.base import Transport
from endpoint_audit.transport.local import LocalTransport
from endpoint_audit.transport.replay import ReplayTransport, probe_script_capabilities
from endpoint_audit.transport.ssh import SshTransport
from endpoint_audit.transport.transcript import (
    PROBE_SCRIPT_VERSION,
    HostTranscript,
    bundle_to_data,
    load_bundle,
)
from tests.replay_cases import case_path

C = Capability
POSIX = {C.POSIX_COMMANDS, C.READ_FILES}
NOW = datetime(2026, 11, 26, tzinfo=UTC)


def test_each_transport_declares_its_set() -> None:
    linux, windows, unknown = OsFamily.LINUX, OsFamily.WINDOWS, OsFamily.UNKNOWN
    assert LocalTransport.capabilities_on(linux) == {C.FOLLOW_UPS, C.NATIVE, *POSIX}
    assert LocalTransport.capabilities_on(windows) == {
        C.FOLLOW_UPS, C.NATIVE, C.READ_FILES, C.POWERSHELL,
    }  # fmt: skip
    assert SshTransport.capabilities_on(linux) == {C.FOLLOW_UPS, *POSIX}
    assert SshTransport.capabilities_on(OsFamily.MACOS) == {C.FOLLOW_UPS, *POSIX}
    assert SshTransport.capabilities_on(windows) == {C.FOLLOW_UPS, C.POWERSHELL}
    assert probe_script_capabilities(linux) == POSIX
    assert probe_script_capabilities(windows) == {C.POWERSHELL}
    # A host that could not be told runs nothing but what the session itself offers.
    assert SshTransport.capabilities_on(unknown) == {C.FOLLOW_UPS}
    for family in OsFamily:
        assert C.NATIVE not in SshTransport.capabilities_on(family)
        assert C.FOLLOW_UPS not in probe_script_capabilities(family)
        assert C.NATIVE not in probe_script_capabilities(family)


def test_an_unstamped_platform_can_do_nothing() -> None:
    platform = PlatformInfo(family=OsFamily.LINUX)
    assert not any(platform.can(c) for c in Capability)


def test_a_file_cannot_claim_a_capability_and_none_is_written() -> None:
    claimed = PlatformInfo.model_validate(
        {"family": "linux", "transport": "local", "capabilities": ["native", "follow-ups"]}
    )
    assert claimed.capabilities == frozenset()
    stamped = LocalTransport("pc").stamped(claimed)
    assert stamped.can(C.NATIVE)
    assert "capabilities" not in stamped.model_dump(mode="json")
    host = HostTranscript(target="pc", platform=stamped)
    assert "capabilities" not in bundle_to_data([host], "0")["hosts"][0]["platform"]


def _replayed(
    transport: str | None, family: OsFamily = OsFamily.LINUX, script: int | None = None
) -> PlatformInfo:
    platform = PlatformInfo(family=family, transport=transport) if transport is not None else None
    answers = {
        "uname -snm": CommandResult(0, "Linux pc x86_64\n"),
        "id -u": CommandResult(0, "0\n"),
        "file:/etc/os-release": CommandResult(0, "ID=debian\n"),
    }
    recorded = HostTranscript(
        target="pc", platform=platform, commands=answers, script_version=script
    )

    async def detect() -> PlatformInfo:
        transport_ = ReplayTransport(recorded)
        async with transport_:
            return await transport_.detect_platform()

    return asyncio.run(detect())


@pytest.mark.parametrize(
    ("recorded_by", "script", "expected"),
    [
        ("local", None, {C.FOLLOW_UPS, C.NATIVE, *POSIX}),
        ("ssh", None, {C.FOLLOW_UPS, *POSIX}),
        ("replay", None, {C.FOLLOW_UPS, *POSIX}),  # hand-written cases: no native reads
        ("probe-script", PROBE_SCRIPT_VERSION, POSIX),
        # Recorded again from a probe script's replay: the label is all that is left.
        ("probe-script", None, POSIX),
        # A probe script's bundle is known by its script version, whatever it names.
        ("local", PROBE_SCRIPT_VERSION, POSIX),
        (None, PROBE_SCRIPT_VERSION, POSIX),  # platform told from the recorded uname
    ],
)
def test_replay_reproduces_what_the_recording_transport_could_do(
    recorded_by: str | None, script: int | None, expected: set[Capability]
) -> None:
    platform = _replayed(recorded_by, script=script)
    assert platform.family is OsFamily.LINUX
    assert platform.capabilities == expected


def test_every_platform_a_probe_script_meets_forbids_follow_ups() -> None:
    for variants in PLATFORM_VARIANTS.values():
        for platform in variants:
            assert not platform.can(C.FOLLOW_UPS)
            assert not platform.can(C.NATIVE)


class Echo(Fact):
    name: ClassVar[str] = "test_echo"
    value: str


FIRST = Argv(("who",))


class FollowUp(Collector[Echo]):
    """Asks for a second command named by the first one's output (a per-user read)."""

    id = "linux.test_echo"
    fact_type = Echo
    platforms = frozenset({OsFamily.LINUX})

    def commands(self, platform: PlatformInfo, results: Results) -> Sequence[Command]:
        if FIRST.key in results:
            return [FIRST, Argv(("read", results[FIRST.key].stdout.strip()))]
        return [FIRST]

    def parse(self, results: Results, platform: PlatformInfo) -> Echo:
        who = results[FIRST.key].stdout.strip()
        return Echo(value=require(results, Argv(("read", who))).stdout)


def _gather(recorded: HostTranscript) -> tuple[object, ReplayTransport]:
    transport = ReplayTransport(recorded)

    async def run() -> object:
        async with transport:
            platform = await transport.detect_platform()
            return (await gather_facts(transport, platform, [FollowUp()], 10))[Echo]

    return asyncio.run(run()), transport


ANSWERS = {"who": CommandResult(0, "alice\n"), "read alice": CommandResult(0, "locked")}


def test_a_probe_script_bundle_never_gets_a_follow_up_command() -> None:
    # Even with the follow-up's output in the file, it is not asked: a script cannot
    # have known which command to run, so an answer there was not the script's.
    recorded = HostTranscript(
        target="pc",
        platform=PlatformInfo(family=OsFamily.LINUX, transport="probe-script"),
        commands=dict(ANSWERS),
        script_version=PROBE_SCRIPT_VERSION,
    )
    fact, transport = _gather(recorded)
    assert not isinstance(fact, Echo)
    assert "'read alice'" in str(fact) and "follow-up" in str(fact)
    assert set(transport.transcript) == {"who"}


def test_a_replayed_ssh_recording_gets_its_follow_ups() -> None:
    recorded = HostTranscript(
        target="pc",
        platform=PlatformInfo(family=OsFamily.LINUX, transport="ssh"),
        commands=dict(ANSWERS),
    )
    fact, transport = _gather(recorded)
    assert fact == Echo(value="locked", sources=("read alice", "who"))
    assert set(transport.transcript) == {"who", "read alice"}


def test_a_replayed_ssh_recording_answers_only_what_was_recorded() -> None:
    recorded = HostTranscript(
        target="pc",
        platform=PlatformInfo(family=OsFamily.LINUX, transport="ssh"),
        commands={"who": CommandResult(0, "bob\n")},
    )
    fact, transport = _gather(recorded)
    assert not isinstance(fact, Echo)
    assert transport.misses == ["read bob"]


def _session_results(case: str) -> dict[str, CommandResult]:
    (host,) = load_bundle(case_path(case))
    return dict(host.commands)


def test_linux_screen_lock_asks_per_session_follow_ups_only_where_it_can() -> None:
    results = _session_results("screen_lock/linux-gnome-idle-300")
    collector = LinuxScreenLock()
    linux = PlatformInfo(family=OsFamily.LINUX, distro="debian")
    live = collector.commands(
        linux.with_capabilities(SshTransport.capabilities_on(linux.family)), results
    )
    by_script = linux.with_capabilities(probe_script_capabilities(linux.family))
    script = collector.commands(by_script, results)
    assert any(c.key.startswith("loginctl show-session") for c in live)
    assert not any(c.key.startswith("loginctl show-session") for c in script)
    assert {c.key for c in script} <= {c.key for c in collector.probe_commands(linux)}


def test_macos_screen_lock_asks_the_constant_form_without_follow_ups() -> None:
    mac = PlatformInfo(family=OsFamily.MACOS, distro="macos", version="15.1")
    collector = MacosScreenLock()
    script = mac.with_capabilities(probe_script_capabilities(mac.family))
    live = mac.with_capabilities(SshTransport.capabilities_on(mac.family))
    script_keys = {c.key for c in collector.commands(script, {})}
    live_keys = {c.key for c in collector.commands(live, {})}
    assert len(script_keys - live_keys) == 1  # the console user's settings, in one command
    assert script_keys == {c.key for c in collector.probe_commands(script)}


def test_open_ports_read_natively_only_on_this_machine() -> None:
    collector = LinuxListeningPorts()
    linux = PlatformInfo(family=OsFamily.LINUX)
    stamp = linux.with_capabilities
    assert collector.commands(stamp(LocalTransport.capabilities_on(linux.family)), {}) == [NATIVE]
    assert collector.commands(stamp(SshTransport.capabilities_on(linux.family)), {}) == [SS]
    assert collector.commands(stamp(probe_script_capabilities(linux.family)), {}) == [SS]
    assert collector.commands(linux, {}) == [SS]  # unstamped: nothing native is assumed


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads this Linux machine")
def test_a_local_scan_reads_this_machine_natively() -> None:
    transport = LocalTransport("pc")

    async def run() -> tuple[PlatformInfo, dict[str, CommandResult]]:
        async with transport:
            platform = await transport.detect_platform()
            await gather_facts(transport, platform, [LinuxListeningPorts()], 30)
            return platform, dict(transport.transcript)

    platform, transcript = asyncio.run(run())
    assert platform.can(C.NATIVE) and platform.can(C.FOLLOW_UPS)
    assert NATIVE.key in transcript
    assert SS.key not in transcript


class Bare(Transport):
    """A transport that declares nothing of its own."""

    async def _run(self, command: Command, timeout: float) -> CommandResult:
        return CommandResult(0)


def test_the_collectors_see_the_capabilities_of_the_transport_in_hand() -> None:
    # A platform stamped by another transport does not lend its capabilities.
    claimed = PlatformInfo(family=OsFamily.LINUX).with_capabilities(frozenset(Capability))
    seen: list[PlatformInfo] = []

    class Spy(FollowUp):
        def commands(self, platform: PlatformInfo, results: Results) -> Sequence[Command]:
            seen.append(platform)
            return []

    asyncio.run(gather_facts(Bare("pc"), claimed, [Spy()], 10))
    assert seen and seen[0].capabilities == Transport.capabilities_on(OsFamily.LINUX)
    assert not seen[0].can(C.NATIVE)


def test_only_a_host_read_natively_is_redacted_with_this_machines_names() -> None:
    import socket

    name = socket.gethostname()
    output = {"last -1": CommandResult(0, f"tty1 logged on at {name} today\n")}

    def recorded(platform: PlatformInfo) -> HostTranscript:
        return HostTranscript(target="pc", platform=platform, commands=dict(output))

    linux = PlatformInfo(family=OsFamily.LINUX, transport="local")
    here = redacted(recorded(LocalTransport("pc").stamped(linux)))[0]
    remote = redacted(
        recorded(linux.with_capabilities(SshTransport.capabilities_on(linux.family)))
    )[0]
    assert name not in here.commands["last -1"].stdout
    assert name in remote.commands["last -1"].stdout


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(claimed=JSON, transport=st.sampled_from(["local", "ssh", "replay", "probe-script", "x"]))
def test_no_platform_entry_in_a_file_grants_a_capability(claimed: object, transport: str) -> None:
    entry = {"family": "linux", "transport": transport, "capabilities": claimed}
    platform = PlatformInfo.model_validate(entry)
    assert platform.capabilities == frozenset()
    recorded = HostTranscript(target="pc", platform=platform, script_version=PROBE_SCRIPT_VERSION)
    assert not ReplayTransport(recorded).stamped(platform).can(C.FOLLOW_UPS)
