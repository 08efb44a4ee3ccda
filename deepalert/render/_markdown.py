"""Report → Markdown (GitHub-flavoured), and → plain text."""

from __future__ import annotations

from deepalert.models import Report
from deepalert.render._digest import AttributeLine, Digest, digest, report_title
from deepalert.render._escape import escape_markdown, markdown_code, one_line
from deepalert.render._fit import fit

__all__ = ["GITHUB_BODY_LIMIT", "render_markdown", "render_text"]

GITHUB_BODY_LIMIT = 65536
"""The most characters GitHub takes in an issue or comment body."""


def _check_limit(function: str, max_chars: int, least: int) -> None:
    if isinstance(max_chars, bool) or not isinstance(max_chars, int) or max_chars < least:
        raise ValueError(f"{function}(max_chars=) must be an int of at least {least}, "
                         f"got {max_chars!r}")


def _md_attribute(attr: AttributeLine) -> str:
    context = f" ({escape_markdown(', '.join(attr.context))})" if attr.context else ""
    key = f" {escape_markdown(attr.key)}" if attr.key and attr.key != attr.type else ""
    return f"{markdown_code(attr.type)} {markdown_code(attr.value)}{key}{context}"


def _markdown_parts(d: Digest, title: str, heading: str) -> list[str]:
    parts = [f"{heading} {escape_markdown(title)}"]
    facts = [f"**Severity:** {markdown_code(d.severity)}",
             f"**Status:** {markdown_code(d.status or 'unknown')}",
             f"**Report ID:** {markdown_code(d.report_id)}"]
    if d.created_at:
        facts.append(f"**Created:** {markdown_code(d.created_at)}")
    if d.detectors:
        facts.append("**Detectors:** " + ", ".join(markdown_code(x) for x in d.detectors))
    parts.append("\n" + "  \n".join(facts))
    if d.reason:
        parts.append(f"\n**Reason:** {escape_markdown(d.reason)}")
    sub = heading + "#"
    if d.alerts:
        parts.append(f"\n{sub} Alerts ({len(d.alerts)})")
        for alert in d.alerts:
            line = f"- {markdown_code(alert.rule)} from {markdown_code(alert.detector)}"
            if alert.timestamp:
                line += f" at {markdown_code(alert.timestamp)}"
            if alert.description:
                line += f": {escape_markdown(alert.description)}"
            parts.append(line)
    if d.attributes:
        parts.append(f"\n{sub} Attributes ({len(d.attributes)})")
        parts.extend(f"- {_md_attribute(a)}" for a in d.attributes)
    if d.links:
        parts.append(f"\n{sub} Investigation links")
        parts.extend(f"- {markdown_code(link)}" for link in d.links)
    for group in d.findings:
        parts.append(f"\n{sub} {group.title} ({len(group.items)})")
        for item in group.items:
            lines = [f"- {_md_attribute(item.subject)}"]
            lines.extend(f"  - **{name}:** {markdown_code(value)}" for name, value in item.facts)
            parts.append("\n".join(lines))
    return parts


def render_markdown(report: Report, *, max_chars: int = GITHUB_BODY_LIMIT,
                    heading: str = "##") -> str:
    """The report as GitHub-flavoured Markdown of at most ``max_chars`` characters.

    Values from the report are code spans or escaped text (see
    :func:`deepalert.render.escape_markdown`), so they cannot mention anyone, link, or change
    the layout. Investigation links are shown as code, not made clickable: their text comes
    from alerts too. When the report does not fit, whole entries are left out from the end and
    a last line says how many.

    Example::

        body = render_markdown(report, max_chars=GITHUB_BODY_LIMIT - 100)
    """
    _check_limit("render_markdown", max_chars, 200)
    title = report_title(report, min(256, max(60, max_chars // 4)))
    parts = _markdown_parts(digest(report), title, heading)
    return fit(parts, max_chars, "\n",
               lambda n: f"\n_{n} more entries left out of report_ {markdown_code(report.id)}")


def _text_attribute(attr: AttributeLine) -> str:
    context = f" ({', '.join(attr.context)})" if attr.context else ""
    key = f" [{one_line(attr.key)}]" if attr.key and attr.key != attr.type else ""
    return f"{attr.type} {one_line(attr.value)}{key}{context}"


def render_text(report: Report, *, max_chars: int = 4000) -> str:
    """The report as plain text lines of at most ``max_chars`` characters, for targets that
    show text as is (PagerDuty, Opsgenie, e-mail). Nothing is escaped: escape for the target."""
    _check_limit("render_text", max_chars, 120)
    d = digest(report)
    parts = [report_title(report, min(256, max(60, max_chars // 4))), f"Severity: {d.severity}",
             f"Status: {d.status or 'unknown'}", f"Report ID: {d.report_id}"]
    if d.reason:
        parts.append(f"Reason: {one_line(d.reason)}")
    if d.alerts:
        parts.append(f"Alerts ({len(d.alerts)}):")
        for alert in d.alerts:
            line = f"- {one_line(alert.rule)} from {one_line(alert.detector)}"
            if alert.description:
                line += f": {one_line(alert.description)}"
            parts.append(line)
    if d.attributes:
        parts.append(f"Attributes ({len(d.attributes)}):")
        parts.extend(f"- {_text_attribute(a)}" for a in d.attributes)
    if d.links:
        parts.append("Investigation links:")
        parts.extend(f"- {one_line(link)}" for link in d.links)
    for group in d.findings:
        parts.append(f"{group.title} ({len(group.items)}):")
        for item in group.items:
            parts.append(f"- {_text_attribute(item.subject)}")
            parts.extend(f"  {name}: {one_line(value)}" for name, value in item.facts)
    return fit(parts, max_chars, "\n",
               lambda n: f"({n} more lines left out; report {report.id})")
