"""Outbound HTTP for lookups: urllib3 with one retry policy, deadline-bounded timeouts and
connection reuse across invocations.

urllib3 is imported when the first request is made, not with the package: importing
``deepalert.lookup`` stays as light as importing ``deepalert``.
"""

from __future__ import annotations

import json as _json
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from deepalert.lookup._errors import (
    AuthenticationError,
    LookupTimeoutError,
    MalformedResponseError,
    RateLimitedError,
    ServiceError,
)

if TYPE_CHECKING:
    import urllib3

__all__ = ["HttpClient", "HttpResponse", "RetryPolicy"]

_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
_MIN_ATTEMPT_S = 0.05  # below this, an attempt cannot succeed: fail at once instead


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to retry: the one retry policy every lookup and emitter shares.

    A response whose status is in ``statuses`` (and a connection error or timeout) is tried
    again, up to ``attempts`` tries in all. The wait before a retry is the response's
    ``Retry-After`` (seconds or an HTTP date) when it has one, otherwise ``backoff`` doubled
    at each retry and capped at ``max_backoff``. A retry is started only when its wait and a
    whole attempt fit before the Lambda deadline; a ``Retry-After`` longer than
    ``max_retry_after`` is not waited for at all. In both cases the request fails at once
    (429 as :class:`RateLimitedError`), so the record fails and SQS delivers it again later,
    instead of the function sleeping until Lambda kills it.

    Args:
        attempts: tries in all, the first included (1 disables retries).
        backoff: the first wait in seconds without ``Retry-After``.
        max_backoff: the longest wait without ``Retry-After``.
        max_retry_after: the longest ``Retry-After`` honoured, in seconds.
        statuses: the response statuses retried.
        methods: the methods retried; pass ``idempotent=True`` to a request to retry any method.
        sleep: how to wait (tests pass a recorder to run without waiting).
    """

    attempts: int = 3
    backoff: float = 0.5
    max_backoff: float = 20.0
    max_retry_after: float = 30.0
    statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})
    methods: frozenset[str] = _IDEMPOTENT
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.attempts, bool) or not isinstance(self.attempts, int) or (
                self.attempts < 1):
            raise ValueError(f"RetryPolicy(attempts=) must be an int >= 1, got {self.attempts!r}")
        for name in ("backoff", "max_backoff", "max_retry_after"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"RetryPolicy({name}=) must be a number >= 0, got {value!r}")


@dataclass(frozen=True)
class HttpResponse:
    """A response read in full.

    Attributes:
        status: the HTTP status.
        headers: the response headers, names in lower case.
        body: the raw body.
        url: the request URL without its query string (safe to log).
        service: the service's name, for error messages.
    """

    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str
    service: str = ""

    def json(self) -> Any:
        """The body parsed as JSON.

        Raises:
            MalformedResponseError: the body is not JSON.
        """
        try:
            return _json.loads(self.body)
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
            raise MalformedResponseError(
                f"{self.url} answered {self.status} with a body that is not JSON "
                f"({type(exc).__name__} at byte {getattr(exc, 'pos', '?')})",
                service=self.service, status=self.status) from None


class _GiveUp(Exception):
    """Raised from inside urllib3's retry loop when a retry would overrun the deadline or
    the server asks for a wait longer than allowed."""

    def __init__(self, status: int | None, wait: float, reason: str) -> None:
        self.status = status
        self.wait = wait
        self.reason = reason
        super().__init__(reason)


def _make_retry(policy: RetryPolicy, deadline: float | None, attempt_s: float,
                any_method: bool, retried: list[int]) -> Any:
    """An urllib3 ``Retry`` that follows ``policy`` and gives up before ``deadline``;
    ``retried[0]`` counts the retries it let through."""
    from urllib3.util.retry import Retry

    class DeadlineRetry(Retry):
        # urllib3 counts and classifies the failures; these overrides only choose the wait
        # (Retry-After first, capped; then exponential backoff) and refuse a retry that
        # cannot finish before the deadline. Written against the API urllib3 1.26 and 2.x share.

        def get_backoff_time(self) -> float:
            retries = len(self.history)
            if retries <= 0:
                return 0.0
            return float(min(policy.max_backoff, policy.backoff * 2 ** (retries - 1)))

        def sleep(self, response: Any = None) -> None:
            status = getattr(response, "status", None)
            retry_after = self.get_retry_after(response) if response is not None else None
            if retry_after is not None and retry_after > policy.max_retry_after:
                raise _GiveUp(status, retry_after,
                              f"the server asked to wait {retry_after:g} s (Retry-After), more "
                              f"than the {policy.max_retry_after:g} s allowed")
            wait = retry_after if retry_after is not None else self.get_backoff_time()
            if deadline is not None and time.monotonic() + wait + attempt_s > deadline:
                left = max(0.0, deadline - time.monotonic())
                raise _GiveUp(status, wait,
                              f"a retry after {wait:g} s would not finish before the Lambda "
                              f"deadline ({left:.2f} s left)")
            if wait > 0:
                policy.sleep(wait)
            retried[0] += 1

    retries = policy.attempts - 1
    return DeadlineRetry(
        total=retries, connect=retries, read=retries, status=retries, other=0,
        redirect=False, status_forcelist=policy.statuses,
        allowed_methods=None if any_method else policy.methods,
        backoff_factor=policy.backoff, raise_on_status=False, raise_on_redirect=False,
        respect_retry_after_header=True)


class HttpClient:
    """An HTTP client for one service: timeouts bounded by the Lambda deadline, retries with
    backoff that honour ``429`` and ``Retry-After``, and pooled connections reused across
    invocations (create it once, at module level or in a factory, not per call).

    Statuses are sorted into errors that fail the record: ``401``/``403`` raise
    :class:`AuthenticationError`, ``429`` after retries :class:`RateLimitedError`, as does a
    ``403`` that says it is a rate limit (``Retry-After``, or ``X-RateLimit-Remaining: 0``
    as GitHub sends; not retried in the invocation, its wait is in ``retry_after``), ``5xx``
    after retries :class:`ServiceError`, timeouts :class:`LookupTimeoutError`. Every other
    response is returned. Error messages carry the method and the URL without its query;
    headers (where API keys go) are never logged or put in a message.

    Example:
        >>> from deepalert.lookup import HttpClient
        >>> client = HttpClient("example", base_url="https://api.example.com/v1")
        >>> client.url("/ip/192.0.2.1", {"verbose": "1"})
        'https://api.example.com/v1/ip/192.0.2.1?verbose=1'

    Args:
        service: the service's name, used in errors and logs (``"virustotal"``).
        base_url: prefixed to relative paths given to :meth:`request` (override it in tests
            to point at :class:`deepalert.testing.CannedHttpServer`).
        headers: sent with every request (for example ``User-Agent``).
        timeout: the longest wait for a response to one attempt, in seconds.
        connect_timeout: the longest wait for a connection, in seconds.
        retry: the retry policy.
        deadline_margin_ms: time kept back before the Lambda deadline, for the function to
            finish after the last attempt.
        max_connections: connections kept per host (match the inspector's ``max_workers``).
    """

    def __init__(self, service: str, *, base_url: str = "",
                 headers: Mapping[str, str] | None = None, timeout: float = 10.0,
                 connect_timeout: float = 3.0, retry: RetryPolicy | None = None,
                 deadline_margin_ms: int = 500, max_connections: int = 10) -> None:
        for name, value in (("timeout", timeout), ("connect_timeout", connect_timeout)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"HttpClient({name}=) must be a number > 0, got {value!r}")
        self.service = service
        self.base_url = base_url.rstrip("/")
        self.timeout = float(timeout)
        self.connect_timeout = float(connect_timeout)
        self.retry = retry if retry is not None else RetryPolicy()
        self.deadline_margin_ms = deadline_margin_ms
        self._headers = dict(headers or {})
        self._headers.setdefault("User-Agent", "deepalert-python")
        self._max_connections = max_connections
        self._pool: urllib3.PoolManager | None = None
        self._lock = threading.Lock()
        self.requests = 0
        """Attempts sent so far, retries included (for tests and benchmarks)."""

    def __repr__(self) -> str:
        return f"HttpClient({self.service!r}, base_url={self.base_url!r})"

    def url(self, path: str, params: Mapping[str, str] | None = None) -> str:
        """The full URL for ``path`` (absolute URLs are kept) with ``params`` as the query."""
        absolute = path.lower().startswith(("http://", "https://"))
        url = path if absolute else f"{self.base_url}/{path.lstrip('/')}"
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params)
        return url

    def request(self, method: str, path: str, *, params: Mapping[str, str] | None = None,
                json: Any = None, form: Mapping[str, str] | None = None,
                headers: Mapping[str, str] | None = None, remaining_ms: int | None = None,
                idempotent: bool = False) -> HttpResponse:
        """Send a request and read the whole response.

        Args:
            method: ``"GET"``, ``"POST"``, ...
            path: a path under ``base_url``, or an absolute URL.
            params: the query string.
            json: a body sent as JSON.
            form: a body sent as ``application/x-www-form-urlencoded``.
            headers: headers for this request (API keys go here; they are never logged).
            remaining_ms: the time left in the invocation (``ctx.remaining_ms()``); timeouts
                and retries are cut to fit in it. ``None``: no deadline.
            idempotent: retry this request whatever its method (a lookup sent as POST).

        Returns:
            The response, for any status the client does not raise for (2xx, 3xx, 404, ...).

        Raises:
            AuthenticationError: 401 or 403 (a 403 that is a rate limit aside).
            RateLimitedError: 429 after the retries that fit before the deadline, or a 403
                that says it is a rate limit (``Retry-After``, ``X-RateLimit-Remaining: 0``).
            ServiceError: 5xx after retries, or the connection failed.
            LookupTimeoutError: no response in time, or too little time left to try.
        """
        import urllib3

        url = self.url(path, params)
        safe_url = _without_query(url)
        method = method.upper()
        body: bytes | None = None
        send_headers = dict(self._headers)
        if json is not None:
            body = _json.dumps(json).encode()
            send_headers["Content-Type"] = "application/json"
        elif form is not None:
            body = urlencode(form).encode()
            send_headers["Content-Type"] = "application/x-www-form-urlencoded"
        send_headers.update(headers or {})

        deadline: float | None = None
        read_s, connect_s = self.timeout, self.connect_timeout
        if remaining_ms is not None:
            budget = (remaining_ms - self.deadline_margin_ms) / 1000
            if budget < _MIN_ATTEMPT_S:
                raise LookupTimeoutError(
                    f"{method} {safe_url} not sent: {remaining_ms} ms left before the Lambda "
                    f"deadline, {self.deadline_margin_ms} ms of them kept back",
                    service=self.service)
            deadline = time.monotonic() + budget
            read_s, connect_s = min(read_s, budget), min(connect_s, budget)
        attempt_s = read_s + connect_s
        retried = [0]
        retry = _make_retry(self.retry, deadline, attempt_s, idempotent, retried)
        try:
            raw = self._pool_manager().request(
                method, url, body=body, headers=send_headers,
                timeout=urllib3.Timeout(connect=connect_s, read=read_s),
                retries=retry, redirect=False, preload_content=True)
        except _GiveUp as stop:
            self._count(retried)
            if stop.status == 429:
                raise RateLimitedError(f"{method} {safe_url} answered 429: {stop.reason}",
                                       service=self.service, status=429,
                                       retry_after=stop.wait) from None
            if stop.status is not None:
                raise ServiceError(f"{method} {safe_url} answered {stop.status}: {stop.reason}",
                                   service=self.service, status=stop.status) from None
            raise LookupTimeoutError(f"{method} {safe_url} failed: {stop.reason}",
                                     service=self.service) from None
        except urllib3.exceptions.HTTPError as exc:
            self._count(retried)
            raise _transport_error(exc, method, safe_url, self.service) from None
        self._count(retried)
        response = HttpResponse(status=raw.status,
                                headers={k.lower(): v for k, v in raw.headers.items()},
                                body=raw.data or b"", url=safe_url, service=self.service)
        self._check_status(method, response)
        return response

    def get(self, path: str, *, params: Mapping[str, str] | None = None,
            headers: Mapping[str, str] | None = None,
            remaining_ms: int | None = None) -> HttpResponse:
        """``request("GET", ...)``."""
        return self.request("GET", path, params=params, headers=headers,
                            remaining_ms=remaining_ms)

    def get_json(self, path: str, *, params: Mapping[str, str] | None = None,
                 headers: Mapping[str, str] | None = None, remaining_ms: int | None = None,
                 not_found: Collection[int] = (404,)) -> Any:
        """GET a JSON document; ``None`` when the status is in ``not_found`` (the API's
        "unknown indicator", a normal answer).

        Raises:
            ServiceError: a status other than 2xx and ``not_found``.
            MalformedResponseError: a 2xx body that is not JSON.
            LookupFailedError: as :meth:`request`.
        """
        response = self.get(path, params=params, headers=headers, remaining_ms=remaining_ms)
        return self.json_or_none(response, not_found)

    def json_or_none(self, response: HttpResponse, not_found: Collection[int] = (404,)) -> Any:
        """The JSON body of a 2xx ``response``; ``None`` for a status in ``not_found``.

        Raises:
            ServiceError: any other status.
            MalformedResponseError: a 2xx body that is not JSON.
        """
        if response.status in not_found:
            return None
        if not 200 <= response.status < 300:
            raise ServiceError(f"{response.url} answered an unexpected {response.status}",
                               service=self.service, status=response.status)
        return response.json()

    def close(self) -> None:
        """Close the pooled connections (a new pool is made on the next request)."""
        with self._lock:
            if self._pool is not None:
                self._pool.clear()
                self._pool = None

    # -----------------------------------------------------------------------------------------

    def _pool_manager(self) -> urllib3.PoolManager:
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    import urllib3

                    self._pool = urllib3.PoolManager(maxsize=self._max_connections, block=False)
        return self._pool

    def _count(self, retried: list[int]) -> None:
        with self._lock:
            self.requests += 1 + retried[0]

    def _check_status(self, method: str, response: HttpResponse) -> None:
        status = response.status
        where = f"{method} {response.url}"
        if status == 403:
            limit = _rate_limit_403(response.headers)
            if limit is not None:  # GitHub's rate limits, among others, answer 403
                why, wait = limit
                raise RateLimitedError(f"{where} answered 403: rate limited ({why})",
                                       service=self.service, status=403, retry_after=wait)
        if status in (401, 403):
            raise AuthenticationError(
                f"{where} answered {status}: check the API key and its permissions",
                service=self.service, status=status)
        if status == 429:
            raise RateLimitedError(
                f"{where} answered 429 after {self.retry.attempts} attempts",
                service=self.service, status=429,
                retry_after=_retry_after(response.headers.get("retry-after")))
        if status >= 500:
            raise ServiceError(f"{where} answered {status} after {self.retry.attempts} attempts",
                               service=self.service, status=status)


def _transport_error(exc: Exception, method: str, url: str, service: str) -> Exception:
    import urllib3

    reason = exc.reason if isinstance(exc, urllib3.exceptions.MaxRetryError) else exc
    if isinstance(reason, urllib3.exceptions.NewConnectionError):  # a ConnectTimeoutError too
        return ServiceError(f"{method} {url} failed: no connection", service=service)
    if isinstance(reason, urllib3.exceptions.TimeoutError):
        return LookupTimeoutError(f"{method} {url} timed out", service=service)
    if isinstance(reason, urllib3.exceptions.ProtocolError):
        return ServiceError(f"{method} {url} failed: the connection broke", service=service)
    return ServiceError(f"{method} {url} failed: {type(reason).__name__}", service=service)


def _without_query(url: str) -> str:
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _rate_limit_403(headers: Mapping[str, str], now: float | None = None
                    ) -> tuple[str, float | None] | None:
    """Whether a 403 is a rate limit, not a refusal: it says when to come back
    (``Retry-After``) or that no request is left (``X-RateLimit-Remaining: 0``, with the
    reset time as epoch seconds in ``X-RateLimit-Reset``). ``(what said so, seconds to
    wait or None)``, or ``None`` for a refusal."""
    now = time.time() if now is None else now
    raw = headers.get("retry-after")
    if raw is not None:
        return "Retry-After", _retry_after(raw, now)
    if headers.get("x-ratelimit-remaining", "").strip() == "0":
        reset = _seconds(headers.get("x-ratelimit-reset"))
        return "X-RateLimit-Remaining: 0", (None if reset is None else max(0.0, reset - now))
    return None


def _retry_after(raw: str | None, now: float | None = None) -> float | None:
    """The seconds a ``Retry-After`` value asks to wait: delay-seconds or an HTTP date
    (RFC 9110), never negative; ``None`` when absent or unreadable."""
    if raw is None:
        return None
    wait = _seconds(raw)
    if wait is None:  # an HTTP date
        from email.utils import parsedate_to_datetime

        try:
            wait = parsedate_to_datetime(raw).timestamp() - (time.time() if now is None else now)
        except (TypeError, ValueError, OverflowError):
            return None
    return max(0.0, wait) if wait == wait else None  # NaN: unreadable


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
