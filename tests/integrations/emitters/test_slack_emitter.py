"""The Slack emitter against canned responses shaped as Slack documents them.

Incoming webhooks answer ``200 ok`` or an HTTP error with a short code as plain text:
https://api.slack.com/messaging/webhooks#handling_errors (``invalid_payload`` 400,
``channel_not_found`` 404, ``action_prohibited`` 403, ``rollup_error`` 500).
``chat.postMessage`` answers HTTP 200 with ``{"ok": true, "channel", "ts", "message"}`` or
``{"ok": false, "error": ...}``: https://api.slack.com/methods/chat.postMessage (errors
``channel_not_found``, ``invalid_auth``, ``not_authed``...). Rate limits are HTTP 429 with
``Retry-After`` in seconds: https://api.slack.com/apis/rate-limits.
"""

from __future__ import annotations

import logging
import uuid

import pytest

from deepalert.integrations import MemoryIdempotencyStore
from deepalert.integrations.slack import handler, slack_emitter
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
    FakeSecretStore,
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

HOOK_PATH = "/services/T00000000/B00000000/XXXXXXXXXXXXXXXXSECRET"
TOKEN = "xoxb-0000-SECRET-TOKEN"
OK_POST = {"ok": True, "channel": "C0123456789", "ts": "1503435956.000247",
           "message": {"text": "Here's a message for you", "type": "message",
                       "ts": "1503435956.000247"}}


def _webhook(server: CannedHttpServer, sleeps: Sleeps, store: MemoryIdempotencyStore,
             timeout: float = 2.0) -> object:
    return slack_emitter(webhook_url=server.url + HOOK_PATH, store=store,
                         client=fast_client("slack", server.url, sleeps, timeout=timeout))


def _post_message(server: CannedHttpServer, sleeps: Sleeps,
                  store: MemoryIdempotencyStore) -> object:
    return slack_emitter(token=TOKEN, channel="C0123456789", store=store, api_url=server.url,
                         client=fast_client("slack", server.url, sleeps))


def _fail(emitter: object, report: object = None, timeout_ms: int = 30_000) -> BaseException:
    report = report or urgent_report()
    with pytest.raises(LookupFailedError) as caught:
        emitter.emit(report, FakeLambdaContext(timeout_ms=timeout_ms))  # type: ignore[attr-defined]
    return caught.value


def test_webhook_posts_the_rendered_message(server, sleeps, store) -> None:
    """A published urgent report is posted once as Block Kit, unfurling off."""
    server.route(f"POST {HOOK_PATH}", CannedResponse(body="ok"))
    run = run_emitter(_webhook(server, sleeps, store), urgent_report(), via="sqs")
    assert run.ran
    assert not run.failed
    [request] = server.requests
    body = request.json()
    assert body["blocks"][0]["type"] == "header"
    assert body["text"].startswith("[URGENT] ssh-bruteforce")
    assert body["unfurl_links"] is False
    assert body["unfurl_media"] is False


def test_redelivery_posts_once(server, sleeps, store) -> None:
    """The same publication delivered twice (SQS redelivery) makes one post."""
    server.route(f"POST {HOOK_PATH}", CannedResponse(body="ok"))
    responses = deliver_twice(_webhook(server, sleeps, store), urgent_report())
    assert responses == [{"batchItemFailures": []}] * 2
    assert len(server.requests) == 1


def test_a_new_severity_is_a_new_post(server, sleeps, store) -> None:
    """Another publication of the report (a different severity) is posted again."""
    server.route(f"POST {HOOK_PATH}", CannedResponse(body="ok"))
    emitter = _webhook(server, sleeps, store)
    run_emitter(emitter, urgent_report("unclassified"))
    run_emitter(emitter, urgent_report("urgent"))
    assert len(server.requests) == 2


def test_safe_and_unpublished_reports_are_not_posted(server, sleeps, store) -> None:
    """By default only published reports that are not safe are posted."""
    emitter = _webhook(server, sleeps, store)
    assert not run_emitter(emitter, urgent_report("safe")).ran
    assert not run_emitter(emitter, urgent_report(status="new")).ran
    assert server.requests == []


def test_429_is_retried_after_retry_after(server, sleeps, store) -> None:
    """A 429 (Slack's 1-per-second webhook limit) is sent again after Retry-After."""
    server.route(f"POST {HOOK_PATH}", [
        CannedResponse(status=429, body="rate_limited", headers={"Retry-After": "1"}),
        CannedResponse(body="ok")])
    run = run_emitter(_webhook(server, sleeps, store), urgent_report(), via="sqs")
    assert not run.failed
    assert len(server.requests) == 2
    assert sleeps == [1.0]


