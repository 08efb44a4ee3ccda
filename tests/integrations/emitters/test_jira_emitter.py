"""The Jira Cloud emitter against canned REST v3 responses.

Shapes from Atlassian's Jira Cloud platform REST API v3 reference: create issue
https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-post
(201 ``{"id", "key", "self"}``; 400 ``{"errorMessages": [], "errors": {...}}``), search
https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/#api-rest-api-3-search-jql-get
(``{"issues": [{"id", "key", "fields"}], "isLast"}``), comments
https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-comments/
(``{"comments", "startAt", "maxResults", "total"}``), transitions (list, then 204), and rate
limits https://developer.atlassian.com/cloud/jira/platform/rate-limiting/ (429 with
``Retry-After``).
"""

from __future__ import annotations

import base64
import json
import logging

import pytest

from deepalert.errors import ConfigurationError
from deepalert.integrations import MemoryIdempotencyStore, publication_key
from deepalert.integrations.jira import handler, jira_emitter, report_label
from deepalert.lookup import (
    AuthenticationError,
    LookupFailedError,
    MalformedResponseError,
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

EMAIL = "soc@example.com"
TOKEN = "ATATT3xFfGF0SECRETTOKEN"
SEARCH = "GET /rest/api/3/search/jql"
CREATE = "POST /rest/api/3/issue"
COMMENTS = "/rest/api/3/issue/SEC-7/comment"
TRANSITIONS = "/rest/api/3/issue/SEC-7/transitions"


def found(description: object = None) -> CannedResponse:
    return CannedResponse(json={"issues": [{"id": "10007", "key": "SEC-7", "fields": {
        "summary": "s", "labels": [report_label(REPORT_ID)], "description": description}}],
        "isLast": True})


def none_found() -> CannedResponse:
    return CannedResponse(json={"issues": [], "isLast": True})


def created() -> CannedResponse:
    return CannedResponse(status=201, json={
        "id": "10007", "key": "SEC-7", "self": "https://acme.atlassian.net/rest/api/3/issue/10007"})


def comments(*bodies: object) -> CannedResponse:
    return CannedResponse(json={"comments": [{"id": str(i), "body": b}
                                             for i, b in enumerate(bodies)],
                                "startAt": 0, "maxResults": 100, "total": len(bodies)})


def _emitter(server: CannedHttpServer, sleeps: Sleeps, store: object,
             **options: object) -> object:
    return jira_emitter(server.url, "SEC", EMAIL, TOKEN, labels=["deepalert"],
                        store=store,  # type: ignore[arg-type]
                        client=fast_client("jira", server.url, sleeps),
                        **options)  # type: ignore[arg-type]


def _fail(emitter: object) -> LookupFailedError:
    with pytest.raises(LookupFailedError) as caught:
        emitter.emit(urgent_report(), FakeLambdaContext())  # type: ignore[attr-defined]
    return caught.value


def test_first_publication_opens_an_issue(server, sleeps, store) -> None:
    """No issue with the report's label: one is created with summary, ADF and labels."""
    server.route(SEARCH, none_found())
    server.route(CREATE, created())
    assert not run_emitter(_emitter(server, sleeps, store), urgent_report(), via="sqs").failed
    search, create = server.requests
    assert f'labels = "deepalert-{REPORT_ID}"' in search.query["jql"][0]
    expected = base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
    assert search.headers["authorization"] == f"Basic {expected}"
    fields = create.json()["fields"]
    assert fields["project"] == {"key": "SEC"}
    assert fields["issuetype"] == {"name": "Task"}
    assert fields["summary"].startswith("[URGENT] ssh-bruteforce")
    assert fields["labels"] == ["deepalert", f"deepalert-{REPORT_ID}"]
    assert fields["description"]["type"] == "doc"
    key = publication_key("jira:SEC", urgent_report())
    assert f"DeepAlert publication {key}" in json.dumps(fields["description"])


def test_redelivery_opens_one_issue(server, sleeps, store) -> None:
    """The same publication twice opens one issue, though the search lags."""
    server.route(SEARCH, none_found())
    server.route(CREATE, created())
    deliver_twice(_emitter(server, sleeps, store), urgent_report())
    assert [r.method for r in server.requests].count("POST") == 1


def test_another_instance_finds_the_publication_in_the_description(server, sleeps) -> None:
    """Once indexed, the issue's description shows the publication was done."""
    key = publication_key("jira:SEC", urgent_report())
    server.route(SEARCH, found({"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text",
                                           "text": f"DeepAlert publication {key}"}]}]}))
    run_emitter(_emitter(server, sleeps, MemoryIdempotencyStore()), urgent_report())
    assert [r.method for r in server.requests] == ["GET"]


def test_a_later_publication_is_a_comment_once(server, sleeps) -> None:
    """A new publication becomes one comment; a comment already made is not repeated."""
    server.route(SEARCH, found())
    server.route(f"GET {COMMENTS}", comments())
    server.route(f"POST {COMMENTS}", CannedResponse(status=201, json={"id": "1"}))
    run_emitter(_emitter(server, sleeps, MemoryIdempotencyStore()), urgent_report())
    posted = server.requests[-1]
    assert posted.method == "POST"
    body = posted.json()["body"]
    server.route(f"GET {COMMENTS}", comments(body))
    before = len(server.requests)
    run_emitter(_emitter(server, sleeps, MemoryIdempotencyStore()), urgent_report())
    assert [r.method for r in server.requests[before:]] == ["GET", "GET"]


