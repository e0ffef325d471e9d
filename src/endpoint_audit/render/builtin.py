"""The built-in renderers, registered through `endpoint_audit.renderers.v1` by name
(BUILTIN_RENDERER_REFS): each module is imported when its format is written.
`BUILTIN_RENDERERS`, the classes themselves, imports them all when asked for."""

from __future__ import annotations

from typing import Any

from endpoint_audit.render.base import Renderer, RendererRef

BUILTIN_RENDERER_REFS: tuple[RendererRef, ...] = (
    RendererRef("terminal", "endpoint_audit.render.terminal", "TerminalRenderer"),
    RendererRef("json", "endpoint_audit.render.json_report", "JsonRenderer"),
    RendererRef("html", "endpoint_audit.render.html", "HtmlRenderer"),
    RendererRef("junit", "endpoint_audit.render.junit", "JunitRenderer"),
    RendererRef("csv", "endpoint_audit.render.csv_report", "CsvRenderer"),
    RendererRef("markdown", "endpoint_audit.render.markdown", "MarkdownRenderer"),
    RendererRef("frameworks", "endpoint_audit.render.frameworks", "FrameworksRenderer"),
)


def builtin_renderers() -> tuple[type[Renderer], ...]:
    return tuple(ref.load() for ref in BUILTIN_RENDERER_REFS)


def __getattr__(name: str) -> Any:
    if name == "BUILTIN_RENDERERS":
        return builtin_renderers()
    raise AttributeError(name)
