"""Bad `--shard` values: one line, exit 2, before any host is contacted."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from endpoint_audit.engine.exit_policy import ExitCode


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("0/3", "slices count from 1"),
        ("4/3", "I must be 1 to N (3)"),
        ("three", "expected I/N"),
        ("1/3;rm -rf /", "expected I/N"),
        ("1/100000", "N must be 1 to 1000"),
    ],
)
def test_bad_shard_is_one_line_exit_2(
    value: str, why: str, tmp_path: Path, cli: Callable[..., Any]
) -> None:
    # 192.0.2.0/24 is TEST-NET-1: never routed; the scan must stop before trying it.
    inventory = tmp_path / "fleet.txt"
    inventory.write_text("audit@192.0.2.1\n")
    result = cli("scan", "-i", str(inventory), "--shard", value, "--connect-timeout", "1")
    assert result.exit_code == ExitCode.CONFIG
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and why in lines[0] and "Traceback" not in result.output


def test_shard_without_hosts_is_refused(tmp_path: Path, cli: Callable[..., Any]) -> None:
    result = cli("scan", "--shard", "1/2")
    assert result.exit_code == ExitCode.CONFIG
    assert "--shard slices the hosts of --host/--inventory" in result.output
