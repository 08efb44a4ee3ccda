"""Sending messages to SQS with ``SendMessageBatch``: few requests, nothing silently lost.

Messages are grouped per queue into batches of at most 10 entries and at most a byte
ceiling (256 KiB by default; SQS allows up to 1 MiB). Entries SQS reports as failed, and
batches whose request raised, are retried with bounded, jittered backoff; entries SQS
rejects as the sender's fault are not retried. Every message ends up either accepted or in
the returned failures, so a caller can tell which of its records are really done.

Entries SQS lists as ``Successful`` are never sent again. A request that timed out or lost its
connection after it was sent may have been stored all the same (standard queues have no
deduplication): it is resent, since failing its records would redo them in full later, and the
messages are counted in ``BatchSender.possible_duplicates``.

boto3 is imported on the first send, and one client per (region, endpoint) is kept for the
life of the process, so warm Lambda invocations reuse it. The region comes from the queue
URL; ``AWS_ENDPOINT_URL_SQS`` or ``AWS_ENDPOINT_URL`` (LocalStack, moto server) is honoured.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterator, Sequence
from operator import attrgetter
from typing import Any, NamedTuple, Protocol
from urllib.parse import urlsplit

from deepalert._lambda._aws import client, error_code

__all__ = [
    "MAX_BATCH_ENTRIES",
    "SQS_MAX_BYTES",
    "BatchSender",
    "OutMessage",
    "SendFailure",
    "SqsClient",
    "TopicClient",
    "default_client",
    "queue_name",
    "region_from_queue_url",
]

MAX_BATCH_ENTRIES = 10
"""``SendMessageBatch`` takes at most 10 entries."""
SQS_MAX_BYTES = 1_048_576
"""The largest message, and batch, SQS accepts (1 MiB)."""

_REGION_LABEL = r"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}"


class SqsClient(Protocol):
    """What the sender needs from an SQS client: boto3's ``send_message_batch``.

    A boto3 client, a moto-backed client or :class:`deepalert.testing.MemorySink` all fit.
    """

    def send_message_batch(self, *, QueueUrl: str, Entries: list[dict[str, Any]]
                           ) -> dict[str, Any]:
        """Send up to 10 messages; return ``Successful`` and ``Failed`` entry lists."""
        ...


def region_from_queue_url(url: str) -> str | None:
    """The AWS region named in a queue URL, or ``None`` when the URL names none.

    Handles ``https://sqs.<region>.amazonaws.com/...``, the legacy
    ``https://<region>.queue.amazonaws.com/...`` (and ``queue.amazonaws.com``, which is
    us-east-1), VPC endpoints such as ``https://vpce-1a2b.sqs.<region>.vpce.amazonaws.com/...``,
    China (``.amazonaws.com.cn``) and local hosts such as
    ``http://sqs.<region>.localhost.localstack.cloud:4566/...``.

    Example:
        >>> region_from_queue_url("https://sqs.ap-northeast-1.amazonaws.com/1234/q")
        'ap-northeast-1'
    """
    host = urlsplit(url).hostname or ""
    if host == "queue.amazonaws.com":
        return "us-east-1"
    for label in host.split("."):
        if re.fullmatch(_REGION_LABEL, label):
            return label
    return None


def queue_name(url: str) -> str:
    """The queue name (last path segment) of a queue URL, for messages and logs."""
    path = urlsplit(url).path.rstrip("/")
    return path.rsplit("/", 1)[-1] or url




def default_client(queue_url: str) -> SqsClient:
    """The process-wide boto3 SQS client for the queue's region (created on first use).

    The region comes from the URL, else from boto3's usual configuration
    (``AWS_REGION``, ``AWS_DEFAULT_REGION``, profile). ``AWS_ENDPOINT_URL_SQS`` or
    ``AWS_ENDPOINT_URL`` sends requests to that endpoint instead of AWS.
    """
    return client("sqs", region_from_queue_url(queue_url))  # type: ignore[no-any-return]


class OutMessage(NamedTuple):
    """One message to send.

    Attributes:
        queue_url: where it goes.
        body: the message body (a raw DeepAlert JSON message).
        size: the body's size in UTF-8 bytes.
        owner: the caller's tag, such as the index of the record that produced it.
    """

    queue_url: str
    body: str
    size: int
    owner: int

    @classmethod
    def of(cls, queue_url: str, body: str, owner: int) -> OutMessage:
        """A message with its size computed."""
        size = len(body) if body.isascii() else len(body.encode("utf-8"))
        return cls(queue_url, body, size, owner)


_SIZE = attrgetter("size")
_IDS = [str(i) for i in range(MAX_BATCH_ENTRIES)]
"""Entry IDs: a batch's position of each entry (a batch has at most 10)."""


