"""The inspector Lambda handler: tasks in, findings and new attributes out, nothing lost."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Iterator
from time import perf_counter
from typing import TYPE_CHECKING, Any, Generic, TypeVar, Union

from deepalert._lambda import (
    EventRecord,
    LambdaContext,
    PartialBatchResponse,
    _metrics,
    remaining_ms,
    unpack_event,
)
from deepalert._lambda._sqs import (
    BatchSender,
    OutMessage,
    SqsClient,
    default_client,
)
from deepalert.errors import ConfigurationError, DeliveryError, EventError
from deepalert.inspector._context import InspectionContext
from deepalert.inspector._fast import NotHandled, invoke_fast
from deepalert.inspector._output import (
    InspectorOutput,
    finding_body,
    normalize_output,
    report_attribute_body,
)
from deepalert.models import Attribute, Task

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

__all__ = ["ContextInspectorFunction", "Inspector", "InspectorFunction", "PlainInspectorFunction"]

PlainInspectorFunction = Callable[[Attribute], InspectorOutput]
"""An inspector that takes the attribute only."""
ContextInspectorFunction = Callable[[Attribute, InspectionContext], InspectorOutput]
"""An inspector that also takes the :class:`InspectionContext`."""
InspectorFunction = Union[PlainInspectorFunction, ContextInspectorFunction]
"""Either form of inspector function."""

F = TypeVar("F", bound=InspectorFunction, covariant=True)

_FINDING_ENV = ("FINDING_QUEUE_URL", "FINDING_QUEUE")
_ATTRIBUTE_ENV = ("ATTRIBUTE_QUEUE_URL", "ATTRIBUTE_QUEUE")
_DIRECT_KEYS = frozenset({"report_id", "attribute"})


class _Outcome:
    """What became of one record: its messages, or why it failed."""

    __slots__ = ("attribute", "duration_ms", "error", "findings", "messages", "new_attributes",
                 "record", "report_id")

    def __init__(self, record: EventRecord) -> None:
        self.record = record
        self.report_id = ""
        self.attribute: Attribute | None = None
        self.messages: list[OutMessage] = []
        self.error: BaseException | None = None
        self.new_attributes = 0  # for metrics
        self.findings = 0  # for metrics
        self.duration_ms: float | None = None  # the function's, for metrics


class Inspector(Generic[F]):
    """An inspector function made into a Lambda handler that speaks DeepAlert's task protocol.

    Made by :func:`deepalert.inspector.inspector`. Calling it is the Lambda entry point;
    the decorated function stays reachable as :attr:`func`.

    Attributes:
        func: the plain function, callable as written.
        author: the inspector's name, written into every Finding and ReportAttribute.
        types: the attribute types it accepts (empty: all).
        contexts: the attribute contexts it accepts, any one of them (empty: all).
    """

    __name__: str
    __qualname__: str
    __wrapped__: F

    def __init__(self, func: F, *, author: str, types: frozenset[str],
                 contexts: frozenset[str], takes_context: bool,
                 finding_queue_url: str | None, attribute_queue_url: str | None,
                 max_workers: int | None, max_message_bytes: int,
                 deadline_margin_ms: int) -> None:
        self.func: F = func
        self.author = author
        self.types = types
        self.contexts = contexts
        self._takes_context = takes_context
        self._finding_queue_url = finding_queue_url
        self._attribute_queue_url = attribute_queue_url
        self._max_workers = max_workers
        self._max_message_bytes = max_message_bytes
        self._deadline_margin_ms = deadline_margin_ms
        self._executor: ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()
        functools.update_wrapper(self, func)

    def __repr__(self) -> str:
        name = getattr(self.func, "__qualname__", repr(self.func))
        return f"<Inspector {self.author!r} of {name}>"

    def accepts(self, attr: Attribute) -> bool:
        """True when the ``types=`` and ``contexts=`` filters let this attribute through."""
        if self.types and attr.type not in self.types:
            return False
        if self.contexts:
            return any(c in self.contexts for c in attr.context or ())
        return True

    def __call__(self, event: Any, context: LambdaContext | None = None
                 ) -> PartialBatchResponse | None:
        """The Lambda entry point: handle an SNS, SQS, SNS-in-SQS or direct-invoke event.

        Returns:
            For an SQS event, the partial batch response naming the failed records (an empty
            list when all succeeded); ``None`` for other events.

        Raises:
            EventError: the event is of no accepted shape.
            ConfigurationError: a queue URL is missing.
            Exception: for SNS and direct events, the first record's failure, so Lambda
                retries.
        """
        return self.invoke(event, context)

    def invoke(self, event: Any, context: LambdaContext | None = None, *,
               sqs_client: SqsClient | None = None, finding_queue_url: str | None = None,
               attribute_queue_url: str | None = None) -> PartialBatchResponse | None:
        """Handle an event like the Lambda entry point, with a given client and queue URLs.

        Args:
            event: the Lambda event.
            context: the Lambda context, or ``None`` for no deadline.
            sqs_client: the client messages are sent with (a boto3 SQS client, a moto one,
                or :class:`deepalert.testing.MemorySink`); by default one boto3 client per
                queue region, created on first use.
            finding_queue_url: overrides the decorator's argument and the environment.
            attribute_queue_url: overrides the decorator's argument and the environment.
        """
        if type(event) is not dict and isinstance(event, Attribute):
            raise EventError(
                f"inspector {self.author!r} was called with an Attribute: the decorated object "
                "is the Lambda handler; call .func(attr) to run the plain function")
        (_apply_log_level or _load_apply_log_level())()
        metrics = _metrics.enabled()  # a bad setting fails here, before anything is sent
        # The common SQS event takes the fast path (same messages and errors, less work).
        handled = invoke_fast(self, event, context, sqs_client, finding_queue_url,
                              attribute_queue_url, metrics)
        if not isinstance(handled, NotHandled):
            return handled
        unpacked = unpack_event(event, payload="Task", direct_keys=_DIRECT_KEYS)
        finding_url = self._queue_url(finding_queue_url, self._finding_queue_url,
                                      _FINDING_ENV, "finding_queue_url")
        attribute_url = self._queue_url(attribute_queue_url, self._attribute_queue_url,
                                        _ATTRIBUTE_ENV, "attribute_queue_url")
        client_for: Callable[[str], SqsClient]
        if sqs_client is None:
            client_for = default_client
        else:
            client = sqs_client

            def client_for(_url: str) -> SqsClient:
                return client

        sender = BatchSender(client_for, max_batch_bytes=self._max_message_bytes)
        outbox = _Outbox(sender)
        outcomes: list[_Outcome] = []
        for outcome in self._inspect_all(unpacked.records, context, finding_url,
                                         attribute_url):
            outcomes.append(outcome)
            outbox.add(outcome)
        outbox.flush()
        return self._respond(unpacked.source, outcomes, outbox, sender)

    # -----------------------------------------------------------------------------------------

    def _queue_url(self, given: str | None, configured: str | None,
                   env: tuple[str, str], argument: str) -> str:
        url = given or configured
        if url:
            return url
        for name in env:
            value = os.environ.get(name)
            if value:
                return value
        raise ConfigurationError(
            f"inspector {self.author!r} has no {argument.replace('_', ' ')[:-4]} URL: set "
            f"{env[0]} (or {env[1]}) in the Lambda environment, or pass {argument}= to "
            "@inspector")

    def _inspect_all(self, records: list[EventRecord], context: LambdaContext | None,
                     finding_url: str, attribute_url: str) -> Iterator[_Outcome]:
        def work(record: EventRecord) -> _Outcome:
            return self._inspect(record, context, finding_url, attribute_url)

        if self._max_workers is None or self._max_workers <= 1 or len(records) <= 1:
            return map(work, records)
        return self._pool().map(work, records)

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            with self._executor_lock:
                if self._executor is None:
                    from concurrent.futures import ThreadPoolExecutor

                    self._executor = ThreadPoolExecutor(
                        max_workers=self._max_workers,
                        thread_name_prefix=f"deepalert-{self.author}")
        return self._executor

    def _inspect(self, record: EventRecord, context: LambdaContext | None,
                 finding_url: str, attribute_url: str) -> _Outcome:
        outcome = _Outcome(record)
        left = remaining_ms(context)
        if left is not None and left < self._deadline_margin_ms and record.index > 0:
            outcome.error = DeliveryError(
                f"record {record.index} was not started: {left} ms were left before the "
                f"Lambda deadline (margin {self._deadline_margin_ms} ms)")
            return outcome
        try:
            if record.payload is None:
                raise EventError(record.error or f"record {record.index} has no payload")
            task = Task.from_json(record.payload)
            attr = task.attribute
            outcome.report_id = task.report_id
            if attr is None:
                raise EventError(f"record {record.index} holds a Task whose attribute is null")
            outcome.attribute = attr
            if not self.accepts(attr):
                return outcome
            started = perf_counter()
            if self._takes_context:
                ctx = InspectionContext(task.report_id, self.author, attr, context)
                result = self.func(attr, ctx)  # type: ignore[call-arg]
            else:
                result = self.func(attr)  # type: ignore[call-arg]
            outcome.duration_ms = (perf_counter() - started) * 1000.0
            contents, new_attributes = normalize_output(result, self.author)
            outcome.new_attributes = len(new_attributes)
            index = record.index
            limit = self._max_message_bytes
            outcome.messages = [
                OutMessage.of(finding_url, finding_body(task.report_id, self.author, attr,
                                                        content, i, limit), index)
                for i, content in enumerate(contents)
            ]
            if new_attributes:
                body = report_attribute_body(task.report_id, self.author, attr,
                                             new_attributes, limit)
                outcome.messages.append(OutMessage.of(attribute_url, body, index))
            outcome.findings = len(contents)
        except Exception as exc:  # one record's failure must not sink the batch
            outcome.error = exc
            outcome.messages = []
            outcome.findings = outcome.new_attributes = 0
        return outcome

    def _respond(self, source: str, outcomes: list[_Outcome], outbox: _Outbox,
                 sender: BatchSender) -> PartialBatchResponse | None:
        failed: list[_Outcome] = []
        for outcome in outcomes:
            delivery = outbox.failures.get(outcome.record.index)
            if outcome.error is None and delivery is not None:
                outcome.error = DeliveryError(
                    f"{delivery[0]} of the messages from record {outcome.record.index} were not "
                    f"accepted by SQS after retries ({delivery[1]})")
            if outcome.error is not None:
                failed.append(outcome)
                try:
                    self._log_failure(outcome)
                except Exception as exc:  # an error whose text cannot be made: its kind only
                    from deepalert.inspector._log import ERROR, log

                    log(ERROR, "record failed", author=self.author,
                        message_id=outcome.record.message_id, record=outcome.record.index,
                        error=type(outcome.error).__name__,
                        reason=f"(its text could not be made: {type(exc).__name__})")
        _log = _log_module or _load_log()
        _log.log(_log.INFO, "inspection batch done", author=self.author, source=source,
                 records=len(outcomes), failed=len(failed), messages=outbox.sent,
                 requests=sender.requests,
                 possible_duplicates=sender.possible_duplicates or None)
        _metrics.emit_inspection(self.author, outcomes)
        if source == "sqs":
            missing = [o.record.index for o in failed if not o.record.message_id]
            if missing:
                raise DeliveryError(
                    f"records {missing} failed and have no messageId to report; the whole "
                    "batch is failed so that nothing is lost")
            return {"batchItemFailures": [{"itemIdentifier": o.record.message_id or ""}
                                          for o in failed]}
        if failed:
            error = failed[0].error
            assert error is not None
            raise error
        return None

    def _log_failure(self, outcome: _Outcome) -> None:
        from deepalert.inspector._log import ERROR, attribute_fields, log, redact

        error = outcome.error
        log(ERROR, "record failed", author=self.author,
            report_id=outcome.report_id or None, attribute=attribute_fields(outcome.attribute),
            message_id=outcome.record.message_id, record=outcome.record.index,
            error=type(error).__name__, reason=redact(str(error)),
            where=_where(error))


_apply_log_level: Callable[[], None] | None = None
_log_module: Any = None


def _load_apply_log_level() -> Callable[[], None]:
    """``apply_log_level`` (the logging module loads on first use), looked up once."""
    global _apply_log_level
    from deepalert._lambda._logging import apply_log_level

    _apply_log_level = apply_log_level
    return apply_log_level


def _load_log() -> Any:
    """``deepalert.inspector._log`` (logging loads on first use), looked up once."""
    global _log_module
    from deepalert.inspector import _log

    _log_module = _log
    return _log


def _where(error: BaseException | None) -> str | None:
    """The innermost frame of a traceback as ``file:line in function`` (no values)."""
    tb = error.__traceback__ if error is not None else None
    if tb is None:
        return None
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    return f"{os.path.basename(code.co_filename)}:{tb.tb_lineno} in {code.co_name}"


class _Outbox:
    """Messages waiting to be sent, flushed in full batches; failures counted per record."""

    def __init__(self, sender: BatchSender) -> None:
        self._sender = sender
        self._pending: dict[str, list[OutMessage]] = {}
        self.failures: dict[int, tuple[int, str]] = {}
        """Record index -> (messages not accepted, first reason)."""
        self.sent = 0

    def add(self, outcome: _Outcome) -> None:
        for message in outcome.messages:
            queued = self._pending.setdefault(message.queue_url, [])
            queued.append(message)
            if len(queued) >= 10:
                self._send(message.queue_url, final=False)

    def flush(self) -> None:
        for queue_url in list(self._pending):
            self._send(queue_url, final=True)

    def _send(self, queue_url: str, *, final: bool) -> None:
        queued = self._pending.pop(queue_url, [])
        batches = list(self._sender.chunks(queued))
        if not final and batches and not self._sender.is_full(batches[-1]):
            self._pending[queue_url] = batches.pop()
        for batch in batches:
            for failure in self._sender.send_batch(queue_url, batch):
                owner = failure.message.owner
                count, reason = self.failures.get(owner, (0, failure.reason))
                self.failures[owner] = (count + 1, reason)
            self.sent += len(batch)

