"""Redaction of recorded hosts: every sensitive value goes, consistently, and the
transcript still replays to the same verdicts."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from endpoint_audit.checkkit.fact import Fact
from endpoint_audit.checks import builtin_packages
from endpoint_audit.engine.host_outputs import bundle_text
from endpoint_audit.engine.run import gather_facts
from endpoint_audit.model.commands import CommandResult
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.transport.redact import discover, is_system_account, redact_host
from endpoint_audit.transport.replay import ReplayTransport
from endpoint_audit.transport.transcript import HostTranscript, bundle_to_data, load_bundle
from tests.replay_cases import path_id, recorded_paths
from tests.seen import v


def ok(stdout: str, stderr: str = "") -> CommandResult:
    return CommandResult(0, stdout=stdout, stderr=stderr)


def hostile_host() -> HostTranscript:
    """Output a real Mac or PC could print, with personal data in every corner."""
    return HostTranscript(
        target="hanako-mbp.city.example.lg.jp",
        platform=PlatformInfo(
            family=OsFamily.MACOS, hostname="hanako-mbp.city.example.lg.jp", is_admin=True
        ),
        commands={
            "uname -snm": ok("Darwin hanako-mbp.city.example.lg.jp arm64\n"),
            "stat -f '%u %Su' /dev/console": ok("501 hanako\n"),
            "id -un": ok("j.doe\n"),
            "lsof +c 0 -nP -iTCP -sTCP:LISTEN -FpcLn": ok(
                "p1\nclaunchd\nLroot\nf4\nn*:22\np431\ncmDNSResponder\nL_mdnsresponder\n"
                "f7\nn*:5353\np602\ncControlCenter\nLhanako\nf8\nn*:7000\n"
            ),
            "launchctl asuser 501 sudo -n -u hanako defaults -currentHost read x idleTime": ok(
                "600\n"
            ),
            "system_profiler SPHardwareDataType": ok(
                "Hardware:\n\n    Hardware Overview:\n\n      Model Name: MacBook Air\n"
                "      Serial Number (system): C02XK1ABJGH5\n"
                "      Hardware UUID: 4C4C4544-0042-3510-8051-B4C04F4A4E32\n"
                "      Provisioning UDID: 00008103-001A2C3E0E91001E\n"
            ),
            "ifconfig en0": ok("en0: flags=8863<UP>\n\tether a4:83:e7:1b:2c:3d\n"),
            "ps:bitlocker": ok(
                json.dumps(
                    {
                        "ComputerName": "LGWAN-PC0042",
                        "UserName": "LGWAN\\sato.hanako",
                        "SerialNumber": "PF3ABCDE",
                        "RecoveryPassword": "123456-234567-345678-456789"
                        + "-567890-678901-789012-890123",
                        "MacAddress": "A4-83-E7-1B-2C-3D",
                        "Owner": "NT AUTHORITY\\SYSTEM",
                    }
                )
            ),
            "fdesetup status": ok(
                "FileVault is Off.\nDeferred enablement appears to be active for user 'hanako'.\n"
            ),
            "fdesetup enable -outputplist": ok("Recovery key = 'AB12-CD34-EF56-GH78-IJ90-KL12'\n"),
            "file:/Users/hanako/Library/Preferences/ByHost/"
            "com.apple.screensaver.4C4C4544-0042-3510-8051-B4C04F4A4E32.plist": ok("x"),
            "file:/sys/class/dmi/id/product_serial": ok("VMware-56 4d 1a 2b\n"),
        },
        facts={"screen_lock": {"users": [{"user": "hanako", "detail": "/Users/hanako"}]}},
    )


SECRETS = [
    "hanako",
    "j.doe",
    "sato.hanako",
    "LGWAN-PC0042",
    "C02XK1ABJGH5",
    "4C4C4544-0042-3510-8051-B4C04F4A4E32",
    "00008103-001A2C3E0E91001E",
    "a4:83:e7:1b:2c:3d",
    "A4-83-E7-1B-2C-3D",
    "PF3ABCDE",
    "123456-234567-345678-456789-567890-678901-789012-890123",
    "AB12-CD34-EF56-GH78-IJ90-KL12",
    "VMware-56 4d 1a 2b",
]


def _dump(host: HostTranscript) -> str:
    return json.dumps(bundle_to_data([host], "test"), ensure_ascii=False)


def test_no_sensitive_value_survives_anywhere() -> None:
    original = hostile_host()
    assert all(secret.lower() in _dump(original).lower() for secret in SECRETS)
    redacted, summary = redact_host(original)
    text = _dump(redacted)
    for secret in SECRETS:
        assert secret.lower() not in text.lower(), secret
    assert summary.users >= 3 and summary.hosts >= 2
    assert summary.macs == 1  # one address, two spellings
    assert summary.serials >= 4 and summary.recovery_keys == 2


def test_names_are_replaced_consistently_in_keys_and_output() -> None:
    redacted, _ = redact_host(hostile_host())
    owner = redacted.commands["stat -f '%u %Su' /dev/console"].stdout.split()[1]
    assert owner.startswith("user-")
    probe = f"launchctl asuser 501 sudo -n -u {owner} defaults -currentHost read x idleTime"
    assert redacted.commands[probe].stdout == "600\n"
    assert redacted.target.startswith("host-") and redacted.target.endswith(".city.example.lg.jp")
    assert redacted.platform is not None and redacted.platform.hostname == redacted.target
    assert f"for user '{owner}'" in redacted.commands["fdesetup status"].stdout
    assert redacted.facts["screen_lock"]["users"][0]["user"] == owner


def test_system_accounts_stay() -> None:
    redacted, _ = redact_host(hostile_host())
    lsof = redacted.commands["lsof +c 0 -nP -iTCP -sTCP:LISTEN -FpcLn"].stdout
    assert "Lroot\n" in lsof and "L_mdnsresponder\n" in lsof
    assert "NT AUTHORITY\\\\SYSTEM" in redacted.commands["ps:bitlocker"].stdout
    for name in ("root", "_mdnsresponder", "SYSTEM", "NT AUTHORITY\\SYSTEM", "DESKTOP-1$"):
        assert is_system_account(name)
    assert not is_system_account("hanako")


def test_a_user_name_inside_a_longer_word_is_left_alone() -> None:
    host = HostTranscript(
        target="localhost",
        platform=None,
        commands={"id -un": ok("ann\n"), "cat x": ok("annual planning; ann's files; /home/ann/\n")},
    )
    redacted, _ = redact_host(host)
    assert redacted.commands["cat x"].stdout == "annual planning; user-1's files; /home/user-1/\n"


def test_discover_reads_structured_sources() -> None:
    hosts, users = discover(hostile_host())
    assert {"hanako-mbp", "LGWAN-PC0042"} <= hosts
    assert {"hanako", "j.doe", "sato.hanako"} <= users
    assert "root" not in users and "_mdnsresponder" not in users


def _facts(host: HostTranscript) -> dict[str, Fact | Exception]:
    transport = ReplayTransport(host)

    async def run() -> dict[str, Fact | Exception]:
        async with transport:
            platform = await transport.detect_platform()
            every = [c() for p in builtin_packages() for c in p.collector_classes()]
            collectors = [c for c in every if c.applies(platform)]
            got = await gather_facts(transport, platform, collectors, 5.0)
        return {k.name: v for k, v in got.items()}

    facts = asyncio.run(run())
    assert transport.misses == []
    return facts


def test_redacted_macos_cases_replay_to_the_same_facts_but_names() -> None:
    for path in recorded_paths("macos"):
        (host,) = load_bundle(path)
        redacted, summary = redact_host(host)
        assert summary.hosts >= 1
        hosts, users = discover(host)
        text = _dump(redacted)
        for name in hosts | users:
            assert re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", text) is None
            assert f"\\nL{name}\\n" not in text, (path.name, name)
        before, after = _facts(host), _facts(redacted)
        assert before.keys() == after.keys()
        for name, fact in before.items():
            other = after[name]
            assert isinstance(fact, Fact) and isinstance(other, Fact), (path.name, name)
            if name == "screen_lock":
                users, again_users = fact.users, other.users  # type: ignore[attr-defined]
                assert users.state == again_users.state
                assert len(v(users) or ()) == len(v(again_users) or ())
                continue
            dumped = fact.model_dump(exclude={"sources"})
            again = other.model_dump(exclude={"sources"})
            if name == "listening_ports":
                for sockets in (dumped["sockets"], again["sockets"]):
                    for sock in sockets:
                        sock["user"] = None
            if name == "disk_encryption":
                for volumes in (dumped["volumes"], again["volumes"]):
                    for volume in volumes:
                        # The user named by deferred enablement is redacted.
                        volume["detail"] = volume["detail"].split("DeferredEnablement=")[0]
                        volume["deferred_user"] = volume["deferred_user"] and "(user)"
            assert dumped == again, (path.name, name)


def test_linux_logs_and_session_tables() -> None:
    host = HostTranscript(
        target="localhost",
        platform=None,
        commands={
            "file:/var/log/apt/history.log": ok(
                "Start-Date: 2026-11-20  09:00:00\nCommandline: apt upgrade\n"
                "Requested-By: taro (1000)\nUpgrade: bash:amd64 (5.2.15-2+b7, 5.2.15-2+b8)\n"
            ),
            "loginctl list-sessions --no-legend": ok("  2 1001 hanako seat0 tty2\n"),
            "loginctl show-session 2 -p Name": ok("Name=ichiro\n"),
        },
    )
    redacted, summary = redact_host(host)
    text = _dump(redacted)
    assert summary.users == 3
    for name in ("taro", "hanako", "ichiro"):
        assert name not in text
    assert "Requested-By: user-" in text and "seat0" in text


ALL_RECORDED = [p for family in ("linux", "macos", "windows") for p in recorded_paths(family)]


@pytest.mark.parametrize("path", ALL_RECORDED, ids=path_id)
def test_every_recorded_case_judges_the_same_after_redaction(
    path: Path, tmp_path: Path, cli: Callable[..., Any]
) -> None:
    redacted = [redact_host(h)[0] for h in load_bundle(path)]
    copy = tmp_path / "redacted.yaml"
    copy.write_text(bundle_text(redacted, as_yaml=True), encoding="utf-8")

    def verdicts(bundle: Path) -> tuple[int, list[tuple[str, str, str]]]:
        result = cli("scan", "--replay", str(bundle), "-b", "minimal", "-f", "json")
        report = json.loads(result.stdout)
        return result.exit_code, [
            (f["check_id"], f["status"], f["message_key"])
            for host in report["hosts"]
            for f in host["findings"]
        ]

    assert verdicts(copy) == verdicts(path)


def test_windows_names_in_any_script_and_account_sids() -> None:
    sid = "S-1-5-21-1004336348-1177238915-682003330-1104"
    value = {
        "users": [{"user": "LGWAN\\佐藤花子", "sid": sid, "console": True}],
        "note": "佐藤花子さんのPC",
        "system": "S-1-5-18",
    }
    host = HostTranscript(
        target="localhost",
        platform=None,
        commands={
            "ps:screen_lock": ok(json.dumps(value, ensure_ascii=False)),
            f"ps:hive {sid}": ok("{}"),
        },
    )
    redacted, summary = redact_host(host)
    text = _dump(redacted)
    assert "佐藤花子" not in text and "1004336348" not in text
    assert summary.users == 1
    probe = json.loads(redacted.commands["ps:screen_lock"].stdout)
    assert probe["users"][0]["user"] == "LGWAN\\user-1"
    assert probe["note"] == "user-1さんのPC"
    assert probe["system"] == "S-1-5-18"
    new_sid = probe["users"][0]["sid"]
    assert new_sid.endswith("-1104") and f"ps:hive {new_sid}" in redacted.commands


def test_secrets_in_a_profiles_listing_go_and_the_plist_stays_valid() -> None:
    """`profiles -C -o stdout-xml` prints payloads whole: the enrolment secret of Fleet's
    recorded listing (tests/fixtures/macos_profiles) and a certificate's password go, the
    settings a rule reads stay, and the listing still parses."""
    import plistlib

    from endpoint_audit.rules.macos_profiles import PROFILES

    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "macos_profiles"
    listing = (fixtures / "fleet-computerlevel.xml").read_text(encoding="utf-8")
    listing = listing.replace(
        "<key>FleetURL</key>",
        "<key>Password</key>\n<string>hunter2-wifi</string>\n"
        "<key>PayloadCertificatePassword</key><data>c2VjcmV0</data>\n<key>FleetURL</key>",
    )
    host = HostTranscript(
        target="tw-mac-01",
        platform=PlatformInfo(family=OsFamily.MACOS, hostname="tw-mac-01", is_admin=True),
        commands={PROFILES.key: ok("0\n" + listing)},
    )
    clean, summary = redact_host(host)
    out = clean.commands[PROFILES.key].stdout
    for secret in ("ENROLL_SECRET", "hunter2-wifi", "c2VjcmV0"):
        assert secret not in out
    assert summary.secrets == 3
    top = plistlib.loads(out.split("\n", 1)[1].encode("utf-8"))
    (fleetd, enrollment) = top["_computerlevel"]
    content = fleetd["ProfileItems"][0]["PayloadContent"]
    assert (
        content["EnrollSecret"] == "REDACTED"
        and content["PayloadCertificatePassword"] == b"REDACTED"
    )
    assert content["FleetURL"] == "https://test.example.com"
    assert enrollment["ProfileItems"][1]["PayloadContent"]["AccessRights"] == 8191
    again, _ = redact_host(clean)  # redacting twice changes nothing more
    assert again.commands[PROFILES.key].stdout == out


def test_discover_reads_every_value_of_a_key_an_answer_repeats() -> None:
    # Judging refuses such an answer; the names in it must still be hidden.
    answer = '{"processes": {"1": {"name": "a", "user": "PC\\\\suzuki.ichiro"}}, '
    answer += '"processes": {"2": {"name": "b", "user": "PC\\\\tanaka.jiro"}}}'
    host = HostTranscript(
        target="pc-01",
        platform=None,
        commands={"ps:listening_sockets": CommandResult(0, stdout=answer)},
    )
    _, users = discover(host)
    assert {"suzuki.ichiro", "tanaka.jiro"} <= users
