"""The inspector's fast path against the general path: byte-identical messages, responses, logs.

A property-based differential test (hypothesis, bounded): random SQS events of random tasks
(escapes, lone surrogates, non-canonical and case-folded keys, repeated keys, unknown keys,
deep nesting, times with offsets and precision, bad records among good ones, raw bodies and
SNS envelopes) and random inspector results (every content type, times, new attributes,
errors, values the writer refuses, messages over the limit) go through both paths; the
messages sent, the batch response (or the exception) and every log line must be identical.
"""

from __future__ import annotations

import io
import json
import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deepalert import (
    Attribute,
    ContentBinary,
    ContentHost,
    ContentUser,
    EntityActivity,
    EntityMalware,
    EntitySoftware,
    TaskResult,
)
from deepalert.inspector import InspectionContext, _fast, inspector
from deepalert.testing import MemorySink

FINDING = MemorySink.FINDING_QUEUE_URL
ATTRIBUTE = MemorySink.ATTRIBUTE_QUEUE_URL

# -- tasks ------------------------------------------------------------------------------------

_PLAIN = st.text(alphabet=st.sampled_from(
    ["a", "Z", "0", " ", "<", ">", "&", '"', "\\", "/", "\n", "\t", "\x00", "\x1f", "\x7f",
     "é", "日", "\u2028", "\u2029", "\ufffd", "\U0001f600"]), max_size=8)
# Lone surrogates: how Python holds bytes that were not UTF-8 (surrogateescape).
_SURROGATES = st.text(alphabet="a\udc80\ud800", min_size=1, max_size=3)


def _rarely(common: st.SearchStrategy[Any], rare: st.SearchStrategy[Any], one_in: int = 12
            ) -> st.SearchStrategy[Any]:
    """``rare`` about once in ``one_in`` draws (hypothesis leans to its first choices)."""
    return st.integers(0, one_in - 1).flatmap(lambda n: rare if n == one_in - 1 else common)


_TEXT = _rarely(_PLAIN, _SURROGATES)
_TIMES = st.sampled_from([
    "2026-01-02T03:04:05Z", "2026-01-02T03:04:05.123456789Z", "2026-01-02T03:04:05.1+09:00",
    "2026-01-02T03:04:05.120-07:30", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z",
    "2026-01-02t03:04:05z", "2026-01-02T03:04:05,5Z", "2026-13-02T03:04:05Z", "yesterday", "",
])


def _dump(value: Any, ascii_only: bool) -> str:
    return json.dumps(value, ensure_ascii=ascii_only)


@st.composite
def _key(draw: st.DrawFn, name: str) -> str:
    """A JSON key as Go matches it: exact, case-folded, or spelled with an escape."""
    variant = draw(st.sampled_from(["exact"] * 10 + ["upper", "escaped"]))
    if variant == "upper":
        return json.dumps(name.upper())
    if variant == "escaped":
        return '"\\u00' + f"{ord(name[0]):02x}" + name[1:] + '"'
    return json.dumps(name)


@st.composite
def _members(draw: st.DrawFn, fields: list[tuple[str, str]]) -> str:
    """An object's text from (name, value text) pairs, with repeats, unknown keys, spacing."""
    pairs = [(draw(_key(name)), value) for name, value in fields]
    if draw(st.booleans()):
        pairs = draw(st.permutations(pairs))
    if pairs and draw(st.integers(0, 9)) == 9:
        pairs.append(pairs[0])  # a repeated key: Go keeps the last
    if draw(st.integers(0, 9)) == 9:
        depth = draw(st.sampled_from([3, 199, 201, 260]))
        pairs.append(('"deep"', "[" * depth + "]" * depth))
    if draw(st.integers(0, 9)) == 9:
        pairs.append(('"unknown"', draw(st.sampled_from(['1e400', '-0', '{"a":null}', '"x"']))))
    space = draw(st.sampled_from(["", "", " ", "\n  "]))
    return "{" + space + ("," + space).join(f"{k}:{space}{v}" for k, v in pairs) + space + "}"


