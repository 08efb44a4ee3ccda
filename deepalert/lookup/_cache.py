"""Per-indicator caches: in memory (TTL, bounded size) and in a DynamoDB table with TTL."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from deepalert._lambda._aws import describe_failure
from deepalert.lookup._errors import ServiceError

__all__ = ["Cache", "CacheEntry", "DynamoDBCache", "MemoryCache", "TieredCache"]


@dataclass(frozen=True)
class CacheEntry:
    """A cached answer.

    Attributes:
        value: the JSON value stored; ``None`` means "nothing found" was cached.
        expires_at: when it expires, on the cache's clock.
    """

    value: Any
    expires_at: float

    @property
    def found(self) -> bool:
        """False when the entry records that the indicator was not found."""
        return self.value is not None


@runtime_checkable
class Cache(Protocol):
    """A store of answers by key, each kept for its own time to live."""

    def get(self, key: str) -> CacheEntry | None:
        """The live entry for ``key``, or ``None``."""
        ...

    def put(self, key: str, value: Any, ttl: float) -> None:
        """Keep ``value`` (JSON; ``None`` for "nothing found") for ``ttl`` seconds."""
        ...


class MemoryCache:
    """An in-process cache with a TTL per entry and at most ``max_entries`` entries (the
    least recently used goes first). Lives as long as the Lambda instance. Thread-safe.

    Args:
        max_entries: the bound on entries.
        clock: seconds, monotonic.
    """

    def __init__(self, max_entries: int = 10_000, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 1:
            raise ValueError(f"MemoryCache(max_entries=) must be an int >= 1, got {max_entries!r}")
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, CacheEntry] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"MemoryCache(max_entries={self.max_entries}, entries={len(self._entries)})"

    def get(self, key: str) -> CacheEntry | None:
        """The live entry for ``key`` (an expired one is dropped)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.expires_at <= self._clock():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: str, value: Any, ttl: float) -> None:
        """Keep ``value`` for ``ttl`` seconds (``ttl <= 0`` stores nothing)."""
        if ttl <= 0:
            return
        with self._lock:
            self._entries[key] = CacheEntry(value, self._clock() + ttl)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


class DynamoDBCache:
    """A cache in a DynamoDB table shared by every Lambda instance.

    One item per key: partition key ``pk`` (``cache#`` and a SHA-256 of the key, so long
    URLs fit and indicators are not stored in the key), ``value`` (the JSON text) and
    ``expires_at`` (epoch seconds). Turn on DynamoDB TTL on ``expires_at`` so old items are
    deleted; since that deletion can lag, expired items are also ignored on read.

    Args:
        table_name: the table (string partition key ``pk``).
        client: a boto3 DynamoDB client (default: one made on first use).
        clock: wall-clock seconds (``time.time``).
        service: named in errors.
    """

    def __init__(self, table_name: str, *, client: Any = None,
                 clock: Callable[[], float] = time.time, service: str = "") -> None:
        self.table_name = table_name
        self.service = service
        self._client = client
        self._clock = clock

    def __repr__(self) -> str:
        return f"DynamoDBCache({self.table_name!r})"

    def get(self, key: str) -> CacheEntry | None:
        """The live entry for ``key``.

        Raises:
            ServiceError: DynamoDB refused the read.
        """
        try:
            item = self._dynamodb().get_item(TableName=self.table_name,
                                             Key={"pk": {"S": _pk(key)}}).get("Item")
        except Exception as exc:
            raise self._error("read", exc) from None
        if item is None:
            return None
        expires_at = float(item["expires_at"]["N"])
        if expires_at <= self._clock():
            return None
        return CacheEntry(json.loads(item["value"]["S"]), expires_at)

    def put(self, key: str, value: Any, ttl: float) -> None:
        """Keep ``value`` for ``ttl`` seconds.

        Raises:
            ServiceError: DynamoDB refused the write.
        """
        if ttl <= 0:
            return
        expires_at = int(self._clock() + ttl) + 1
        try:
            self._dynamodb().put_item(TableName=self.table_name, Item={
                "pk": {"S": _pk(key)}, "value": {"S": json.dumps(value)},
                "expires_at": {"N": str(expires_at)}})
        except Exception as exc:
            raise self._error("write", exc) from None

    def _dynamodb(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("dynamodb")
        return self._client

    def _error(self, action: str, exc: Exception) -> ServiceError:
        return ServiceError(f"DynamoDB {action} of cache table {self.table_name!r} failed: "
                            f"{describe_failure(exc)}", service=self.service)


class TieredCache:
    """A fast cache in front of a shared one: reads try ``first``, then ``second`` (copying
    a hit into ``first`` for the time it has left); writes go to both.

    Args:
        first: usually a :class:`MemoryCache`.
        second: usually a :class:`DynamoDBCache`.
        clock: the clock ``second``'s expiry times are on (``time.time`` for DynamoDB).
    """

    def __init__(self, first: Cache, second: Cache, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.first = first
        self.second = second
        self._clock = clock

    def __repr__(self) -> str:
        return f"TieredCache({self.first!r}, {self.second!r})"

    def get(self, key: str) -> CacheEntry | None:
        """From ``first``, else from ``second``."""
        entry = self.first.get(key)
        if entry is not None:
            return entry
        entry = self.second.get(key)
        if entry is not None:
            self.first.put(key, entry.value, entry.expires_at - self._clock())
        return entry

    def put(self, key: str, value: Any, ttl: float) -> None:
        """Into both."""
        self.first.put(key, value, ttl)
        self.second.put(key, value, ttl)


def _pk(key: str) -> str:
    return "cache#" + hashlib.sha256(key.encode()).hexdigest()
