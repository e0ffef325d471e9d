"""Golden files: each format of the fixed sample report, byte for byte.

A deliberate change to a renderer regenerates them with
`ENDPOINT_AUDIT_REGEN_GOLDEN=1 pytest tests/render/test_golden.py`; review the diff.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from endpoint_audit.model.result import RunReport
from endpoint_audit.render.base import RenderOptions
from endpoint_audit.render.builtin import BUILTIN_RENDERERS
from tests.render.corpus import hostile_report, sample_report, single_host_report

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("ENDPOINT_AUDIT_REGEN_GOLDEN") == "1"
RENDERERS = {cls.name: cls for cls in BUILTIN_RENDERERS}

CASES = [
    # (golden file, format, report factory, language)
    ("fleet-ja.html", "html", sample_report, "ja"),
    ("single-en.html", "html", single_host_report, "en"),
    ("hostile-en.html", "html", hostile_report, "en"),
    ("fleet-ja.xml", "junit", sample_report, "ja"),
    ("hostile-en.xml", "junit", hostile_report, "en"),
    ("fleet-ja.csv", "csv", sample_report, "ja"),
    ("hostile-en.csv", "csv", hostile_report, "en"),
    ("fleet-ja.md", "markdown", sample_report, "ja"),
    ("hostile-en.md", "markdown", hostile_report, "en"),
]


def rendered(fmt: str, report: RunReport, lang: str) -> bytes:
    renderer = RENDERERS[fmt]()
    return renderer.render(report, RenderOptions(lang=lang)).encode(renderer.encoding)


@pytest.mark.parametrize(("name", "fmt", "factory", "lang"), CASES, ids=[c[0] for c in CASES])
def test_matches_golden_file(name: str, fmt: str, factory: object, lang: str) -> None:
    assert callable(factory)
    got = rendered(fmt, factory(lang), lang)
    # A catalog key printed instead of its text (Markdown once ended every verdict so).
    assert re.search(rb"\b(report|html|csv|frameworks)\.[a-z_]+\.[a-z_]+\b", got) is None, name
    path = GOLDEN / name
    if REGENERATE:
        path.write_bytes(got)
    assert path.exists(), f"{path} is missing; run with ENDPOINT_AUDIT_REGEN_GOLDEN=1"
    assert got == path.read_bytes(), f"{name} differs from its golden file"


def test_rendering_in_another_language_uses_the_catalog() -> None:
    """A Japanese report rendered in English shows English messages, not the recorded ones."""
    report = sample_report("ja")
    html = rendered("html", report, "en").decode()
    assert "is listening on a forbidden port" in html
    assert "が禁止ポートで待ち受けています" not in html
    assert rendered("html", report, "ja") != rendered("html", report, "en")