@st.composite
def _attribute(draw: st.DrawFn) -> str:
    ascii_only = draw(st.booleans())
    fields = [("type", _dump(draw(st.sampled_from(["ipaddr", "domain", "IPADDR", "x"])),
                             ascii_only)),
              ("key", _dump(draw(_TEXT), ascii_only)),
              ("value", _dump(draw(_TEXT), ascii_only))]
    context = draw(_rarely(st.sampled_from(['["remote"]', None, "null", "[]",
                                            '["b","a","remote"]']),
                           st.sampled_from(['"remote"', "[1]"])))
    if context is not None:
        fields.append(("context", context))
    stamp = draw(_rarely(st.one_of(_TIMES.map(json.dumps), st.none(), st.just("null")),
                         st.just("5")))
    if stamp is not None:
        fields.append(("timestamp", stamp))
    return draw(_members(fields))


@st.composite
def _task(draw: st.DrawFn) -> str:
    shape = draw(st.integers(0, 19))
    if shape == 19:  # (hypothesis leans to small values: the common case is 0)
        return draw(st.sampled_from(["null", "", "{", "[]", '{"report_id": 5}', "\udc80",
                                     '{"attribute": null}', '{"attribute": 5}']))
    fields = [("report_id", _dump(draw(_TEXT), draw(st.booleans()))),
              ("attribute", draw(_attribute()))]
    return draw(_members(fields))


@st.composite
def _clean_task(draw: st.DrawFn) -> str:
    """A task as the core writes it (exact keys, valid text), with any values and times."""
    attribute: dict[str, Any] = {"type": draw(st.sampled_from(["ipaddr", "domain"])),
                                 "key": draw(_PLAIN), "value": draw(_PLAIN),
                                 "context": draw(st.sampled_from([["remote"], None, [],
                                                                  ["b", "a"]]))}
    stamp = draw(st.one_of(st.none(), _TIMES))
    if stamp is not None:
        attribute["timestamp"] = stamp
    return json.dumps({"report_id": draw(_PLAIN), "attribute": attribute},
                      ensure_ascii=draw(st.booleans()), separators=(",", ":"))


@st.composite
def _record(draw: st.DrawFn, index: int) -> Any:
    task = draw(st.one_of(_clean_task(), _task()))
    shape = draw(st.integers(0, 29))
    message_id: Any = f"m-{index}"
    if shape == 28:
        message_id = draw(st.sampled_from([None, "", 5]))
    if shape == 29:
        return draw(st.sampled_from(["not a record", None, {"messageId": "x"},
                                     {"messageId": f"m-{index}", "body": 5}]))
    if shape >= 18:
        body = task  # a raw body
    else:
        envelope: dict[str, Any] = {"Type": "Notification", "MessageId": f"sns-{index}",
                                    "TopicArn": "arn:aws:sns:us-east-1:1:t", "Message": task}
        broken = draw(st.integers(0, 12))
        if broken == 1:
            envelope["Message"] = 5
        elif broken == 2:
            del envelope["MessageId"], envelope["TopicArn"]
        elif broken == 3:
            envelope["Type"] = "SubscriptionConfirmation"
        body = json.dumps(envelope, ensure_ascii=draw(st.booleans()),
                          indent=draw(st.sampled_from([None, None, 1])))
        if broken == 4:
            body = body + " x"  # not JSON any more
    record: dict[str, Any] = {"body": body, "eventSource": "aws:sqs"}
    if message_id is not None:
        record["messageId"] = message_id
    return record


_EVENTS = st.integers(1, 6).flatmap(
    lambda n: st.tuples(*[_record(i) for i in range(n)])).map(
        lambda records: {"Records": list(records)})

# -- what the inspector returns -----------------------------------------------------------


class _Host(ContentHost):
    """A subclass: the general writer writes it as a ContentHost."""

    note: str = ""


class _Text(str):
    """A str subclass, which the writer takes as a str."""


def _bad_list() -> ContentHost:
    host = ContentHost(country=["JP"])
    assert host.country is not None
    host.country.append(5)  # type: ignore[arg-type]  # in place: not validated
    return host


def _bad_time() -> ContentUser:
    return ContentUser(activities=[EntityActivity.model_construct(last_seen="soon")])


