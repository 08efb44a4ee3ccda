"""The DeepAlert core's semantics, written against small interfaces.

This is what the Go core's Lambdas do (protocol notes §2), one method per Lambda:

=========================  =====================================================
Go Lambda                  here
=========================  =====================================================
receptAlert                :meth:`Core.receive_alert`
dispatchInspection         :meth:`Core.dispatch_inspection`
submitFinding              :meth:`Core.submit_finding`
feedbackAttribute          :meth:`Core.feedback_attribute`
compileReport (GetReport)  :meth:`Core.compile_report`
submitReport               :meth:`Core.submit_review`
publishReport              :meth:`Core.publish`
=========================  =====================================================

Messages come in and go out as JSON text through the wire codec. Storage is a
:class:`~deepalert.core.ReportStore`, time a :class:`~deepalert.core.Clock`, and every
hand-off (the Step Functions delays, SNS topics, the reviewer invocation) a :class:`Delivery`:
``deepalert.local`` runs this logic in one process, ``deepalert.core.aws`` on AWS's services.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from pydantic_core import PydanticSerializationError

from deepalert import _wire
from deepalert._wire import GoTime
from deepalert.core._clock import Clock
from deepalert.core._store import (
    ReportStore,
    StoredFinding,
    StoredReceipt,
    StoredReport,
    TakenReport,
)
from deepalert.errors import ContentError, DeliveryError, WireError
from deepalert.models import (
    _RAW,
    CONTENT_TYPES,
    Alert,
    Attribute,
    Finding,
    Report,
    ReportAttribute,
    ReportResult,
    ReportStatus,
    Severity,
    Task,
    WireModel,
)

__all__ = ["Core", "CoreSettings", "Delivery", "Feedback", "LateAlertPolicy", "Receipt"]

LateAlertPolicy = Literal["review-again", "go"]
"""What an alert arriving after its report was published does (protocol notes §2.6 item 3).

``"review-again"`` (the default) schedules a new review, so the report is published again with
a verdict that takes the late alert into account. ``"go"`` keeps the Go core's behaviour: the
report goes back to ``more`` with an empty result and is never reviewed again.
"""

_EMPTY_RESULT = ReportResult().to_json()
_WRITTEN_MAX = 512  # finding attributes whose JSON and hash store_finding keeps (the
# findings of one delivered chunk of tasks, at most 100 attributes, share them)


class Delivery(Protocol):
    """How the core hands work on: delays, topics and the reviewer."""

    def schedule_inspection(self, delay: timedelta, report: str) -> None:
        """Run :meth:`Core.dispatch_inspection` with ``report`` after ``delay``."""
        ...

    def schedule_review(self, delay: timedelta, report: str) -> None:
        """Run :meth:`Core.review` with ``report`` after ``delay``."""
        ...

    def publish_task(self, task: str) -> None:
        """Publish a Task on the task topic."""
        ...

    def publish_report(self, report: str) -> None:
        """Publish a Report on the report topic."""
        ...

    def invoke_reviewer(self, report: str) -> str | None:
        """Invoke the reviewer with a compiled report; its ReportResult JSON, or ``None``."""
        ...


@dataclass(frozen=True)
class CoreSettings:
    """The core's timings and the choices where the Go core has a defect.

    Attributes:
        inspect_delay: from an alert to dispatching its attributes (Go: 5 minutes).
        review_delay: from a report's first alert to its review (Go: 10 minutes).
        window: how long one AlertID keeps feeding one report (Go: 3 hours, from the first
            alert, not extended by later ones); also how long attribute dedup lasts.
        late_alerts: see :data:`LateAlertPolicy`.
        max_feedback_depth: how many rounds of feedback one report follows. An alert's
            attributes are depth 0; an attribute an inspector found for a depth-``n`` task is
            depth ``n + 1``. New attributes deeper than this are recorded in the report but not
            inspected, and reported as cut off (:class:`Feedback`), so that an inspector that
            always finds something new cannot keep a report busy forever (the Go core follows
            feedback until the attribute cache repeats itself, which may be never).
    """

    inspect_delay: timedelta = timedelta(minutes=5)
    review_delay: timedelta = timedelta(minutes=10)
    window: timedelta = timedelta(hours=3)
    late_alerts: LateAlertPolicy = "review-again"
    max_feedback_depth: int = 8

    def __post_init__(self) -> None:
        if self.max_feedback_depth < 0:
            raise ValueError("CoreSettings.max_feedback_depth must be 0 or more")


@dataclass(frozen=True)
class Receipt:
    """Where an accepted alert went."""

    report_id: str
    status: str
    alert_id: str
    repeated: bool = False
    """The alert's delivery key was seen before and fully handled: nothing was done again."""


