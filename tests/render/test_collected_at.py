"""A recorded host's result says when its commands ran: a report judged today of facts
collected weeks ago must not read as today's state of the PC."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import FIXTURES

RECORDING = FIXTURES / "frozen" / "linux-firewall-ufw-active.yaml"  # collected_at 2026-11-20T01:00


@pytest.mark.parametrize(
    ("lang", "said"),
    [("en", "Collected 2026-11-20 01:00 UTC"), ("ja", "収集日時: 2026-11-20 01:00 UTC")],
)
@pytest.mark.parametrize("fmt", ["terminal", "html", "markdown"])
def test_the_collection_time_is_in_every_human_report(
    cli: Callable[..., object], tmp_path: Path, fmt: str, lang: str, said: str
) -> None:
    out = tmp_path / f"report.{fmt}"
    args = ["scan", "--replay", str(RECORDING), "--lang", lang, "-f", fmt]
    result = cli(*args, *([] if fmt == "terminal" else ["-o", str(out)]))
    text = result.stdout if fmt == "terminal" else out.read_text(encoding="utf-8")  # type: ignore[attr-defined]
    assert said in text


def test_a_live_scan_names_no_collection_time(cli: Callable[..., object]) -> None:
    result = cli("scan", "--only", "firewall", "--lang", "en")
    assert "Collected " not in result.stdout  # type: ignore[attr-defined]
