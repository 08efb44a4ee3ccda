"""Alert text stays text: property and adversarial tests for each format's escaping.

Markdown is checked by parsing the output as CommonMark (markdown-it-py) and looking at what
the parser built: only text, never a link, emphasis, HTML, heading or list. Mentions,
issue references and autolinks that GitHub adds after parsing are checked on the parsed text.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deepalert.render import (
    WORD_JOINER,
    escape_markdown,
    escape_slack,
    markdown_code,
    one_line,
    render_markdown,
    render_slack,
)
from tests.render.conftest import full_report

markdown_it = pytest.importorskip("markdown_it")

ATTACKS = [
    "@channel @here @everyone <!channel> <!here> <!everyone> <@U012AB3CD> <#C123>",
    "<https://evil.example|Click to reset your password>",
    "[click](https://evil.example) ![img](https://evil.example/x.png)",
    "https://evil.example www.evil.example user@evil.example",
    "**bold** _it_ ~~strike~~ `code` ``` fenced ```",
    "# heading\n## two\n> quote\n- item\n1. item\n---\n| a | b |\n|---|---|",
    "<script>alert(1)</script> <img src=x onerror=alert(1)> <!-- c -->",
    "@octocat @org/team fixes #1 GH-2 owner/repo#3",
    "&lt;!here&gt; &amp; &#64;channel",
    "\\*not bold\\* \\",
    "line\r\nbreak\u2028sep\x00nul\x1bescape",
]

# Text that exercises markup: punctuation-heavy, plus words and the characters that matter.
markup_text = st.lists(
    st.sampled_from([*"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ \n\t\r", *"abcwhtps0123456789",
                     "www.", "://", "https://", "@", "é", "\u2028"]),
    max_size=30).map("".join)
any_text = st.one_of(markup_text, st.text(max_size=60))


def _inline_tokens(markdown: str) -> list[object]:
    parser = markdown_it.MarkdownIt("commonmark")
    tokens = parser.parse(markdown)
    children: list[object] = []
    for token in tokens:
        children.extend(token.children or [])
    return [*tokens, *children]


def _parsed_text(markdown: str) -> tuple[set[str], str]:
    kinds: set[str] = set()
    texts: list[str] = []
    for token in _inline_tokens(markdown):
        kinds.add(token.type)  # type: ignore[attr-defined]
        if token.type in ("text", "code_inline"):  # type: ignore[attr-defined]
            texts.append(token.content)  # type: ignore[attr-defined]
    return kinds, "".join(texts)


def _assert_literal_markdown(source: str, rendered: str) -> None:
    kinds, text = _parsed_text(rendered)
    assert kinds <= {"paragraph_open", "paragraph_close", "inline", "text"}, (source, kinds)
    assert text.replace(WORD_JOINER, "").strip() == one_line(source).strip()
    # What GitHub links after parsing: mentions, issue references, autolinks.
    assert not re.search(r"@(?!\u2060)", text)
    assert not re.search(r"#(?!\u2060)\d", text)
    assert not re.search(r":(?!\u2060)//", text)
    assert not re.search(r"(?i)(?<![\w.])www(?!\u2060)\.", text)


@pytest.mark.parametrize("attack", ATTACKS)
def test_markdown_escape_keeps_attacks_literal(attack: str) -> None:
    """Mentions, links, images, HTML and block markup in alert text render as plain text."""
    _assert_literal_markdown(attack, escape_markdown(attack))


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_markdown_escape_is_always_literal(text: str) -> None:
    """For any text, CommonMark sees one paragraph of text equal to the input (on one line)."""
    rendered = escape_markdown(text)
    if not one_line(text).strip():
        return  # nothing visible to check
    _assert_literal_markdown(text, rendered)


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_markdown_code_span_is_always_verbatim(text: str) -> None:
    """A code span shows the value exactly (on one line), whatever backticks it holds."""
    kinds, shown = _parsed_text(markdown_code(text))
    assert "code_inline" in kinds
    assert kinds <= {"paragraph_open", "paragraph_close", "inline", "code_inline"}
    expected = one_line(text)
    # CommonMark strips one space each side of a padded span, and a span of only spaces is kept.
    assert shown == (expected if expected.strip(" ") else shown)


@settings(max_examples=150, deadline=None)
@given(any_text, any_text)
def test_rendered_markdown_puts_report_text_only_in_text_and_code(description: str,
                                                                 reason: str) -> None:
    """In a whole rendered report, alert text never makes a link, HTML or emphasis."""
    md = render_markdown(full_report(description=description, reason=reason))
    kinds, _ = _parsed_text(md)
    assert not kinds & {"link_open", "image", "html_inline", "html_block", "em_open",
                        "blockquote_open", "fence", "code_block", "hr", "table_open"}
    assert "@" not in md.replace("@" + WORD_JOINER, "")


@pytest.mark.parametrize("attack", ATTACKS)
def test_slack_escape_leaves_no_control_sequence(attack: str) -> None:
    """No '<' or '>' survives, so Slack sees no <!here>, <@user> or <url|label>."""
    escaped = escape_slack(attack)
    assert "<" not in escaped
    assert ">" not in escaped
    assert not re.search(r"@(?!\u2060)", escaped)


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_slack_escape_round_trips(text: str) -> None:
    """Unescaping Slack's three entities gives the text back (less control characters)."""
    escaped = escape_slack(text)
    assert "<" not in escaped
    assert ">" not in escaped
    assert not re.search(r"&(?!amp;|lt;|gt;)", escaped)
    back = escaped.replace(WORD_JOINER, "").replace("&lt;", "<").replace("&gt;", ">")
    back = back.replace("&amp;", "&")
    assert back == re.sub(r"[\x00-\x08\x0e-\x1f\x7f]", "", text).replace(WORD_JOINER, "")


@settings(max_examples=100, deadline=None)
@given(any_text)
def test_slack_message_has_no_live_markup_from_alert_text(description: str) -> None:
    """In the Slack message, alert text is plain_text, escaped, within each object's limit."""
    message = render_slack(full_report(description=description, reason=description))
    for block in message["blocks"]:
        for obj in [block.get("text"), *block.get("fields", []), *block.get("elements", [])]:
            if obj is None:
                continue
            assert "<" not in obj["text"]
            assert ">" not in obj["text"]
            if obj["type"] == "mrkdwn":
                assert re.fullmatch(r"\*[A-Za-z ]+( \(\d+\))?\*", obj["text"])
    assert "<" not in message["text"]
    assert not re.search(r"@(?!\u2060)", message["text"])


@settings(max_examples=100, deadline=None)
@given(any_text)
def test_adf_carries_alert_text_only_in_plain_text_nodes(description: str) -> None:
    """In ADF, alert text is only ever in text nodes, with no link or mention marks."""
    from deepalert.render import render_adf

    def walk(node: object) -> None:
        if isinstance(node, dict):
            assert node["type"] in {"doc", "paragraph", "heading", "bulletList", "listItem",
                                    "text"}
            for mark in node.get("marks", []):
                assert mark == {"type": "strong"}
            for child in node.get("content", []):
                walk(child)

    walk(render_adf(full_report(description=description, reason=description)))
