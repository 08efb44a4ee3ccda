"""An in-memory SQS stand-in that records what an inspector would send."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from deepalert._lambda._sqs import MAX_BATCH_ENTRIES, SQS_MAX_BYTES
from deepalert.models import Finding, ReportAttribute

__all__ = ["MemorySink", "SentMessage"]

# SQS accepts #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class SentMessage(NamedTuple):
    """One message the sink accepted.

    Attributes:
        queue_url: the queue it was sent to.
        body: the body exactly as sent.
        request: the number of the ``send_message_batch`` request that carried it (from 1).
    """

    queue_url: str
    body: str
    request: int


@dataclass
class _FailureRule:
    remaining: int | None
    code: str
    sender_fault: bool
    queue_url: str | None
    predicate: Callable[[str, str], bool] | None

    def matches(self, queue_url: str, body: str) -> bool:
        if self.queue_url is not None and queue_url != self.queue_url:
            return False
        return self.predicate is None or self.predicate(queue_url, body)


class MemorySink:
    """Captures ``send_message_batch`` calls as SQS would accept them, with typed accessors.

    Pass it wherever a boto3 SQS client goes (``inspector.invoke(event, sqs_client=sink)``).
    It enforces the rules of ``SendMessageBatch`` (1 to 10 entries, distinct IDs, the byte
    limit, the characters SQS accepts) and can fail entries or whole requests on purpose.

    Example:
        >>> sink = MemorySink()
        >>> sink.fail_next(2, code="ThrottlingException")   # the next 2 entries fail
        >>> # ip_intel.invoke(event, sqs_client=sink,
        >>> #                 finding_queue_url=sink.finding_queue_url,
        >>> #                 attribute_queue_url=sink.attribute_queue_url)
        >>> sink.findings(), sink.requests
        ([], 0)

    Args:
        finding_queue_url: the queue whose bodies :meth:`findings` reads.
        attribute_queue_url: the queue whose bodies :meth:`report_attributes` reads.
        max_batch_bytes: the size limit of one request (SQS: 1 MiB).
    """

    FINDING_QUEUE_URL = "memory://finding"
    """The default finding queue URL."""
    ATTRIBUTE_QUEUE_URL = "memory://attribute"
    """The default attribute queue URL."""

    def __init__(self, *, finding_queue_url: str = FINDING_QUEUE_URL,
                 attribute_queue_url: str = ATTRIBUTE_QUEUE_URL,
                 max_batch_bytes: int = SQS_MAX_BYTES) -> None:
        self.finding_queue_url = finding_queue_url
        self.attribute_queue_url = attribute_queue_url
        self.max_batch_bytes = max_batch_bytes
        self._lock = threading.Lock()
        self._messages: list[SentMessage] = []
        self._rules: list[_FailureRule] = []
        self._raises: list[BaseException] = []
        self._requests = 0
        self._failed_entries = 0

    # -- what SQS does ---------------------------------------------------------------------

    def send_message_batch(self, *, QueueUrl: str, Entries: Sequence[Mapping[str, Any]],
                           **_other: Any) -> dict[str, Any]:
        """Accept up to 10 entries, like boto3's ``SQS.Client.send_message_batch``.

        Raises:
            ValueError: the request breaks a ``SendMessageBatch`` rule (the SQS error code
                is in the message).
            BaseException: an error queued with :meth:`raise_next`.
        """
        with self._lock:
            self._requests += 1
            request = self._requests
            if self._raises:
                raise self._raises.pop(0)
            _check_request(QueueUrl, Entries, self.max_batch_bytes)
            successful: list[dict[str, Any]] = []
            failed: list[dict[str, Any]] = []
            for entry in Entries:
                entry_id = str(entry["Id"])
                body = str(entry["MessageBody"])
                rule = self._take_rule(QueueUrl, body) if self._rules else None
                if rule is None and _FORBIDDEN.search(body):
                    rule = _FailureRule(None, "InvalidMessageContents", True, None, None)
                if rule is not None:
                    self._failed_entries += 1
                    failed.append({"Id": entry_id, "SenderFault": rule.sender_fault,
                                   "Code": rule.code, "Message": f"injected {rule.code}"})
                    continue
                self._messages.append(SentMessage(QueueUrl, body, request))
                successful.append({"Id": entry_id, "MessageId": f"memory-{len(self._messages)}",
                                   "MD5OfMessageBody": ""})
            return {"Successful": successful, "Failed": failed}

    def send_message(self, *, QueueUrl: str, MessageBody: str,
                     **_other: Any) -> dict[str, Any]:
        """Accept one message, like boto3's ``SQS.Client.send_message``."""
        response = self.send_message_batch(
            QueueUrl=QueueUrl, Entries=[{"Id": "0", "MessageBody": MessageBody}])
        if response["Failed"]:
            raise RuntimeError(f"injected {response['Failed'][0]['Code']}")
        return {"MessageId": response["Successful"][0]["MessageId"]}

    def _take_rule(self, queue_url: str, body: str) -> _FailureRule | None:
        for rule in self._rules:
            if rule.matches(queue_url, body):
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self._rules.remove(rule)
                return rule
        return None

    # -- injecting failures ----------------------------------------------------------------

    def fail_next(self, n: int = 1, *, code: str = "ThrottlingException",
                  sender_fault: bool = False, queue_url: str | None = None) -> None:
        """Report the next ``n`` entries (to ``queue_url``, or any queue) as ``Failed``."""
        if n > 0:
            self._rules.append(_FailureRule(n, code, sender_fault, queue_url, None))

    def fail_when(self, predicate: Callable[[str, str], bool], *,
                  code: str = "InternalError", sender_fault: bool = False,
                  times: int | None = None) -> None:
        """Report entries as ``Failed`` while ``predicate(queue_url, body)`` is true.

        Args:
            predicate: which entries fail.
            code: the error code in the ``Failed`` entry.
            sender_fault: ``True`` for errors SQS says retrying cannot fix.
            times: stop after this many failures (``None``: always).
        """
        self._rules.append(_FailureRule(times, code, sender_fault, None, predicate))

    def raise_next(self, error: BaseException, times: int = 1) -> None:
        """Make the next ``times`` requests raise ``error`` (such as a throttling error)."""
        self._raises.extend([error] * times)

    # -- what was sent ---------------------------------------------------------------------

    @property
    def requests(self) -> int:
        """``send_message_batch`` requests made, failed and retried ones included."""
        return self._requests

    @property
    def failed_entries(self) -> int:
        """Entries reported as ``Failed`` so far."""
        return self._failed_entries

    def messages(self, queue_url: str | None = None) -> list[SentMessage]:
        """Accepted messages in send order, for one queue or all."""
        with self._lock:
            return [m for m in self._messages if queue_url is None or m.queue_url == queue_url]

    def bodies(self, queue_url: str | None = None) -> list[str]:
        """Accepted bodies in send order, for one queue or all."""
        return [m.body for m in self.messages(queue_url)]

    def findings(self) -> list[Finding]:
        """The finding queue's messages, decoded by the wire codec."""
        return [Finding.from_json(b) for b in self.bodies(self.finding_queue_url)]

    def report_attributes(self) -> list[ReportAttribute]:
        """The attribute queue's messages, decoded by the wire codec."""
        return [ReportAttribute.from_json(b) for b in self.bodies(self.attribute_queue_url)]

    def clear(self) -> None:
        """Forget the messages, the request count and any pending failures."""
        with self._lock:
            self._messages.clear()
            self._rules.clear()
            self._raises.clear()
            self._requests = 0
            self._failed_entries = 0


def _check_request(queue_url: str, entries: Sequence[Mapping[str, Any]], limit: int) -> None:
    if not isinstance(queue_url, str) or not queue_url:
        raise ValueError("MissingParameter: QueueUrl is required")
    if not entries:
        raise ValueError("AWS.SimpleQueueService.EmptyBatchRequest: no entries")
    if len(entries) > MAX_BATCH_ENTRIES:
        raise ValueError(f"AWS.SimpleQueueService.TooManyEntriesInBatchRequest: "
                         f"{len(entries)} entries, at most {MAX_BATCH_ENTRIES}")
    ids = [str(e.get("Id")) for e in entries]
    if len(set(ids)) != len(ids):
        raise ValueError("AWS.SimpleQueueService.BatchEntryIdsNotDistinct")
    size = sum(len(str(e.get("MessageBody", "")).encode("utf-8", "surrogatepass"))
               for e in entries)
    if size > limit:
        raise ValueError(f"AWS.SimpleQueueService.BatchRequestTooLong: {size} bytes, "
                         f"at most {limit}")
