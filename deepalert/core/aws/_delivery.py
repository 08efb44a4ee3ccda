"""The core's hand-offs on AWS: SNS topics and Step Functions executions.

The contract between the Lambda entry points (:mod:`deepalert.core.handlers`) and the stack
that wires them (the SAM template, the moto driver in :mod:`deepalert.testing`) is this:

State machine inputs (``StartExecution``, protocol notes §1.6 B and F)
    Both machines are started by ``recept_alert`` with the same input, the JSON text of the
    Report the Go core starts them with: ``{"id", "alerts": [the one alert], "attributes":
    null, "sections": null, "result": {"severity": "", "reason": ""}, "status": "new" | "more",
    "created_at"}``. The inspection machine is started for every alert, the review machine
    for the first alert of a report (and, with ``late_alerts="review-again"``, for an alert
    that arrives after the report was published). Executions are named
    ``<report id>-<32 hex digits of the input's SHA-256>``, so a redelivered alert starts no
    second execution (``ExecutionAlreadyExists`` counts as started).

Inspection machine
    ``Wait`` (the inspection delay, default 300 s) then a Task invoking
    ``dispatch_inspection`` with the whole state (a direct Lambda ARN resource, or
    ``lambda:invoke`` with ``Payload.$: "$"`` and ``OutputPath: "$.Payload"``).

Review machine
    ``Wait`` (the review delay, default 600 s), then ``compile_report`` (the state becomes
    its return value), then the reviewer with ``ResultPath: "$.result"`` and
    ``Catch: [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next":
    <submit>}]``, then ``submit_report`` with the whole state. Retry Lambda service errors
    (``Lambda.ServiceException``, ``Lambda.AWSLambdaException``, ``Lambda.SdkClientException``,
    ``Lambda.TooManyRequestsException``) on each Task.

What each handler takes and returns (all ``(event, context)``; Step Functions handlers return
dicts, never JSON text)

    ``recept_alert``
        SQS event from the alert queue; each body an Alert, or an SNS notification whose
        ``Message`` is one. Returns ``{"batchItemFailures": [{"itemIdentifier": messageId}]}``
        (``ReportBatchItemFailures`` on the event source mapping). A record fails when its
        alert is unreadable or invalid (it goes to the DLQ after ``maxReceiveCount``) or when
        AWS refused a write; a redelivered ``messageId`` changes nothing twice.
    ``dispatch_inspection``
        The inspection machine's state (the Report above). Returns
        ``{"report_id": str, "tasks": int}``.
    ``submit_finding``
        SQS event from the finding queue, raw Finding bodies. Partial batch response; a
        finding whose content does not fit its type fails its record (DLQ), the others go on.
    ``feedback_attribute``
        SQS event from the attribute queue, raw ReportAttribute bodies. Partial batch
        response. Attributes beyond ``max_feedback_depth`` are logged (warning) and not
        inspected.
    ``compile_report``
        The review machine's state (the Report above; only ``id`` is read). Returns the
        compiled Report as a dict. An unknown report raises ``ReportNotFoundError``.
    ``dummy_reviewer``
        A compiled Report. Returns ``{"severity": "unclassified", "reason": "I'm novice"}``.
    ``submit_report``
        The compiled Report with the reviewer's output at ``result`` and, when the reviewer
        failed, the Catch output at ``error`` (``{"Error", "Cause"}``). A missing, null or
        empty ``result``, or an ``error``, means ``unclassified`` (the reason says why).
        Stores the report ``published``; the stream publishes it. Returns
        ``{"report_id": str, "status": "published", "result": {"severity", "reason"}}``.
    ``publish_report``
        DynamoDB stream event (``NEW_IMAGE``; a filter on ``pk`` prefix ``report/`` is
        welcome, other records are skipped anyway). Publishes the compiled report on the
        report topic. Returns ``{"batchItemFailures": [{"itemIdentifier": SequenceNumber}]}``
        naming only the first record that failed for a reason worth retrying (a throttled
        or failing AWS call), so the event source retries from there
        (``FunctionResponseTypes: [ReportBatchItemFailures]``, ``MaximumRetryAttempts`` and an
        ``OnFailure`` destination keep a persistently failing record from blocking the
        shard). A record that can never be published (a report over SNS's 256 KiB, a
        Go-written finding the core cannot read) is logged as an error and skipped.

Environment variables (read on first invocation, never at import)
    ``CACHE_TABLE`` all but ``dummy_reviewer``; ``TASK_TOPIC`` ``dispatch_inspection`` and
    ``feedback_attribute``; ``REPORT_TOPIC`` ``publish_report``; ``INSPECTOR_MACHINE`` and
    ``REVIEW_MACHINE`` (ARNs) ``recept_alert``; ``LOG_LEVEL`` all (``trace``, ``debug``,
    ``info``, ``warn``, ``error``; default ``info``); region from ``AWS_REGION`` or
    ``AWS_DEFAULT_REGION``. ``DEEPALERT_LATE_ALERTS`` (``review-again`` | ``go``) and
    ``DEEPALERT_MAX_FEEDBACK_DEPTH`` are optional.

IAM actions, on the table / topics / machines named above
    ``recept_alert``: ``dynamodb:GetItem``, ``dynamodb:PutItem``, ``states:StartExecution``
    (both machines). ``dispatch_inspection``: ``dynamodb:PutItem``, ``sns:Publish`` (task
    topic; PublishBatch is authorised by ``sns:Publish``). ``submit_finding``:
    ``dynamodb:PutItem``. ``feedback_attribute``: ``dynamodb:GetItem``, ``dynamodb:PutItem``,
    ``sns:Publish`` (task topic). ``compile_report``: ``dynamodb:GetItem``,
    ``dynamodb:Query``. ``dummy_reviewer``: none. ``submit_report``: ``dynamodb:GetItem``,
    ``dynamodb:PutItem``. ``publish_report``: ``dynamodb:GetItem``, ``dynamodb:Query``,
    ``sns:Publish`` (report topic), plus the stream read actions of the event source.

A task SNS still refuses after the sender's retries fails its record (or the dispatch), and
the attribute item just put is put again with ``expires_at`` 0, so that the retry publishes
the task (a PutItem: no other permission needed).

Table items besides the Go core's (Go ignores them): ``receipt/<sha256 of messageId>`` (sk
``-``: ``report_id``, ``is_new``, ``received_at``, ``done``, ``expires_at``) once an alert's
delivery is done, ``opened_by``/``opened_at`` on the ``alertmap/`` item of the delivery that
opened a report, and a ``depth`` number on ``attribute/`` items found by feedback. Alerts and
findings of a redelivered message keep their sort key: ``cache/<uuid5(messageId)>``,
``<hash>/<uuid5(messageId)>``.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any

from deepalert._lambda._aws import error_code
from deepalert._lambda._sqs import BatchSender, OutMessage, TopicClient
from deepalert.errors import DeliveryError

__all__ = [
    "SNS_MAX_BYTES",
    "AwsDelivery",
    "MessageTooLargeError",
    "PublishError",
    "execution_name",
]

SNS_MAX_BYTES = 262_144
"""The largest SNS message, and ``PublishBatch`` request (256 KiB)."""

_log = logging.getLogger("deepalert.core")


class PublishError(DeliveryError):
    """Messages SNS did not accept after the retries.

    Attributes:
        failed: the bodies that were not published.
    """

    def __init__(self, message: str, failed: list[str]) -> None:
        super().__init__(message)
        self.failed = failed


class MessageTooLargeError(DeliveryError, ValueError):
    """A message over SNS's size limit: it can never be published as it is."""


