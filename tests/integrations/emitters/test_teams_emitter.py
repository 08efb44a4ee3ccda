"""The Teams emitter against canned webhook answers.

The message shape and the 28 KB limit are from
https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using
(an ``attachments`` list with ``contentType: application/vnd.microsoft.card.adaptive``;
HTTP 429 when rate limited; legacy connectors answer 200 with ``1``, Workflows webhooks 202).
TextRun text is not Markdown: https://adaptivecards.io/explorer/TextRun.html.
"""

from __future__ import annotations

import json
import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deepalert import ContentHost
from deepalert.integrations import MemoryIdempotencyStore
from deepalert.integrations.teams import handler, render_card, teams_emitter
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

PATH = "/workflows/abc/triggers/manual/paths/invoke"
QUERY = "?api-version=2016-06-01&sp=%2Ftriggers&sv=1.0&sig=SIGSECRET123"


def _emitter(server: CannedHttpServer, sleeps: Sleeps, store: object,
             timeout: float = 2.0) -> object:
    return teams_emitter(server.url + PATH + QUERY, store=store,  # type: ignore[arg-type]
                         client=fast_client("teams", server.url, sleeps, timeout=timeout))


def _fail(emitter: object) -> LookupFailedError:
    with pytest.raises(LookupFailedError) as caught:
        emitter.emit(urgent_report(), FakeLambdaContext())  # type: ignore[attr-defined]
    return caught.value


def _elements(card: dict[str, object]) -> list[dict[str, object]]:
    return card["body"]  # type: ignore[return-value]


def test_posts_an_adaptive_card(server, sleeps, store) -> None:
    """The message is one Adaptive Card attachment naming the report."""
    server.route(f"POST {PATH}", CannedResponse(status=202))
    assert not run_emitter(_emitter(server, sleeps, store), urgent_report(), via="sqs").failed
    [request] = server.requests
    assert request.query["sig"] == ["SIGSECRET123"]
    [attachment] = request.json()["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    assert REPORT_ID in json.dumps(card)


def test_legacy_connector_answer_1_is_success(server, sleeps, store) -> None:
    """A legacy incoming webhook's 200 "1" is success; its 200 error text is a failure."""
    server.route(f"POST {PATH}", CannedResponse(body="1"))
    assert not run_emitter(_emitter(server, sleeps, store), urgent_report()).failed
    server.route(f"POST {PATH}", CannedResponse(body="Summary or Text is required."))
    error = _fail(_emitter(server, sleeps, MemoryIdempotencyStore()))
    assert isinstance(error, ServiceError)
    assert "Summary or Text is required" in str(error)


def test_redelivery_posts_once(server, sleeps, store) -> None:
    """The same publication delivered twice posts one card."""
    server.route(f"POST {PATH}", CannedResponse(status=202))
    deliver_twice(_emitter(server, sleeps, store), urgent_report())
    assert len(server.requests) == 1


def test_429_is_retried(server, sleeps, store) -> None:
    """Teams' 429 is retried after Retry-After."""
    server.route(f"POST {PATH}", [CannedResponse(status=429, headers={"Retry-After": "1"}),
                                  CannedResponse(status=202)])
    assert not run_emitter(_emitter(server, sleeps, store), urgent_report()).failed
    assert sleeps == [1.0]


@pytest.mark.parametrize(("status", "kind"), [(400, ServiceError), (401, AuthenticationError),
                                              (404, ServiceError), (413, ServiceError),
                                              (429, RateLimitedError), (500, ServiceError)])
def test_errors_fail_the_record_without_the_url(server, sleeps, store, status, kind) -> None:
    """Every error fails the record; the message names the status, never the signature."""
    server.route(f"POST {PATH}", CannedResponse(status=status, body="error SIGSECRET123"))
    error = _fail(_emitter(server, sleeps, store))
    assert isinstance(error, kind)
    assert "SIGSECRET" not in str(error)


def test_timeout(server, sleeps, store) -> None:
    """A slow webhook fails the record as a timeout."""
    server.route(f"POST {PATH}", CannedResponse(status=202, delay=1.0))
    assert isinstance(_fail(_emitter(server, sleeps, store, timeout=0.2)), LookupTimeoutError)


def test_the_url_is_never_logged(server, sleeps, store, caplog) -> None:
    """Not the path, not the signature."""
    caplog.set_level(logging.DEBUG)
    server.route(f"POST {PATH}", [CannedResponse(status=500), CannedResponse(status=202)])
    emitter = _emitter(server, sleeps, store)
    run_emitter(emitter, urgent_report(), via="sqs")
    run_emitter(emitter, urgent_report(), via="sqs")
    assert "SIGSECRET" not in caplog.text
    assert PATH not in caplog.text


def test_a_huge_report_fits_28_kb() -> None:
    """The card of a report with hundreds of findings stays within Teams' size limit."""
    attrs = [make_attribute("ipaddr", f"198.51.100.{i % 250}", "remote", key=f"k{i}")
             for i in range(300)]
    report = make_report(*[make_alert(*attrs[i:i + 50], rule_id=f"r{i}", description="d" * 900)
                           for i in range(0, 300, 50)],
                         findings=[(a, ContentHost(hostname=["h" * 200] * 10)) for a in attrs],
                         status="published", severity="urgent", id=REPORT_ID)
    card = render_card(report)
    assert len(json.dumps(card).encode()) <= 28_000
    assert "more entries left out" in json.dumps(card["body"][-1])


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=80))
def test_report_text_is_only_in_text_runs(description: str) -> None:
    """Alert text appears only in TextRun elements (never Markdown), whatever it holds."""
    card = render_card(urgent_report(description=description))
    for element in _elements(card):
        if element["type"] == "TextBlock":
            assert element["text"] == "DeepAlert"  # our only Markdown-read text
        else:
            assert element["type"] == "RichTextBlock"
            assert all(run["type"] == "TextRun" for run in element["inlines"])  # type: ignore[attr-defined]


def test_env_handler(server, call_env_handler) -> None:
    """The ready handler reads the webhook URL from the secret."""
    server.route(f"POST {PATH}", CannedResponse(status=202))
    response = call_env_handler(handler, urgent_report(), secret=(
        "deepalert/teams", {"teams_webhook_url": server.url + PATH + QUERY}))
    assert response == {"batchItemFailures": []}
    assert len(server.requests) == 1
