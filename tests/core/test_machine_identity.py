"""A PC's own identity: its real host name for local scans, a stable machine id where the
OS keeps one (read in the platform probes), and redaction that hides the id yet keeps two
PCs' recordings apart."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from endpoint_audit.model.commands import CommandResult
from endpoint_audit.model.platform import OsFamily, PlatformInfo
from endpoint_audit.transport import detect
from endpoint_audit.transport.powershell import platform_from_probe
from endpoint_audit.transport.redact import machine_pseudonym, redact_host
from endpoint_audit.transport.transcript import HostTranscript

# The shape of `ioreg -rd1 -c IOPlatformExpertDevice` on a Mac: one `+-o` node line, then
# the node's properties in braces, `"IOPlatformUUID" = "..."` among them; the UUID stands
# in columns 27-62 of its line, as rtrouton/rtrouton_scripts
# (rtrouton_scripts/fix_byhost_uuid/fix_uuid.sh) cuts it. No public capture with a real
# UUID was found: the UUID and serial below are placeholders of the documented shape.
IOREG = """\
+-o Mac14,2  <class IOPlatformExpertDevice, id 0x100000231, registered, matched, active, busy 0 (70 ms), retain 37>
    {
      "IOPlatformSerialNumber" = "PLACEHOLDER01"
      "compatible" = <"Mac14,2","AppleARM">
      "IOPlatformUUID" = "0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D"
      "manufacturer" = <"Apple Inc.">
      "model" = <"Mac14,2">
    }
