"""Microsoft Teams: post reports as Adaptive Cards to a channel's workflow webhook.

==================  ==============================================================
Request             ``POST <webhook URL>`` (a Teams "Workflows" webhook, or a legacy
                    incoming webhook) with ``{"type": "message", "attachments": [{
                    "contentType": "application/vnd.microsoft.card.adaptive", "content":
                    <Adaptive Card 1.4>}]}``, the whole message within 28 KB (Teams' limit)
Card                the title, the facts, the reviewer's reason, then the alerts,
                    attributes, investigation links and findings, from
                    :func:`deepalert.render.digest`. Report text goes only in ``TextRun``
                    elements, which Teams never reads as Markdown: alert text cannot format,
                    link or mention (a Teams mention needs an explicit entity anyway)
Secret              the webhook URL (it carries its own signature): never logged or in an
                    error
Answers             ``200`` or ``202``; legacy connectors answer ``200`` with ``1`` or an
                    error text
Errors              401/403: :class:`AuthenticationError`; 429: retried per ``Retry-After``
                    while the deadline allows; 5xx, timeouts: the record fails at once (the
                    card may have been posted); other statuses: :class:`ServiceError`
Idempotency         the store only (memory, or ``DEEPALERT_IDEMPOTENCY_TABLE``): Teams
                    cannot find an earlier post
==================  ==============================================================

Ready handler ``deepalert.integrations.teams.handler``: ``SECRET_ARN`` (a JSON secret with
``teams_webhook_url``), ``MIN_SEVERITY`` (default ``unclassified``),
``DEEPALERT_IDEMPOTENCY_TABLE``.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from typing import Any

from deepalert.emitter import Emitter
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
from deepalert.lookup import HttpClient, LookupFailedError, RetryPolicy, Secret, ServiceError
from deepalert.lookup._hide import hide_in_logs
from deepalert.lookup._once import send_once
from deepalert.models import Report, ReportStatus, Severity
from deepalert.render import AttributeLine, digest, one_line, report_title

__all__ = ["MAX_MESSAGE_BYTES", "TeamsWebhook", "handler", "render_card", "teams_emitter"]

logger = logging.getLogger("deepalert.integrations.teams")

MAX_MESSAGE_BYTES = 28_000
"""Teams refuses messages larger than about 28 KB."""
_COLORS = {"urgent": "attention", "unclassified": "warning", "safe": "good"}


def _runs(*parts: tuple[str, bool]) -> dict[str, Any]:
    """A RichTextBlock of TextRuns: (text, bold). TextRun text is never read as Markdown."""
    return {"type": "RichTextBlock", "inlines": [
        {"type": "TextRun", "text": text, **({"weight": "bolder"} if bold else {})}
        for text, bold in parts if text]}


def _heading(text: str) -> dict[str, Any]:
    return {"type": "RichTextBlock", "separator": True, "spacing": "medium", "inlines": [
        {"type": "TextRun", "text": text, "weight": "bolder", "size": "medium"}]}


def _attr(attr: AttributeLine) -> str:
    context = f" ({', '.join(attr.context)})" if attr.context else ""
    key = f" [{one_line(attr.key)}]" if attr.key and attr.key != attr.type else ""
    return f"{attr.type} {one_line(attr.value)}{key}{context}"


def render_card(report: Report, *, max_bytes: int = MAX_MESSAGE_BYTES - 1_000
                ) -> dict[str, Any]:
    """The report as an Adaptive Card (1.4) whose JSON stays within ``max_bytes``.

    Entries that do not fit are left out from the end; a last line says how many.
    """
    d = digest(report)
    title = report_title(report, 200)
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": "DeepAlert", "isSubtle": True, "size": "small"},
        {"type": "RichTextBlock", "inlines": [{
            "type": "TextRun", "text": title, "weight": "bolder", "size": "large",
            "color": _COLORS.get(d.severity, "default")}]},
    ]
    facts = [("Severity", d.severity), ("Status", d.status or "unknown"),
             ("Report ID", d.report_id), ("Detectors", ", ".join(d.detectors)),
             ("Created", d.created_at)]
    body.extend(_runs((f"{name}: ", True), (one_line(value), False))
                for name, value in facts if value)
    if d.reason:
        body.append(_runs(("Reason: ", True), (one_line(d.reason), False)))
    rest: list[dict[str, Any]] = []
    if d.alerts:
        rest.append(_heading(f"Alerts ({len(d.alerts)})"))
        rest.extend(_runs((f"{one_line(a.rule)} ", True), (f"from {one_line(a.detector)}", False),
                          (f": {one_line(a.description)}" if a.description else "", False))
                    for a in d.alerts)
    if d.attributes:
        rest.append(_heading(f"Attributes ({len(d.attributes)})"))
        rest.extend(_runs((_attr(a), False)) for a in d.attributes)
    if d.links:
        rest.append(_heading("Investigation links"))
        rest.extend(_runs((one_line(link), False)) for link in d.links)
    for group in d.findings:
        rest.append(_heading(f"{group.title} ({len(group.items)})"))
        for item in group.items:
            rest.append(_runs((_attr(item.subject), True)))
            rest.extend(_runs((f"{name}: ", True), (one_line(value), False))
                        for name, value in item.facts)
    card: dict[str, Any] = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                            "type": "AdaptiveCard", "version": "1.4", "body": body,
                            "msteams": {"width": "Full"}}
    size = len(json.dumps(card).encode())
    for index, element in enumerate(rest):
        grown = size + len(json.dumps(element).encode()) + 2
        if grown > max_bytes - 300:  # room for the closing note
            body.append(_runs((f"{len(rest) - index} more entries left out; the whole report "
                               f"is {d.report_id}", False)))
            break
        body.append(element)
        size = grown
    return card


class TeamsWebhook:
    """Posts report cards to one Teams webhook.

    Args:
        url: the webhook URL (a :class:`Secret` or text).
        client: the HTTP client.
    """

    def __init__(self, url: Secret | str, *, client: HttpClient | None = None) -> None:
        self._url = url
        self.client = client or HttpClient("teams", retry=RetryPolicy(attempts=3))

    def __repr__(self) -> str:
        return "TeamsWebhook(url=***)"

    @property
    def target(self) -> str:
        """The URL's fingerprint, safe to log."""
        return fingerprint(self._url.describe() if isinstance(self._url, Secret) else self._url)

    def post(self, report: Report, remaining_ms: int | None = None) -> None:
        """Post the report's card.

        Raises:
            LookupFailedError: Teams did not take it (see the module table).
        """
        url = self._url.get() if isinstance(self._url, Secret) else self._url
        hide_in_logs(url)
        message = {"type": "message", "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
            "content": render_card(report)}]}
        try:
            response = send_once(self.client, "POST", url, json=message,
                                 remaining_ms=remaining_ms)
        except LookupFailedError as exc:
            raise redact(exc, "the Teams webhook") from None
        if response.status not in (200, 201, 202):
            raise ServiceError(f"the Teams webhook answered HTTP {response.status}",
                               service="teams", status=response.status)
        text = response.body[:200].decode("utf-8", "replace").strip()
        if response.status == 200 and text not in ("", "1") and not text.startswith("{"):
            # Legacy connectors answer 200 with an error text instead of "1".
            raise ServiceError("the Teams webhook refused the card: "
                               + one_line(text)[:100], service="teams", status=200)


