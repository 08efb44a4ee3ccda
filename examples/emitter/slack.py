"""An example emitter: post published reports that are not safe to a Slack-compatible webhook.

* The webhook URL comes from ``SLACK_WEBHOOK_URL``. It is a secret: it is never logged and
  never put in an error message. It must be ``https://`` (plain ``http://`` only to the
  loopback address, for tests).
* When ``SLACK_WEBHOOK_URL`` is not set, the message is printed to standard error instead of
  posted (a dry run), so the example is useful offline, in ``deepalert run`` for instance.
* The message is :func:`deepalert.render.render_slack`'s Block Kit rendering, the one the
  ready Slack emitter posts: alert and attribute values (attacker controlled) are plain text,
  escaped, so a description cannot write ``<!channel>`` or a disguised link, and Slack's size
  limits hold.
* A failed post (an HTTP error, a timeout, a redirect) raises :class:`WebhookError`, so the
  record fails and SNS or SQS delivers it again.

Deploy with ``template.yaml``; the Lambda handler is ``slack.post_to_slack``.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import sys
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from deepalert import Report, Severity
from deepalert.emitter import emitter
from deepalert.render import render_slack

__all__ = [
    "WEBHOOK_ENV",
    "WebhookError",
    "post",
    "post_to_slack",
    "time_left",
]

logger = logging.getLogger(__name__)

WEBHOOK_ENV = "SLACK_WEBHOOK_URL"
TIMEOUT_SECONDS = 10.0


class WebhookError(Exception):
    """The webhook did not take the message. The message never contains the URL."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A webhook does not redirect; following one would send the message elsewhere."""

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str,
                         headers: Any, newurl: str) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _check_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        raise WebhookError(f"{WEBHOOK_ENV} is not a valid URL") from None
    if parts.scheme == "https" and host:
        return
    if parts.scheme == "http" and _is_loopback(host):
        return
    raise WebhookError(f"{WEBHOOK_ENV} must be an https:// URL")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def post(url: str, message: dict[str, Any], *, timeout: float = TIMEOUT_SECONDS) -> None:
    """POST the message as JSON to the webhook.

    Raises:
        WebhookError: the URL is not https, or the webhook did not answer 2xx in time;
            the error names the HTTP status or the exception type, never the URL.
    """
    _check_url(url)
    data = json.dumps(message, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with _opener.open(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        status = exc.code
        exc.close()
        raise WebhookError(f"the webhook answered HTTP {status}") from None
    except Exception as exc:  # URLError, timeouts, bad URLs: their text may hold the URL
        raise WebhookError(f"the webhook could not be reached ({type(exc).__name__})"
                           ) from None


def time_left(context: object) -> float:
    """Seconds a post may take: at most ``TIMEOUT_SECONDS``, and done a second before the
    invocation's deadline, so a slow webhook fails its record instead of the whole batch."""
    getter = getattr(context, "get_remaining_time_in_millis", None)
    if getter is None:
        return TIMEOUT_SECONDS
    left_ms = float(getter())
    return max(0.5, min(TIMEOUT_SECONDS, left_ms / 1000 - 1.0))


@emitter(min_severity=Severity.UNCLASSIFIED)
def post_to_slack(report: Report, context: object = None) -> None:
    """Post a published report that is not safe; print it instead when no webhook is set.

    Example::

        SLACK_WEBHOOK_URL=https://hooks.slack.com/services/... deepalert run ...
    """
    message = render_slack(report)
    url = os.environ.get(WEBHOOK_ENV, "").strip()
    if not url:
        print(f"[{WEBHOOK_ENV} is not set: the Slack message for report {report.id} "
              "is printed, not posted]", file=sys.stderr)
        print(json.dumps(message, ensure_ascii=False, indent=2), file=sys.stderr)
        return
    post(url, message, timeout=time_left(context))
    logger.info("posted report %s to the webhook", report.id)
