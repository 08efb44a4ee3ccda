"""PagerDuty Events API v2: trigger an alert for urgent reports, resolve it when safe.

==================  ==============================================================
Request             ``POST https://events.pagerduty.com/v2/enqueue``: ``routing_key``,
                    ``event_action`` (``trigger`` or ``resolve``), ``dedup_key``, and for a
                    trigger ``payload`` (``summary`` = the report title, at most 1,024
                    characters; ``source``; ``severity``; ``component`` = the rules;
                    ``custom_details``) and ``links`` (investigation links)
Severity            ``urgent`` → ``critical``, ``unclassified`` → ``warning``
                    (``severity_map=`` changes it); ``safe`` resolves, if ``resolve_on_safe``
Secret              the integration's routing key (never logged)
Answers             ``202 {"status": "success", "dedup_key": ...}``; ``400 {"status":
                    "invalid event", "errors": [...]}``
Errors              400: :class:`ServiceError` naming PagerDuty's errors; 401/403:
                    :class:`AuthenticationError`; 429 and 5xx: retried (``Retry-After``
                    honoured) while the deadline allows, then the record fails; timeouts:
                    retried, then :class:`LookupTimeoutError`
Idempotency         service side: ``dedup_key`` is ``deepalert:<report ID>``, so PagerDuty
                    folds every trigger for one report into one open alert, however often
                    it is delivered or retried. The store also skips a publication already
                    sent (memory, or ``DEEPALERT_IDEMPOTENCY_TABLE``). After the alert is
                    resolved, a new trigger for the report opens a new one (PagerDuty's
                    rule).
==================  ==============================================================

Ready handler ``deepalert.integrations.pagerduty.handler``: ``SECRET_ARN`` (a JSON secret with
``pagerduty_routing_key``), ``TRIGGER_SEVERITY`` (default ``urgent``), ``RESOLVE_ON_SAFE``
(``true``/``false``, default ``false``), ``PAGERDUTY_EVENTS_URL`` (default
``https://events.pagerduty.com``; ``https://events.eu.pagerduty.com`` for the EU service
region), ``DEEPALERT_IDEMPOTENCY_TABLE``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from deepalert.emitter import Emitter
from deepalert.errors import ConfigurationError
from deepalert.integrations._common import (
    EnvHandler,
    build_emitter,
    default_store,
    env_bool,
    env_secret,
    left_ms,
)
from deepalert.integrations._idempotency import IdempotencyStore, publication_key, run_once
from deepalert.lookup import HttpClient, MalformedResponseError, RetryPolicy, Secret, ServiceError
from deepalert.models import Report, Severity
from deepalert.render import digest, effective_severity, render_text, report_title

__all__ = ["EVENTS_URL", "PagerDutyEvents", "dedup_key", "handler", "pagerduty_emitter"]

logger = logging.getLogger("deepalert.integrations.pagerduty")

EVENTS_URL = "https://events.pagerduty.com"
"""The Events API v2 base URL."""
DEFAULT_SEVERITY_MAP: Mapping[str, str] = {"urgent": "critical", "unclassified": "warning",
                                           "safe": "info"}
_PD_SEVERITIES = frozenset({"critical", "error", "warning", "info"})


def dedup_key(report: Report) -> str:
    """``deepalert:<report ID>``: the key PagerDuty folds one report's events under."""
    return f"deepalert:{report.id}"[:255]