def teams_emitter(url: Secret | str, *,
                  min_severity: Severity | str | None = Severity.UNCLASSIFIED,
                  statuses: Sequence[ReportStatus | str] = (ReportStatus.PUBLISHED,),
                  store: IdempotencyStore | None = None,
                  client: HttpClient | None = None) -> Emitter[Any, None]:
    """A ready emitter posting reports to a Teams channel, once per publication.

    Example::

        notify = teams_emitter(Secret(env="SECRET_ARN", key="teams_webhook_url"))
    """
    hook = TeamsWebhook(url, client=client)

    def act(report: Report, context: object) -> None:
        key = publication_key(f"teams:{hook.target}", report)
        chosen = store if store is not None else default_store()
        ran, _ = run_once(chosen, key, lambda: hook.post(report, left_ms(context)))
        if ran:
            logger.info("posted report %s to Teams %s", report.id, hook.target)

    return build_emitter("deepalert.integrations.teams.teams_emitter", act,
                         statuses=statuses, min_severity=min_severity)


def _from_env() -> Emitter[Any, None]:
    return teams_emitter(env_secret("teams_webhook_url"),
                         min_severity=os.environ.get("MIN_SEVERITY", "").strip()
                         or Severity.UNCLASSIFIED)


handler = EnvHandler(_from_env, "deepalert.integrations.teams.handler")
"""The Lambda handler: ``SECRET_ARN`` (``teams_webhook_url``), ``MIN_SEVERITY``,
``DEEPALERT_IDEMPOTENCY_TABLE``."""
