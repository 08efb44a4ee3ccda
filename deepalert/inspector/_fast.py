"""The inspector's fast path for SQS events: the same messages and responses, less work.

For the common event (an SQS event whose bodies are SNS notifications holding a Task, or raw
Tasks) each record is read with pydantic-core validators directly (the envelope and the Task
in one pass), and each finding is written in one call by a serializer made of the schemas that
write the typed Finding (the attribute's and the content's) instead of building a Finding
model first. What the read-back proved is proved more cheaply: a content of strings only is
written with the strict serializer (a value of the wrong type is refused, not written); only
a content that can hold times is read back, and only its content.

Anything unusual (another envelope, a record or body that does not read as the common shapes,
a null attribute, a content of a subclass, a value the strict writer refuses, a message over
the limit) goes to the general path, record by record or content by content, so what is
written and every error reads exactly as there. ``tests/inspector/test_fast_path*.py`` checks
byte-identity against the general path, which stays reachable through :data:`ENABLED`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from time import perf_counter
from typing import TYPE_CHECKING, Any, NamedTuple, Union, cast

from deepalert._lambda._events import _isolated, _sqs_record
from deepalert._lambda._sqs import BatchSender, OutMessage
from deepalert._wire import go_escape
from deepalert.errors import DeliveryError
from deepalert.inspector._context import InspectionContext
from deepalert.inspector._output import finding_body, normalize_output, report_attribute_body

if TYPE_CHECKING:
    from pydantic_core import SchemaSerializer

    from deepalert._lambda import LambdaContext, PartialBatchResponse
    from deepalert._lambda._sqs import SqsClient
    from deepalert.inspector._handler import Inspector, _Outcome
    from deepalert.models import Attribute

__all__ = ["ENABLED", "NOT_HANDLED", "NotHandled", "invoke_fast"]

ENABLED = True
"""Internal switch: ``False`` sends every event through the general path (for the
differential test, and to bisect a suspected difference)."""


class NotHandled:
    """The type of :data:`NOT_HANDLED`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_HANDLED"


NOT_HANDLED = NotHandled()
"""Returned when the fast path leaves the whole event to the general path."""


class _Result:
    """A record's outcome with the record's index and message ID in one object: what the
    handler's outbox, response and failure log read of an outcome and its record, cheaper to
    make than an :class:`EventRecord` and an outcome."""

    __slots__ = ("attribute", "duration_ms", "error", "findings", "index", "message_id",
                 "messages", "new_attributes", "report_id")

    def __init__(self, index: int, message_id: str | None) -> None:
        self.index = index
        self.message_id = message_id
        self.report_id = ""
        self.attribute: Attribute | None = None
        self.messages: list[OutMessage] = []
        self.error: BaseException | None = None
        self.new_attributes = 0  # for metrics, as the general path's outcome
        self.findings = 0
        self.duration_ms: float | None = None  # the function's, for metrics

    @property
    def record(self) -> _Result:
        """This object (a property, not an attribute: a reference to itself would be a cycle
        that only the garbage collector could free)."""
        return self


_ValidateJson = Callable[[Union[str, bytes]], Any]
_ContentEntry = tuple[str, "SchemaSerializer", _ValidateJson, tuple[str, ...]]
"""(the Finding ``type``, the typed Finding's serializer, the read-back of its content, the
fields that can hold times)."""


class _Compiled(NamedTuple):
    envelope: _ValidateJson
    """An SNS notification (``Type``, ``MessageId``, ``TopicArn``) whose ``Message`` is the
    text of a Task, read by ``Task``'s own schema in the same pass."""
    task: _ValidateJson
    """``Task``'s own validator."""
    contents: dict[type[Any], _ContentEntry]
    """Content class (exact) -> how its findings are written."""


_compiled: _Compiled | None = None


