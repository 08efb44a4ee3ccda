"""Sending alerts into a DeepAlert core: the producer side (a log forwarder, a SIEM webhook).

:func:`send` checks each alert against the core's limits, writes it with the wire codec and
sends it to the core's alert queue with ``SendMessageBatch`` or to an alert topic with SNS
``PublishBatch`` (at most 10 entries and 256 KiB per request). Entries AWS reports as failed,
and requests that raised, are retried with jittered backoff; whatever still failed is in the
result with its reason. Nothing is dropped silently: every alert given is either in
:attr:`SendResult.sent` or in :attr:`SendResult.failed`.

boto3 is imported on the first send, not when ``deepalert`` is imported.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from deepalert._lambda._sqs import (
    BatchSender,
    OutMessage,
    SqsClient,
    TopicClient,
    default_client,
)
from deepalert.errors import ConfigurationError, DeepAlertError, DeliveryError, WireError
from deepalert.models import Alert

__all__ = ["MAX_MESSAGE_BYTES", "FailedAlert", "SendResult", "SentAlert", "send"]

MAX_MESSAGE_BYTES = 262_144
"""The largest alert message sent, and the largest batch: 256 KiB, what SNS accepts."""

AlertInput = Alert | str | bytes | Mapping[str, Any]
"""An alert to send: a model, its JSON text, or that JSON decoded (a dict)."""


@dataclass(frozen=True)
class SentAlert:
    """An alert the queue or topic accepted.

    Attributes:
        index: its position in the input, from 0.
        alert_id: the core's AlertID (which report it joins).
    """

    index: int
    alert_id: str


@dataclass(frozen=True)
class FailedAlert:
    """An alert that was not sent, and why.

    Attributes:
        index: its position in the input, from 0.
        reason: what was wrong (the invalid field and its limit, or the AWS error code after
            the retries).
        alert: the alert when it could be read, so the caller can send it again.
    """

    index: int
    reason: str
    alert: Alert | None = None


@dataclass
class SendResult:
    """What :func:`send` did with every alert it was given.

    Attributes:
        sent: accepted alerts, in input order.
        failed: refused or undeliverable alerts, in input order.
        requests: batch requests made, retries included.
    """

    sent: list[SentAlert] = field(default_factory=list)
    failed: list[FailedAlert] = field(default_factory=list)
    requests: int = 0

    @property
    def ok(self) -> bool:
        """True when every alert was sent."""
        return not self.failed

    def raise_for_failures(self) -> None:
        """Raise :class:`~deepalert.DeliveryError` naming the failed alerts, if any failed."""
        if self.failed:
            first = self.failed[0]
            raise DeliveryError(
                f"{len(self.failed)} of {len(self.sent) + len(self.failed)} alerts not sent; "
                f"first: alert #{first.index}: {first.reason}")


class SnsClient(Protocol):
    """What :func:`send` needs from an SNS client: boto3's ``publish_batch``."""

    def publish_batch(self, *, TopicArn: str, PublishBatchRequestEntries: list[dict[str, Any]]
                      ) -> dict[str, Any]:
        """Publish up to 10 messages; return ``Successful`` and ``Failed`` entry lists."""
        ...


def send(alerts: Iterable[AlertInput], *, queue_url: str | None = None,
         topic_arn: str | None = None, client: Any = None, attempts: int = 4,
         sleep: Callable[[float], None] = time.sleep) -> SendResult:
    """Send alerts to a DeepAlert core's alert queue (or to the alert topic subscribed to it).

    Each alert is validated as the core's ``Validate()`` does (required fields, byte limits)
    and sent as the Go core's bytes. Invalid alerts are reported and the rest still sent.

    Example:
        >>> from deepalert import Alert, send
        >>> alert = Alert(detector="ids", rule_id="scan", attributes=[])
        >>> result = send([alert], queue_url=queue_url)   # doctest: +SKIP
        >>> result.raise_for_failures()                    # doctest: +SKIP

    Args:
        alerts: :class:`~deepalert.Alert` models, their JSON text, or dicts of that JSON.
        queue_url: the core's alert queue (``AlertQueueUrl`` output of the stack).
        topic_arn: an SNS topic subscribed to the alert queue (the stack's ``AlertTopicArn``
            parameter); give exactly one of ``queue_url`` and ``topic_arn``.
        client: a boto3 SQS or SNS client to use; by default one is made for the region in
            the URL or ARN (``AWS_ENDPOINT_URL_SQS``/``_SNS`` or ``AWS_ENDPOINT_URL`` honoured).
        attempts: how many times an entry is tried in all.
        sleep: how to wait between retries (for tests).

    Returns:
        every alert as sent or failed, by input position.

    Raises:
        ConfigurationError: neither or both destinations given.
    """
    if (queue_url is None) == (topic_arn is None):
        raise ConfigurationError("send() needs exactly one of queue_url= and topic_arn=")
    destination = queue_url if queue_url is not None else topic_arn
    assert destination is not None
    if topic_arn is not None:
        sns = client if client is not None else _sns_client(topic_arn)
        client_for: Callable[[str], SqsClient] = lambda _url: TopicClient(sns)  # noqa: E731
    elif client is not None:
        client_for = lambda _url: client  # noqa: E731
    else:
        client_for = default_client
    sender = BatchSender(client_for, max_batch_bytes=MAX_MESSAGE_BYTES, attempts=attempts,
                         sleep=sleep)
    result = SendResult()
    messages: list[OutMessage] = []
    readable: dict[int, tuple[Alert, str]] = {}
    for index, item in enumerate(alerts):
        alert: Alert | None = item if isinstance(item, Alert) else None
        try:
            if isinstance(item, Mapping):
                alert = Alert.from_dict(item)
            elif isinstance(item, (str, bytes, bytearray)):
                alert = Alert.from_json(item)
            elif alert is None:
                raise WireError("Alert", "", "an Alert, its JSON text or a dict",
                                type(item).__name__)
            alert.validate_limits()
        except DeepAlertError as exc:
            result.failed.append(FailedAlert(index, str(exc), alert))
            continue
        message = OutMessage.of(destination, alert.to_json(), index)
        if message.size > MAX_MESSAGE_BYTES:
            result.failed.append(FailedAlert(
                index, f"alert is {message.size} bytes as JSON, more than the "
                       f"{MAX_MESSAGE_BYTES} bytes a message may hold", alert))
            continue
        readable[index] = (alert, alert.alert_id())
        messages.append(message)
    failures = sender.send(messages)
    result.requests = sender.requests
    failed_at = {f.message.owner: f.reason for f in failures}
    for message in messages:
        alert, alert_id = readable[message.owner]
        reason = failed_at.get(message.owner)
        if reason is None:
            result.sent.append(SentAlert(message.owner, alert_id))
        else:
            result.failed.append(FailedAlert(message.owner, reason, alert))
    result.failed.sort(key=lambda f: f.index)
    return result




def _sns_client(topic_arn: str) -> SnsClient:
    parts = topic_arn.split(":")
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sns":
        raise ConfigurationError(
            f"topic_arn {topic_arn!r} is not an SNS topic ARN "
            "(arn:aws:sns:REGION:ACCOUNT:NAME)")
    from deepalert._lambda._aws import client

    return client("sns", parts[3] or None)  # type: ignore[no-any-return]
