"""Sending: few requests, retries, and a record done only when SQS took all its messages."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pytest

from deepalert import Attribute, ContentHost, DeliveryError, TaskResult
from deepalert.inspector import Inspector, inspector
from deepalert.testing import (
    FakeLambdaContext,
    MemorySink,
    message_ids,
    sns_event,
    sqs_sns_event,
)
from tests.inspector.conftest import ATTRIBUTE, FINDING, make_task

HostInspector = Inspector[Callable[[Attribute], ContentHost]]


def invoke(handler: Any, event: Any, sink: MemorySink, context: Any = None) -> Any:
    return handler.invoke(event, context, sqs_client=sink, finding_queue_url=FINDING,
                          attribute_queue_url=ATTRIBUTE)


def tasks(n: int) -> list[Any]:
    return [make_task(f"192.0.2.{i}") for i in range(n)]


def failed_ids(response: Any) -> list[str]:
    return [f["itemIdentifier"] for f in response["batchItemFailures"]]


def test_findings_of_a_batch_share_batch_requests(host_inspector: HostInspector,
                                                  sink: MemorySink) -> None:
    """25 findings take 3 SendMessageBatch requests (10 + 10 + 5), in task order."""
    response = invoke(host_inspector, sqs_sns_event(*tasks(25)), sink)
    assert failed_ids(response) == []
    assert sink.requests == 3
    assert [f.attribute.value for f in sink.findings()] == [f"192.0.2.{i}" for i in range(25)]


def test_thousand_findings_take_a_hundred_requests(host_inspector: HostInspector,
                                                   sink: MemorySink) -> None:
    """1,000 tasks in batches of 10, one finding each: 100 requests (the Go SDK makes 1,000)."""
    all_tasks = tasks(1000)
    for start in range(0, 1000, 10):
        invoke(host_inspector, sqs_sns_event(*all_tasks[start:start + 10]), sink)
    assert (len(sink.findings()), sink.requests) == (1000, 100)


def test_each_queue_gets_its_own_batches(sink: MemorySink) -> None:
    """Findings and new attributes of 10 tasks: one request per queue."""
    @inspector(author="a")
    def both(attr: Attribute) -> TaskResult:
        return TaskResult(contents=[ContentHost()],
                          new_attributes=[Attribute(type="domain", value="x.example")])

    invoke(both, sqs_sns_event(*tasks(10)), sink)
    assert sink.requests == 2
    assert {m.request for m in sink.messages(FINDING)} != {
        m.request for m in sink.messages(ATTRIBUTE)}
    assert len(sink.report_attributes()) == 10


def test_requests_stay_under_the_byte_ceiling(sink: MemorySink) -> None:
    """No request carries more bytes than max_message_bytes, yet every finding is sent."""
    @inspector(author="a", max_message_bytes=4096)
    def large(attr: Attribute) -> ContentHost:
        return ContentHost(hostname=["h" * 1500])

    invoke(large, sqs_sns_event(*tasks(7)), sink)
    sizes: dict[int, int] = defaultdict(int)
    for message in sink.messages():
        sizes[message.request] += len(message.body.encode())
    assert len(sink.findings()) == 7
    assert max(sizes.values()) <= 4096
    assert len(sizes) == 4


def test_throttled_entries_are_retried_and_the_records_succeed(
        host_inspector: HostInspector, sink: MemorySink) -> None:
    """Entries SQS reports as throttled are sent again; nothing fails, nothing is doubled."""
    sink.fail_next(3, code="ThrottlingException")
    response = invoke(host_inspector, sqs_sns_event(*tasks(10)), sink)
    assert failed_ids(response) == []
    assert sorted(f.attribute.value for f in sink.findings()) == sorted(
        f"192.0.2.{i}" for i in range(10))
    assert (sink.requests, sink.failed_entries) == (2, 3)


def test_a_request_that_raises_is_retried(host_inspector: HostInspector,
                                          sink: MemorySink) -> None:
    """A request error (throttling, a dropped connection) is retried."""
    sink.raise_next(ConnectionError("connection reset"))
    response = invoke(host_inspector, sqs_sns_event(*tasks(3)), sink)
    assert failed_ids(response) == []
    assert (len(sink.findings()), sink.requests) == (3, 2)


def test_entries_failing_past_the_retries_fail_exactly_their_records(
        host_inspector: HostInspector, sink: MemorySink) -> None:
    """A record whose finding SQS never accepts is reported failed; the others are done."""
    sink.fail_when(lambda url, body: '"value":"192.0.2.2"' in body)
    event = sqs_sns_event(*tasks(5))
    response = invoke(host_inspector, event, sink)
    assert failed_ids(response) == [message_ids(event)[2]]
    assert len(sink.findings()) == 4


def test_record_is_not_done_while_one_of_its_messages_failed(sink: MemorySink) -> None:
    """A record with one accepted and one refused finding is a failure, not a success."""
    @inspector(author="a")
    def two(attr: Attribute) -> list[ContentHost]:
        return [ContentHost(os=["ok"]), ContentHost(os=["refused"])]

    sink.fail_when(lambda url, body: "refused" in body)
    event = sqs_sns_event(*tasks(2))
    response = invoke(two, event, sink)
    assert failed_ids(response) == message_ids(event)
    assert len(sink.findings()) == 2


def test_new_attributes_not_accepted_fail_the_record(sink: MemorySink) -> None:
    """The attribute queue counts too: its refusal fails the record."""
    @inspector(author="a")
    def feed(attr: Attribute) -> TaskResult:
        return TaskResult(contents=[ContentHost()], new_attributes=[Attribute(type="domain")])

    sink.fail_when(lambda url, body: url == ATTRIBUTE)
    event = sqs_sns_event(*tasks(2))
    assert failed_ids(invoke(feed, event, sink)) == message_ids(event)


def test_sender_fault_is_not_retried(host_inspector: HostInspector, sink: MemorySink) -> None:
    """An entry SQS refuses as the sender's fault is failed at once, not retried."""
    sink.fail_next(1, code="InvalidMessageContents", sender_fault=True)
    event = sqs_sns_event(*tasks(3))
    response = invoke(host_inspector, event, sink)
    assert failed_ids(response) == [message_ids(event)[0]]
    assert sink.requests == 1


