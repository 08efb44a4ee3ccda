"""The whole DeepAlert flow in one process: your inspectors, reviewer and emitters, no AWS.

:class:`LocalPipeline` is the :class:`~deepalert.local._core.Delivery` of the in-process core:
the Step Functions waits become events on a simulated timeline, the SNS topics become direct
calls of the roles' Lambda handlers with real SNS and SQS event shapes, and the finding and
attribute queues an in-memory SQS client. Every message crosses the wire codec as JSON text,
so what works here works against the Go core.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import heapq
import itertools
import json
import logging
import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from deepalert._lambda import PartialBatchResponse
from deepalert.core._clock import Clock
from deepalert.core._core import Core, CoreSettings, LateAlertPolicy, Receipt, review_verdict
from deepalert.core._store import ReportStore
from deepalert.errors import DeepAlertError
from deepalert.local._clock import ManualClock
from deepalert.local._store import MemoryStore
from deepalert.models import Alert, Attribute, Report, ReportStatus, Task, peek_report
from deepalert.testing._context import FakeLambdaContext
from deepalert.testing._events import sns_event

if TYPE_CHECKING:
    from deepalert.testing._sink import MemorySink

__all__ = ["EmitterLike", "InspectorLike", "LocalPipeline", "PipelineError", "ReviewerLike"]

_FINDING_QUEUE = "memory://deepalert/finding"
_ATTRIBUTE_QUEUE = "memory://deepalert/attribute"
_BATCH = 100
# During a run: allocations between young collections, and young (then middle) collections
# between older ones (Python's defaults: 700, 10, 10).
_GC_THRESHOLDS = (50_000, 100, 100)
_TASK_TOPIC = "arn:aws:sns:local:000000000000:deepalert-task"
_TASK_QUEUE = "arn:aws:sqs:local:000000000000:deepalert-task"


class InspectorLike(Protocol):
    """What the pipeline needs of an inspector (a ``@inspector`` object fits)."""

    author: str

    def accepts(self, attr: Attribute) -> bool:
        """Whether the inspector's filters let the attribute through."""
        ...

    def invoke(self, event: Any, context: Any = None, *, sqs_client: Any = None,
               finding_queue_url: str | None = None,
               attribute_queue_url: str | None = None) -> PartialBatchResponse | None:
        """Handle a Lambda event with the given SQS client and queue URLs."""
        ...


class ReviewerLike(Protocol):
    """A reviewer Lambda handler (a ``@reviewer`` object fits): report dict in, result out."""

    def __call__(self, event: Any, context: Any) -> Any: ...


class EmitterLike(Protocol):
    """An emitter Lambda handler (an ``@emitter`` object fits): SNS event in."""

    def __call__(self, event: Any, context: Any) -> Any: ...


@dataclass(frozen=True)
class PipelineError:
    """Something that failed in the pipeline; the rest of the flow went on.

    ``detail`` and ``traceback`` are redacted when the error is made (``deepalert._redact``
    says what counts as a secret), whoever makes it.

    Attributes:
        stage: ``"alert"``, ``"inspector"``, ``"finding"``, ``"feedback"``, ``"reviewer"`` or
            ``"emitter"``.
        detail: what failed and why (no secrets).
        report_id: the report concerned, when there is one.
        source: where the alert came from (a file and position), when known.
        traceback: the exception's traceback, redacted, when one was caught (the CLI shows it
            with ``--verbose``); for an inspector, the frame where it failed.
    """

    stage: str
    detail: str
    report_id: str | None = None
    source: str | None = None
    traceback: str | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        from deepalert._redact import redact

        object.__setattr__(self, "detail", redact(self.detail))
        if self.traceback is not None:
            object.__setattr__(self, "traceback", redact(self.traceback))

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        report = f" (report {self.report_id})" if self.report_id else ""
        return f"{where}{self.stage}: {self.detail}{report}"


@dataclass(order=True)
class _Event:
    due: datetime
    seq: int
    kind: str = field(compare=False)
    payload: str = field(compare=False)
    step: int | None = field(compare=False, default=None)  # its row in the store, if kept


