"""A request the server must not act on twice (post a message, open a ticket).

:class:`HttpClient` retries only idempotent methods: a ``POST`` that timed out or got a 5xx
may have been acted on, and sending it again could post twice. But a ``429`` says the server
did nothing, so it is safe to send again after the wait the server asks for.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from deepalert.lookup._errors import RateLimitedError
from deepalert.lookup._http import HttpClient, HttpResponse

__all__ = ["send_once"]

_MIN_ATTEMPT_MS = 1000  # a retry needs at least this long to be worth starting


def send_once(client: HttpClient, method: str, path: str, *, json: Any = None,
              headers: Mapping[str, str] | None = None,
              remaining_ms: int | None = None) -> HttpResponse:
    """Send a non-idempotent request: retried after ``429`` only, never after a timeout or 5xx.

    The wait is the response's ``Retry-After`` (seconds) or the client's backoff; attempts,
    the longest ``Retry-After`` honoured and the sleep come from the client's
    :class:`RetryPolicy`. A retry that cannot finish before the Lambda deadline is not
    started: the :class:`RateLimitedError` is raised, the record fails, and the queue
    delivers it again later.

    Raises:
        RateLimitedError: still ``429`` after the attempts, or the wait does not fit.
        LookupFailedError: as :meth:`HttpClient.request` (5xx and timeouts at once).
    """
    policy = client.retry
    started = time.monotonic()
    attempt = 1
    while True:
        left = None
        if remaining_ms is not None:
            left = remaining_ms - int((time.monotonic() - started) * 1000)
        try:
            return client.request(method, path, json=json, headers=headers, remaining_ms=left)
        except RateLimitedError as exc:
            if attempt >= policy.attempts:
                raise
            wait = exc.retry_after
            if wait is None:
                wait = min(policy.max_backoff, policy.backoff * 2 ** (attempt - 1))
            if wait > policy.max_retry_after:
                raise
            if left is not None and (wait * 1000 + client.deadline_margin_ms + _MIN_ATTEMPT_MS
                                     > left):
                raise
            policy.sleep(max(0.0, wait))
            attempt += 1
