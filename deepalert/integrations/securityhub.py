"""AWS Security Hub: set the workflow status and note of the findings a report came from.

==================  ==============================================================
Request             ``securityhub:BatchUpdateFindings`` in the finding's region (from its
                    ``ProductArn``), at most 100 findings a call: ``FindingIdentifiers``
                    (``Id``, ``ProductArn``), ``Workflow.Status`` and ``Note`` (``Text``:
                    severity, reason and report ID, at most 512 characters;
                    ``UpdatedBy``: ``deepalert``)
Which findings      every alert whose ``body`` is an ASFF finding with ``Id`` and
                    ``ProductArn``, as :mod:`deepalert.sources.asff` keeps it (GuardDuty
                    findings read through Security Hub included); with ``guardduty=True``
                    also GuardDuty findings read from GuardDuty itself (their ARN is their
                    Security Hub ``Id``). A report with none is left alone.
Status              ``urgent`` → ``NOTIFIED``, ``unclassified`` → ``NOTIFIED``, ``safe`` →
                    ``RESOLVED`` (``workflow=`` changes it; ``None`` for a severity leaves
                    its findings untouched)
Permissions         ``securityhub:BatchUpdateFindings`` on the hub
Errors              ``UnprocessedFindings`` fail the record, naming each error code (the
                    message is done only when every finding took the update); throttling is
                    retried by botocore (standard mode), then :class:`RateLimitedError`;
                    ``AccessDeniedException``: :class:`AuthenticationError`; other client
                    errors: :class:`ServiceError` with the code
Idempotency         by nature: the same status and note set twice leave the finding as it
                    was. The store (memory, or ``DEEPALERT_IDEMPOTENCY_TABLE``) also skips a
                    publication already applied.
==================  ==============================================================

moto does not implement ``BatchUpdateFindings``; the tests use botocore's ``Stubber``, which
checks every request against the service model.

Ready handler ``deepalert.integrations.securityhub.handler``: ``WORKFLOW_URGENT``,
``WORKFLOW_UNCLASSIFIED``, ``WORKFLOW_SAFE`` (a status, or ``none``), ``INCLUDE_GUARDDUTY``
(``true``/``false``), ``DEEPALERT_IDEMPOTENCY_TABLE``.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any

from deepalert.emitter import Emitter
from deepalert.errors import ConfigurationError
from deepalert.integrations._common import EnvHandler, build_emitter, default_store, env_bool
from deepalert.integrations._idempotency import IdempotencyStore, publication_key, run_once
from deepalert.lookup import AuthenticationError, RateLimitedError, ServiceError
from deepalert.models import Report
from deepalert.render import clip, effective_severity, one_line

__all__ = ["DEFAULT_WORKFLOW", "SecurityHubUpdater", "finding_identifiers", "handler",
           "securityhub_emitter"]

logger = logging.getLogger("deepalert.integrations.securityhub")

DEFAULT_WORKFLOW: Mapping[str, str | None] = {"urgent": "NOTIFIED", "unclassified": "NOTIFIED",
                                              "safe": "RESOLVED"}
_STATUSES = frozenset({"NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED"})
_BATCH = 100
_THROTTLED = frozenset({"ThrottlingException", "TooManyRequestsException",
                        "LimitExceededException"})

ClientFactory = Callable[[str], Any]
"""``region -> boto3 securityhub client``."""


_GUARDDUTY_ARN = re.compile(r"^arn:(aws[a-z-]*):guardduty:([a-z0-9-]+):\d{12}:"
                            r"detector/[^/]+/finding/[^/]+$")


def _guardduty_identifier(body: dict[str, Any]) -> dict[str, str] | None:
    """The Security Hub identifier of a GuardDuty finding (a bare finding or its EventBridge
    event): Security Hub imports it with the finding's ARN as ``Id``."""
    detail = next((v for k, v in body.items() if k.lower() == "detail"), None)
    for candidate in (body, detail):
        if not isinstance(candidate, dict):
            continue
        arn = next((v for k, v in candidate.items() if k.lower() == "arn"), None)
        match = _GUARDDUTY_ARN.match(arn) if isinstance(arn, str) else None
        if match:
            partition, region = match.groups()
            return {"Id": str(arn), "ProductArn": f"arn:{partition}:securityhub:{region}::"
                                                  "product/aws/guardduty"}
    return None


def finding_identifiers(report: Report, *, guardduty: bool = False) -> list[dict[str, str]]:
    """``{"Id", "ProductArn"}`` of each ASFF finding the report's alerts came from, once each.

    With ``guardduty``, GuardDuty findings read directly (not through Security Hub) count
    too, by the identifier Security Hub gives them when it imports GuardDuty's findings.
    """
    found: dict[tuple[str, str], dict[str, str]] = {}
    for alert in report.alerts or ():
        body = alert.body
        if not isinstance(body, dict):
            continue
        identifier, product = body.get("Id"), body.get("ProductArn")
        if (isinstance(identifier, str) and identifier and isinstance(product, str)
                and product.startswith("arn:") and ":product/" in product):
            found.setdefault((identifier, product), {"Id": identifier, "ProductArn": product})
        elif guardduty:
            origin = _guardduty_identifier(body)
            if origin is not None:
                found.setdefault((origin["Id"], origin["ProductArn"]), origin)
    return list(found.values())


def _region(product_arn: str) -> str:
    parts = product_arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else ""


