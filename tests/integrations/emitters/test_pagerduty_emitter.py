"""The PagerDuty emitter against canned Events API v2 responses.

Shapes from https://developer.pagerduty.com/docs/events-api-v2/trigger-events/ (202
``{"status": "success", "message": "Event processed", "dedup_key": ...}``; 400
``{"status": "invalid event", "message": "Event object is invalid", "errors": [...]}``) and
the retry rules of https://developer.pagerduty.com/docs/events-api-v2/overview/ (429 and 5xx
are retried; the dedup_key makes a retry safe).
"""

from __future__ import annotations

import logging

import pytest

from deepalert.errors import ConfigurationError
from deepalert.integrations.pagerduty import dedup_key, handler, pagerduty_emitter
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
    make_alert,
    make_attribute,
    make_report,
    run_emitter,
)
from tests.integrations.emitters.conftest import (
    REPORT_ID,
    Sleeps,
    deliver_twice,
    fast_client,
    urgent_report,
)

ROUTE = "POST /v2/enqueue"
KEY = "R0UTINGKEYSECRET00000000000000"


def accepted(key: str = f"deepalert:{REPORT_ID}") -> CannedResponse:
    return CannedResponse(status=202, json={"status": "success", "message": "Event processed",
                                            "dedup_key": key})


def _emitter(server: CannedHttpServer, sleeps: Sleeps, store: object, timeout: float = 2.0,
             **options: object) -> object:
    return pagerduty_emitter(KEY, store=store, events_url=server.url,  # type: ignore[arg-type]
                             client=fast_client("pagerduty", server.url, sleeps,
                                                timeout=timeout), **options)  # type: ignore[arg-type]


def _fail(emitter: object, report: object = None) -> LookupFailedError:
    with pytest.raises(LookupFailedError) as caught:
        emitter.emit(report or urgent_report(), FakeLambdaContext())  # type: ignore[attr-defined]
    return caught.value


def test_urgent_report_triggers_with_the_report_dedup_key(server, sleeps, store) -> None:
    """An urgent report triggers a critical alert keyed by the report ID."""
    server.route(ROUTE, accepted())
    link = make_attribute("url", "https://siem.example.com/q/1", "additional")
    report = make_report(make_alert(make_attribute("ipaddr", "198.51.100.7", "remote"), link,
                                    rule_id="ssh-bruteforce", detector="suricata"),
                         status="published", severity="urgent", reason="bad", id=REPORT_ID)
    assert not run_emitter(_emitter(server, sleeps, store), report, via="sqs").failed
    event = server.requests[0].json()
    assert event["routing_key"] == KEY
    assert event["event_action"] == "trigger"
    assert event["dedup_key"] == f"deepalert:{REPORT_ID}" == dedup_key(report)
    payload = event["payload"]
    assert payload["severity"] == "critical"
    assert payload["summary"].startswith("[URGENT] ssh-bruteforce")
    assert len(payload["summary"]) <= 1024
    assert payload["source"] == "suricata"
    assert payload["custom_details"]["report_id"] == REPORT_ID
    assert event["links"] == [{"href": "https://siem.example.com/q/1", "text": "Investigation"}]


def test_redelivery_sends_one_event(server, sleeps, store) -> None:
    """The same publication delivered twice sends one event."""
    server.route(ROUTE, accepted())
    deliver_twice(_emitter(server, sleeps, store), urgent_report())
    assert len(server.requests) == 1


def test_another_instance_resends_under_the_same_dedup_key(server, sleeps) -> None:
    """Without a shared store, another instance sends again, with the same dedup_key:
    PagerDuty folds both into one alert."""
    from deepalert.integrations import MemoryIdempotencyStore

    server.route(ROUTE, accepted())
    for _ in range(2):
        run_emitter(_emitter(server, sleeps, MemoryIdempotencyStore()), urgent_report())
    keys = {r.json()["dedup_key"] for r in server.requests}
    assert keys == {f"deepalert:{REPORT_ID}"}


def test_unclassified_is_not_paged_by_default(server, sleeps, store) -> None:
    """Below the trigger severity nothing is sent."""
    run_emitter(_emitter(server, sleeps, store), urgent_report("unclassified"))
    assert server.requests == []


def test_lower_trigger_severity_pages_unclassified_as_warning(server, sleeps, store) -> None:
    """trigger_severity=unclassified pages unclassified reports as warnings."""
    server.route(ROUTE, accepted())
    run_emitter(_emitter(server, sleeps, store, trigger_severity="unclassified"),
                urgent_report("unclassified"))
    assert server.requests[0].json()["payload"]["severity"] == "warning"


def test_safe_resolves_when_configured(server, sleeps, store) -> None:
    """A safe publication resolves the report's alert, only with resolve_on_safe."""
    server.route(ROUTE, accepted())
    run_emitter(_emitter(server, sleeps, store), urgent_report("safe"))
    assert server.requests == []
    run_emitter(_emitter(server, sleeps, store, resolve_on_safe=True), urgent_report("safe"))
    event = server.requests[0].json()
    assert event["event_action"] == "resolve"
    assert event["dedup_key"] == f"deepalert:{REPORT_ID}"
    assert "payload" not in event


