"""``@emitter``: the Lambda that acts on reports published on the report topic."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from time import perf_counter
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast, overload

from typing_extensions import ParamSpec

from deepalert._lambda import (
    BatchItemFailure,
    EventRecord,
    PartialBatchResponse,
    _metrics,
    remaining_ms,
    unpack_event,
)
from deepalert._lambda._logging import apply_log_level
from deepalert._redact import RedactingFilter
from deepalert.errors import EventError, HandlerDefinitionError
from deepalert.models import Report, ReportStatus, Severity, peek_report
from deepalert.reviewer._signature import check_role_function, role_name

if TYPE_CHECKING:
    from deepalert._peek import ReportHead

__all__ = ["Emitter", "emitter"]

logger = logging.getLogger("deepalert.emitter")
logger.addFilter(RedactingFilter())  # exception texts leave the SDK redacted

P = ParamSpec("P")
R = TypeVar("R")

_REPORT_KEYS = frozenset(Report.model_fields)
_STATUSES = frozenset(s.value for s in ReportStatus)
_RESERVE_MS = 500
"""Below this much time left, SQS records are handed back instead of started."""


def _rank(severity: str) -> int:
    # The core publishes an empty severity as unclassified; an unknown string (a reviewer
    # outside this SDK) is ranked with unclassified too rather than dropped.
    if severity in ("safe", "urgent"):
        return Severity(severity).rank
    return Severity.UNCLASSIFIED.rank


class Emitter(Generic[P, R]):
    """An emit function wrapped as a Lambda handler for the report topic.

    Call the object as the handler: ``emitter_obj(event, context)`` takes an SNS event, an
    SQS event whose bodies are SNS envelopes (or raw reports), or a report invoked directly.
    In tests, call :attr:`func` as written, or :meth:`emit` with a :class:`Report`.

    Attributes:
        func: the plain function, callable as written.
        statuses: the report statuses the function runs for.
        min_severity: the lowest severity it runs for, or ``None`` for every severity.
        name: ``module.qualname`` of the function, for logs.
    """

    def __init__(self, func: Callable[P, R], *, statuses: Iterable[ReportStatus | str],
                 min_severity: Severity | str | None) -> None:
        self._pass_context = check_role_function(func, "emitter")
        self.statuses: frozenset[str] = _check_statuses(statuses)
        self.min_severity: Severity | None = _check_severity(min_severity)
        self.func: Callable[P, R] = func
        self.name = role_name(func)
        functools.update_wrapper(self, func)

    def __repr__(self) -> str:
        statuses = ",".join(sorted(self.statuses))
        return f"<Emitter {self.name} statuses={statuses} min_severity={self.min_severity}>"

    def accepts(self, report: Report) -> bool:
        """True when the report passes the status and severity filters.

        An empty severity counts as ``unclassified``, as the core publishes it.
        """
        return self._accepts(report.status, report.result.severity)

    def _accepts(self, status: str, severity: str) -> bool:
        if status not in self.statuses:
            return False
        if self.min_severity is None:
            return True
        return _rank(severity) >= self.min_severity.rank

    def emit(self, report: Report, context: object = None) -> bool:
        """Run the function on the report if :meth:`accepts` does; return whether it ran.

        Raises:
            Exception: whatever the function raised.
        """
        if not self.accepts(report):
            logger.debug("emitter %s skips report %s (status %r, severity %r)", self.name,
                         report.id, report.status, report.result.severity,
                         extra={"author": self.name, "report_id": report.id})
            return False
        func = cast("Callable[..., object]", self.func)
        if self._pass_context:
            func(report, context)
        else:
            func(report)
        return True

    def __call__(self, event: dict[str, Any], context: object = None
                 ) -> PartialBatchResponse | None:
        """The Lambda handler.

        Returns:
            For an SQS event, the partial batch response naming the records that failed
            (reports that could not be read, or whose function raised); records not started
            because the invocation was about to time out are named too, so SQS retries them.
            ``None`` for SNS and direct events.

        Raises:
            EventError: the event is of no accepted shape, or an SQS record that failed has
                no message ID to name it by.
            Exception: for SNS and direct events, the first failure (the function's own
                exception, or the error that kept a report from being read), after every
                record was tried.
        """
        apply_log_level()
        _metrics.enabled()  # a bad setting fails here, before any report is acted on
        unpacked = unpack_event(event, payload="Report", direct_keys=_REPORT_KEYS)
        return self._handle(unpacked.records, unpacked.source == "sqs", context)

    def _invoke_json(self, report_json: str, context: object = None) -> None:
        """The handler for one SNS notification of a report the core wrote, given as the
        report's text: what ``self(sns_event(report_json), context)`` does, without building
        and unpacking the event or peeking before the full read (the local pipeline's fast
        path, which knows the status already)."""
        apply_log_level()
        _metrics.enabled()
        self._handle([EventRecord(0, None, report_json, "sns")], False, context, peek=False)

    def _handle(self, records: list[EventRecord], sqs: bool, context: object, *,
                peek: bool = True) -> PartialBatchResponse | None:
        failures: list[tuple[EventRecord, BaseException]] = []
        durations: list[float] = []  # of the function, for metrics
        for position, record in enumerate(records):
            if sqs and _out_of_time(context):
                logger.warning("emitter %s is about to time out; %d record(s) handed back",
                               self.name, len(records) - position, extra={"author": self.name})
                failures.extend((r, TimeoutError("not started: the invocation was about to "
                                                 "time out")) for r in records[position:])
                break
            error = self._process(record, context, durations, peek)
            if error is not None:
                failures.append((record, error))
        _metrics.emit("emitter", self.name, records=len(records), failed=len(failures),
                      durations_ms=durations)
        if sqs:
            return _batch_response(failures)
        if failures:
            for record, error in failures[1:]:
                logger.error("emitter %s: record %d also failed: %s", self.name,
                             record.index, type(error).__name__,
                             extra={"author": self.name, "record": record.index})
            raise failures[0][1]
        return None

    def _process(self, record: EventRecord, context: object, durations: list[float],
                 peek: bool = True) -> BaseException | None:
        if record.payload is None:
            logger.error("emitter %s: %s", self.name, record.error,
                         extra={"author": self.name, "record": record.index})
            return EventError(record.error or f"record {record.index} has no payload")
        try:  # whatever is wrong with this record's content fails this record only
            # Most publications are new/more snapshots an emitter ignores: skip them without
            # building the whole report. Without the peek (the caller read the status), the
            # full read decides, and a skip is logged as the peek's.
            report: Report | None = None
            head: ReportHead | Report | None = peek_report(record.payload) if peek else None
            if not peek:
                head = report = Report.from_json(record.payload)
            if head is not None and not self._accepts(head.status, head.result.severity):
                logger.debug("emitter %s skips report %s (status %r, severity %r)", self.name,
                             head.id, head.status, head.result.severity,
                             extra={"author": self.name, "report_id": head.id,
                                    "record": record.index})
                return None
            if report is None:
                report = Report.from_json(record.payload)
        except Exception as exc:  # the record fails; the others go on
            logger.error("emitter %s: record %d is not a report the core writes: %s",
                         self.name, record.index, exc,
                         extra={"author": self.name, "record": record.index})
            return exc
        if not report.id and not report.status:
            logger.warning("emitter %s: record %d holds no report ID and no status; is the "
                           "function subscribed to the report topic?", self.name, record.index,
                           extra={"author": self.name, "record": record.index})
        try:
            started = perf_counter()
            if self.emit(report, context):
                durations.append((perf_counter() - started) * 1000.0)
        except Exception as exc:  # the record fails; the others go on
            logger.exception("emitter %s failed on report %s (record %d)", self.name,
                             report.id, record.index,
                             extra={"author": self.name, "report_id": report.id,
                                    "record": record.index})
            return exc
        return None


def _out_of_time(context: object) -> bool:
    left = remaining_ms(context)
    return left is not None and left < _RESERVE_MS


def _batch_response(failures: list[tuple[EventRecord, BaseException]]
                    ) -> PartialBatchResponse:
    items: list[BatchItemFailure] = []
    for record, _error in failures:
        if record.message_id is None:
            raise EventError(f"SQS record {record.index} failed and has no messageId to "
                             "report it by; failing the whole batch so it is retried")
        items.append({"itemIdentifier": record.message_id})
    return {"batchItemFailures": items}


def _check_statuses(statuses: Iterable[ReportStatus | str]) -> frozenset[str]:
    if isinstance(statuses, str):
        statuses = [statuses]
    chosen = frozenset(str(s) for s in statuses)
    unknown = sorted(chosen - _STATUSES)
    if not chosen or unknown:
        choices = ", ".join(repr(s.value) for s in ReportStatus)
        raise HandlerDefinitionError(
            f"@emitter statuses must be some of {choices}, got {sorted(chosen) or 'none'}")
    return chosen


def _check_severity(severity: Severity | str | None) -> Severity | None:
    if severity is None:
        return None
    try:
        return Severity(severity)
    except ValueError:
        choices = ", ".join(repr(s.value) for s in Severity)
        raise HandlerDefinitionError(
            f"@emitter min_severity must be one of {choices} or None, got {severity!r}"
        ) from None


_DEFAULT_STATUSES = (ReportStatus.PUBLISHED,)


@overload
def emitter(func: Callable[P, R], /) -> Emitter[P, R]: ...


@overload
def emitter(*, statuses: Iterable[ReportStatus | str] = _DEFAULT_STATUSES,
            min_severity: Severity | str | None = None
            ) -> Callable[[Callable[P, R]], Emitter[P, R]]: ...


def emitter(func: Callable[P, R] | None = None, /, *,
            statuses: Iterable[ReportStatus | str] = _DEFAULT_STATUSES,
            min_severity: Severity | str | None = None
            ) -> Emitter[P, R] | Callable[[Callable[P, R]], Emitter[P, R]]:
    """Make a function an emitter Lambda handler: published report in, action out.

    The function takes the :class:`Report` (and, if it has a second positional parameter,
    the Lambda context); what it returns is ignored, and an exception fails its record.
    The core publishes every report more than once (``new`` and ``more`` snapshots as
    alerts arrive, ``published`` after the review, and again when a late alert reopens it),
    so by default the function runs only for ``status == "published"``.

    Args:
        func: the emit function (the bare ``@emitter`` form).
        statuses: the statuses to run for, such as ``[ReportStatus.NEW,
            ReportStatus.PUBLISHED]``.
        min_severity: run only for reports at least this severe (an empty severity counts
            as ``unclassified``).

    Raises:
        HandlerDefinitionError: at decoration, for a function or option that cannot work.

    Example::

        from deepalert import Report, Severity
        from deepalert.emitter import emitter

        @emitter(min_severity=Severity.URGENT)
        def page_on_call(report: Report) -> None:
            ...
    """
    checked_statuses = _check_statuses(statuses)
    checked_severity = _check_severity(min_severity)

    def wrap(f: Callable[P, R]) -> Emitter[P, R]:
        return Emitter(f, statuses=checked_statuses, min_severity=checked_severity)

    if func is not None:
        return wrap(func)
    return wrap
