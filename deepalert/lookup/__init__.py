"""The toolkit for lookups in third-party APIs, used by :mod:`deepalert.integrations` and by
your own inspectors and emitters.

- :class:`HttpClient`: urllib3 with timeouts bounded by the Lambda deadline, retries with
  backoff that honour ``429`` and ``Retry-After`` (one :class:`RetryPolicy`), and connections
  reused across invocations.
- :class:`Secret`: a value from Secrets Manager or SSM Parameter Store, read at run time
  and cached with a TTL; never logged.
- :class:`Lookup`: a per-indicator cache (:class:`MemoryCache`, :class:`DynamoDBCache`)
  and a rate limit per API key (:class:`TokenBucket`, :class:`DynamoDBTokenBucket`) around
  each API call; "nothing found" is cached too, errors never.
- :class:`EgressGuard`: no private address, internal domain or ``local`` attribute is sent
  to a third-party API.
- Errors under :class:`LookupFailedError` fail the record (SQS retries it): a rate-limited
  or broken lookup never reads as "nothing found".

Importing this package loads neither urllib3 nor boto3; they are imported on first use.
See ``docs/integrations.md``.
"""

from deepalert.lookup._cache import Cache, CacheEntry, DynamoDBCache, MemoryCache, TieredCache
from deepalert.lookup._egress import DEFAULT_INTERNAL_SUFFIXES, INTERNAL_DOMAINS_ENV, EgressGuard
from deepalert.lookup._errors import (
    AuthenticationError,
    LookupFailedError,
    LookupTimeoutError,
    MalformedResponseError,
    RateLimitedError,
    SecretError,
    ServiceError,
)
from deepalert.lookup._http import HttpClient, HttpResponse, RetryPolicy
from deepalert.lookup._lookup import (
    CACHE_TABLE_ENV,
    RATE_LIMIT_TABLE_ENV,
    Lookup,
    LookupStats,
    cache_from_env,
    limiter_from_env,
)
from deepalert.lookup._options import InspectorOptions, LookupOptions
from deepalert.lookup._ratelimit import DynamoDBTokenBucket, RateLimiter, TokenBucket, key_id
from deepalert.lookup._secrets import Secret, SecretSource, clear_secret_cache

__all__ = [
    "CACHE_TABLE_ENV",
    "DEFAULT_INTERNAL_SUFFIXES",
    "INTERNAL_DOMAINS_ENV",
    "RATE_LIMIT_TABLE_ENV",
    "AuthenticationError",
    "Cache",
    "CacheEntry",
    "DynamoDBCache",
    "DynamoDBTokenBucket",
    "EgressGuard",
    "HttpClient",
    "HttpResponse",
    "InspectorOptions",
    "Lookup",
    "LookupFailedError",
    "LookupOptions",
    "LookupStats",
    "LookupTimeoutError",
    "MalformedResponseError",
    "MemoryCache",
    "RateLimitedError",
    "RateLimiter",
    "RetryPolicy",
    "Secret",
    "SecretError",
    "SecretSource",
    "ServiceError",
    "TieredCache",
    "TokenBucket",
    "cache_from_env",
    "clear_secret_cache",
    "key_id",
    "limiter_from_env",
]