def test_429_beyond_the_deadline_fails_the_record(server, sleeps, store) -> None:
    """A Retry-After that does not fit before the deadline fails the record, unslept."""
    server.route(f"POST {HOOK_PATH}", CannedResponse(status=429, body="rate_limited",
                                                     headers={"Retry-After": "20"}))
    error = _fail(_webhook(server, sleeps, store), timeout_ms=10_000)
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 20.0
    assert sleeps == []


@pytest.mark.parametrize(("status", "code"), [(400, "invalid_payload"),
                                              (404, "channel_not_found"),
                                              (410, "channel_is_archived")])
def test_webhook_errors_name_the_code_not_the_url(server, sleeps, store, status, code) -> None:
    """An HTTP error names Slack's code; the webhook URL (a secret) is in no message."""
    server.route(f"POST {HOOK_PATH}", CannedResponse(status=status, body=code))
    error = _fail(_webhook(server, sleeps, store))
    assert isinstance(error, ServiceError)
    assert code in str(error)
    assert "SECRET" not in str(error)
    assert HOOK_PATH not in repr(error)


def test_webhook_403_is_an_authentication_error_without_the_url(server, sleeps, store) -> None:
    """action_prohibited (403) reads as an authentication error; no URL in it."""
    server.route(f"POST {HOOK_PATH}", CannedResponse(status=403, body="action_prohibited"))
    error = _fail(_webhook(server, sleeps, store))
    assert isinstance(error, AuthenticationError)
    assert "SECRET" not in str(error)


def test_5xx_fails_at_once_and_a_redelivery_posts(server, sleeps, store) -> None:
    """A 500 may have posted: not sent again in this delivery; the next delivery posts."""
    server.route(f"POST {HOOK_PATH}", [CannedResponse(status=500, body="rollup_error"),
                                       CannedResponse(body="ok")])
    emitter = _webhook(server, sleeps, store)
    error = _fail(emitter)
    assert isinstance(error, ServiceError)
    assert "SECRET" not in str(error)
    assert len(server.requests) == 1
    assert run_emitter(emitter, urgent_report()).ran
    assert len(server.requests) == 2


def test_timeout_fails_without_the_url(server, sleeps, store) -> None:
    """A webhook slower than the timeout fails the record; the error hides the URL."""
    server.route(f"POST {HOOK_PATH}", CannedResponse(body="ok", delay=1.0))
    error = _fail(_webhook(server, sleeps, store, timeout=0.2))
    assert isinstance(error, LookupTimeoutError)
    assert "SECRET" not in str(error)


def test_post_message_sends_the_token_and_channel(server, sleeps, store) -> None:
    """chat.postMessage gets the bot token as a Bearer header and the channel in the body."""
    server.route("POST /chat.postMessage", CannedResponse(json=OK_POST))
    assert not run_emitter(_post_message(server, sleeps, store), urgent_report()).failed
    [request] = server.requests
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.json()["channel"] == "C0123456789"


@pytest.mark.parametrize(("error", "kind"), [("invalid_auth", AuthenticationError),
                                             ("not_authed", AuthenticationError),
                                             ("channel_not_found", ServiceError)])
def test_post_message_ok_false_fails(server, sleeps, store, error, kind) -> None:
    """{"ok": false, "error": ...} with HTTP 200 fails the record, naming the error."""
    server.route("POST /chat.postMessage", CannedResponse(json={"ok": False, "error": error}))
    failure = _fail(_post_message(server, sleeps, store))
    assert isinstance(failure, kind)
    assert error in str(failure)
    assert TOKEN not in str(failure)


def test_post_message_malformed_json_fails(server, sleeps, store) -> None:
    """A body that is not JSON fails the record as a malformed response."""
    server.route("POST /chat.postMessage", CannedResponse(body="<html>oops</html>"))
    assert isinstance(_fail(_post_message(server, sleeps, store)), MalformedResponseError)


def test_post_message_429_then_ok(server, sleeps, store) -> None:
    """chat.postMessage's 429 is retried after Retry-After."""
    server.route("POST /chat.postMessage", [
        CannedResponse(status=429, headers={"Retry-After": "2"}),
        CannedResponse(json=OK_POST)])
    assert not run_emitter(_post_message(server, sleeps, store), urgent_report()).failed
    assert sleeps == [2.0]


