"""One service's lookups: the cache and the rate limiter around the call to the API."""

from __future__ import annotations

import os
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from deepalert.lookup._cache import Cache, CacheEntry, DynamoDBCache, MemoryCache, TieredCache
from deepalert.lookup._errors import LookupFailedError
from deepalert.lookup._ratelimit import DynamoDBTokenBucket, RateLimiter, TokenBucket

__all__ = [
    "CACHE_TABLE_ENV",
    "RATE_LIMIT_TABLE_ENV",
    "Lookup",
    "LookupStats",
    "cache_from_env",
    "limiter_from_env",
]

CACHE_TABLE_ENV = "DEEPALERT_LOOKUP_CACHE_TABLE"
"""When set, :func:`cache_from_env` puts a shared DynamoDB cache behind the memory cache."""
RATE_LIMIT_TABLE_ENV = "DEEPALERT_RATE_LIMIT_TABLE"
"""When set, :func:`limiter_from_env` keeps the token buckets in this DynamoDB table."""

_STRIPES = 64


@dataclass
class LookupStats:
    """Counters for one :class:`Lookup`.

    Attributes:
        hits: answers served from the cache ("nothing found" included).
        fetches: calls made to the API (each one after a cache miss and a quota token).
        not_found: fetches that found nothing.
    """

    hits: int = 0
    fetches: int = 0
    not_found: int = 0


class Lookup:
    """The cache and the rate limiter around one service's API calls.

    :meth:`get` answers from the cache when it can; otherwise it takes a quota token (or
    raises :class:`~deepalert.lookup.RateLimitedError`, which fails the record), calls
    ``fetch`` and caches what it returns: a found answer for ``ttl`` seconds, ``None``
    ("nothing found") for ``not_found_ttl``. An exception from ``fetch`` is never cached.
    Concurrent misses for the same indicator in one process make one call. A cache that
    fails (a DynamoDB table refusing a read or write) is logged as a warning on the
    ``deepalert.lookup`` logger and skipped: the answer still counts, the quota already
    spent is not wasted by failing the record.

    Example:
        >>> from deepalert.lookup import Lookup
        >>> lookup = Lookup("example")
        >>> lookup.get("ip", "198.51.100.7", lambda: {"score": 3})
        {'score': 3}
        >>> lookup.get("ip", "198.51.100.7", lambda: {"score": 99})  # from the cache
        {'score': 3}
        >>> lookup.stats
        LookupStats(hits=1, fetches=1, not_found=0)

    Args:
        service: the service's name, part of every cache key.
        cache: where answers are kept (default: a :class:`MemoryCache`); ``None`` values
            are cached as "nothing found".
        limiter: the quota every fetch takes a token from (default: none).
        ttl: seconds a found answer is kept.
        not_found_ttl: seconds a "nothing found" is kept.
    """

    def __init__(self, service: str, *, cache: Cache | None = None,
                 limiter: RateLimiter | None = None, ttl: float = 3600.0,
                 not_found_ttl: float = 600.0) -> None:
        self.service = service
        self.cache: Cache = cache if cache is not None else MemoryCache()
        self.limiter = limiter
        self.ttl = ttl
        self.not_found_ttl = not_found_ttl
        self.stats = LookupStats()
        self._locks = [threading.Lock() for _ in range(_STRIPES)]
        self._stats_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Lookup({self.service!r}, cache={self.cache!r}, limiter={self.limiter!r})"

    def key(self, kind: str, indicator: str) -> str:
        """The cache key for an indicator of a kind (``"ip"``, ``"domain"``, ...)."""
        return f"{self.service}:{kind}:{indicator}"

    def get(self, kind: str, indicator: str, fetch: Callable[[], Any], *,
            quota_key: str = "default") -> Any:
        """The answer for ``indicator``: cached, or fetched under the quota and cached.

        Args:
            kind: the indicator's kind, part of the cache key.
            indicator: the value looked up.
            fetch: calls the API; returns a JSON value, or ``None`` for "nothing found".
            quota_key: whose quota the call spends (:func:`key_id` of the API key).

        Raises:
            RateLimitedError: no quota left.
            LookupFailedError: whatever ``fetch`` raised (nothing is cached).
        """
        key = self.key(kind, indicator)
        entry = self._cached(key)
        if entry is not None:
            return entry.value
        with self._locks[zlib.crc32(key.encode()) % _STRIPES]:
            entry = self._cached(key)
            if entry is not None:
                return entry.value
            if self.limiter is not None:
                self.limiter.acquire(quota_key)
            value = fetch()
            with self._stats_lock:
                self.stats.fetches += 1
                self.stats.not_found += value is None
            try:
                self.cache.put(key, value,
                               self.ttl if value is not None else self.not_found_ttl)
            except LookupFailedError as exc:
                _cache_failed("write", exc)
            return value

    def _cached(self, key: str) -> CacheEntry | None:
        try:
            entry = self.cache.get(key)
        except LookupFailedError as exc:
            _cache_failed("read", exc)
            return None
        if entry is not None:
            with self._stats_lock:
                self.stats.hits += 1
        return entry


