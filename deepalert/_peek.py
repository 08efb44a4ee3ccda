"""A report's ID, status and severity without reading the whole report (internal).

Moved out of :mod:`deepalert.models` so that its models and patterns are built on first use,
not when ``deepalert`` is imported; ``deepalert.models.peek_report`` still names it.
"""

import re

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = ["ReportHead", "peek_report"]


class _ResultHead(BaseModel):
    # Any other key (a case variant of severity, say) leaves the decision to the full read.
    model_config = ConfigDict(extra="forbid", defer_build=True)

    severity: str = ""
    reason: str = ""


class ReportHead(BaseModel):
    """The fields publication filters read (internal). ``status`` is required: without that
    exact key (a case-folded one, say) the whole report must be read with Go's rules."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    id: str = ""
    status: str
    result: _ResultHead = Field(default_factory=_ResultHead)


# Escapes that could spell a key Go folds to "status" or "result" (Go writes none of these).
_PEEK_ESCAPES = re.compile(r"\\u00[4-7]|\\u017|\\u212")
_PEEK_ESCAPES_BYTES = re.compile(rb"\\u00[4-7]|\\u017|\\u212")


def peek_report(text: str | bytes) -> ReportHead | None:
    """A report's ID, status and severity, read without building the report; ``None``
    when the full read could see something else (then read the whole report): no exact
    ``status`` key, a repeated or case-folded ``status`` or ``result`` key (Go merges a
    repeated ``result`` object), a ``result`` with other keys."""
    if isinstance(text, str):
        # One status key in any case (a lone case variant fails ReportHead: no exact key),
        # and as many exact result keys as result keys in any case, at most one.
        results = text.count('"result"')
        if results > 1:
            return None
        folded = text.lower()
        if (folded.count('"status"') != 1 or folded.count('"result"') != results
                or "\u017f" in text or _PEEK_ESCAPES.search(text) is not None):
            return None
    else:
        results = text.count(b'"result"')
        if results > 1:
            return None
        low = text.lower()
        if (low.count(b'"status"') != 1 or low.count(b'"result"') != results
                or b"\xc5\xbf" in text or _PEEK_ESCAPES_BYTES.search(text) is not None):
            return None
    try:
        return ReportHead.model_validate_json(text)
    except ValidationError:
        return None
