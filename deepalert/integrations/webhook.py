"""A generic webhook: POST each report as JSON, signed with HMAC-SHA256.

==================  ==============================================================
Request             ``POST <your URL>`` with ``Content-Type: application/json`` and the body
                    ``{"event": "deepalert.report", "delivery": ID, "title": ...,
                    "text": ..., "report": {...}}`` (``report`` is the report as the core
                    writes it; ``text`` is :func:`deepalert.render.render_text`)
Headers             ``X-DeepAlert-Timestamp``: Unix seconds when signed;
                    ``X-DeepAlert-Signature``: ``v1=`` + hex HMAC-SHA256 of
                    ``<timestamp>.<body bytes>`` under the shared secret;
                    ``X-DeepAlert-Delivery``: the publication's ID (the same on every
                    redelivery of it: receivers deduplicate on it)
Secrets             the signing secret; the URL too if it holds a token (never logged, never
                    in an error). ``https://`` only (``http://`` to the loopback address,
                    for tests)
Errors              2xx is success. 401/403: :class:`AuthenticationError`; 429: retried
                    per ``Retry-After`` while the deadline allows; 5xx, timeouts, other
                    statuses: the record fails at once (the receiver may have acted)
Idempotency         one delivery per publication per store (memory, or
                    ``DEEPALERT_IDEMPOTENCY_TABLE``); receivers get ``X-DeepAlert-Delivery`` to
                    close the remaining gap (a crash after the POST)
==================  ==============================================================

Verifying on the receiving side (any language: HMAC-SHA256, hex, constant-time compare)::

    from deepalert.integrations.webhook import verify_signature

    verify_signature(secret, body, signature=headers["X-DeepAlert-Signature"],
                     timestamp=headers["X-DeepAlert-Timestamp"])   # raises SignatureError

Ready handler ``deepalert.integrations.webhook.handler``: ``SECRET_ARN`` (a JSON secret with
``webhook_url`` and ``webhook_secret``), ``MIN_SEVERITY`` (default: every severity),
``DEEPALERT_IDEMPOTENCY_TABLE``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import os
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from deepalert.emitter import Emitter
from deepalert.errors import ConfigurationError, DeepAlertError
from deepalert.integrations._common import (
    EnvHandler,
    build_emitter,
    default_store,
    env_secret,
    fingerprint,
    left_ms,
    redact,
)
from deepalert.integrations._idempotency import IdempotencyStore, publication_key, run_once
from deepalert.lookup import HttpClient, LookupFailedError, RetryPolicy, Secret, ServiceError
from deepalert.lookup._hide import hide_in_logs
from deepalert.lookup._once import send_once
from deepalert.models import Report, ReportStatus, Severity
from deepalert.render import render_text, report_title

__all__ = ["DELIVERY_HEADER", "SIGNATURE_HEADER", "TIMESTAMP_HEADER", "SignatureError",
           "SignedWebhook", "handler", "sign", "verify_signature", "webhook_emitter"]

logger = logging.getLogger("deepalert.integrations.webhook")

SIGNATURE_HEADER = "X-DeepAlert-Signature"
TIMESTAMP_HEADER = "X-DeepAlert-Timestamp"
DELIVERY_HEADER = "X-DeepAlert-Delivery"
DEFAULT_TOLERANCE_S = 300
"""How old a signature :func:`verify_signature` accepts by default (replays after are refused)."""


class SignatureError(DeepAlertError, ValueError):
    """A webhook request whose signature is missing, malformed, stale or wrong."""


def sign(secret: str | bytes, body: bytes, timestamp: int | str) -> str:
    """``v1=<hex HMAC-SHA256 of "<timestamp>.<body>">``: the signature header's value."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    message = str(timestamp).encode("ascii") + b"." + body
    return "v1=" + hmac.new(key, message, hashlib.sha256).hexdigest()


def verify_signature(secret: str | bytes | Sequence[str | bytes], body: bytes, *,
                     signature: str | None, timestamp: str | int | None,
                     tolerance_s: float = DEFAULT_TOLERANCE_S, now: float | None = None
                     ) -> None:
    """Check a received webhook request; return quietly if it is genuine.

    Args:
        secret: the shared secret, or several (while rotating: the old and the new).
        body: the raw request body, exactly as received (not re-serialised JSON).
        signature: the ``X-DeepAlert-Signature`` header.
        timestamp: the ``X-DeepAlert-Timestamp`` header.
        tolerance_s: the oldest (and furthest in the future) timestamp accepted, in seconds.
        now: the current Unix time (tests).

    Raises:
        SignatureError: a header is missing or malformed, the timestamp is outside the
            tolerance, or no secret gives the signature.
    """
    if not signature or timestamp is None or timestamp == "":
        raise SignatureError(f"missing {SIGNATURE_HEADER} or {TIMESTAMP_HEADER} header")
    try:
        sent = int(str(timestamp))
    except ValueError:
        raise SignatureError(f"{TIMESTAMP_HEADER} is not Unix seconds") from None
    current = time.time() if now is None else now
    if abs(current - sent) > tolerance_s:
        raise SignatureError(f"{TIMESTAMP_HEADER} is more than {tolerance_s:g} s away from now "
                             "(a replay, or a clock out of sync)")
    secrets = [secret] if isinstance(secret, (str, bytes)) else list(secret)
    offered = [part.strip() for part in signature.split(",") if part.strip().startswith("v1=")]
    if not offered:
        raise SignatureError(f"{SIGNATURE_HEADER} has no v1= signature")
    for candidate in secrets:
        expected = sign(candidate, body, sent)
        if any(hmac.compare_digest(expected, given) for given in offered):
            return
    raise SignatureError("the signature does not match the body under the shared secret")


