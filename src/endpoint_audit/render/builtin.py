"""The built-in renderers, registered through `endpoint_audit.renderers.v1`."""

from __future__ import annotations

from endpoint_audit.render.base import Renderer
from endpoint_audit.render.csv_report import CsvRenderer
from endpoint_audit.render.frameworks import FrameworksRenderer
from endpoint_audit.render.html import HtmlRenderer
from endpoint_audit.render.json_report import JsonRenderer
from endpoint_audit.render.junit import JunitRenderer
from endpoint_audit.render.markdown import MarkdownRenderer
from endpoint_audit.render.terminal import TerminalRenderer

BUILTIN_RENDERERS: tuple[type[Renderer], ...] = (
    TerminalRenderer,
    JsonRenderer,
    HtmlRenderer,
    JunitRenderer,
    CsvRenderer,
    MarkdownRenderer,
    FrameworksRenderer,
)
