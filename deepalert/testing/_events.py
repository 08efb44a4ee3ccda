"""Factories for the Lambda events that carry DeepAlert messages.

Each record gets a unique message ID, so partial batch responses can be checked by ID.
Payloads are written with the wire codec, exactly as the Go core would publish them.
"""

from __future__ import annotations

import itertools
import json
import uuid
from typing import Any

from deepalert.models import WireModel

__all__ = [
    "direct_event",
    "message_ids",
    "sns_envelope",
    "sns_event",
    "sqs_event",
    "sqs_sns_event",
]

_REGION = "us-east-1"
_ACCOUNT = "123456789012"
_counter = itertools.count(1)


def _text(message: WireModel | str | bytes) -> str:
    if isinstance(message, WireModel):
        return message.to_json()
    if isinstance(message, bytes):
        return message.decode("utf-8")
    return message


def _message_id() -> str:
    return f"{uuid.uuid4()}"


def sns_envelope(message: WireModel | str | bytes, *,
                 topic_arn: str = f"arn:aws:sns:{_REGION}:{_ACCOUNT}:deepalert-topic",
                 message_id: str | None = None) -> dict[str, Any]:
    """The SNS notification JSON that SNS writes into an SQS body (no raw delivery)."""
    return {
        "Type": "Notification",
        "MessageId": message_id or _message_id(),
        "TopicArn": topic_arn,
        "Message": _text(message),
        "Timestamp": "2026-01-01T00:00:00.000Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLE",
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com/cert.pem",
        "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
    }


def sns_event(*messages: WireModel | str | bytes,
              topic_arn: str = f"arn:aws:sns:{_REGION}:{_ACCOUNT}:deepalert-topic"
              ) -> dict[str, Any]:
    """An SNS event, one record per message (Lambda subscribed to the topic)."""
    records = []
    for message in messages:
        message_id = _message_id()
        records.append({
            "EventSource": "aws:sns",
            "EventVersion": "1.0",
            "EventSubscriptionArn": f"{topic_arn}:{uuid.uuid4()}",
            "Sns": {
                "Type": "Notification",
                "MessageId": message_id,
                "TopicArn": topic_arn,
                "Subject": None,
                "Message": _text(message),
                "Timestamp": "2026-01-01T00:00:00.000Z",
                "SignatureVersion": "1",
                "Signature": "EXAMPLE",
                "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/cert.pem",
                "UnsubscribeUrl": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
                "MessageAttributes": {},
            },
        })
    return {"Records": records}


def _sqs_record(body: str, queue_arn: str) -> dict[str, Any]:
    n = next(_counter)
    return {
        "messageId": _message_id(),
        "receiptHandle": f"receipt-{n}",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1767225600000",
            "SenderId": "AIDAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": "1767225600001",
        },
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": _REGION,
    }


def sqs_event(*bodies: WireModel | str | bytes,
              queue_arn: str = f"arn:aws:sqs:{_REGION}:{_ACCOUNT}:deepalert-queue"
              ) -> dict[str, Any]:
    """An SQS event whose bodies are the raw messages (raw delivery or direct sends)."""
    return {"Records": [_sqs_record(_text(b), queue_arn) for b in bodies]}


def sqs_sns_event(*messages: WireModel | str | bytes,
                  queue_arn: str = f"arn:aws:sqs:{_REGION}:{_ACCOUNT}:deepalert-queue",
                  topic_arn: str = f"arn:aws:sns:{_REGION}:{_ACCOUNT}:deepalert-topic"
                  ) -> dict[str, Any]:
    """An SQS event whose bodies are SNS envelopes (a queue subscribed to a topic)."""
    return {"Records": [
        _sqs_record(json.dumps(sns_envelope(m, topic_arn=topic_arn)), queue_arn)
        for m in messages
    ]}


def direct_event(message: WireModel | str | bytes) -> dict[str, Any]:
    """The event a direct invoke (or Step Functions) hands the handler: the message itself."""
    value = json.loads(_text(message))
    assert isinstance(value, dict)
    return value


def message_ids(event: dict[str, Any]) -> list[str]:
    """The SQS message IDs of an event, in order (what ``batchItemFailures`` names)."""
    return [r["messageId"] for r in event["Records"]]


