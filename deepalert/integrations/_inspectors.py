"""What every ready inspector shares: the egress guard in front, the lookup (cache and quota)
around the API call, API keys from secrets, and a handler configured from the environment.

Each service module keeps only its translation table: request, response fields, which model
field each lands in, its quota.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, cast

from deepalert.errors import HandlerDefinitionError
from deepalert.inspector import InspectionContext, Inspector, InspectorOutput, inspector
from deepalert.lookup import (
    Cache,
    EgressGuard,
    HttpClient,
    Lookup,
    MalformedResponseError,
    RateLimiter,
    Secret,
    cache_from_env,
    key_id,
    limiter_from_env,
)
from deepalert.models import Attribute

if TYPE_CHECKING:
    from deepalert.lookup import InspectorOptions, LookupOptions

__all__ = [
    "SECRET_ARN_ENV",
    "InspectorEnvHandler",
    "Service",
    "api_key_value",
    "aws_client",
    "aws_error_code",
    "aws_failure",
    "build_inspector",
    "build_lookup_inspector",
    "epoch",
    "field",
    "iso_time",
    "lookup_parts",
    "make_lookup",
    "nonempty",
    "quota_key",
    "strings",
    "when",
]

SECRET_ARN_ENV = "SECRET_ARN"
"""The environment variable naming the JSON secret that holds the API keys (as the Go
plugins had it)."""

Inspect = Callable[[Attribute, InspectionContext], InspectorOutput]


class Service:
    """A third-party service as the ready inspectors see it.

    Args:
        name: the service's name (cache keys, errors, the default author).
        types: the attribute types it can look up.
        quota: ``(calls, seconds)`` of the free tier, the default rate limit; ``None``: none.
    """

    def __init__(self, name: str, types: Iterable[str],
                 quota: tuple[int, float] | None) -> None:
        self.name = name
        self.types = tuple(str(t) for t in types)
        self.quota = quota


def make_lookup(service: Service, *, cache: Cache | None, limiter: RateLimiter | None,
                rate: tuple[int, float] | bool | None, ttl: float,
                not_found_ttl: float) -> Lookup:
    """The :class:`Lookup` an inspector uses: ``cache`` or :func:`cache_from_env`; ``limiter``,
    else a bucket for ``rate`` (``True``: the service's free-tier quota; ``None``/``False``:
    no limit) from :func:`limiter_from_env`."""
    if limiter is None and rate is not None and rate is not False:
        quota = service.quota if rate is True else rate
        if quota is not None:
            calls, per = quota
            limiter = limiter_from_env(calls, per, burst=1 if per <= 3600 else None,
                                       service=service.name)
    return Lookup(service.name, cache=cache if cache is not None else cache_from_env(),
                  limiter=limiter, ttl=ttl, not_found_ttl=not_found_ttl)


def api_key_value(api_key: Secret | str | None) -> str | None:
    """The key itself: read from the secret (cached), given as text, or ``None``."""
    if api_key is None or isinstance(api_key, str):
        return api_key or None
    return api_key.get()


def quota_key(api_key: str | None) -> str:
    """The rate-limit key for an API key (anonymous calls share ``"anonymous"``)."""
    return key_id(api_key) if api_key else "anonymous"


_LOOKUP_KEYS = frozenset({"types", "author", "base_url", "cache", "limiter", "rate", "ttl",
                          "not_found_ttl", "guard", "timeout", "retry"})
_INSPECTOR_KEYS = frozenset({"types", "author"})


def lookup_parts(service: Service, options: LookupOptions, *, base_url: str, ttl: float,
                 not_found_ttl: float, rate: tuple[int, float] | bool | None = None,
                 timeout: float = 10.0) -> tuple[HttpClient, Lookup]:
    """The HTTP client and the :class:`Lookup` of a ready inspector: its ``options``
    (:class:`~deepalert.lookup.LookupOptions`) over the service's defaults given here."""
    http = HttpClient(service.name, base_url=options.get("base_url", base_url),
                      timeout=options.get("timeout", timeout), retry=options.get("retry"))
    lookup = make_lookup(service, cache=options.get("cache"), limiter=options.get("limiter"),
                         rate=options.get("rate", rate), ttl=options.get("ttl", ttl),
                         not_found_ttl=options.get("not_found_ttl", not_found_ttl))
    return http, lookup


