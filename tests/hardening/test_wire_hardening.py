"""Issue 10, part 1: one regression test (or more) per class of defect in the readers/writers.

Each test here failed before the fix: deep nesting raised RecursionError or sank a batch,
results Go cannot read left the SDK, Go's corner cases were decoded otherwise, and a resent
batch's possible duplicates went unnoticed.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deepalert import (
    Alert,
    Attribute,
    ContentHost,
    Finding,
    Report,
    ReportResult,
    Severity,
    Task,
    WireError,
    _wire,
)
from deepalert._lambda import unpack_event
from deepalert._lambda._sqs import BatchSender, OutMessage
from deepalert.emitter import emitter
from deepalert.inspector import inspector
from deepalert.models import _decode_go, peek_report
from deepalert.reviewer import reviewer
from deepalert.testing import MemorySink, message_ids, sqs_event, sqs_sns_event

FINDING = MemorySink.FINDING_QUEUE_URL
ATTRIBUTE = MemorySink.ATTRIBUTE_QUEUE_URL


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def report_text(body: str, *, status: str = "published") -> str:
    """A report exactly as the Go core writes it, with one alert carrying ``body``."""
    return ('{"id":"r1","alerts":[{"detector":"d","rule_name":"","rule_id":"r","alert_key":"",'
            '"description":"","timestamp":"0001-01-01T00:00:00Z","attributes":null,"body":'
            + body + '}],"attributes":null,"sections":null,"result":{"severity":"",'
            '"reason":""},"status":"' + status + '","created_at":"0001-01-01T00:00:00Z"}')


# ---------------------------------------------------------------------------------------------
# 1. Deep nesting: anything Go reads is read; deeper fails its own record with a named error


def test_a_report_at_gos_nesting_limit_reads_and_writes_back_byte_exact() -> None:
    """10,000 levels in all (the report, its alerts, an alert, then the body) read and write
    back byte for byte, from text and from bytes."""
    text = report_text(nested(_wire.MAX_DEPTH - 3))
    report = Report.from_json(text)
    assert report.to_json() == text
    assert Report.from_json(text.encode()).to_bytes() == text.encode()


def test_one_level_beyond_gos_limit_is_a_wire_error_naming_the_limit() -> None:
    """10,001 levels: Go's decoder refuses it, and so does the SDK, with a WireError."""
    with pytest.raises(WireError, match="10000"):
        Report.from_json(report_text(nested(_wire.MAX_DEPTH - 2)))


def test_deep_values_built_in_python_are_checked_and_written_without_recursion() -> None:
    """A body built in Python (or read from a decoded event) is normalized and written without
    recursion; one nested beyond Go's limit is refused naming the field."""
    value: Any = []
    for _ in range(3000):
        value = [value, 1.5e-6]
    alert = Alert(detector="d", rule_id="r", body={"deep": value})
    again = Alert.from_json(alert.to_json())
    assert again.to_json() == alert.to_json()
    assert '"deep":[[[' in alert.to_json()
    assert "0.0000015" in alert.to_json()
    alert.validate_limits()  # the body size is computed as Go writes it, no recursion
    too_deep: Any = []
    for _ in range(_wire.MAX_DEPTH):
        too_deep = [too_deep]
    with pytest.raises(ValueError, match=r"body.*10000 levels"):
        Alert(detector="d", rule_id="r", body=too_deep)


def test_from_dict_reads_a_deep_decoded_report() -> None:
    """A report already decoded from JSON (a Lambda event) 600 levels deep is read."""
    report = Report.from_dict(json.loads(report_text(nested(600))))
    assert report.alerts is not None
    assert report.alerts[0].body is not None