@dataclass(frozen=True)
class Feedback:
    """What :meth:`Core.feed_back` did with an inspector's new attributes."""

    report_id: str
    sent: int
    """Tasks published for attributes new to the report."""
    depth: int
    """The feedback round these attributes belong to (1 for attributes found from an alert's)."""
    cut_off: list[Attribute] = field(default_factory=list)
    """New attributes deeper than ``max_feedback_depth``: recorded, not inspected."""


class Core:
    """The DeepAlert core's pipeline semantics.

    Args:
        store: where reports live.
        clock: where "now" comes from.
        delivery: how work is handed on.
        settings: timings and defect choices.
        new_id: makes report IDs (UUIDv4 by default, as the core does).
        publish_on_write: publish a report each time it is written, as the local pipeline
            does; ``False`` where something else publishes (on AWS, the table's stream and
            ``publish_report``) and the core's steps run in separate functions.
    """

    def __init__(self, store: ReportStore, clock: Clock, delivery: Delivery,
                 settings: CoreSettings | None = None,
                 new_id: Callable[[], str] = lambda: str(uuid.uuid4()), *,
                 publish_on_write: bool = True) -> None:
        self.store = store
        self.publish_on_write = publish_on_write
        self.clock = clock
        self.delivery = delivery
        self.settings = settings or CoreSettings()
        self._new_id = new_id
        self._reviews_pending: set[str] = set()
        # A store written before receipts and depths existed: keep them here instead.
        self._durable = all(hasattr(store, name) for name in
                            ("get_receipt", "put_receipt", "attribute_depth"))
        # A store that keeps each Finding as Go stores it takes its JSON (``finding_json``).
        self._keeps_finding_json = bool(getattr(store, "keeps_finding_json", False))
        self._receipts: dict[str, StoredReceipt] = {}
        self._depths: dict[tuple[str, str], int] = {}
        self._finding_keys: set[str] = set()
        self._written: dict[tuple[object, ...], tuple[str, str]] = {}

    fast_paths: bool = True
    """Take the fast paths of dispatch and :meth:`store_finding` (same bytes stored and
    published; ``False`` keeps only the general path, for differential tests)."""

    # --- receptAlert -------------------------------------------------------------------------

    def receive_alert(self, data: str | bytes, *, key: str | None = None) -> Receipt:
        """Validate an alert and fold it into its report (receptAlert + HandleAlert).

        Args:
            data: the alert's JSON.
            key: what identifies this delivery of the alert (an SQS ``messageId``, a file
                and position). The same key again finishes what an interrupted first attempt
                began and stores nothing twice; once handled, it changes nothing
                (``Receipt.repeated``). Without a key every call is a new alert, as in Go.

        Raises:
            WireError: the alert is not readable.
            InvalidAlertError: the core's ``Validate()`` rejects it.
        """
        alert = Alert.from_json(data)
        alert.validate_limits()
        now = self.clock.now()
        alert_id = alert.alert_id()
        prior = None if key is None else self._get_receipt(key)
        if prior is not None and prior.done:
            status = ReportStatus.NEW if prior.is_new else ReportStatus.MORE
            return Receipt(prior.report_id, status, alert_id, repeated=True)
        if prior is not None:
            taken = TakenReport(prior.report_id, prior.is_new, prior.created_at)
        elif key is not None and getattr(self.store, "remembers_first_delivery", False):
            # The alertmap entry itself names the delivery that opened the report: a retry
            # of that delivery finds its report new, and no receipt is written until done.
            taken = self.store.take_report(alert_id, self._new_id(), now,  # type: ignore[call-arg]
                                           self.settings.window, key=key)
        else:
            taken = self.store.take_report(alert_id, self._new_id(), now, self.settings.window)
            if key is not None:
                self._put_receipt(key, StoredReceipt(taken.report_id, taken.is_new,
                                                     taken.created_at), now)
        report_id = taken.report_id
        previous = None if taken.is_new else self.store.get_report(report_id)
        status = ReportStatus.NEW if taken.is_new else ReportStatus.MORE
        alert_json = alert.to_json()
        if key is None or not self._durable:  # in memory, the receipt alone guards it
            self.store.save_alert(report_id, alert_json)
        else:
            self.store.save_alert(report_id, alert_json, key=key)

        # The state machines' input: the report with this one alert (as Go marshals it).
        report = _report_json(report_id, [alert_json], [], [], _EMPTY_RESULT, status,
                              taken.created_at, self.fast_paths)
        self.delivery.schedule_inspection(self.settings.inspect_delay, report)
        if taken.is_new or (previous is not None and previous.status == ReportStatus.PUBLISHED
                            and self.settings.late_alerts == "review-again"):
            self._schedule_review(report_id, report)
        self.store.put_report(StoredReport(report_id, status, _EMPTY_RESULT, taken.created_at))
        if self.publish_on_write and not self._unheard(report_id, status):
            self.publish(report_id)
        if key is not None:
            self._put_receipt(key, StoredReceipt(report_id, taken.is_new, taken.created_at,
                                                 done=True), now)
        return Receipt(report_id, status, alert_id)

    def _unheard(self, report_id: str, status: ReportStatus) -> bool:
        """Fast path: whether the delivery says no one acts on this publication (every
        subscriber filters its status out), so that compiling it can be skipped. A delivery
        tells by an optional ``_skips_report(report_id, status)``, which accounts for the
        publication itself; ``deepalert.local``'s has one."""
        skips = getattr(self.delivery, "_skips_report", None) if self.fast_paths else None
        return skips is not None and bool(skips(report_id, status))

    def _get_receipt(self, key: str) -> StoredReceipt | None:
        if self._durable:
            return self.store.get_receipt(key)
        return self._receipts.get(key)

    def _put_receipt(self, key: str, receipt: StoredReceipt, now: datetime) -> None:
        if self._durable:
            # Kept as long as an alert of the report may still arrive.
            self.store.put_receipt(key, receipt, now, self.settings.window)
        else:
            self._receipts[key] = receipt

    def _schedule_review(self, report_id: str, report: str) -> None:
        # In one process, a review already pending covers a late alert too. Run as separate
        # functions (publish_on_write off), this process never sees the review run.
        if self.publish_on_write:
            if report_id in self._reviews_pending:
                return
            self._reviews_pending.add(report_id)
        self.delivery.schedule_review(self.settings.review_delay, report)

    # --- dispatchInspection ------------------------------------------------------------------

    def dispatch_inspection(self, report_json: str) -> int:
        """Publish one task per attribute not yet seen in this report; return how many."""
        report = Report.from_json(report_json)
        now = self.clock.now()
        sent: list[tuple[str, str, str]] = []
        fast = self.fast_paths
        for alert in report.alerts or ():
            for attr in alert.attributes or ():
                if fast:
                    task_json = self._dispatch_one(report.id, attr, alert.timestamp, now)
                    if task_json is not None:
                        sent.append((report.id, task_json[0], task_json[1]))
                    continue
                attr_hash = attr.hash()  # before the timestamp is filled in, as Go does
                if not self._remember(report.id, attr_hash, attr, now):
                    continue
                task_attr = attr.model_copy(update={
                    "context": _sorted(attr.context),
                    "timestamp": attr.timestamp if attr.timestamp is not None
                    else alert.timestamp,
                })
                # Both parts are valid already: construct, do not validate again.
                task = Task.model_construct(report_id=report.id, attribute=task_attr)
                sent.append((report.id, attr_hash, task.to_json()))
        self._publish_tasks(sent)
        return len(sent)

    def _dispatch_one(self, report_id: str, attr: Attribute, alert_time: GoTime,
                      now: datetime) -> tuple[str, str] | None:
        """Dispatch's work for one attribute, writing it once: the hash text, the stored
        attribute and the task's attribute differ at most by the timestamp, Go's last
        (omitempty) field, so they are that one JSON text with a timestamp appended.
        ``(hash, task)``, or ``None`` when the report has seen the attribute."""
        context = attr.context
        if context is not None and context != sorted(context):
            attr = attr.model_copy(update={"context": sorted(context)})
        text = _validated_json(attr)
        attr_hash = _wire.hash_hex(text)
        if attr.timestamp is None:
            stored = f'{text[:-1]},"timestamp":"{_go_time(now)}"}}'
            task_attr = f'{text[:-1]},"timestamp":"{alert_time}"}}'
        else:
            stored = task_attr = text
        if not self.store.put_attribute(report_id, attr_hash, stored, now,
                                        self.settings.window):
            return None
        return attr_hash, f'{{"report_id":{_quote(report_id)},"attribute":{task_attr}}}'

    def _publish_tasks(self, tasks: list[tuple[str, str, str]]) -> None:
        """Publish ``(report id, remembered hash, task)``s; if a delivery that sends in
        batches (``flush``) could not send some, forget their attributes before raising, so
        that a retry of the same message publishes them instead of finding them seen (the
        Go core loses them, protocol notes §2.3)."""
        for _, _, task in tasks:
            self.delivery.publish_task(task)
        flush = getattr(self.delivery, "flush", None)
        if flush is None or not tasks:
            return
        try:
            flush()
        except DeliveryError as exc:
            failed = getattr(exc, "failed", None)
            forget = getattr(self.store, "forget_attribute", None)
            if forget is not None:
                for report_id, attr_hash, task in tasks:
                    if failed is None or task in failed:
                        forget(report_id, attr_hash)
            raise

    def _remember(self, report_id: str, attr_hash: str, attr: Attribute, now: datetime,
                  depth: int = 0) -> bool:
        stored = attr.model_copy(update={
            "context": _sorted(attr.context),
            # report.attributes[].timestamp: the attribute's own, else the dispatch time.
            "timestamp": attr.timestamp if attr.timestamp is not None else _go_time(now),
        })
        if depth and self._durable:
            return self.store.put_attribute(report_id, attr_hash, stored.to_json(), now,
                                            self.settings.window, depth=depth)
        fresh = self.store.put_attribute(report_id, attr_hash, stored.to_json(), now,
                                         self.settings.window)
        if fresh and depth:
            self._depths[report_id, attr_hash] = depth
        return fresh

    def _depth(self, report_id: str, attr_hash: str) -> int | None:
        if self._durable:
            return self.store.attribute_depth(report_id, attr_hash)
        return self._depths.get((report_id, attr_hash))

    # --- submitFinding -----------------------------------------------------------------------

    def submit_finding(self, finding_json: str | bytes, *, key: str | None = None) -> Finding:
        """Store a finding under its attribute's hash.

        Unlike the Go core, a content that does not fit the struct its ``type`` names is
        refused here (raising :class:`~deepalert.ContentError`) instead of being stored and
        breaking every later compile of the report (protocol notes §2.8 item 8).

        ``key`` identifies this delivery (an SQS ``messageId``): the same key again stores
        nothing twice. Without one, every call stores a finding, as in Go.
        """
        finding = Finding.from_json(finding_json)
        content_json = ""
        if finding.type in CONTENT_TYPES:
            try:
                content = finding.parsed_content()
            except WireError as exc:
                raise ContentError(
                    f"finding from {finding.author!r} for report {finding.report_id}: "
                    f"{finding.type} content does not fit the core's struct: {exc}") from None
            assert content is not None
            content_json = content.to_json()
        attr_json = finding.attribute.to_json()
        stored = StoredFinding(finding.attribute.hash(), attr_json, finding.type, content_json)
        save: Callable[..., None] = self.store.save_finding
        if self._keeps_finding_json:
            save = functools.partial(save, finding_json=_go_finding(finding, attr_json))
        if key is None:
            save(finding.report_id, stored)
        elif self._durable:
            save(finding.report_id, stored, key=key)
        elif key not in self._finding_keys:
            self._finding_keys.add(key)
            save(finding.report_id, stored)
        return finding

    def store_finding(self, finding_json: str | bytes, *, key: str | None = None) -> None:
        """:meth:`submit_finding` without handing the finding back: the fast path reads it
        once with its content typed (stores the same bytes; anything unusual takes the
        general path, so errors read the same)."""
        if not self.fast_paths or key is not None:
            self.submit_finding(finding_json, key=key)
            return
        typed = _typed_finding(finding_json)
        if typed is None:
            self.submit_finding(finding_json)
            return
        attr = typed.attribute
        context = attr.context
        # The inspectors of one task echo the same attribute: write and hash it once.
        seen = (attr.type, attr.key, attr.value, None if context is None else tuple(context),
                attr.timestamp)
        written = self._written.get(seen)
        if written is None:
            attr_json = _validated_json(attr)
            attr_hash = (_wire.hash_hex(attr_json)
                         if context is None or context == sorted(context) else attr.hash())
            if len(self._written) >= _WRITTEN_MAX:
                self._written.clear()
            written = self._written[seen] = attr_json, attr_hash
        attr_json, attr_hash = written
        content_json = _validated_json(typed.content)
        stored = StoredFinding(attr_hash, attr_json, typed.type, content_json)
        if self._keeps_finding_json:
            self.store.save_finding(typed.report_id, stored,  # type: ignore[call-arg]
                                    finding_json=_go_finding(Finding.from_json(finding_json),
                                                             attr_json))
        else:
            self.store.save_finding(typed.report_id, stored)

    # --- feedbackAttribute -------------------------------------------------------------------

    def feedback_attribute(self, message: str | bytes) -> int:
        """Publish a task for each new attribute an inspector found; return how many."""
        return self.feed_back(message).sent

    def feed_back(self, message: str | bytes) -> Feedback:
        """:meth:`feedback_attribute`, saying also what ``max_feedback_depth`` cut off."""
        feedback = ReportAttribute.from_json(message)
        report_id = feedback.report_id
        now = self.clock.now()
        # The task attribute an inspector echoes is the attribute as the core remembered it
        # when it came from feedback; an alert's attribute (depth 0) is remembered before its
        # timestamp is filled in, so its echo is not found, and counts as depth 0 too.
        depth = (self._depth(report_id, feedback.origin_attr.hash()) or 0) + 1
        result = Feedback(report_id, 0, depth)
        sent: list[tuple[str, str, str]] = []
        for attr in feedback.attributes or ():
            attr_hash = attr.hash()
            if not self._remember(report_id, attr_hash, attr, now, depth):
                continue
            if depth > self.settings.max_feedback_depth:
                result.cut_off.append(attr)
                continue
            task_attr = attr.model_copy(update={"context": _sorted(attr.context)})
            task = Task.model_construct(report_id=report_id, attribute=task_attr)
            sent.append((report_id, attr_hash, task.to_json()))
        self._publish_tasks(sent)
        return Feedback(report_id, len(sent), depth, result.cut_off)

    # --- compileReport -----------------------------------------------------------------------

    def compile_report(self, report_id: str) -> Report | None:
        """The full report as the core reads it back (GetReport); ``None`` if unknown.

        Alerts come in arrival order (the Go core's order is random), attributes and
        sections in ascending attribute hash, contents within a section in arrival order.
        """
        text = self.compile_report_json(report_id)
        return None if text is None else Report.from_json(text)

    def compile_report_json(self, report_id: str) -> str | None:
        """:meth:`compile_report` as the JSON the report topic carries, built from the stored
        JSON fragments without decoding them again."""
        row = self.store.get_report(report_id)
        if row is None:
            return None
        alerts = self.store.alerts(report_id)
        attributes = [a for _, a in self.store.attributes(report_id)]
        sections: list[str] = []
        group: dict[str, list[str]] = {}
        attr_json = current_hash = None
        for finding in self.store.findings(report_id):
            if finding.attr_hash != current_hash:
                if attr_json is not None:
                    sections.append(_section_json(attr_json, group))
                current_hash, attr_json, group = finding.attr_hash, finding.attribute, {}
            key = _SECTION_KEYS.get(finding.content_type)
            if key is not None:  # unknown types leave a section with only its attribute
                group.setdefault(key, []).append(finding.content)
        if attr_json is not None:
            sections.append(_section_json(attr_json, group))
        # created_at is read back from the table in whole seconds.
        return _report_json(report_id, alerts, attributes, sections, row.result, row.status,
                            row.created_at.replace(microsecond=0), self.fast_paths)

    # --- the review machine ------------------------------------------------------------------

    def review(self, report_json: str) -> str | None:
        """Compile, invoke the reviewer and submit its result; the published report.

        Raises whatever the delivery's :meth:`~Delivery.invoke_reviewer` raised: the report
        is then not published. ``deepalert.local``'s delivery never raises for a failed
        reviewer: it returns the ``unclassified`` verdict of :func:`review_verdict`, as the
        core on AWS stores.
        """
        report_id = Report.from_json(report_json).id
        self._reviews_pending.discard(report_id)
        compiled = self.compile_report_json(report_id)
        if compiled is None:
            return None
        result_json = self.delivery.invoke_reviewer(compiled)
        return self.submit_review(report_id, result_json)

    def submit_review(self, report_id: str, result_json: str | None) -> str | None:
        """Store the reviewer's verdict as ``published`` and publish (submitReport).

        Returns the published report, or ``None`` when the report is unknown or
        ``publish_on_write`` is off.
        """
        if self.store_verdict(report_id, verdict(result_json)) is None:
            return None
        return self.publish(report_id) if self.publish_on_write else None

    def store_verdict(self, report_id: str, result: ReportResult) -> StoredReport | None:
        """Store the report ``published`` with ``result``; the row, or ``None`` if unknown."""
        row = self.store.get_report(report_id)
        if row is None:
            return None
        stored = StoredReport(report_id, ReportStatus.PUBLISHED, result.to_json(),
                              row.created_at)
        self.store.put_report(stored)
        return stored

    # --- publishReport -----------------------------------------------------------------------

    def publish(self, report_id: str) -> str | None:
        """Publish the report's current state on the report topic (publishReport)."""
        report = self.compile_report_json(report_id)
        if report is not None:
            self.delivery.publish_report(report)
        return report


