"""Opsgenie: create an alert for reports, close it when they are published safe.

==================  ==============================================================
Requests            ``POST /v2/alerts`` with ``message`` (the report title, at most 130
                    characters), ``alias`` (``deepalert-<report ID>``), ``description``
                    (:func:`deepalert.render.render_text`, at most 15,000 characters),
                    ``details`` (report ID, severity, rules, detectors), ``tags``,
                    ``entity``, ``source`` (``DeepAlert``), ``priority``;
                    ``POST /v2/alerts/<alias>/close?identifierType=alias`` to close
Priority            ``urgent`` → ``P1``, ``unclassified`` → ``P3`` (``priority_map=``)
Secret              an API integration's key, sent as ``Authorization: GenieKey <key>``
Answers             ``202 {"result": "Request will be processed", "took", "requestId"}``
                    (Opsgenie processes the request after answering)
Errors              401/403: :class:`AuthenticationError`; 422 ``{"message", "errors"}``
                    and other 4xx: :class:`ServiceError` naming Opsgenie's message; 429 and
                    5xx: retried (``Retry-After`` honoured) while the deadline allows;
                    timeouts: retried, then :class:`LookupTimeoutError`
Idempotency         service side: Opsgenie folds alerts with the same ``alias`` into the
                    open one (its count goes up), so a report makes one alert however often
                    it is sent; retries are therefore safe. The store (memory, or
                    ``DEEPALERT_IDEMPOTENCY_TABLE``) also skips publications already sent.
==================  ==============================================================

Ready handler ``deepalert.integrations.opsgenie.handler``: ``SECRET_ARN`` (a JSON secret with
``opsgenie_api_key``), ``OPSGENIE_API_URL`` (default ``https://api.opsgenie.com``; EU:
``https://api.eu.opsgenie.com``), ``MIN_SEVERITY`` (default ``urgent``), ``CLOSE_ON_SAFE``,
``OPSGENIE_TAGS`` (comma-separated), ``DEEPALERT_IDEMPOTENCY_TABLE``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

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
from deepalert.lookup import (
    HttpClient,
    HttpResponse,
    MalformedResponseError,
    RetryPolicy,
    Secret,
    ServiceError,
)
from deepalert.models import Report, Severity
from deepalert.render import clip, digest, effective_severity, render_text, report_title

__all__ = ["API_URL", "OpsgenieAlerts", "alert_alias", "handler", "opsgenie_emitter"]

logger = logging.getLogger("deepalert.integrations.opsgenie")

API_URL = "https://api.opsgenie.com"
DEFAULT_PRIORITY_MAP: Mapping[str, str] = {"urgent": "P1", "unclassified": "P3", "safe": "P5"}
_PRIORITIES = frozenset({"P1", "P2", "P3", "P4", "P5"})


def alert_alias(report: Report) -> str:
    """``deepalert-<report ID>``: the alias Opsgenie folds one report's alerts under."""
    return f"deepalert-{report.id}"[:512]