class PagerDutyEvents:
    """Sends Events API v2 events for reports.

    Args:
        routing_key: the integration key of a PagerDuty service (a :class:`Secret` or text).
        source: ``payload.source``; by default the report's detectors.
        severity_map: DeepAlert severity → PagerDuty severity.
        events_url: the Events API base URL (tests point it at a local server).
        client: the HTTP client.
    """

    def __init__(self, routing_key: Secret | str, *, source: str | None = None,
                 severity_map: Mapping[str, str] = DEFAULT_SEVERITY_MAP,
                 events_url: str = EVENTS_URL, client: HttpClient | None = None) -> None:
        bad = sorted(set(severity_map.values()) - _PD_SEVERITIES)
        if bad:
            raise ConfigurationError(f"PagerDuty severities must be some of "
                                     f"{sorted(_PD_SEVERITIES)}, got {bad}")
        self._routing_key = routing_key
        self.source = source
        self.severity_map = dict(severity_map)
        self.client = client or HttpClient("pagerduty", base_url=events_url,
                                           retry=RetryPolicy(attempts=3))

    def __repr__(self) -> str:
        return "PagerDutyEvents(routing_key=***)"

    def event(self, report: Report, action: str) -> dict[str, Any]:
        """The event body for ``action`` (``trigger`` or ``resolve``), without the key."""
        body: dict[str, Any] = {"event_action": action, "dedup_key": dedup_key(report)}
        if action != "trigger":
            return body
        d = digest(report)
        severity = effective_severity(report)
        body["payload"] = {
            "summary": report_title(report, 1024),
            "source": (self.source or ", ".join(d.detectors) or "deepalert")[:255],
            "severity": self.severity_map.get(severity, "warning"),
            "component": ", ".join(d.rules)[:255],
            "group": "deepalert",
            "class": severity,
            "custom_details": {
                "report_id": report.id, "severity": severity, "reason": d.reason,
                "rules": list(d.rules), "detectors": list(d.detectors),
                "attributes": [f"{a.type} {a.value}" for a in d.attributes[:50]],
                "report": render_text(report, max_chars=20_000),
            },
        }
        if d.links:
            body["links"] = [{"href": link, "text": "Investigation"} for link in d.links[:10]]
        body["client"] = "DeepAlert"
        return body

    def send(self, report: Report, action: str, remaining_ms: int | None = None) -> str:
        """Send the event; return the ``dedup_key`` PagerDuty answered with.

        Raises:
            LookupFailedError: PagerDuty did not take the event (see the module table).
        """
        body = self.event(report, action)
        routing_key = (self._routing_key.get() if isinstance(self._routing_key, Secret)
                       else self._routing_key)
        # The dedup_key makes the event idempotent: retrying after a timeout or 5xx is safe.
        response = self.client.request("POST", "/v2/enqueue",
                                       json={"routing_key": routing_key, **body},
                                       remaining_ms=remaining_ms, idempotent=True)
        if response.status == 400:
            errors = _errors(response.body)
            raise ServiceError(f"PagerDuty refused the {action} event: {errors}",
                               service="pagerduty", status=400)
        if response.status not in (200, 201, 202):
            raise ServiceError(f"PagerDuty answered an unexpected {response.status}",
                               service="pagerduty", status=response.status)
        answer = response.json()
        if not isinstance(answer, dict) or answer.get("status") != "success":
            raise MalformedResponseError("PagerDuty answered without status 'success'",
                                         service="pagerduty", status=response.status)
        return str(answer.get("dedup_key", body["dedup_key"]))


def _errors(body: bytes) -> str:
    import json

    try:
        answer = json.loads(body)
    except ValueError:
        return "no readable error"
    if not isinstance(answer, dict):
        return "no readable error"
    errors = answer.get("errors")
    listed = [str(e)[:200] for e in errors[:5]] if isinstance(errors, list) else []
    return "; ".join(listed) or str(answer.get("message", "no readable error"))[:200]


def pagerduty_emitter(routing_key: Secret | str, *,
                      trigger_severity: Severity | str = Severity.URGENT,
                      resolve_on_safe: bool = False, source: str | None = None,
                      severity_map: Mapping[str, str] = DEFAULT_SEVERITY_MAP,
                      store: IdempotencyStore | None = None, events_url: str = EVENTS_URL,
                      client: HttpClient | None = None) -> Emitter[Any, None]:
    """A ready emitter: trigger a PagerDuty alert for published reports at least
    ``trigger_severity``; resolve it when the report is published ``safe`` (if
    ``resolve_on_safe``). One alert per report, by ``dedup_key``.

    Example::

        page = pagerduty_emitter(Secret(env="SECRET_ARN", key="pagerduty_routing_key"),
                                 resolve_on_safe=True)
    """
    try:
        threshold = Severity(trigger_severity)
    except ValueError:
        raise ConfigurationError(f"trigger_severity must be one of safe, unclassified, urgent; "
                                 f"got {trigger_severity!r}") from None
    events = PagerDutyEvents(routing_key, source=source, severity_map=severity_map,
                             events_url=events_url, client=client)

    def act(report: Report, context: object) -> None:
        severity = effective_severity(report)
        if severity == Severity.SAFE and resolve_on_safe:
            action = "resolve"
        elif severity != Severity.SAFE and Severity(_known(severity)).rank >= threshold.rank:
            action = "trigger"
        else:
            return
        key = publication_key("pagerduty", report)
        chosen = store if store is not None else default_store()
        ran, sent = run_once(chosen, key, lambda: events.send(report, action, left_ms(context)))
        if ran:
            logger.info("PagerDuty %s for report %s (dedup_key %s)", action, report.id, sent)

    return build_emitter("deepalert.integrations.pagerduty.pagerduty_emitter", act)


def _known(severity: str) -> str:
    return severity if severity in ("safe", "unclassified", "urgent") else "unclassified"


def _from_env() -> Emitter[Any, None]:
    return pagerduty_emitter(
        env_secret("pagerduty_routing_key"),
        trigger_severity=os.environ.get("TRIGGER_SEVERITY", "").strip() or Severity.URGENT,
        resolve_on_safe=env_bool("RESOLVE_ON_SAFE"),
        events_url=os.environ.get("PAGERDUTY_EVENTS_URL", "").strip() or EVENTS_URL)


handler = EnvHandler(_from_env, "deepalert.integrations.pagerduty.handler")
"""The Lambda handler: ``SECRET_ARN`` (``pagerduty_routing_key``), ``TRIGGER_SEVERITY``,
``RESOLVE_ON_SAFE``, ``PAGERDUTY_EVENTS_URL``, ``DEEPALERT_IDEMPOTENCY_TABLE``."""