def test_secrets_never_reach_the_logs(server, sleeps, store, caplog) -> None:
    """Neither the webhook URL nor the token is logged, on success or failure."""
    caplog.set_level(logging.DEBUG)
    server.route(f"POST {HOOK_PATH}", [CannedResponse(status=500), CannedResponse(body="ok")])
    emitter = _webhook(server, sleeps, store)
    run_emitter(emitter, urgent_report(), via="sqs")
    run_emitter(emitter, urgent_report(), via="sqs")
    server.route("POST /chat.postMessage", CannedResponse(json={"ok": False,
                                                                "error": "invalid_auth"}))
    run_emitter(_post_message(server, sleeps, store), urgent_report(), via="sqs")
    assert "SECRET" not in caplog.text
    assert "SECRET" not in repr(emitter)


def test_env_handler_reads_the_secret_at_first_call(server, call_env_handler) -> None:
    """The ready handler takes the webhook URL from the JSON secret named by SECRET_ARN."""
    server.route(f"POST {HOOK_PATH}", CannedResponse(body="ok"))
    response = call_env_handler(
        handler, make_report(status="published", severity="urgent", id=REPORT_ID),
        secret=("deepalert/slack", {"slack_webhook_url": server.url + HOOK_PATH}))
    assert response == {"batchItemFailures": []}
    assert len(server.requests) == 1


def test_the_ready_handler_runs_in_the_harness_and_the_local_pipeline(server, monkeypatch
                                                                     ) -> None:
    """run_emitter and LocalPipeline take ``handler`` itself: its filters decide ``ran``."""
    from deepalert import ReportResult, Severity
    from deepalert.local import LocalPipeline
    from deepalert.reviewer import reviewer
    from deepalert.testing import make_alert, make_attribute

    server.route(f"POST {HOOK_PATH}", CannedResponse(body="ok"))
    secrets = FakeSecretStore({"deepalert/slack": {"slack_webhook_url": server.url + HOOK_PATH}})
    monkeypatch.setenv("SECRET_ARN", "deepalert/slack")
    monkeypatch.setenv("MIN_SEVERITY", "urgent")

    @reviewer
    def review(report: object) -> ReportResult:
        return ReportResult(severity=Severity.URGENT, reason="known bad")

    handler.reset()
    try:
        with secrets.install():
            skipped = run_emitter(handler, urgent_report(severity="safe"))
            # Another ID than the other tests': the default idempotency store is the process's.
            fresh = urgent_report().model_copy(update={"id": str(uuid.uuid4())})
            posted = run_emitter(handler, fresh, via="sqs")
            pipeline = LocalPipeline(reviewer=review, emitters=[handler])
            pipeline.submit(make_alert(make_attribute("ipaddr", "198.51.100.9", "remote")))
            pipeline.run()
    finally:
        handler.reset()
    assert not skipped.ran
    assert not skipped.failed
    assert posted.ran
    assert not posted.failed
    assert pipeline.errors == []
    assert len(server.requests) == 2  # the harness's urgent report, the pipeline's one


def test_env_handler_without_a_secret_names_the_variable(monkeypatch) -> None:
    """Without SECRET_ARN, the record fails with an error that says what to set."""
    handler.reset()
    try:
        with pytest.raises(Exception, match="SECRET_ARN"):
            handler.emitter.emit(urgent_report(), FakeLambdaContext())
    finally:
        handler.reset()


def test_one_of_webhook_and_token_is_required() -> None:
    """Both or neither of webhook_url and token is a configuration error."""
    from deepalert.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="exactly one"):
        slack_emitter()
    with pytest.raises(ConfigurationError, match="channel"):
        slack_emitter(token="t")


def test_post_message_http_401_and_5xx(server, sleeps, store) -> None:
    """An HTTP 401 is an authentication error; a 503 fails at once (the post may exist)."""
    server.route("POST /chat.postMessage", CannedResponse(status=401))
    assert isinstance(_fail(_post_message(server, sleeps, store)), AuthenticationError)
    server.route("POST /chat.postMessage", CannedResponse(status=503))
    error = _fail(_post_message(server, sleeps, MemoryIdempotencyStore()))
    assert isinstance(error, ServiceError)
    assert TOKEN not in str(error)