def build_lookup_inspector(service: Service, inspect: Inspect,
                           options: InspectorOptions | LookupOptions, *,
                           egress: bool = True) -> Inspector[Any]:
    """:func:`build_inspector` with ``types``, ``author`` and ``guard`` read from ``options``;
    the ``@inspector`` options among them go on to the decorator. ``egress=False``: the
    service is inside the account, ``options`` are :class:`InspectorOptions` only (no egress
    guard; a lookup keyword such as ``base_url`` is an unknown option there)."""
    taken = _LOOKUP_KEYS if egress else _INSPECTOR_KEYS
    rest = {key: value for key, value in options.items() if key not in taken}
    guard: EgressGuard | bool = False
    if egress:  # only LookupOptions hold a guard
        guard = cast("LookupOptions", options).get("guard", True)
    return build_inspector(service, inspect, author=options.get("author"),
                           types=options.get("types"), guard=guard, options=rest)


def build_inspector(service: Service, inspect: Inspect, *, author: str | None,
                    types: Iterable[str] | None, guard: EgressGuard | bool | None,
                    options: Mapping[str, Any]) -> Inspector[Any]:
    """``@inspector`` around ``inspect``, with the egress guard in front.

    Args:
        service: the service.
        inspect: the lookup and mapping for one attribute.
        author: the inspector's name (default: the service's).
        types: attribute types to inspect (default: all the service supports).
        guard: the egress guard (``True``: the default one; ``False``/``None``: none, for
            services inside the account).
        options: more ``@inspector`` options (``max_workers``, queue URLs, ...).

    Raises:
        HandlerDefinitionError: a type the service cannot look up, or a bad option.
    """
    chosen = tuple(str(t) for t in (service.types if types is None else types))
    unsupported = sorted(set(chosen) - set(service.types))
    if isinstance(types, str) or unsupported or not chosen:
        raise HandlerDefinitionError(
            f"{service.name} inspector: types= must be a non-empty list drawn from "
            f"{list(service.types)}, got {types!r}")
    for forbidden in ("author", "types"):
        if forbidden in options:
            raise HandlerDefinitionError(
                f"{service.name} inspector: pass {forbidden}= directly, not in options")
    active = EgressGuard() if guard is True else (guard or None)

    def run(attr: Attribute, ctx: InspectionContext) -> InspectorOutput:
        if active is not None:
            reason = active.refusal(attr)
            if reason is not None:
                ctx.logger.info(f"not sent to {service.name}: {reason}",
                                extra={"egress": "refused", "reason": reason})
                return None
        return inspect(attr, ctx)

    run.__name__ = run.__qualname__ = f"{service.name}_inspect"
    run.__module__ = f"deepalert.integrations.{service.name}"
    return inspector(author=author or service.name, types=chosen, **options)(run)


class InspectorEnvHandler:
    """A ready Lambda handler that builds its inspector from the environment on the first
    event (not at import) and reuses it while the instance is warm.

    ``Handler: deepalert.integrations.virustotal.handler`` in a SAM template is all it takes.
    """

    def __init__(self, build: Callable[[], Inspector[Any]], name: str) -> None:
        self._build = build
        self._name = name
        self._inspector: Inspector[Any] | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<InspectorEnvHandler {self._name}>"

    @property
    def inspector(self) -> Inspector[Any]:
        """The inspector, built on first use."""
        if self._inspector is None:
            with self._lock:
                if self._inspector is None:
                    self._inspector = self._build()
        return self._inspector

    def reset(self) -> None:
        """Forget the built inspector: the next call reads the environment again (tests)."""
        with self._lock:
            self._inspector = None

    def __call__(self, event: Any, context: Any = None) -> Any:
        return self.inspector(event, context)

    def __getattr__(self, name: str) -> Any:
        # invoke(), accepts(), author, func ...: the handler stands in for its inspector, so
        # run_inspector, LocalPipeline and `deepalert inspect` take it as they take one.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.inspector, name)


