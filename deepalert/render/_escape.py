"""Escaping report text for each target's markup, so alert text stays text.

Alert descriptions, rule names and attribute values are attacker controlled: whoever can make
a detector fire chooses them. Rendered, they must not mention people (``@channel``,
``<!here>``, ``@org/team``), make links, or change the layout.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["WORD_JOINER", "clip", "escape_markdown", "escape_slack", "markdown_code", "one_line"]

WORD_JOINER: Final = "\u2060"
"""An invisible character that breaks a mention or an autolink without showing."""

_MD_PUNCTUATION: Final = re.compile(r"([!-/:-@\[-`{-~])")
"""Every ASCII punctuation character: CommonMark lets a backslash escape any of them."""
_MD_BREAKS: Final = re.compile(r"(?i)(@|#(?=\d)|:(?=//)|(?<![\w.])www(?=\.))")
"""Where GitHub would see a mention, an issue reference or an autolink: ``@``, ``#1``,
``://``, ``www.``. A word joiner goes right after each."""
_NEWLINES: Final = re.compile(r"\s*[\r\n\u2028\u2029\x0b\x0c\x85]+\s*")
_CONTROL: Final = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_BACKTICKS: Final = re.compile(r"`+")


def one_line(text: str) -> str:
    """The text on one line: line breaks become a space, other control characters go."""
    return _CONTROL.sub("", _NEWLINES.sub(" ", text))


def clip(text: str, limit: int) -> str:
    """The text cut to at most ``limit`` characters, the cut marked with an ellipsis."""
    if len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    return text[:limit - 1] + "…"


def escape_markdown(text: str) -> str:
    """Text made literal for GitHub-flavoured Markdown, on one line.

    Every ASCII punctuation character is backslash-escaped (no emphasis, links, HTML, headings,
    lists or tables), line breaks become spaces, blanks at either end go, and a word joiner
    (U+2060, invisible) follows every ``@``, a ``#`` before a digit, the ``:`` of ``://`` and a
    leading ``www``, so the text can neither mention anyone nor become an autolink or an issue
    reference.
    """
    # Leading blanks would make an indented code block; trailing ones a hard line break.
    text = _MD_BREAKS.sub(lambda m: m.group(0) + WORD_JOINER, one_line(text).strip())
    return _MD_PUNCTUATION.sub(r"\\\1", text)


def markdown_code(text: str) -> str:
    """Text as a Markdown code span (one line): shown verbatim, never linked or mentioned.

    The span is delimited by one more backtick than the longest run inside, and padded with
    a space where the text starts or ends with a backtick, as CommonMark specifies.
    """
    text = one_line(text)
    if not text:
        return "` `"
    runs = [len(run) for run in _BACKTICKS.findall(text)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if text[0] in "` " or text[-1] in "` " else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def escape_slack(text: str) -> str:
    """Text made safe for a Slack text object (``mrkdwn`` or ``plain_text``).

    ``&``, ``<`` and ``>`` become entities, as Slack asks, so no ``<!here>``, ``<@U123>`` or
    ``<https://…|disguised>`` link can be written; a word joiner follows every ``@``, so
    ``@channel`` stays text even where Slack would link names. Slack has no escape for its
    formatting characters (``*_~```): put report text in ``plain_text`` objects, as
    :func:`deepalert.render.render_slack` does.
    """
    text = _CONTROL.sub("", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("@", "@" + WORD_JOINER)
