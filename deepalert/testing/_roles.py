"""Run a reviewer or an emitter on a report, through its Lambda handler, without AWS.

The report travels as the core sends it: as the Step Functions state for a reviewer, in an
SNS (or SNS-in-SQS) event for an emitter, written with the wire codec.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from deepalert._lambda import LambdaContext, PartialBatchResponse
from deepalert.models import Report, ReportResult, ReportStatus, Severity
from deepalert.testing._context import FakeLambdaContext
from deepalert.testing._events import direct_event, message_ids, sns_event, sqs_sns_event

if TYPE_CHECKING:
    from deepalert.local import ReviewerLike

__all__ = ["EmitRun", "EmitterHandler", "ReviewRun", "run_emitter", "run_reviewer"]


class EmitterHandler(Protocol):
    """What :func:`run_emitter` needs of an emitter: its Lambda handler and its filters.

    An ``@emitter`` object fits, and so do the ready emitters of :mod:`deepalert.integrations`
    (``slack_emitter(...)``) and their environment-configured handlers
    (``deepalert.integrations.slack.handler``).
    """

    def accepts(self, report: Report) -> bool:
        """Whether the filters let ``report`` through."""
        ...

    def __call__(self, event: Any, context: Any = None) -> Any:
        """Handle an SNS event (or an SQS event of SNS envelopes)."""
        ...


@dataclass(frozen=True)
class ReviewRun:
    """What a reviewer decided, and what the core makes of it.

    Attributes:
        response: what the handler returned, as Step Functions receives it (``None`` for a
            ``null`` result, or when the handler raised).
        published: False when the handler raised: the Go core then never publishes the
            report (this SDK's cores, local and on AWS, publish it ``unclassified``).
        severity: the severity the core publishes (an empty or missing one becomes
            ``unclassified``); ``""`` when the report is not published.
        reason: the reviewer's reason.
        report: the report as the core publishes it (status ``published``, the result set),
            or ``None`` when it is not published.
        error: what the handler raised, if anything.
    """

    response: dict[str, str] | None
    published: bool
    severity: str
    reason: str
    report: Report | None
    error: BaseException | None = field(default=None, repr=False, compare=False)


def run_reviewer(reviewer: ReviewerLike, report: Report, *,
                 context: LambdaContext | None = None) -> ReviewRun:
    """Invoke the reviewer's handler as the review state machine does, and follow the core.

    Exceptions from the handler are recorded in the result (``published=False``), since
    that is what they mean to the Go core.

    Args:
        reviewer: a ``@reviewer`` object, or any reviewer Lambda handler
            (:class:`~deepalert.local.ReviewerLike`).

    Example::

        run = run_reviewer(review, make_report(...))
        assert run.severity == Severity.URGENT
    """
    try:
        response = reviewer(direct_event(report), context or FakeLambdaContext())
    except Exception as exc:  # a failed invocation: the Go core drops the report
        return ReviewRun(None, False, "", "", None, exc)
    result = (ReportResult.from_json(json.dumps(response)) if response is not None
              else ReportResult())
    severity = result.severity or Severity.UNCLASSIFIED.value
    published = report.model_copy(update={
        "status": ReportStatus.PUBLISHED.value,
        "result": ReportResult(severity=severity, reason=result.reason)})
    return ReviewRun(response, True, severity, result.reason, published)


@dataclass(frozen=True)
class EmitRun:
    """What an emitter's handler did with one published report.

    Attributes:
        ran: the report passed the emitter's filters, so its function was called.
        failed: the record failed: for SNS the handler raised, for SQS the partial batch
            response named it.
        response: the handler's return value (the partial batch response for SQS).
        error: what the handler raised (SNS), if anything.
    """

    ran: bool
    failed: bool
    response: PartialBatchResponse | None
    error: BaseException | None = field(default=None, repr=False, compare=False)


def run_emitter(emitter: EmitterHandler, report: Report, *,
                via: Literal["sns", "sqs"] = "sns",
                context: LambdaContext | None = None) -> EmitRun:
    """Deliver one report to the emitter's handler as the report topic does.

    Args:
        emitter: an ``@emitter`` object, a ready emitter of :mod:`deepalert.integrations`
            or its handler (anything :class:`EmitterHandler`).
        via: ``"sns"`` (the function subscribed to the topic) or ``"sqs"`` (a queue
            subscribed to the topic, its bodies SNS envelopes).
        context: the Lambda context; a :class:`FakeLambdaContext` by default.

    Example::

        run = run_emitter(notify, make_report(status="published", severity="urgent"))
        assert run.ran and not run.failed
    """
    ran = emitter.accepts(report)
    context = context or FakeLambdaContext()
    if via == "sqs":
        event = sqs_sns_event(report)
        response = emitter(event, context)
        failures = response["batchItemFailures"] if response is not None else []
        failed_ids = {f["itemIdentifier"] for f in failures}
        return EmitRun(ran, bool(failed_ids & set(message_ids(event))), response)
    try:
        response = emitter(sns_event(report), context)
    except Exception as exc:  # the SNS invocation failed
        return EmitRun(ran, True, None, exc)
    return EmitRun(ran, False, response)