class _ErrorCapture(logging.Handler):
    """Collects the error lines a role's handler logs while the pipeline calls it."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(_log_detail(record.getMessage()))


def _log_detail(message: str) -> str:
    try:
        fields = json.loads(message)
    except ValueError:
        return message
    if not isinstance(fields, dict):
        return message
    parts = [str(fields.get("message", ""))]
    for key in ("error", "error_type", "exception", "reason"):
        if fields.get(key):
            parts.append(str(fields[key]))
    text = ": ".join(p for p in parts if p)
    return f"{text} (at {fields['where']})" if fields.get("where") else text


def _traceback(exc: BaseException) -> str:
    import traceback

    return "".join(traceback.format_exception(exc)).rstrip("\n")


_ROLE_CLASSES = (("deepalert.inspector._handler", "Inspector", "inspector"),
                 ("deepalert.reviewer._reviewer", "Reviewer", "reviewer"),
                 ("deepalert.emitter._emitter", "Emitter", "emitter"))
_ARTICLE = {"inspector": "an", "reviewer": "a", "emitter": "an"}


def role_kind(obj: object) -> str | None:
    """``"inspector"``, ``"reviewer"`` or ``"emitter"`` for a decorated role, else ``None``."""
    for cls in type(obj).__mro__:
        for module, name, kind in _ROLE_CLASSES:
            if cls.__module__ == module and cls.__qualname__ == name:
                return kind
    return None


def check_role(obj: object, slot: str, label: str | None = None) -> None:
    """Refuse ``obj`` at once when it cannot fill ``slot`` (a role of another kind, a module...).

    Raises:
        HandlerDefinitionError: for example "`app.review` is a @reviewer, not an @inspector".
    """
    import types

    from deepalert.errors import HandlerDefinitionError

    kind = role_kind(obj)
    name = label or _label(obj)
    wanted = f"{_ARTICLE[slot]} @{slot}"
    if kind is not None:
        if kind != slot:
            raise HandlerDefinitionError(f"`{name}` is {_ARTICLE[kind]} @{kind}, not {wanted}")
        return
    if slot == "inspector":
        fits = all(hasattr(obj, a) for a in ("author", "accepts", "invoke"))
    else:
        fits = callable(obj) and not isinstance(obj, type)
    if not fits:
        what = ("a module" if isinstance(obj, types.ModuleType) else
                "a class" if isinstance(obj, type) else
                "a function without the decorator" if callable(obj) else
                f"a {type(obj).__name__}")
        raise HandlerDefinitionError(f"`{name}` is {what}, not {wanted}")


def _label(obj: object) -> str:
    name = getattr(obj, "name", None)
    if isinstance(name, str):
        return name
    author = getattr(obj, "author", None)
    if isinstance(author, str):
        return f"@inspector(author={author!r})"
    return getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or repr(obj)


class LocalPipeline:
    """Run alerts through inspectors, a reviewer and emitters, as the Go core would.

    Time is simulated: with the default :class:`ManualClock`, :meth:`run` jumps the clock to
    each scheduled step (the 5-minute inspection delay, the 10-minute review delay), so a whole
    flow takes milliseconds. An alert four hours after the first one of its AlertID opens a new
    report, exactly as in the core.

    Args:
        inspectors: ``@inspector`` objects (or anything :class:`InspectorLike`).
        reviewer: a ``@reviewer`` object; without one, reports are reviewed as the core's
            ``dummyReviewer`` does (``unclassified``).
        emitters: ``@emitter`` objects; each gets every publication (``new``, ``more`` and
            ``published``) and filters as it was told to.
        store: defaults to a :class:`MemoryStore`.
        clock: defaults to a :class:`ManualClock` at the machine's current time.
        settings: timings and Go-defect choices (:class:`CoreSettings`).
        late_alerts: shorthand for ``settings.late_alerts``.

    Example:
        >>> pipeline = LocalPipeline(inspectors=[ip_intel], reviewer=review)
        >>> pipeline.submit(alert)
        >>> pipeline.run()
        >>> [r.result.severity for r in pipeline.published()]
    """

    def __init__(self, *, inspectors: Sequence[InspectorLike] = (),
                 reviewer: ReviewerLike | None = None, emitters: Sequence[EmitterLike] = (),
                 store: ReportStore | None = None, clock: Clock | None = None,
                 settings: CoreSettings | None = None,
                 late_alerts: LateAlertPolicy | None = None,
                 new_id: Callable[[], str] | None = None) -> None:
        from deepalert.testing._sink import MemorySink

        for inspector in inspectors:
            check_role(inspector, "inspector")
        if reviewer is not None:
            check_role(reviewer, "reviewer")
        for emitter in emitters:
            check_role(emitter, "emitter")
        self.inspectors = list(inspectors)
        self.reviewer = reviewer
        self.emitters = list(emitters)
        self.store: ReportStore = store if store is not None else MemoryStore()
        self.clock: Clock = clock if clock is not None else ManualClock()
        settings = settings or CoreSettings()
        if late_alerts is not None:
            settings = dataclasses.replace(settings, late_alerts=late_alerts)
        self.core = (Core(self.store, self.clock, self, settings) if new_id is None
                     else Core(self.store, self.clock, self, settings, new_id))
        self.errors: list[PipelineError] = []
        self.publications = 0
        self._events: list[_Event] = []
        self._seq = itertools.count()
        self._tasks: list[str] = []
        self._sink: MemorySink = MemorySink()
        self._published: dict[str, bytes] = {}
        self._sources: dict[str, str] = {}
        self._context = FakeLambdaContext(function_name="deepalert-local", timeout_ms=900_000)
        self._cut_off: set[str] = set()
        self.repeated = 0
        """Alerts :meth:`submit_many` found already handled (a rerun of the same input)."""
        self.resumed = 0
        """Pending steps taken over from an earlier, interrupted run (stores that keep them)."""
        self._resume()

    # --- feeding alerts ----------------------------------------------------------------------

    def submit(self, alert: Alert | str | bytes, *, source: str | None = None,
               key: str | None = None) -> Receipt:
        """Send one alert to the core, as a detector sends it to the alert queue.

        Args:
            alert: an :class:`Alert`, or its JSON.
            source: where it came from (a file and position), used in error messages.
            key: what identifies this delivery (see :meth:`Core.receive_alert
                <deepalert.core.Core.receive_alert>`): the same key again stores nothing twice.

        Raises:
            WireError, InvalidAlertError: the core would refuse the alert.
        """
        data = alert.to_json() if isinstance(alert, Alert) else alert
        with self._atomic():
            receipt = self.core.receive_alert(data, key=key)
        if receipt.repeated:
            self.repeated += 1
        if source is not None:
            self._sources.setdefault(receipt.report_id, source)
        return receipt

    def submit_many(self, alerts: Iterable[tuple[str | None, Alert | str | bytes]]
                    ) -> list[Receipt]:
        """Submit ``(source, alert)`` pairs; a refused alert is recorded and the rest go on.

        With a store that outlives the process (``SQLiteStore``), a pair with a source is
        identified by its source and its alert's bytes: submitting the same pair again (a
        rerun of the same file) stores nothing twice and counts in :attr:`repeated`. Equal
        alerts at two positions stay two alerts, as in the Go core.
        """
        receipts = []
        durable = hasattr(self.store, "steps")
        with self._collector():
            for source, alert in alerts:
                data = alert.to_json() if isinstance(alert, Alert) else alert
                key = _delivery_key(source, data) if durable and source is not None else None
                try:
                    receipts.append(self.submit(data, source=source, key=key))
                except (DeepAlertError, ValueError) as exc:
                    self.errors.append(PipelineError("alert", str(exc), source=source))
        return receipts

    def _atomic(self) -> contextlib.AbstractContextManager[None]:
        atomic = getattr(self.store, "atomic", None)
        return atomic() if atomic is not None else contextlib.nullcontext()

    def _resume(self) -> None:
        # Steps an interrupted run left in the store: they run again, from the start of the
        # batch that was cut short (its writes were rolled back with it).
        steps = getattr(self.store, "steps", None)
        if steps is None:
            return
        for step in steps():
            heapq.heappush(self._events, _Event(step.due, next(self._seq), step.kind,
                                                step.payload, step.seq))
            self.resumed += 1

    # --- the timeline ------------------------------------------------------------------------

    def run(self) -> None:
        """Run every scheduled step, moving a :class:`ManualClock` forward to each one."""
        with self._collector():
            while self._events:
                self._run_next_batch()

    def advance(self, delta: timedelta) -> None:
        """Move time forward by ``delta``, running the steps that fall due on the way."""
        until = self.clock.now() + delta
        with self._collector():
            while self._events and self._events[0].due <= until:
                self._run_next_batch()
        self._set_clock(until)

    def pending(self) -> int:
        """How many scheduled steps have not run yet."""
        return len(self._events)

    @contextlib.contextmanager
    def _collector(self) -> Iterator[None]:
        # A run makes and drops millions of small objects that hold no cycles: the garbage
        # collector's young collections (and the full ones, walking everything alive since
        # before the run) were a sixth of its CPU. For the run, what exists is frozen out of
        # the collector's walks and young collections run less often; both are restored
        # after, even on error. Left alone when the caller froze objects already.
        if not self.core.fast_paths or gc.get_freeze_count() or not gc.isenabled():
            yield
            return
        threshold = gc.get_threshold()
        gc.freeze()
        gc.set_threshold(*(max(now, tuned)
                           for now, tuned in zip(threshold, _GC_THRESHOLDS, strict=True)))
        try:
            yield
        finally:
            gc.set_threshold(*threshold)
            gc.unfreeze()

    def _run_next_batch(self) -> None:
        due = self._events[0].due
        self._set_clock(due)
        # Every step due at the same instant runs before their tasks are delivered, so that
        # inspectors get large batches, as an SQS-subscribed inspector would; the tasks go
        # out before each review (its findings are in first) and at the end.
        while self._events and self._events[0].due == due:
            # One transaction per stretch of dispatches with its tasks, and per review, in a
            # store that has them: interrupted, a stretch leaves its steps pending and
            # nothing half-written, and at most one review is published again.
            with self._atomic():
                done: list[int] = []
                while self._events and self._events[0].due == due:
                    event = heapq.heappop(self._events)
                    if event.step is not None:
                        done.append(event.step)
                    if event.kind == "inspect":
                        self.core.dispatch_inspection(event.payload)
                        continue
                    self._deliver_tasks()  # findings due by now are in before the review
                    self._review(event.payload)
                    break
                self._deliver_tasks()
                if done:
                    self.store.remove_steps(done)  # type: ignore[attr-defined]

    def _set_clock(self, when: datetime) -> None:
        setter = getattr(self.clock, "set", None)
        if setter is not None and when > self.clock.now():
            setter(when)

    # --- Delivery: what the core calls ---------------------------------------------------------

    def schedule_inspection(self, delay: timedelta, report: str) -> None:
        """Step Functions' InspectionMachine: dispatch after ``delay``."""
        self._schedule(self.clock.now() + delay, "inspect", report)

    def schedule_review(self, delay: timedelta, report: str) -> None:
        """Step Functions' ReviewMachine: compile and review after ``delay``."""
        self._schedule(self.clock.now() + delay, "review", report)

    def _schedule(self, due: datetime, kind: str, payload: str) -> None:
        add_step = getattr(self.store, "add_step", None)
        step = add_step(due, kind, payload) if add_step is not None else None
        heapq.heappush(self._events, _Event(due, next(self._seq), kind, payload, step))

    def publish_task(self, task: str) -> None:
        """The task topic: queued, then delivered to every inspector in batches."""
        self._tasks.append(task)

    def publish_report(self, report: str) -> None:
        """The report topic: every emitter gets an SNS event with the report."""
        self.publications += 1
        # The fast read declines some reports the core writes (an alert body holding a
        # "status" key, say): then the whole report is read.
        head = _head(report) if self.core.fast_paths else None
        if head is None:
            full = peek_report(report) or Report.from_json(report)
            head = full.id, full.status
        report_id, status = head
        if status == ReportStatus.PUBLISHED:
            # Kept compressed: the last published version of every report, for published().
            self._published[report_id] = zlib.compress(report.encode("utf-8"), 1)
        fast = self.core.fast_paths
        silent = fast and _silent_skips()
        for emitter in self.emitters:
            invoke_json = getattr(emitter, "_invoke_json", None) if fast else None
            if silent and _filters_out(emitter, status):
                continue
            try:
                if invoke_json is not None:  # a @emitter: the report's text, read once
                    invoke_json(report, self._context)
                else:
                    emitter(sns_event(report), self._context)
            except Exception as exc:
                self.errors.append(PipelineError(
                    "emitter", f"{_name(emitter)} raised {type(exc).__name__}: {exc}",
                    report_id, self._sources.get(report_id), _traceback(exc)))

    def _skips_report(self, report_id: str, status: str) -> bool:
        """For the core's fast path: ``True`` (and the publication counted) when every emitter
        would skip a ``new``/``more`` report unread, so the core need not compile it. Never
        when ``publish_report`` was replaced (a subclass or a test watching publications)."""
        if status == ReportStatus.PUBLISHED or getattr(
                self.publish_report, "__func__", None) is not LocalPipeline.publish_report \
                or not all(_filters_out(emitter, status) for emitter in self.emitters) \
                or not _silent_skips():
            return False
        self.publications += 1
        return True

    def invoke_reviewer(self, report: str) -> str | None:
        """Invoke the reviewer as Step Functions does: the report JSON is the event.

        As on the core on AWS, a reviewer that raises, or whose output is not a ReportResult,
        means ``unclassified`` (its reason names only the error's type); what went wrong is in
        :attr:`errors`, redacted.
        """
        if self.reviewer is None:
            return '{"severity":"unclassified","reason":"no reviewer configured"}'
        try:
            invoke_json = getattr(self.reviewer, "_invoke_json", None)
            if self.core.fast_paths and invoke_json is not None:
                # A @reviewer reads the report's text once instead of json.loads and a
                # model built from the dict (its own handler, the same verdict).
                result = invoke_json(report, self._context)
            else:
                result = self.reviewer(json.loads(report), self._context)
        except Exception as exc:
            outcome, _ = review_verdict(None, failed=True, error_type=type(exc).__name__)
            self._reviewer_error(report, f"raised {type(exc).__name__}: {exc}", _traceback(exc))
            return outcome.to_json()
        outcome, problem = review_verdict(result)
        if problem is not None:
            self._reviewer_error(report, problem)
        return outcome.to_json()

    def _reviewer_error(self, report: str, what: str, trace: str | None = None) -> None:
        report_id = Report.from_json(report).id
        self.errors.append(PipelineError(
            "reviewer", f"{_name(self.reviewer)} {what}; the report is published unclassified",
            report_id, self._sources.get(report_id), trace))

    # --- inside the pipeline -----------------------------------------------------------------

    def _review(self, report: str) -> None:
        try:
            self.core.review(report)
        except Exception as exc:
            report_id = Report.from_json(report).id
            self.errors.append(PipelineError(
                "reviewer", f"the review failed: {type(exc).__name__}: {exc}; the report is "
                "not published", report_id, self._sources.get(report_id), _traceback(exc)))

    def _deliver_tasks(self) -> None:
        # In chunks, each followed by collecting its findings, so that the messages in flight
        # stay few however many tasks are pending; new attributes found go round again.
        while self._tasks:
            pending, self._tasks = self._tasks, []
            for start in range(0, len(pending), _BATCH):
                # Read per chunk, not when published: tasks pending all at once (every
                # dispatch due at one instant) are held as text only.
                tasks = pending[start:start + _BATCH]
                parsed = [Task.from_json(t) for t in tasks]
                if self.core.fast_paths:  # each task's SNS envelope quoted once for all
                    tasks = [json.dumps(t) for t in tasks]
                for inspector in self.inspectors:
                    chosen = [(text, task) for text, task in zip(tasks, parsed, strict=True)
                              if task.attribute is not None
                              and inspector.accepts(task.attribute)]
                    if chosen:
                        self._invoke(inspector, chosen)
                self._collect()

    def _invoke(self, inspector: InspectorLike, chosen: list[tuple[str, Task]]) -> None:
        event = self._task_event((text for text, _ in chosen), quoted=self.core.fast_paths)
        capture = _ErrorCapture()
        root = logging.getLogger("deepalert")
        root.addHandler(capture)
        try:
            response = inspector.invoke(event, self._context, sqs_client=self._sink,
                                        finding_queue_url=_FINDING_QUEUE,
                                        attribute_queue_url=_ATTRIBUTE_QUEUE)
        except Exception as exc:
            for _, task in chosen:
                self._inspector_error(inspector, task, f"{type(exc).__name__}: {exc}",
                                      _traceback(exc))
            return
        finally:
            root.removeHandler(capture)
        items = response["batchItemFailures"] if response is not None else []
        failed = {item["itemIdentifier"] for item in items}
        if not failed:
            return
        why = "; ".join(dict.fromkeys(capture.messages)) or "see the inspector's log"
        for record, (_, task) in zip(event["Records"], chosen, strict=True):
            if record["messageId"] in failed:
                self._inspector_error(inspector, task, why)

    def _task_event(self, tasks: Iterable[str], quoted: bool = False) -> dict[str, Any]:
        # What a queue subscribed to the task topic delivers: SQS records whose bodies are
        # SNS notifications (as deepalert.testing.sqs_sns_event builds, with cheaper IDs).
        # ``quoted``: the tasks are JSON strings already.
        records = []
        for task in tasks:
            n = next(self._seq)
            envelope = ('{"Type":"Notification","MessageId":"local-' + str(n) + '",'
                        '"TopicArn":"' + _TASK_TOPIC + '","Message":'
                        + (task if quoted else json.dumps(task)) + "}")
            records.append({"messageId": f"local-{n}", "eventSource": "aws:sqs",
                            "eventSourceARN": _TASK_QUEUE, "body": envelope})
        return {"Records": records}

    def _inspector_error(self, inspector: InspectorLike, task: Task, why: str,
                         trace: str | None = None) -> None:
        attr = task.attribute
        what = f"{attr.type} {attr.value!r}" if attr is not None else "a task"
        self.errors.append(PipelineError(
            "inspector", f"{inspector.author!r} failed on {what}: {why}", task.report_id,
            self._sources.get(task.report_id), trace))

    def _collect(self) -> None:
        for body in self._sink.bodies(_FINDING_QUEUE):
            try:
                self.core.store_finding(body)
            except (DeepAlertError, ValueError) as exc:
                self.errors.append(PipelineError("finding", str(exc)))
        for body in self._sink.bodies(_ATTRIBUTE_QUEUE):
            feedback = self.core.feed_back(body)
            if feedback.cut_off and feedback.report_id not in self._cut_off:
                self._cut_off.add(feedback.report_id)
                first = feedback.cut_off[0]
                self.errors.append(PipelineError(
                    "feedback",
                    f"new attributes beyond max_feedback_depth="
                    f"{self.core.settings.max_feedback_depth} were not inspected "
                    f"(first: {first.type} {first.value!r}); an inspector keeps finding new "
                    "attributes", feedback.report_id, self._sources.get(feedback.report_id)))
        self._sink.clear()

    # --- results -----------------------------------------------------------------------------

    def report(self, report_id: str) -> Report | None:
        """A report as the core would compile it now."""
        return self.core.compile_report(report_id)

    def published(self) -> list[Report]:
        """The last published version of every report published so far, oldest first."""
        return [Report.from_json(text) for text in self.published_json()]

    def published_json(self) -> list[str]:
        """:meth:`published`, as the JSON the report topic carried."""
        return [zlib.decompress(data).decode("utf-8") for data in self._published.values()]


