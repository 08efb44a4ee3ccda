"""The keyword arguments the ready inspectors share, typed once for ``**options``."""

from __future__ import annotations

from collections.abc import Iterable

from typing_extensions import TypedDict

from deepalert.lookup._cache import Cache
from deepalert.lookup._egress import EgressGuard
from deepalert.lookup._http import RetryPolicy
from deepalert.lookup._ratelimit import RateLimiter

__all__ = ["InspectorOptions", "LookupOptions"]


class InspectorOptions(TypedDict, total=False):
    """What every ready inspector of :mod:`deepalert.integrations` takes as keywords.

    ``types`` and ``author`` (default: every type the service can look up, and the
    service's name), and the ``@inspector`` options ``contexts``, ``finding_queue_url``,
    ``attribute_queue_url``, ``max_workers``, ``max_message_bytes`` and
    ``deadline_margin_ms`` (see :func:`deepalert.inspector.inspector`). A factory typed
    ``**options: Unpack[InspectorOptions]`` has mypy reject a misspelt keyword.
    """

    types: Iterable[str] | None
    author: str | None
    contexts: Iterable[str]
    finding_queue_url: str | None
    attribute_queue_url: str | None
    max_workers: int | None
    max_message_bytes: int
    deadline_margin_ms: int


class LookupOptions(InspectorOptions, total=False):
    """What every ready inspector that calls a third-party HTTP API takes as keywords.

    Those of :class:`InspectorOptions`, and:

    - ``base_url``: the API's base URL (a test server, a proxy);
    - ``cache``: the per-indicator cache (default: memory, plus the DynamoDB table named by
      ``DEEPALERT_LOOKUP_CACHE_TABLE``);
    - ``limiter``: the rate limiter (default: a bucket for ``rate``, kept in the DynamoDB
      table named by ``DEEPALERT_RATE_LIMIT_TABLE`` when set);
    - ``rate``: ``(calls, seconds)`` for the default limiter; ``True``: the service's free
      quota; ``None``: no limit;
    - ``ttl``: seconds an answer is cached; ``not_found_ttl``: seconds "nothing found" is;
    - ``guard``: the :class:`EgressGuard` (``True``: the default one; ``False``: none);
    - ``timeout``: seconds to wait for one answer (cut to the Lambda deadline), 10 by default;
    - ``retry``: the :class:`RetryPolicy` (default: ``RetryPolicy()``).

    Each factory's docstring gives its defaults for ``types``, ``rate`` and the TTLs.
    """

    base_url: str
    cache: Cache | None
    limiter: RateLimiter | None
    rate: tuple[int, float] | bool | None
    ttl: float
    not_found_ttl: float
    guard: EgressGuard | bool
    timeout: float
    retry: RetryPolicy | None
