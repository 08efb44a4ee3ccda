"""Lambda event envelopes: SNS, SQS, SNS-in-SQS and direct invoke.

The DeepAlert core publishes tasks and reports on SNS topics; users subscribe a Lambda
directly, or subscribe an SQS queue (without raw delivery, so each body is an SNS
notification envelope) and read the queue. Raw SQS bodies and direct invokes carry the
payload itself. Anything else is refused, never treated as an empty batch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pydantic_core
from typing_extensions import TypedDict

from deepalert import _wire
from deepalert.errors import EventError

__all__ = [
    "BatchItemFailure",
    "EventRecord",
    "PartialBatchResponse",
    "SourceKind",
    "UnpackedEvent",
    "unpack_event",
]

SourceKind = Literal["sns", "sqs", "direct"]
"""How the event arrived: an SNS event, an SQS event (raw or SNS-enveloped), or a direct invoke."""


class BatchItemFailure(TypedDict):
    """One failed SQS record, by message ID."""

    itemIdentifier: str


class PartialBatchResponse(TypedDict):
    """What an SQS-triggered handler returns with ``ReportBatchItemFailures`` enabled."""

    batchItemFailures: list[BatchItemFailure]


@dataclass(frozen=True)
class EventRecord:
    """One payload out of an event, with where it came from.

    Attributes:
        index: position of the record in the event.
        message_id: the SQS ``messageId`` (what a partial batch response names), or the SNS
            ``MessageId``; ``None`` for a direct invoke.
        payload: the payload JSON text (a Task or a Report), or ``None`` when the record
            could not be unwrapped.
        envelope: ``"sns"``, ``"sns-in-sqs"``, ``"sqs"`` (raw body) or ``"direct"``.
        error: why the record could not be unwrapped; the record fails, the others go on.
    """

    index: int
    message_id: str | None
    payload: str | None
    envelope: Literal["sns", "sns-in-sqs", "sqs", "direct"]
    error: str | None = None


@dataclass(frozen=True)
class UnpackedEvent:
    """The records of one Lambda event and the kind of event they came in."""

    source: SourceKind
    records: list[EventRecord] = field(default_factory=list)


def _describe(event: object) -> str:
    if isinstance(event, Mapping):
        keys = ", ".join(sorted(str(k) for k in event)[:6])
        return f"an object with keys [{keys}]"
    return f"a {type(event).__name__}"


def unpack_event(event: object, *, payload: str,
                 direct_keys: frozenset[str] = frozenset()) -> UnpackedEvent:
    """Split a Lambda event into payload records.

    Args:
        event: the event as Lambda hands it to the handler.
        payload: the payload type name, for error messages (``"Task"``, ``"Report"``).
        direct_keys: keys of which at least one must be in a direct-invoke event; an event
            with none of them is refused instead of read as an empty payload.

    Raises:
        EventError: the event is of no accepted shape (an empty ``Records`` list included).
    """
    if not isinstance(event, Mapping):
        raise EventError(f"expected an SNS or SQS event or a {payload} object, got "
                         f"{_describe(event)}")
    records = event.get("Records")
    if records is None:
        if direct_keys and not direct_keys.intersection(event):
            raise EventError(
                f"expected an SNS or SQS event or a {payload} object, got {_describe(event)}"
            )
        return UnpackedEvent("direct", [_direct_record(event)])
    if not isinstance(records, list) or not records:
        raise EventError("event has an empty or malformed 'Records' list; "
                         "refusing to treat it as an empty batch")
    first = records[0]
    if isinstance(first, Mapping) and "Sns" in first:
        return UnpackedEvent("sns", [_isolated(_sns_record, i, r, "sns")
                                     for i, r in enumerate(records)])
    if isinstance(first, Mapping) and ("body" in first or first.get("eventSource") == "aws:sqs"):
        return UnpackedEvent("sqs", [_isolated(_sqs_record, i, r, "sqs")
                                     for i, r in enumerate(records)])
    source = first.get("eventSource") or first.get("EventSource") if isinstance(
        first, Mapping) else None
    raise EventError(
        f"expected SNS or SQS records, got records from {source or 'an unknown source'}"
    )


def _direct_record(event: Mapping[str, Any]) -> EventRecord:
    import json  # only direct invokes need it

    try:
        try:
            text = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        except RecursionError:  # deeper than Python's limit: written without recursion
            text = _wire.write_value(event, sort_keys=False)
    except (TypeError, ValueError) as exc:
        return EventRecord(0, None, None, "direct",
                           f"the event is not JSON the core could have sent ({exc})")
    return EventRecord(0, None, text, "direct")


def _isolated(read: Callable[[int, object], EventRecord], index: int, record: object,
              envelope: Literal["sns", "sqs"]) -> EventRecord:
    """One record unwrapped; whatever goes wrong with its content fails that record only."""
    try:
        return read(index, record)
    except Exception as exc:  # a record's content must never sink the batch
        message_id = None
        if isinstance(record, Mapping):
            sns = record.get("Sns")
            message_id = (sns.get("MessageId") if envelope == "sns" and isinstance(sns, Mapping)
                          else record.get("messageId"))
        return EventRecord(index, _str_or_none(message_id), None, envelope,
                           f"Records[{index}] could not be unwrapped ({type(exc).__name__})")


def _sns_record(index: int, record: object) -> EventRecord:
    sns = record.get("Sns") if isinstance(record, Mapping) else None
    message_id = sns.get("MessageId") if isinstance(sns, Mapping) else None
    message = sns.get("Message") if isinstance(sns, Mapping) else None
    if not isinstance(message, str):
        return EventRecord(index, _str_or_none(message_id), None, "sns",
                           f"Records[{index}].Sns.Message is missing or not a string")
    return EventRecord(index, _str_or_none(message_id), message, "sns")


def _sqs_record(index: int, record: object) -> EventRecord:
    if not isinstance(record, Mapping):
        return EventRecord(index, None, None, "sqs", f"Records[{index}] is not an object")
    message_id = _str_or_none(record.get("messageId"))
    body = record.get("body")
    if not isinstance(body, str):
        return EventRecord(index, message_id, None, "sqs",
                           f"Records[{index}].body is missing or not a string")
    envelope = _sns_envelope(body)
    if envelope is None:
        return EventRecord(index, message_id, body, "sqs")
    message = envelope.get("Message")
    if not isinstance(message, str):
        return EventRecord(index, message_id, None, "sns-in-sqs",
                           f"Records[{index}].body is an SNS notification whose Message "
                           "is not a string")
    return EventRecord(index, message_id, message, "sns-in-sqs")


def _sns_envelope(body: str) -> dict[str, Any] | None:
    # An SNS notification delivered to SQS without raw delivery: {"Type": "Notification",
    # "MessageId", "TopicArn", "Message", ...}; the signature fields are absent for FIFO.
    if not body.lstrip().startswith("{") or '"Notification"' not in body:
        return None
    try:
        # pydantic-core's parser is about 3x faster than json's; Go's rules have the last
        # word (nesting beyond pydantic-core's 200 levels, up to Go's 10,000).
        parsed = pydantic_core.from_json(body)
    except ValueError:
        try:
            parsed = _wire.go_loads(body)
        except ValueError:
            return None
    if isinstance(parsed, dict) and parsed.get("Type") == "Notification" and (
            "TopicArn" in parsed or "MessageId" in parsed):
        return parsed
    return None


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


