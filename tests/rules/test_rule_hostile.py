"""Host output is hostile input: whatever a rule probe or a Linux read prints, parsing
gives a value only from a well-formed answer, and never raises anything but the kit's
CollectorError (the rule is then an error, never a pass)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from endpoint_audit.errors import CollectorError
from endpoint_audit.model.commands import CommandResult
from endpoint_audit.model.rule import (
    FileRead,
    IniRead,
    ModuleRead,
    Read,
    RegistryRead,
    SysctlRead,
)
from endpoint_audit.rules.linux import MODPROBE_CONFIG, PROC_MODULES, parse_read, stat_of
from endpoint_audit.rules.windows import parse_rule_probe, rule_probe

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)
entries = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"state": st.sampled_from(["value", "absent", "denied", "error", "x"])},
        optional={
            "kind": st.sampled_from(["DWord", "QWord", "String", "MultiString", "Binary", "?"]),
            "value": json_values,
            "absent": st.sampled_from(["key", "value", "file", None]),
        },
    ),
)
READ = RegistryRead.model_validate({"registry": "HKLM\\SOFTWARE\\A", "value": "v"})
PROBE = rule_probe("jp.x", [READ])


@given(entry=entries)
def test_any_registry_answer(entry: Any) -> None:
    stdout = json.dumps({"reads": [entry]})
    try:
        (got,) = parse_rule_probe({PROBE.key: CommandResult(0, stdout=stdout)}, PROBE, [READ])
    except CollectorError:
        return
    well_formed = isinstance(entry, dict) and entry.get("state") == "value"
    if got.state == "value":
        assert well_formed
        if entry.get("kind") in ("DWord", "QWord"):
            assert isinstance(got.value, int) and not isinstance(got.value, bool)
            assert got.value >= 0


@given(stdout=st.text(max_size=200))
def test_any_probe_text(stdout: str) -> None:
    try:
        parse_rule_probe({PROBE.key: CommandResult(0, stdout=stdout)}, PROBE, [READ])
    except CollectorError:
        pass


LINUX_READS = [
    FileRead.model_validate({"file": "/etc/x", "property": "mode"}),
    FileRead.model_validate({"file": "/etc/x", "property": "mtime"}),
    FileRead.model_validate({"file": "/etc/x", "property": "content"}),
    IniRead.model_validate({"ini": "/etc/x", "key": "A", "section": "s"}),
    SysctlRead.model_validate({"sysctl": "kernel.x"}),
    ModuleRead.model_validate({"kernel_module": "usb_storage", "property": "loaded"}),
    ModuleRead.model_validate({"kernel_module": "usb_storage", "property": "blacklisted"}),
]


@given(
    status=st.integers(-1, 130),
    stat_out=st.text(max_size=60),
    text=st.text(max_size=300),
)
def test_any_linux_output(status: int, stat_out: str, text: str) -> None:
    results = {
        stat_of("/etc/x").key: CommandResult(status, stdout=stat_out, stderr=text[:40]),
        stat_of("/proc/sys/kernel/x").key: CommandResult(status, stdout=stat_out),
        "file:/etc/x": CommandResult(0, stdout=text),
        "file:/proc/sys/kernel/x": CommandResult(0, stdout=text),
        PROC_MODULES.key: CommandResult(status, stdout=text),
        MODPROBE_CONFIG.key: CommandResult(status, stdout=text),
    }
    for read in LINUX_READS:
        got = parse_read(read, results)
        if status != 0:
            assert got.state != "value", read  # a failed command is never a value


def test_a_modification_time_no_calendar_holds_is_unknown() -> None:
    read = FileRead.model_validate({"file": "/etc/x", "property": "mtime"})
    huge = {stat_of("/etc/x").key: CommandResult(0, stdout="644 root root " + "9" * 30)}
    assert parse_read(read, huge).state == "unknown"


@pytest.mark.parametrize(
    "read",
    [
        {"sysctl": "net.ipv4.ip_forward\n"},
        {"systemd": "sshd.service\n", "property": "active"},
        {"kernel_module": "usb-storage\n", "property": "loaded"},
        {"service": "Spooler\n", "property": "start_type"},
        {"optional_feature": "SMB1Protocol\n"},
        {"cim": "Win32_UserAccount\n", "property": "Disabled"},
        {"secpol": "System Access", "key": "MinimumPasswordLength\n"},
    ],
)
def test_a_name_ending_in_a_newline_is_refused(read: dict[str, str]) -> None:
    """`$` in a Python pattern also matches before a final newline: names end at \\Z."""
    with pytest.raises(ValidationError):
        TypeAdapter(Read).validate_python(read)