def _check_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        raise ConfigurationError("the webhook URL is not a valid URL") from None
    if parts.scheme == "https" and host:
        return
    if parts.scheme == "http":
        try:
            if host == "localhost" or ipaddress.ip_address(host).is_loopback:
                return
        except ValueError:
            pass
    raise ConfigurationError("the webhook URL must be https:// (http:// only to the loopback "
                             "address)")


class SignedWebhook:
    """Posts signed report deliveries to one URL.

    Args:
        url: the receiver's URL (a :class:`Secret` or text).
        secret: the shared signing secret (a :class:`Secret` or text).
        client: the HTTP client.
        clock: Unix seconds (tests).
    """

    def __init__(self, url: Secret | str, secret: Secret | str, *,
                 client: HttpClient | None = None, clock: Any = time.time) -> None:
        self._url = url
        self._secret = secret
        self._clock = clock
        self.client = client or HttpClient("webhook", retry=RetryPolicy(attempts=3))

    def __repr__(self) -> str:
        return "SignedWebhook(url=***, secret=***)"

    @property
    def target(self) -> str:
        """The URL's fingerprint, safe to log."""
        source = self._url.describe() if isinstance(self._url, Secret) else self._url
        return fingerprint(source)

    def body(self, report: Report, delivery: str) -> dict[str, Any]:
        """The JSON document delivered for ``report``."""
        return {"event": "deepalert.report", "delivery": delivery,
                "title": report_title(report), "text": render_text(report, max_chars=20_000),
                "report": json.loads(report.to_json())}

    def deliver(self, report: Report, delivery: str, remaining_ms: int | None = None) -> int:
        """POST the signed delivery; return the receiver's HTTP status.

        Raises:
            ConfigurationError: the URL is not https.
            LookupFailedError: the receiver did not answer 2xx (see the module table).
        """
        url = self._url.get() if isinstance(self._url, Secret) else self._url
        _check_url(url)
        hide_in_logs(url)
        secret = self._secret.get() if isinstance(self._secret, Secret) else self._secret
        document = self.body(report, delivery)
        # HttpClient writes json= with json.dumps' defaults: sign exactly those bytes.
        raw = json.dumps(document).encode()
        timestamp = int(self._clock())
        headers = {SIGNATURE_HEADER: sign(secret, raw, timestamp),
                   TIMESTAMP_HEADER: str(timestamp), DELIVERY_HEADER: delivery}
        try:
            response = send_once(self.client, "POST", url, json=document, headers=headers,
                                 remaining_ms=remaining_ms)
        except LookupFailedError as exc:
            raise redact(exc, "the webhook") from None
        if not 200 <= response.status < 300:
            raise ServiceError(f"the webhook answered HTTP {response.status}",
                               service="webhook", status=response.status)
        return response.status


def webhook_emitter(url: Secret | str, secret: Secret | str, *,
                    min_severity: Severity | str | None = None,
                    statuses: Sequence[ReportStatus | str] = (ReportStatus.PUBLISHED,),
                    store: IdempotencyStore | None = None,
                    client: HttpClient | None = None) -> Emitter[Any, None]:
    """A ready emitter that POSTs each publication, signed, to ``url``.

    Example::

        forward = webhook_emitter(Secret(env="SECRET_ARN", key="webhook_url"),
                                  Secret(env="SECRET_ARN", key="webhook_secret"))
    """
    hook = SignedWebhook(url, secret, client=client)

    def act(report: Report, context: object) -> None:
        key = publication_key(f"webhook:{hook.target}", report)
        delivery = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
        chosen = store if store is not None else default_store()
        ran, _ = run_once(chosen, key, lambda: hook.deliver(report, delivery, left_ms(context)))
        if ran:
            logger.info("delivered report %s to webhook %s (delivery %s)", report.id,
                        hook.target, delivery)

    return build_emitter("deepalert.integrations.webhook.webhook_emitter", act,
                         statuses=statuses, min_severity=min_severity)


def _from_env() -> Emitter[Any, None]:
    return webhook_emitter(env_secret("webhook_url"), env_secret("webhook_secret"),
                           min_severity=os.environ.get("MIN_SEVERITY", "").strip() or None)


handler = EnvHandler(_from_env, "deepalert.integrations.webhook.handler")
"""The Lambda handler: ``SECRET_ARN`` (``webhook_url``, ``webhook_secret``), ``MIN_SEVERITY``,
``DEEPALERT_IDEMPOTENCY_TABLE``."""