def _compile() -> _Compiled:
    """Build the validators and serializers on first use (not at import)."""
    global _compiled
    if _compiled is None:
        from pydantic_core import SchemaSerializer, SchemaValidator, core_schema

        from deepalert.models import (
            Attribute,
            ContentBinary,
            ContentHost,
            ContentUser,
            Task,
            WireModel,
        )

        for model in (Task, Attribute, ContentHost, ContentUser, ContentBinary):
            model.model_rebuild()  # defer_build: complete them now, once
        field = core_schema.typed_dict_field
        # What the general reader takes for an SNS notification: Type "Notification", a
        # string Message, and a TopicArn or a MessageId (checked by the caller). The Message
        # is read by Task's own schema in the same pass; if either fails, the general path
        # reads the record.
        envelope = SchemaValidator(core_schema.typed_dict_schema({
            "Type": field(core_schema.literal_schema(["Notification"])),
            "Message": field(core_schema.json_schema(Task.__pydantic_core_schema__)),
            "MessageId": field(core_schema.any_schema(), required=False),
            "TopicArn": field(core_schema.any_schema(), required=False),
        }, extra_behavior="ignore"))
        timed: dict[type[WireModel], tuple[str, ...]] = {
            ContentHost: ("related_domains", "related_urls", "related_malware", "activities",
                          "software"),
            ContentUser: ("activities",),
            ContentBinary: ("related_malware", "activities"),
        }
        contents: dict[type[Any], _ContentEntry] = {}
        for content, fields in timed.items():
            # The typed Finding's fields, in Go order, with the same field schemas: the
            # bytes the general writer's typed Finding model writes.
            schema = content.__pydantic_core_schema__
            finding = SchemaSerializer(core_schema.typed_dict_schema({
                "report_id": field(core_schema.str_schema()),
                "author": field(core_schema.str_schema()),
                "attribute": field(Attribute.__pydantic_core_schema__),
                "type": field(core_schema.str_schema()),
                "content": field(schema),
            }))
            # The general read-back: the content decoded as its struct, other keys ignored.
            check = SchemaValidator(core_schema.typed_dict_schema(
                {"content": field(schema)}, extra_behavior="ignore"))
            contents[content] = (content.content_type.value,  # type: ignore[attr-defined]
                                 finding, check.validate_json, fields)
        _compiled = _Compiled(envelope.validate_json,
                              Task.__pydantic_validator__.validate_json, contents)
    return _compiled


def invoke_fast(inspector: Inspector[Any], event: Any, context: LambdaContext | None,
                sqs_client: SqsClient | None, finding_queue_url: str | None,
                attribute_queue_url: str | None) -> PartialBatchResponse | NotHandled | None:
    """Handle an SQS event as :meth:`Inspector.invoke` does, or return :data:`NOT_HANDLED`."""
    if not ENABLED or type(event) is not dict:
        return NOT_HANDLED
    records = event.get("Records")
    if type(records) is not list or not records:
        return NOT_HANDLED
    first = records[0]
    if type(first) is not dict or "Sns" in first or (
            "body" not in first and first.get("eventSource") != "aws:sqs"):
        return NOT_HANDLED
    workers = inspector._max_workers
    if workers is not None and workers > 1 and len(records) > 1:
        return NOT_HANDLED
    _handler = _handler_module or _load_handler()

    finding_url = inspector._queue_url(finding_queue_url, inspector._finding_queue_url,
                                       _handler._FINDING_ENV, "finding_queue_url")
    attribute_url = inspector._queue_url(attribute_queue_url, inspector._attribute_queue_url,
                                         _handler._ATTRIBUTE_ENV, "attribute_queue_url")
    client_for: Callable[[str], SqsClient]
    if sqs_client is None:
        # looked up at each call, so that tests can replace it
        client_for = _handler.default_client
    else:
        client = sqs_client

        def client_for(_url: str) -> SqsClient:
            return client

    sender = BatchSender(client_for, max_batch_bytes=inspector._max_message_bytes)
    outbox = _handler._Outbox(sender)
    outcomes: list[_Outcome] = []
    inspect = _Inspect(inspector, _compiled or _compile(), context, finding_url, attribute_url)
    for index, raw in enumerate(records):
        outcome = inspect(index, raw)
        outcomes.append(outcome)
        outbox.add(outcome)
        outcome.messages = []  # sent or queued: held no longer (fewer objects for the GC)
    outbox.flush()
    return inspector._respond("sqs", outcomes, outbox, sender)


_handler_module: Any = None


def _load_handler() -> Any:
    """``deepalert.inspector._handler``, which imports this module (so not imported at the
    top), looked up once."""
    global _handler_module
    from deepalert.inspector import _handler

    _handler_module = _handler
    return _handler