def verdict(result_json: str | None) -> ReportResult:
    """What submitReport stores for a reviewer's output: no result or an empty severity is
    ``unclassified``.

    Raises:
        WireError: the output is not a ReportResult.
    """
    result = ReportResult() if result_json is None else ReportResult.from_json(result_json)
    if result.severity == "":
        result = ReportResult(severity=Severity.UNCLASSIFIED, reason=result.reason)
    return result


def review_verdict(result: object, *, failed: bool = False,
                   error_type: str | None = None) -> tuple[ReportResult, str | None]:
    """What both cores store for a reviewer's output, and what was wrong with it.

    A failed reviewer (``failed``), no result or an empty one, an output that is not an
    object and one that is not a ReportResult all mean ``unclassified``: the report is
    published either way. The verdict's reason names only the error's type, never its
    message (which may hold secrets); the details go in the second item, for the logs.

    Args:
        result: the reviewer's output (a dict for a ReportResult), ``None`` for none.
        failed: the reviewer raised, timed out or crashed.
        error_type: the error's type name, when known (``"ValueError"``).

    Returns:
        The verdict to store, and what to log (``None`` when the output was a verdict).
    """
    if failed:
        reason = f"the reviewer failed ({error_type or 'unknown error'}); see its logs"
        return ReportResult(severity=Severity.UNCLASSIFIED, reason=reason), reason
    if result is None or result == {}:
        return verdict(None), None
    if not isinstance(result, Mapping):
        reason = f"the reviewer returned a {type(result).__name__}, not a ReportResult"
        return ReportResult(severity=Severity.UNCLASSIFIED, reason=reason), reason
    try:
        text = json.dumps(result, ensure_ascii=False, separators=(",", ":"))
        return verdict(text), None
    except (TypeError, ValueError) as exc:  # WireError is a ValueError
        reason = "the reviewer's result could not be read"
        return (ReportResult(severity=Severity.UNCLASSIFIED, reason=reason),
                f"unreadable verdict: {exc}")