# --- reading API answers -------------------------------------------------------------------


def field(document: Any, path: str, kind: type | tuple[type, ...], *, service: str,
          default: Any = None, required: bool = False) -> Any:
    """The value at a dotted ``path`` of a JSON document, checked to be of ``kind``.

    A missing or ``null`` value gives ``default`` (or, when ``required``, an error); a value
    of another type is an error: the API's documented shape is part of the contract.

    Raises:
        MalformedResponseError: naming the service and the path.
    """
    node = document
    for part in path.split("."):
        if not isinstance(node, dict):
            raise MalformedResponseError(
                f"answer has no object at {path!r} (got {type(node).__name__})",
                service=service)
        node = node.get(part)
        if node is None:
            if required:
                raise MalformedResponseError(f"answer lacks {path!r}", service=service)
            return default
    if kind is float and isinstance(node, int) and not isinstance(node, bool):
        return float(node)
    if not isinstance(node, kind) or (isinstance(node, bool) and kind in (int, float)):
        raise MalformedResponseError(
            f"answer field {path!r} is {type(node).__name__}, expected "
            f"{_kind_name(kind)}", service=service)
    return node


def strings(values: Any) -> list[str]:
    """The strings of a JSON list (other items dropped)."""
    return [v for v in values if isinstance(v, str) and v] if isinstance(values, list) else []


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)


def epoch(value: Any) -> datetime | None:
    """A UTC time from epoch seconds, or ``None``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        return None
    return datetime.fromtimestamp(value, tz=timezone.utc)


def iso_time(value: Any) -> datetime | None:
    """A UTC time from ISO 8601 text (a date alone is midnight UTC), or ``None``."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def nonempty(values: Collection[str]) -> list[str] | None:
    """``values`` as a list without duplicates, or ``None`` when empty (fields omitted)."""
    seen = list(dict.fromkeys(v for v in values if v))
    return seen or None


# --- AWS services ------------------------------------------------------------------------------

_AUTH_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
                         "UnrecognizedClientException", "InvalidClientTokenId",
                         "ExpiredToken", "ExpiredTokenException"})
_THROTTLE_CODES = frozenset({"Throttling", "ThrottlingException", "RequestLimitExceeded",
                             "TooManyRequestsException"})


def aws_error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ``ClientError`` (``None`` for other errors)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None


def aws_failure(exc: Exception, service: str, action: str) -> Exception:
    """A boto3 error as the lookup error that fails the record: access denied as
    :class:`AuthenticationError`, throttling as :class:`RateLimitedError`, the rest as
    :class:`ServiceError`; the message names the action and the code only."""
    from deepalert.lookup import AuthenticationError, RateLimitedError, ServiceError

    code = aws_error_code(exc) or type(exc).__name__
    detail = f"{action} failed: {code}"
    if code in _AUTH_CODES:
        return AuthenticationError(f"{detail} (check the function's IAM policy)",
                                   service=service)
    if code in _THROTTLE_CODES:
        return RateLimitedError(detail, service=service)
    return ServiceError(detail, service=service)


def aws_client(service: str, region: str | None, timeout: float) -> Any:
    """A boto3 client with bounded timeouts and standard retries."""
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=min(timeout, 5.0), read_timeout=timeout,
                    retries={"mode": "standard", "max_attempts": 3})
    return boto3.client(service, region_name=region, config=config)


def when(value: Any) -> str:
    """A boto3 datetime as RFC 3339 text in UTC (``""`` for none), for caching as JSON."""
    if not isinstance(value, datetime):
        return ""
    moment: datetime = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
