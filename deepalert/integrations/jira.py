"""Jira Cloud: one issue per report, comments for later publications, a transition on safe.

==================  ==============================================================
Requests            ``GET /rest/api/3/search/jql`` (the report's issue, by its label
                    ``deepalert-<report ID>``), ``POST /rest/api/3/issue`` (``summary`` = the
                    report title, at most 255 characters; ``description`` =
                    :func:`deepalert.render.render_adf`; ``labels``), ``GET``/``POST
                    /rest/api/3/issue/{key}/comment``, ``GET``/``POST
                    /rest/api/3/issue/{key}/transitions`` (``close_transition``)
Secrets             ``jira_email`` and ``jira_api_token`` (basic authentication, as Atlassian
                    documents for API tokens); never logged
Errors              401/403: :class:`AuthenticationError`; 400 (``{"errorMessages",
                    "errors"}``, such as an unknown issue type), 404: :class:`ServiceError`
                    naming Jira's messages; 429 and 5xx on reads: retried per
                    ``Retry-After``; 429 on writes: retried; 5xx and timeouts on writes: the
                    record fails at once (the next delivery finds what landed)
Idempotency         the report's label finds its issue, and the description or a comment
                    carries the publication's key in its last line (checked by listing the
                    comments) so a redelivery writes nothing twice. Jira's search index
                    can lag a new issue by seconds: the store (memory, or
                    ``DEEPALERT_IDEMPOTENCY_TABLE`` across instances) covers that gap.
==================  ==============================================================

Ready handler ``deepalert.integrations.jira.handler``: ``SECRET_ARN`` (a JSON secret with
``jira_email`` and ``jira_api_token``), ``JIRA_URL`` (``https://YOUR-SITE.atlassian.net``),
``JIRA_PROJECT`` (a project key), ``JIRA_ISSUE_TYPE`` (default ``Task``), ``JIRA_LABELS``,
``MIN_SEVERITY`` (default ``unclassified``), ``CLOSE_TRANSITION`` (a transition name such as
``Done``; empty: never), ``DEEPALERT_IDEMPOTENCY_TABLE``.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
from collections.abc import Sequence
from typing import Any

from deepalert.emitter import Emitter
from deepalert.errors import ConfigurationError
from deepalert.integrations._common import (
    EnvHandler,
    build_emitter,
    default_store,
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
    Secret,
    ServiceError,
)
from deepalert.lookup._once import send_once
from deepalert.models import Report, ReportStatus, Severity
from deepalert.render import effective_severity, render_adf, report_title

__all__ = ["JiraIssues", "handler", "jira_emitter", "report_label"]

logger = logging.getLogger("deepalert.integrations.jira")

_PROJECT = re.compile(r"^[A-Z][A-Z0-9_]{0,254}$")


def report_label(report_id: str) -> str:
    """``deepalert-<report ID>``: the label that ties an issue to a report."""
    return f"deepalert-{report_id}"[:255]


def _publication_line(key: str) -> str:
    return f"DeepAlert publication {key}"


def _line(text: str) -> dict[str, Any]:
    return {"type": "paragraph", "content": [{"type": "text", "text": text}]}


class JiraIssues:
    """Issues of one Jira Cloud project, for reports.

    Args:
        url: the site, ``https://YOUR-SITE.atlassian.net``.
        project: the project key, such as ``SEC``.
        email: the account's e-mail (a :class:`Secret` or text).
        api_token: the account's API token (a :class:`Secret` or text).
        issue_type: the issue type's name.
        labels: labels put on new issues (besides the report's own).
        close_transition: the transition that closes an issue, such as ``Done``.
        client: the HTTP client.
    """

    def __init__(self, url: str, project: str, email: Secret | str, api_token: Secret | str,
                 *, issue_type: str = "Task", labels: Sequence[str] = (),
                 close_transition: str | None = None, client: HttpClient | None = None
                 ) -> None:
        if not _PROJECT.match(project):
            raise ConfigurationError(f"Jira project must be a project key such as SEC, "
                                     f"got {project!r}")
        bad = [label for label in labels if not label or " " in label]
        if bad:
            raise ConfigurationError(f"Jira labels cannot be empty or hold spaces: {bad}")
        self.project = project
        self.issue_type = issue_type
        self.labels = list(labels)
        self.close_transition = close_transition
        self._email = email
        self._token = api_token
        self.client = client or HttpClient("jira", base_url=url, retry=RetryPolicy(attempts=3))

    def __repr__(self) -> str:
        return f"JiraIssues(project={self.project!r})"

    def _headers(self) -> dict[str, str]:
        email = self._email.get() if isinstance(self._email, Secret) else self._email
        token = self._token.get() if isinstance(self._token, Secret) else self._token
        basic = base64.b64encode(f"{email}:{token}".encode()).decode("ascii")
        return {"Authorization": f"Basic {basic}", "Accept": "application/json"}

    def _check(self, response: HttpResponse, what: str, ok: Sequence[int] = (200,)) -> Any:
        if response.status in ok:
            return response.json() if response.body else None
        detail = "no message"
        try:
            answer = response.json()
            if isinstance(answer, dict):
                messages = [str(m) for m in answer.get("errorMessages") or []]
                errors = answer.get("errors") or {}
                if isinstance(errors, dict):
                    messages += [f"{k}: {v}" for k, v in errors.items()]
                detail = "; ".join(messages)[:300] or detail
        except MalformedResponseError:
            pass
        raise ServiceError(f"{what} in {self.project} answered {response.status}: {detail}",
                           service="jira", status=response.status)

    def find_issue(self, report: Report, remaining_ms: int | None = None
                   ) -> tuple[str, Any] | None:
        """The key and description of the report's issue, or ``None``."""
        jql = f'project = "{self.project}" AND labels = "{report_label(report.id)}"'
        response = self.client.get("/rest/api/3/search/jql",
                                   params={"jql": jql, "fields": "summary,labels,description",
                                           "maxResults": "5"},
                                   headers=self._headers(), remaining_ms=remaining_ms)
        answer = self._check(response, "issue search")
        issues = answer.get("issues") if isinstance(answer, dict) else None
        if not isinstance(issues, list):
            raise MalformedResponseError("issue search answered without an issues list",
                                         service="jira", status=response.status)
        for issue in issues:
            if isinstance(issue, dict) and isinstance(issue.get("key"), str):
                fields = issue.get("fields")
                description = fields.get("description") if isinstance(fields, dict) else None
                return str(issue["key"]), description
        return None

    def create(self, report: Report, key: str, remaining_ms: int | None = None) -> str:
        """Open the report's issue; return its key."""
        description = render_adf(report)
        description["content"].append(_line(_publication_line(key)))
        fields = {"project": {"key": self.project}, "issuetype": {"name": self.issue_type},
                  "summary": report_title(report, 255), "description": description,
                  "labels": [*self.labels, report_label(report.id)]}
        response = send_once(self.client, "POST", "/rest/api/3/issue", json={"fields": fields},
                             headers=self._headers(), remaining_ms=remaining_ms)
        answer = self._check(response, "creating an issue", ok=(201,))
        issue = answer.get("key") if isinstance(answer, dict) else None
        if not isinstance(issue, str):
            raise MalformedResponseError("Jira answered a new issue without a key",
                                         service="jira", status=response.status)
        return issue

    def has_publication(self, issue: str, key: str, remaining_ms: int | None = None) -> bool:
        """Whether a comment on ``issue`` already carries the publication ``key``."""
        line = _publication_line(key)
        start = 0
        for _ in range(20):
            response = self.client.get(f"/rest/api/3/issue/{issue}/comment",
                                       params={"startAt": str(start), "maxResults": "100"},
                                       headers=self._headers(), remaining_ms=remaining_ms)
            answer = self._check(response, f"listing comments of {issue}")
            comments = answer.get("comments") if isinstance(answer, dict) else None
            if not isinstance(comments, list):
                raise MalformedResponseError("the comment list has no comments array",
                                             service="jira", status=response.status)
            if any(line in json.dumps(c.get("body")) for c in comments if isinstance(c, dict)):
                return True
            start += len(comments)
            total = answer.get("total") if isinstance(answer, dict) else None
            if not comments or not isinstance(total, int) or start >= total:
                return False
        return False

    def comment(self, issue: str, report: Report, key: str,
                remaining_ms: int | None = None) -> None:
        """Comment the report's new publication on ``issue``."""
        body = render_adf(report, max_chars=30_000)
        body["content"].append(_line(_publication_line(key)))
        response = send_once(self.client, "POST", f"/rest/api/3/issue/{issue}/comment",
                             json={"body": body}, headers=self._headers(),
                             remaining_ms=remaining_ms)
        self._check(response, f"commenting on {issue}", ok=(201,))

    def close(self, issue: str, remaining_ms: int | None = None) -> bool:
        """Apply ``close_transition`` to ``issue``; ``False`` when it is not available
        (already closed, for example)."""
        path = f"/rest/api/3/issue/{issue}/transitions"
        response = self.client.get(path, headers=self._headers(), remaining_ms=remaining_ms)
        answer = self._check(response, f"listing transitions of {issue}")
        transitions = answer.get("transitions") if isinstance(answer, dict) else None
        if not isinstance(transitions, list):
            raise MalformedResponseError("the transition list has no transitions array",
                                         service="jira", status=response.status)
        wanted = (self.close_transition or "").casefold()
        for transition in transitions:
            if isinstance(transition, dict) and str(transition.get("name", "")).casefold() \
                    == wanted:
                done = self.client.request("POST", path, json={"transition": {
                    "id": str(transition.get("id"))}}, headers=self._headers(),
                    remaining_ms=remaining_ms, idempotent=True)
                self._check(done, f"moving {issue} to {self.close_transition}", ok=(204,))
                return True
        return False

    def publish(self, report: Report, *, open_severity: Severity, key: str,
                remaining_ms: int | None = None) -> str:
        """Open, comment or close for this publication; return what was done."""
        severity = effective_severity(report)
        found = self.find_issue(report, remaining_ms)
        if found is None:
            known = severity if severity in ("safe", "unclassified", "urgent") \
                else "unclassified"
            if (report.status != "published" or severity == Severity.SAFE
                    or Severity(known).rank < open_severity.rank):
                return "nothing (no issue, and none to open)"
            return f"opened {self.create(report, key, remaining_ms)}"
        issue, description = found
        done = []
        if (_publication_line(key) not in json.dumps(description)
                and not self.has_publication(issue, key, remaining_ms)):
            self.comment(issue, report, key, remaining_ms)
            done.append(f"commented on {issue}")
        if (severity == Severity.SAFE and self.close_transition
                and self.close(issue, remaining_ms)):
            done.append(f"moved {issue} to {self.close_transition}")
        return ", ".join(done) or f"nothing ({issue} already has this publication)"


def jira_emitter(url: str, project: str, email: Secret | str, api_token: Secret | str, *,
                 issue_type: str = "Task", labels: Sequence[str] = (),
                 min_severity: Severity | str = Severity.UNCLASSIFIED,
                 close_transition: str | None = None,
                 statuses: Sequence[ReportStatus | str] = (ReportStatus.PUBLISHED,),
                 store: IdempotencyStore | None = None, client: HttpClient | None = None
                 ) -> Emitter[Any, None]:
    """A ready emitter keeping one Jira issue per report: opened by the first publication at
    least ``min_severity``, commented by later ones, moved through ``close_transition`` when
    the report is published safe.

    Example::

        ticket = jira_emitter("https://acme.atlassian.net", "SEC",
                              Secret(env="SECRET_ARN", key="jira_email"),
                              Secret(env="SECRET_ARN", key="jira_api_token"),
                              close_transition="Done")
    """
    try:
        open_severity = Severity(min_severity)
    except ValueError:
        raise ConfigurationError(f"min_severity must be one of safe, unclassified, urgent; "
                                 f"got {min_severity!r}") from None
    issues = JiraIssues(url, project, email, api_token, issue_type=issue_type, labels=labels,
                        close_transition=close_transition, client=client)
    def act(report: Report, context: object) -> None:
        key = publication_key(f"jira:{project}", report)
        chosen = store if store is not None else default_store()
        ran, done = run_once(chosen, key, lambda: issues.publish(
            report, open_severity=open_severity, key=key, remaining_ms=left_ms(context)))
        if ran:
            logger.info("Jira %s for report %s: %s", project, report.id, done)

    return build_emitter("deepalert.integrations.jira.jira_emitter", act, statuses=statuses)


def _from_env() -> Emitter[Any, None]:
    labels = [x.strip() for x in os.environ.get("JIRA_LABELS", "").split(",") if x.strip()]
    return jira_emitter(
        env_required("JIRA_URL", "the Jira site, https://YOUR-SITE.atlassian.net"),
        env_required("JIRA_PROJECT", "the project key for issues"),
        env_secret("jira_email"), env_secret("jira_api_token"),
        issue_type=os.environ.get("JIRA_ISSUE_TYPE", "").strip() or "Task", labels=labels,
        min_severity=os.environ.get("MIN_SEVERITY", "").strip() or Severity.UNCLASSIFIED,
        close_transition=os.environ.get("CLOSE_TRANSITION", "").strip() or None)


handler = EnvHandler(_from_env, "deepalert.integrations.jira.handler")
"""The Lambda handler: ``SECRET_ARN`` (``jira_email``, ``jira_api_token``), ``JIRA_URL``,
``JIRA_PROJECT``, ``JIRA_ISSUE_TYPE``, ``JIRA_LABELS``, ``MIN_SEVERITY``,
``CLOSE_TRANSITION``, ``DEEPALERT_IDEMPOTENCY_TABLE``."""
