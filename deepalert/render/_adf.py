"""Report → Atlassian Document Format (Jira Cloud descriptions and comments)."""

from __future__ import annotations

from typing import Any

from deepalert.models import Report
from deepalert.render._digest import AttributeLine, digest, report_title
from deepalert.render._escape import clip, one_line

__all__ = ["JIRA_TEXT_LIMIT", "render_adf"]

JIRA_TEXT_LIMIT = 32_767
"""The most characters Jira keeps in a description or comment."""


def _text(text: str, *, strong: bool = False) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": text}
    if strong:
        node["marks"] = [{"type": "strong"}]
    return node


def _paragraph(*parts: tuple[str, bool]) -> dict[str, Any]:
    return {"type": "paragraph",
            "content": [_text(text, strong=strong) for text, strong in parts if text]}


def _heading(text: str, level: int = 3) -> dict[str, Any]:
    return {"type": "heading", "attrs": {"level": level}, "content": [_text(text)]}


def _item(*parts: tuple[str, bool]) -> dict[str, Any]:
    return {"type": "listItem", "content": [_paragraph(*parts)]}


def _attr(attr: AttributeLine) -> str:
    context = f" ({', '.join(attr.context)})" if attr.context else ""
    key = f" [{one_line(attr.key)}]" if attr.key and attr.key != attr.type else ""
    return f"{attr.type} {one_line(attr.value)}{key}{context}"


def render_adf(report: Report, *, max_chars: int = JIRA_TEXT_LIMIT - 2_000,
               title: bool = True) -> dict[str, Any]:
    """The report as an ADF document whose text stays within ``max_chars`` characters.

    ADF text nodes are literal: no wiki markup or Markdown is read from them, so alert text
    cannot format, link or mention. Entries that do not fit are left out from the end, and
    a last paragraph says how many.
    """
    if isinstance(max_chars, bool) or not isinstance(max_chars, int) or max_chars < 500:
        raise ValueError(f"render_adf(max_chars=) must be an int of at least 500, "
                         f"got {max_chars!r}")
    d = digest(report)
    head: list[dict[str, Any]] = []
    if title:
        head.append(_heading(report_title(report), 2))
    facts = [("Severity", d.severity), ("Status", d.status or "unknown"),
             ("Report ID", d.report_id), ("Detectors", ", ".join(d.detectors)),
             ("Created", d.created_at),
             ("Reason", clip(one_line(d.reason), max(100, max_chars // 4)))]
    head.append(_paragraph(*[part for name, value in facts if value
                             for part in ((f"{name}: ", True), (f"{one_line(value)}  ", False))]))
    blocks: list[tuple[str, list[dict[str, Any]]]] = []
    if d.alerts:
        blocks.append((f"Alerts ({len(d.alerts)})", [
            _item((one_line(a.rule), True), (f" from {one_line(a.detector)}", False),
                  (f": {one_line(a.description)}" if a.description else "", False))
            for a in d.alerts]))
    if d.attributes:
        blocks.append((f"Attributes ({len(d.attributes)})",
                       [_item((_attr(a), False)) for a in d.attributes]))
    if d.links:
        blocks.append(("Investigation links", [_item((one_line(x), False)) for x in d.links]))
    for group in d.findings:
        blocks.append((f"{group.title} ({len(group.items)})", [
            _item((_attr(item.subject), True),
                  *[(f" {name}: {one_line(value)};", False) for name, value in item.facts])
            for item in group.items]))
    content = list(head)
    used = sum(len(_plain(node)) for node in content)
    left_out = 0
    for heading, items in blocks:
        if left_out:
            left_out += len(items)
            continue
        kept: list[dict[str, Any]] = []
        budget = max_chars - used - len(heading) - 200
        for index, item in enumerate(items):
            size = len(_plain(item))
            if size > budget:
                left_out += len(items) - index
                break
            kept.append(item)
            budget -= size
            used += size
        if kept:
            content.append(_heading(heading))
            content.append({"type": "bulletList", "content": kept})
            used += len(heading)
    if left_out:
        content.append(_paragraph((f"{left_out} more entries left out; the whole report is "
                                   f"{d.report_id}", False)))
    return {"type": "doc", "version": 1, "content": content}


def _plain(node: Any) -> str:
    if isinstance(node, dict):
        return str(node.get("text", "")) + "".join(_plain(c) for c in node.get("content", []))
    return ""
