"""What every ready emitter shares: settings from the environment, the Lambda handler built
on first use, the idempotency store, and errors that never carry a secret URL."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

from deepalert._lambda import remaining_ms
from deepalert.emitter import Emitter, emitter
from deepalert.errors import ConfigurationError
from deepalert.integrations._idempotency import (
    DynamoDBIdempotencyStore,
    IdempotencyStore,
    MemoryIdempotencyStore,
)
from deepalert.lookup import LookupFailedError, Secret
from deepalert.models import Report, ReportStatus, Severity

__all__ = ["IDEMPOTENCY_TABLE_ENV", "EnvHandler", "SecretLike", "build_emitter", "default_store",
           "env_bool", "env_required", "env_secret", "fingerprint", "left_ms", "redact"]

logger = logging.getLogger("deepalert.integrations")

IDEMPOTENCY_TABLE_ENV = "DEEPALERT_IDEMPOTENCY_TABLE"
"""The environment variable naming the DynamoDB idempotency table (optional)."""
SECRET_ARN_ENV = "SECRET_ARN"
"""The environment variable naming the Secrets Manager secret (a JSON object) or SSM parameter
that holds an emitter's keys, as the Go plugins had it."""

_process_store = MemoryIdempotencyStore()


class SecretLike(Protocol):
    """Anything with ``get() -> str``: a :class:`Secret`, or an object that mints a
    short-lived credential (a GitHub App installation token) on each call."""

    def get(self) -> str:
        """The current value."""
        ...
R = TypeVar("R")


def default_store() -> IdempotencyStore:
    """The DynamoDB table named by ``DEEPALERT_IDEMPOTENCY_TABLE``, else this process's memory
    store."""
    table = os.environ.get(IDEMPOTENCY_TABLE_ENV, "").strip()
    return DynamoDBIdempotencyStore(table) if table else _process_store


def env_required(name: str, what: str) -> str:
    """The environment variable's value.

    Raises:
        ConfigurationError: it is unset or empty, naming it and what it is for.
    """
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"set {name} in the Lambda environment ({what})")
    return value


def env_bool(name: str, default: bool = False) -> bool:
    """``true``/``1``/``yes`` (any case) as True, ``false``/``0``/``no`` as False.

    Raises:
        ConfigurationError: any other value.
    """
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes"):
        return True
    if value in ("0", "false", "no"):
        return False
    raise ConfigurationError(f"{name} must be true or false, got {value!r}")


def env_secret(key: str) -> Secret:
    """The ``key`` of the JSON secret named by ``SECRET_ARN`` (read on first use)."""
    return Secret(env=SECRET_ARN_ENV, key=key)


def fingerprint(value: str) -> str:
    """12 hex digits of SHA-256: names a secret (a webhook URL) in keys without revealing it."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:12]


def left_ms(context: object) -> int | None:
    """Milliseconds left in the invocation (``None`` without a Lambda context)."""
    return remaining_ms(context)


def redact(exc: LookupFailedError, what: str) -> LookupFailedError:
    """The same error without its URL, for requests whose URL is a secret (webhooks).

    The new message names ``what`` (such as ``"the Slack webhook"``) and the HTTP status.
    """
    status = f" answered HTTP {exc.status}" if exc.status is not None else " failed"
    kind = type(exc).__name__
    copy = type(exc).__new__(type(exc))
    LookupFailedError.__init__(copy, f"{what}{status} ({kind})", service=exc.service,
                               status=exc.status)
    for name in ("retry_after",):
        if hasattr(exc, name):
            setattr(copy, name, getattr(exc, name))
    return copy


def build_emitter(name: str, action: Callable[[Report, object], None], *,
                  statuses: Iterable[ReportStatus | str] = (ReportStatus.PUBLISHED,),
                  min_severity: Severity | str | None = None) -> Emitter[Any, None]:
    """``@emitter`` around ``action(report, context)``, named ``name`` in logs."""
    def emit(report: Report, context: object = None) -> None:
        action(report, context)

    emit.__qualname__ = emit.__name__ = name.rsplit(".", 1)[-1]
    emit.__module__ = name.rsplit(".", 1)[0] if "." in name else __name__
    return emitter(statuses=statuses, min_severity=min_severity)(emit)


class EnvHandler:
    """A Lambda handler configured from the environment when first called, not at import.

    ``Handler: deepalert.integrations.slack.handler`` in a SAM template: the emitter is built
    from the function's environment variables on the first event and reused while the
    instance is warm. A missing setting raises :class:`ConfigurationError` naming it.
    """

    def __init__(self, build: Callable[[], Emitter[Any, None]], name: str) -> None:
        self._build = build
        self._name = name
        self._emitter: Emitter[Any, None] | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<EnvHandler {self._name}>"

    @property
    def emitter(self) -> Emitter[Any, None]:
        """The emitter, built from the environment on first use."""
        if self._emitter is None:
            with self._lock:
                if self._emitter is None:
                    self._emitter = self._build()
        return self._emitter

    def reset(self) -> None:
        """Forget the built emitter: the next call reads the environment again (tests)."""
        with self._lock:
            self._emitter = None

    def accepts(self, report: Report) -> bool:
        """Whether the emitter's filters let ``report`` through (builds the emitter)."""
        return self.emitter.accepts(report)

    def __call__(self, event: dict[str, Any], context: object = None) -> Any:
        return self.emitter(event, context)