class _TypedFinding(Protocol):
    report_id: str
    attribute: Attribute
    type: str
    content: WireModel


_TypedModels = tuple[tuple[str, bytes, Callable[..., Any]], ...]


@functools.cache
def _typed_finding_readers() -> _TypedModels:
    """``(type, marker, validate_json)`` of each typed Finding model."""
    return tuple((name, marker, model.__pydantic_validator__.validate_json)
                 for name, (marker, model) in _typed_finding_models().items())


@functools.cache
def _typed_finding_models() -> dict[str, tuple[bytes, type[WireModel]]]:
    # A Finding whose content is read straight into the struct its type names: one
    # validation instead of a generic value validated again.
    from pydantic import Field, create_model

    models: dict[str, tuple[bytes, type[WireModel]]] = {}
    for name, content_model in CONTENT_TYPES.items():
        model = create_model(
            f"_{content_model.__name__}Finding", __base__=WireModel,
            report_id=(str, ""), author=(str, ""),
            attribute=(Attribute, Field(default_factory=Attribute)),
            type=(str, ""), content=(content_model, ...))
        models[name] = (f'"type":"{name}","content":'.encode(), model)
    return models


def _typed_finding(data: str | bytes) -> _TypedFinding | None:
    """The finding read with its content typed, when its type is a known content type and
    both fit exactly; ``None`` sends it to the general path."""
    try:
        raw = data.encode("utf-8") if isinstance(data, str) else data
    except UnicodeEncodeError:
        return None
    for name, marker, validate_json in _typed_finding_readers():
        if marker in raw:
            try:
                typed: _TypedFinding = validate_json(raw, context={_RAW: raw})
            except ValueError:  # pydantic's ValidationError
                return None
            return typed if typed.type == name else None
    return None


