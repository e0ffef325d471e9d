"""Markdown that reads as plain text in mail and tickets, and renders as exactly the
host's text in a Markdown viewer: escapes only where Markdown would act."""

from __future__ import annotations

import html as html_lib
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from endpoint_audit.model import i18n
from endpoint_audit.render.markdown import escape, escape_trusted
from endpoint_audit.render.text import visible_controls


def rendered(text: str) -> str:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(text)


def test_plain_text_stays_as_written() -> None:
    for text in (
        "sudo apt update && sudo apt upgrade",
        "Debian GNU/Linux 12 (bookworm)",
        "pending_security_updates",
        "C:\\Users\\pc-001",
        "10.0.22631.3447 # build",
        "a > b, 1 + 1 = 2, 50% - done!",
        "／var／log 日本語（全角）",
    ):
        assert escape(text) == text


def test_what_markdown_would_act_on_is_escaped() -> None:
    assert escape("<b>x</b>") == "\\<b>x\\</b>"
    assert escape("&amp; &#60;") == "\\&amp; \\&#60;"
    assert escape("[a](http://x)") == "\\[a\\](http\\://x)"
    assert escape("_a_ *b* `c` ~~d~~ |") == "\\_a\\_ \\*b\\* \\`c\\` \\~\\~d\\~\\~ \\|"
    assert escape("\\*") == "\\\\\\*"


def test_the_packages_own_remediation_keeps_its_code() -> None:
    fix = i18n.t("en", "patch_level.remediation.linux")
    out = escape_trusted(fix)
    assert "`sudo apt update && sudo apt upgrade`" in out
    assert "<code>sudo apt update &amp;&amp; sudo apt upgrade</code>" in rendered(out)


# Printable text of every kind, with Markdown's own characters over-represented.
MARKDOWNISH = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("\\`*_{}[]()#+-.!<>&|~:/@wh ;=\"'0a")),
        st.characters(blacklist_categories=("Cs",)),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(MARKDOWNISH)
def test_any_text_renders_as_itself(text: str) -> None:
    out = rendered("x " + escape(text))
    assert re.findall(r"<(?!/?p>)[a-z/][^>]*>", out) == [], out  # no tag but the paragraph
    body = html_lib.unescape(re.sub(r"</?p>", "", out)).strip()
    expected = " ".join(("x " + visible_controls(text, keep="\n\t")).split())
    assert " ".join(body.split()) == expected