def test_safe_moves_the_issue_through_the_close_transition(server, sleeps, store) -> None:
    """A safe publication comments and applies the named transition."""
    server.route(SEARCH, found())
    server.route(f"GET {COMMENTS}", comments())
    server.route(f"POST {COMMENTS}", CannedResponse(status=201, json={"id": "1"}))
    server.route(f"GET {TRANSITIONS}", CannedResponse(json={"transitions": [
        {"id": "11", "name": "To Do"}, {"id": "31", "name": "Done"}]}))
    server.route(f"POST {TRANSITIONS}", CannedResponse(status=204))
    run_emitter(_emitter(server, sleeps, store, close_transition="done"),
                urgent_report("safe"))
    assert server.requests[-1].json() == {"transition": {"id": "31"}}


def test_safe_never_opens(server, sleeps, store) -> None:
    """A safe report without an issue opens none."""
    server.route(SEARCH, none_found())
    run_emitter(_emitter(server, sleeps, store), urgent_report("safe"))
    assert [r.method for r in server.requests] == ["GET"]


def test_400_names_jiras_errors(server, sleeps, store) -> None:
    """400 fails the record with Jira's errorMessages and field errors."""
    server.route(SEARCH, none_found())
    server.route(CREATE, CannedResponse(status=400, json={
        "errorMessages": [], "errors": {"issuetype": "Specify an issue type"}}))
    error = _fail(_emitter(server, sleeps, store))
    assert isinstance(error, ServiceError)
    assert "issuetype: Specify an issue type" in str(error)


@pytest.mark.parametrize("status", [401, 403])
def test_auth_errors(server, sleeps, store, status) -> None:
    """401 and 403 fail the record as authentication errors, without the token."""
    server.route(SEARCH, CannedResponse(status=status, json={
        "errorMessages": ["You do not have permission"], "errors": {}}))
    error = _fail(_emitter(server, sleeps, store))
    assert isinstance(error, AuthenticationError)
    assert TOKEN not in str(error)


def test_404_project(server, sleeps, store) -> None:
    """404 fails the record as a service error."""
    server.route(SEARCH, CannedResponse(status=404, json={
        "errorMessages": ["The value 'SEC' does not exist for the field 'project'."]}))
    assert "does not exist" in str(_fail(_emitter(server, sleeps, store)))


def test_429_on_create_then_created(server, sleeps, store) -> None:
    """A 429 on creating is retried after Retry-After."""
    server.route(SEARCH, none_found())
    server.route(CREATE, [CannedResponse(status=429, headers={"Retry-After": "5"}), created()])
    assert not run_emitter(_emitter(server, sleeps, store), urgent_report()).failed
    assert sleeps == [5.0]


def test_5xx_on_create_is_not_repeated(server, sleeps, store) -> None:
    """A 500 on creating may have created the issue: no second POST in this delivery."""
    server.route(SEARCH, none_found())
    server.route(CREATE, CannedResponse(status=500))
    assert isinstance(_fail(_emitter(server, sleeps, store)), ServiceError)
    assert [r.method for r in server.requests].count("POST") == 1


def test_malformed_search(server, sleeps, store) -> None:
    """A search answer without an issues list fails the record."""
    server.route(SEARCH, CannedResponse(json={"unexpected": True}))
    assert isinstance(_fail(_emitter(server, sleeps, store)), MalformedResponseError)


def test_timeout(server, sleeps, store) -> None:
    """No answer in time fails the record."""
    server.route(SEARCH, CannedResponse(json={"issues": []}, delay=1.0))
    emitter = jira_emitter(server.url, "SEC", EMAIL, TOKEN, store=store,
                           client=fast_client("jira", server.url, sleeps, timeout=0.2))
    assert isinstance(_fail(emitter), LookupFailedError)


def test_token_never_logged(server, sleeps, store, caplog) -> None:
    """Neither the token nor the Basic credentials are logged."""
    caplog.set_level(logging.DEBUG)
    server.route(SEARCH, none_found())
    server.route(CREATE, [CannedResponse(status=400, json={"errorMessages": ["x"]}),
                          created()])
    emitter = _emitter(server, sleeps, store)
    run_emitter(emitter, urgent_report(), via="sqs")
    run_emitter(emitter, urgent_report(), via="sqs")
    assert TOKEN not in caplog.text
    assert base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode() not in caplog.text


def test_env_handler(server, call_env_handler) -> None:
    """The ready handler takes the site, project and credentials from the environment."""
    server.route(SEARCH, none_found())
    server.route(CREATE, created())
    response = call_env_handler(
        handler, urgent_report(),
        secret=("deepalert/jira", {"jira_email": EMAIL, "jira_api_token": TOKEN}),
        JIRA_URL=server.url, JIRA_PROJECT="SEC", JIRA_ISSUE_TYPE="Bug")
    assert response == {"batchItemFailures": []}
    assert server.requests[-1].json()["fields"]["issuetype"] == {"name": "Bug"}


def test_bad_options() -> None:
    """A malformed project key or a label with a space is refused when building."""
    with pytest.raises(ConfigurationError, match="project key"):
        jira_emitter("https://acme.atlassian.net", "sec ops", EMAIL, TOKEN)
    with pytest.raises(ConfigurationError, match="labels"):
        jira_emitter("https://acme.atlassian.net", "SEC", EMAIL, TOKEN, labels=["a b"])
