"""Structured JSON logs for inspectors, with secrets taken out (:func:`~deepalert._redact.redact`).

Each line is one JSON object: ``level``, ``message``, and the fields that say which task it
is about (``report_id``, ``author``, ``attribute``). Nothing is configured at import: the
lines go to the ``deepalert.inspector`` logger and whatever handlers the application (or the
Lambda runtime) installs. This module is imported on first use, not with the package.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

from deepalert._redact import escape_json_line, redact
from deepalert.models import Attribute

__all__ = ["ERROR", "INFO", "InspectionLogger", "attribute_fields", "log", "logger", "redact"]

INFO = logging.INFO
ERROR = logging.ERROR
logger = logging.getLogger("deepalert.inspector")


def attribute_fields(attr: Attribute | None) -> dict[str, Any] | None:
    """The attribute as a log field (type, key, value; long values cut)."""
    if attr is None:
        return None
    value = attr.value if len(attr.value) <= 256 else attr.value[:256] + "…"
    return {"type": attr.type, "key": attr.key, "value": value}


def _line(level: int, message: str, fields: Mapping[str, Any]) -> str:
    record = {"level": logging.getLevelName(level), "message": message}
    record.update((k, v) for k, v in fields.items() if v is not None)
    # A log line, not a DeepAlert message: the wire codec is not involved.
    return escape_json_line(json.dumps(record, ensure_ascii=False, default=str))


def log(level: int, message: str, **fields: Any) -> None:
    """Write one JSON line to the ``deepalert.inspector`` logger, if the level is enabled."""
    if logger.isEnabledFor(level):
        logger.log(level, _line(level, message, fields))


class InspectionLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """A logger whose lines are JSON objects carrying the task's report ID, author and attribute.

    Extra fields go in ``extra=``: ``ctx.logger.info("looked up", extra={"hits": 3})``.
    """

    def __init__(self, base: logging.Logger, fields: Mapping[str, Any]) -> None:
        super().__init__(base, dict(fields))

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]
                ) -> tuple[Any, MutableMapping[str, Any]]:
        """Turn the message and its fields into one JSON line."""
        fields: dict[str, Any] = dict(self.extra or {})
        extra = kwargs.pop("extra", None)
        if isinstance(extra, Mapping):
            fields.update(extra)
        level = fields.pop("_level", logging.INFO)
        return _line(level, str(msg), fields), kwargs

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        """Log ``msg`` at ``level`` as a JSON line (``%`` arguments are applied first).

        What the inspector writes is redacted as the SDK's own lines are (see
        :mod:`deepalert._redact`): the message, string ``extra`` values and, for
        ``exc_info`` (``ctx.logger.exception(...)``), the traceback, which goes in the line's
        ``exception`` field instead of after it.
        """
        if self.isEnabledFor(level):
            text = redact(str(msg) % args if args else str(msg))
            extra = {key: redact(value) if isinstance(value, str) else value
                     for key, value in (kwargs.pop("extra", None) or {}).items()}
            exception = _exception_text(kwargs.pop("exc_info", None))
            if exception is not None:
                extra["exception"] = exception
            extra["_level"] = level
            line, rest = self.process(text, {**kwargs, "extra": extra})
            self.logger.log(level, line, **rest)


def _exception_text(exc_info: object) -> str | None:
    """The redacted traceback ``exc_info`` names (``True``: the exception being handled)."""
    if not exc_info:
        return None
    if isinstance(exc_info, BaseException):
        exc: BaseException | None = exc_info
    elif isinstance(exc_info, tuple) and len(exc_info) == 3:
        exc = exc_info[1]
    else:
        exc = sys.exc_info()[1]
    if exc is None:
        return None
    import traceback

    from deepalert._redact import safe_traceback

    return safe_traceback("".join(traceback.format_exception(exc)).rstrip("\n"))