class OpsgenieAlerts:
    """Creates and closes Opsgenie alerts for reports.

    Args:
        api_key: the API integration's key (a :class:`Secret` or text).
        tags: tags put on every alert.
        priority_map: DeepAlert severity → Opsgenie priority.
        api_url: the API base URL (EU: ``https://api.eu.opsgenie.com``).
        client: the HTTP client.
    """

    def __init__(self, api_key: Secret | str, *, tags: Sequence[str] = (),
                 priority_map: Mapping[str, str] = DEFAULT_PRIORITY_MAP,
                 api_url: str = API_URL, client: HttpClient | None = None) -> None:
        bad = sorted(set(priority_map.values()) - _PRIORITIES)
        if bad:
            raise ConfigurationError(f"Opsgenie priorities must be P1 to P5, got {bad}")
        self._api_key = api_key
        self.tags = list(tags)
        self.priority_map = dict(priority_map)
        self.client = client or HttpClient("opsgenie", base_url=api_url,
                                           retry=RetryPolicy(attempts=3))

    def __repr__(self) -> str:
        return "OpsgenieAlerts(api_key=***)"

    def _headers(self) -> dict[str, str]:
        key = self._api_key.get() if isinstance(self._api_key, Secret) else self._api_key
        return {"Authorization": f"GenieKey {key}"}

    def alert(self, report: Report) -> dict[str, Any]:
        """The create-alert body for the report."""
        d = digest(report)
        severity = effective_severity(report)
        # Opsgenie keeps at most 8,000 characters of details in all.
        details = {"report_id": report.id, "severity": severity,
                   "rules": clip(", ".join(d.rules), 2000),
                   "detectors": clip(", ".join(d.detectors), 1000)}
        if d.reason:
            details["reason"] = clip(d.reason, 2000)
        body: dict[str, Any] = {
            "message": report_title(report, 130), "alias": alert_alias(report),
            "description": render_text(report, max_chars=15_000),
            "details": details, "entity": clip(", ".join(d.detectors), 512),
            "source": "DeepAlert", "priority": self.priority_map.get(severity, "P3"),
        }
        if self.tags:
            body["tags"] = self.tags[:20]
        return body

    def _check(self, response: HttpResponse, what: str) -> None:
        if response.status in (200, 202):
            answer = response.json()
            if not isinstance(answer, dict) or "requestId" not in answer:
                raise MalformedResponseError(f"{what}: Opsgenie answered without a requestId",
                                             service="opsgenie", status=response.status)
            return
        message = "no message"
        try:
            answer = response.json()
            if isinstance(answer, dict):
                message = str(answer.get("message", message))[:200]
                errors = answer.get("errors")
                if isinstance(errors, dict):
                    message += " " + "; ".join(f"{k}: {v}" for k, v in
                                               list(errors.items())[:5])[:300]
        except MalformedResponseError:
            pass
        raise ServiceError(f"{what}: Opsgenie answered {response.status}: {message}",
                           service="opsgenie", status=response.status)

    def create(self, report: Report, remaining_ms: int | None = None) -> None:
        """Create (or, with the same alias, add to) the report's alert."""
        # The alias makes the request idempotent while the alert is open: retrying is safe.
        response = self.client.request("POST", "/v2/alerts", json=self.alert(report),
                                       headers=self._headers(), remaining_ms=remaining_ms,
                                       idempotent=True)
        self._check(response, "creating an alert")

    def close(self, report: Report, remaining_ms: int | None = None) -> None:
        """Close the report's alert (by alias)."""
        alias = quote(alert_alias(report), safe="")
        response = self.client.request(
            "POST", f"/v2/alerts/{alias}/close", params={"identifierType": "alias"},
            json={"source": "DeepAlert", "note": clip(
                f"DeepAlert judged report {report.id} safe: {report.result.reason}", 25_000)},
            headers=self._headers(), remaining_ms=remaining_ms, idempotent=True)
        self._check(response, "closing an alert")


def opsgenie_emitter(api_key: Secret | str, *, min_severity: Severity | str = Severity.URGENT,
                     close_on_safe: bool = False, tags: Sequence[str] = (),
                     priority_map: Mapping[str, str] = DEFAULT_PRIORITY_MAP,
                     store: IdempotencyStore | None = None, api_url: str = API_URL,
                     client: HttpClient | None = None) -> Emitter[Any, None]:
    """A ready emitter: an Opsgenie alert for published reports at least ``min_severity``,
    closed when the report is published safe (if ``close_on_safe``).

    Example::

        alert = opsgenie_emitter(Secret(env="SECRET_ARN", key="opsgenie_api_key"),
                                 close_on_safe=True)
    """
    try:
        threshold = Severity(min_severity)
    except ValueError:
        raise ConfigurationError(f"min_severity must be one of safe, unclassified, urgent; "
                                 f"got {min_severity!r}") from None
    alerts = OpsgenieAlerts(api_key, tags=tags, priority_map=priority_map, api_url=api_url,
                            client=client)

    def act(report: Report, context: object) -> None:
        severity = effective_severity(report)
        known = severity if severity in ("safe", "unclassified", "urgent") else "unclassified"
        if severity == Severity.SAFE:
            if not close_on_safe:
                return
            action = alerts.close
        elif Severity(known).rank >= threshold.rank:
            action = alerts.create
        else:
            return
        key = publication_key("opsgenie", report)
        chosen = store if store is not None else default_store()
        ran, _ = run_once(chosen, key, lambda: action(report, left_ms(context)))
        if ran:
            logger.info("Opsgenie %s for report %s", action.__name__, report.id)

    return build_emitter("deepalert.integrations.opsgenie.opsgenie_emitter", act)


def _from_env() -> Emitter[Any, None]:
    tags = [t.strip() for t in os.environ.get("OPSGENIE_TAGS", "").split(",") if t.strip()]
    return opsgenie_emitter(
        env_secret("opsgenie_api_key"),
        min_severity=os.environ.get("MIN_SEVERITY", "").strip() or Severity.URGENT,
        close_on_safe=env_bool("CLOSE_ON_SAFE"), tags=tags,
        api_url=os.environ.get("OPSGENIE_API_URL", "").strip() or API_URL)


handler = EnvHandler(_from_env, "deepalert.integrations.opsgenie.handler")
"""The Lambda handler: ``SECRET_ARN`` (``opsgenie_api_key``), ``OPSGENIE_API_URL``,
``MIN_SEVERITY``, ``CLOSE_ON_SAFE``, ``OPSGENIE_TAGS``, ``DEEPALERT_IDEMPOTENCY_TABLE``."""