def test_the_reviewer_reviews_a_600_deep_report_and_publishes_a_too_deep_one() -> None:
    """The reviewer reads a 600-deep report; one beyond Go's limit is published unclassified
    (on_error applies to reading too) and with on_error="raise" fails with WireError."""
    calls: list[str] = []

    @reviewer
    def review(report: Report) -> ReportResult:
        calls.append(report.id)
        return ReportResult.of(Severity.URGENT, "deep")

    assert review(json.loads(report_text(nested(600)))) == {"severity": "urgent",
                                                            "reason": "deep"}
    assert calls == ["r1"]

    strict = reviewer(on_error="raise")(lambda report: None)
    deep: Any = []
    for _ in range(_wire.MAX_DEPTH):
        deep = [deep]
    event = {"id": "r2", "alerts": [{"detector": "d", "body": deep}]}
    assert review(event)["severity"] == "unclassified"
    with pytest.raises(WireError, match="10000"):
        strict(event)


def test_the_emitter_reads_deep_reports_and_fails_only_the_unreadable_record() -> None:
    """600 and 3,000 levels are emitted; 10,001 levels fail only their own record."""
    seen: list[str] = []

    @emitter
    def emit(report: Report) -> None:
        seen.append(report.alerts[0].detector if report.alerts else "")

    good = report_text(nested(600))
    deeper = report_text(nested(3000))
    too_deep = report_text(nested(_wire.MAX_DEPTH - 2))
    event = sqs_sns_event(good, too_deep, deeper)
    assert emit(event) == {"batchItemFailures": [{"itemIdentifier": message_ids(event)[1]}]}
    assert seen == ["d", "d"]


def test_the_inspector_isolates_a_deep_notification_body(sink: MemorySink) -> None:
    """A raw SQS body mentioning "Notification" 3,000 levels deep, and one beyond Go's limit,
    fail only their own records; the good task in the same batch is inspected."""
    @inspector(author="a")
    def look(attr: Attribute) -> ContentHost:
        return ContentHost(ipaddr=[attr.value])

    task = Task(report_id="r", attribute=Attribute(type="ipaddr", value="192.0.2.1"))
    deep_notification = '{"Type":"Notification","MessageId":"m","Message":' + nested(3000) + "}"
    too_deep = '{"Type":"Notification","x":' + nested(_wire.MAX_DEPTH + 1) + "}"
    event = sqs_event(deep_notification, task, too_deep)
    response = look.invoke(event, sqs_client=sink, finding_queue_url=FINDING,
                           attribute_queue_url=ATTRIBUTE)
    ids = message_ids(event)
    assert response == {"batchItemFailures": [{"itemIdentifier": ids[0]},
                                               {"itemIdentifier": ids[2]}]}
    assert [f.attribute.value for f in sink.findings()] == ["192.0.2.1"]


def test_a_direct_event_too_deep_for_python_is_one_failed_record() -> None:
    """A direct invoke that json.dumps cannot write (too deep for Python) is still unpacked."""
    deep: Any = []
    for _ in range(5000):
        deep = [deep]
    unpacked = unpack_event({"report_id": "r", "x": deep}, payload="Task")
    (record,) = unpacked.records
    assert record.payload is not None
    assert record.payload.startswith('{"report_id":"r"')


@pytest.fixture
def sink() -> MemorySink:
    return MemorySink()


# ---------------------------------------------------------------------------------------------
# 2. What leaves the SDK is checked against the wire types


def test_assigning_a_non_string_reason_is_refused_at_the_assignment() -> None:
    result = ReportResult.of(Severity.URGENT, "ok")
    with pytest.raises(ValueError, match="reason"):
        result.reason = 5  # type: ignore[assignment]


@pytest.mark.parametrize(("message", "field"), [
    (ReportResult.model_construct(severity="urgent", reason=5), "reason"),
    (Report(result=ReportResult.model_construct(severity=["urgent"], reason="")),
     "result.severity"),
    (Finding.model_construct(report_id="r", author=3, attribute=Attribute(), type="host",
                             content=None), "author"),
])
def test_a_message_go_cannot_read_is_not_written(message: Any, field: str) -> None:
    """A model built without validation is checked as it is written; the error names the
    field and does not echo the value."""
    with pytest.raises(WireError, match=field) as caught:
        message.to_json()
    assert "urgent" not in str(caught.value).split(":", 1)[0]