def test_invalid_event_names_pagerdutys_errors(server, sleeps, store) -> None:
    """400 invalid event fails the record with PagerDuty's error list, not the key."""
    server.route(ROUTE, CannedResponse(status=400, json={
        "status": "invalid event", "message": "Event object is invalid",
        "errors": ["'payload.summary' is missing or blank"]}))
    error = _fail(_emitter(server, sleeps, store))
    assert isinstance(error, ServiceError)
    assert "'payload.summary' is missing or blank" in str(error)
    assert KEY not in str(error)


def test_401_is_an_authentication_error(server, sleeps, store) -> None:
    """401 fails the record as an authentication error."""
    server.route(ROUTE, CannedResponse(status=401, json={"status": "unauthorized"}))
    assert isinstance(_fail(_emitter(server, sleeps, store)), AuthenticationError)


def test_429_is_retried_per_retry_after(server, sleeps, store) -> None:
    """A throttled event is sent again after Retry-After; one alert results."""
    server.route(ROUTE, [CannedResponse(status=429, headers={"Retry-After": "3"}),
                         accepted()])
    assert not run_emitter(_emitter(server, sleeps, store), urgent_report()).failed
    assert sleeps == [3.0]
    assert len(server.requests) == 2


def test_429_every_time_fails_rate_limited(server, sleeps, store) -> None:
    """Still throttled after the attempts: the record fails as rate limited."""
    server.route(ROUTE, CannedResponse(status=429, headers={"Retry-After": "1"}))
    assert isinstance(_fail(_emitter(server, sleeps, store)), RateLimitedError)
    assert len(server.requests) == 3


def test_5xx_is_retried_then_succeeds(server, sleeps, store) -> None:
    """A 500 is retried (safe thanks to the dedup_key)."""
    server.route(ROUTE, [CannedResponse(status=500), CannedResponse(status=503), accepted()])
    assert not run_emitter(_emitter(server, sleeps, store), urgent_report()).failed
    assert len(server.requests) == 3


def test_5xx_every_time_fails(server, sleeps, store) -> None:
    """Persistent 5xx fails the record as a service error."""
    server.route(ROUTE, CannedResponse(status=502))
    assert isinstance(_fail(_emitter(server, sleeps, store)), ServiceError)


def test_timeout_fails_the_record(server, sleeps, store) -> None:
    """No answer in time: the record fails as a timeout."""
    server.route(ROUTE, CannedResponse(status=202, json={"status": "success"}, delay=1.0))
    assert isinstance(_fail(_emitter(server, sleeps, store, timeout=0.2)), LookupTimeoutError)


def test_malformed_json_fails(server, sleeps, store) -> None:
    """A 202 whose body is not JSON fails the record as malformed."""
    server.route(ROUTE, CannedResponse(status=202, body="{not json"))
    assert isinstance(_fail(_emitter(server, sleeps, store)), MalformedResponseError)


def test_the_routing_key_is_never_logged(server, sleeps, store, caplog) -> None:
    """Neither logs nor reprs hold the routing key."""
    caplog.set_level(logging.DEBUG)
    server.route(ROUTE, [CannedResponse(status=400, json={"errors": ["x"]}), accepted()])
    emitter = _emitter(server, sleeps, store)
    run_emitter(emitter, urgent_report(), via="sqs")
    run_emitter(emitter, urgent_report(), via="sqs")
    assert KEY not in caplog.text
    assert KEY not in repr(emitter)


def test_env_handler(server, call_env_handler) -> None:
    """The ready handler reads the routing key from the secret named by SECRET_ARN and its
    options from the environment; safe reports resolve with RESOLVE_ON_SAFE=true."""
    server.route(ROUTE, accepted())
    response = call_env_handler(handler, urgent_report("safe"),
                                secret=("deepalert/pd", {"pagerduty_routing_key": KEY}),
                                RESOLVE_ON_SAFE="true", PAGERDUTY_EVENTS_URL=server.url)
    assert response == {"batchItemFailures": []}
    event = server.requests[0].json()
    assert (event["routing_key"], event["event_action"]) == (KEY, "resolve")


def test_bad_options_are_configuration_errors() -> None:
    """An unknown trigger severity or PagerDuty severity is refused at build time."""
    with pytest.raises(ConfigurationError, match="trigger_severity"):
        pagerduty_emitter(KEY, trigger_severity="high")
    with pytest.raises(ConfigurationError, match="PagerDuty severities"):
        pagerduty_emitter(KEY, severity_map={"urgent": "sev1"})


def test_404_fails_as_a_service_error(server, sleeps, store) -> None:
    """A 404 (a wrong Events API URL, such as a region mix-up) fails the record."""
    server.route(ROUTE, CannedResponse(status=404, body="Not Found"))
    error = _fail(_emitter(server, sleeps, store))
    assert isinstance(error, ServiceError)
    assert "404" in str(error)
