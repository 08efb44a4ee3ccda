"""Slack: post reports as Block Kit messages, by incoming webhook or ``chat.postMessage``.

==================  ==============================================================
Request             ``POST <webhook URL>`` or ``POST https://slack.com/api/chat.postMessage``
                    with :func:`deepalert.render.render_slack` (``text`` + ``blocks``),
                    link and media unfurling off
Secrets             the webhook URL, or a bot token (``chat:write``): never logged, never in
                    an error (a webhook URL is a secret in its path)
Answers             webhook: ``200 ok``; ``chat.postMessage``: ``{"ok": true, "ts": ...}``, or
                    ``{"ok": false, "error": ...}`` with HTTP 200
Errors              401/403 and ``invalid_auth``, ``not_authed``, ``token_revoked`` ...:
                    :class:`AuthenticationError`; 429: retried after ``Retry-After`` while the
                    deadline allows, then :class:`RateLimitedError`; 5xx, timeouts: the
                    record fails at once (the post may have landed; it is not sent twice in
                    one delivery); other errors: :class:`ServiceError`
Idempotency         one post per report ID, status and severity per store: the process's
                    memory by default, a DynamoDB table (``DEEPALERT_IDEMPOTENCY_TABLE``) across
                    instances. Slack itself has no way to find an earlier post.
==================  ==============================================================

Ready handler ``deepalert.integrations.slack.handler``, configured by environment variables:
``SECRET_ARN`` (a JSON secret with ``slack_webhook_url``, or ``slack_token`` with
``SLACK_CHANNEL``), ``MIN_SEVERITY`` (default ``unclassified``) and
``DEEPALERT_IDEMPOTENCY_TABLE``.

Example::

    from deepalert.integrations.slack import slack_emitter
    from deepalert.lookup import Secret

    notify = slack_emitter(webhook_url=Secret(env="SECRET_ARN", key="slack_webhook_url"))
"""

from __future__ import annotations

import logging
import os
from typing import Any

from deepalert.emitter import Emitter
from deepalert.errors import ConfigurationError
from deepalert.integrations._common import (
    EnvHandler,
    build_emitter,
    default_store,
    env_secret,
    fingerprint,
    left_ms,
    redact,
)
from deepalert.integrations._idempotency import IdempotencyStore, publication_key, run_once
from deepalert.lookup import (
    AuthenticationError,
    HttpClient,
    LookupFailedError,
    MalformedResponseError,
    RetryPolicy,
    Secret,
    ServiceError,
)
from deepalert.lookup._hide import hide_in_logs
from deepalert.lookup._once import send_once
from deepalert.models import Report, ReportStatus, Severity
from deepalert.render import render_slack

__all__ = ["API_URL", "SlackPoster", "handler", "slack_emitter"]

logger = logging.getLogger("deepalert.integrations.slack")

API_URL = "https://slack.com/api"
"""Slack's Web API base URL."""
_AUTH_ERRORS = frozenset({"not_authed", "invalid_auth", "account_inactive", "token_revoked",
                          "token_expired", "no_permission", "missing_scope",
                          "not_allowed_token_type", "ekm_access_denied"})