def test_a_list_changed_in_place_is_checked_when_written() -> None:
    alert = Alert(detector="d", rule_id="r", attributes=[Attribute(context=["remote"])])
    assert alert.attributes is not None
    assert alert.attributes[0].context is not None
    alert.attributes[0].context.append(3)  # type: ignore[arg-type]
    with pytest.raises(WireError, match=r"attributes\[0\]\.context\[1\]"):
        alert.to_json()


def test_a_reviewer_result_go_cannot_read_never_reaches_the_core(
        caplog: pytest.LogCaptureFixture) -> None:
    """A ReportResult whose reason is not a string is refused inside on_error: the report
    is published unclassified instead of being dropped by the core."""
    @reviewer
    def review(report: Report) -> ReportResult:
        return ReportResult.model_construct(severity="urgent", reason=5)

    with caplog.at_level(logging.ERROR, logger="deepalert.reviewer"):
        result = review({"id": "r"})
    assert result is not None
    assert result["severity"] == "unclassified"
    assert "InvalidResultError" in result["reason"]


# ---------------------------------------------------------------------------------------------
# 3. Go's decoding in the corners


def test_a_repeated_struct_key_merges_as_go_does() -> None:
    """The later object overwrites the fields it names; the others keep the earlier values."""
    text = ('{"id":"r","status":"new","result":{"severity":"urgent","reason":"a"},'
            '"result":{"reason":"b"},"status":"published"}')
    report = _decode_go(Report, text.replace(',"status":"published"', ',"Status":"published"'))
    assert (report.result.severity, report.result.reason, report.status) == (
        "urgent", "b", "published")


def test_a_repeated_struct_slice_merges_element_by_element() -> None:
    """Go decodes a repeated array into the slice it already filled."""
    text = ('{"detector":"d","rule_id":"r","attributes":[{"type":"ipaddr","key":"k"},'
            '{"type":"domain"}],"attributes":[{"value":"v"}]}')
    alert = _decode_go(Alert, text)
    assert alert.attributes == [Attribute(type="ipaddr", key="k", value="v")]


def test_null_for_a_time_keeps_the_earlier_value() -> None:
    """time.Time ignores JSON null, so a repeated key with null keeps the first time."""
    alert = _decode_go(Alert, '{"detector":"d","timestamp":"2020-01-01T00:00:00Z",'
                              '"timestamp":null}')
    assert alert.timestamp == "2020-01-01T00:00:00Z"


@pytest.mark.parametrize("number", ["1e400", "-1e400", "1" * 5000, "1" * 400 + ".5e10"])
def test_numbers_go_only_scans_do_not_fail_a_record(number: str) -> None:
    """Numbers float64 cannot hold, in keys Go ignores, are skipped as Go skips them."""
    report = Report.from_json('{"id":"r","status":"new","extra":' + number + ',"x":['
                              + number + "]}")
    assert (report.id, report.status) == ("r", "new")


@pytest.mark.parametrize("number", ["1e400", "1" * 400, "1" * 5000])
def test_numbers_out_of_float64_range_in_interface_fields_fail_as_go_fails(number: str) -> None:
    """In an interface{} field Go converts to float64 and fails; so does the SDK, naming
    the field (never OverflowError or Python's digit limit)."""
    with pytest.raises(WireError, match="body"):
        Alert.from_json('{"detector":"d","body":{"n":' + number + "}}")
    with pytest.raises(WireError, match="body"):  # even where a later key replaces it
        _decode_go(Alert, '{"detector":"d","body":{"n":' + number + ',"n":1}}')


@pytest.mark.parametrize("text", [
    report_text("1").replace('"status":"published"', '"status":"new","Status":"published"'),
    report_text("1").replace('"status":"published"', '"status":"new","\u017ftatus":"published"'),
    report_text("1").replace('"result":{', '"result":{"severity":"urgent"},"result":{'),
    report_text("1").replace('"severity":""', '"SEVERITY":"urgent"'),
    report_text("1").replace('"status":"published"', '"st\\u0061tus":"published"'),
])
def test_peek_never_reads_what_the_full_read_does_not(text: str) -> None:
    """Case-folded, repeated or escaped keys: the peek gives way to the full read."""
    head = peek_report(text)
    full = Report.from_json(text)
    if head is not None:
        assert (head.status, head.result.severity) == (full.status, full.result.severity)