def execution_name(report_id: str, execution_input: str) -> str:
    """The name a state machine execution gets: the same input, the same execution."""
    digest = hashlib.sha256(execution_input.encode("utf-8")).hexdigest()[:32]
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in report_id)[:47]
    return f"{safe}-{digest}"


class AwsDelivery:
    """The core's :class:`~deepalert.core.Delivery` on SNS and Step Functions.

    Tasks and reports are buffered and sent with ``PublishBatch`` by :meth:`flush`, which
    the handlers call before they report a record done. The delays are the state machines'
    ``Wait`` states: the ``delay`` arguments are not used here.

    Args:
        sns: a boto3 SNS client.
        sfn: a boto3 Step Functions client (only ``recept_alert`` needs one).
        task_topic: the task topic ARN.
        report_topic: the report topic ARN.
        inspector_machine: the inspection machine ARN.
        review_machine: the review machine ARN.
    """

    def __init__(self, *, sns: Any = None, sfn: Any = None, task_topic: str = "",
                 report_topic: str = "", inspector_machine: str = "",
                 review_machine: str = "") -> None:
        self._sns = sns
        self._sfn = sfn
        self.task_topic = task_topic
        self.report_topic = report_topic
        self.inspector_machine = inspector_machine
        self.review_machine = review_machine
        self._outbox: list[OutMessage] = []
        self._sender = BatchSender(lambda _arn: TopicClient(self._sns),
                                   max_batch_bytes=SNS_MAX_BYTES)

    # --- Delivery ----------------------------------------------------------------------------

    def schedule_inspection(self, delay: timedelta, report: str) -> None:
        """Start the inspection machine with the one-alert report."""
        self._start(_require(self.inspector_machine, "INSPECTOR_MACHINE"), report)

    def schedule_review(self, delay: timedelta, report: str) -> None:
        """Start the review machine with the one-alert report."""
        self._start(_require(self.review_machine, "REVIEW_MACHINE"), report)

    def publish_task(self, task: str) -> None:
        """Queue a task for the task topic (sent by :meth:`flush`)."""
        self._queue(_require(self.task_topic, "TASK_TOPIC"), task)

    def publish_report(self, report: str) -> None:
        """Queue a report for the report topic (sent by :meth:`flush`)."""
        self._queue(_require(self.report_topic, "REPORT_TOPIC"), report)

    def invoke_reviewer(self, report: str) -> str | None:
        """Not used on AWS: the review machine invokes the reviewer."""
        raise DeliveryError("on AWS the review machine invokes the reviewer; "
                            "Core.review() is for the local pipeline")

    # --- sending -----------------------------------------------------------------------------

    def flush(self) -> None:
        """Publish everything queued, in ``PublishBatch`` requests, retrying failed entries.

        Raises:
            DeliveryError: some messages were not accepted after the retries (the queue is
                emptied either way; the caller fails its record so that it is retried).
        """
        pending, self._outbox = self._outbox, []
        if not pending:
            return
        failures = self._sender.send(pending)
        if failures:
            reasons = "; ".join(dict.fromkeys(f.reason for f in failures))
            raise PublishError(f"{len(failures)} of {len(pending)} messages were not "
                               f"published: {reasons}", [f.message.body for f in failures])

    def discard(self) -> None:
        """Forget what was queued (a record failed before its messages were sent)."""
        self._outbox.clear()

    @property
    def requests(self) -> int:
        """``PublishBatch`` requests made so far."""
        return self._sender.requests

    def _queue(self, topic: str, body: str) -> None:
        message = OutMessage.of(topic, body, len(self._outbox))
        if message.size > SNS_MAX_BYTES:
            raise MessageTooLargeError(f"a message of {message.size:,} bytes is over SNS's "
                                       f"limit of {SNS_MAX_BYTES:,} bytes; it cannot be "
                                       "published")
        self._outbox.append(message)

    def _start(self, machine: str, execution_input: str) -> None:
        from deepalert.models import peek_report

        head = peek_report(execution_input)
        report_id = head.id if head is not None else "report"
        name = execution_name(report_id, execution_input)
        try:
            self._sfn.start_execution(stateMachineArn=machine, name=name,
                                      input=execution_input)
        except Exception as exc:
            if error_code(exc) != "ExecutionAlreadyExists":
                raise
            _log.debug("execution %s already started", name)


def _require(value: str, variable: str) -> str:
    if not value:
        from deepalert.errors import ConfigurationError

        raise ConfigurationError(f"{variable} is not set: the core's stack gives each "
                                 "function the ARNs it needs")
    return value
