"""`endpoint-audit probe export` on the command line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


@pytest.mark.parametrize(
    ("os_name", "first_line"),
    [("windows", "# endpoint-audit probe script for Windows"), ("linux", "#!/bin/sh")],
)
def test_export_writes_the_script(
    os_name: str, first_line: str, cli: Callable[..., Any], tmp_path: Path
) -> None:
    target = tmp_path / "probe"
    result = cli("probe", "export", "--os", os_name, "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert target.read_text().startswith(first_line)


def test_export_to_stdout_with_budgets(cli: Callable[..., Any]) -> None:
    result = cli(
        "probe", "export", "--os", "macos", "--command-timeout", "5", "--total-timeout", "30"
    )
    assert result.exit_code == 0
    assert "EA_COMMAND_SECONDS=5\n" in result.stdout
    assert "EA_TOTAL_SECONDS=30\n" in result.stdout
    assert "sw_vers" in result.stdout and "fdesetup status" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("--os", "solaris"),
        ("--os", "linux", "--command-timeout", "60", "--total-timeout", "10"),
        ("--os", "linux", "--default-output", "/mnt/a\nb"),
    ],
)
def test_bad_options_are_usage_errors(args: tuple[str, ...], cli: Callable[..., Any]) -> None:
    result = cli("probe", "export", *args)
    assert result.exit_code == 2
