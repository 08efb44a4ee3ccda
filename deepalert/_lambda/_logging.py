"""``LOG_LEVEL`` for the SDK's loggers, and JSON lines when nothing else writes them.

Every role's handler calls :func:`apply_log_level` when invoked (never at import). With
``LOG_LEVEL`` (else ``POWERTOOLS_LOG_LEVEL``, else ``AWS_LAMBDA_LOG_LEVEL``) set, the
``deepalert`` logger, parent of ``deepalert.inspector``, ``deepalert.reviewer`` and
``deepalert.emitter``, gets that level, unless the application set its level itself (for
example with Powertools' ``copy_config_to_registered_loggers``). When no handler at all would
write the lines (no root handler, as outside Lambda), a stderr handler writing one JSON object
a line is added to the ``deepalert`` logger. The Lambda runtime's own root handler, or a
Powertools handler copied onto the ``deepalert`` logger, is used as it is: nothing is added,
so nothing is written twice.
"""

from __future__ import annotations

import json
import logging

from deepalert._lambda._env import getenv
from deepalert.errors import ConfigurationError

__all__ = ["CONTEXT_FIELDS", "LEVEL_VARIABLES", "JsonLineFormatter", "apply_log_level"]

#: The keys the reviewer's and emitter's log records carry (``extra=``), as the inspector's JSON
#: lines do: Powertools' formatter writes them too, as it writes any ``extra`` key.
CONTEXT_FIELDS = ("author", "report_id", "record")
LEVEL_VARIABLES = ("LOG_LEVEL", "POWERTOOLS_LOG_LEVEL", "AWS_LAMBDA_LOG_LEVEL")
_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Lambda's advanced logging controls also use TRACE and FATAL; WARN is common.
_ALIASES = {"TRACE": "DEBUG", "WARN": "WARNING", "FATAL": "CRITICAL"}

_applied: tuple[str, int] | None = None  # (the variable's text, the level set from it)


def apply_log_level() -> None:
    """Give the ``deepalert`` logger the level ``LOG_LEVEL`` names (see the module docstring).

    Raises:
        ConfigurationError: the variable names no logging level.
    """
    global _applied
    raw = ""
    name = ""
    for name in LEVEL_VARIABLES:
        raw = getenv(name) or ""
        if raw:
            break
    if not raw or (_applied is not None and _applied[0] == raw):
        return
    text = raw.strip().upper()
    text = _ALIASES.get(text, text)
    if text not in _LEVELS:
        raise ConfigurationError(
            f"{name}={raw[:40]!r} is not a logging level: use one of {', '.join(_LEVELS)}")
    level = logging.getLevelName(text)
    logger = logging.getLogger("deepalert")
    ours = _applied[1] if _applied is not None else logging.NOTSET
    if logger.level in (logging.NOTSET, ours):
        logger.setLevel(level)
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(JsonLineFormatter())
        logger.addHandler(handler)
    _applied = (raw, level)


class JsonLineFormatter(logging.Formatter):
    """One JSON object a line: a message that is already a JSON object (the inspector's lines)
    is written as it is; any other becomes ``{"level", "logger", "message"}`` (plus
    ``exception`` with the traceback, when there is one)."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one JSON line."""
        message = record.getMessage()
        if message.startswith("{") and not record.exc_info:
            try:
                if isinstance(json.loads(message), dict):
                    return message
            except ValueError:
                pass
        line: dict[str, object] = {"level": record.levelname, "logger": record.name,
                                   "message": message}
        for key in CONTEXT_FIELDS:  # what the roles pass as ``extra=``
            value = record.__dict__.get(key)
            if value is not None:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:  # the redacted traceback the roles' filter leaves
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)