_keys = st.sampled_from(["status", "Status", "STATUS", "\u017ftatus", "result", "Result",
                         "severity", "SEVERITY", "id", "alerts", "reason"])
_values = st.sampled_from(['"new"', '"published"', '"urgent"', '""', "null", "1", "[]",
                           '{"severity":"urgent"}', '{"reason":"x"}', '{"SEVERITY":"safe"}'])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_keys, _values), max_size=6))
def test_peek_agrees_with_the_full_read_on_any_key_mix(pairs: list[tuple[str, str]]) -> None:
    """For reports mixing repeated, case-folded keys and odd values, the peek (when it
    answers) says what the full read says, and the fast and lenient readers agree."""
    text = "{" + ",".join(f'"{k}":{v}' for k, v in pairs) + "}"
    try:
        full = Report.from_json(text)
    except WireError:
        with pytest.raises(WireError):
            _decode_go(Report, text)
        return
    head = peek_report(text)
    if head is not None:
        assert (head.id, head.status, head.result.severity) == (
            full.id, full.status, full.result.severity)
    if len({k for k, _ in pairs}) == len(pairs):
        # An exact key repeated is read by the fast reader as pydantic-core reads it (the
        # last wins), not merged: see docs/wire.md, "Repeated keys".
        assert full.to_json() == _decode_go(Report, text).to_json()


# ---------------------------------------------------------------------------------------------
# 4. A batch resent after a timeout: no loss, possible duplicates counted


class ReadTimeoutError(Exception):
    """Named as botocore names it: the request was sent, the response did not come."""


class EndpointConnectionError(Exception):
    """Named as botocore names it: nothing was sent."""


