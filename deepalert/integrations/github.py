"""GitHub issues: open an issue for a report's first publication, comment on later ones,
close it when the report is published safe (if configured).

==================  ==============================================================
Requests            ``GET /search/issues`` (the report's issue, by its ID in the title),
                    ``POST /repos/{owner}/{repo}/issues`` (title = the report title, body =
                    :func:`deepalert.render.render_markdown` within 65,536 characters,
                    ``labels``), ``GET``/``POST .../issues/{number}/comments``,
                    ``PATCH .../issues/{number}`` (``state: closed``)
Secret              a token with ``issues: write`` on the repository (a fine-grained PAT;
                    GitHub App installation tokens expire hourly, so pass an object whose
                    ``get()`` mints one); never logged
Errors              401, 403: :class:`AuthenticationError`; a 403 or 429 that is GitHub's
                    rate limit (``X-RateLimit-Remaining: 0``, or ``Retry-After``):
                    :class:`RateLimitedError` with the wait in ``retry_after``; 404 (no
                    such repository, or the token cannot see it), 410 (issues disabled),
                    422 (validation failed, such as a bad label): :class:`ServiceError`
                    with GitHub's message; 429 and 5xx on
                    reads: retried per ``Retry-After``; 429 on writes: retried per
                    ``Retry-After``; 5xx and timeouts on writes: the record fails at once
                    (the write may have landed: the next delivery finds it, below)
Idempotency         every body carries a hidden marker, ``<!-- deepalert:report=ID -->`` in
                    the issue and ``<!-- deepalert:publication=KEY -->`` in each comment.
                    Before writing, the emitter looks for the issue (search, then the marker)
                    and lists its comments (exact, not search): a publication already
                    written is skipped. GitHub's search index lags a few seconds behind a
                    new issue, so the store (memory, or ``DEEPALERT_IDEMPOTENCY_TABLE`` across
                    instances) also remembers each publication done; with the table, a
                    redelivery never opens a second issue.
==================  ==============================================================

Ready handler ``deepalert.integrations.github.handler``: ``SECRET_ARN`` (a JSON secret with
``github_token``), ``GITHUB_REPO`` (``owner/name``), ``GITHUB_API_URL`` (default
``https://api.github.com``; GitHub Enterprise Server: ``https://HOST/api/v3``),
``GITHUB_LABELS`` (comma-separated), ``MIN_SEVERITY`` (default ``unclassified``: the least
severe report that opens an issue), ``CLOSE_ON_SAFE`` (``true``/``false``),
``DEEPALERT_IDEMPOTENCY_TABLE``.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from typing import Any

from deepalert.emitter import Emitter
from deepalert.errors import ConfigurationError
from deepalert.integrations._common import (
    EnvHandler,
    SecretLike,
    build_emitter,
    default_store,
    env_bool,
    env_required,
    env_secret,
    left_ms,
)
from deepalert.integrations._idempotency import IdempotencyStore, publication_key, run_once
from deepalert.lookup import (
    HttpClient,
    HttpResponse,
    MalformedResponseError,
    RetryPolicy,
    ServiceError,
)
from deepalert.lookup._once import send_once
from deepalert.models import Report, ReportStatus, Severity
from deepalert.render import GITHUB_BODY_LIMIT, effective_severity, render_markdown, report_title

__all__ = ["API_URL", "GitHubIssues", "github_emitter", "handler", "report_marker"]

logger = logging.getLogger("deepalert.integrations.github")

API_URL = "https://api.github.com"
"""GitHub's REST API base URL."""
_REPO = re.compile(r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$")
_MARGIN = 200  # room in a body for the marker lines


def report_marker(report_id: str) -> str:
    """The hidden line that ties an issue to a report."""
    return f"<!-- deepalert:report={report_id} -->"


def _publication_marker(key: str) -> str:
    return f"<!-- deepalert:publication={key} -->"


class GitHubIssues:
    """One repository's issues, for reports.

    Args:
        repo: ``owner/name``.
        token: a token allowed to write issues: a :class:`Secret`, text, or any object
            whose ``get()`` returns a current token.
        labels: labels put on new issues.
        api_url: the REST API base URL (GitHub Enterprise Server: ``https://HOST/api/v3``).
        client: the HTTP client.
    """

    def __init__(self, repo: str, token: SecretLike | str, *, labels: Sequence[str] = (),
                 api_url: str = API_URL, client: HttpClient | None = None) -> None:
        if not _REPO.match(repo):
            raise ConfigurationError(f"GitHub repository must be owner/name, got {repo!r}")
        self.repo = repo
        self.labels = list(labels)
        self._token = token
        self.client = client or HttpClient("github", base_url=api_url,
                                           retry=RetryPolicy(attempts=3))

    def __repr__(self) -> str:
        return f"GitHubIssues({self.repo!r})"

    def _headers(self) -> dict[str, str]:
        token = self._token if isinstance(self._token, str) else self._token.get()
        return {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28"}

    def _check(self, response: HttpResponse, what: str, ok: Sequence[int] = (200,)) -> Any:
        if response.status in ok:
            return response.json()
        message = "no message"
        try:
            answer = response.json()
            if isinstance(answer, dict):
                message = str(answer.get("message", message))[:200]
        except MalformedResponseError:
            pass
        hint = {404: " (no such repository or issue, or the token cannot see it)",
                410: " (issues are disabled on the repository)",
                422: " (GitHub refused the content)"}.get(response.status, "")
        raise ServiceError(f"{what} in {self.repo} answered {response.status}: "
                           f"{message}{hint}", service="github", status=response.status)

    def find_issue(self, report: Report, remaining_ms: int | None = None
                   ) -> dict[str, Any] | None:
        """The report's issue (its number, state and body), or ``None`` when there is none."""
        query = f'repo:{self.repo} is:issue in:title "{report.id}"'
        response = self.client.get("/search/issues", params={"q": query, "per_page": "10"},
                                   headers=self._headers(), remaining_ms=remaining_ms)
        answer = self._check(response, "issue search")
        items = answer.get("items") if isinstance(answer, dict) else None
        if not isinstance(items, list):
            raise MalformedResponseError("issue search answered without an items list",
                                         service="github", status=response.status)
        marker = report_marker(report.id)
        for item in items:
            if isinstance(item, dict) and marker in str(item.get("body") or ""):
                return item
        return None

    def has_publication(self, number: int, key: str, remaining_ms: int | None = None) -> bool:
        """Whether a comment on issue ``number`` already carries the publication ``key``."""
        marker = _publication_marker(key)
        for page in range(1, 11):
            response = self.client.get(f"/repos/{self.repo}/issues/{number}/comments",
                                       params={"per_page": "100", "page": str(page)},
                                       headers=self._headers(), remaining_ms=remaining_ms)
            comments = self._check(response, f"listing comments of #{number}")
            if not isinstance(comments, list):
                raise MalformedResponseError("the comment list is not a JSON array",
                                             service="github", status=response.status)
            if any(isinstance(c, dict) and marker in str(c.get("body") or "")
                   for c in comments):
                return True
            if len(comments) < 100:
                return False
        return False

    def open_issue(self, report: Report, key: str, remaining_ms: int | None = None) -> int:
        """Open the report's issue; return its number."""
        body = "\n".join([report_marker(report.id), _publication_marker(key),
                          render_markdown(report, max_chars=GITHUB_BODY_LIMIT - _MARGIN)])
        payload: dict[str, Any] = {"title": report_title(report, 256), "body": body}
        if self.labels:
            payload["labels"] = self.labels
        response = send_once(self.client, "POST", f"/repos/{self.repo}/issues", json=payload,
                             headers=self._headers(), remaining_ms=remaining_ms)
        return _number(self._check(response, "opening an issue", ok=(201,)), response)

    def comment(self, number: int, report: Report, key: str,
                remaining_ms: int | None = None) -> None:
        """Comment the report's new publication on issue ``number``."""
        body = "\n".join([_publication_marker(key),
                          render_markdown(report, max_chars=GITHUB_BODY_LIMIT - _MARGIN,
                                          heading="###")])
        response = send_once(self.client, "POST", f"/repos/{self.repo}/issues/{number}/comments",
                             json={"body": body}, headers=self._headers(),
                             remaining_ms=remaining_ms)
        self._check(response, f"commenting on #{number}", ok=(201,))

    def close(self, number: int, remaining_ms: int | None = None) -> None:
        """Close issue ``number`` as not planned (the report was judged safe)."""
        response = self.client.request(
            "PATCH", f"/repos/{self.repo}/issues/{number}",
            json={"state": "closed", "state_reason": "not_planned"}, headers=self._headers(),
            remaining_ms=remaining_ms, idempotent=True)  # setting a state twice is harmless
        self._check(response, f"closing #{number}")

    def publish(self, report: Report, *, open_severity: Severity, close_on_safe: bool,
                key: str, remaining_ms: int | None = None) -> str:
        """Open, comment or close for this publication; return what was done."""
        severity = effective_severity(report)
        issue = self.find_issue(report, remaining_ms)
        if issue is None:
            if report.status != "published":
                return "nothing (no issue, and the report is not reviewed yet)"
            rank = Severity(severity).rank if severity in ("safe", "unclassified", "urgent") \
                else Severity.UNCLASSIFIED.rank
            if severity == Severity.SAFE or rank < open_severity.rank:
                return "nothing (no issue, and the report is below the severity to open one)"
            number = self.open_issue(report, key, remaining_ms)
            return f"opened #{number}"
        number = _number(issue, None)
        done = []
        if (_publication_marker(key) not in str(issue.get("body") or "")
                and not self.has_publication(number, key, remaining_ms)):
            self.comment(number, report, key, remaining_ms)
            done.append(f"commented on #{number}")
        if severity == Severity.SAFE and close_on_safe and issue.get("state") != "closed":
            self.close(number, remaining_ms)
            done.append(f"closed #{number}")
        return ", ".join(done) or f"nothing (#{number} already has this publication)"


def _number(answer: Any, response: HttpResponse | None) -> int:
    number = answer.get("number") if isinstance(answer, dict) else None
    if isinstance(number, bool) or not isinstance(number, int):
        raise MalformedResponseError("GitHub answered an issue without a number",
                                     service="github",
                                     status=response.status if response else None)
    return number


def github_emitter(repo: str, token: SecretLike | str, *, labels: Sequence[str] = (),
                   min_severity: Severity | str = Severity.UNCLASSIFIED,
                   statuses: Sequence[ReportStatus | str] = (ReportStatus.PUBLISHED,),
                   close_on_safe: bool = False, store: IdempotencyStore | None = None,
                   api_url: str = API_URL, client: HttpClient | None = None
                   ) -> Emitter[Any, None]:
    """A ready emitter keeping one GitHub issue per report.

    The first publication at least ``min_severity`` opens the issue; each later publication
    (another severity or reason) becomes a comment; a ``safe`` publication closes it when
    ``close_on_safe``. Safe reports never open an issue. With ``statuses`` including
    ``more``, alerts that join a report after its review are commented on its issue too
    (an unreviewed report never opens one).

    Example::

        track = github_emitter("acme/security-alerts",
                               Secret(env="SECRET_ARN", key="github_token"),
                               labels=["deepalert"], close_on_safe=True)
    """
    try:
        open_severity = Severity(min_severity)
    except ValueError:
        raise ConfigurationError(f"min_severity must be one of safe, unclassified, urgent; "
                                 f"got {min_severity!r}") from None
    issues = GitHubIssues(repo, token, labels=labels, api_url=api_url, client=client)

    def act(report: Report, context: object) -> None:
        key = publication_key(f"github:{repo}", report)
        chosen = store if store is not None else default_store()
        ran, done = run_once(chosen, key, lambda: issues.publish(
            report, open_severity=open_severity, close_on_safe=close_on_safe, key=key,
            remaining_ms=left_ms(context)))
        if ran:
            logger.info("GitHub %s for report %s: %s", repo, report.id, done)

    return build_emitter("deepalert.integrations.github.github_emitter", act,
                         statuses=statuses)


def _from_env() -> Emitter[Any, None]:
    labels = [x.strip() for x in os.environ.get("GITHUB_LABELS", "").split(",") if x.strip()]
    return github_emitter(
        env_required("GITHUB_REPO", "the repository for issues, owner/name"),
        env_secret("github_token"), labels=labels,
        min_severity=os.environ.get("MIN_SEVERITY", "").strip() or Severity.UNCLASSIFIED,
        close_on_safe=env_bool("CLOSE_ON_SAFE"),
        api_url=os.environ.get("GITHUB_API_URL", "").strip() or API_URL)


handler = EnvHandler(_from_env, "deepalert.integrations.github.handler")
"""The Lambda handler: ``SECRET_ARN`` (``github_token``), ``GITHUB_REPO``,
``GITHUB_API_URL``, ``GITHUB_LABELS``, ``MIN_SEVERITY``, ``CLOSE_ON_SAFE``,
``DEEPALERT_IDEMPOTENCY_TABLE``."""
