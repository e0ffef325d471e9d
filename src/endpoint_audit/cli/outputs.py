"""`--format FORMAT[:PATH]` and `--output`: which renderers write where."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass

from endpoint_audit.cli.common import fail, write_output
from endpoint_audit.engine.registry import load_registry
from endpoint_audit.model.result import RunReport
from endpoint_audit.render.base import RenderOptions


@dataclass(frozen=True)
class OutputSpec:
    format: str
    path: str | None  # None or "-" = stdout


def parse_outputs(formats: list[str] | None, output: str | None) -> list[OutputSpec]:
    known = load_registry().renderers
    specs: list[OutputSpec] = []
    for raw in formats or ["terminal"]:
        name, sep, path = raw.partition(":")
        name = name.strip().lower()
        if name not in known:
            fail(f"--format {name}: unknown format; choose from {', '.join(sorted(known))}")
        specs.append(OutputSpec(name, path if sep else None))
    if output is not None:
        unpathed = [s for s in specs if s.path is None]
        if len(unpathed) != 1:
            fail("--output applies to exactly one --format without its own :PATH")
        specs = [OutputSpec(s.format, output) if s.path is None else s for s in specs]
    to_stdout = [s for s in specs if s.path in (None, "-")]
    if len(to_stdout) > 1:
        fail("only one --format may write to stdout; give the others a :PATH")
    return specs


def render_outputs(report: RunReport, specs: list[OutputSpec], lang: str) -> None:
    renderers = load_registry().renderers
    for spec in specs:
        renderer = renderers[spec.format]()
        color = spec.format == "terminal" and spec.path in (None, "-") and sys.stdout.isatty()
        # On a terminal use its width; in files and pipes a fixed width keeps output stable.
        width = shutil.get_terminal_size().columns if color else None
        text = renderer.render(report, RenderOptions(lang=lang, color=color, width=width))
        write_output(spec.path, text, renderer.encoding)
