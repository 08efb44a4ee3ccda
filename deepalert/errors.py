"""Errors raised by ``deepalert``.

Every error the SDK raises on purpose derives from :class:`DeepAlertError`::

    DeepAlertError
    ├── WireError (ValueError)            a message the Go core would not read
    ├── InvalidAlertError (ValueError)    an alert the core's Validate() would reject
    ├── HandlerDefinitionError (TypeError)  a decorated function that cannot work
    ├── ConfigurationError                a missing or malformed setting (queue URL, env var)
    ├── EventError (ValueError)           a Lambda event of a shape no role accepts
    ├── DeliveryError                     messages SQS/SNS did not accept
    ├── ContentError (ValueError)         a finding the core could not decode
    ├── InvalidResultError (ValueError)   a reviewer's return value the core could not read
    └── SourceError (ValueError)          a raw source event that cannot become an alert

Messages name what was wrong and where; they never contain secrets.
"""

from __future__ import annotations

__all__ = [
    "ConfigurationError",
    "ContentError",
    "DeepAlertError",
    "DeliveryError",
    "EventError",
    "HandlerDefinitionError",
    "InvalidAlertError",
    "InvalidResultError",
    "SourceError",
    "WireError",
]


class DeepAlertError(Exception):
    """Root of every error that ``deepalert`` raises on purpose."""


class WireError(DeepAlertError, ValueError):
    """A message that the Go core would fail to decode.

    Attributes:
        message_type: the wire type being read, such as ``"Alert"``.
        path: where in the message, such as ``"attributes[2].context"`` (``""`` for the top).
        expected: what Go expects there.
    """

    def __init__(self, message_type: str, path: str, expected: str, got: object = None) -> None:
        self.message_type = message_type
        self.path = path
        self.expected = expected
        where = f"{message_type}.{path}" if path else message_type
        detail = f"{where}: expected {expected}"
        if got is not None:
            detail += f", got {got}"
        super().__init__(detail)


class InvalidAlertError(DeepAlertError, ValueError):
    """An alert that the core's ``Alert.Validate()`` rejects.

    Attributes:
        field: the alert field at fault, such as ``"description"`` or ``"attributes[3].value"``.
        limit: the limit it broke, such as ``"4096 bytes"`` (``"required"`` for a missing field).
    """

    def __init__(self, field: str, limit: str, detail: str) -> None:
        self.field = field
        self.limit = limit
        super().__init__(detail)


class HandlerDefinitionError(DeepAlertError, TypeError):
    """A decorated function or decorator argument that cannot work, found at decoration time."""


class ConfigurationError(DeepAlertError):
    """A setting that is missing or malformed, such as a queue URL."""


class EventError(DeepAlertError, ValueError):
    """A Lambda event whose shape this handler does not accept."""


class DeliveryError(DeepAlertError):
    """Messages that the queue or topic did not accept after retries."""


class ContentError(DeepAlertError, ValueError):
    """A finding content that the core's typed structs could not decode."""


class InvalidResultError(DeepAlertError, ValueError):
    """A value a reviewer returned that the core could not read (or would misread).

    Attributes:
        role: the reviewer's name, such as ``"policy.review"``.
    """

    def __init__(self, role: str, detail: str) -> None:
        self.role = role
        super().__init__(f"reviewer {role} returned {detail}")


class SourceError(DeepAlertError, ValueError):
    """A raw source event (GuardDuty, Suricata, ...) that cannot be converted into alerts.

    Attributes:
        source: the source format, such as ``"guardduty"`` (``"auto"`` when none was recognised).
        field: the field at fault inside the event, such as ``"detail.id"`` (``""`` for the
            event as a whole).
        position: where the event is in the input, such as ``"line 3"`` or
            ``"line 3, Records[1]"`` (``""`` for a single event).
        reason: what was wrong, without the source, field and position.
    """

    def __init__(self, source: str, field: str, reason: str, position: str = "") -> None:
        self.source = source
        self.field = field
        self.position = position
        self.reason = reason
        super().__init__(self._text())

    def _text(self) -> str:
        where = f"{self.position}: " if self.position else ""
        what = f"{self.source} event"
        if self.field:
            what += f" field {self.field!r}"
        return f"{where}{what}: {self.reason}"

    def at(self, position: str) -> SourceError:
        """This error with ``position`` put in front of the position it already names."""
        joined = ", ".join(p for p in (position, self.position) if p)
        return SourceError(self.source, self.field, self.reason, joined)
