"""Bundles: base64 fields for shell-written output, strict records, clear errors."""

from __future__ import annotations

import base64

import pytest

from endpoint_audit.errors import ConfigError
from endpoint_audit.transport.transcript import parse_bundle


def bundle(commands: object) -> dict[str, object]:
    return {
        "format": "endpoint-audit-bundle",
        "version": 1,
        "hosts": [{"target": "pc", "commands": commands}],
    }


def test_base64_output_decodes_with_replacement() -> None:
    raw = "日本語".encode() + b"\xff"
    [host] = parse_bundle(
        bundle({"c": {"exit_status": 0, "stdout_b64": base64.b64encode(raw).decode()}}), "f"
    )
    assert host.commands["c"].stdout == "日本語\ufffd"


@pytest.mark.parametrize(
    ("commands", "needle"),
    [
        ({"c": {"stdout": "x"}}, "integer exit_status"),
        ({"c": {"exit_status": "0"}}, "integer exit_status"),
        ({"c": "text"}, "must be a mapping"),
        ({"c": {"exit_status": 0, "stdout_b64": "***"}}, "not valid base64"),
        ({"c": {"exit_status": 0, "stdout": 5}}, "stdout must be a string"),
    ],
)
def test_bad_records_name_the_command(commands: object, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle) as info:
        parse_bundle(bundle(commands), "bundle.json")
    assert str(info.value).startswith("bundle.json: hosts[0].commands['c']")


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"format": "other"}, "not an endpoint-audit bundle"),
        (
            {"format": "endpoint-audit-bundle", "version": 99, "hosts": []},
            "version 99 is not supported",
        ),
        ({"format": "endpoint-audit-bundle", "version": 1, "hosts": []}, "no hosts"),
        ([], "not an endpoint-audit bundle"),
    ],
)
def test_bad_bundles(data: object, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        parse_bundle(data, "b")


def test_local_transport_reads_proc_sys_files() -> None:
    """Some /proc/sys files refuse one large read (ENOMEM); the local transport reads in
    chunks."""
    import asyncio

    from endpoint_audit.model.commands import ReadFile
    from endpoint_audit.transport.local import LocalTransport

    async def read() -> tuple[int, str]:
        result = await LocalTransport().run(ReadFile("/proc/sys/kernel/osrelease"))
        return result.exit_status, result.stdout

    status, text = asyncio.run(read())
    assert status == 0
    assert text.strip()
