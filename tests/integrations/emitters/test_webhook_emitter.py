"""The signed webhook emitter, and verifying its signature as a receiver does.

The receiver here is our own canned server; the contract is the module's documented one:
``X-DeepAlert-Signature: v1=<hex HMAC-SHA256("<timestamp>.<body>")>``,
``X-DeepAlert-Timestamp``, ``X-DeepAlert-Delivery``; 2xx is success.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deepalert.errors import ConfigurationError
from deepalert.integrations.webhook import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureError,
    handler,
    sign,
    verify_signature,
    webhook_emitter,
)
from deepalert.lookup import (
    AuthenticationError,
    LookupFailedError,
    LookupTimeoutError,
    RateLimitedError,
    ServiceError,
)
from deepalert.testing import (
    CannedHttpServer,
    CannedResponse,
    FakeLambdaContext,
    run_emitter,
)
from tests.integrations.emitters.conftest import (
    REPORT_ID,
    Sleeps,
    deliver_twice,
    fast_client,
    urgent_report,
)

PATH = "/hooks/deepalert/TOKENSECRET123"
SECRET = "whsec_SIGNINGSECRET"


def _emitter(server: CannedHttpServer, sleeps: Sleeps, store: object,
             timeout: float = 2.0) -> object:
    return webhook_emitter(server.url + PATH, SECRET, store=store,  # type: ignore[arg-type]
                           client=fast_client("webhook", server.url, sleeps, timeout=timeout))


def _fail(emitter: object) -> LookupFailedError:
    with pytest.raises(LookupFailedError) as caught:
        emitter.emit(urgent_report(), FakeLambdaContext())  # type: ignore[attr-defined]
    return caught.value


def test_delivery_is_signed_and_verifies(server, sleeps, store) -> None:
    """The receiver verifies the signature over the exact bytes it received."""
    server.route(f"POST {PATH}", CannedResponse(status=204))
    assert not run_emitter(_emitter(server, sleeps, store), urgent_report()).failed
    [request] = server.requests
    headers = request.headers
    verify_signature(SECRET, request.body, signature=headers[SIGNATURE_HEADER.lower()],
                     timestamp=headers[TIMESTAMP_HEADER.lower()])
    body = request.json()
    assert body["event"] == "deepalert.report"
    assert body["report"]["id"] == REPORT_ID
    assert body["delivery"] == headers[DELIVERY_HEADER.lower()]
    assert body["title"].startswith("[URGENT]")


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    """The documented construction, computed independently."""
    body = b'{"a": 1}'
    expected = hmac.new(b"k", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign("k", body, 1700000000) == f"v1={expected}"


def test_verify_refuses_tampering_staleness_and_garbage() -> None:
    """A changed body, an old timestamp, a wrong secret or a missing header is refused."""
    body = b'{"x": 1}'
    good = sign(SECRET, body, 1000)
    verify_signature(SECRET, body, signature=good, timestamp="1000", now=1100)
    with pytest.raises(SignatureError, match="does not match"):
        verify_signature(SECRET, body + b" ", signature=good, timestamp="1000", now=1100)
    with pytest.raises(SignatureError, match="does not match"):
        verify_signature("other", body, signature=good, timestamp="1000", now=1100)
    with pytest.raises(SignatureError, match="away from now"):
        verify_signature(SECRET, body, signature=good, timestamp="1000", now=2000)
    with pytest.raises(SignatureError, match="missing"):
        verify_signature(SECRET, body, signature=None, timestamp="1000", now=1000)
    with pytest.raises(SignatureError, match="Unix seconds"):
        verify_signature(SECRET, body, signature=good, timestamp="yesterday", now=1000)
    with pytest.raises(SignatureError, match="no v1="):
        verify_signature(SECRET, body, signature="sha1=abc", timestamp="1000", now=1000)


def test_verify_accepts_any_of_several_secrets() -> None:
    """During a rotation the receiver passes the old and the new secret."""
    body = b"{}"
    verify_signature(["old", SECRET], body, signature=sign(SECRET, body, 5), timestamp=5, now=5)


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=200), st.text(min_size=1, max_size=20))
def test_sign_then_verify_round_trips(body: bytes, secret: str) -> None:
    """Any body signed with a secret verifies with it, and not after a bit flips."""
    signature = sign(secret, body, 42)
    verify_signature(secret, body, signature=signature, timestamp=42, now=42)
    with pytest.raises(SignatureError):
        verify_signature(secret, body + b"x", signature=signature, timestamp=42, now=42)


def test_redelivery_delivers_once_with_a_stable_delivery_id(server, sleeps, store) -> None:
    """The same publication twice: one POST; its delivery ID names the publication."""
    server.route(f"POST {PATH}", CannedResponse(status=200))
    deliver_twice(_emitter(server, sleeps, store), urgent_report())
    assert len(server.requests) == 1


def test_429_is_retried(server, sleeps, store) -> None:
    """429 is sent again after Retry-After; 5xx is not."""
    server.route(f"POST {PATH}", [CannedResponse(status=429, headers={"Retry-After": "1"}),
                                  CannedResponse(status=200)])
    assert not run_emitter(_emitter(server, sleeps, store), urgent_report()).failed
    assert sleeps == [1.0]


def test_429_always_is_rate_limited(server, sleeps, store) -> None:
    """Still 429 after the attempts: the record fails as rate limited."""
    server.route(f"POST {PATH}", CannedResponse(status=429))
    assert isinstance(_fail(_emitter(server, sleeps, store)), RateLimitedError)


@pytest.mark.parametrize(("status", "kind"), [(401, AuthenticationError),
                                              (404, ServiceError), (500, ServiceError),
                                              (503, ServiceError)])
def test_error_statuses_fail_without_secrets(server, sleeps, store, status, kind) -> None:
    """Errors fail the record at once and name the status, never the URL's token."""
    server.route(f"POST {PATH}", CannedResponse(status=status, body="TOKENSECRET123 echoed"))
    error = _fail(_emitter(server, sleeps, store))
    assert isinstance(error, kind)
    assert str(status) in str(error)
    assert "TOKENSECRET" not in str(error)
    assert len(server.requests) == 1