# A report as the core writes it: the ID first, the status and creation time last; what
# lies between cannot end the text this way, so the two are read without decoding the rest.
_HEAD_ID = re.compile(r'\{"id":"([^"\\]*)",')
_HEAD_STATUS = re.compile(r',"status":"([a-z]*)","created_at":"[^"\\]*"\}\Z')


def _head(report: str) -> tuple[str, str] | None:
    """``(id, status)`` of a report the core wrote, or ``None`` for a full read."""
    first = _HEAD_ID.match(report)
    last = _HEAD_STATUS.search(report, max(len(report) - 120, 0))
    return None if first is None or last is None else (first.group(1), last.group(1))


def _silent_skips() -> bool:
    """Whether an ``@emitter`` skipping a report leaves no trace: no debug line for it and no
    EMF metrics counting the record (a bad setting fails in the handler, as before)."""
    from deepalert._lambda import _metrics
    from deepalert._lambda._logging import apply_log_level
    from deepalert.emitter._emitter import logger

    try:
        apply_log_level()
        if _metrics.enabled():
            return False
    except DeepAlertError:
        return False
    return not logger.isEnabledFor(logging.DEBUG)


def _filters_out(emitter: object, status: str) -> bool:
    """Whether this ``@emitter`` skips reports of ``status`` (before reading the rest): most
    publications are ``new``/``more`` snapshots that emitters ignore."""
    from deepalert.emitter._emitter import Emitter

    return isinstance(emitter, Emitter) and status not in emitter.statuses


def _delivery_key(source: str, data: str | bytes) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return hashlib.sha256(source.encode("utf-8") + b"\0" + raw).hexdigest()


def _name(role: object) -> str:
    func = getattr(role, "func", role)
    return getattr(func, "__qualname__", None) or type(role).__name__
