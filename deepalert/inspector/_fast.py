"""The inspector's fast path for SQS events: the same messages and responses, less work.

For the common event (an SQS event whose bodies are SNS notifications holding a Task, or raw
Tasks) each record is read with pydantic-core validators directly (the envelope and the Task's
fields in one pass, with Task's own field schemas, no Task model built), and each finding is
written in one call by a serializer made of the schemas that write the typed Finding (the
attribute's and the content's) instead of building a Finding model first. What the read-back
proved is proved more cheaply: a content of strings only is written with the strict serializer
(a value of the wrong type is refused, not written; strict by its ``warnings="error"``
argument, or by its cheaper default where the warning filters turn its warning into an error,
see :func:`_strict_mode`); only a content that can hold times is read back, and only its
content.

The records are handled in one loop with the invocation's settings in local variables; while
all goes well a record leaves a tuple of strings and numbers behind, and the response, log
line and metrics are made from those. As soon as a record fails (or SQS refuses a message),
the general response reads every record's outcome, so failures are worded, logged and
counted as there.

Anything unusual (another envelope, a record or body that does not read as the common shapes,
a null attribute, a content of a subclass, a value the strict writer refuses, a message over
the limit) goes to the general path, record by record or content by content, so what is
written and every error reads exactly as there. ``tests/inspector/test_fast_path*.py`` checks
byte-identity against the general path, which stays reachable through :data:`ENABLED`.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence
from operator import attrgetter
from time import perf_counter
from typing import TYPE_CHECKING, Any, NamedTuple, Union, cast

from deepalert._lambda import _metrics
from deepalert._lambda._events import _isolated, _sqs_record
from deepalert._lambda._sqs import BatchSender, OutMessage
from deepalert._wire import go_escape
from deepalert.errors import DeliveryError
from deepalert.inspector._context import InspectionContext
from deepalert.inspector._output import finding_body, normalize_output, report_attribute_body

if TYPE_CHECKING:
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
_ContentEntry = tuple[str, Callable[..., bytes], _ValidateJson, Callable[[Any], tuple[Any, ...]]]
"""(the Finding ``type``, the typed Finding serializer's ``to_json``, the read-back of its
content, the values of the fields that can hold times)."""


class _Compiled(NamedTuple):
    envelope: _ValidateJson
    """An SNS notification (``Type``, ``MessageId``, ``TopicArn``) whose ``Message`` is the
    text of a Task, read by ``Task``'s own schema in the same pass."""
    task: _ValidateJson
    """A Task's fields, read by ``Task``'s own field schemas: ``(fields, None, set)``."""
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
        task_fields = _fields_schema(Task.__pydantic_core_schema__)
        # What the general reader takes for an SNS notification: Type "Notification", a
        # string Message, and a TopicArn or a MessageId (checked by the caller). The Message
        # is read by Task's own schema in the same pass; if either fails, the general path
        # reads the record.
        envelope = SchemaValidator(core_schema.typed_dict_schema({
            "Type": field(core_schema.literal_schema(["Notification"])),
            "Message": field(core_schema.json_schema(task_fields)),
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
            # A getter of one name returns the value, not a tuple: name it twice.
            values = attrgetter(*fields) if len(fields) > 1 else attrgetter(*fields, *fields)
            contents[content] = (content.content_type.value,  # type: ignore[attr-defined]
                                 finding.to_json, check.validate_json, values)
        _check_own_filter(contents[ContentHost][1], Attribute(),
                          ContentHost.model_construct(country=[0]))
        if _own_filter is not None:
            _add_own_filter()
        _compiled = _Compiled(envelope.validate_json,
                              SchemaValidator(task_fields).validate_json, contents)
    return _compiled


def _fields_schema(model_schema: Any) -> Any:
    """A schema reading a model's fields as ``(fields, extra, fields set)`` without building
    the model (only its fields are used): the same field schemas, the same refusal of
    unknown keys."""
    from pydantic_core import core_schema

    if model_schema["type"] == "model" and model_schema["schema"]["type"] == "model-fields":
        extra = model_schema.get("config", {}).get("extra_fields_behavior", "ignore")
        return {**model_schema["schema"], "extra_behavior": extra}
    # Not the shape pydantic builds today: the model itself, its fields taken after.
    return core_schema.no_info_after_validator_function(
        lambda model: (dict(model), None, set()), model_schema)


def invoke_fast(inspector: Inspector[Any], event: Any, context: LambdaContext | None,
                sqs_client: SqsClient | None, finding_queue_url: str | None,
                attribute_queue_url: str | None, timed: bool = True
                ) -> PartialBatchResponse | NotHandled | None:
    """Handle an SQS event as :meth:`Inspector.invoke` does, or return :data:`NOT_HANDLED`.

    ``timed``: whether the user's function is timed (its durations only feed the metrics, so
    the caller passes whether metrics are on for this invocation).
    """
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
    handler = _late or _load_late()

    # As Inspector._queue_url: the argument, the decorator's, then the environment.
    finding_url = finding_queue_url or inspector._finding_queue_url or inspector._queue_url(
        None, None, handler._FINDING_ENV, "finding_queue_url")
    attribute_url = (attribute_queue_url or inspector._attribute_queue_url
                     or inspector._queue_url(None, None, handler._ATTRIBUTE_ENV,
                                             "attribute_queue_url"))
    client_for: Callable[[str], SqsClient]
    if sqs_client is None:
        # looked up at each call, so that tests can replace it
        client_for = handler.default_client
    else:
        client = sqs_client

        def client_for(_url: str) -> SqsClient:
            return client

    limit = inspector._max_message_bytes
    sender = BatchSender(client_for, max_batch_bytes=limit)
    outbox = handler._Outbox(sender)
    pending: dict[str, list[OutMessage]] = outbox._pending
    send = outbox._send
    compiled = _compiled or _compile()
    envelope_of = compiled.envelope
    task_of = compiled.task
    writers = compiled.contents
    general = inspector._inspect
    func: Callable[..., object] = inspector.func
    takes_context = inspector._takes_context
    author = inspector.author
    types = inspector.types
    contexts = inspector.contexts
    # The filters as Inspector.accepts applies them, unless a subclass has its own.
    accepts = None if type(inspector).accepts is handler.Inspector.accepts else inspector.accepts
    getter = getattr(context, "get_remaining_time_in_millis", None)
    margin = inspector._deadline_margin_ms
    clock = perf_counter
    seen, strict = _strict_mode()

    # Per record: a tuple (index, message_id, report_id, the attribute's type, key and value,
    # findings, new attributes, duration) while all goes well, an outcome object otherwise
    # (``slow``: the general response then reads them all, so that failures are worded and
    # logged as there). The tuples hold strings and numbers only, which the garbage collector
    # stops tracking: in a large event it would otherwise walk every task attribute again
    # and again until the response. A record whose messages SQS then refuses is logged with
    # the attribute's type, key and value, all that its log line shows.
    done: list[Any] = []
    slow = False
    for index, raw in enumerate(records):
        # The common shapes: an SQS record whose body is an SNS notification holding a Task
        # (read in one pass), or a raw Task. Anything else: the general reader.
        task: Any = None  # the Task's fields, or the text of a raw body
        message_id: str | None = None
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
                        envelope = envelope_of(body)
                    except ValueError:
                        pass
                    else:
                        if "TopicArn" in envelope or "MessageId" in envelope:
                            task = envelope["Message"][0]
        if task is not None and getter is not None:  # asked for every record, as there
            value = getter()
            left = value if type(value) is int else (
                int(value) if isinstance(value, (int, float)) else None)
            if left is not None and left < margin and index > 0:
                result = _Result(index, message_id)
                result.error = DeliveryError(
                    f"record {index} was not started: {left} ms were left before the "
                    f"Lambda deadline (margin {margin} ms)")
                done.append(result)
                slow = True
                continue
        if type(task) is str:  # a raw body
            try:
                task = task_of(task)[0]
            except ValueError:  # the lenient reader decides, and words the error
                task = None
        attr = None if task is None else task["attribute"]
        if attr is None:  # unusual, or a null attribute: the general path, in its words
            outcome = general(_isolated(_sqs_record, index, raw, "sqs"), context, finding_url,
                              attribute_url)
            done.append(outcome)
            slow = True
            outbox.add(outcome)
            outcome.messages = []  # sent or queued: held no longer
            continue
        report_id: str = task["report_id"]
        duration: float | None = None
        messages: list[OutMessage] | None = None
        try:
            if accepts is None:
                if (types and attr.type not in types) or (contexts and not any(
                        c in contexts for c in attr.context or ())):
                    done.append((index, message_id, report_id, attr.type, attr.key,
                                 attr.value, 0, 0, None))
                    continue
            elif not accepts(attr):
                done.append((index, message_id, report_id, attr.type, attr.key, attr.value,
                             0, 0, None))
                continue
            started = clock() if timed else 0.0
            if takes_context:
                output = func(attr, InspectionContext(report_id, author, attr, context))
            else:
                output = func(attr)
            if timed:
                duration = (clock() - started) * 1000.0
            entry = writers.get(type(output))
            if warnings.filters != seen:  # the warning filters changed (the function did it)
                seen, strict = _strict_mode()
            written = None if entry is None else _finding(
                report_id, author, attr, entry, output, limit, strict)
            if written is not None:  # one content, the common case
                new_attributes = 0
                findings = 1
            else:
                messages, new_attributes = _messages(
                    index, report_id, author, attr, output, writers, limit, finding_url,
                    attribute_url, strict)
                findings = len(messages) - (1 if new_attributes else 0)
        except Exception as exc:  # one record's failure must not sink the batch
            result = _Result(index, message_id)
            result.report_id = report_id
            result.attribute = attr
            result.duration_ms = duration
            result.error = exc
            done.append(result)
            slow = True
            continue
        done.append((index, message_id, report_id, attr.type, attr.key, attr.value, findings,
                     new_attributes, duration))
        if messages is None:
            assert written is not None
            queued = pending.get(finding_url)
            if queued is None:
                queued = pending[finding_url] = []
            queued.append(_new_message(OutMessage, (finding_url, written[0], written[1], index)))
            if len(queued) >= 10:
                send(finding_url, final=False)
        else:
            for message in messages:
                queued = pending.get(message.queue_url)
                if queued is None:
                    queued = pending[message.queue_url] = []
                queued.append(message)
                if len(queued) >= 10:
                    send(message.queue_url, final=False)
    outbox.flush()
    if slow or outbox.failures:
        return inspector._respond("sqs", [_outcome(item) for item in done], outbox, sender)
    # Every record done and every message accepted: what the general response says then.
    _log = handler._log_module or handler._load_log()
    if _log.logger.isEnabledFor(_log.INFO):
        _log.log(_log.INFO, "inspection batch done", author=author, source="sqs",
                 records=len(done), failed=0, messages=outbox.sent, requests=sender.requests,
                 possible_duplicates=sender.possible_duplicates or None)
    if timed:
        _metrics.emit_inspection_counts(
            author, records=len(done), failed=0,
            durations_ms=[item[8] for item in done if item[8] is not None],
            findings=sum(item[6] for item in done), new_attributes=sum(item[7] for item in done))
    return {"batchItemFailures": []}


def _outcome(item: Any) -> _Outcome:
    """A record's entry in ``done`` as the outcome object the general response reads."""
    if type(item) is not tuple:
        return cast("_Outcome", item)
    index, message_id, report_id, kind, key, value, findings, new_attributes, duration = item
    result = _Result(index, message_id)
    result.report_id = report_id
    # What a failure's log line shows of the attribute (attribute_fields): no more is kept.
    from deepalert.models import Attribute

    result.attribute = Attribute.model_construct(type=kind, key=key, value=value)
    result.findings = findings
    result.new_attributes = new_attributes
    result.duration_ms = duration
    return cast("_Outcome", result)


_Strict = Union[bool, str]


def _strict_mode() -> tuple[list[Any], _Strict]:
    """The warning filters as they are now, and the ``warnings`` argument that makes the
    serializer refuse a value of the wrong type under them.

    ``warnings="error"`` does it anywhere, but pydantic-core parses that argument slowly (it
    tries a bool first, and builds an error before it takes the string): about 1 µs a call,
    a third of writing a finding. The default argument makes the serializer warn instead (a
    ``UserWarning`` attributed to this module); when the filters make that warning an error
    (this module's own filter, added on first use after the application's, or a filter
    before it that turns every such warning into an error), the default is as strict and
    cheaper. When a filter could decide otherwise (ignore it, print it, match other text or a
    line), or the check made on first use failed, ``"error"`` is used.
    """
    global _last_mode
    filters = warnings.filters
    last = _last_mode
    if last is not None and last[2] is _own_filter and filters == last[0]:
        return last[0], last[1]  # as at the last invocation
    strict: _Strict = "error"
    if _own_filter is not None:
        for item in filters:
            try:
                action, message, category, module, lineno = item
                if not issubclass(UserWarning, category):
                    continue
                if module is not None and not (
                        module == __name__ if isinstance(module, str)
                        else module.match(__name__)):
                    continue
            except Exception:  # not a filter of the usual shape: be strict
                break
            if action == "error" and not lineno and (message is None or item == _own_filter):
                strict = True
            break  # the first filter that can apply decides
    _last_mode = (list(filters), strict, _own_filter)
    return _last_mode[0], strict


_last_mode: tuple[list[Any], _Strict, Any] | None = None
"""The filters, the argument decided for them and the module's filter at the last call."""


_OWN_MESSAGE = "Pydantic serializer warnings"
"""How pydantic-core's serializer warnings start (checked on first use)."""
_own_filter: tuple[Any, ...] | None = None
"""This module's warning filter, once it is known to work; ``None`` before, or if not."""


def _add_own_filter() -> None:
    """Make the serializer's warnings raised from this module errors (after the filters the
    application has, which :func:`_strict_mode` reads first)."""
    module = re.escape(__name__) + r"\Z"
    warnings.filterwarnings("error", message=_OWN_MESSAGE, category=UserWarning,
                            module=module, append=True)


def _check_own_filter(to_json: Callable[..., bytes], attribute: Any, content: Any) -> None:
    """Enable the default argument only if, under this module's filter alone, the
    serializer really refuses a value of the wrong type (not if pydantic-core warns in
    another way or words its warning otherwise)."""
    global _own_filter
    with warnings.catch_warnings():
        warnings.resetwarnings()
        _add_own_filter()
        own = warnings.filters[0]
        try:
            to_json({"report_id": "", "author": "", "attribute": attribute, "type": "",
                     "content": content})
        except UserWarning:
            _own_filter = own
        except Exception:  # refused otherwise: the strict argument, always
            pass


_new_message = tuple.__new__
"""``OutMessage(...)`` without its Python ``__new__``."""
_late: Any = None


def _load_late() -> Any:
    """``deepalert.inspector._handler``, which imports this module (so not imported at the
    top), looked up once."""
    global _late
    from deepalert.inspector import _handler

    _late = _handler
    return _handler


def _messages(index: int, report_id: str, author: str, attr: Attribute, result: object,
              writers: dict[type[Any], _ContentEntry], limit: int, finding_url: str,
              attribute_url: str, strict: _Strict) -> tuple[list[OutMessage], int]:
    """The record's messages, and how many new attributes they report."""
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
            report_id, author, attr, entry, content, limit, strict)
        if written is None:  # anything unusual: the general writer, and its errors
            messages.append(OutMessage.of(finding_url, finding_body(
                report_id, author, attr, content, i, limit), index))
        else:
            messages.append(OutMessage(finding_url, written[0], written[1], index))
    if new_attributes:
        body = report_attribute_body(report_id, author, attr, new_attributes, limit)
        messages.append(OutMessage.of(attribute_url, body, index))
    return messages, len(new_attributes)


def _finding(report_id: str, author: str, attr: Attribute, entry: _ContentEntry,
             content: object, limit: int, strict: _Strict) -> tuple[str, int] | None:
    """The Finding for one content and its size, byte for byte as the general writer writes
    it, or ``None`` to leave it to the general writer (a value the strict writer refuses, a
    time the reader refuses, a message over the limit or with a character SQS refuses).

    ``strict``: the serializer's ``warnings`` argument that makes a value of the wrong type
    an error (see :func:`_strict_mode`).
    """
    kind, to_json, check, timed = entry
    try:
        written = to_json({"report_id": report_id, "author": author, "attribute": attr,
                           "type": kind, "content": content}, warnings=strict)
    except Exception:  # a lone surrogate, a value of the wrong type
        return None
    if any(timed(content)):
        try:  # the content read back as its struct, only where it can hold times
            check(written)
        except ValueError:
            return None
    if written.isascii():  # as go_escape, without U+2028/U+2029, which are not ASCII
        body = written.decode()
        if "<" in body or ">" in body or "&" in body:
            body = body.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        size = len(body)
        if size > limit:
            return None
        return body, size
    body = go_escape(written.decode())
    size = len(body.encode("utf-8"))
    if size > limit or "\ufffe" in body or "\uffff" in body:
        return None
    return body, size