def test_timeout(server, sleeps, store) -> None:
    """A receiver slower than the timeout fails the record, the URL hidden."""
    server.route(f"POST {PATH}", CannedResponse(status=200, delay=1.0))
    error = _fail(_emitter(server, sleeps, store, timeout=0.2))
    assert isinstance(error, LookupTimeoutError)
    assert "TOKENSECRET" not in str(error)


def test_plain_http_to_a_remote_host_is_refused(sleeps, store) -> None:
    """Only https (or http to loopback) is used: the report is not sent in the clear."""
    emitter = webhook_emitter("http://example.com/hook", SECRET, store=store)
    with pytest.raises(ConfigurationError, match="https"):
        emitter.emit(urgent_report(), FakeLambdaContext())


def test_secrets_not_logged(server, sleeps, store, caplog) -> None:
    """Neither the URL's token nor the signing secret reaches the logs."""
    caplog.set_level(logging.DEBUG)
    server.route(f"POST {PATH}", [CannedResponse(status=500), CannedResponse(status=200)])
    emitter = _emitter(server, sleeps, store)
    run_emitter(emitter, urgent_report(), via="sqs")
    run_emitter(emitter, urgent_report(), via="sqs")
    assert "TOKENSECRET" not in caplog.text
    assert SECRET not in caplog.text


def test_env_handler(server, call_env_handler) -> None:
    """The ready handler reads the URL and secret from the secret named by SECRET_ARN."""
    server.route(f"POST {PATH}", CannedResponse(status=200))
    secrets = {"webhook_url": server.url + PATH, "webhook_secret": SECRET}
    response = call_env_handler(handler, urgent_report("unclassified"),
                                secret=("deepalert/webhook", secrets))
    assert response == {"batchItemFailures": []}
    request = server.requests[0]
    verify_signature(SECRET, request.body, signature=request.headers["x-deepalert-signature"],
                     timestamp=request.headers["x-deepalert-timestamp"])
