"""The Opsgenie emitter against canned Alert API responses.

Shapes from https://docs.opsgenie.com/docs/alert-api (create alert: 202
``{"result": "Request will be processed", "took": 0.302, "requestId": ...}``; close alert by
alias with ``identifierType=alias``), https://docs.opsgenie.com/docs/response (422
``{"message": "Request body is not processable...", "errors": {...}}``; 401 for a bad key)
and https://docs.opsgenie.com/docs/api-rate-limiting (429).
"""

from __future__ import annotations

import logging

import pytest

from deepalert.errors import ConfigurationError
from deepalert.integrations import MemoryIdempotencyStore
from deepalert.integrations.opsgenie import alert_alias, handler, opsgenie_emitter
from deepalert.lookup import (
    AuthenticationError,
    LookupFailedError,
    LookupTimeoutError,
    MalformedResponseError,
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

KEY = "eb243592-faa2-4ba2-a551-SECRETKEY000"
CREATE = "POST /v2/alerts"
CLOSE = f"POST /v2/alerts/deepalert-{REPORT_ID}/close"


def accepted() -> CannedResponse:
    return CannedResponse(status=202, json={"result": "Request will be processed",
                                            "took": 0.302,
                                            "requestId": "43a29c5c-3dbf-4fa4-9c26-f4f71023e120"})


def _emitter(server: CannedHttpServer, sleeps: Sleeps, store: object, timeout: float = 2.0,
             **options: object) -> object:
    return opsgenie_emitter(KEY, store=store, api_url=server.url,  # type: ignore[arg-type]
                            client=fast_client("opsgenie", server.url, sleeps, timeout=timeout),
                            **options)  # type: ignore[arg-type]


def _fail(emitter: object) -> LookupFailedError:
    with pytest.raises(LookupFailedError) as caught:
        emitter.emit(urgent_report(), FakeLambdaContext())  # type: ignore[attr-defined]
    return caught.value


def test_urgent_report_creates_a_p1_alert_keyed_by_alias(server, sleeps, store) -> None:
    """An urgent report creates a P1 alert with the report's alias and the GenieKey header."""
    server.route(CREATE, accepted())
    emitter = _emitter(server, sleeps, store, tags=["security"])
    assert not run_emitter(emitter, urgent_report(), via="sqs").failed
    [request] = server.requests
    assert request.headers["authorization"] == f"GenieKey {KEY}"
    alert = request.json()
    assert alert["alias"] == f"deepalert-{REPORT_ID}" == alert_alias(urgent_report())
    assert alert["priority"] == "P1"
    assert len(alert["message"]) <= 130
    assert alert["message"].startswith("[URGENT]")
    assert alert["details"]["report_id"] == REPORT_ID
    assert alert["tags"] == ["security"]
    assert len(alert["description"]) <= 15_000


def test_redelivery_creates_once(server, sleeps, store) -> None:
    """The same publication twice: one request (and the alias would fold a second)."""
    server.route(CREATE, accepted())
    deliver_twice(_emitter(server, sleeps, store), urgent_report())
    assert len(server.requests) == 1


def test_safe_closes_by_alias_when_configured(server, sleeps, store) -> None:
    """A safe report closes its alert by alias, only with close_on_safe."""
    server.route(CLOSE, accepted())
    run_emitter(_emitter(server, sleeps, store), urgent_report("safe"))
    assert server.requests == []
    run_emitter(_emitter(server, sleeps, store, close_on_safe=True), urgent_report("safe"))
    [request] = server.requests
    assert request.query["identifierType"] == ["alias"]
    assert request.json()["source"] == "DeepAlert"


def test_unclassified_is_below_the_default_threshold(server, sleeps, store) -> None:
    """By default only urgent reports make an alert."""
    run_emitter(_emitter(server, sleeps, store), urgent_report("unclassified"))
    assert server.requests == []


def test_422_names_opsgenies_errors(server, sleeps, store) -> None:
    """422 fails the record with Opsgenie's message and field errors."""
    server.route(CREATE, CannedResponse(status=422, json={
        "message": "Request body is not processable. Please check the errors.",
        "errors": {"message": "Message can not be empty."}, "took": 0.01,
        "requestId": "r"}))
    error = _fail(_emitter(server, sleeps, store))
    assert isinstance(error, ServiceError)
    assert "Message can not be empty." in str(error)
    assert KEY not in str(error)


def test_401_bad_key(server, sleeps, store) -> None:
    """401 fails the record as an authentication error."""
    server.route(CREATE, CannedResponse(status=401, json={
        "message": "Key format is not valid!", "took": 0.0, "requestId": "r"}))
    assert isinstance(_fail(_emitter(server, sleeps, store)), AuthenticationError)


def test_429_and_5xx_are_retried(server, sleeps, store) -> None:
    """429 (after Retry-After) and 5xx are retried; the alias makes that safe."""
    server.route(CREATE, [CannedResponse(status=429, headers={"Retry-After": "2"}),
                          CannedResponse(status=503), accepted()])
    assert not run_emitter(_emitter(server, sleeps, store), urgent_report()).failed
    assert len(server.requests) == 3
    assert sleeps[0] == 2.0


def test_429_every_time(server, sleeps, store) -> None:
    """Still rate limited after the attempts: RateLimitedError."""
    server.route(CREATE, CannedResponse(status=429))
    assert isinstance(_fail(_emitter(server, sleeps, store)), RateLimitedError)


def test_malformed_and_timeout(server, sleeps) -> None:
    """A 202 that is not JSON, or no answer in time, fails the record."""
    server.route(CREATE, CannedResponse(status=202, body="<html>"))
    assert isinstance(_fail(_emitter(server, sleeps, MemoryIdempotencyStore())),
                      MalformedResponseError)
    server.route(CREATE, CannedResponse(status=202, json={"requestId": "r"}, delay=1.0))
    assert isinstance(_fail(_emitter(server, sleeps, MemoryIdempotencyStore(), timeout=0.2)),
                      LookupTimeoutError)


def test_key_never_logged(server, sleeps, store, caplog) -> None:
    """The API key is in no log line or repr."""
    caplog.set_level(logging.DEBUG)
    server.route(CREATE, [CannedResponse(status=422, json={"message": "x"}), accepted()])
    emitter = _emitter(server, sleeps, store)
    run_emitter(emitter, urgent_report(), via="sqs")
    run_emitter(emitter, urgent_report(), via="sqs")
    assert KEY not in caplog.text
    assert KEY not in repr(emitter)


def test_env_handler(server, call_env_handler) -> None:
    """The ready handler reads the key, the API URL and the options from the environment."""
    server.route(CREATE, accepted())
    response = call_env_handler(handler, urgent_report("unclassified"),
                                secret=("deepalert/opsgenie", {"opsgenie_api_key": KEY}),
                                OPSGENIE_API_URL=server.url, MIN_SEVERITY="unclassified",
                                OPSGENIE_TAGS="deepalert, soc")
    assert response == {"batchItemFailures": []}
    alert = server.requests[0].json()
    assert (alert["priority"], alert["tags"]) == ("P3", ["deepalert", "soc"])


def test_bad_options() -> None:
    """Unknown priorities and severities are refused when building."""
    with pytest.raises(ConfigurationError, match="P1 to P5"):
        opsgenie_emitter(KEY, priority_map={"urgent": "critical"})
    with pytest.raises(ConfigurationError, match="min_severity"):
        opsgenie_emitter(KEY, min_severity="high")


def test_404_names_opsgenies_message(server, sleeps, store) -> None:
    """404 (an API path or instance that does not exist) fails the record with the message."""
    server.route(CREATE, CannedResponse(status=404, json={
        "message": "Could not find resource", "took": 0.0, "requestId": "r"}))
    error = _fail(_emitter(server, sleeps, store))
    assert isinstance(error, ServiceError)
    assert "Could not find resource" in str(error)
