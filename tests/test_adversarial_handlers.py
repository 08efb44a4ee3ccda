"""Mutated events against the three handlers (issue 10): nothing crashes, nothing good is lost,
no planted secret reaches a log or a response.

Each example builds a batch of real events (raw SQS, SNS-in-SQS) around good tasks or reports
and one mutated copy: truncated, a character flipped, nested deep, a huge number, a value of the
wrong type, a repeated key. The handler must answer with a partial batch response naming at
most the mutated record, the good records' work must be done, and the planted secret (in a
field Go ignores or in an alert body) must appear in no log line and no response.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deepalert import (
    Alert,
    Attribute,
    ContentHost,
    EventError,
    Report,
    ReportResult,
    Severity,
    Task,
)
from deepalert.emitter import emitter
from deepalert.inspector import inspector
from deepalert.reviewer import reviewer
from deepalert.testing import MemorySink, message_ids, sqs_event, sqs_sns_event

SECRET = "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
SECRET_PART = "wJalrXUtnFEMI"
FINDING = MemorySink.FINDING_QUEUE_URL
ATTRIBUTE = MemorySink.ATTRIBUTE_QUEUE_URL
SETTINGS = settings(max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


def task_text(i: int) -> str:
    """A task as the core sends it, with the secret in a key Go ignores."""
    task = Task(report_id=f"r{i}", attribute=Attribute(
        type="ipaddr", key="src", value=f"192.0.2.{i}", context=["remote"],
        timestamp="2020-01-01T09:00:00Z"))
    return task.to_json()[:-1] + ',"note":' + json.dumps(SECRET) + "}"


def report_text(i: int) -> str:
    """A published report with the secret in an alert body."""
    return Report(id=f"r{i}", status="published", result=ReportResult.of(Severity.URGENT, "x"),
                  alerts=[Alert(detector="d", rule_id="r", body={"n": i, "note": SECRET})],
                  created_at="2021-03-04T05:06:07Z").to_json()


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


_KEYS = re.compile(r'"(report_id|attribute|type|value|context|timestamp|id|status|alerts|'
                   r'result|severity|body|created_at|n)":')
_OTHER_VALUES = ["5", "null", "[]", "{}", '"x"', "true", "1e400", "1" * 5000, nested(600),
                 '{"value":"v"}', '[{"severity":"safe"}]']


@st.composite
def mutated(draw: st.DrawFn, text: str) -> tuple[str, bool | None]:
    """One mutation of a JSON message, and whether Go reads the result (None: not known)."""
    kind = draw(st.sampled_from(["truncate", "flip", "deep", "number", "type", "repeat",
                                 "unknown", "notification"]))
    if kind == "truncate":
        return text[:draw(st.integers(0, len(text) - 1))], False
    if kind == "flip":
        at = draw(st.integers(0, len(text) - 1))
        char = draw(st.sampled_from(list('"{}[],:\\x0 \x00\u2028\ufffd')))
        return text[:at] + char + text[at + 1:], None
    keys = list(_KEYS.finditer(text))
    if kind in ("unknown", "notification") or not keys:
        # Keys Go ignores: numbers it only scans, nesting up to its limit are read.
        # The message's own object is one level: 9,999 more make Go's limit of 10,000.
        depth = draw(st.sampled_from([0, 3000, 9_999, 10_000]))
        value = draw(st.sampled_from(["1e400", "-1e400", "1" * 5000])) if not depth else (
            nested(depth))
        head = '{"Type":"Notification",' if kind == "notification" else "{"
        return head + '"zz":' + value + "," + text[1:], depth <= 9_999
    key = draw(st.sampled_from(keys))
    if kind == "repeat":  # the same key again, with another value, just before the first
        return (text[:key.start()] + f'"{key[1]}":' + draw(st.sampled_from(_OTHER_VALUES))
                + "," + text[key.start():]), None
    value = {"deep": draw(st.sampled_from([nested(300), nested(1200), nested(10_001)])),
             "number": draw(st.sampled_from(["1e400", "1" * 400, "1" * 5000, "-0"])),
             "type": draw(st.sampled_from(_OTHER_VALUES))}[kind]
    # Put the new value in place of the key's value: before the next key or the end.
    rest = text[key.end():]
    nxt = _KEYS.search(rest)
    end = nxt.start() - 1 if nxt is not None else len(rest) - 1
    end = max(end, 0)
    return text[:key.end()] + value + rest[end:], None


def no_secret(caplog: pytest.LogCaptureFixture, *outputs: object) -> None:
    for record in caplog.records:
        assert SECRET_PART not in record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            assert SECRET_PART not in str(record.exc_info[1])
    for output in outputs:
        assert SECRET_PART not in repr(output)


def failed(response: Any) -> set[str]:
    return {f["itemIdentifier"] for f in response["batchItemFailures"]}


@SETTINGS
@given(data=st.data(), enveloped=st.booleans())
def test_inspector_loses_no_good_task(data: st.DataObject, enveloped: bool,
                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.clear()
    bad, readable = data.draw(mutated(task_text(1)))
    make = sqs_sns_event if enveloped else sqs_event
    event = make(task_text(0), bad, task_text(2))
    sink = MemorySink()

    @inspector(author="adversarial")
    def look(attr: Attribute) -> ContentHost:
        return ContentHost(ipaddr=[attr.value])

    with caplog.at_level(logging.DEBUG):
        response = look.invoke(event, sqs_client=sink, finding_queue_url=FINDING,
                               attribute_queue_url=ATTRIBUTE)
    assert response is not None
    assert failed(response) <= {message_ids(event)[1]}
    values = {f.attribute.value for f in sink.findings()}
    assert {"192.0.2.0", "192.0.2.2"} <= values
    if readable is not None:  # what Go reads is read, what it cannot fails its record
        assert bool(failed(response)) is not readable
        assert ("192.0.2.1" in values) is readable
    no_secret(caplog, response)


@SETTINGS
@given(data=st.data(), enveloped=st.booleans())
def test_emitter_loses_no_good_report(data: st.DataObject, enveloped: bool,
                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.clear()
    bad, readable = data.draw(mutated(report_text(1)))
    make = sqs_sns_event if enveloped else sqs_event
    event = make(report_text(0), bad, report_text(2))
    seen: list[str] = []

    @emitter
    def emit(report: Report) -> None:
        seen.append(report.id)

    with caplog.at_level(logging.DEBUG):
        response = emit(event)
    assert response is not None
    assert failed(response) <= {message_ids(event)[1]}
    assert "r0" in seen
    assert "r2" in seen
    if readable is not None:
        assert bool(failed(response)) is not readable
        assert ("r1" in seen) is readable
    no_secret(caplog, response)


@SETTINGS
@given(data=st.data())
def test_reviewer_always_answers(data: st.DataObject, caplog: pytest.LogCaptureFixture) -> None:
    """A mutated report, given to the reviewer as Step Functions would (decoded), gets an
    answer the core reads; only an event that is no report at all is refused."""
    caplog.clear()
    bad, _ = data.draw(mutated(report_text(1)))
    try:
        event = json.loads(bad)
    except (ValueError, RecursionError):
        return  # the Lambda runtime could not have decoded it either

    @reviewer
    def review(report: Report) -> ReportResult:
        return ReportResult.of(Severity.SAFE, f"{len(report.alerts or ())} alerts")

    with caplog.at_level(logging.DEBUG):
        try:
            result = review(event)
        except EventError:
            assert not isinstance(event, dict) or not ({"id", "status", "alerts", "result"}
                                                       & {k.lower() for k in event})
            return
    assert result is not None
    assert set(result) == {"severity", "reason"}
    assert all(isinstance(v, str) for v in result.values())
    no_secret(caplog, result)