"""  # noqa: E501 - one line of real ioreg output


def ok(stdout: str) -> CommandResult:
    return CommandResult(0, stdout=stdout)


def test_linux_machine_id_files() -> None:
    assert detect.machine_id_from_file(ok("3d1219c7c4c5404aaa1f6d2a48adfda4\n")) == (
        "3d1219c7c4c5404aaa1f6d2a48adfda4"
    )
    # systemd writes "uninitialized" until the first boot completes.
    for text in ("uninitialized\n", "", "3d1219c7 c4c5\n", "x" * 32):
        assert detect.machine_id_from_file(ok(text)) is None
    assert detect.machine_id_from_file(CommandResult(1, stderr="No such file")) is None
    assert detect.machine_id_from_file(None) is None


def test_mac_hardware_uuid_from_ioreg() -> None:
    line = next(line for line in IOREG.splitlines() if "IOPlatformUUID" in line)
    assert line[26:62] == "0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D"  # the columns fix_uuid.sh cuts
    assert detect.machine_id_from_ioreg(ok(IOREG)) == "0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D"
    assert detect.machine_id_from_ioreg(ok(IOREG.replace("IOPlatformUUID", "Other"))) is None
    assert detect.machine_id_from_ioreg(CommandResult(127, stderr="ioreg: not found")) is None


def test_windows_machine_guid_from_the_platform_probe() -> None:
    # MachineGuid is a REG_SZ GUID without braces under HKLM\SOFTWARE\Microsoft\Cryptography
    # (no public capture of a real value was found: the GUID is a placeholder).
    probe = {
        "current_build": "22631",
        "ubr": 4460,
        "edition_id": "Professional",
        "hostname": "LGWAN-PC0042",
        "machine_guid": "4C4C4544-0042-3510-8052-B4C04F4B4E32",
    }
    found = platform_from_probe(ok(json.dumps(probe)), transport="ssh")
    assert found.machine_id == "4c4c4544-0042-3510-8052-b4c04f4b4e32"
    for bad in (None, "", "{4C4C4544-0042-3510-8052-B4C04F4B4E32}", "not a guid", 42):
        probe["machine_guid"] = bad
        assert platform_from_probe(ok(json.dumps(probe)), transport="ssh").machine_id is None


def test_a_local_scan_names_the_pc_by_its_host_name(cli: Callable[..., Any]) -> None:
    result = cli("scan", "-b", "minimal", "--only", "firewall", "-f", "json")
    (host,) = json.loads(result.stdout)["hosts"]
    assert host["target"] == socket.gethostname() != "localhost"
    assert host["platform"]["machine_id"] == Path("/etc/machine-id").read_text().strip()
    assert host.get("source") is None


def _pc(name: str, machine_id: str | None) -> HostTranscript:
    platform = PlatformInfo(
        family=OsFamily.LINUX, hostname=name, machine_id=machine_id, transport="local"
    )
    commands = {
        "uname -snm": ok(f"Linux {name} x86_64\n"),
        "file:/etc/machine-id": ok(f"{machine_id}\n"),
        "journal": ok(f"boot of {machine_id} on {name}\n"),
    }
    return HostTranscript(target=name, platform=platform, commands=commands)


def test_redaction_hides_the_machine_id_and_keeps_two_pcs_apart() -> None:
    first_id, second_id = "3d1219c7c4c5404aaa1f6d2a48adfda4", "9f0e1d2c3b4a59687766554433221100"
    one, summary = redact_host(_pc("pc-0042", first_id))
    again, _ = redact_host(_pc("pc-0042", first_id))
    other, _ = redact_host(_pc("pc-0042", second_id))  # re-imaged or a namesake: another PC
    text = json.dumps([str(one), str(other)])
    assert first_id not in text and second_id not in text and "pc-0042" not in text
    assert one.platform is not None and other.platform is not None
    assert one.platform.machine_id == f"redacted-{machine_pseudonym(first_id)}"
    assert one.target == f"host-{machine_pseudonym(first_id)}" == one.platform.hostname
    assert (again.target, again.platform) == (one.target, one.platform)  # stable run to run
    assert other.target != one.target
    assert one.commands["uname -snm"].stdout == f"Linux {one.target} x86_64\n"
    assert first_id not in one.commands["journal"].stdout
    assert summary.serials >= 1 and summary.hosts >= 1
    # Windows: the platform probe's JSON answer carries the MachineGuid.
    guid = "4c4c4544-0042-3510-8052-b4c04f4b4e32"
    windows = HostTranscript(
        target="LGWAN-PC0042",
        platform=PlatformInfo(family=OsFamily.WINDOWS, hostname="LGWAN-PC0042", machine_id=guid),
        commands={"ps:platform": ok(json.dumps({"machine_guid": guid.upper(), "hostname": "x"}))},
    )
    redacted, _ = redact_host(windows)
    assert guid not in redacted.commands["ps:platform"].stdout.lower()


def test_without_a_machine_id_names_stay_numbered() -> None:
    redacted, _ = redact_host(_pc("pc-0042", None))
    assert redacted.target == "host-1"
    assert redacted.platform is not None and redacted.platform.machine_id is None


def test_records_of_two_pcs_in_one_folder_never_replace_each_other(tmp_path: Path) -> None:
    from endpoint_audit.engine.host_outputs import RecordFolder

    def _write_records(folder: Path, hosts: list[HostTranscript], lang: str) -> None:
        records = RecordFolder(folder)  # one `collect --record` run
        for host in hosts:
            assert not records.save_transcript(host, lang).problems

    first, second = _pc("pc-0042", "3d1219c7c4c5404aaa1f6d2a48adfda4"), _pc("pc-0042", None)
    third = _pc("pc-0042", "9f0e1d2c3b4a59687766554433221100")
    # One share, three PCs recording one after the other (each its own `collect --record`).
    for pc in (first, second, third, second):
        _write_records(tmp_path, [pc], "en")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 4, names  # the PC without a machine id keeps both its recordings
    assert f"host-{machine_pseudonym('3d1219c7c4c5404aaa1f6d2a48adfda4')}.yaml" in names
    _write_records(tmp_path, [first], "en")  # the same PC again replaces its own file
    assert len(list(tmp_path.iterdir())) == 4