def _contents(text: str, time: str) -> dict[str, Any]:
    """Content factories by name: the common ones first, then what the writer must refuse."""
    return {
        "host": lambda: ContentHost(ipaddr=[text], country=["JP"], hostname=None),
        "host-empty": lambda: ContentHost(),
        "host-timed": lambda: ContentHost(os=[text], software=[
            EntitySoftware(name=text, last_seen=time)]),
        "user": lambda: ContentUser(activities=[EntityActivity(action=text, last_seen=time)]),
        "user-null": lambda: ContentUser(),
        "binary": lambda: ContentBinary(os=[text], related_malware=[
            EntityMalware(sha256=text, timestamp=time)]),
        "binary-empty": lambda: ContentBinary(software=[]),
        "subclass": lambda: _Host(country=[text], note="n"),
        "bad-list": _bad_list,
        "bad-time": _bad_time,
        "huge": lambda: ContentHost(hostname=["h" * 3000]),
        "forbidden": lambda: ContentHost(hostname=["\uffff"]),
        "surrogate": lambda: ContentHost(hostname=["a\udc80"]),
        "constructed-tuple": lambda: ContentHost.model_construct(country=("JP", text)),
        "constructed-text": lambda: ContentHost.model_construct(country="JP"),
        "constructed-number": lambda: ContentBinary.model_construct(os=[1.5]),
        "str-subclass": lambda: ContentHost(country=[_Text(text)]),
    }


@st.composite
def _result(draw: st.DrawFn) -> Any:
    text = draw(_TEXT)
    time = draw(_TIMES.filter(lambda t: t not in ("2026-13-02T03:04:05Z", "yesterday", "")))
    contents = _contents(text, time)
    kind = draw(st.sampled_from([
        "one", "list", "one", "list", "result", "none", "raise", "wrong", "wrong-item"]))
    names = draw(st.lists(st.sampled_from(list(contents)), min_size=1, max_size=3))
    new_count = draw(st.integers(0, 2))

    def build() -> Any:
        """A fresh return value on every call: each path gets its own objects."""
        if kind == "none":
            return None
        if kind == "raise":
            raise ValueError(f"lookup failed for {text!r}")
        if kind == "wrong":
            return 42
        items: list[Any] = [contents[name]() for name in names]
        if kind == "one":
            return items[0]
        new = [Attribute(type="domain", value=text),
               Attribute(type="ipaddr", value="192.0.2.9", timestamp=time)][:new_count]
        if kind == "result":
            return TaskResult(contents=items, new_attributes=new)
        if kind == "wrong-item":
            items.append(object())
        return [*items, *new]

    return build


# -- running both paths -------------------------------------------------------------------


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@contextmanager
def _captured() -> Iterator[_Capture]:
    logger = logging.getLogger("deepalert.inspector")
    handler = _Capture()
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


class _Context:
    function_name = "f"
    aws_request_id = "r"

    def __init__(self, left: int) -> None:
        self.left = left

    def get_remaining_time_in_millis(self) -> int:
        return self.left


@contextmanager
def _metrics(on: bool) -> Iterator[io.StringIO]:
    """EMF metrics switched on (or off) and standard output, where they go, captured."""
    before = os.environ.get("DEEPALERT_METRICS")
    os.environ["DEEPALERT_METRICS"] = "on" if on else "off"
    try:
        with redirect_stdout(io.StringIO()) as out:
            yield out
    finally:
        if before is None:
            del os.environ["DEEPALERT_METRICS"]
        else:
            os.environ["DEEPALERT_METRICS"] = before


def _emf(text: str) -> list[Any]:
    """The EMF documents, with what differs from run to run (the timestamp, each duration)
    replaced by what must not: how many durations there are."""
    docs = []
    for line in text.splitlines():
        doc = json.loads(line)
        doc["_aws"]["Timestamp"] = 0
        if "FunctionDuration" in doc:
            assert all(type(v) in (int, float) and v >= 0 for v in doc["FunctionDuration"])
            doc["FunctionDuration"] = len(doc["FunctionDuration"])
        docs.append(doc)
    return docs