class SlackPoster:
    """Posts a report to Slack by webhook or ``chat.postMessage`` (exactly one of the two).

    Args:
        webhook_url: the incoming webhook's URL (a :class:`Secret`, or the URL itself).
        token: a bot token with ``chat:write`` (a :class:`Secret`, or the token).
        channel: the channel ID or name for ``chat.postMessage``.
        api_url: Slack's Web API base URL (tests point it at a local server).
        max_blocks: the most blocks per message (Slack allows 50).
        client: the HTTP client (one is made; retries and timeouts from its policy).
    """

    def __init__(self, *, webhook_url: Secret | str | None = None,
                 token: Secret | str | None = None, channel: str | None = None,
                 api_url: str = API_URL, max_blocks: int = 50,
                 client: HttpClient | None = None) -> None:
        if (webhook_url is None) == (token is None):
            raise ConfigurationError("Slack needs exactly one of webhook_url= (an incoming "
                                     "webhook) and token= (chat.postMessage)")
        if token is not None and not channel:
            raise ConfigurationError("Slack chat.postMessage needs channel= (a channel ID)")
        self._webhook = webhook_url
        self._token = token
        self.channel = channel
        self.max_blocks = max_blocks
        self.client = client or HttpClient("slack", base_url=api_url,
                                           retry=RetryPolicy(attempts=3))

    def __repr__(self) -> str:
        how = "webhook" if self._webhook is not None else f"chat.postMessage to {self.channel}"
        return f"SlackPoster({how})"

    @property
    def target(self) -> str:
        """Where posts go, safe to log: the channel, or the webhook URL's fingerprint."""
        if self._webhook is not None:
            source = self._webhook.describe() if isinstance(self._webhook, Secret) else (
                fingerprint(self._webhook))
            return f"webhook:{fingerprint(source)}"
        return f"channel:{self.channel}"

    def post(self, report: Report, remaining_ms: int | None = None) -> str:
        """Post the report; return the message ``ts`` (``""`` for a webhook).

        Raises:
            LookupFailedError: Slack did not take the message (see the module table).
        """
        message = render_slack(report, max_blocks=self.max_blocks)
        message["unfurl_links"] = False
        message["unfurl_media"] = False
        if self._webhook is not None:
            url = _value(self._webhook)
            hide_in_logs(url)
            try:
                response = send_once(self.client, "POST", url, json=message,
                                     remaining_ms=remaining_ms)
            except LookupFailedError as exc:
                raise redact(exc, "the Slack webhook") from None
            if response.status != 200:
                raise ServiceError(f"the Slack webhook answered HTTP {response.status} "
                                   f"({_short(response.body)})", service="slack",
                                   status=response.status)
            return ""
        message["channel"] = self.channel
        response = send_once(self.client, "POST", "/chat.postMessage", json=message,
                             headers={"Authorization": f"Bearer {_value(self._token)}"},
                             remaining_ms=remaining_ms)
        if response.status != 200:
            raise ServiceError(f"chat.postMessage answered HTTP {response.status}",
                               service="slack", status=response.status)
        answer = response.json()
        if not isinstance(answer, dict):
            raise MalformedResponseError("chat.postMessage answered JSON that is not an object",
                                         service="slack", status=response.status)
        if answer.get("ok") is True:
            return str(answer.get("ts", ""))
        error = str(answer.get("error", "unknown_error"))[:100]
        kind = AuthenticationError if error in _AUTH_ERRORS else ServiceError
        raise kind(f"chat.postMessage refused the message: {error}", service="slack",
                   status=response.status)


def _value(secret: Secret | str | None) -> str:
    assert secret is not None
    return secret.get() if isinstance(secret, Secret) else secret


def _short(body: bytes) -> str:
    # Slack's webhook errors are short codes such as "invalid_payload"; nothing else is kept.
    text = body[:60].decode("utf-8", "replace").strip()
    return text if text.replace("_", "").isalnum() else "no error code"


def slack_emitter(*, webhook_url: Secret | str | None = None,
                  token: Secret | str | None = None, channel: str | None = None,
                  min_severity: Severity | str | None = Severity.UNCLASSIFIED,
                  statuses: tuple[ReportStatus | str, ...] = (ReportStatus.PUBLISHED,),
                  store: IdempotencyStore | None = None, api_url: str = API_URL,
                  client: HttpClient | None = None) -> Emitter[Any, None]:
    """A ready emitter that posts reports to Slack, once per report ID, status and severity.

    Args:
        webhook_url: an incoming webhook's URL (usually a :class:`Secret`).
        token: a bot token for ``chat.postMessage`` (with ``channel``).
        channel: the channel for ``chat.postMessage``.
        min_severity: the least severe report posted (default ``unclassified``: not safe).
        statuses: the statuses posted (default published only).
        store: where publications already posted are remembered (default: the table named
            by ``DEEPALERT_IDEMPOTENCY_TABLE`` if set, else this process's memory).
        api_url: Slack's Web API base URL.
        client: the HTTP client.

    Example::

        notify = slack_emitter(token=Secret(env="SECRET_ARN", key="slack_token"),
                               channel="C0123456789")
    """
    poster = SlackPoster(webhook_url=webhook_url, token=token, channel=channel,
                         api_url=api_url, client=client)

    def act(report: Report, context: object) -> None:
        key = publication_key(f"slack:{poster.target}", report)
        chosen = store if store is not None else default_store()
        ran, ts = run_once(chosen, key, lambda: poster.post(report, left_ms(context)))
        if ran:
            logger.info("posted report %s to Slack %s %s", report.id, poster.target, ts or "")

    return build_emitter("deepalert.integrations.slack.slack_emitter", act,
                         statuses=statuses, min_severity=min_severity)


def _from_env() -> Emitter[Any, None]:
    channel = os.environ.get("SLACK_CHANNEL", "").strip()
    min_severity = os.environ.get("MIN_SEVERITY", "").strip() or Severity.UNCLASSIFIED
    if channel:
        return slack_emitter(token=env_secret("slack_token"), channel=channel,
                             min_severity=min_severity)
    return slack_emitter(webhook_url=env_secret("slack_webhook_url"), min_severity=min_severity)


handler = EnvHandler(_from_env, "deepalert.integrations.slack.handler")
"""The Lambda handler: ``SECRET_ARN`` names a JSON secret with ``slack_webhook_url`` (or
``slack_token`` and ``SLACK_CHANNEL`` set); ``MIN_SEVERITY``; ``DEEPALERT_IDEMPOTENCY_TABLE``."""