def _validated_json(model: Attribute | WireModel) -> str:
    """``model.to_json()`` for an Attribute or a content struct the core has just read (and
    not changed since): their fields hold no ``interface{}`` values, and, freshly validated,
    no value of a wrong type, so the write-time check (``warnings="error"``, about a
    microsecond a call) has nothing to catch. Anything the serializer refuses (a lone
    surrogate) is written by ``to_json`` itself."""
    try:
        return _wire.go_escape(model.__pydantic_serializer__.to_json(model).decode())
    except PydanticSerializationError:
        return model.to_json()


def _go_finding(finding: Finding, attr_json: str) -> str:
    # json.Marshal(Finding) as the Go core stores it: content is an interface{}, so its
    # objects' keys come out sorted.
    return (f'{{"report_id":{_go_string(finding.report_id)},'
            f'"author":{_go_string(finding.author)},"attribute":{attr_json},'
            f'"type":{_go_string(finding.type)},'
            f'"content":{_wire.go_dumps(finding.content, sort_keys=True)}}}')


def _go_time(when: datetime) -> GoTime:
    # One dispatch stamps all its attributes with the same time: write it once. Keyed by the
    # offset too: equal instants in two zones are equal datetimes, written differently.
    return _go_time_at(when, when.utcoffset())


@functools.lru_cache(maxsize=8)
def _go_time_at(when: datetime, offset: timedelta | None) -> GoTime:
    return GoTime.from_datetime(when)


