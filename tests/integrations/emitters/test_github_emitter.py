"""The GitHub issues emitter against canned REST API responses.

Shapes from GitHub's REST docs: search
https://docs.github.com/en/rest/search/search#search-issues-and-pull-requests
(``{"total_count", "incomplete_results", "items": [{"number", "state", "title", "body"}]}``),
create an issue https://docs.github.com/en/rest/issues/issues#create-an-issue (201; 404, 410,
422 ``{"message": "Validation Failed", "errors": [...]}``), issue comments
https://docs.github.com/en/rest/issues/comments (list: a JSON array; create: 201), update an
issue https://docs.github.com/en/rest/issues/issues#update-an-issue, and 401
``{"message": "Bad credentials"}``; rate limits
https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api (429 or 403
with ``retry-after``).
"""

from __future__ import annotations

import logging

import pytest

from deepalert.integrations import MemoryIdempotencyStore, publication_key
from deepalert.integrations.github import github_emitter, handler, report_marker
from deepalert.lookup import (
    AuthenticationError,
    LookupFailedError,
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

REPO = "acme/security-alerts"
TOKEN = "github_pat_SECRET0000000000"
SEARCH = "GET /search/issues"
CREATE = f"POST /repos/{REPO}/issues"
COMMENTS = f"/repos/{REPO}/issues/42/comments"
ISSUE = f"PATCH /repos/{REPO}/issues/42"


def search(*items: dict[str, object]) -> CannedResponse:
    return CannedResponse(json={"total_count": len(items), "incomplete_results": False,
                                "items": list(items)})


def created(number: int = 42) -> CannedResponse:
    return CannedResponse(status=201, json={
        "id": 1, "number": number, "state": "open", "title": "t", "body": "b",
        "html_url": f"https://github.com/{REPO}/issues/{number}"})


def issue(body: str, state: str = "open") -> dict[str, object]:
    return {"number": 42, "state": state, "title": f"[URGENT] x (report {REPORT_ID})",
            "body": body, "html_url": f"https://github.com/{REPO}/issues/42"}


def _emitter(server: CannedHttpServer, sleeps: Sleeps, store: object,
             **options: object) -> object:
    return github_emitter(REPO, TOKEN, labels=["deepalert"], store=store,  # type: ignore[arg-type]
                          api_url=server.url, client=fast_client("github", server.url, sleeps),
                          **options)  # type: ignore[arg-type]


def _fail(emitter: object, report: object = None) -> LookupFailedError:
    with pytest.raises(LookupFailedError) as caught:
        emitter.emit(report or urgent_report(), FakeLambdaContext())  # type: ignore[attr-defined]
    return caught.value


def test_first_publication_opens_an_issue(server, sleeps, store) -> None:
    """No issue for the report: one is opened with the title, labels, marker and body."""
    server.route(SEARCH, search())
    server.route(CREATE, created())
    assert not run_emitter(_emitter(server, sleeps, store), urgent_report(), via="sqs").failed
    query = server.requests[0].query["q"][0]
    assert f"repo:{REPO}" in query
    assert REPORT_ID in query
    assert server.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    payload = server.requests[1].json()
    assert payload["title"] == f"[URGENT] ssh-bruteforce (report {REPORT_ID})"
    assert payload["labels"] == ["deepalert"]
    assert payload["body"].startswith(report_marker(REPORT_ID))
    assert "**Reason:** known bad address" in payload["body"]
    assert len(payload["body"]) <= 65536


def test_redelivery_opens_one_issue(server, sleeps, store) -> None:
    """The same publication delivered twice opens one issue, though search lags behind."""
    server.route(SEARCH, search())  # GitHub's index has not caught up
    server.route(CREATE, created())
    deliver_twice(_emitter(server, sleeps, store), urgent_report())
    assert [r.method for r in server.requests].count("POST") == 1


def test_another_instance_finds_the_issue_and_its_publication(server, sleeps) -> None:
    """An instance without the first one's memory finds the issue by search and its
    publication marker in the body: nothing is written."""
    key = publication_key(f"github:{REPO}", urgent_report())
    server.route(SEARCH, search(issue(f"{report_marker(REPORT_ID)}\n"
                                      f"<!-- deepalert:publication={key} -->\nbody")))
    run = run_emitter(_emitter(server, sleeps, MemoryIdempotencyStore()), urgent_report())
    assert not run.failed
    assert [r.method for r in server.requests] == ["GET"]


def test_search_hits_without_the_marker_are_not_the_report(server, sleeps, store) -> None:
    """An issue that mentions the report ID but lacks the marker is not taken for it."""
    server.route(SEARCH, search(issue(f"someone pasted {REPORT_ID} here")))
    server.route(CREATE, created(43))
    run_emitter(_emitter(server, sleeps, store), urgent_report())
    assert server.requests[-1].method == "POST"


def test_a_later_publication_is_a_comment(server, sleeps, store) -> None:
    """A new publication of a report with an issue becomes one comment."""
    first = publication_key(f"github:{REPO}", urgent_report("unclassified"))
    server.route(SEARCH, search(issue(f"{report_marker(REPORT_ID)}\n"
                                      f"<!-- deepalert:publication={first} -->")))
    server.route(f"GET {COMMENTS}", CannedResponse(json=[{"id": 1, "body": "a human note"}]))
    server.route(f"POST {COMMENTS}", CannedResponse(status=201, json={"id": 2, "body": "x"}))
    run_emitter(_emitter(server, sleeps, store), urgent_report("urgent"))
    comment = server.requests[-1]
    assert comment.method == "POST"
    assert comment.path == COMMENTS
    second = publication_key(f"github:{REPO}", urgent_report("urgent"))
    assert comment.json()["body"].startswith(f"<!-- deepalert:publication={second} -->")


def test_a_comment_already_made_is_not_repeated(server, sleeps) -> None:
    """A publication whose comment exists (found by listing comments) is skipped."""
    key = publication_key(f"github:{REPO}", urgent_report())
    server.route(SEARCH, search(issue(report_marker(REPORT_ID))))
    server.route(f"GET {COMMENTS}", CannedResponse(json=[
        {"id": 1, "body": f"<!-- deepalert:publication={key} -->\n..."}]))
    run_emitter(_emitter(server, sleeps, MemoryIdempotencyStore()), urgent_report())
    assert all(r.method == "GET" for r in server.requests)


def test_safe_closes_the_issue_when_configured(server, sleeps, store) -> None:
    """A safe publication comments and closes the report's open issue (close_on_safe)."""
    server.route(SEARCH, search(issue(report_marker(REPORT_ID))))
    server.route(f"GET {COMMENTS}", CannedResponse(json=[]))
    server.route(f"POST {COMMENTS}", CannedResponse(status=201, json={"id": 2}))
    server.route(ISSUE, CannedResponse(json=issue("x", state="closed")))
    run_emitter(_emitter(server, sleeps, store, close_on_safe=True), urgent_report("safe"))
    patch = server.requests[-1]
    assert patch.method == "PATCH"
    assert patch.json() == {"state": "closed", "state_reason": "not_planned"}


def test_safe_never_opens_an_issue(server, sleeps, store) -> None:
    """A safe report without an issue opens none."""
    server.route(SEARCH, search())
    run_emitter(_emitter(server, sleeps, store, close_on_safe=True), urgent_report("safe"))
    assert [r.method for r in server.requests] == ["GET"]


def test_401_bad_credentials(server, sleeps, store) -> None:
    """401 fails the record as an authentication error, without the token."""
    server.route(SEARCH, CannedResponse(status=401, json={
        "message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}))
    error = _fail(_emitter(server, sleeps, store))
    assert isinstance(error, AuthenticationError)
    assert TOKEN not in str(error)


@pytest.mark.parametrize(("status", "message", "hint"), [
    (404, "Not Found", "cannot see it"),
    (410, "Issues are disabled for this repo", "disabled"),
    (422, "Validation Failed", "refused the content"),
])
def test_create_errors_name_githubs_message(server, sleeps, store, status, message,
                                            hint) -> None:
    """404, 410 and 422 on opening fail the record with GitHub's message and a hint."""
    server.route(SEARCH, search())
    server.route(CREATE, CannedResponse(status=status, json={
        "message": message, "documentation_url": "https://docs.github.com/rest"}))
    error = _fail(_emitter(server, sleeps, store))
    assert isinstance(error, ServiceError)
    assert message in str(error)
    assert hint in str(error)


def test_429_on_create_is_retried(server, sleeps, store) -> None:
    """A 429 on opening is retried after Retry-After; one issue is opened."""
    server.route(SEARCH, search())
    server.route(CREATE, [CannedResponse(status=429, headers={"Retry-After": "2"},
                                         json={"message": "secondary rate limit"}),
                          created()])
    assert not run_emitter(_emitter(server, sleeps, store), urgent_report()).failed
    assert sleeps == [2.0]


def test_the_primary_rate_limit_403_is_a_rate_limit_not_bad_credentials(server, sleeps,
                                                                          store) -> None:
    """GitHub's primary limit answers 403 with no request left: the record fails as rate
    limited, with the wait until the reset, and SQS delivers it again later."""
    import time

    server.route(SEARCH, CannedResponse(status=403, headers={
        "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()) + 600)},
        json={"message": "API rate limit exceeded for installation ID 1."}))
    error = _fail(_emitter(server, sleeps, store))
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == pytest.approx(600, abs=5)
    assert [r.method for r in server.requests] == ["GET"]  # nothing written


def test_5xx_on_search_is_retried(server, sleeps, store) -> None:
    """Reads are retried on 5xx."""
    server.route(SEARCH, [CannedResponse(status=502), search()])
    server.route(CREATE, created())
    assert not run_emitter(_emitter(server, sleeps, store), urgent_report()).failed


def test_5xx_on_create_fails_without_a_second_post(server, sleeps, store) -> None:
    """A 500 on opening may have opened the issue: no second POST in this delivery."""
    server.route(SEARCH, search())
    server.route(CREATE, CannedResponse(status=500))
    assert isinstance(_fail(_emitter(server, sleeps, store)), ServiceError)
    assert [r.method for r in server.requests].count("POST") == 1


def test_malformed_search_answer(server, sleeps, store) -> None:
    """A search answer that is not JSON, or has no items, fails the record."""
    server.route(SEARCH, CannedResponse(body="<html>unicorn</html>"))
    assert isinstance(_fail(_emitter(server, sleeps, store)), MalformedResponseError)
    server.route(SEARCH, CannedResponse(json={"message": "?"}))
    assert isinstance(_fail(_emitter(server, sleeps, store)), MalformedResponseError)


def test_timeout_fails_the_record(server, sleeps, store) -> None:
    """No answer in time fails the record."""
    server.route(SEARCH, CannedResponse(json={"items": []}, delay=1.0))
    emitter = github_emitter(REPO, TOKEN, store=store, api_url=server.url,
                             client=fast_client("github", server.url, sleeps, timeout=0.2))
    assert isinstance(_fail(emitter), LookupFailedError)


def test_token_never_logged(server, sleeps, store, caplog) -> None:
    """The token is in no log line and no repr."""
    caplog.set_level(logging.DEBUG)
    server.route(SEARCH, search())
    server.route(CREATE, [CannedResponse(status=422, json={"message": "Validation Failed"}),
                          created()])
    emitter = _emitter(server, sleeps, store)
    run_emitter(emitter, urgent_report(), via="sqs")
    run_emitter(emitter, urgent_report(), via="sqs")
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(emitter)


def test_env_handler(server, call_env_handler) -> None:
    """The ready handler takes the repository, labels and API URL from the environment."""
    server.route(SEARCH, search())
    server.route(CREATE, created())
    response = call_env_handler(handler, urgent_report(description="env"),
                                secret=("deepalert/github", {"github_token": TOKEN}),
                                GITHUB_REPO=REPO, GITHUB_LABELS="security, deepalert",
                                GITHUB_API_URL=server.url)
    assert response == {"batchItemFailures": []}
    assert server.requests[-1].json()["labels"] == ["security", "deepalert"]


def test_env_handler_needs_the_repository(monkeypatch) -> None:
    """Without GITHUB_REPO the error says to set it."""
    handler.reset()
    try:
        with pytest.raises(Exception, match="GITHUB_REPO"):
            handler.emitter  # noqa: B018 - building it reads the environment
    finally:
        handler.reset()


def test_a_token_source_is_asked_for_each_request(server, sleeps, store) -> None:
    """Any object with get() serves as the token (a GitHub App minting installation
    tokens); it is asked afresh for each request, so an expired token is never reused."""
    class Minter:
        def __init__(self) -> None:
            self.minted = 0

        def get(self) -> str:
            self.minted += 1
            return f"ghs_installation{self.minted}"

    minter = Minter()
    server.route(SEARCH, search())
    server.route(CREATE, created())
    emitter = github_emitter(REPO, minter, store=store, api_url=server.url,
                             client=fast_client("github", server.url, sleeps))
    assert not run_emitter(emitter, urgent_report()).failed
    assert [r.headers["authorization"] for r in server.requests] == [
        "Bearer ghs_installation1", "Bearer ghs_installation2"]


def test_each_late_alert_is_its_own_comment(server, sleeps, store) -> None:
    """With statuses including more, each alert that joins after the review (a new `more`
    publication) is commented once, and a redelivery of it is not."""
    from deepalert.testing import make_alert, make_report

    server.route(SEARCH, search(issue(report_marker(REPORT_ID))))
    server.route(f"GET {COMMENTS}", CannedResponse(json=[]))
    server.route(f"POST {COMMENTS}", CannedResponse(status=201, json={"id": 2}))
    emitter = _emitter(server, sleeps, store, statuses=("published", "more"))
    alerts = [make_alert(rule_id=f"r{i}") for i in range(3)]
    for count in (2, 3, 3):
        report = make_report(*alerts[:count], status="more", id=REPORT_ID)
        assert not run_emitter(emitter, report).failed
    assert [r.method for r in server.requests].count("POST") == 2
