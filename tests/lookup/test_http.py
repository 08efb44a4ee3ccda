"""The HTTP client: statuses sorted into record failures, retries that honour Retry-After
and the deadline, timeouts, connection reuse, and no secret in any message."""

from __future__ import annotations

import pytest

from deepalert.lookup import (
    AuthenticationError,
    HttpClient,
    LookupTimeoutError,
    MalformedResponseError,
    RateLimitedError,
    RetryPolicy,
    ServiceError,
)
from deepalert.testing import CannedHttpServer, CannedResponse

KEY = "sk-live-0123456789abcdef"


class Sleeps:
    """A RetryPolicy.sleep that records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def server():
    with CannedHttpServer() as s:
        yield s


def client_for(server: CannedHttpServer, sleeps: Sleeps, **kw: object) -> HttpClient:
    retry = kw.pop("retry", None) or RetryPolicy(backoff=0.25, sleep=sleeps)
    return HttpClient("svc", base_url=server.url, retry=retry, **kw)  # type: ignore[arg-type]


def test_a_json_answer_is_returned_with_headers_sent(server, sleeps):
    server.route("GET /v1/ip/192.0.2.1", CannedResponse(json={"score": 7}))
    client = client_for(server, sleeps)
    data = client.get_json("/v1/ip/192.0.2.1", params={"verbose": "1"},
                           headers={"x-apikey": KEY})
    assert data == {"score": 7}
    request = server.requests[0]
    assert request.headers["x-apikey"] == KEY
    assert request.query == {"verbose": ["1"]}
    assert client.requests == 1


def test_404_is_nothing_found_not_an_error(server, sleeps):
    server.route("/v1/ip/192.0.2.1", CannedResponse(status=404, json={"error": "NotFound"}))
    assert client_for(server, sleeps).get_json("/v1/ip/192.0.2.1") is None


def test_429_is_retried_after_the_retry_after_seconds_then_succeeds(server, sleeps):
    server.route("/x", [CannedResponse(status=429, headers={"Retry-After": "7"}),
                        CannedResponse(json={"ok": 1})])
    client = client_for(server, sleeps)
    assert client.get_json("/x") == {"ok": 1}
    assert sleeps.waits == [7.0]
    assert len(server.requests) == 2
    assert client.requests == 2


def test_429_every_time_raises_rate_limited_never_nothing_found(server, sleeps):
    server.route("/x", CannedResponse(status=429, json={"error": "QuotaExceededError"}))
    client = client_for(server, sleeps)
    with pytest.raises(RateLimitedError) as caught:
        client.get_json("/x")
    assert caught.value.status == 429
    assert len(server.requests) == 3  # RetryPolicy().attempts
    assert sleeps.waits == [0.25, 0.5]  # exponential backoff without Retry-After


def test_a_retry_after_longer_than_allowed_fails_at_once(server, sleeps):
    server.route("/x", CannedResponse(status=429, headers={"Retry-After": "3600"}))
    with pytest.raises(RateLimitedError) as caught:
        client_for(server, sleeps).get_json("/x")
    assert caught.value.retry_after == 3600
    assert "3600" in str(caught.value)
    assert len(server.requests) == 1
    assert sleeps.waits == []


def test_a_429_after_the_retries_gives_the_wait_of_a_retry_after_date(server, sleeps):
    """Retry-After is seconds or an HTTP date: either way the error says how long to wait."""
    import time
    from email.utils import formatdate

    server.route("/x", CannedResponse(status=429, headers={
        "Retry-After": formatdate(time.time() + 20, usegmt=True)}))
    client = client_for(server, sleeps, retry=RetryPolicy(attempts=1, sleep=sleeps))
    with pytest.raises(RateLimitedError) as caught:
        client.get_json("/x")
    assert caught.value.status == 429
    assert caught.value.retry_after == pytest.approx(20, abs=2)


def test_an_unreadable_or_past_retry_after_is_no_wait_or_none():
    from email.utils import formatdate

    from deepalert.lookup._http import _retry_after

    now = 1_700_000_000.0
    assert _retry_after("7", now) == 7.0
    assert _retry_after(formatdate(now - 60, usegmt=True), now) == 0.0  # already past
    assert _retry_after("nan", now) is None
    assert _retry_after("soon", now) is None
    assert _retry_after(None, now) is None


def test_a_retry_that_would_overrun_the_deadline_is_not_made(server, sleeps):
    server.route("/x", CannedResponse(status=429, headers={"Retry-After": "5"}))
    client = client_for(server, sleeps)
    with pytest.raises(RateLimitedError, match="deadline"):
        client.get_json("/x", remaining_ms=3_000)
    assert len(server.requests) == 1
    assert sleeps.waits == []


def test_5xx_is_retried_then_raises_service_error(server, sleeps):
    server.route("/x", CannedResponse(status=503, body="<html>down</html>"))
    with pytest.raises(ServiceError) as caught:
        client_for(server, sleeps).get_json("/x")
    assert caught.value.status == 503
    assert len(server.requests) == 3


def test_a_5xx_then_200_succeeds(server, sleeps):
    server.route("/x", [CannedResponse(status=502), CannedResponse(json=[1])])
    assert client_for(server, sleeps).get_json("/x") == [1]


@pytest.mark.parametrize("status", [401, 403])
def test_401_and_403_raise_authentication_error_without_retrying(server, sleeps, status):
    server.route("/x", CannedResponse(status=status, json={"error": "WrongCredentialsError"}))
    with pytest.raises(AuthenticationError) as caught:
        client_for(server, sleeps).get_json("/x", headers={"x-apikey": KEY})
    assert len(server.requests) == 1
    assert KEY not in str(caught.value)


def test_an_unexpected_status_is_a_service_error(server, sleeps):
    server.route("/x", CannedResponse(status=400, json={"error": "BadRequest"}))
    with pytest.raises(ServiceError, match="unexpected 400"):
        client_for(server, sleeps).get_json("/x")


def test_malformed_json_raises_malformed_response(server, sleeps):
    server.route("/x", CannedResponse(body="{not json"))
    with pytest.raises(MalformedResponseError, match="not JSON"):
        client_for(server, sleeps).get_json("/x")


def test_a_slow_answer_times_out(server, sleeps):
    server.route("/x", CannedResponse(json={}, delay=1.0))
    client = client_for(server, sleeps, timeout=0.2,
                        retry=RetryPolicy(attempts=1, sleep=sleeps))
    with pytest.raises(LookupTimeoutError, match="timed out"):
        client.get_json("/x")


def test_the_timeout_is_cut_to_the_time_left_before_the_deadline(server, sleeps):
    server.route("/x", CannedResponse(json={}, delay=1.0))
    client = client_for(server, sleeps, timeout=30, deadline_margin_ms=100,
                        retry=RetryPolicy(attempts=1, sleep=sleeps))
    with pytest.raises(LookupTimeoutError):
        client.get_json("/x", remaining_ms=400)  # 0.3 s budget, not 30 s


def test_no_request_is_sent_when_too_little_time_is_left(server, sleeps):
    server.route("/x", CannedResponse(json={}))
    with pytest.raises(LookupTimeoutError, match="not sent"):
        client_for(server, sleeps).get_json("/x", remaining_ms=400)
    assert server.requests == []


def test_a_refused_connection_is_a_service_error(sleeps):
    with CannedHttpServer() as gone:
        url = gone.url
    client = HttpClient("svc", base_url=url, retry=RetryPolicy(attempts=2, sleep=sleeps))
    with pytest.raises(ServiceError, match="failed"):
        client.get_json("/x")


def test_errors_never_carry_the_query_string(server, sleeps):
    server.route("/x", CannedResponse(status=500))
    with pytest.raises(ServiceError) as caught:
        client_for(server, sleeps).get_json("/x", params={"key": KEY})
    assert KEY not in str(caught.value)
    assert KEY not in repr(caught.value)


def test_post_is_retried_only_when_marked_idempotent(server, sleeps):
    server.route("POST /q", CannedResponse(status=503))
    client = client_for(server, sleeps)
    with pytest.raises(ServiceError):
        client.request("POST", "/q", form={"url": "http://example.com/"})
    assert len(server.requests) == 1
    with pytest.raises(ServiceError):
        client.request("POST", "/q", form={"url": "http://example.com/"}, idempotent=True)
    assert len(server.requests) == 4
    assert server.requests[0].form() == {"url": "http://example.com/"}


def test_json_bodies_are_sent_as_json(server, sleeps):
    server.route("POST /q", CannedResponse(json={"query_status": "ok"}))
    response = client_for(server, sleeps).request("POST", "/q", json={"a": [1]})
    assert response.json() == {"query_status": "ok"}
    assert server.requests[0].json() == {"a": [1]}
    assert server.requests[0].headers["content-type"] == "application/json"


def test_connections_are_reused_across_calls(server, sleeps):
    server.route("/x", CannedResponse(json={}))
    client = client_for(server, sleeps)
    for _ in range(3):
        client.get_json("/x")
    pool = client._pool_manager().connection_from_url(server.url)
    assert pool.num_connections == 1


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(attempts=0)
    with pytest.raises(ValueError, match="timeout"):
        HttpClient("svc", timeout=0)


def test_a_path_holding_a_url_stays_under_the_base_url():
    client = HttpClient("svc", base_url="https://api.example.com/v1/")
    assert client.url("/indicators/url/http://x.example/a/general") == (
        "https://api.example.com/v1/indicators/url/http://x.example/a/general")
    assert client.url("https://other.example/x") == "https://other.example/x"


@pytest.mark.parametrize(("headers", "wait"), [
    ({"Retry-After": "30"}, 30.0),  # GitHub's secondary rate limit
    ({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "{reset}"}, 120.0),  # its primary one
    ({"X-RateLimit-Remaining": "0"}, None),
])
def test_a_403_that_is_a_rate_limit_raises_rate_limited_not_authentication(
        server, sleeps, headers, wait):
    """GitHub answers its rate limits with 403: the wait is given back, the key kept out."""
    import time

    reset = str(int(time.time()) + 120)
    server.route("/x", CannedResponse(status=403, headers={
        k: v.format(reset=reset) for k, v in headers.items()},
        json={"message": "API rate limit exceeded"}))
    with pytest.raises(RateLimitedError, match="403: rate limited") as caught:
        client_for(server, sleeps).get_json("/x", headers={"x-apikey": KEY})
    assert not isinstance(caught.value, AuthenticationError)
    assert caught.value.status == 403
    if wait is None:
        assert caught.value.retry_after is None
    else:
        assert caught.value.retry_after == pytest.approx(wait, abs=2)
    assert len(server.requests) == 1  # not retried within the invocation
    assert sleeps.waits == []
    assert KEY not in str(caught.value)


def test_a_403_with_requests_left_is_still_an_authentication_error(server, sleeps):
    server.route("/x", CannedResponse(status=403, headers={"X-RateLimit-Remaining": "4999"},
                                      json={"message": "Resource not accessible by token"}))
    with pytest.raises(AuthenticationError):
        client_for(server, sleeps).get_json("/x")


def test_a_retry_after_date_on_a_403_is_read_as_seconds_to_wait():
    from email.utils import formatdate

    from deepalert.lookup._http import _rate_limit_403

    now = 1_700_000_000.0
    assert _rate_limit_403({"retry-after": formatdate(now + 60, usegmt=True)}, now) == (
        "Retry-After", 60.0)
    assert _rate_limit_403({"retry-after": "soon"}, now) == ("Retry-After", None)
    assert _rate_limit_403({}, now) is None
