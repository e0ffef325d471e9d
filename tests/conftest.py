"""Shared test helpers: CLI runner, fixture paths, and 'needs a real component' guards."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from endpoint_audit.cli.app import app

FIXTURES = Path(__file__).parent / "fixtures"
ARTIFACTS = Path(
    os.environ.get("ENDPOINT_AUDIT_TEST_ARTIFACTS", Path(__file__).parent.parent / "artifacts")
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_configure(config: pytest.Config) -> None:
    """The tool's cache folder (kept catalogs, entry points) is the session's own, for
    the CLI run in-process and every subprocess: tests never write into the user's
    ~/.cache, and no answer kept by an earlier run (or another checkout) decides one."""
    if "ENDPOINT_AUDIT_TEST_CACHE" not in os.environ:  # a pytest run by a test shares it
        _made_cache.append(tempfile.mkdtemp(prefix="ea-test-cache-"))
        os.environ["ENDPOINT_AUDIT_TEST_CACHE"] = _made_cache[0]
    os.environ["XDG_CACHE_HOME"] = os.environ["ENDPOINT_AUDIT_TEST_CACHE"]


_made_cache: list[str] = []


def pytest_unconfigure(config: pytest.Config) -> None:
    for made in _made_cache:  # only the folder this session made
        shutil.rmtree(made, ignore_errors=True)


def require_tool(name: str, *candidates: str) -> str:
    """Path of a program a test needs. Under CI a missing one fails the test (the test
    command installs it); elsewhere the test is skipped with the reason."""
    for candidate in (name, *candidates):
        found = shutil.which(candidate) or (
            candidate if os.path.isabs(candidate) and os.access(candidate, os.X_OK) else None
        )
        if found:
            return found
    message = f"{name} is not installed (the README's test command installs it)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def cli() -> Callable[..., object]:
    """Invoke the CLI in-process: cli("scan", "--replay", path) -> Result."""
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None) -> object:
        return runner.invoke(app, list(args), env=env, catch_exceptions=False)

    return invoke


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