def test_sns_event_raises_when_its_messages_are_not_accepted(
        host_inspector: HostInspector, sink: MemorySink) -> None:
    """For SNS, a record whose findings SQS refused raises, so Lambda retries it."""
    sink.fail_when(lambda url, body: True, code="ServiceUnavailable")
    with pytest.raises(DeliveryError, match="ServiceUnavailable"):
        invoke(host_inspector, sns_event(make_task()), sink)


def test_sns_event_raises_the_inspectors_error(sink: MemorySink) -> None:
    """For SNS, an inspector's exception is raised as is."""
    @inspector(author="a")
    def boom(attr: Attribute) -> None:
        raise TimeoutError("upstream API timed out")

    with pytest.raises(TimeoutError, match="upstream"):
        invoke(boom, sns_event(make_task()), sink)


def test_failed_record_without_message_id_fails_the_whole_batch(
        sink: MemorySink) -> None:
    """A failed SQS record with no messageId cannot be named, so the batch raises."""
    @inspector(author="a")
    def boom(attr: Attribute) -> None:
        raise ValueError("bad")

    event = sqs_sns_event(make_task())
    del event["Records"][0]["messageId"]
    with pytest.raises(DeliveryError, match="messageId"):
        invoke(boom, event, sink)


def test_inspector_exception_fails_only_its_record(sink: MemorySink) -> None:
    """One record's exception fails that record; the rest of the batch is sent."""
    @inspector(author="a")
    def picky(attr: Attribute) -> ContentHost:
        if attr.value.endswith(".1"):
            raise RuntimeError("lookup failed")
        return ContentHost()

    event = sqs_sns_event(*tasks(3))
    assert failed_ids(invoke(picky, event, sink)) == [message_ids(event)[1]]
    assert len(sink.findings()) == 2


class ManualClock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_no_record_is_started_near_the_deadline(sink: MemorySink) -> None:
    """Once less than the margin is left, the remaining records fail without being started."""
    clock = ManualClock()
    context = FakeLambdaContext(timeout_ms=10_000, clock=clock)
    seen: list[str] = []

    @inspector(author="slow", deadline_margin_ms=2000)
    def slow(attr: Attribute) -> ContentHost:
        seen.append(attr.value)
        clock.now += 4.5  # each inspection takes 4.5 s of the 10 s budget
        return ContentHost()

    event = sqs_sns_event(*tasks(4))
    response = invoke(slow, event, sink, context)
    assert seen == ["192.0.2.0", "192.0.2.1"]
    assert failed_ids(response) == message_ids(event)[2:]
    assert len(sink.findings()) == 2


def test_workers_inspect_records_concurrently_with_the_same_accounting(
        sink: MemorySink) -> None:
    """max_workers runs inspections on threads; failures still name exactly their records."""
    barrier = threading.Barrier(4, timeout=30)  # a safety net, not a timing check
    threads: set[str] = set()

    @inspector(author="io", max_workers=4)
    def io_bound(attr: Attribute) -> ContentHost:
        threads.add(threading.current_thread().name)
        if attr.value.endswith(".0") or attr.value.endswith(".1") or attr.value.endswith(
                ".2") or attr.value.endswith(".3"):
            barrier.wait()  # the first four meet: they run at the same time
        if attr.value.endswith(".7"):
            raise RuntimeError("lookup failed")
        return ContentHost(ipaddr=[attr.value])

    event = sqs_sns_event(*tasks(12))
    response = invoke(io_bound, event, sink)
    assert failed_ids(response) == [message_ids(event)[7]]
    assert len(threads) == 4
    assert sorted(f.content["ipaddr"][0] for f in sink.findings()) == sorted(
        f"192.0.2.{i}" for i in range(12) if i != 7)
