"""`endpoint-audit data`: a dated data file is replaced offline, validated first, and the
check judges with the new one; a bad or older file changes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from endpoint_audit.checkkit.check import EvalContext, FactView
from endpoint_audit.checks.os_support import support_data
from endpoint_audit.checks.os_support.check import OsSupport, OsSupportParams
from endpoint_audit.checks.os_support.facts import OsSupportFacts
from endpoint_audit.model.observed import seen
from endpoint_audit.model.platform import OsFamily, PlatformInfo

SHIPPED = Path(support_data.__file__).parent / "data" / "support.toml"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.delenv(support_data.DATA_ENV, raising=False)
    monkeypatch.delenv(support_data.OVERRIDES_ENV, raising=False)
    return {"XDG_DATA_HOME": str(tmp_path / "data")}


def dated(text: str, day: str) -> str:
    return text.replace("dated = 2026-08-22", f"dated = {day}", 1)


def listed(cli: Callable[..., Any], env: dict[str, str]) -> dict[str, Any]:
    done = cli("data", "list", "--json", env=env)
    assert done.exit_code == 0, done.output
    (row,) = [r for r in json.loads(done.stdout) if r["kind"] == "os-support"]
    return row


def test_update_installs_a_newer_file_that_the_check_then_uses(
    cli: Callable[..., Any], env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert listed(cli, env)["dated"] == "2026-08-22"
    new = tmp_path / "os-support-2026-11.toml"
    new.write_text(dated(SHIPPED.read_text(encoding="utf-8"), "2026-11-30"), encoding="utf-8")
    done = cli("data", "update", str(new), env=env)
    assert done.exit_code == 0, done.output
    installed = tmp_path / "data" / "endpoint-audit" / "os-support.toml"
    assert installed.read_bytes() == new.read_bytes()
    row = listed(cli, env)
    assert (row["dated"], row["file"], row["check"]) == ("2026-11-30", str(installed), "os_support")
    # The check judges with it, and its finding says so.
    monkeypatch.setenv("XDG_DATA_HOME", env["XDG_DATA_HOME"])
    fact = OsSupportFacts(product=seen("ubuntu"), release=seen("24.04"))
    ctx = EvalContext(
        platform=PlatformInfo(family=OsFamily.LINUX), now=datetime(2026, 12, 1, tzinfo=UTC)
    )
    (outcome,) = OsSupport().evaluate(FactView({OsSupportFacts: fact}), OsSupportParams(), ctx)
    assert outcome.actual["data"] == {  # type: ignore[index]
        "source": "endoflife.date a70eca3 (MIT)",
        "dated": "2026-11-30",
        "path": str(installed),
    }
    # A second update with the same date is accepted; an older one is refused...
    older = tmp_path / "old.toml"
    older.write_text(SHIPPED.read_text(encoding="utf-8"), encoding="utf-8")
    refused = cli("data", "update", str(older), env=env)
    assert refused.exit_code == 2
    assert "older than the data in use" in refused.output and "Traceback" not in refused.output
    assert listed(cli, env)["dated"] == "2026-11-30"
    # ...unless asked for; reset goes back to the shipped data.
    assert cli("data", "update", str(older), "--allow-older", env=env).exit_code == 0
    assert listed(cli, env)["dated"] == "2026-08-22"
    assert cli("data", "reset", "os-support", env=env).exit_code == 0
    assert not installed.exists()
    assert listed(cli, env)["file"] != str(installed)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not toml [", "is not TOML"),
        ('format = 1\ndated = "soon"\nsource = "x"\n', "dated"),
        ("", "dated"),
    ],
)
def test_a_file_that_is_not_data_is_refused_naming_it(
    cli: Callable[..., Any], env: dict[str, str], tmp_path: Path, text: str, problem: str
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    done = cli("data", "update", str(bad), env=env)
    assert done.exit_code == 2
    (line,) = done.output.strip().splitlines()
    assert str(bad) in line and problem in line
    assert not (tmp_path / "data" / "endpoint-audit" / "os-support.toml").exists()


def test_stale_data_is_installed_with_a_warning(
    cli: Callable[..., Any], env: dict[str, str], tmp_path: Path
) -> None:
    old = tmp_path / "old.toml"
    old.write_text(dated(SHIPPED.read_text(encoding="utf-8"), "2020-01-01"), encoding="utf-8")
    done = cli("data", "update", str(old), "--allow-older", env=env)
    assert done.exit_code == 0
    assert "says unknown with data older than 180 days" in done.output
    assert listed(cli, env)["stale"] is True


def test_unknown_kind_and_missing_file(
    cli: Callable[..., Any], env: dict[str, str], tmp_path: Path
) -> None:
    done = cli("data", "update", str(SHIPPED), "--kind", "nope", env=env)
    assert done.exit_code == 2 and "no such data kind (kinds: os-support)" in done.output
    done = cli("data", "update", str(tmp_path / "missing.toml"), env=env)
    assert done.exit_code == 2 and "no such file" in done.output


def test_a_file_dated_after_today_is_refused(
    cli: Callable[..., Any], env: dict[str, str], tmp_path: Path
) -> None:
    # Dated in the future, it would never turn stale: old support dates would be trusted
    # for ever, and every later file refused as older.
    ahead = (date.today() + timedelta(days=400)).isoformat()
    future = tmp_path / "future.toml"
    future.write_text(dated(SHIPPED.read_text(encoding="utf-8"), ahead), encoding="utf-8")
    done = cli("data", "update", str(future), env=env)
    assert done.exit_code == 2 and f"dated {ahead}, after today" in done.output
    assert listed(cli, env)["dated"] == "2026-08-22"
    tomorrow = (date.today() + timedelta(days=1)).isoformat()  # another time zone's today
    future.write_text(dated(SHIPPED.read_text(encoding="utf-8"), tomorrow), encoding="utf-8")
    assert cli("data", "update", str(future), env=env).exit_code == 0