def _boto3_client(region: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client("securityhub", region_name=region or None,
                        config=Config(retries={"mode": "standard", "max_attempts": 5}))


class SecurityHubUpdater:
    """Applies a report's verdict to the Security Hub findings it came from.

    Args:
        workflow: DeepAlert severity → workflow status (``None``: leave the findings alone).
        client_factory: makes the client for a region (boto3 by default, on first use).
    """

    def __init__(self, workflow: Mapping[str, str | None] = DEFAULT_WORKFLOW, *,
                 guardduty: bool = False, client_factory: ClientFactory | None = None
                 ) -> None:
        bad = sorted(str(v) for v in workflow.values() if v is not None and v not in _STATUSES)
        if bad:
            raise ConfigurationError(f"Security Hub workflow statuses must be some of "
                                     f"{sorted(_STATUSES)}, got {bad}")
        self.workflow = dict(workflow)
        self.guardduty = guardduty
        self._factory = client_factory or _boto3_client
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SecurityHubUpdater(workflow={self.workflow})"

    def _client(self, region: str) -> Any:
        with self._lock:
            client = self._clients.get(region)
            if client is None:
                client = self._clients[region] = self._factory(region)
        return client

    def note(self, report: Report) -> str:
        """The note put on the findings (at most 512 characters)."""
        severity = effective_severity(report)
        reason = one_line(report.result.reason) or "no reason given"
        tail = f" (DeepAlert report {report.id})"
        return clip(f"DeepAlert: {severity}. {reason}", 512 - len(tail)) + tail

    def update(self, report: Report) -> int:
        """Update the report's findings; return how many were updated.

        Raises:
            LookupFailedError: Security Hub refused the call or some findings (see the table).
        """
        status = self.workflow.get(effective_severity(report))
        identifiers = finding_identifiers(report, guardduty=self.guardduty)
        if status is None or not identifiers:
            logger.debug("report %s: no Security Hub finding to update (status %s)",
                         report.id, status)
            return 0
        by_region: dict[str, list[dict[str, str]]] = {}
        for identifier in identifiers:
            by_region.setdefault(_region(identifier["ProductArn"]), []).append(identifier)
        note = {"Text": self.note(report), "UpdatedBy": "deepalert"}
        updated = 0
        failures: list[str] = []
        for region, listed in sorted(by_region.items()):
            client = self._client(region)
            for start in range(0, len(listed), _BATCH):
                batch = listed[start:start + _BATCH]
                answer = self._call(client, batch, status, note)
                updated += len(answer.get("ProcessedFindings") or [])
                for item in answer.get("UnprocessedFindings") or []:
                    code = str(item.get("ErrorCode", "unknown"))[:60]
                    finding = item.get("FindingIdentifier", {}).get("Id", "?")
                    failures.append(f"{finding}: {code}")
        if failures:
            raise ServiceError(f"Security Hub did not update {len(failures)} finding(s) of "
                               f"report {report.id}: " + "; ".join(failures[:5]),
                               service="securityhub")
        return updated

    @staticmethod
    def _call(client: Any, batch: list[dict[str, str]], status: str,
              note: dict[str, str]) -> dict[str, Any]:
        try:
            answer: dict[str, Any] = client.batch_update_findings(
                FindingIdentifiers=batch, Workflow={"Status": status}, Note=note)
        except Exception as exc:  # botocore ClientError and friends: name the code only
            error = getattr(exc, "response", {}).get("Error", {}) if isinstance(
                getattr(exc, "response", None), dict) else {}
            code = str(error.get("Code") or type(exc).__name__)
            if code in _THROTTLED:
                raise RateLimitedError(f"BatchUpdateFindings was throttled ({code})",
                                       service="securityhub") from None
            if code in ("AccessDeniedException", "UnrecognizedClientException",
                        "InvalidAccessException"):
                raise AuthenticationError(f"BatchUpdateFindings was refused ({code})",
                                          service="securityhub") from None
            raise ServiceError(f"BatchUpdateFindings failed ({code})",
                               service="securityhub") from None
        return answer


def securityhub_emitter(*, workflow: Mapping[str, str | None] = DEFAULT_WORKFLOW,
                        guardduty: bool = False, store: IdempotencyStore | None = None,
                        client_factory: ClientFactory | None = None) -> Emitter[Any, None]:
    """A ready emitter that writes each published verdict back to the Security Hub findings
    the report's alerts came from. With ``guardduty``, also to the Security Hub copies of
    GuardDuty findings read straight from GuardDuty (turn it on only where Security Hub
    imports GuardDuty's findings: a finding it does not hold fails the record).

    Example::

        write_back = securityhub_emitter(workflow={"safe": "RESOLVED", "urgent": "NOTIFIED",
                                                   "unclassified": None})
    """
    updater = SecurityHubUpdater(workflow, guardduty=guardduty, client_factory=client_factory)

    def act(report: Report, context: object) -> None:
        if not finding_identifiers(report, guardduty=guardduty):
            return
        key = publication_key("securityhub", report)
        chosen = store if store is not None else default_store()
        ran, count = run_once(chosen, key, lambda: updater.update(report))
        if ran:
            logger.info("Security Hub: %s finding(s) of report %s updated", count, report.id)

    return build_emitter("deepalert.integrations.securityhub.securityhub_emitter", act)


def _workflow_from_env() -> dict[str, str | None]:
    workflow = dict(DEFAULT_WORKFLOW)
    for severity in ("urgent", "unclassified", "safe"):
        value = os.environ.get(f"WORKFLOW_{severity.upper()}", "").strip().upper()
        if value:
            workflow[severity] = None if value == "NONE" else value
    return workflow


handler = EnvHandler(lambda: securityhub_emitter(workflow=_workflow_from_env(),
                                                 guardduty=env_bool("INCLUDE_GUARDDUTY")),
                     "deepalert.integrations.securityhub.handler")
"""The Lambda handler: ``WORKFLOW_URGENT``, ``WORKFLOW_UNCLASSIFIED``, ``WORKFLOW_SAFE``,
``INCLUDE_GUARDDUTY``, ``DEEPALERT_IDEMPOTENCY_TABLE``."""
