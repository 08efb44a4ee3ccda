"""Rate limits per API key: a token bucket in the process, or one in DynamoDB that every
concurrent Lambda instance shares."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from deepalert._lambda._aws import describe_failure, error_code
from deepalert.lookup._errors import RateLimitedError, ServiceError

__all__ = ["DynamoDBTokenBucket", "RateLimiter", "TokenBucket", "key_id"]


def key_id(api_key: str) -> str:
    """A short, stable name for an API key (a SHA-256 prefix), to key limits and caches on
    without storing or logging the key itself."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:16]


@runtime_checkable
class RateLimiter(Protocol):
    """Anything that hands out one call's worth of quota, or refuses."""

    def acquire(self, key: str = "default") -> None:
        """Take one call from ``key``'s quota.

        Raises:
            RateLimitedError: no quota left; ``retry_after`` says when there will be.
        """
        ...


def _check(limit: int, per: float, burst: int | None) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"rate limit must be an int >= 1 (calls per period), got {limit!r}")
    if isinstance(per, bool) or not isinstance(per, (int, float)) or per <= 0:
        raise ValueError(f"rate limit period must be seconds > 0, got {per!r}")
    capacity = limit if burst is None else burst
    if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= limit:
        raise ValueError(f"burst must be an int from 1 to the limit {limit}, got {burst!r}")
    return capacity


class TokenBucket:
    """An in-process token bucket per key: ``limit`` calls per ``per`` seconds.

    The bucket holds up to ``burst`` tokens and refills at ``limit / per`` tokens a second.
    With ``burst=1`` calls are spaced evenly and no window of ``per`` seconds ever holds more
    than ``limit`` calls; a larger burst lets a quiet key spend ``burst`` calls at once, and a
    window then holds up to ``limit + burst - 1``. Thread-safe; one bucket serves one Lambda
    instance (use :class:`DynamoDBTokenBucket` when concurrent instances share a quota).

    Example:
        >>> from deepalert.lookup import TokenBucket
        >>> now = [0.0]
        >>> bucket = TokenBucket(4, 60, burst=1, clock=lambda: now[0])
        >>> bucket.acquire("key-1")
        >>> try:
        ...     bucket.acquire("key-1")
        ... except Exception as exc:
        ...     print(type(exc).__name__, exc.retry_after)
        RateLimitedError 15.0

    Args:
        limit: calls allowed per period.
        per: the period in seconds (60 for "per minute").
        burst: tokens the bucket holds (default ``limit``).
        max_wait: seconds :meth:`acquire` may sleep for a token before refusing (0: never).
        service: named in the error.
        clock: seconds, monotonic (tests and benchmarks pass a simulated one).
        sleep: how to wait for ``max_wait``.
    """

    def __init__(self, limit: int, per: float, *, burst: int | None = None,
                 max_wait: float = 0.0, service: str = "",
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.capacity = _check(limit, per, burst)
        self.limit = limit
        self.per = float(per)
        self.max_wait = max_wait
        self.service = service
        self._rate = limit / self.per
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"TokenBucket({self.limit}, {self.per:g}, burst={self.capacity})"

    def acquire(self, key: str = "default") -> None:
        """Take a token for ``key``, sleeping up to ``max_wait`` for one.

        Raises:
            RateLimitedError: no token within ``max_wait``.
        """
        with self._lock:
            now = self._clock()
            tokens, updated = self._buckets.get(key, (float(self.capacity), now))
            tokens = min(float(self.capacity), tokens + (now - updated) * self._rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self._rate
            if wait > self.max_wait:
                self._buckets[key] = (tokens, now)
                raise RateLimitedError(
                    f"local quota of {self.limit} calls per {self.per:g} s is spent; next "
                    f"call in {wait:.1f} s", service=self.service, retry_after=round(wait, 3))
            # Reserve the token now (the count may go below zero) and wait outside the lock.
            self._buckets[key] = (tokens - 1, now)
        if wait > 0:
            self._sleep(wait)


class DynamoDBTokenBucket:
    """A token bucket per key held in a DynamoDB table, shared by every Lambda instance.

    Each key is one item (partition key ``pk`` = ``ratelimit#<key>``) with the tokens left,
    the time they were counted and a version. A call reads the item, refills it, and writes
    it back with a conditional update on the version it read, so two instances can never
    spend the same token; a lost race is read again. The table needs only a string partition
    key named ``pk`` (the cache table can be the same table).

    Args:
        table_name: the table.
        limit: calls allowed per period.
        per: the period in seconds.
        burst: tokens the bucket holds (default ``limit``).
        service: named in errors.
        client: a boto3 DynamoDB client (default: one made on first use).
        clock: wall-clock seconds, the same on every instance (``time.time``).
        attempts: conditional-update races tried before refusing.
    """

    def __init__(self, table_name: str, limit: int, per: float, *, burst: int | None = None,
                 service: str = "", client: Any = None,
                 clock: Callable[[], float] = time.time, attempts: int = 8) -> None:
        self.capacity = _check(limit, per, burst)
        self.table_name = table_name
        self.limit = limit
        self.per = float(per)
        self.service = service
        self.attempts = attempts
        self._rate = limit / self.per
        self._client = client
        self._clock = clock

    def __repr__(self) -> str:
        return (f"DynamoDBTokenBucket({self.table_name!r}, {self.limit}, {self.per:g}, "
                f"burst={self.capacity})")

    def acquire(self, key: str = "default") -> None:
        """Take a token for ``key`` from the shared bucket.

        Raises:
            RateLimitedError: no token left, or the bucket stayed contended.
            ServiceError: DynamoDB refused the read or write.
        """
        client = self._dynamodb()
        pk = {"S": f"ratelimit#{key}"}
        for _ in range(self.attempts):
            now = self._clock()
            try:
                item = client.get_item(TableName=self.table_name, Key={"pk": pk},
                                       ConsistentRead=True).get("Item")
            except Exception as exc:
                raise self._error("read", exc) from None
            if item is None:
                tokens, version = float(self.capacity), 0
                updated = now
            else:
                tokens = float(item["tokens"]["N"])
                updated = float(item["updated"]["N"])
                version = int(item["version"]["N"])
            tokens = min(float(self.capacity), tokens + max(0.0, now - updated) * self._rate)
            if tokens < 1:
                wait = (1 - tokens) / self._rate
                raise RateLimitedError(
                    f"shared quota of {self.limit} calls per {self.per:g} s is spent; next "
                    f"call in {wait:.1f} s", service=self.service, retry_after=round(wait, 3))
            values = {":t": {"N": repr(tokens - 1)}, ":u": {"N": repr(now)},
                      ":v": {"N": str(version + 1)}}
            if item is None:
                condition = "attribute_not_exists(pk)"
            else:
                condition = "version = :old"
                values[":old"] = {"N": str(version)}
            try:
                client.update_item(
                    TableName=self.table_name, Key={"pk": pk},
                    UpdateExpression="SET tokens = :t, updated = :u, version = :v",
                    ConditionExpression=condition, ExpressionAttributeValues=values)
                return
            except Exception as exc:
                if error_code(exc) != "ConditionalCheckFailedException":
                    raise self._error("update", exc) from None
        raise RateLimitedError(f"shared quota bucket stayed contended after {self.attempts} "
                               "tries", service=self.service, retry_after=1.0)

    def _dynamodb(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("dynamodb")
        return self._client

    def _error(self, action: str, exc: Exception) -> ServiceError:
        return ServiceError(f"DynamoDB {action} of rate limit table {self.table_name!r} "
                            f"failed: {describe_failure(exc)}", service=self.service)