class AcceptThenTimeOut:
    """Stores the first request, then raises as if the response had been lost."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.stored: list[str] = []
        self.calls = 0

    def send_message_batch(self, *, QueueUrl: str, Entries: list[dict[str, Any]]
                           ) -> dict[str, Any]:
        self.calls += 1
        if self.calls == 1:
            if isinstance(self.error, ReadTimeoutError):
                self.stored.extend(e["MessageBody"] for e in Entries)
            raise self.error
        self.stored.extend(e["MessageBody"] for e in Entries)
        return {"Successful": [{"Id": e["Id"]} for e in Entries], "Failed": []}


def test_a_timed_out_batch_is_resent_and_its_possible_duplicates_counted() -> None:
    """Nothing is lost; the sender knows which messages may be doubled, and says so."""
    client = AcceptThenTimeOut(ReadTimeoutError("read timeout"))
    sender = BatchSender(lambda url: client, sleep=lambda s: None)
    messages = [OutMessage.of(FINDING, f'{{"n":{i}}}', i) for i in range(12)]
    assert sender.send(messages) == []
    assert sorted(set(client.stored)) == sorted(m.body for m in messages)
    assert sender.possible_duplicates == 10  # the first batch of 10
    assert len(client.stored) == 22


def test_a_batch_that_was_never_sent_is_resent_without_duplicates() -> None:
    client = AcceptThenTimeOut(EndpointConnectionError("no route"))
    sender = BatchSender(lambda url: client, sleep=lambda s: None)
    messages = [OutMessage.of(FINDING, f'{{"n":{i}}}', i) for i in range(12)]
    assert sender.send(messages) == []
    assert sender.possible_duplicates == 0
    assert sorted(client.stored) == sorted(m.body for m in messages)


class _Exploding(dict[str, Any]):
    """A record whose body cannot even be looked at."""

    def get(self, key: str, default: Any = None) -> Any:
        if key == "body":
            raise RuntimeError("unreadable")
        return super().get(key, default)


def test_a_record_that_cannot_be_unwrapped_fails_alone() -> None:
    """Whatever goes wrong while unwrapping one record fails that record, named by its ID."""
    good = {"messageId": "m1", "body": '{"report_id":"r"}', "eventSource": "aws:sqs"}
    bad = _Exploding(messageId="m2", body="x", eventSource="aws:sqs")
    unpacked = unpack_event({"Records": [good, bad]}, payload="Task")
    first, second = unpacked.records
    assert first.payload == '{"report_id":"r"}'
    assert (second.message_id, second.payload) == ("m2", None)
    assert second.error is not None
    assert "RuntimeError" in second.error


class _Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no text")


def test_an_error_without_text_fails_its_record_only(sink: MemorySink) -> None:
    """An inspector exception whose text cannot be made still fails only its own record."""
    @inspector(author="odd")
    def look(attr: Attribute) -> ContentHost:
        if attr.value == "bad":
            raise _Unprintable
        return ContentHost(ipaddr=[attr.value])

    tasks = [Task(report_id="r", attribute=Attribute(type="ipaddr", value=v))
             for v in ("192.0.2.1", "bad", "192.0.2.3")]
    event = sqs_sns_event(*tasks)
    response = look.invoke(event, sqs_client=sink, finding_queue_url=FINDING,
                           attribute_queue_url=ATTRIBUTE)
    assert response == {"batchItemFailures": [{"itemIdentifier": message_ids(event)[1]}]}
    assert [f.attribute.value for f in sink.findings()] == ["192.0.2.1", "192.0.2.3"]


_json_texts = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=8)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=3),
    max_leaves=12)
_json_texts = st.tuples(_json_texts, st.sampled_from([None, 1])).map(
    lambda vi: json.dumps(vi[0], indent=vi[1]))  # compact, and with JSON whitespace
_raw_texts = st.sampled_from(['', ' ', '[1,]', '{"a":1,}', '{,}', '01', '1.', '-', 'NaN',
                              '[1 2]', '{"a" 1}', '"\\ud800"', '"a\x01"', '[1e400, "x"]',
                              ' {"a" : [ -0 , 1E+2 , "\\u00e9" ] } ', '{"a":1,"a":2}',
                              '"\\uD834\\uDD1E"', "[" + "1" * 500 + "]", 'tru', 'nul'])


@settings(max_examples=200, deadline=None)
@given(st.one_of(_json_texts, _raw_texts), st.booleans())
def test_the_loop_reader_reads_exactly_what_the_standard_one_reads(text: str,
                                                                     pairs: bool) -> None:
    """The reader used beyond Python's recursion limit gives what the json-based reader
    gives below it: the same values (OutOfRange markers compared by text) or a ValueError."""
    surrogates = "\\ud" in text or "\\uD" in text

    def plain(value: Any) -> Any:
        if isinstance(value, _wire.OutOfRange):
            return ("out of range", value.text)
        if isinstance(value, float) and value == 0:
            return ("zero", str(value))
        if isinstance(value, list):
            return [type(value).__name__, [plain(v) for v in value]]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, tuple):
            return tuple(plain(v) for v in value)
        return value

    try:
        expected = _wire.go_loads(text, pairs=pairs)
    except ValueError:
        with pytest.raises(ValueError, match=r"\S"):  # any message: the texts differ
            _wire._loads_deep(text, pairs=pairs, surrogates=surrogates)
        return
    assert plain(_wire._loads_deep(text, pairs=pairs, surrogates=surrogates)) == plain(expected)


class ClientError(Exception):
    """Shaped as botocore's: the service answered with an error."""

    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.response = {"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}


@pytest.mark.parametrize(("error", "unknown"), [
    (ClientError(400, "AWS.SimpleQueueService.NonExistentQueue"), False),
    (ClientError(400, "ThrottlingException"), False),
    (ClientError(500, "InternalError"), True),
    (ReadTimeoutError("read timeout"), True),
    (EndpointConnectionError("no route"), False),
])
def test_which_failures_may_have_stored_the_batch(error: Exception, unknown: bool) -> None:
    """Only an answer from SQS or a failure to connect rules out a stored batch."""
    client = AcceptThenTimeOut(error)
    sender = BatchSender(lambda url: client, sleep=lambda s: None)
    assert sender.send([OutMessage.of(FINDING, "{}", 0)]) == []
    assert sender.possible_duplicates == (1 if unknown else 0)