class SendFailure(NamedTuple):
    """A message that SQS did not accept after the retries, and why."""

    message: OutMessage
    reason: str


class TopicClient:
    """An SNS client seen through :class:`BatchSender`'s ``send_message_batch``, so that one
    batcher serves queues and topics: the queue URL is the topic ARN, and ``PublishBatch``
    answers in ``SendMessageBatch``'s shape (``Successful``, ``Failed`` with ``Id``, ``Code``,
    ``SenderFault``).

    Args:
        sns: a boto3 SNS client, or anything with its ``publish_batch``.
    """

    def __init__(self, sns: Any) -> None:
        self._sns = sns

    def send_message_batch(self, *, QueueUrl: str, Entries: list[dict[str, Any]]
                           ) -> dict[str, Any]:
        response: dict[str, Any] = self._sns.publish_batch(
            TopicArn=QueueUrl,
            PublishBatchRequestEntries=[{"Id": e["Id"], "Message": e["MessageBody"]}
                                        for e in Entries])
        return response


class BatchSender:
    """Sends messages with ``SendMessageBatch``, retrying failed entries a bounded number of times.

    Args:
        client_for: returns the client for a queue URL.
        max_batch_bytes: the byte ceiling of one request (sum of the bodies).
        attempts: how many times an entry is tried in all (at least 1).
        base_delay: the first backoff in seconds; doubled each retry, with full jitter.
        max_delay: the largest single backoff in seconds.
        sleep: how to wait (injectable for tests).
    """

    def __init__(self, client_for: Callable[[str], SqsClient], *,
                 max_batch_bytes: int = 262_144, attempts: int = 4,
                 base_delay: float = 0.05, max_delay: float = 1.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._client_for = client_for
        self._max_batch_bytes = max_batch_bytes
        self._attempts = max(1, attempts)
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._sleep = sleep
        self.requests = 0
        """``SendMessageBatch`` requests made so far, retries included."""
        self.possible_duplicates = 0
        """Messages resent after a request whose outcome is unknown (a timeout or a dropped
        connection after the request was sent): SQS may have accepted the first copy."""

    def chunks(self, messages: Sequence[OutMessage]) -> Iterator[list[OutMessage]]:
        """Split messages for one queue into batches within the entry and byte limits."""
        if len(messages) <= MAX_BATCH_ENTRIES and sum(map(_SIZE, messages)) <= (
                self._max_batch_bytes):  # all in one batch, the common case, checked cheaply
            if messages:
                yield list(messages)
            return
        batch: list[OutMessage] = []
        size = 0
        for message in messages:
            if batch and (len(batch) == MAX_BATCH_ENTRIES
                          or size + message.size > self._max_batch_bytes):
                yield batch
                batch, size = [], 0
            batch.append(message)
            size += message.size
        if batch:
            yield batch

    def is_full(self, batch: Sequence[OutMessage]) -> bool:
        """True when no further message could join this batch."""
        return len(batch) >= MAX_BATCH_ENTRIES

    def send(self, messages: Sequence[OutMessage]) -> list[SendFailure]:
        """Send every message; return those SQS did not accept, with the reason."""
        failures: list[SendFailure] = []
        by_queue: dict[str, list[OutMessage]] = {}
        for message in messages:
            by_queue.setdefault(message.queue_url, []).append(message)
        for queue_url, queued in by_queue.items():
            for batch in self.chunks(queued):
                failures.extend(self.send_batch(queue_url, batch))
        return failures

    def send_batch(self, queue_url: str, batch: Sequence[OutMessage]) -> list[SendFailure]:
        """Send one batch (at most 10 messages for one queue), retrying what failed."""
        pending = list(batch)
        reasons: list[str] = []
        failures: list[SendFailure] = []
        for attempt in range(self._attempts):
            if attempt:
                ceiling = min(self._max_delay, self._base_delay * (2 ** (attempt - 1)))
                self._sleep(random.uniform(0, ceiling))  # jitter, not crypto
            count = len(pending)
            ids = _IDS[:count] if count <= MAX_BATCH_ENTRIES else [str(i) for i in range(count)]
            entries = [{"Id": i, "MessageBody": m.body}
                       for i, m in zip(ids, pending, strict=True)]
            self.requests += 1
            try:
                response = self._client_for(queue_url).send_message_batch(
                    QueueUrl=queue_url, Entries=entries)
            except Exception as exc:  # any failure of the call is retried
                reasons = [_describe_exception(exc)] * len(pending)
                if _outcome_unknown(exc) and attempt + 1 < self._attempts:
                    # SQS may have stored these (standard queues have no deduplication):
                    # resending risks a duplicate, giving up would fail the whole record
                    # and redo all of it later. Resend, and count what may be doubled.
                    self.possible_duplicates += len(pending)
                continue
            pending, reasons, final = _read_response(response, pending)
            failures.extend(final)
            if not pending:
                break
        if pending:
            failures.extend(SendFailure(m, r) for m, r in zip(pending, reasons, strict=True))
        return failures


def _read_response(response: Any, pending: list[OutMessage]
                   ) -> tuple[list[OutMessage], list[str], list[SendFailure]]:
    """Split a batch response into (entries to retry, their reasons, final failures)."""
    if (isinstance(response, dict) and not response.get("Failed")
            and len(response.get("Successful") or ()) == len(pending)):
        return [], [], []  # everything accepted: the common case, checked cheaply
    ok: set[str] = set()
    failed: dict[str, Any] = {}
    if isinstance(response, dict):
        ok = {str(e.get("Id")) for e in response.get("Successful") or ()
              if isinstance(e, dict)}
        failed = {str(e.get("Id")): e for e in response.get("Failed") or ()
                  if isinstance(e, dict)}
    retry: list[OutMessage] = []
    reasons: list[str] = []
    final: list[SendFailure] = []
    for i, message in enumerate(pending):
        key = str(i)
        entry = failed.get(key)
        if entry is None and key in ok:
            continue
        if entry is None:
            retry.append(message)
            reasons.append("missing from the response")
        elif entry.get("SenderFault"):
            final.append(SendFailure(message, f"{entry.get('Code') or 'Failed'} "
                                              "(sender fault, not retried)"))
        else:
            retry.append(message)
            reasons.append(str(entry.get("Code") or "Failed"))
    return retry, reasons, final


_SURE_NOT_SENT = frozenset({"EndpointConnectionError", "ConnectTimeoutError",
                            "NoCredentialsError", "ParamValidationError", "ProxyConnectionError"})


def _outcome_unknown(exc: BaseException) -> bool:
    """True when SQS may have accepted the request although the call failed.

    A client error response (botocore's ``ClientError`` with a 4xx status: throttling, a
    missing queue) says nothing was stored; failing to connect means nothing was sent. A read
    timeout, a connection dropped after sending or a server error (5xx) leaves the outcome
    unknown.
    """
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        metadata = response.get("ResponseMetadata")
        status = metadata.get("HTTPStatusCode") if isinstance(metadata, dict) else None
        return isinstance(status, int) and status >= 500
    return not any(cls.__name__ in _SURE_NOT_SENT for cls in type(exc).__mro__)


def _describe_exception(exc: BaseException) -> str:
    # botocore's ClientError carries the service's error code; its text may echo request
    # details, so only the code and the class name are kept.
    code = error_code(exc)
    return f"{type(exc).__name__} {code}" if code else type(exc).__name__