class _Inspect:
    """One record in, its outcome out; the invocation's settings bound once."""

    def __init__(self, inspector: Inspector[Any], compiled: _Compiled,
                 context: LambdaContext | None, finding_url: str, attribute_url: str) -> None:
        self.inspector = inspector
        self.compiled = compiled
        self.envelope = compiled.envelope
        self.accepts = inspector.accepts
        # Without filters (and an accepts of its own) every attribute is accepted.
        self.filtered = bool(inspector.types or inspector.contexts) or (
            type(inspector).accepts is not _handler_module.Inspector.accepts)
        self.func = inspector.func
        self.takes_context = inspector._takes_context
        self.writers = compiled.contents
        self.author = inspector.author
        self.limit = inspector._max_message_bytes
        self.context = context
        self.getter = getattr(context, "get_remaining_time_in_millis", None)
        self.margin = inspector._deadline_margin_ms
        self.finding_url = finding_url
        self.attribute_url = attribute_url

    def __call__(self, index: int, raw: object) -> _Outcome:
        inspector = self.inspector
        # The common shapes: an SQS record whose body is an SNS notification holding a Task
        # (read in one pass), or a raw Task. Anything else: the general reader.
        task: Any = None
        if type(raw) is dict:
            body = raw.get("body")
            if type(body) is str:
                message_id = raw.get("messageId")
                if type(message_id) is not str or not message_id:
                    message_id = None
                # Decided as the general reader decides whether a body is a notification.
                if '"Notification"' not in body or not (
                        body.startswith("{") or body.lstrip().startswith("{")):
                    task = body
                else:
                    try:
                        envelope = self.envelope(body)
                    except ValueError:
                        pass
                    else:
                        if "TopicArn" in envelope or "MessageId" in envelope:
                            task = envelope["Message"]
        if task is None:  # unusual: the general path, from the start
            return inspector._inspect(_isolated(_sqs_record, index, raw, "sqs"), self.context,
                                      self.finding_url, self.attribute_url)
        outcome = _Result(index, message_id)
        if self.getter is not None:  # asked for every record, as the general path does
            value = self.getter()
            left = value if type(value) is int else (
                int(value) if isinstance(value, (int, float)) else None)
            if left is not None and left < self.margin and index > 0:
                outcome.error = DeliveryError(
                    f"record {index} was not started: {left} ms were left before the "
                    f"Lambda deadline (margin {self.margin} ms)")
                return cast("_Outcome", outcome)
        if type(task) is str:  # a raw body
            try:
                task = self.compiled.task(task)
            except ValueError:  # the lenient reader decides, and words the error
                task = None
        attr = task.attribute if task is not None else None
        if attr is None:  # a null attribute is refused there, in its words
            return inspector._inspect(_isolated(_sqs_record, index, raw, "sqs"),
                                      self.context, self.finding_url, self.attribute_url)
        report_id: str = task.report_id
        outcome.report_id = report_id
        outcome.attribute = attr
        try:
            if self.filtered and not self.accepts(attr):
                return cast("_Outcome", outcome)
            started = perf_counter()
            if self.takes_context:
                ctx = InspectionContext(report_id, inspector.author, attr, self.context)
                result = self.func(attr, ctx)
            else:
                result = self.func(attr)
            outcome.duration_ms = (perf_counter() - started) * 1000.0
            entry = self.writers.get(type(result))
            written = None if entry is None else _finding(
                report_id, self.author, attr, entry, result, self.limit)
            if written is not None:  # one content, the common case
                outcome.messages = [OutMessage(self.finding_url, written[0], written[1], index)]
                outcome.findings = 1
            else:
                outcome.messages, outcome.new_attributes = self._messages(
                    index, report_id, attr, result)
                outcome.findings = len(outcome.messages) - (1 if outcome.new_attributes else 0)
        except Exception as exc:  # one record's failure must not sink the batch
            outcome.error = exc
            outcome.messages = []
            outcome.findings = outcome.new_attributes = 0
        return cast("_Outcome", outcome)

    def _messages(self, index: int, report_id: str, attr: Attribute, result: object
                  ) -> tuple[list[OutMessage], int]:
        """The record's messages, and how many new attributes they report."""
        inspector = self.inspector
        author = inspector.author
        limit = inspector._max_message_bytes
        writers = self.compiled.contents
        entry = writers.get(type(result))
        if entry is not None:  # one content, the common case
            written = _finding(report_id, author, attr, entry, result, limit)
            if written is not None:
                return [OutMessage(self.finding_url, written[0], written[1], index)], 0
        contents: Sequence[object]
        new_attributes: Sequence[Attribute]
        if type(result) in writers:  # one content: what normalize_output makes of it
            contents, new_attributes = (result,), ()
        else:
            contents, new_attributes = normalize_output(result, author)
        messages = []
        for i, content in enumerate(contents):
            entry = writers.get(type(content))
            written = None if entry is None else _finding(
                report_id, author, attr, entry, content, limit)
            if written is None:  # anything unusual: the general writer, and its errors
                messages.append(OutMessage.of(self.finding_url, finding_body(
                    report_id, author, attr, content, i, limit), index))
            else:
                messages.append(OutMessage(self.finding_url, written[0], written[1], index))
        if new_attributes:
            body = report_attribute_body(report_id, author, attr, new_attributes, limit)
            messages.append(OutMessage.of(self.attribute_url, body, index))
        return messages, len(new_attributes)


def _finding(report_id: str, author: str, attr: Attribute, entry: _ContentEntry,
             content: object, limit: int) -> tuple[str, int] | None:
    """The Finding for one content and its size, byte for byte as the general writer writes
    it, or ``None`` to leave it to the general writer (a value the strict writer refuses, a
    time the reader refuses, a message over the limit or with a character SQS refuses)."""
    kind, serializer, check, timed = entry
    try:
        written = serializer.to_json({"report_id": report_id, "author": author,
                                      "attribute": attr, "type": kind, "content": content},
                                     warnings="error")
    except Exception:  # a lone surrogate, a value of the wrong type
        return None
    for name in timed:
        if getattr(content, name):
            try:  # the content read back as its struct, only where it can hold times
                check(written)
            except ValueError:
                return None
            break
    body = go_escape(written.decode())
    size = len(body) if body.isascii() else len(body.encode("utf-8"))
    if size > limit or "\ufffe" in body or "\uffff" in body:
        return None
    return body, size
