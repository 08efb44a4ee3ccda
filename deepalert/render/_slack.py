"""Report → a Slack message: Block Kit blocks and a fallback text."""

from __future__ import annotations

from typing import Any

from deepalert.models import Report
from deepalert.render._digest import AttributeLine, digest, report_title
from deepalert.render._escape import clip, escape_slack, one_line
from deepalert.render._fit import fit

__all__ = ["SLACK_MAX_BLOCKS", "render_slack"]

SLACK_MAX_BLOCKS = 50
"""The most blocks Slack takes in one message."""
_HEADER_LIMIT = 150
_SECTION_LIMIT = 3000
_FIELD_LIMIT = 2000
_FALLBACK_LIMIT = 3000
COLORS = {"urgent": "#d50200", "unclassified": "#de9e31", "safe": "#2eb886"}
"""Attachment colours by severity, as the Go Slack emitter used them."""


def _plain(text: str, limit: int) -> dict[str, Any]:
    # Escaping can lengthen the text: cut the raw text first, then make sure the escaped
    # text fits, cutting more (never inside an entity) if it does not.
    raw = clip(text, limit)
    escaped = escape_slack(raw)
    while len(escaped) > limit and raw:
        raw = clip(raw, len(raw) - (len(escaped) - limit) - 1)
        escaped = escape_slack(raw)
    return {"type": "plain_text", "text": escaped or " ", "emoji": False}


def _label(text: str) -> dict[str, Any]:
    """A heading of ours (never report text), bold in mrkdwn."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": f"*{text}*"}}


def _attr(attr: AttributeLine) -> str:
    context = f" ({', '.join(attr.context)})" if attr.context else ""
    key = f" [{one_line(attr.key)}]" if attr.key and attr.key != attr.type else ""
    return f"{attr.type} {one_line(attr.value)}{key}{context}"


def _lines_section(lines: list[str], what: str) -> dict[str, Any]:
    text = fit(lines, _SECTION_LIMIT - 200, "\n", lambda n: f"… {n} more {what}")
    return {"type": "section", "text": _plain(text, _SECTION_LIMIT)}


def render_slack(report: Report, *, max_blocks: int = SLACK_MAX_BLOCKS) -> dict[str, Any]:
    """The report as a Slack message: ``{"text": fallback, "blocks": [...]}``.

    Every piece of report text is in a ``plain_text`` object (no formatting, no links, no
    mentions) escaped with :func:`deepalert.render.escape_slack`; only the section headings
    are ``mrkdwn``, and they are ours. Slack's limits hold: at most ``max_blocks`` blocks
    (50), 150 characters in the header, 3,000 in a section, 2,000 in a field. The fallback
    ``text`` (notifications, old clients) is escaped the same way. Pass the result to
    ``chat.postMessage`` or an incoming webhook as the JSON body.

    Example::

        message = render_slack(report)
        assert len(message["blocks"]) <= 50
    """
    if not 4 <= max_blocks <= SLACK_MAX_BLOCKS:
        raise ValueError(f"max_blocks must be between 4 and {SLACK_MAX_BLOCKS}, "
                         f"got {max_blocks}")
    d = digest(report)
    title = report_title(report, _HEADER_LIMIT)
    fields = [f"Severity: {d.severity}", f"Status: {d.status or 'unknown'}",
              f"Report ID: {d.report_id}", f"Alerts: {len(d.alerts)}"]
    if d.detectors:
        fields.append("Detectors: " + ", ".join(d.detectors))
    if d.created_at:
        fields.append(f"Created: {d.created_at}")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(title, _HEADER_LIMIT)},
        {"type": "section", "fields": [_plain(f, _FIELD_LIMIT) for f in fields[:10]]},
    ]
    if d.reason:
        blocks.append({"type": "section", "text": _plain(f"Reason: {d.reason}",
                                                         _SECTION_LIMIT)})
    body: list[dict[str, Any]] = []
    if d.alerts:
        body.append(_label(f"Alerts ({len(d.alerts)})"))
        body.append(_lines_section(
            [f"• {one_line(a.rule)} from {one_line(a.detector)}"
             + (f": {one_line(a.description)}" if a.description else "") for a in d.alerts],
            "alerts"))
    if d.attributes:
        body.append(_label(f"Attributes ({len(d.attributes)})"))
        body.append(_lines_section([f"• {_attr(a)}" for a in d.attributes], "attributes"))
    if d.links:
        body.append(_label("Investigation links"))
        body.append(_lines_section([f"• {one_line(link)}" for link in d.links], "links"))
    for group in d.findings:
        body.append(_label(f"{group.title} ({len(group.items)})"))
        for item in group.items:
            lines = [_attr(item.subject)] + [f"   {name}: {one_line(value)}"
                                             for name, value in item.facts]
            body.append(_lines_section(lines, "facts"))
    room = max_blocks - len(blocks)
    if len(body) > room:
        left_out = len(body) - (room - 1)
        body = body[:room - 1]
        if body and body[-1]["text"]["type"] == "mrkdwn":
            body.pop()  # a heading with nothing under it
            left_out += 1
        body.append({"type": "context", "elements": [_plain(
            f"{left_out} more blocks left out; the whole report is {d.report_id}",
            _SECTION_LIMIT)]})
    blocks.extend(body)
    fallback = _plain(f"{title}: {d.reason}" if d.reason else title, _FALLBACK_LIMIT)["text"]
    return {"text": fallback, "blocks": blocks}