def _cache_failed(action: str, exc: LookupFailedError) -> None:
    import logging

    logging.getLogger("deepalert.lookup").warning(
        "cache %s failed, going on without the cache: %s", action, exc)


class _EnvCache:
    """A memory cache, with a shared DynamoDB cache behind it when the environment names a
    table; decided at the first use, not at import."""

    def __init__(self, max_entries: int) -> None:
        self._max_entries = max_entries
        self._resolved: Cache | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"cache_from_env({CACHE_TABLE_ENV}={os.environ.get(CACHE_TABLE_ENV, '')!r})"

    def resolve(self) -> Cache:
        """The cache in force (made on first call)."""
        if self._resolved is None:
            with self._lock:
                if self._resolved is None:
                    memory = MemoryCache(self._max_entries)
                    table = os.environ.get(CACHE_TABLE_ENV, "").strip()
                    self._resolved = (TieredCache(memory, DynamoDBCache(table)) if table
                                      else memory)
        return self._resolved

    def get(self, key: str) -> CacheEntry | None:
        return self.resolve().get(key)

    def put(self, key: str, value: Any, ttl: float) -> None:
        self.resolve().put(key, value, ttl)


def cache_from_env(max_entries: int = 10_000) -> Cache:
    """A :class:`MemoryCache`, with a :class:`DynamoDBCache` behind it when
    ``DEEPALERT_LOOKUP_CACHE_TABLE`` names a table (read at the first lookup)."""
    return _EnvCache(max_entries)


class _EnvLimiter:
    def __init__(self, limit: int, per: float, burst: int | None, service: str) -> None:
        TokenBucket(limit, per, burst=burst)  # check the numbers now, not at the first call
        self._args = (limit, per, burst, service)
        self._resolved: RateLimiter | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        limit, per, burst, _ = self._args
        return f"limiter_from_env({limit}, {per:g}, burst={burst})"

    def acquire(self, key: str = "default") -> None:
        if self._resolved is None:
            with self._lock:
                if self._resolved is None:
                    limit, per, burst, service = self._args
                    table = os.environ.get(RATE_LIMIT_TABLE_ENV, "").strip()
                    self._resolved = (
                        DynamoDBTokenBucket(table, limit, per, burst=burst, service=service)
                        if table else TokenBucket(limit, per, burst=burst, service=service))
        self._resolved.acquire(key)


def limiter_from_env(limit: int, per: float, *, burst: int | None = None,
                     service: str = "") -> RateLimiter:
    """A :class:`TokenBucket`, or a :class:`DynamoDBTokenBucket` shared by all instances when
    ``DEEPALERT_RATE_LIMIT_TABLE`` names a table (read at the first call)."""
    return _EnvLimiter(limit, per, burst, service)