def _sorted(context: list[str] | None) -> list[str] | None:
    # Go's Hash() sorts the context in place, so every attribute the core hashed goes on
    # with its context sorted.
    return None if context is None else sorted(context)


def _report_json(report_id: str, alerts: list[str], attributes: list[str],
                 sections: list[str], result: str, status: str, created_at: datetime,
                 fast: bool = False) -> str:
    """A Report's JSON from its parts' JSON, in Go's field order."""
    quote = _quote if fast else _go_string
    created = GoTime.from_datetime(created_at)
    return (f'{{"id":{quote(report_id)},"alerts":{_array(alerts)},'
            f'"attributes":{_array(attributes)},"sections":{_array(sections)},'
            f'"result":{result},"status":{quote(status)},"created_at":"{created}"}}')


_SECTION_KEYS = {"user": "users", "host": "hosts", "binary": "binaries"}


def _section_json(attr_json: str, group: dict[str, list[str]]) -> str:
    # Section: attr, then users, hosts, binaries, each omitempty.
    parts = [f'{{"attr":{attr_json}']
    for key in ("users", "hosts", "binaries"):
        if key in group:
            parts.append(f',"{key}":[{",".join(group[key])}]')
    parts.append("}")
    return "".join(parts)


def _array(items: list[str]) -> str:
    # The core's nil slices are written null; a compiled report never has empty ones.
    return f"[{','.join(items)}]" if items else "null"


def _go_string(text: str) -> str:
    return _wire.go_dumps(text)


# Printable ASCII that Go's encoder writes as it is (no quote, backslash or HTML escapes).
_VERBATIM = re.compile(r"[ !#-%'-;=?-\[\]-~]*")


def _quote(text: str) -> str:
    """:func:`_go_string`, with report IDs and statuses (plain ASCII) written directly."""
    return f'"{text}"' if _VERBATIM.fullmatch(text) else _wire.go_dumps(text)