def _run(fast: bool, event: dict[str, Any], results: list[Any], *, types: list[str],
         with_context: bool, left: int | None, metrics: bool = False,
         sink: MemorySink | None = None) -> tuple[Any, ...]:
    queue = iter(results)

    def produce(attr: Attribute) -> Any:
        build = next(queue, None)
        return None if build is None else build()

    if with_context:
        @inspector(author="diff<&>", types=types, max_message_bytes=2048)
        def inspect(attr: Attribute, ctx: InspectionContext) -> Any:
            assert ctx.attribute is attr
            return produce(attr)
    else:
        @inspector(author="diff<&>", types=types, max_message_bytes=2048)
        def inspect(attr: Attribute) -> Any:
            return produce(attr)

    sink = sink or MemorySink()
    context = None if left is None else _Context(left)
    _fast.ENABLED = fast
    try:
        with _captured() as logs, _metrics(metrics) as out:
            try:
                response: Any = inspect.invoke(event, context, sqs_client=sink,  # type: ignore[arg-type]
                                               finding_queue_url=FINDING,
                                               attribute_queue_url=ATTRIBUTE)
            except Exception as exc:
                response = (type(exc).__name__, str(exc))
    finally:
        _fast.ENABLED = True
    emf = _emf(out.getvalue())
    if metrics and not (type(response) is tuple and response[0] == "ConfigurationError"):
        assert len(emf) == 1  # what is compared below is really there
    return (response, sink.bodies(FINDING), sink.bodies(ATTRIBUTE), sink.requests, logs.lines,
            emf)


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(event=_EVENTS, results=st.lists(_result(), min_size=6, max_size=6),
       types=st.sampled_from([[], ["ipaddr"]]), with_context=st.booleans(),
       left=st.sampled_from([None, None, 900_000, 10]), metrics=st.booleans())
def test_fast_path_matches_general_path(event: dict[str, Any], results: list[Any],
                                        types: list[str], with_context: bool,
                                        left: int | None, metrics: bool) -> None:
    """Messages, batch response (or exception), log lines and EMF metrics are identical on
    both paths."""
    general = _run(False, event, results, types=types, with_context=with_context, left=left,
                   metrics=metrics)
    fast = _run(True, event, results, types=types, with_context=with_context, left=left,
                metrics=metrics)
    assert fast == general


