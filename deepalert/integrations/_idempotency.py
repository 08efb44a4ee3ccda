"""Doing an emitter's action once per publication, though SQS and SNS deliver at least once.

A publication is a report ID with a status, a severity and a number of alerts: the core
publishes the same report several times (``new``, ``more``, ``published``), and the queue can
hand the same message to the function twice. :func:`publication_key` names a publication for
one emitter; :func:`run_once` runs the action unless a store says that publication is done.

Two stores:

* :class:`MemoryIdempotencyStore` (the default): remembers within one warm Lambda instance.
  It catches a redelivery to the same instance, not one to another instance.
* :class:`DynamoDBIdempotencyStore`: a table shared by every instance, written with
  conditional puts, items expiring by DynamoDB TTL. With it, a redelivery anywhere is skipped.

The claim is taken before the action and marked done after it. If the function dies between
the action and the mark (a timeout, a crash), the claim's lease runs out and the next
delivery acts again: at least once, never silently lost. Emitters whose service can find what
was already done (a PagerDuty ``dedup_key``, an Opsgenie ``alias``, a marker in a GitHub issue)
check there too, and so close that gap.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

from deepalert.errors import DeepAlertError
from deepalert.models import Report

__all__ = ["DynamoDBIdempotencyStore", "IdempotencyStore", "InProgressError",
           "MemoryIdempotencyStore", "publication_key", "run_once"]

logger = logging.getLogger("deepalert.integrations")

T = TypeVar("T")
ClaimState = Literal["claimed", "done", "busy"]


class InProgressError(DeepAlertError):
    """Another delivery of the same publication holds the claim and has not finished: this
    record fails, so the queue delivers it again after the other one is done (then skipped)."""


def publication_key(emitter: str, report: Report) -> str:
    """``emitter:report-id:status:severity:alerts``: one key per publication an emitter acts on.

    An empty severity counts as ``unclassified``, as the core publishes it. The number of
    alerts tells apart the ``more`` publications of one report (each alert that joins
    publishes it again), while a redelivery of the same message keeps the same key.
    """
    severity = report.result.severity or "unclassified"
    return f"{emitter}:{report.id}:{report.status}:{severity}:{len(report.alerts or ())}"


class IdempotencyStore(Protocol):
    """Where claims on publications are kept."""

    def claim(self, key: str, lease_s: float) -> ClaimState:
        """Claim ``key`` for ``lease_s`` seconds: ``claimed`` (go on), ``done`` (already
        acted on), or ``busy`` (another delivery holds an unexpired claim)."""
        ...

    def complete(self, key: str) -> None:
        """Mark ``key`` done."""
        ...

    def release(self, key: str) -> None:
        """Drop the claim on ``key`` (the action failed: the next delivery tries again)."""
        ...


class MemoryIdempotencyStore:
    """Claims kept in this process for ``ttl`` seconds (a warm Lambda instance's lifetime).

    Args:
        ttl: how long a done key is remembered.
        clock: seconds, monotonic (tests pass their own).
    """

    def __init__(self, ttl: float = 86_400.0, clock: Callable[[], float] = time.monotonic
                 ) -> None:
        self.ttl = ttl
        self._clock = clock
        self._items: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemoryIdempotencyStore(ttl={self.ttl:g})"

    def claim(self, key: str, lease_s: float) -> ClaimState:
        now = self._clock()
        with self._lock:
            for stale in [k for k, (_, until) in self._items.items() if until <= now]:
                del self._items[stale]
            held = self._items.get(key)
            if held is not None:
                return "done" if held[0] == "done" else "busy"
            self._items[key] = ("claimed", now + lease_s)
            return "claimed"

    def complete(self, key: str) -> None:
        with self._lock:
            self._items[key] = ("done", self._clock() + self.ttl)

    def release(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)


@dataclass
class DynamoDBIdempotencyStore:
    """Claims in a DynamoDB table shared by every Lambda instance.

    The table has a string partition key ``pk`` (change it with ``key_attribute``); turn on
    TTL on the ``expires_at`` attribute so done keys go away after ``ttl`` seconds. The
    function needs ``dynamodb:PutItem``, ``GetItem``, ``UpdateItem`` and ``DeleteItem`` on
    it. boto3 is imported on first use.

    Args:
        table_name: the table's name.
        ttl: seconds a done key is kept (``expires_at``).
        key_attribute: the partition key's name.
        client: a boto3 DynamoDB client (made on first use by default).
    """

    table_name: str
    ttl: float = 7 * 86_400.0
    key_attribute: str = "pk"
    client: Any = None

    def _client(self) -> Any:
        if self.client is None:
            import boto3

            self.client = boto3.client("dynamodb")
        return self.client

    def claim(self, key: str, lease_s: float) -> ClaimState:
        client = self._client()
        now = time.time()
        try:
            client.put_item(
                TableName=self.table_name,
                Item={self.key_attribute: {"S": key}, "state": {"S": "claimed"},
                      "lease_until": {"N": f"{now + lease_s:.3f}"},
                      "expires_at": {"N": str(int(now + self.ttl))}},
                ConditionExpression="attribute_not_exists(#k) OR (#s = :claimed AND "
                                    "lease_until < :now) OR expires_at < :now_int",
                ExpressionAttributeNames={"#k": self.key_attribute, "#s": "state"},
                ExpressionAttributeValues={":claimed": {"S": "claimed"},
                                           ":now": {"N": f"{now:.3f}"},
                                           ":now_int": {"N": str(int(now))}})
        except client.exceptions.ConditionalCheckFailedException:
            item = client.get_item(TableName=self.table_name,
                                   Key={self.key_attribute: {"S": key}},
                                   ConsistentRead=True).get("Item", {})
            return "done" if item.get("state", {}).get("S") == "done" else "busy"
        return "claimed"

    def complete(self, key: str) -> None:
        self._client().update_item(
            TableName=self.table_name, Key={self.key_attribute: {"S": key}},
            UpdateExpression="SET #s = :done, expires_at = :exp",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={":done": {"S": "done"},
                                       ":exp": {"N": str(int(time.time() + self.ttl))}})

    def release(self, key: str) -> None:
        self._client().delete_item(TableName=self.table_name,
                                   Key={self.key_attribute: {"S": key}})


def run_once(store: IdempotencyStore, key: str, action: Callable[[], T], *,
             lease_s: float = 900.0) -> tuple[bool, T | None]:
    """Run ``action`` unless ``key`` is done; return ``(ran, result)``.

    Raises:
        InProgressError: another delivery holds the claim (the record is retried later).
        Exception: what ``action`` raised; the claim is released first.
    """
    state = store.claim(key, lease_s)
    if state == "done":
        logger.info("skipping %s: already done (a redelivery)", key)
        return False, None
    if state == "busy":
        raise InProgressError(f"{key} is being handled by another delivery; retry later")
    try:
        result = action()
    except BaseException:
        try:
            store.release(key)
        except Exception:  # the action's error matters more; the lease expires anyway
            logger.warning("could not release the claim on %s", key, exc_info=True)
        raise
    try:
        store.complete(key)
    except Exception:  # done but not marked: a later redelivery may act again (at least once)
        logger.warning("%s was done but could not be marked done", key, exc_info=True)
    return True, result
