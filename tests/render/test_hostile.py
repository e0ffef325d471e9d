"""Hostile host data stays text in every format: no markup, no formula, no escape sequence."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from endpoint_audit.render.base import RenderOptions
from endpoint_audit.render.csv_report import FORMULA_START, CsvRenderer
from endpoint_audit.render.html import HtmlRenderer
from endpoint_audit.render.junit import JunitRenderer
from endpoint_audit.render.markdown import MarkdownRenderer, escape
from endpoint_audit.render.terminal import TerminalRenderer
from endpoint_audit.render.text import visible_controls
from tests.render.corpus import HOSTILE, hostile_report

LANGS = ["en", "ja"]


def markdown_to_html(text: str) -> str:
    # CommonMark with GitHub's tables and strikethrough (linkify needs an extra package;
    # the bare-link escapes are checked textually below).
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(text)


class _Elements(HTMLParser):
    """Every start tag with its attributes, and the text outside script/style."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


@pytest.mark.parametrize("lang", LANGS)
def test_html_holds_hostile_data_as_text(lang: str) -> None:
    page = HtmlRenderer().render(hostile_report(lang), RenderOptions(lang=lang))
    parser = _Elements()
    parser.feed(page)
    tags = [t for t, _ in parser.tags]
    # Only the report's own script and stylesheet; nothing the data could have added.
    assert tags.count("script") == 1 and tags.count("style") == 1
    for forbidden in ("img", "svg", "link", "iframe", "object", "embed", "textarea", "base"):
        assert forbidden not in tags, forbidden
    for tag, attrs in parser.tags:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        for name in ("href", "src", "action"):
            value = attrs.get(name)
            assert value is None or value.startswith("#"), (tag, name, value)
    text = "".join(parser.text)
    for key, value in HOSTILE.items():
        assert visible_controls(value) in text, key
    assert "\x1b" not in page
    assert "\\x1b[31m" in text  # the escape sequence shows as text


def test_html_csp_allows_only_the_inline_script() -> None:
    page = HtmlRenderer().render(hostile_report(), RenderOptions())
    parser = _Elements()
    parser.feed(page)
    [csp] = [
        a["content"] for t, a in parser.tags if a.get("http-equiv") == "Content-Security-Policy"
    ]
    assert csp is not None
    assert "default-src 'none'" in csp and "script-src 'sha256-" in csp
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert "http" not in csp


@pytest.mark.parametrize("lang", LANGS)
def test_junit_is_well_formed_and_holds_hostile_data(lang: str) -> None:
    xml = JunitRenderer().render(hostile_report(lang), RenderOptions(lang=lang))
    # Our own output, parsed to prove it is well formed: raises on anything XML cannot hold.
    root = ET.fromstring(xml.encode("utf-8"))  # noqa: S314
    names = [s.get("name") for s in root.iter("testsuite")]
    assert HOSTILE["script"] + HOSTILE["formula_cmd"] in names
    assert visible_controls(HOSTILE["textarea"], keep="") in names
    unreachable = next(s for s in root.iter("testsuite") if s.get("name") == names[1])
    [error] = unreachable.iter("error")
    assert error.get("message") == visible_controls(HOSTILE["escape"], keep="")
    assert "\x1b" not in xml


@pytest.mark.parametrize("lang", LANGS)
def test_csv_neutralises_formulas(lang: str) -> None:
    text = CsvRenderer().render(hostile_report(lang), RenderOptions(lang=lang))
    rows = list(csv.reader(io.StringIO(text)))
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c.startswith(FORMULA_START)]
    assert "'" + HOSTILE["formula_cmd"] in cells
    assert "'" + HOSTILE["formula_plus"] in cells
    assert "'" + HOSTILE["formula_minus"] in cells
    assert "'" + HOSTILE["formula_at"] in cells
    assert "'" + HOSTILE["tab"] in cells
    assert "'\\x0d=1+1" in cells  # CR: neutralised, then shown as an escape
    assert HOSTILE["japanese"] in cells
    assert "\x1b" not in text


@pytest.mark.parametrize("lang", LANGS)
def test_markdown_renders_hostile_data_as_text(lang: str) -> None:
    text = MarkdownRenderer().render(hostile_report(lang), RenderOptions(lang=lang))
    html = markdown_to_html(text)
    parser = _Elements()
    parser.feed(html)
    tags = {t for t, _ in parser.tags}
    # The document's own markup is headings, lists, tables and bold; the data adds nothing.
    assert tags <= {
        "h1",
        "h2",
        "ul",
        "li",
        "strong",
        "p",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
    rendered = "".join(parser.text)
    for key in ("script", "img", "rich", "formula_cmd", "markdown", "remote_img", "japanese"):
        assert " ".join(HOSTILE[key].split()) in " ".join(rendered.split()), key
    assert "\x1b" not in text


def test_markdown_escape_breaks_links_and_emphasis() -> None:
    escaped = escape("**x** [a](http://e.test) www.e.test a@b.test ~~s~~ <b>")
    html = markdown_to_html(escaped)
    assert "<strong>" not in html and "<a " not in html and "<s>" not in html
    assert "**x** [a](http://e.test) www.e.test a@b.test ~~s~~ &lt;b&gt;" in html
    # What GitHub would autolink without markup is broken up by escapes.
    assert "http\\://" in escaped and "www\\." in escaped and "a\\@b" in escaped


@pytest.mark.parametrize("lang", LANGS)
def test_terminal_shows_markup_and_escapes_as_text(lang: str) -> None:
    for color in (False, True):
        out = TerminalRenderer().render(
            hostile_report(lang), RenderOptions(lang=lang, color=color, width=400)
        )
        assert "[red]not red[/red]" in out
        assert "<script>" in out
        # With colour on, rich emits its own ESC codes; none of the host's survive.
        assert "\x1b]8;;http" not in out
        assert "\x1b[31mred" not in out


def test_visible_controls_keeps_text_and_windows_line_ends_readable() -> None:
    assert visible_controls("総務課\u3000端末 (1)") == "総務課\u3000端末 (1)"
    assert visible_controls("a\r\nb\r\n") == "a\nb\n"  # PowerShell output stays readable
    assert visible_controls("a\rb") == "a\\x0db"  # a lone CR would overwrite the line
    assert visible_controls("x\ty\n", keep="") == "x\\x09y\\x0a"
    assert visible_controls("\x1b[2J\u202e\x85\ud800") == "\\x1b[2J\\u202e\\x85\\ud800"