def test_fast_path_is_taken_and_general_path_reachable(monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    """The differential test compares two different paths, not one path twice."""
    calls: list[str] = []
    original = _fast._finding

    def spy(*args: Any) -> Any:
        calls.append("fast")
        return original(*args)

    monkeypatch.setattr(_fast, "_finding", spy)
    event = {"Records": [{"messageId": "m", "body": json.dumps(
        {"report_id": "r", "attribute": {"type": "ipaddr", "value": "192.0.2.1"}})}]}
    host = lambda: ContentHost(country=["JP"])  # noqa: E731
    assert _run(True, event, [host], types=[], with_context=False, left=None)[1]
    assert calls == ["fast"]
    assert _run(False, event, [host], types=[], with_context=False, left=None)[1]
    assert calls == ["fast"]


def test_fast_path_finding_is_the_typed_findings_bytes() -> None:
    """A finding of each content type, times included, as the general writer writes it."""
    event = {"Records": [{"messageId": f"m{i}", "body": json.dumps(
        {"report_id": "r<1>", "attribute": {"type": "ipaddr", "value": "192.0.2.1",
                                            "context": ["b", "a"],
                                            "timestamp": "2026-01-02T03:04:05.1+09:00"}})}
        for i in range(3)]}
    results = [lambda: ContentHost(country=["JP&"]),
               lambda: ContentUser(activities=[EntityActivity(last_seen="2026-01-02T03:04:05Z")]),
               lambda: ContentBinary(os=["\u2028"])]
    general = _run(False, event, results, types=[], with_context=False, left=None)
    fast = _run(True, event, results, types=[], with_context=False, left=None)
    assert fast == general
    assert len(fast[1]) == 3
    assert '"country":["JP\\u0026"]' in fast[1][0]


_TASK_TEXT = json.dumps({"report_id": "r", "attribute": {
    "type": "ipaddr", "key": "k", "value": "192.0.2.1", "timestamp": "2026-01-02T03:04:05Z"}})


@pytest.mark.parametrize("name", list(_contents("x<", "2026-01-02T03:04:05.5+09:00")))
def test_each_content_reads_the_same_on_both_paths(name: str) -> None:
    """Every content, the ones the writer must refuse included, alone and after a good one."""
    build = _contents("x<", "2026-01-02T03:04:05.5+09:00")[name]
    good = _contents("y", "2026-01-02T03:04:05Z")["user"]
    event = {"Records": [{"messageId": f"m{i}", "body": _TASK_TEXT} for i in range(2)]}
    results = [build, lambda: [good(), build()]]
    general = _run(False, event, results, types=[], with_context=False, left=None)
    fast = _run(True, event, results, types=[], with_context=False, left=None)
    assert fast == general


def test_attribute_changed_in_place_reads_the_same_on_both_paths() -> None:
    """An inspector that puts a wrong value into the task attribute's list in place."""
    def spoil() -> ContentHost:
        return ContentHost(country=["JP"])

    event = {"Records": [{"messageId": "m", "body": json.dumps({"report_id": "r", "attribute": {
        "type": "ipaddr", "value": "192.0.2.1", "context": ["remote"]}})}]}

    def run(fast: bool) -> tuple[Any, ...]:
        @inspector(author="a")
        def inspect(attr: Attribute) -> ContentHost:
            assert attr.context is not None
            attr.context.append(5)  # type: ignore[arg-type]
            return spoil()

        sink = MemorySink()
        _fast.ENABLED = fast
        try:
            response = inspect.invoke(event, None, sqs_client=sink, finding_queue_url=FINDING,
                                      attribute_queue_url=ATTRIBUTE)
        finally:
            _fast.ENABLED = True
        return response, sink.bodies()

    general = run(False)
    assert general[0] == {"batchItemFailures": [{"itemIdentifier": "m"}]}
    assert run(True) == general


def test_common_records_never_reach_the_general_reader(monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    """SNS-in-SQS and raw Task records are read by the fast path itself; a bad record among
    them, and only that one, goes to the general path."""
    from deepalert import Task
    from deepalert.inspector import Inspector
    from deepalert.testing import sqs_event, sqs_sns_event

    general: list[int] = []
    original = Inspector._inspect

    def spy(self: Any, record: Any, *args: Any) -> Any:
        general.append(record.index)
        return original(self, record, *args)

    monkeypatch.setattr(Inspector, "_inspect", spy)

    @inspector(author="a")
    def find(attr: Attribute) -> ContentHost:
        return ContentHost(country=["JP"])

    task = Task(report_id="r", attribute=Attribute(type="ipaddr", value="192.0.2.1",
                                                   timestamp="2026-01-02T03:04:05Z"))
    sink = MemorySink()
    for event in (sqs_sns_event(task, task), sqs_event(task, task)):
        assert find.invoke(event, None, sqs_client=sink, finding_queue_url=FINDING,
                           attribute_queue_url=ATTRIBUTE) == {"batchItemFailures": []}
    assert general == []
    event = sqs_sns_event(task, "not a task", task)
    response = find.invoke(event, None, sqs_client=sink, finding_queue_url=FINDING,
                           attribute_queue_url=ATTRIBUTE)
    assert response == {"batchItemFailures": [
        {"itemIdentifier": event["Records"][1]["messageId"]}]}
    assert general == [1]
    assert len(sink.bodies(FINDING)) == 6


def _clean_event(n: int) -> dict[str, Any]:
    return {"Records": [{"messageId": f"m{i}", "eventSource": "aws:sqs", "body": json.dumps({
        "Type": "Notification", "MessageId": f"sns-{i}", "TopicArn": "arn:aws:sns:us-east-1:1:t",
        "Message": json.dumps({"report_id": f"r{i}", "attribute": {
            "type": "ipaddr", "key": "src", "value": f"192.0.2.{i}", "context": ["remote"],
            "timestamp": "2026-01-02T03:04:05.123456789Z"}})})} for i in range(n)]}


@pytest.mark.parametrize("metrics", [True, False], ids=["metrics on", "metrics off"])
def test_a_clean_event_reads_the_same_on_both_paths(metrics: bool) -> None:
    """Events where every record succeeds (the fast path's own response): messages, response,
    logs and metrics as the general path's; the metrics count every record and finding."""
    host = lambda: ContentHost(country=["JP"])  # noqa: E731
    users = lambda: [ContentUser(activities=[  # noqa: E731
        EntityActivity(action="login", last_seen="2026-01-02T03:04:05Z")]),
        ContentHost(country=["JP"]), Attribute(type="domain", value="a.example")]
    event = _clean_event(25)
    results = [host] * 12 + [users] + [host] * 12
    general = _run(False, event, results, types=[], with_context=False, left=900_000,
                   metrics=metrics)
    fast = _run(True, event, results, types=[], with_context=False, left=900_000,
                metrics=metrics)
    assert fast == general
    assert fast[0] == {"batchItemFailures": []}
    assert len(fast[1]) == 26
    assert len(fast[2]) == 1
    if metrics:
        [doc] = fast[5]
        assert (doc["Records"], doc["FailedRecords"], doc["Findings"], doc["NewAttributes"],
                doc["FunctionDuration"]) == (25, 0, 26, 1, 25)
    else:
        assert fast[5] == []


_SINK_FAILURES: dict[str, Any] = {
    "entries refused": lambda sink: sink.fail_next(3, code="InvalidMessageContents",
                                                   sender_fault=True),
    "attribute queue refused": lambda sink: sink.fail_next(
        1, code="AccessDenied", sender_fault=True, queue_url=ATTRIBUTE),
    "one body refused": lambda sink: sink.fail_when(
        lambda url, body: '"r7"' in body, code="InvalidMessageContents", sender_fault=True),
}


@pytest.mark.parametrize("metrics", [True, False], ids=["metrics on", "metrics off"])
@pytest.mark.parametrize("failure", list(_SINK_FAILURES))
def test_messages_sqs_refuses_read_the_same_on_both_paths(failure: str, metrics: bool) -> None:
    """Records whose messages SQS did not accept fail, are logged and counted as on the
    general path, though every record itself succeeded."""
    host = lambda: ContentHost(country=["JP"])  # noqa: E731
    new = lambda: [ContentHost(country=["JP"]), Attribute(type="domain", value="a.example")]  # noqa: E731
    event = _clean_event(12)
    results = [host] * 4 + [new] + [host] * 7
    runs = []
    for fast in (False, True):
        sink = MemorySink()
        _SINK_FAILURES[failure](sink)
        runs.append(_run(fast, event, results, types=[], with_context=False, left=None,
                         metrics=metrics, sink=sink))
    general, fast_run = runs
    assert fast_run == general
    assert fast_run[0]["batchItemFailures"]  # the failure really happened
    if metrics:
        assert fast_run[5][0]["FailedRecords"] == len(fast_run[0]["batchItemFailures"])


@pytest.mark.parametrize("text", [
    _TASK_TEXT, '{"report_id": "r"}', '{"attribute": null}', '{"report_id": "r", "x": 1}',
    '{"report_id": 5}', '{"attribute": {"type": "ipaddr", "timestamp": "yesterday"}}'])
def test_task_fields_read_as_the_task_model_reads_them(text: str) -> None:
    """The fields-only reader, and its fallback for a schema of another shape, accept and
    refuse what Task's own validator does, with the same values."""
    from pydantic_core import SchemaValidator, ValidationError, core_schema

    from deepalert import Task

    Task.model_rebuild()
    schema = Task.__pydantic_core_schema__
    wrapped = core_schema.chain_schema([core_schema.any_schema(), schema])  # not a model
    readers = [SchemaValidator(_fast._fields_schema(s)).validate_json for s in (schema, wrapped)]
    try:
        task = Task.__pydantic_validator__.validate_json(text)
    except ValidationError:
        for read in readers:
            with pytest.raises(ValidationError):
                read(text)
        return
    for read in readers:
        fields = read(text)[0]
        assert fields == {"report_id": task.report_id, "attribute": task.attribute}


# -- the writer's strictness under the warning filters ---------------------------------------


@contextmanager
def _filters(state: str) -> Iterator[None]:
    """Warning filters as an application may have them, restored after."""
    _fast._compile()  # the module's filter checked
    with warnings.catch_warnings():
        if state != "pytest":  # pytest's own: every warning an error
            warnings.resetwarnings()
            if state != "none":
                _fast._add_own_filter()
        if state == "ignored":  # an application that ignores UserWarnings, before ours
            warnings.simplefilter("ignore", UserWarning)
        yield


@pytest.mark.parametrize(("state", "expected"), [
    ("pytest", True), ("own", True), ("none", "error"), ("ignored", "error")])
def test_strict_mode_follows_the_warning_filters(state: str, expected: Any) -> None:
    """The writer's cheap default mode only where the filters make its warning an error."""
    with _filters(state):
        assert _fast._strict_mode()[1] == expected


@pytest.mark.parametrize("add", [
    lambda: warnings.filterwarnings("default", message="Pydantic", category=UserWarning),
    lambda: warnings.filterwarnings("ignore", category=UserWarning, lineno=7),
    lambda: warnings.filterwarnings("once", module=r"deepalert\..*"),
    lambda: warnings.filters.insert(0, "not a filter"),  # type: ignore[arg-type]
], ids=["by text", "by line", "another action", "malformed"])
def test_a_filter_that_may_decide_otherwise_keeps_the_strict_argument(add: Any) -> None:
    with _filters("own"):
        add()
        assert _fast._strict_mode()[1] == "error"


@pytest.mark.parametrize("add", [
    lambda: warnings.filterwarnings("ignore", category=DeprecationWarning),
    lambda: warnings.filterwarnings("ignore", module="somewhere_else"),
    lambda: warnings.filterwarnings("error", category=UserWarning),
], ids=["another category", "another module", "an error filter"])
def test_a_filter_that_cannot_decide_otherwise_keeps_the_cheap_argument(add: Any) -> None:
    with _filters("own"):
        add()
        assert _fast._strict_mode()[1] is True


@pytest.mark.parametrize("state", ["pytest", "own", "none", "ignored"])
@pytest.mark.parametrize("name", list(_contents("x<", "2026-01-02T03:04:05.5+09:00")))
def test_contents_read_the_same_under_any_warning_filters(
        name: str, state: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whichever argument the writer gets, what it must refuse is refused as on the general
    path (the filters only decide how cheaply)."""
    modes: list[Any] = []
    original = _fast._finding

    def spy(*args: Any) -> Any:
        modes.append(args[-1])
        return original(*args)

    monkeypatch.setattr(_fast, "_finding", spy)
    build = _contents("x<", "2026-01-02T03:04:05.5+09:00")[name]
    good = _contents("y", "2026-01-02T03:04:05Z")["host"]
    event = {"Records": [{"messageId": f"m{i}", "body": _TASK_TEXT} for i in range(3)]}
    results = [build, lambda: [good(), build()], good]
    with _filters(state):
        general = _run(False, event, results, types=[], with_context=False, left=None)
    with _filters(state):
        fast = _run(True, event, results, types=[], with_context=False, left=None)
    assert fast == general
    assert modes
    assert set(modes) == {True if state in ("pytest", "own") else "error"}


def test_filters_the_function_changes_are_read_before_the_next_finding() -> None:
    """An inspector that ignores warnings from its first call on: the findings after it
    are written strictly, and a wrong value is still refused as on the general path."""
    def ignoring() -> Any:
        warnings.simplefilter("ignore")
        return ContentHost(country=["JP"])

    results = [ignoring, _bad_list, _bad_list, lambda: [ContentHost(), _bad_list()]]
    event = {"Records": [{"messageId": f"m{i}", "body": _TASK_TEXT} for i in range(4)]}
    with _filters("own"):
        general = _run(False, event, results, types=[], with_context=False, left=None)
    with _filters("own"):
        fast = _run(True, event, results, types=[], with_context=False, left=None)
    assert fast == general
    assert len(general[0]["batchItemFailures"]) == 3


def test_without_a_working_filter_the_strict_argument_is_always_used(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """If the check on first use found that the serializer does not refuse under the
    module's filter (pydantic-core warning otherwise), the cheap argument is never used."""
    _fast._compile()
    monkeypatch.setattr(_fast, "_own_filter", None)
    for state in ("pytest", "own"):
        with _filters(state):
            assert _fast._strict_mode()[1] == "error"


def test_the_check_on_first_use_needs_a_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    """The module's filter is enabled only when a wrong value really raised under it."""
    compiled = _fast._compile()
    entry = compiled.contents[ContentHost]
    monkeypatch.setattr(_fast, "_own_filter", None)
    _fast._check_own_filter(entry[1], Attribute(), ContentHost(country=["JP"]))  # nothing wrong
    assert _fast._own_filter is None
    _fast._check_own_filter(entry[1], Attribute(), ContentHost.model_construct(country=[0]))
    assert _fast._own_filter is not None
    assert _fast._own_filter[0] == "error"
