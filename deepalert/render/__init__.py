"""Reports rendered for people: Markdown, Slack Block Kit, plain text, Atlassian documents.

One renderer for every emitter, so a report reads the same in a ticket, a page and a chat
message, and alert text (which whoever triggers a detector controls) is escaped for each
target's markup and kept within its size limits::

    from deepalert.render import render_markdown, render_slack, render_text

    body = render_markdown(report)            # GitHub issue body, at most 65,536 characters
    message = render_slack(report)            # {"text": ..., "blocks": [...]}
    summary = render_text(report, max_chars=1024)
    description = render_adf(report)          # Jira Cloud's Atlassian Document Format

:func:`digest` gives the same content as plain data, for a format of your own; escape it with
:func:`escape_markdown`, :func:`markdown_code` or :func:`escape_slack`.
"""

from deepalert.render._adf import JIRA_TEXT_LIMIT, render_adf
from deepalert.render._digest import (
    AlertLine,
    AttributeLine,
    Digest,
    FindingGroup,
    FindingItem,
    digest,
    effective_severity,
    report_title,
)
from deepalert.render._escape import (
    WORD_JOINER,
    clip,
    escape_markdown,
    escape_slack,
    markdown_code,
    one_line,
)
from deepalert.render._markdown import GITHUB_BODY_LIMIT, render_markdown, render_text
from deepalert.render._slack import SLACK_MAX_BLOCKS, render_slack

__all__ = [
    "GITHUB_BODY_LIMIT",
    "JIRA_TEXT_LIMIT",
    "SLACK_MAX_BLOCKS",
    "WORD_JOINER",
    "AlertLine",
    "AttributeLine",
    "Digest",
    "FindingGroup",
    "FindingItem",
    "clip",
    "digest",
    "effective_severity",
    "escape_markdown",
    "escape_slack",
    "markdown_code",
    "one_line",
    "render_adf",
    "render_markdown",
    "render_slack",
    "render_text",
    "report_title",
]
